// Prometheus metrics of the agent, served at /metrics. One Metrics object per agent, with its own
// registry (never prom-client's global one, so two agents in one process or a test do not mix).
// The agent, the sinks and the API call the typed methods below; names and labels are documented in
// docs/metrics.md. Label values must come from small fixed sets (operations, verdicts, sink
// names), never from paths or pids.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type BaselineResult = 'clean' | 'drift' | 'error';

export interface MetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop lag, handles). Default true. */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly events: Counter<'op' | 'verdict'>;
  private readonly drops: Counter<'cause' | 'sink'>;
  private readonly queueDepth: Gauge<'queue'>;
  private readonly queueProbes = new Map<string, () => number>();
  private readonly ruleSetInfo: Gauge<'version'>;
  private readonly ruleSetRules: Gauge;
  private readonly ruleSetPolicies: Gauge;
  private readonly sensorInfo: Gauge<'backend'>;
  private readonly baselineTime: Gauge;
  private readonly baselineResult: Gauge<'result'>;
  private readonly baselineChanges: Gauge;
  private readonly grpcClients: Gauge<'rpc'>;
  private readonly grpcSent: Counter<'rpc'>;
  private readonly policyChanges: Counter<'scope' | 'type' | 'status'>;
  private readonly delivery: Histogram<'sink'>;
  private readonly deliveryBySink = new Map<string, Histogram.Internal<'sink'>>();

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.events = new Counter({
      name: 'bulwark_events_total',
      help: 'File events decided, by operation (read, write, unlink, ...) and verdict (allow, audit, block, posture-audit, posture-block).',
      labelNames: ['op', 'verdict'],
      registers,
    });
    this.drops = new Counter({
      name: 'bulwark_drops_total',
      help: 'Events or alerts not delivered, by cause (queue-full, slow-client, throttled, kernel-lost, sink-error, ...) and sink (file, syslog, store, stdout, grpc, sensor, ...).',
      labelNames: ['cause', 'sink'],
      registers,
    });
    const probes = this.queueProbes;
    this.queueDepth = new Gauge({
      name: 'bulwark_queue_depth',
      help: 'Items waiting in a bounded queue (sink queues, the sensor batch queue, gRPC client buffers summed as "grpc").',
      labelNames: ['queue'],
      registers,
      collect() {
        for (const [queue, probe] of probes) this.set({ queue }, probe());
      },
    });
    this.ruleSetInfo = new Gauge({
      name: 'bulwark_ruleset_info',
      help: 'The rule set in force: 1 for its version (content hash), absent before the first one.',
      labelNames: ['version'],
      registers,
    });
    this.ruleSetRules = new Gauge({
      name: 'bulwark_ruleset_rules',
      help: 'File rules in the rule set in force.',
      registers,
    });
    this.ruleSetPolicies = new Gauge({
      name: 'bulwark_ruleset_policies',
      help: 'Policies in the rule set in force.',
      registers,
    });
    this.sensorInfo = new Gauge({
      name: 'bulwark_sensor_info',
      help: 'The sensor backend in use (1 for its name: landlock, bpf-lsm, fanotify, replay, noop, ...).',
      labelNames: ['backend'],
      registers,
    });
    this.baselineTime = new Gauge({
      name: 'bulwark_baseline_last_check_timestamp_seconds',
      help: 'When the last baseline check finished, Unix seconds; 0 before the first check.',
      registers,
    });
    this.baselineResult = new Gauge({
      name: 'bulwark_baseline_last_check_result',
      help: 'Result of the last baseline check: 1 for the result (clean, drift, error), 0 for the others.',
      labelNames: ['result'],
      registers,
    });
    this.baselineChanges = new Gauge({
      name: 'bulwark_baseline_last_check_changes',
      help: 'Files found changed, added or removed by the last baseline check.',
      registers,
    });
    this.grpcClients = new Gauge({
      name: 'bulwark_grpc_clients',
      help: 'Connected LogService stream clients, by method (WatchAlerts, WatchLogs, WatchMessages).',
      labelNames: ['rpc'],
      registers,
    });
    this.grpcSent = new Counter({
      name: 'bulwark_grpc_sent_total',
      help: 'Messages written to LogService stream clients, by method.',
      labelNames: ['rpc'],
      registers,
    });
    this.policyChanges = new Counter({
      name: 'bulwark_policy_changes_total',
      help: 'PolicyService requests, by scope (container, host), envelope type and resulting status.',
      labelNames: ['scope', 'type', 'status'],
      registers,
    });
    this.delivery = new Histogram({
      name: 'bulwark_alert_delivery_seconds',
      help: 'Age of an alert when its sink committed it: from when the sensor read the kernel event (the alert time) to the write or transaction completing, by sink.',
      labelNames: ['sink'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    if (options.processMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'bulwark_' });
  }

  /** One decided file event (or n of them). */
  event(op: string, verdict: string, n = 1): void {
    this.events.inc({ op, verdict }, n);
  }

  /** Events or alerts lost: counted, never silent. */
  drop(cause: string, sink: string, n = 1): void {
    this.drops.inc({ cause, sink }, n);
  }

  /** Ages (ms) of alerts a sink committed (see DeliveryLatency in the agent). */
  alertDelivery(sink: string, agesMs: readonly number[]): void {
    let h = this.deliveryBySink.get(sink);
    if (!h) {
      h = this.delivery.labels({ sink });
      this.deliveryBySink.set(sink, h);
    }
    for (const ms of agesMs) h.observe(ms / 1000);
  }

  /** Sets a queue's depth now; for queues that are cheaper to sample, use watchQueue. */
  setQueueDepth(queue: string, depth: number): void {
    this.queueDepth.set({ queue }, depth);
  }

  /** Samples `depth()` at every scrape; returns a function that stops sampling and removes the series. */
  watchQueue(queue: string, depth: () => number): () => void {
    this.queueProbes.set(queue, depth);
    return () => {
      if (this.queueProbes.get(queue) === depth) this.queueProbes.delete(queue);
      this.queueDepth.remove({ queue });
    };
  }

  /** The rule set now in force (after a load or a hot reload). */
  ruleSet(version: string, rules: number, policies: number): void {
    this.ruleSetInfo.reset();
    this.ruleSetInfo.set({ version }, 1);
    this.ruleSetRules.set(rules);
    this.ruleSetPolicies.set(policies);
  }

  sensor(backend: string): void {
    this.sensorInfo.reset();
    this.sensorInfo.set({ backend }, 1);
  }

  /** A finished baseline check: when (Date or Unix ms), its result, and how many files differed. */
  baselineCheck(at: Date | number, result: BaselineResult, changes = 0): void {
    const ms = typeof at === 'number' ? at : at.getTime();
    this.baselineTime.set(ms / 1000);
    for (const r of ['clean', 'drift', 'error'] as const)
      this.baselineResult.set({ result: r }, r === result ? 1 : 0);
    this.baselineChanges.set(changes);
  }

  grpcClientCount(rpc: string, n: number): void {
    this.grpcClients.set({ rpc }, n);
  }

  grpcMessagesSent(rpc: string, n = 1): void {
    this.grpcSent.inc({ rpc }, n);
  }

  policyChange(scope: string, type: string, status: string): void {
    this.policyChanges.inc({ scope, type, status });
  }

  /** Prometheus text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
