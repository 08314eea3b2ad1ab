// Contracts of the sink stage. A sink backend does the I/O for one destination; a SinkRunner
// (queue.ts) puts it behind a bounded queue so the event path only ever does an O(1) push.
import type { Alert } from '../alert/types.js';

/**
 * One destination. The runner calls open() before the first batch and again after a failure
 * (with backoff); write() resolves once the batch is committed as far as the sink can tell (written
 * to the file descriptor, handed to the socket, committed in SQLite) and rejects on failure, after
 * which the runner counts the batch as dropped under the error's code and reopens.
 */
export interface SinkBackend {
  readonly name: string;
  open(): Promise<void>;
  write(batch: readonly Alert[]): Promise<void>;
  close(): Promise<void>;
}

export type SinkState = 'idle' | 'open' | 'backoff' | 'closed';

export interface SinkStats {
  name: string;
  state: SinkState;
  /** Alerts accepted by write() (queued), delivered (committed), and dropped. */
  accepted: number;
  delivered: number;
  dropped: number;
  /** Drops by cause: `queue-full`, `closed`, or the error code of a failed write (`EPIPE`, ...). */
  droppedBy: Record<string, number>;
  /** Alerts waiting in the queue, and its capacity. */
  queued: number;
  capacity: number;
  /** Failed opens or writes, and successful reopens after a failure. */
  failures: number;
  reconnects: number;
  lastError?: string;
}

export interface SinkSetStats {
  sinks: SinkStats[];
  /** Sums over the sinks (an alert fanned out to 3 sinks counts 3 times). */
  totals: {
    accepted: number;
    delivered: number;
    dropped: number;
    queued: number;
    droppedBy: Record<string, number>;
  };
}

/** Queue settings of one sink. */
export interface QueueOptions {
  /** Alerts the queue holds before new ones are dropped (`queue-full`). Default 10000. */
  capacity?: number;
  /** Alerts per write() call at most. Default 256 (store: 1000). */
  batchSize?: number;
  /** First and longest wait before reopening a failed sink, in ms. Default 100 and 5000. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

/** Something a SinkSet reports to its owner (the agent logs these as BW61xx warnings). */
export type SinkEvent =
  | { kind: 'failed'; sink: string; code: string; message: string; dropped: number }
  | { kind: 'recovered'; sink: string; downMs: number }
  | { kind: 'dropped'; sink: string; cause: string; count: number };

/**
 * Called after every committed batch with, for each alert, the write()→commit latency (ms) and
 * the alert's age at commit (ms): commit wall time minus the alert's own time (UpdatedTime, which
 * for a kernel event is when the sensor read it), so the whole event path is covered.
 */
export type LatencyObserver = (
  sink: string,
  latenciesMs: readonly number[],
  agesMs: readonly number[],
) => void;
