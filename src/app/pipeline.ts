// The event path: sensor batches → enrich → engine → alert → throttle → sinks and subscribers.
// Runs on the JS thread, one batch at a time; every step is O(1) per event apart from decide()
// (O(path depth)). An event that fails to enrich or match is counted, never thrown.
import { alertFromGap, alertFromMatch } from '../alert/from-event.js';
import type { AlertThrottle } from '../alert/throttle.js';
import type { Alert } from '../alert/types.js';
import { matchEvent } from '../engine/match.js';
import type { EngineEvent, HostFields } from '../engine/types.js';
import type { RuleSet } from '../policy/types.js';
import type { SensorEvent, ChangeEvent, DenialEvent } from '../sensor/types.js';

/**
 * Turns a kernel event into the engine's input. 'foreign' marks an event that is not the agent's
 * business (a Landlock denial of a sandbox some other program made): counted, no alert.
 */
export type EnrichFn = (ev: DenialEvent | ChangeEvent) => EngineEvent | 'foreign';

export interface PipelineStats {
  events: number;
  denials: number;
  changes: number;
  gaps: number;
  alerts: number;
  /** Events with no alert (allowed, permitted). */
  quiet: number;
  /** Events whose process or workload could not be fully attributed. */
  incomplete: number;
  /** Landlock denials of sandboxes that are not this agent's workloads (not alerted). */
  foreign: number;
  errors: number;
  throttled: number;
  /** Share of alerted events with complete attribution, 0..1 (1 when none yet). */
  attribution: number;
}

export interface PipelineOptions {
  ruleSet: () => RuleSet;
  enrich: EnrichFn;
  host: HostFields;
  throttle: AlertThrottle;
  /** Receives every alert that passed the throttle (sinks, gRPC subscribers, tests). */
  emit: (alert: Alert) => void;
  /** Called for each decided event with its operation and verdict (metrics). */
  observe?: (op: string, verdict: string) => void;
  /** Called for each gap (the agent schedules a baseline re-check). */
  onGap?: (ev: SensorEvent & { kind: 'gap' }) => void;
  onError?: (err: unknown, ev: SensorEvent) => void;
}

export class Pipeline {
  private readonly o: PipelineOptions;
  private complete = 0;
  readonly counters = {
    events: 0,
    denials: 0,
    changes: 0,
    gaps: 0,
    alerts: 0,
    quiet: 0,
    incomplete: 0,
    foreign: 0,
    errors: 0,
    throttled: 0,
  };

  constructor(o: PipelineOptions) {
    this.o = o;
  }

  handleBatch(events: SensorEvent[]): void {
    for (const ev of events) this.handle(ev);
  }

  handle(ev: SensorEvent): void {
    const c = this.counters;
    c.events++;
    try {
      if (ev.kind === 'gap') {
        c.gaps++;
        this.publish(alertFromGap(ev, this.o.host));
        this.o.onGap?.(ev);
        return;
      }
      if (ev.kind === 'denial') c.denials++;
      else c.changes++;
      const input = this.o.enrich(ev);
      if (input === 'foreign') {
        c.foreign++;
        return;
      }
      const rs = this.o.ruleSet();
      const m = matchEvent(rs, input);
      this.o.observe?.(ev.op, m ? m.decision.verdict : 'allow');
      if (!m) {
        c.quiet++;
        return;
      }
      if (input.process.complete) this.complete++;
      else c.incomplete++;
      this.publish(alertFromMatch(rs, input, m, this.o.host));
    } catch (err) {
      c.errors++;
      this.o.onError?.(err, ev);
    }
  }

  /** Sends an alert through the throttle; a trip emits one AlertThreshold SystemEvent. */
  publish(alert: Alert): void {
    const d = this.o.throttle.admit(alert);
    if (d.threshold) this.o.emit(d.threshold);
    if (!d.pass) {
      this.counters.throttled++;
      return;
    }
    this.counters.alerts++;
    this.o.emit(alert);
  }

  stats(): PipelineStats {
    const c = this.counters;
    const attributed = this.complete + c.incomplete;
    return { ...c, attribution: attributed === 0 ? 1 : this.complete / attributed };
  }
}
