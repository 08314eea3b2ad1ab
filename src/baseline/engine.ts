// The baseline operations behind the CLI and the agent: init, check, update and verify. Each
// streams the scan through the store without loading the tree into memory; check and update
// verify the current version's signature before trusting it and its content digest during the
// same pass, and refuse to report (or build on) a baseline that fails either.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { BulwarkError } from '../common/errors.js';
import type { RuleSet } from '../policy/index.js';
import { EntryDigester, finishDigest, versionDigest } from './canonical.js';
import { finishCheck, missedNames, prepareCheck, type SinceLastInfo } from './check-journal.js';
import type { BaselineSettings } from './config.js';
import { mergeDiff } from './diff.js';
import { loadNative } from './native.js';
import { classify, detectPackageManager, type PackageManager } from './packages.js';
import { pathToKey } from './path-key.js';
import { KEPT_BATCH, scanRows, type ScanProgress } from './scan.js';
import type { WorkerPool } from './worker-pool.js';
import type { FullReason, JournalAgent } from './since-last.js';
import type { Target } from './targets.js';
import { walkTargets } from './walk.js';
import {
  decodeEntry,
  recordHasProblem,
  inodeId,
  recordDevIno,
  recordLinks,
  recordType,
  type Row,
  type StoredRow,
} from './record.js';
import { excludeMatcher, normaliseRoots, policyScope } from './scope.js';
import { keyId, loadPrivateKey, loadPublicKey, signDigest, verifyDigest } from './signing.js';
import { BaselineStore, type AcceptedRow, type VersionRow } from './store.js';
import { ATTRIBUTES, type Change, type DigestAlgo, type Entry } from './types.js';

export interface RunOptions {
  settings: BaselineSettings;
  /** PATH arguments (init): added to the configured scope. */
  paths?: string[];
  onProgress?: (p: ScanProgress) => void;
  /** Warnings (coded) for the caller to print. */
  onWarning?: (code: string, message: string) => void;
  workers?: number;
  /** Package awareness (default on when a package database is found). */
  packages?: boolean | PackageManager;
  /** The command line, recorded in the version header. */
  command?: string;
  /**
   * Hash workers the caller keeps between since-last checks (the agent), for these digests: used
   * when a check has more than KEPT_POOL_BYTES of files to re-read (by the baseline's sizes).
   */
  keptWorkers?: (algos: DigestAlgo[]) => WorkerPool;
}

export interface ScanStats {
  entries: number;
  files: number;
  bytes: number;
  seconds: number;
}

export interface StoredScope {
  roots: string[];
  exclude: string[];
}

function actor(): string {
  const sudo = process.env.SUDO_USER;
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = String(process.getuid?.() ?? 'unknown');
  }
  return sudo ? `${sudo} (via sudo as ${name})` : name;
}

function warnNative(o: RunOptions): void {
  if (!loadNative())
    o.onWarning?.(
      'BW5105',
      'native helper not built: xattrs, ACLs, SELinux labels, capabilities and chattr flags are not recorded',
    );
}

function packageManager(o: RunOptions, scope: StoredScope): PackageManager | null {
  if (o.packages === false) return null;
  // A given manager (another root's database, a future rpm one) is used as is.
  return typeof o.packages === 'object' ? o.packages : detectPackageManager(scope.roots);
}

/** The scope for a new baseline: arguments, config paths, policy directories, config files. */
export async function resolveScope(o: RunOptions): Promise<{ scope: StoredScope; ruleSet: RuleSet | null }> {
  const s = o.settings;
  const pol = await policyScope(s.policies);
  if (pol.rejected.length)
    o.onWarning?.('BW5106', `policy files with errors ignored for the scope: ${pol.rejected.join(', ')}`);
  for (const p of o.paths ?? [])
    if (!existsSync(p)) throw new BulwarkError('FILE_NOT_FOUND', `${p}: no such file or directory`);
  const roots = [...(o.paths ?? []), ...s.paths, ...pol.roots];
  if (roots.length === 0)
    throw new BulwarkError('BASELINE_NO_SCOPE', 'no PATH given and no paths or policies configured');
  const all = [...roots, ...(s.configFile ? [s.configFile] : []), ...s.policies];
  for (const r of [...s.paths, ...pol.roots])
    if (!existsSync(r)) o.onWarning?.('BW5107', `${r} does not exist: nothing recorded for it`);
  return { scope: { roots: normaliseRoots(all), exclude: s.exclude }, ruleSet: pol.ruleSet };
}

function timed(): () => number {
  const t = performance.now();
  return () => (performance.now() - t) / 1000;
}

/** Since-last checks with at most this many targets read on the main thread (no worker start-up). */
const INLINE_TARGETS = 5000;

/**
 * Since-last checks whose targets' files hold more than this many bytes in the baseline use
 * the caller's kept workers, when it has them: two threads hash 134 MB in about half the time of
 * one, while for 12 MB sending the paths and re-ordering the replies cost what they save
 * (BENCHMARKS.md, since-last).
 */
const KEPT_POOL_BYTES = 32 << 20;

/** How a since-last check reads its targets: kept workers, inline, or workers of its own. */
function targetReader(
  o: RunOptions,
  algos: DigestAlgo[],
  targets: Target[],
  storedBytes: number,
): { pool: WorkerPool; batchSize: number } | { inline: boolean } {
  if (o.keptWorkers && storedBytes > KEPT_POOL_BYTES)
    return { pool: o.keptWorkers(algos), batchSize: KEPT_BATCH };
  return { inline: targets.length <= INLINE_TARGETS };
}

function scanOf(
  o: RunOptions,
  scope: StoredScope,
  algos: DigestAlgo[],
  stats: ScanStats,
  targets?: Target[],
  /** Bytes of the targets' files at the last check (0 when not known). */
  storedBytes = 0,
): AsyncGenerator<Row[]> {
  const excluded = excludeMatcher(scope.exclude);
  return scanRows({
    roots: scope.roots.map((r) => Buffer.from(r)),
    excluded,
    ...(targets
      ? { items: walkTargets(targets, excluded), ...targetReader(o, algos, targets, storedBytes) }
      : {}),
    algos,
    ...(o.workers ? { workers: o.workers } : {}),
    onProgress: (p) => {
      stats.entries = p.entries;
      stats.files = p.files;
      stats.bytes = p.bytes;
      o.onProgress?.(p);
    },
  });
}

/** Signs a built version, marks it current, prunes old entries. */
function seal(
  store: BaselineStore,
  id: number,
  key: KeyObject,
  keep: number,
  written: EntryDigester,
): VersionRow {
  const v = store.version(id) as VersionRow;
  // The rows were hashed as they were inserted, in key order; `verify` and every `check` recompute
  // the digest from the stored rows, so a difference between the two could not go unnoticed.
  const { digest, entries } = finishDigest(store, v, written);
  store.commitVersion(id, entries, digest, signDigest(key, digest));
  store.prune(keep);
  return store.version(id) as VersionRow;
}

/** A row writer that also feeds the version digest. */
function digestingWriter(
  store: BaselineStore,
  id: number,
): { add(k: Buffer, rec: Buffer, pkg: string | null): void; flush(): number; digester: EntryDigester } {
  const w = store.entryWriter(id);
  const digester = new EntryDigester();
  return {
    add(key, rec, pkg) {
      w.add(key, rec, pkg);
      digester.add({ key, rec, pkg });
    },
    flush: () => w.flush(),
    digester,
  };
}

export interface InitResult {
  version: VersionRow;
  scope: StoredScope;
  stats: ScanStats;
  problems: Entry[];
}

export async function initBaseline(
  o: RunOptions & { force?: boolean; reason?: string },
): Promise<InitResult> {
  const s = o.settings;
  const key = loadPrivateKey(s.keyFile);
  if (s.keyFile.startsWith(`${s.stateDir}/`))
    o.onWarning?.('BW5104', `signing key ${s.keyFile} is inside the state dir ${s.stateDir}`);
  const { scope } = await resolveScope(o);
  warnNative(o);
  const store = BaselineStore.open(s.dbFile, { create: true });
  try {
    const current = store.currentId();
    if (current !== null && !o.force)
      throw new BulwarkError(
        'BASELINE_EXISTS',
        `a baseline (version ${current}) already exists in ${s.dbFile}`,
      );
    const pm = packageManager(o, scope);
    const id = store.beginVersion({
      parent: current,
      createdNs: BigInt(Date.now()) * 1_000_000n,
      actor: actor(),
      host: hostname(),
      reason: o.reason ?? (current === null ? 'initial baseline' : 'full re-baseline (init --force)'),
      command: o.command ?? 'init',
      algos: s.digests,
      scope: JSON.stringify(scope),
      keyId: keyId(createPublicKey(key)),
    });
    const stats: ScanStats = { entries: 0, files: 0, bytes: 0, seconds: 0 };
    const elapsed = timed();
    const writer = digestingWriter(store, id);
    const problems: Entry[] = [];
    // While the hash workers start (the main thread has nothing else to do then): the versions
    // this one will push out of the kept history are pruned now rather than after the scan (the
    // current version is always kept), and the package database is loaded.
    setImmediate(() => {
      try {
        store.prune(s.keep - 1);
        pm?.preload?.();
      } catch {
        // Only a head start: seal() prunes again and the first lookup loads, and they report.
      }
    });
    for await (const batch of scanOf(o, scope, s.digests, stats))
      for (const r of batch) {
        if (recordHasProblem(r.rec)) problems.push(decodeEntry(r.key, r.rec));
        writer.add(r.key, r.rec, pm ? pm.ownerOfKey(r.key, recordType(r.rec)) : null);
      }
    writer.flush();
    stats.seconds = elapsed();
    const version = seal(store, id, key, s.keep, writer.digester);
    return { version, scope, stats, problems };
  } finally {
    store.close();
  }
}

/** Opens the store and checks the current version's header: signed, newest, by the trusted key. */
function trustedCurrent(store: BaselineStore, pubFile: string): VersionRow {
  const id = store.currentId();
  if (id === null) throw new BulwarkError('BASELINE_MISSING', `no signed baseline version in ${store.file}`);
  const v = store.version(id);
  if (!v || v.state !== 'signed' || !v.digest || !v.signature)
    throw new BulwarkError('BASELINE_TAMPERED', `current version ${id} is missing or not signed`);
  const latest = store.latestSignedId();
  if (latest !== null && latest > id)
    throw new BulwarkError('BASELINE_ROLLBACK', `current version is ${id} but version ${latest} is newer`);
  const pub = loadPublicKey(pubFile);
  if (keyId(pub) !== v.keyId)
    throw new BulwarkError(
      'BASELINE_TAMPERED',
      `version ${id} names signing key ${v.keyId}, but the trusted public key ${pubFile} is ${keyId(pub)}`,
    );
  if (!verifyDigest(pub, v.digest, v.signature))
    throw new BulwarkError('BASELINE_TAMPERED', `version ${id}: signature does not verify with ${pubFile}`);
  return v;
}

export interface CheckCounts {
  added: number;
  removed: number;
  changed: number;
  packageConsistent: number;
  unexplained: number;
  errors: number;
  unstable: number;
}

export interface CheckResult {
  version: VersionRow;
  scope: StoredScope;
  changes: Change[];
  counts: CheckCounts;
  /** Scanned entries that could not be read fully (permission, vanished...). */
  problems: Entry[];
  stats: ScanStats;
  /** `since-last`: only what the agent's journal and the last check named was re-read. */
  mode: 'full' | 'since-last';
  note?: string;
  /** Why a --since-last check ran full (stable code and reason). */
  fullReason?: FullReason;
  sinceLast?: SinceLastInfo;
}

/** Names read of one multi-link inode. */
export interface LinkGroup {
  inode: { dev: bigint; ino: bigint };
  keys: Buffer[];
}

interface DiffRun {
  v: VersionRow;
  scope: StoredScope;
  changes: Change[];
  problems: Entry[];
  stats: ScanStats;
  counts: CheckCounts;
  /**
   * Scanned non-directories with a name this scan did not see (more links than names read), by
   * inode: the next since-last check re-reads their names every time (`links` of its saved state;
   * see the note before CheckOptions), and this one looks them up after its diff (missedNames).
   */
  short: LinkGroup[];
}

/**
 * Shared by check and update: verifies the current version while diffing it against the disk.
 * `onPair` sees every key in order with the stored and scanned entries (either may be absent) and
 * the change, if any, so update can write the next version in the same pass.
 */
async function diffAgainstDisk(
  store: BaselineStore,
  o: RunOptions,
  onPair?: (oldRow: StoredRow | undefined, newRow: Row | undefined, c: Change | undefined) => void,
  only?: { targets: Target[]; trustStore: boolean; storedBytes: number; rows?: StoredRow[] },
): Promise<DiffRun> {
  const v = trustedCurrent(store, o.settings.pubFile);
  warnNative(o);
  const scope = JSON.parse(v.scope) as StoredScope;
  const pm = packageManager(o, scope);
  const digester = new EntryDigester();
  const stats: ScanStats = { entries: 0, files: 0, bytes: 0, seconds: 0 };
  const elapsed = timed();
  const changes: Change[] = [];
  const multi = new Map<string, LinkGroup & { nlink: number }>();
  const problems: Entry[] = [];
  const counts: CheckCounts = {
    added: 0,
    removed: 0,
    changed: 0,
    packageConsistent: 0,
    unexplained: 0,
    errors: 0,
    unstable: 0,
  };
  const oldIt = only
    ? (only.rows?.values() ?? store.rowsIn(v.id, only.targets))
    : digester.wrap(store.rows(v.id));
  const scanIt = scanOf(o, scope, v.algos, stats, only?.targets, only?.storedBytes)[Symbol.asyncIterator]();
  try {
    await mergeDiff(oldIt, scanIt, ATTRIBUTES, {
      scanned(r) {
        const nlink = recordLinks(r.rec);
        if (nlink > 1) {
          const inode = recordDevIno(r.rec);
          const m = multi.get(inodeId(inode));
          if (m) {
            m.keys.push(r.key);
            m.nlink = nlink;
          } else multi.set(inodeId(inode), { nlink, keys: [r.key], inode });
        }
        if (!recordHasProblem(r.rec)) return;
        const e = decodeEntry(r.key, r.rec);
        problems.push(e);
        if (e.error) counts.errors++;
        if (e.scanFlags) counts.unstable++;
      },
      same(a, b) {
        onPair?.(a, b, undefined);
      },
      change(c, oldRow, newRow) {
        counts[c.kind]++;
        if (pm) {
          const k = classify(pm, c, oldRow?.pkg ?? null);
          c.package = { class: k.class, manager: pm.name, ...(k.name ? { name: k.name } : {}) };
          if (k.class === 'package-consistent') counts.packageConsistent++;
          else counts.unexplained++;
        } else counts.unexplained++;
        changes.push(c);
        onPair?.(oldRow, newRow, c);
      },
    });
  } catch (e) {
    // Stop the workers whatever happened; a record that cannot be decoded was edited.
    await scanIt.return?.(undefined);
    if (e instanceof Error && /entry record|out of range|outside buffer/i.test(e.message))
      throw new BulwarkError(
        'BASELINE_TAMPERED',
        `version ${v.id}: a stored record cannot be decoded (${e.message}); the store was modified outside Bulwark`,
      );
    throw e;
  }
  stats.seconds = elapsed();
  // A since-last check read only some rows: the digest is re-computed from all of them, unless the
  // store has not been written since a check verified it (see check-journal.ts).
  const { digest, entries } =
    only && only.trustStore
      ? { digest: v.digest as Buffer, entries: v.entries }
      : only
        ? versionDigest(store, v)
        : finishDigest(store, v, digester);
  if (!digest.equals(v.digest as Buffer) || entries !== v.entries)
    throw new BulwarkError(
      'BASELINE_TAMPERED',
      `version ${v.id}: content does not match its signed digest (read ${entries} entries, signed ${v.entries}); the store was modified outside Bulwark`,
    );
  const short = [...multi.values()].filter((m) => m.keys.length < m.nlink);
  return { v, scope, changes, problems, stats, counts, short };
}

/*
 * Multi-link files with a name the scan did not read (more links than names read) are `links`: the
 * next since-last check re-reads them every time, since a write through that other name (outside
 * the watched trees) is journalled under it, not under a name in the scope. An inode whose every
 * link was read needs none of that: a write through any of its names is journalled under a name in
 * the scope, which leads the next check to all the others (a full check reads every name in the
 * scope; a since-last check reads all names of the inodes it touches, see check-journal.ts). A
 * link made outside the watched trees after the check is the journal's documented blind spot, as
 * it is for a file with one link.
 */

export interface CheckOptions extends RunOptions {
  /** Re-read only what changed since the last check, when the agent's journal allows it. */
  sinceLast?: boolean;
  /** The running agent's journal (the CLI passes it; null: no agent answers). */
  journal?: JournalAgent | null;
}

/** Reasons a plain check warns about: someone else may be answering, or the journal failed. */
const UNTRUSTED = new Set(['BW5114', 'BW5110']);

export async function checkBaseline(o: CheckOptions): Promise<CheckResult> {
  const store = BaselineStore.open(o.settings.dbFile, { readonly: true });
  try {
    const v = trustedCurrent(store, o.settings.pubFile);
    const scope = JSON.parse(v.scope) as StoredScope;
    const opts = { stateDir: o.settings.stateDir, journal: o.journal, sinceLast: o.sinceLast };
    const prep = await prepareCheck(store, v, scope.roots, scope.exclude, opts);
    let r = await diffAgainstDisk(store, o, undefined, prep.only);
    // A since-last check that read a multi-link file without its baseline's other names (found
    // on disk under a changed directory, or now at a path whose file was replaced) reads again
    // with them; rare, and bounded: each round adds names, found in the stored rows.
    for (let round = 0; prep.only && round < 3; round++) {
      const wider = missedNames(store, v, prep, r.short);
      if (!wider) break;
      prep.only = wider;
      r = await diffAgainstDisk(store, o, undefined, prep.only);
    }
    await finishCheck(store, v, scope.roots, prep, r, opts);
    let note: string | undefined;
    if (o.sinceLast && prep.full) {
      note = `${prep.full.code}: ${prep.full.reason}`;
      o.onWarning?.(prep.full.code, `full check ran: ${prep.full.reason}`);
    } else if (prep.full && UNTRUSTED.has(prep.full.code)) {
      // A plain check records the position for the next --since-last when an agent answers; an
      // answer it cannot trust (or a failed journal) is said, not passed over in silence.
      o.onWarning?.(prep.full.code, `check position not recorded: ${prep.full.reason}`);
    } else if (prep.info) {
      const i = prep.info;
      note = `re-read ${r.stats.entries.toLocaleString('en-US')} entries under ${i.targets.toLocaleString('en-US')} changed paths from the agent's journal (epoch ${i.epoch}, ${i.journalLines} lines) and the last check`;
    }
    return {
      version: r.v,
      scope: r.scope,
      changes: r.changes,
      counts: r.counts,
      problems: r.problems,
      stats: r.stats,
      mode: prep.only ? 'since-last' : 'full',
      ...(note ? { note } : {}),
      ...(o.sinceLast && prep.full ? { fullReason: prep.full } : {}),
      ...(prep.info ? { sinceLast: prep.info } : {}),
    };
  } finally {
    store.close();
  }
}

export interface UpdateOptions extends RunOptions {
  accept?: string[];
  all?: boolean;
  acceptPackageConsistent?: boolean;
  reason?: string;
}

export interface UpdateResult extends CheckResult {
  /** The new version, or null when nothing was accepted (no new version written). */
  newVersion: VersionRow | null;
  accepted: Change[];
}

function acceptMatcher(paths: string[]): (p: Buffer) => boolean {
  const keys = paths.map((p) => pathToKey(Buffer.from(p.length > 1 ? p.replace(/\/+$/, '') : p)));
  return (p: Buffer) => {
    const k = pathToKey(p);
    return keys.some(
      (a) =>
        k.equals(a) ||
        (k.length > a.length && k.subarray(0, a.length).equals(a) && (k[a.length] === 0 || a.length === 1)),
    );
  };
}

export async function updateBaseline(o: UpdateOptions): Promise<UpdateResult> {
  if (!o.all && !o.acceptPackageConsistent && !(o.accept && o.accept.length))
    throw new BulwarkError('BASELINE_NOTHING_TO_ACCEPT', 'nothing to accept');
  const s = o.settings;
  const key = loadPrivateKey(s.keyFile);
  const store = BaselineStore.open(s.dbFile);
  try {
    const current = store.currentId();
    if (current === null)
      throw new BulwarkError('BASELINE_MISSING', `no signed baseline version in ${s.dbFile}`);
    const cur = store.version(current) as VersionRow;
    const id = store.beginVersion({
      parent: current,
      createdNs: BigInt(Date.now()) * 1_000_000n,
      actor: actor(),
      host: hostname(),
      reason: o.reason ?? '',
      command: o.command ?? 'update',
      algos: cur.algos,
      scope: cur.scope,
      keyId: keyId(createPublicKey(key)),
    });
    const writer = digestingWriter(store, id);
    const pm = packageManager(o, JSON.parse(cur.scope) as StoredScope);
    const explicit = acceptMatcher(o.accept ?? []);
    const accepted: Change[] = [];
    const acceptedRows: AcceptedRow[] = [];
    const pkgOf = (key: Buffer): string | null => (pm ? pm.ownerOfKey(key) : null);
    let r: DiffRun;
    try {
      r = await diffAgainstDisk(store, o, (oldRow, newRow, c) => {
        if (!c) {
          // Unchanged: keep the stored record (scan-only differences are not changes).
          if (oldRow) writer.add(oldRow.key, oldRow.rec, oldRow.pkg);
          return;
        }
        const take =
          o.all ||
          explicit(c.path) ||
          (o.acceptPackageConsistent === true && c.package?.class === 'package-consistent');
        if (take) {
          accepted.push(c);
          acceptedRows.push({
            key: pathToKey(c.path),
            kind: c.kind,
            attributes: c.attributes.map((a) => a.attribute).join(','),
            class: c.package?.class ?? '',
          });
          if (newRow) writer.add(newRow.key, newRow.rec, pkgOf(newRow.key));
        } else if (oldRow) writer.add(oldRow.key, oldRow.rec, oldRow.pkg);
      });
    } catch (e) {
      store.dropBuilding();
      throw e;
    }
    writer.flush();
    const result = {
      version: r.v,
      scope: r.scope,
      changes: r.changes,
      counts: r.counts,
      problems: r.problems,
      stats: r.stats,
      mode: 'full' as const,
      accepted,
    };
    if (accepted.length === 0) {
      store.dropBuilding();
      return { ...result, newVersion: null };
    }
    store.addAccepted(id, acceptedRows);
    return { ...result, newVersion: seal(store, id, key, s.keep, writer.digester) };
  } finally {
    store.close();
  }
}

export interface VerifyVersion {
  id: number;
  state: string;
  ok: boolean;
  problem?: string;
}

export interface VerifyResult {
  ok: boolean;
  current: number | null;
  keyId: string;
  quickCheck: string;
  versions: VerifyVersion[];
}

/**
 * Verifies every version that still has entries: digest recomputed from the rows, signature
 * with the given public key, parent chain, and the current pointer. Never throws for a failed
 * verification (the result says what failed); throws when the store cannot be opened at all.
 */
export function verifyBaseline(o: { settings: BaselineSettings; pubFile?: string }): VerifyResult {
  const pubFile = o.pubFile ?? o.settings.pubFile;
  const pub = loadPublicKey(pubFile);
  const store = BaselineStore.open(o.settings.dbFile, { readonly: true });
  try {
    const quick = store.quickCheck();
    const out: VerifyVersion[] = [];
    const current = store.currentId();
    let ok = quick === 'ok';
    for (const v of store.versions()) {
      if (v.state === 'building') continue;
      const problems: string[] = [];
      if (!v.digest || !v.signature) problems.push('not signed');
      else {
        if (v.keyId !== keyId(pub)) problems.push(`signed by key ${v.keyId}, not ${keyId(pub)}`);
        else if (!verifyDigest(pub, v.digest, v.signature)) problems.push('signature does not verify');
        if (v.state === 'signed') {
          const d = versionDigest(store, v);
          if (!d.digest.equals(v.digest))
            problems.push(`content digest mismatch (${d.entries} entries read, ${v.entries} signed)`);
        }
      }
      if (problems.length && (v.state === 'signed' || v.id === current)) ok = false;
      out.push({
        id: v.id,
        state: v.state,
        ok: problems.length === 0,
        ...(problems.length ? { problem: problems.join('; ') } : {}),
      });
    }
    const latest = store.latestSignedId();
    if (current === null) ok = false;
    else if (latest !== null && latest > current) {
      ok = false;
      out.push({
        id: current,
        state: 'current',
        ok: false,
        problem: `current version ${current} is older than version ${latest} (rollback)`,
      });
    }
    return { ok, current, keyId: keyId(pub), quickCheck: quick, versions: out };
  } finally {
    store.close();
  }
}
