// How long alerts take from the sensor to each sink: for every committed alert, its age at commit
// (commit wall time minus the alert's own time; for a kernel event, when the sensor read it). Kept
// per sink since the agent started, in logarithmic buckets (about 4 % wide, 10 µs to ~3 h), so
// recording is O(1), memory is fixed, and percentiles are exact to a bucket. `bulwark status`
// shows them; the Prometheus histogram carries the same observations in coarser buckets.

/** Buckets per doubling: bucket bounds grow by 2^(1/16) ≈ 4.4 %. */
export const PER_DOUBLING = 16;
/** Lower bound of bucket 1 (ms); ages below it (clock steps included) count in bucket 0. */
export const MIN_MS = 0.01;
const BUCKETS = PER_DOUBLING * 30;

export interface LatencySummary {
  /** Alerts committed. */
  count: number;
  /** Percentiles and maximum of the age at commit, ms (upper bucket bound; the maximum is exact). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * The non-empty buckets, index → count; bucket i > 0 holds ages below 0.01 ms × 2^(i/16), bucket
   * 0 those up to 0.01 ms. Two summaries subtract to the alerts committed in between.
   */
  buckets: Record<string, number>;
}

class LogHistogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  max = 0;

  add(ms: number): void {
    const b = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log2(ms / MIN_MS) * PER_DOUBLING));
    this.counts[b]++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** Upper bound (ms) of the bucket holding the q-quantile, capped at the maximum seen. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b];
      if (seen >= rank) return Math.min(this.max, MIN_MS * 2 ** (b / PER_DOUBLING));
    }
    return this.max;
  }
}

export class DeliveryLatency {
  private readonly bySink = new Map<string, LogHistogram>();

  record(sink: string, agesMs: readonly number[]): void {
    let h = this.bySink.get(sink);
    if (!h) {
      h = new LogHistogram();
      this.bySink.set(sink, h);
    }
    for (const ms of agesMs) h.add(ms);
  }

  summary(): Record<string, LatencySummary> {
    const out: Record<string, LatencySummary> = {};
    for (const [sink, h] of this.bySink) {
      const r = (x: number): number => Math.round(x * 1000) / 1000;
      const buckets: Record<string, number> = {};
      h.counts.forEach((n, i) => {
        if (n) buckets[i] = n;
      });
      out[sink] = {
        count: h.count,
        p50Ms: r(h.quantile(0.5)),
        p99Ms: r(h.quantile(0.99)),
        maxMs: r(h.max),
        buckets,
      };
    }
    return out;
  }
}
