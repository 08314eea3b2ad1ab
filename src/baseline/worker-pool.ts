// A small pool of hash workers. Batches go round-robin to the least-loaded worker; replies come
// back out of order and are matched by id. At most `maxInFlight` batches are outstanding per
// worker, which bounds memory whatever the tree size.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BatchReply, BatchRequest, WorkerInit } from './hash-worker.js';

interface Slot {
  worker: Worker;
  inFlight: number;
  /** The next batch starts a new scan on this worker (see newScan). */
  reset: boolean;
}

/** The worker script next to this module: .js when built, .ts under tsx (tests). */
function startWorker(init: WorkerInit): Worker {
  const js = new URL('./hash-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: init });
  // Running from source (tests under tsx): Node 20 does not apply --import hooks to a worker's
  // entry, so a tiny bootstrap registers tsx first, then imports the TypeScript worker.
  const ts = new URL('./hash-worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(code, { eval: true, workerData: init });
}

export class WorkerPool {
  private slots: Slot[] = [];
  private pending = new Map<
    number,
    { slot: Slot; resolve: (r: BatchReply) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  /** Batches submitted so far (a kept pool: over all its scans). */
  get submitted(): number {
    return this.nextId - 1;
  }
  private failed: Error | null = null;
  private closing = false;

  /**
   * `kept`: the pool outlives one scan (the agent keeps one for the since-last checks it runs):
   * its workers do not hold the process open, and each scan starts with newScan().
   */
  constructor(
    size: number,
    readonly init: WorkerInit,
    readonly maxInFlight = 3,
    kept = false,
  ) {
    for (let i = 0; i < size; i++) {
      const worker = startWorker(init);
      if (kept) worker.unref();
      const slot: Slot = { worker, inFlight: 0, reset: false };
      worker.on('message', (r: BatchReply) => {
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        slot.inFlight--;
        p.resolve(r);
      });
      worker.on('error', (e) => this.fail(e));
      // A worker ends only when closed: any other exit, even with code 0, fails what waits on it
      // (a batch posted to an ended worker would never be answered).
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`hash worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  /** A worker failed: every batch since was refused, and so will the next ones be. */
  get broken(): boolean {
    return this.failed !== null;
  }

  /** A kept pool's next scan: each worker forgets what the last one read (its link cache). */
  newScan(): void {
    for (const s of this.slots) s.reset = true;
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Whether another batch may be submitted without exceeding the in-flight bound. */
  hasCapacity(): boolean {
    return this.slots.some((s) => s.inFlight < this.maxInFlight);
  }

  /** `paths` from packPaths (hash-worker.ts); its buffer is transferred to the worker. */
  submit(paths: Uint8Array): Promise<BatchReply> {
    if (this.failed) return Promise.reject(this.failed);
    const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    slot.inFlight++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { slot, resolve, reject });
      const req: BatchRequest = slot.reset ? { id, paths, reset: true } : { id, paths };
      slot.reset = false;
      slot.worker.postMessage(req, [paths.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
  }
}
