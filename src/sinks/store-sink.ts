// Store sink: batches of alerts committed to the SQLite store, one transaction each. By default
// the connection lives in a worker thread (store-worker.ts), so SQLite's synchronous work
// (inserts, pruning, WAL checkpoints) never stalls the event loop; the rows are made here and
// posted packed into two strings per batch (packRows), which cross the thread as flat copies. `inline: true` (or an injected clock, which cannot cross threads) keeps the
// connection on this thread. A failed commit (SQLITE_FULL, SQLITE_READONLY, I/O error, a crashed
// worker) rejects the batch: the runner counts it under that code and reopens.
import { Worker } from 'node:worker_threads';
import type { Alert } from '../alert/types.js';
import { formatJson } from '../alert/format.js';
import { AlertStore, packRows, type PackedRows, type StoreOptions, type StoreSummary } from './store.js';
import type { SinkBackend } from './types.js';

export interface StoreSinkOptions extends StoreOptions {
  /** Path of the database file (`<state-dir>/alerts.db`). */
  path: string;
  /** Keep the SQLite connection on the calling thread. Default false (worker thread). */
  inline?: boolean;
  name?: string;
}

interface Reply {
  id: number;
  ok: boolean;
  pruned?: number;
  code?: string;
  message?: string;
}

type Pending = { resolve: (r: Reply) => void; reject: (e: Error) => void };

/** This file's sibling, .ts when running from source (tests, tsx) and .js when built. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './store-worker.ts' : './store-worker.js', import.meta.url);

function replyError(r: Reply): Error {
  return Object.assign(new Error(r.message ?? 'store write failed'), { code: r.code ?? 'error' });
}

export class StoreSink implements SinkBackend {
  readonly name: string;
  private store: AlertStore | undefined;
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Rows pruned by this sink's inserts since it started. */
  pruned = 0;

  constructor(private readonly opts: StoreSinkOptions) {
    this.name = opts.name ?? 'store';
  }

  private get inline(): boolean {
    return this.opts.inline === true || this.opts.now !== undefined;
  }

  async open(): Promise<void> {
    if (this.inline) {
      this.store ??= AlertStore.open(this.opts.path, this.opts);
      return;
    }
    if (this.worker) return;
    const storeOpts: StoreOptions = { maxRows: this.opts.maxRows, maxAgeSec: this.opts.maxAgeSec };
    const workerData = { path: this.opts.path, opts: storeOpts };
    // From source (tests run TypeScript through tsx), the worker registers tsx before loading
    // the .ts entry; the built agent loads store-worker.js directly.
    const worker = FROM_SOURCE
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
            `.then((t) => { t.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`,
          { eval: true, workerData },
        )
      : new Worker(WORKER_URL, { workerData });
    const ready = new Promise<Reply>((resolve, reject) => this.pending.set(0, { resolve, reject }));
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      p.resolve(r);
    });
    const fail = (e: Error): void => {
      for (const p of this.pending.values())
        p.reject(Object.assign(e, { code: (e as { code?: string }).code ?? 'EWORKER' }));
      this.pending.clear();
      if (this.worker === worker) this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) =>
      fail(Object.assign(new Error(`store worker exited (${code})`), { code: 'EWORKER' })),
    );
    this.worker = worker;
    const r = await ready;
    if (!r.ok) {
      this.worker = undefined;
      await worker.terminate();
      throw replyError(r);
    }
  }

  private call(msg: { op: 'insert'; rows: PackedRows } | { op: 'close' }): Promise<Reply> {
    const worker = this.worker;
    if (!worker)
      return Promise.reject(Object.assign(new Error('store worker is not running'), { code: 'EWORKER' }));
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...msg });
    });
  }

  async write(batch: readonly Alert[]): Promise<void> {
    if (this.inline) {
      if (!this.store) await this.open();
      this.pruned += (this.store as AlertStore).insert(batch);
      return;
    }
    // The JSON lines are already rendered (and cached) for the other sinks.
    const r = await this.call({ op: 'insert', rows: packRows(batch, formatJson) });
    if (!r.ok) throw replyError(r);
    this.pruned += r.pruned ?? 0;
  }

  /** Row counts and pruning totals of the store file (opens it read-only for a moment). */
  summary(): StoreSummary | undefined {
    if (this.store) return this.store.summary();
    try {
      const s = AlertStore.open(this.opts.path, { readonly: true });
      try {
        return s.summary();
      } finally {
        s.close();
      }
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    const s = this.store;
    this.store = undefined;
    s?.close();
    const w = this.worker;
    if (!w) return;
    await this.call({ op: 'close' }).catch(() => undefined);
    this.worker = undefined;
    await w.terminate();
  }
}
