// `check --since-last`: decides whether the agent's change journal lets this check re-read only
// what changed, and if so, what to re-read. Every check with a running agent saves where the
// journal stood when it started (epoch, line, byte offset) and the paths that differed or could
// not be read, in `<state-dir>/baseline/since-last.json`, and has the agent chain a digest of that
// file into the journal. The next since-last check re-reads the union of those paths and the
// journal's paths since that line; anything it cannot trust makes it a full check, with the reason
// and a stable code. The decision is in order: agent, coverage, saved state, epoch, baseline
// version, mounts, journal chain, saved-state digest, gaps, coverage over time.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { locateLine, readSegment } from './journal-read.js';
import { mountsDigest, uncovered, unwatchedMount } from './watch-scope.js';
import { journalFile, type JournalPosition, type JournalRecord } from './journal.js';
import { privateDir, readNoFollow, replaceFile, unsafeDir } from './state-files.js';

/** What the running agent says about its journal (see src/app/journal-hook.ts). */
export interface AgentJournal extends JournalPosition {
  /** Informative only: a check always reads journalFile(its state dir), never a path it is told. */
  file: string;
  /** The agent has written which trees its change sensor watches. */
  ready: boolean;
  /** Trees the change sensor watches now. */
  trees: string[];
  /** The change sensor confirmed it had read its kernel queue before this answer. */
  synced: boolean;
  /** Why the journal can no longer be trusted this epoch (a failed write), if it cannot. */
  failed: string | null;
}

/** The CLI's connection to the agent (the baseline stage does not talk to sockets itself). */
export interface JournalAgent {
  /** `code`: why there is no usable answer, when not just "no agent" (BW5103). */
  position(): Promise<AgentJournal | { unavailable: string; code?: FullReason['code'] }>;
  /** Has the agent chain a finished check into its journal; `error` says why it did not. */
  checked(
    from: number,
    fromOffset: number,
    digest: string,
  ): Promise<{ check: number; fromOffset: number } | { error: string }>;
  /** Where coded warnings about recording a check go (the CLI prints them on stderr). */
  warn?(code: string, message: string): void;
}

/** A full check instead of since-last: stable code and the reason in words. */
export interface FullReason {
  code: 'BW5103' | 'BW5108' | 'BW5109' | 'BW5110' | 'BW5111' | 'BW5112' | 'BW5114';
  reason: string;
}

export interface SavedState {
  epoch: string;
  from: number;
  fromOffset: number;
  /** Line of the check record (not part of the digest: known only after the agent wrote it). */
  check: number;
  version: number;
  versionDigest: string;
  mounts: string;
  /** Identity and times of the store files when their content was last verified; '' if not. */
  store: string;
  /** Paths (hex) that differed from the baseline or could not be read fully. */
  paths: string[];
  /**
   * Paths (hex) of non-directories that had a link outside the scope at that check (more links
   * than names read): re-read every time, since a write through that other name (outside the
   * watched trees) names only that other path. Multi-link files whose every name is in the scope
   * are not listed: the journal names them when they change.
   */
  links?: string[];
  /** Device and inode ("dev:ino") each of `links` had at that check, by path (hex). */
  linkInodes?: Record<string, string>;
}

export const STATE_NAME = 'since-last.json';

export function stateFile(stateDir: string): string {
  return join(stateDir, 'baseline', STATE_NAME);
}

/** Digest of the saved state, as chained into the journal's check record. */
export function stateDigest(s: SavedState): string {
  const { check: _c, fromOffset: _o, ...rest } = s;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/**
 * Saves the state under a random temporary name in the same directory, then renames it into place
 * (two checks at once: the last rename wins, whole). Throws BASELINE_STATE_UNSAFE when the
 * directory is a link, another user's, or group/other-writable; errno errors (ENOSPC, EROFS) as is.
 */
export function writeState(file: string, s: SavedState): void {
  privateDir(dirname(file));
  replaceFile(file, Buffer.from(JSON.stringify(s)));
}

function readState(file: string): SavedState | FullReason | null {
  if (!existsSync(file)) return null;
  try {
    const s = JSON.parse(readNoFollow(file).toString('utf8')) as SavedState;
    if (typeof s.epoch !== 'string' || !Array.isArray(s.paths) || !Number.isInteger(s.from))
      throw new Error('fields missing');
    return s;
  } catch (e) {
    return {
      code: 'BW5110',
      reason: `the saved state of the last check (${file}) is not valid: ${(e as Error).message}`,
    };
  }
}

export type Plan =
  | { mode: 'full'; why: FullReason; position: AgentJournal | null }
  | {
      mode: 'since-last';
      position: AgentJournal;
      state: SavedState;
      /** Changed paths from the journal (absolute, kernel spelling): re-read with their subtree. */
      paths: Buffer[];
      /** Paths that differed or were unreadable at the last check: re-read alone. */
      carried: Buffer[];
      /** Journal lines read (after the last check's start). */
      lines: number;
    };

export interface PlanInput {
  agent: JournalAgent | null;
  stateDir: string;
  roots: string[];
  version: number;
  versionDigest: string;
  /** Only decide whether a position can be recorded (a plain check). */
  recordOnly?: boolean;
}

function full(code: FullReason['code'], reason: string, position: AgentJournal | null = null): Plan {
  return { mode: 'full', why: { code, reason }, position };
}

/** The agent's position, when a check may record it (ready, synced, covering the scope). */
export async function usablePosition(
  agent: JournalAgent | null,
  roots: string[],
): Promise<AgentJournal | FullReason> {
  if (!agent) return { code: 'BW5103', reason: 'no agent is running, so there is no change journal' };
  const p = await agent.position();
  if ('unavailable' in p) return { code: p.code ?? 'BW5103', reason: p.unavailable };
  if (p.failed) return { code: 'BW5110', reason: `the agent's journal is incomplete: ${p.failed}` };
  if (!p.ready)
    return {
      code: 'BW5103',
      reason: 'the agent does not watch any tree for changes (no fanotify sensor, or still starting)',
    };
  if (!p.synced)
    return { code: 'BW5103', reason: 'the agent could not confirm it had read every pending change event' };
  const out = uncovered(roots, p.trees);
  if (out)
    return {
      code: 'BW5111',
      reason: `baseline root ${out} is not inside the trees the agent watches (${p.trees.join(', ')})`,
    };
  const mp = unwatchedMount(roots, p.trees);
  if (mp)
    return {
      code: 'BW5111',
      reason: `another file system is mounted at ${mp} in the scope; the agent does not watch it`,
    };
  return p;
}

export async function planCheck(i: PlanInput): Promise<Plan> {
  const pos = await usablePosition(i.agent, i.roots);
  if ('code' in pos) return { mode: 'full', why: pos, position: null };
  if (i.recordOnly) return full('BW5103', 'a full check was asked for', pos);
  const file = stateFile(i.stateDir);
  // Root or the user running the check may own it; nobody else may be able to write in it.
  const bad = unsafeDir(dirname(file), [0, process.geteuid?.() ?? 0]);
  if (bad && existsSync(dirname(file)))
    return full('BW5114', `the baseline state directory cannot be trusted: ${bad}`, pos);
  const st = readState(file);
  if (st === null) return full('BW5112', 'no earlier check recorded a journal position', pos);
  if ('code' in st) return { mode: 'full', why: st, position: pos };
  if (st.epoch !== pos.epoch)
    return full(
      'BW5108',
      `the agent restarted since the last check (journal epoch ${st.epoch} → ${pos.epoch})`,
      pos,
    );
  if (st.version !== i.version || st.versionDigest !== i.versionDigest)
    return full(
      'BW5112',
      `the baseline changed since the last check (version ${st.version} → ${i.version})`,
      pos,
    );
  if (st.mounts !== mountsDigest(i.roots))
    return full('BW5111', 'mounts at, above or below the baseline roots changed since the last check', pos);
  // The journal where this state directory keeps it, whatever file the agent's answer names.
  const jf = journalFile(i.stateDir);
  let seg = readSegment(jf, st.fromOffset, st.from, pos);
  if (!seg.ok && pos.seq > st.from) {
    // The saved byte offset may be stale: another check compacted the journal meanwhile.
    const at = locateLine(jf, st.from + 1);
    if (at && 'gone' in at)
      return full(
        'BW5112',
        `the journal now starts at line ${at.gone}, after the last check's line ${st.from}: another check compacted it since (if no other check ran, its beginning was removed)`,
        pos,
      );
    if (at && at.offset !== st.fromOffset) seg = readSegment(jf, at.offset, st.from, pos);
  }
  if (!seg.ok) return full('BW5110', `the journal does not verify: ${seg.reason}`, pos);
  return fromSegment(seg.records, st, pos, i.roots);
}

function fromSegment(records: JournalRecord[], st: SavedState, pos: AgentJournal, roots: string[]): Plan {
  const digest = stateDigest(st);
  const mine = records.find((r) => r.s === st.check);
  if (!mine || mine.k !== 'check' || mine.d !== digest || mine.f !== st.from)
    return full(
      'BW5110',
      `the saved state of the last check does not match the journal's record of it (edited?)`,
      pos,
    );
  const paths = new Map<string, Buffer>();
  const add = (b: Buffer): void => void paths.set(b.toString('hex'), b);
  for (const r of records) {
    if (r.k === 'gap')
      return full(
        'BW5109',
        `events may have been lost since the last check: ${r.c}${r.d ? ` (${r.d})` : ''}`,
        pos,
      );
    if (r.k === 'watch') {
      const out = uncovered(roots, r.w);
      if (out)
        return full('BW5111', `baseline root ${out} was not watched for a while since the last check`, pos);
    }
    if (r.k === 'ev') for (const p of r.p) add(Buffer.from(p));
  }
  return {
    mode: 'since-last',
    position: pos,
    state: st,
    paths: [...paths.values()],
    carried: [...st.paths, ...(st.links ?? [])].map((hex) => Buffer.from(hex, 'hex')),
    lines: records.length,
  };
}
