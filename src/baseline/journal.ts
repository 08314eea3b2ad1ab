// The change journal: what the agent saw change, so `baseline check --since-last` can re-read only
// those paths. One file, `<state-dir>/baseline/journal.log`, JSON lines, hash-chained: every line
// carries the SHA-256 (hex) of the line before it in `h`, and the agent keeps the hash of its last
// line (the head) in memory. A reader that verifies the lines from any offset up to the head the
// running agent reports knows they are exactly what that agent wrote: an edited, removed or
// inserted line breaks the chain. Each agent start replaces the file with a new one and begins a
// new epoch (random id): a since-last check across a restart cannot trust anything and runs full.
// Files here are created and read without following links (see state-files.ts).
//
// Record kinds (`k`):
//   epoch  first line: `e` epoch id, `pid`, `t` start time
//   watch  the trees the change sensor watches from here on (`w`); none yet = not ready
//   ev     changed paths (`p`), each meaning "this path, everything below it, and its parent"
//   gap    events may have been lost (`c` cause, `d` detail): a since-last check across it runs full
//   check  a check finished (`f` its start position, `d` digest of the check's saved state)
//
// Hot path (10k+ events/s): paths are de-duplicated since the last check position (a path already
// in the journal since then need not be written again), a batch becomes one line, and lines are
// appended asynchronously, one write at a time; flush() waits for them.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, lstatSync, renameSync, write } from 'node:fs';
import { dirname, join } from 'node:path';
import { BulwarkError } from '../common/errors.js';
import { createTemp, privateDir, readNoFollow, removeQuietly } from './state-files.js';

export const JOURNAL_NAME = 'journal.log';
export const ZERO_HASH = '0'.repeat(64);

/** Distinct paths journalled between two check positions before the agent gives up (a gap). */
export const MAX_PATHS = 100_000;
/** The file is compacted at a check once it is larger than this (bytes). */
export const COMPACT_BYTES = 16 << 20;

export function journalFile(stateDir: string): string {
  return join(stateDir, 'baseline', JOURNAL_NAME);
}

export type JournalRecord =
  | { s: number; k: 'epoch'; e: string; pid: number; t: string; h: string }
  | { s: number; k: 'watch'; w: string[]; h: string }
  | { s: number; k: 'ev'; p: string[]; h: string }
  | { s: number; k: 'gap'; c: string; d?: string; h: string }
  | { s: number; k: 'check'; f: number; d: string; h: string };

type Body = JournalRecord extends infer R ? (R extends JournalRecord ? Omit<R, 's' | 'h'> : never) : never;

export function lineHash(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** Where the journal stands: what a check records as its start and compares with later. */
export interface JournalPosition {
  epoch: string;
  /** Sequence number of the last line written. */
  seq: number;
  /** Hash of that line. */
  head: string;
  /** File length after that line (bytes): the next line starts here. */
  offset: number;
}

/** A gap as the writer receives it from the sensors. */
export interface JournalGap {
  cause: string;
  detail?: string;
}

export class JournalWriter {
  readonly file: string;
  readonly epoch = randomBytes(8).toString('hex');
  private seq = -1;
  private head = ZERO_HASH;
  private length = 0;
  private fd: number;
  private queue: string[] = [];
  private writing = false;
  private waiters: (() => void)[] = [];
  private seen = new Set<string>();
  private overflowed = false;
  private watched: string[] | null = null;
  /** Set when a write failed: the journal can no longer be trusted for this epoch. */
  failed: string | null = null;
  /** Why the last compaction did not happen (the file then just stays longer), if it failed. */
  compactError: string | null = null;

  /**
   * Starts a new epoch in a new file: written under a random name and renamed over `file`, so an
   * existing file (or a hard link to someone else's) is never truncated. Throws
   * BASELINE_STATE_UNSAFE when the directory is not private or `file` is a symbolic link.
   */
  constructor(file: string) {
    this.file = file;
    privateDir(dirname(file));
    refuseLink(file);
    const { tmp, fd } = createTemp(file, Buffer.alloc(0));
    try {
      renameSync(tmp, file);
    } catch (e) {
      closeSync(fd);
      removeQuietly(tmp);
      throw e;
    }
    this.fd = fd;
    this.append({ k: 'epoch', e: this.epoch, pid: process.pid, t: new Date().toISOString() });
  }

  /** True once a watch record says which trees are covered. */
  get ready(): boolean {
    return this.watched !== null && this.watched.length > 0;
  }

  get trees(): string[] {
    return this.watched ?? [];
  }

  private append(body: Body): void {
    this.seq++;
    const line = JSON.stringify({ s: this.seq, ...body, h: this.head });
    this.head = lineHash(line);
    this.queue.push(`${line}\n`);
    this.length += Buffer.byteLength(line) + 1;
    if (!this.writing) this.drain();
  }

  private drain(): void {
    if (this.queue.length === 0) {
      this.writing = false;
      for (const w of this.waiters.splice(0)) w();
      return;
    }
    this.writing = true;
    const data = Buffer.from(this.queue.join(''));
    this.queue = [];
    const done = (err: NodeJS.ErrnoException | null, n?: number): void => {
      if (err || n !== data.length) {
        this.failed ??= err ? `writing ${this.file}: ${err.message}` : `short write to ${this.file}`;
        this.queue = [];
      }
      this.drain();
    };
    write(this.fd, data, 0, data.length, null, done);
  }

  /** Resolves when every line appended so far is in the file. */
  flush(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The trees the change sensor watches from now on (after every rule set change). */
  watch(trees: string[]): void {
    const w = [...new Set(trees)].sort();
    if (this.watched && w.join('\0') === this.watched.join('\0')) return;
    this.watched = w;
    this.append({ k: 'watch', w });
  }

  /**
   * One sensor batch: changed paths (both names of a rename) and gaps. O(1) per event; at most
   * one line per batch (plus one per gap).
   */
  record(paths: Iterable<string>, gaps: JournalGap[] = []): void {
    const out: string[] = [];
    for (const p of paths) {
      if (this.seen.has(p)) continue;
      if (!p.startsWith('/')) {
        // The kernel named the entry but its directory could not be resolved: location unknown.
        gaps.push({ cause: 'unresolved-path', detail: p });
        continue;
      }
      if (this.seen.size >= MAX_PATHS) {
        if (!this.overflowed)
          gaps.push({
            cause: 'journal-full',
            detail: `more than ${MAX_PATHS} paths changed since the last check`,
          });
        this.overflowed = true;
        continue;
      }
      this.seen.add(p);
      out.push(p);
    }
    if (out.length) this.append({ k: 'ev', p: out });
    for (const g of gaps) this.append({ k: 'gap', c: g.cause, ...(g.detail ? { d: g.detail } : {}) });
  }

  /**
   * The position a check starts from. Paths seen before it may change again, so de-duplication
   * starts over here: every path that changes after this position is written after it.
   */
  async position(): Promise<JournalPosition> {
    this.seen = new Set();
    this.overflowed = false;
    const pos = { epoch: this.epoch, seq: this.seq, head: this.head, offset: this.length };
    await this.flush();
    return pos;
  }

  /**
   * Records a finished check (started at position `from`, saved state digest `digest`). When the
   * file is large, drops everything before `fromOffset` (no later check reads it). Returns the check
   * record's line and where `from`'s successor now starts.
   */
  async checked(
    from: number,
    fromOffset: number,
    digest: string,
  ): Promise<{ check: number; fromOffset: number }> {
    this.append({ k: 'check', f: from, d: digest });
    const check = this.seq;
    await this.flush();
    let off = fromOffset;
    // Only with no write in flight: one landing on the old file after the copy would be lost.
    const idle = !this.writing && this.queue.length === 0;
    if (idle && this.length > COMPACT_BYTES && fromOffset > 0 && fromOffset <= this.length && !this.failed) {
      // Copy the tail to a new file, swap it in, and keep appending to it (same chain, same
      // epoch). On failure (disk full...) the old file stays whole and in use.
      try {
        const tail = readNoFollow(this.file).subarray(fromOffset);
        const { tmp, fd } = createTemp(this.file, tail);
        try {
          renameSync(tmp, this.file);
        } catch (e) {
          closeSync(fd);
          removeQuietly(tmp);
          throw e;
        }
        closeSync(this.fd);
        this.fd = fd;
        this.length = tail.length;
        off = 0;
        this.compactError = null;
      } catch (e) {
        this.compactError = `compacting ${this.file}: ${(e as Error).message}`;
      }
    }
    return { check, fromOffset: off };
  }

  async close(): Promise<void> {
    await this.flush();
    closeSync(this.fd);
  }
}

/** A symbolic link (or anything but a regular file) at the journal's name is refused, not replaced. */
function refuseLink(file: string): void {
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return; // none yet
  }
  if (!st.isFile())
    throw new BulwarkError(
      'BASELINE_STATE_UNSAFE',
      `${file} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; refusing to write the journal there (remove it and find out who made it)`,
    );
}
