// The bounded queue in front of every sink. push() is O(1) and never waits: when the queue is full
// the alert is dropped and counted. A drain loop hands batches to the backend; a failed batch is
// counted under its error code and the backend is reopened with exponential backoff, while new
// alerts keep queueing (up to capacity). Nothing is lost without being counted.
import { alertMicros } from '../alert/time.js';
import type { Alert } from '../alert/types.js';
import type { LatencyObserver, QueueOptions, SinkBackend, SinkEvent, SinkState, SinkStats } from './types.js';

/** Fixed-capacity FIFO on a circular array: O(1) push and shift, no reallocation. */
export class RingQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** False when full (the item is not added). */
  push(item: T): boolean {
    if (this.size >= this.capacity) return false;
    this.items[(this.head + this.size) % this.capacity] = item;
    this.size++;
    return true;
  }

  /** Removes and returns up to n items from the front. */
  take(n: number): T[] {
    const k = Math.min(n, this.size);
    const out = new Array<T>(k);
    for (let i = 0; i < k; i++) {
      out[i] = this.items[this.head] as T;
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.size -= k;
    return out;
  }
}

interface Entry {
  alert: Alert;
  /** performance.now() at push, for write()→commit latency. */
  t: number;
}

export interface RunnerOptions extends QueueOptions {
  onEvent?: (e: SinkEvent) => void;
  onLatency?: LatencyObserver;
}

/**
 * Wall-clock time in ms with sub-millisecond resolution: performance.timeOrigin + now(), which
 * does not follow clock steps (NTP at boot, a suspend), re-anchored to Date.now() when the two
 * have drifted apart by more than 2 ms (checked at most once a second).
 */
let wallOffset = performance.timeOrigin;
let wallChecked = -Infinity;
function wallMs(): number {
  const now = performance.now();
  if (now - wallChecked > 1000) {
    wallChecked = now;
    const date = Date.now();
    if (Math.abs(date - (wallOffset + now)) > 2) wallOffset = date - now;
  }
  return wallOffset + now;
}

function errCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code ? code : 'error';
}

export class SinkRunner {
  readonly name: string;
  private readonly queue: RingQueue<Entry>;
  private readonly batchSize: number;
  private readonly backoffMin: number;
  private readonly backoffMax: number;
  private state: SinkState = 'idle';
  private draining = false;
  private backoff: number;
  private backoffTimer: NodeJS.Timeout | undefined;
  private downSince = 0;
  private idleWaiters: (() => void)[] = [];
  private pendingDropReport = 0;
  private lastDropReport = 0;
  private readonly s = { accepted: 0, delivered: 0, dropped: 0, failures: 0, reconnects: 0 };
  private readonly droppedBy: Record<string, number> = {};
  private lastError: string | undefined;
  private closing: Promise<void> = Promise.resolve();

  constructor(
    private readonly backend: SinkBackend,
    private readonly opts: RunnerOptions = {},
  ) {
    this.name = backend.name;
    this.queue = new RingQueue<Entry>(opts.capacity ?? 10_000);
    this.batchSize = opts.batchSize ?? 256;
    this.backoffMin = opts.backoffMinMs ?? 100;
    this.backoffMax = opts.backoffMaxMs ?? 5000;
    this.backoff = this.backoffMin;
  }

  /** Queues one alert; O(1), never blocks, never throws. False when it was dropped. */
  push(alert: Alert): boolean {
    if (this.state === 'closed') {
      this.drop('closed', 1);
      return false;
    }
    if (!this.queue.push({ alert, t: performance.now() })) {
      this.drop('queue-full', 1);
      return false;
    }
    this.s.accepted++;
    if (!this.draining && this.state !== 'backoff') {
      this.draining = true;
      setImmediate(() => void this.drain());
    }
    return true;
  }

  stats(): SinkStats {
    return {
      name: this.name,
      state: this.state,
      ...this.s,
      droppedBy: { ...this.droppedBy },
      queued: this.queue.length,
      capacity: this.queue.capacity,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /**
   * Resolves true once everything queued so far is committed or counted, false after timeoutMs
   * (a sink in backoff may never drain).
   */
  flush(timeoutMs = 5000): Promise<boolean> {
    if (this.queue.length === 0 && !this.draining) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  /** Flushes (bounded by timeoutMs), counts what is left as `closed`, closes the backend. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state !== 'backoff') await this.flush(timeoutMs);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    const left = this.queue.take(this.queue.length).length;
    if (left) this.drop('closed', left);
    this.state = 'closed';
    this.notifyIdle();
    await this.closing;
    await this.backend.close().catch(() => undefined);
  }

  private drop(cause: string, n: number): void {
    this.s.dropped += n;
    this.droppedBy[cause] = (this.droppedBy[cause] ?? 0) + n;
    if (cause !== 'queue-full' || !this.opts.onEvent) return;
    // Queue-full drops come in bursts: report at most one event per second, with the count.
    this.pendingDropReport += n;
    const now = Date.now();
    if (now - this.lastDropReport >= 1000) {
      this.opts.onEvent({ kind: 'dropped', sink: this.name, cause, count: this.pendingDropReport });
      this.pendingDropReport = 0;
      this.lastDropReport = now;
    }
  }

  /**
   * Opens the backend now rather than at the first alert, so startup errors show at once and the
   * first alerts do not wait for a connection. Failures are handled as in drain (backoff, events).
   */
  async open(): Promise<void> {
    if (this.state !== 'idle' || this.draining) return;
    this.draining = true;
    await this.drain(true);
  }

  private async drain(openOnly = false): Promise<void> {
    try {
      while ((this.queue.length > 0 || openOnly) && this.state !== 'closed') {
        if (this.state !== 'open') {
          try {
            await this.closing;
            await this.backend.open();
          } catch (e) {
            this.fail(e, []);
            return;
          }
          if (this.downSince) {
            this.s.reconnects++;
            this.opts.onEvent?.({ kind: 'recovered', sink: this.name, downMs: Date.now() - this.downSince });
            this.downSince = 0;
          }
          this.state = 'open';
        }
        if (openOnly) {
          openOnly = false;
          continue;
        }
        const batch = this.queue.take(this.batchSize);
        try {
          await this.backend.write(batch.map((e) => e.alert));
        } catch (e) {
          this.fail(e, batch);
          return;
        }
        this.s.delivered += batch.length;
        this.backoff = this.backoffMin;
        if (this.opts.onLatency) {
          const now = performance.now();
          const wallUs = wallMs() * 1000;
          this.opts.onLatency(
            this.name,
            batch.map((e) => now - e.t),
            batch.map((e) => (wallUs - alertMicros(e.alert)) / 1000),
          );
        }
      }
    } finally {
      if (this.state !== 'backoff') this.draining = false;
      if (this.queue.length === 0 || this.state === 'closed') this.notifyIdle();
    }
  }

  /** Counts the failed batch, then reopens after the backoff delay. */
  private fail(e: unknown, batch: Entry[]): void {
    const code = errCode(e);
    this.s.failures++;
    this.lastError = `${code}: ${e instanceof Error ? e.message : String(e)}`;
    if (batch.length) this.drop(code, batch.length);
    if (!this.downSince) this.downSince = Date.now();
    this.opts.onEvent?.({
      kind: 'failed',
      sink: this.name,
      code,
      message: e instanceof Error ? e.message : String(e),
      dropped: batch.length,
    });
    this.closing = this.backend.close().catch(() => undefined);
    if (this.state === 'closed') return;
    this.state = 'backoff';
    const delay = this.backoff;
    this.backoff = Math.min(this.backoffMax, this.backoff * 2);
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      if (this.state !== 'backoff') return;
      this.state = 'idle';
      this.draining = this.queue.length > 0;
      if (this.draining) void this.drain();
      else this.notifyIdle();
    }, delay);
    this.backoffTimer.unref();
  }

  private notifyIdle(): void {
    if (this.queue.length > 0 && this.state !== 'closed') return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}
