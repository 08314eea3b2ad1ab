// The scanner: the walker (main thread) feeds batches of paths to a pool of hash workers, whose
// replies are re-ordered so entries come out in key order, ready for a streaming insert or a
// merge-join against the stored baseline. Memory is bounded by the in-flight batches and the
// walker's directory stack, not by the tree size.
import { cpus } from 'node:os';
import { WorkerPool } from './worker-pool.js';
import { walk, type WalkItem } from './walk.js';
import type { DigestAlgo, Entry } from './types.js';

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

export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, cpus().length));
}

/** Scans the scope and yields entries in key order. Always terminates its workers. */
export async function* scanEntries(opts: ScanOptions): AsyncGenerator<Entry> {
  const pool = new WorkerPool(
    opts.workers ?? defaultWorkers(),
    {
      algos: opts.algos,
      wantAttrs: opts.wantAttrs ?? true,
      bufferSize: 1 << 20,
    },
    4,
  );
  const batchSize = opts.batchSize ?? 128;
  const walker = walk(opts.roots, opts.excluded);
  const queue: Pending[] = [];
  const progress: ScanProgress = { entries: 0, files: 0, bytes: 0, done: false };
  let walkDone = false;
  try {
    for (;;) {
      while (!walkDone && pool.hasCapacity()) {
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
        const reply = pool.submit(items.map((i) => i.path));
        reply.catch(() => undefined); // surfaced when awaited in order below
        queue.push({ items, reply });
      }
      const head = queue.shift();
      if (!head) break;
      const r = await head.reply;
      progress.bytes += r.bytes;
      for (let i = 0; i < r.entries.length; i++) {
        const e = r.entries[i];
        if (!e) continue; // vanished between listing and lstat: simply not there
        reviveEntry(e);
        const walkErr = head.items[i].error;
        if (walkErr) e.error = e.error ? `${e.error}; ${walkErr}` : walkErr;
        progress.entries++;
        if (e.type === 'f') progress.files++;
        yield e;
      }
      opts.onProgress?.(progress);
    }
    progress.done = true;
    opts.onProgress?.(progress);
  } finally {
    await pool.close();
  }
}

const asBuf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Structured clone turns Buffers into plain Uint8Arrays; make them Buffers again. */
function reviveEntry(e: Entry): void {
  e.key = asBuf(e.key);
  if (e.target) e.target = asBuf(e.target);
  if (e.xattrs) e.xattrs = asBuf(e.xattrs);
  if (e.acl) e.acl = asBuf(e.acl);
  if (e.selinux) e.selinux = asBuf(e.selinux);
  if (e.caps) e.caps = asBuf(e.caps);
  for (const k of Object.keys(e.digests) as DigestAlgo[]) {
    const d = e.digests[k];
    if (d) e.digests[k] = asBuf(d);
  }
}
