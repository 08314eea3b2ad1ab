// Store sink: batches of alerts committed to the SQLite store in one transaction each. SQLite
// calls are synchronous, so a batch runs on the event loop; batches are bounded (default 1000
// rows, a few ms) so other work interleaves. A failed commit (SQLITE_FULL, SQLITE_READONLY, I/O
// error) is counted by the runner under the SQLite code and the store is reopened.
import type { Alert } from '../alert/types.js';
import { AlertStore, type StoreOptions, type StoreSummary } from './store.js';
import type { SinkBackend } from './types.js';

export interface StoreSinkOptions extends StoreOptions {
  /** Path of the database file (`<state-dir>/alerts.db`). */
  path: string;
  name?: string;
}

export class StoreSink implements SinkBackend {
  readonly name: string;
  private store: AlertStore | undefined;
  /** Rows pruned by this sink's inserts since it started. */
  pruned = 0;

  constructor(private readonly opts: StoreSinkOptions) {
    this.name = opts.name ?? 'store';
  }

  async open(): Promise<void> {
    if (!this.store) this.store = AlertStore.open(this.opts.path, this.opts);
  }

  async write(batch: readonly Alert[]): Promise<void> {
    if (!this.store) await this.open();
    this.pruned += (this.store as AlertStore).insert(batch);
  }

  /** Row counts and pruning totals, read from the open store (undefined before the first open). */
  summary(): StoreSummary | undefined {
    return this.store?.summary();
  }

  async close(): Promise<void> {
    const s = this.store;
    this.store = undefined;
    s?.close();
  }
}
