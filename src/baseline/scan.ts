// The scanner: the walker (main thread) feeds batches of paths to a pool of hash workers, whose
// packed replies are re-ordered so rows come out in key order, ready for a streaming insert or a
// merge-join against the stored baseline. Memory is bounded by the in-flight batches and the
// walker's directory stack, not by the tree size.
import { cpus } from 'node:os';
import { WorkerPool } from './worker-pool.js';
import type { WorkerInit } from './hash-worker.js';
import { packPaths } from './hash-worker-paths.js';
import { walk, type WalkItem } from './walk.js';
import { decodeEntry, encodeEntry, recordType, type Row } from './record.js';
import { loadNative } from './native.js';
import { readEntry, type ReadContext } from './read-entry.js';
import type { DigestAlgo } from './types.js';

export interface ScanOptions {
  roots: Buffer[];
  excluded: (path: Buffer) => boolean;
  algos: DigestAlgo[];
  /** Read xattrs, ACLs, SELinux, capabilities and inode flags (needs the native helper). */
  wantAttrs?: boolean;
  /** Hash workers; default min(2, CPUs). */
  workers?: number;
  /** Paths per batch sent to a worker. */
  batchSize?: number;
  onProgress?: (p: ScanProgress) => void;
  /** Paths to read instead of walking the roots (since-last targets), in key order. */
  items?: Iterator<WalkItem>;
  /**
   * Read on this thread, without workers: for a few thousand paths (a since-last check) starting
   * the workers costs more than the reading.
   */
  inline?: boolean;
  /** Workers kept between scans by the caller (not stopped here); `workers` is then ignored. */
  pool?: WorkerPool;
}

export interface ScanProgress {
  entries: number;
  files: number;
  bytes: number;
  done: boolean;
}

interface Pending {
  items: WalkItem[];
  reply: ReturnType<WorkerPool['submit']>;
}

// Completed batches waiting for in-order delivery behind a slow head (a batch of large files):
// enough that the other worker keeps going meanwhile (96 left it idle for 0.3-0.5 s behind the
// large binaries of /usr/lib), about 25 MB at most.
const MAX_QUEUED = 512;

// Batches in flight per worker: enough to ride over main-thread pauses (a store page, a package
// lookup), few enough that the workers finish together (16 left one idle for up to 0.3 s at the
// end while the other worked through its queue).
const IN_FLIGHT = 8;

/** What the workers of a scan with these options are started with. */
export function workerInit(opts: Pick<ScanOptions, 'algos' | 'wantAttrs'>): WorkerInit {
  return { algos: opts.algos, wantAttrs: opts.wantAttrs ?? true, bufferSize: 1 << 20 };
}

/**
 * A pool to keep between scans (the agent's since-last checks): started once, closed by the
 * caller; its workers forget each scan's link cache at the next (newScan).
 */
export function keptPool(algos: DigestAlgo[]): WorkerPool {
  return new WorkerPool(defaultWorkers(), workerInit({ algos }), KEPT_IN_FLIGHT, true);
}

/**
 * A since-last check's few thousand paths through kept workers: small batches, two in flight per
 * worker, so that batches go to whichever worker is free and one large file (a 32 MB compiler in
 * /usr/lib) does not leave a hundred other files waiting behind it on the same worker.
 */
const KEPT_IN_FLIGHT = 2;
export const KEPT_BATCH = 16;

export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, cpus().length));
}

/** Unpacks a worker reply: rows in request order, null for paths that vanished. */
function unpack(packed: Uint8Array, count: number): Array<Row | null> {
  const b = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const out: Array<Row | null> = [];
  let o = 0;
  for (let i = 0; i < count; i++) {
    const kl = b.readUInt32LE(o);
    const key = b.subarray(o + 4, o + 4 + kl);
    o += 4 + kl;
    const rl = b.readUInt32LE(o);
    const rec = b.subarray(o + 4, o + 4 + rl);
    o += 4 + rl;
    out.push(rl === 0 ? null : { key, rec });
  }
  return out;
}

/** A walk item read into a row (null: vanished), with the listing error folded into its record. */
function rowOf(item: WalkItem, row: Row | null): Row | null {
  if (!row || !item.error) return row;
  // A directory that could not be listed: the reason goes into its record.
  const e = decodeEntry(row.key, row.rec);
  e.error = e.error ? `${e.error}; ${item.error}` : item.error;
  return { key: row.key, rec: encodeEntry(e) };
}

async function* scanInline(opts: ScanOptions): AsyncGenerator<Row[]> {
  const ctx: ReadContext = {
    algos: opts.algos,
    buf: Buffer.allocUnsafe(1 << 20),
    native: loadNative(),
    noatime: true,
    wantAttrs: opts.wantAttrs ?? true,
    links: new Map(),
  };
  const walker = opts.items ?? walk(opts.roots, opts.excluded);
  const progress: ScanProgress = { entries: 0, files: 0, bytes: 0, done: false };
  let out: Row[] = [];
  for (let n = walker.next(); !n.done; n = walker.next()) {
    const r = readEntry(n.value.path, ctx);
    progress.bytes += r.bytes;
    const row = rowOf(n.value, r.entry ? { key: r.entry.key, rec: encodeEntry(r.entry) } : null);
    if (!row) continue;
    progress.entries++;
    if (recordType(row.rec) === 'f') progress.files++;
    out.push(row);
    if (out.length >= (opts.batchSize ?? 128)) {
      opts.onProgress?.(progress);
      yield out;
      out = [];
    }
  }
  if (out.length) yield out;
  progress.done = true;
  opts.onProgress?.(progress);
}

/** Scans the scope and yields rows in key order, a batch at a time. Always stops its workers. */
export async function* scanRows(opts: ScanOptions): AsyncGenerator<Row[]> {
  if (opts.inline) {
    yield* scanInline(opts);
    return;
  }
  const pool = opts.pool ?? new WorkerPool(opts.workers ?? defaultWorkers(), workerInit(opts), IN_FLIGHT);
  opts.pool?.newScan();
  const batchSize = opts.batchSize ?? 128;
  const walker = opts.items ?? walk(opts.roots, opts.excluded);
  const queue: Pending[] = [];
  const progress: ScanProgress = { entries: 0, files: 0, bytes: 0, done: false };
  let walkDone = false;
  // Set when the scan ends, also early (the consumer stopped): replies still in flight must not
  // send more batches, to kept workers least of all (the next scan would wait behind them).
  let stopped = false;
  // Keeps every worker fed: called now and whenever any batch completes, so a slow batch at the
  // head of the (ordered) queue does not leave the other worker idle.
  const pump = (): void => {
    // At most MAX_QUEUED batches wait for in-order delivery: memory stays bounded behind a slow head.
    while (!stopped && !walkDone && pool.hasCapacity() && queue.length < MAX_QUEUED) {
      const items: WalkItem[] = [];
      while (items.length < batchSize) {
        const n = walker.next();
        if (n.done) {
          walkDone = true;
          break;
        }
        items.push(n.value);
      }
      if (items.length === 0) break;
      const reply = pool.submit(packPaths(items.map((i) => i.path)));
      reply.then(pump, () => undefined); // errors surface when awaited in order below
      queue.push({ items, reply });
    }
  };
  try {
    for (;;) {
      pump();
      const head = queue.shift();
      if (!head) break;
      const r = await head.reply;
      progress.bytes += r.bytes;
      const rows = unpack(r.packed, head.items.length);
      const out: Row[] = [];
      for (let i = 0; i < rows.length; i++) {
        // null: vanished between listing and lstat, simply not there
        const row = rowOf(head.items[i], rows[i]);
        if (!row) continue;
        progress.entries++;
        if (recordType(row.rec) === 'f') progress.files++;
        out.push(row);
      }
      opts.onProgress?.(progress);
      if (out.length) yield out;
    }
    progress.done = true;
    opts.onProgress?.(progress);
  } finally {
    stopped = true;
    if (!opts.pool) await pool.close();
  }
}
