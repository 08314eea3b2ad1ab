// The journal side of `baseline check`: before the diff, whether this check can be a since-last
// check and what it re-reads; after it, the position and differing paths saved for the next one.
import { versionDigest } from './canonical.js';
import { readdirSync } from 'node:fs';
import { briefLstat } from './native.js';
import { dirname } from 'node:path';
import { removeQuietly, unsafeDir } from './state-files.js';
import { keyToPath, pathToKey } from './path-key.js';
import { excludeMatcher } from './scope.js';
import { mountsDigest, storeStamp } from './watch-scope.js';
import {
  planCheck,
  stateDigest,
  stateFile,
  writeState,
  type AgentJournal,
  type FullReason,
  type JournalAgent,
  type SavedState,
} from './since-last.js';
import { buildTargets, type Target } from './targets.js';
import { BulwarkError } from '../common/errors.js';
import type { BaselineStore, VersionRow } from './store.js';
import { inodeId, recordDevIno, recordFileSize, recordLinks, type StoredRow } from './record.js';
import type { Change, Entry } from './types.js';

/** Most paths a check saves for the next since-last check; beyond, the next check is full. */
const MAX_SAVED = 200_000;

export interface SinceLastInfo {
  epoch: string;
  /** Journal lines after the last check's start that were read and verified. */
  journalLines: number;
  /** Changed paths (journal and last check) and the targets they became inside the scope. */
  paths: number;
  targets: number;
  /** How the stored rows were trusted: content digest re-computed, or store untouched since. */
  content: 'digest' | 'store-unchanged';
}

export interface CheckPrep {
  position: AgentJournal | null;
  /**
   * Set for a since-last check; `rows`: the stored rows of the targets, when already read;
   * `storedBytes`: bytes of the targets' files in the baseline version.
   */
  only?: { targets: Target[]; trustStore: boolean; storedBytes: number; rows?: StoredRow[] };
  full?: FullReason;
  info?: SinceLastInfo;
  stamp: string;
  /** A since-last check's means to read more names after its diff (missedNames). */
  widen?: {
    known: Set<string>;
    /** The inode each known path had at the last check ("dev:ino"), when the state says. */
    knownInodes: Map<string, string> | null;
    extra: Buffer[];
    rebuild: (extra: Buffer[]) => Target[];
  };
}

export async function prepareCheck(
  store: BaselineStore,
  v: VersionRow,
  roots: string[],
  exclude: string[],
  o: { stateDir: string; journal?: JournalAgent | null; sinceLast?: boolean },
): Promise<CheckPrep> {
  const stamp = storeStamp(store.file);
  if (!o.sinceLast && !o.journal) return { position: null, stamp };
  const plan = await planCheck({
    agent: o.journal ?? null,
    stateDir: o.stateDir,
    roots,
    version: v.id,
    versionDigest: (v.digest as Buffer).toString('hex'),
    recordOnly: !o.sinceLast,
  });
  if (plan.mode === 'full') return { position: plan.position, full: plan.why, stamp };
  const children = (dir: Buffer): Buffer[] => {
    let disk: Buffer[] = [];
    try {
      disk = readdirSync(dir, { encoding: 'buffer' });
    } catch {
      // gone or unreadable: the baseline's names still count
    }
    return [...disk, ...store.childNames(v.id, pathToKey(dir))];
  };
  const excluded = excludeMatcher(exclude);
  let targets = buildTargets(plan.paths, plan.carried, roots, excluded, children);
  // The stored rows of the targets serve the link lookup below and then the diff itself.
  let rows: StoredRow[] | undefined = [...store.rowsIn(v.id, targets)];
  // One scan of the stored rows for the other names of every inode found.
  const known = new Set(plan.state.links ?? []);
  const inodes = linkInodes(targets, rows, plan.paths, known);
  const siblings = store.keysWithInodes(v.id, inodes).map(keyToPath);
  const rebuild = (extra: Buffer[]): Target[] =>
    buildTargets(plan.paths, [...plan.carried, ...siblings, ...extra], roots, excluded, children);
  // Bytes of the files to re-read, from the stored rows (with other names added: those of the
  // first targets, a lower bound), to choose how to read them.
  let storedBytes = 0;
  for (const r of rows) storedBytes += recordFileSize(r.rec);
  if (siblings.length) {
    targets = rebuild([]);
    rows = undefined;
  }
  const trustStore = plan.state.store !== '' && plan.state.store === stamp;
  return {
    position: plan.position,
    only: { targets, trustStore, storedBytes, ...(rows ? { rows } : {}) },
    info: {
      epoch: plan.position.epoch,
      journalLines: plan.lines,
      paths: plan.paths.length + plan.carried.length,
      targets: targets.length,
      content: trustStore ? 'store-unchanged' : 'digest',
    },
    stamp,
    widen: {
      known,
      knownInodes: plan.state.linkInodes ? new Map(Object.entries(plan.state.linkInodes)) : null,
      extra: [],
      rebuild,
    },
  };
}

/**
 * After a since-last diff: the targets widened by the baseline's names of every multi-link file
 * that was read with fewer names than it has links, or null when there are none to add. Such a
 * file was found on disk where no lookup before the diff could know it: below a directory target
 * (a link made in a directory that was then renamed), or at a path whose file was replaced (a
 * path listed from the last check, linked anew to another file). Files listed from the last
 * check with a link outside the scope, still the file their baseline rows describe, are skipped:
 * all their names in the scope were read (see linkInodes).
 */
export function missedNames(
  store: BaselineStore,
  v: VersionRow,
  prep: CheckPrep,
  short: { inode: Inode; keys: Buffer[] }[],
): CheckPrep['only'] | null {
  const w = prep.widen;
  if (!w || !prep.only || short.length === 0) return null;
  const hex = (k: Buffer): string => k.toString('hex');
  // Still the file it was at the last check (by the saved inode; for a state saved without them,
  // by the baseline's row), so all its names in the scope were listed and read.
  const listed = short.filter((g) => g.keys.every((k) => w.known.has(hex(keyToPath(k)))));
  const stored = new Map<string, Buffer>();
  if (!w.knownInodes) {
    const keys = [...new Map(listed.flatMap((g) => g.keys).map((k) => [hex(k), k])).values()];
    for (const r of store.rowsIn(
      v.id,
      keys.map((key) => ({ key, subtree: false })),
    ))
      stored.set(hex(r.key), r.rec);
  }
  const same = (k: Buffer, i: Inode): boolean => {
    if (w.knownInodes) return w.knownInodes.get(hex(keyToPath(k))) === inodeId(i);
    const rec = stored.get(hex(k));
    return !!rec && rec.length >= 58 && inodeId(recordDevIno(rec)) === inodeId(i);
  };
  const look = short.filter((g) => !listed.includes(g) || !g.keys.every((k) => same(k, g.inode)));
  if (look.length === 0) return null;
  // Only names not read and not asked for in an earlier round (a baseline name now gone, or now
  // another file, comes back from every lookup; asking again would change nothing).
  const read = new Set(look.flatMap((g) => g.keys.map(hex)));
  const asked = new Set([
    ...prep.only.targets.map((t) => hex(t.key)),
    ...w.extra.map((p) => hex(pathToKey(p))),
  ]);
  const extra = store
    .keysWithInodes(
      v.id,
      look.map((g) => g.inode),
    )
    .filter((k) => !read.has(hex(k)) && !asked.has(hex(k)));
  if (extra.length === 0) return null;
  w.extra.push(...extra.map(keyToPath));
  const targets = w.rebuild(w.extra);
  if (prep.info) prep.info.targets = targets.length;
  return { targets, trustStore: prep.only.trustStore, storedBytes: prep.only.storedBytes };
}

/**
 * A change to a hard-linked file shows on all its names, but the kernel names only the one used
 * (and a new link changes the link count of the old names). So the baseline's other names are
 * re-read for every inode that
 * - had several links at baseline time, among everything this check reads: every stored row
 *   under the targets, not only the targets' own (a file under a directory that changed too is
 *   read as part of that directory's subtree, and is no target of its own);
 * - or has several links now, among the targets and every journal path, inside the scope or not:
 *   a name made since the last check in a watched tree is a journal path, also when the scope is
 *   smaller than the watched trees and the name is outside it (a write through it names only
 *   itself). A link removed again before the check is seen through the link-count change it
 *   makes on the remaining names.
 * `known`: paths (hex) that had a link outside the scope at the last check. Every one of them is
 * re-read (carried), and so are all the names in the scope that inode had then (all of them are
 * listed: every name of an inode read is read, by this rule), so they need no lookup. This skips
 * a scan of the stored rows in the common case.
 */
function linkInodes(targets: Target[], rows: StoredRow[], journal: Buffer[], known: Set<string>): Inode[] {
  const inodes: Inode[] = [];
  for (const r of rows) {
    // (A record too short to hold them was edited: the diff reports that, BASELINE_TAMPERED.)
    if (r.rec.length < 58 || recordLinks(r.rec) < 2) continue;
    if (!known.has(keyToPath(r.key).toString('hex'))) inodes.push(recordDevIno(r.rec));
  }
  const seen = new Set<string>();
  for (const p of [...targets.map((t) => t.path), ...journal]) {
    const hex = p.toString('hex');
    if (seen.has(hex) || known.has(hex)) continue;
    seen.add(hex);
    const now = multiLinked(p); // null when gone: the stored record above is what counts
    if (now) inodes.push(now);
  }
  return inodes;
}

type Inode = { dev: bigint; ino: bigint };

/** Device and inode of `path` when it is a non-directory with several links now, else null. */
function multiLinked(path: Buffer): Inode | null {
  const st = briefLstat(path);
  return st && !st.dir && st.nlink > 1 ? { dev: st.dev, ino: st.ino } : null;
}

/**
 * After the diff: makes sure the rows read were the signed ones, then saves the position.
 * A since-last check that trusted the store's stamp re-computes the digest if the store was
 * written during the check.
 */
export async function finishCheck(
  store: BaselineStore,
  v: VersionRow,
  roots: string[],
  prep: CheckPrep,
  /** `short`: multi-link files read with fewer names than links (their names are `links`). */
  r: { changes: Change[]; problems: Entry[]; short: { inode: Inode; keys: Buffer[] }[] },
  o: {
    stateDir: string;
    journal?: JournalAgent | null;
    onWarning?: (code: string, message: string) => void;
  },
): Promise<void> {
  let stamp = storeStamp(store.file);
  if (prep.only?.trustStore && stamp !== prep.stamp) {
    const d = versionDigest(store, v);
    if (!d.digest.equals(v.digest as Buffer) || d.entries !== v.entries)
      throw new BulwarkError(
        'BASELINE_TAMPERED',
        `version ${v.id}: content does not match its signed digest; the store was modified outside Bulwark`,
      );
    stamp = '';
  }
  // The rows were verified (digest) or trusted on a stamp that did not move: pass the stamp on.
  const verified = stamp === prep.stamp ? stamp : '';
  const pos = prep.position;
  if (!pos || !o.journal) return;
  const agent = o.journal;
  const file = stateFile(o.stateDir);
  const bad = unsafeDir(dirname(file));
  // The check's result stands whatever happens here: a position that cannot be saved only makes
  // the next --since-last a full check (the earlier state is removed when it can be; one left
  // behind is still sound, only older), and says so.
  const notRecorded = (why: string): void => {
    if (!bad) removeQuietly(file);
    (o.onWarning ?? agent.warn?.bind(agent))?.(
      'BW5113',
      `check position not recorded: ${why}; the next --since-last runs a full check`,
    );
  };
  const paths = new Set<string>();
  for (const c of r.changes) paths.add(c.path.toString('hex'));
  for (const p of r.problems) paths.add(keyToPath(p.key).toString('hex'));
  const links = [...new Set(r.short.flatMap((g) => g.keys).map((k) => keyToPath(k).toString('hex')))].sort();
  if (paths.size + links.length > MAX_SAVED)
    return notRecorded(
      `${paths.size + links.length} paths differed or have several links, more than the ${MAX_SAVED} a check keeps`,
    );
  if (bad) return notRecorded(`the baseline state directory cannot be used: ${bad}`);
  const state: SavedState = {
    epoch: pos.epoch,
    from: pos.seq,
    fromOffset: pos.offset,
    check: -1,
    version: v.id,
    versionDigest: (v.digest as Buffer).toString('hex'),
    mounts: mountsDigest(roots),
    store: verified,
    paths: [...paths].sort(),
    links,
    linkInodes: Object.fromEntries(
      r.short.flatMap((g) => g.keys.map((k) => [keyToPath(k).toString('hex'), inodeId(g.inode)])),
    ),
  };
  let rec: Awaited<ReturnType<JournalAgent['checked']>>;
  try {
    rec = await agent.checked(pos.seq, pos.offset, stateDigest(state));
  } catch (e) {
    rec = { error: (e as Error).message };
  }
  if ('error' in rec) return notRecorded(`the agent did not record the check in its journal (${rec.error})`);
  try {
    writeState(file, { ...state, check: rec.check, fromOffset: rec.fromOffset });
  } catch (e) {
    notRecorded(`cannot save ${file}: ${(e as Error).message}`);
  }
}
