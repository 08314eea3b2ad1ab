// Alert throttling per workload, with KubeArmor's semantics and defaults (feeder
// ShouldDropAlertsPerContainer; `alertThrottling` true, `maxAlertPerSec` 10, `throttleSec` 30):
// alerts are counted in one-second windows per workload; the alert that exceeds the limit trips
// the throttle, which emits one `SystemEvent` / `AlertThreshold` alert and then drops every alert
// of that workload for `throttleSec`. Unlike KubeArmor, what was dropped is counted per workload
// and reported, never just lost. The clock is injectable so tests are deterministic.
import type { Alert } from './types.js';
import { unixSeconds, updatedTime } from './time.js';

export interface ThrottleOptions {
  /** False disables throttling (every alert passes). Default true. */
  enabled?: boolean;
  /** Alerts per second per workload before tripping. Default 10. */
  maxPerSec?: number;
  /** Seconds alerts are dropped once tripped. Default 30. */
  throttleSec?: number;
  /** Clock in epoch milliseconds. Default Date.now. */
  now?: () => number;
  /** Workloads remembered at most; the idlest are forgotten first (their counts stay in totals). */
  maxWorkloads?: number;
}

export interface ThrottleDecision {
  /** Whether the alert should be delivered. */
  pass: boolean;
  /** The AlertThreshold alert to deliver (once, when the throttle trips). */
  threshold?: Alert;
  /** Set on the first alert after a drop window ended: how many alerts that window suppressed. */
  resumed?: { workload: string; suppressed: number };
}

export interface WorkloadThrottleStats {
  workload: string;
  suppressed: number;
  trips: number;
  throttled: boolean;
}

export interface ThrottleStats {
  enabled: boolean;
  maxPerSec: number;
  throttleSec: number;
  /** Alerts that passed and alerts suppressed, since start. */
  passed: number;
  suppressed: number;
  trips: number;
  /** Per workload, most suppressed first (at most 50 listed). */
  workloads: WorkloadThrottleStats[];
}

interface State {
  windowStart: number;
  count: number;
  throttledUntil: number;
  windowSuppressed: number;
  suppressed: number;
  trips: number;
  lastSeen: number;
}

/** The throttle key: the container id, else namespace/pod, else namespace, else the host. */
export function workloadKey(a: Alert): string {
  if (a.ContainerID) return a.ContainerID;
  if (a.PodName) return `${a.NamespaceName ?? ''}/${a.PodName}`;
  if (a.NamespaceName) return `${a.NamespaceName}/`;
  return `host:${a.HostName}`;
}

/**
 * The `SystemEvent` alert KubeArmor sends when a workload's alerts start being dropped: the
 * workload's identity, `Operation: AlertThreshold`, and the throttle settings.
 */
export function thresholdAlert(
  sample: Alert,
  opts: { maxPerSec: number; throttleSec: number; nowMs: number },
): Alert {
  const a: Alert = {
    Timestamp: unixSeconds(opts.nowMs),
    UpdatedTime: updatedTime(opts.nowMs),
    ClusterName: sample.ClusterName,
    HostName: sample.HostName,
    PPID: 0,
    UID: 0,
    Type: 'SystemEvent',
    Operation: 'AlertThreshold',
    Message: `Alert threshold reached: more than ${opts.maxPerSec} alerts/s, dropping this workload's alerts for ${opts.throttleSec} s`,
    MaxAlertsPerSec: opts.maxPerSec,
    DroppingAlertsInterval: opts.throttleSec,
  };
  for (const k of [
    'NamespaceName',
    'Owner',
    'PodName',
    'Labels',
    'ContainerID',
    'ContainerName',
    'ContainerImage',
  ] as const) {
    if (sample[k] !== undefined) (a as unknown as Record<string, unknown>)[k] = sample[k];
  }
  return a;
}

export class AlertThrottle {
  readonly enabled: boolean;
  readonly maxPerSec: number;
  readonly throttleSec: number;
  private readonly now: () => number;
  private readonly maxWorkloads: number;
  private readonly states = new Map<string, State>();
  private passed = 0;
  private suppressed = 0;
  private trips = 0;

  constructor(opts: ThrottleOptions = {}) {
    this.enabled = opts.enabled ?? true;
    this.maxPerSec = opts.maxPerSec ?? 10;
    this.throttleSec = opts.throttleSec ?? 30;
    this.now = opts.now ?? Date.now;
    this.maxWorkloads = opts.maxWorkloads ?? 10_000;
  }

  /** Decides for one alert. SystemEvent alerts always pass and do not count. O(1). */
  admit(alert: Alert): ThrottleDecision {
    if (!this.enabled || alert.Type === 'SystemEvent') {
      this.passed++;
      return { pass: true };
    }
    const now = this.now();
    const key = workloadKey(alert);
    let st = this.states.get(key);
    if (!st) {
      if (this.states.size >= this.maxWorkloads) this.evict();
      st = {
        windowStart: now,
        count: 0,
        throttledUntil: 0,
        windowSuppressed: 0,
        suppressed: 0,
        trips: 0,
        lastSeen: now,
      };
      this.states.set(key, st);
    }
    st.lastSeen = now;
    let resumed: ThrottleDecision['resumed'];
    if (st.throttledUntil > 0) {
      if (now < st.throttledUntil) {
        st.windowSuppressed++;
        st.suppressed++;
        this.suppressed++;
        return { pass: false };
      }
      resumed = { workload: key, suppressed: st.windowSuppressed };
      st.throttledUntil = 0;
      st.windowSuppressed = 0;
      st.windowStart = now;
      st.count = 0;
    }
    if (now - st.windowStart >= 1000) {
      st.windowStart = now;
      st.count = 0;
    }
    st.count++;
    if (st.count > this.maxPerSec) {
      // The alert that exceeds the limit is the first one dropped, as in KubeArmor.
      st.throttledUntil = now + this.throttleSec * 1000;
      st.windowSuppressed = 1;
      st.suppressed++;
      st.trips++;
      this.suppressed++;
      this.trips++;
      const threshold = thresholdAlert(alert, {
        maxPerSec: this.maxPerSec,
        throttleSec: this.throttleSec,
        nowMs: now,
      });
      return resumed ? { pass: false, threshold, resumed } : { pass: false, threshold };
    }
    this.passed++;
    return resumed ? { pass: true, resumed } : { pass: true };
  }

  stats(): ThrottleStats {
    const now = this.now();
    const workloads = [...this.states.entries()]
      .filter(([, s]) => s.suppressed > 0)
      .map(([workload, s]) => ({
        workload,
        suppressed: s.suppressed,
        trips: s.trips,
        throttled: now < s.throttledUntil,
      }))
      .sort((a, b) => b.suppressed - a.suppressed)
      .slice(0, 50);
    return {
      enabled: this.enabled,
      maxPerSec: this.maxPerSec,
      throttleSec: this.throttleSec,
      passed: this.passed,
      suppressed: this.suppressed,
      trips: this.trips,
      workloads,
    };
  }

  /** Forgets the tenth of workloads seen least recently and not currently throttled. */
  private evict(): void {
    const now = this.now();
    const idle = [...this.states.entries()]
      .filter(([, s]) => now >= s.throttledUntil)
      .sort((a, b) => a[1].lastSeen - b[1].lastSeen);
    const n = Math.max(1, Math.floor(this.maxWorkloads / 10));
    for (const [k] of idle.slice(0, n)) this.states.delete(k);
  }
}
