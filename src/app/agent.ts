// `bulwark agent`: the daemon. Start-up is an ordered list of steps; each later step relies on the
// earlier ones, and stop() undoes them in reverse:
//   1. state directory (0700)          — everything else writes there
//   2. control socket                  — refuses to start when another agent owns the state dir
//   3. policies: load, validate, compile — invalid policies at start are fatal (nothing to keep)
//   4. sinks (store, stdout, file, syslog) and the throttle
//   5. enrichment (process cache, workload registry)
//   6. sensors, with the rule set applied — events flow into the pipeline from here on
//   7. APIs (gRPC, health, metrics)    — optional, loopback by default
//   8. policy directory watch          — hot reload, only fully valid sets replace the old one
import { mkdirSync, chmodSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { AlertThrottle } from '../alert/throttle.js';
import { unixSeconds, updatedTime } from '../alert/time.js';
import type { Alert } from '../alert/types.js';
import { BulwarkError } from '../common/errors.js';
import type { AgentConfig } from '../config/index.js';
import type { RuleSet, Subject } from '../policy/types.js';
import {
  formatCoverage,
  planForSubject,
  probeHost,
  type LandlockPlan,
  type SensorBackend,
  type SensorEvent,
} from '../sensor/index.js';
import { createSinks, type SinkSet } from '../sinks/index.js';
import { DirectoryPolicyStore, Metrics, startApi, type ApiHandles } from '../api/index.js';
import {
  listenControl,
  socketPath,
  type ControlRequest,
  type ControlResponse,
  type ControlServer,
} from './control.js';
import { Attribution } from './attribution.js';
import { Pipeline } from './pipeline.js';
import { PolicyManager, describeErrors, type ReloadOutcome } from './policy-manager.js';
import { openSensors, type SensorSelection } from './sensors.js';
import { DeliveryLatency, type LatencySummary } from './delivery-latency.js';
import { sinksConfig } from './sinks-config.js';
import { AlertBus } from './alert-bus.js';
import { BaselineRecheck } from './baseline-recheck.js';
import { JournalHook } from './journal-hook.js';
import { BaselineDelegate } from './baseline-delegate.js';
import { WorkloadRegistry, type Workload } from './workloads.js';

/** Longest a denial waits for its workload's `started` message, ms. */
const DEFER_MS = 5000;

export interface AgentStatus {
  pid: number;
  startedAt: string;
  stateDir: string;
  policyDir: string;
  sensor: { enforcement: string; events: string[]; notes: string[] };
  enforced: boolean;
  ruleSet: { version: string; policies: number; rules: number; appliedAt: string };
  workloads: (Pick<
    Workload,
    'id' | 'name' | 'namespace' | 'labels' | 'pid' | 'startedAt' | 'ruleSetVersion'
  > & {
    stale: boolean;
  })[];
  pipeline: ReturnType<Pipeline['stats']>;
  sinks: ReturnType<SinkSet['stats']> | null;
  /** Per sink: alerts committed since start and their age at commit (sensor read → sink), ms. */
  delivery: Record<string, LatencySummary>;
  sensors: ReturnType<SensorBackend['stats']>[];
  throttle: ReturnType<AlertThrottle['stats']>;
  lastPolicyError: string | null;
  /** Baseline re-checks run after event gaps (when a baseline exists). */
  baselineRechecks: BaselineRecheck['history'];
}

export class Agent {
  private readonly cfg: AgentConfig;
  private readonly log: Logger;
  private control: ControlServer | null = null;
  private policies!: PolicyManager;
  private sinks: SinkSet | null = null;
  private readonly delivery = new DeliveryLatency();
  private readonly bus = new AlertBus();
  /** Prometheus metrics, served on the HTTP API when it is on. */
  readonly metrics = new Metrics();
  private throttle!: AlertThrottle;
  private pipeline!: Pipeline;
  private selection: SensorSelection | null = null;
  private api: ApiHandles | null = null;
  private readonly registry = new WorkloadRegistry();
  private attribution!: Attribution;
  private readonly startedAt = new Date().toISOString();
  private appliedAt = this.startedAt;
  private lastPolicyError: string | null = null;
  private landlockAbi = 0;
  private recheck: BaselineRecheck | null = null;
  /** Change journal for `baseline check --since-last` (docs/baseline.md). */
  private journal: JournalHook | null = null;
  /** Runs `baseline check --since-last` for the CLI, in this warm process. */
  private delegate: BaselineDelegate | null = null;
  private deferred: { ev: SensorEvent; until: number }[] = [];
  private deferTimer: NodeJS.Timeout | null = null;

  constructor(cfg: AgentConfig, log: Logger) {
    this.cfg = cfg;
    this.log = log;
  }

  get ruleSet(): RuleSet {
    return this.policies.ruleSet;
  }

  /** Alerts as they are emitted (after the throttle), for the gRPC API and tests. */
  get alerts(): AlertBus {
    return this.bus;
  }

  async start(): Promise<void> {
    const cfg = this.cfg;
    // 1. state directory
    mkdirSync(cfg.stateDir, { recursive: true, mode: 0o700 });
    chmodSync(cfg.stateDir, 0o700);
    // 2. control socket
    try {
      this.control = await listenControl(socketPath(cfg.stateDir), (req, peer) => this.onControl(req, peer));
    } catch (e) {
      throw new BulwarkError('AGENT_ALREADY_RUNNING', e instanceof Error ? e.message : String(e));
    }
    // 3. policies
    this.policies = new PolicyManager({
      dir: cfg.policyDir,
      extra: cfg.policies,
      posture: cfg.posture,
      onReload: (o) => this.onReload(o),
    });
    const first = this.policies.reload();
    for (const w of first.warnings) this.log.warn({ code: w.code, file: w.file, line: w.line }, w.message);
    if (!first.ok)
      throw new BulwarkError(
        'AGENT_POLICY_INVALID',
        `policies in ${cfg.policyDir} are invalid:\n${describeErrors(first.errors)}`,
      );
    const rs = this.policies.ruleSet;
    this.log.info(
      { ruleSet: rs.version, policies: rs.policies.length, rules: rs.rules.length, policyDir: cfg.policyDir },
      'rule set compiled',
    );
    // 4. sinks and throttle
    this.sinks = createSinks({
      ...sinksConfig(cfg),
      onLatency: (sink, _queuedMs, agesMs) => {
        this.delivery.record(sink, agesMs);
        this.metrics.alertDelivery(sink, agesMs);
      },
      onEvent: (e) => {
        if (e.kind === 'dropped') this.metrics.drop(e.cause, e.sink, e.count);
        else if (e.kind === 'failed')
          this.log.warn({ sink: e.sink, code: e.code }, `sink failed: ${e.message}`);
        else this.log.info({ sink: e.sink, downMs: e.downMs }, 'sink recovered');
      },
    });
    // Opened now rather than at the first alert: the store exists (so `bulwark logs` works) once
    // the agent reports itself running, and a sink that cannot open is logged at start. Never
    // rejects; a sink that failed keeps retrying with backoff, its alerts queued and counted.
    await this.sinks.open();
    for (const name of this.sinks.names) {
      this.metrics.watchQueue(
        `sink:${name}`,
        () => this.sinks?.stats().sinks.find((x) => x.name === name)?.queued ?? 0,
      );
    }
    this.metrics.ruleSet(rs.version, rs.rules.length, rs.policies.length);
    this.throttle = new AlertThrottle({
      enabled: cfg.throttle.enabled,
      maxPerSec: cfg.throttle.maxAlertsPerSec,
      throttleSec: cfg.throttle.throttleSec,
    });
    // 5. enrichment
    this.attribution = new Attribution({ registry: this.registry, config: cfg, log: this.log });
    await this.attribution.start();
    this.pipeline = new Pipeline({
      ruleSet: () => this.policies.ruleSet,
      enrich: (ev) => this.attribution.enrich(ev),
      host: { hostName: cfg.nodeName, clusterName: cfg.clusterName },
      throttle: this.throttle,
      emit: (a) => this.emit(a),
      observe: (op, verdict) => this.metrics.event(op, verdict),
      onGap: (g) => this.recheck?.onGap(`${g.source} ${g.cause}`),
      onError: (err) => this.log.error({ err }, 'event processing failed'),
    });
    if (cfg.baseline.recheckOnGap) {
      this.recheck = new BaselineRecheck({
        stateDir: cfg.stateDir,
        keyFile: cfg.baseline.key,
        clusterName: cfg.clusterName,
        hostName: cfg.nodeName,
        ruleSet: () => this.policies.ruleSet,
        publish: (a) => this.pipeline.publish(a),
        metrics: this.metrics,
        log: this.log,
      });
    }
    // 6. sensors (their events are journalled from the first batch on)
    this.journal = new JournalHook(cfg.stateDir, () => this.selection?.backends ?? [], this.log);
    this.delegate = new BaselineDelegate({
      stateDir: cfg.stateDir,
      ...(cfg.baseline.key ? { keyFile: cfg.baseline.key } : {}),
      journal: () => this.journal,
      log: this.log,
    });
    const probe = probeHost();
    this.landlockAbi = probe.landlock.abi;
    this.selection = await openSensors(
      cfg,
      probe,
      (events) => this.dispatch(events),
      this.log,
      () =>
        this.registry.list().map((w) => ({
          cgroupPath: w.cgroupDir || undefined,
          cgroupId: w.cgroupId || undefined,
          subject: { kind: 'workload' as const, namespace: w.namespace, labels: w.labels },
        })),
    );
    for (const b of this.selection.backends) await b.applyRuleSet(rs);
    this.log.info(
      { enforcement: this.selection.enforcement, events: this.selection.events, notes: this.selection.notes },
      'sensors open',
    );
    // The journal lists a tree as watched only once the kernel shows its filesystem marked.
    await this.journal.rulesApplied();
    this.logCoverage(rs);
    this.metrics.sensor(
      this.selection.enforcement === 'none'
        ? this.selection.events.join('+') || 'none'
        : this.selection.enforcement,
    );
    // 7. APIs
    if (cfg.api.grpc.enabled || cfg.api.http.enabled) {
      this.api = await startApi(
        {
          grpc: cfg.api.grpc.enabled
            ? {
                address: cfg.api.grpc.listen,
                healthAddress: cfg.api.health.enabled ? cfg.api.health.listen : false,
              }
            : false,
          http: cfg.api.http.enabled ? { address: cfg.api.http.listen } : false,
        },
        {
          alerts: this.bus,
          policies: new DirectoryPolicyStore(cfg.policyDir),
          metrics: this.metrics,
          identity: { clusterName: cfg.clusterName, hostName: cfg.nodeName },
          ready: () => (this.selection ? { ready: true } : { ready: false, reason: 'sensors not open' }),
          logger: this.log,
        },
      );
    }
    // 8. hot reload
    this.policies.watch();
    this.log.info({ stateDir: cfg.stateDir, socket: socketPath(cfg.stateDir) }, 'agent ready');
  }

  /**
   * Sends a batch down the pipeline, holding back (at most DEFER_MS) denials that may belong to
   * a workload whose `started` message has not arrived yet.
   */
  private dispatch(events: SensorEvent[]): void {
    this.journal?.record(events);
    const now = Date.now();
    const ready: SensorEvent[] = [];
    for (const ev of events) {
      if (ev.kind !== 'gap' && this.attribution.awaitsWorkload(ev))
        this.deferred.push({ ev, until: now + DEFER_MS });
      else ready.push(ev);
    }
    if (ready.length) this.pipeline.handleBatch(ready);
    if (this.deferred.length && !this.deferTimer)
      this.deferTimer = setInterval(() => this.flushDeferred(false), 50);
  }

  private flushDeferred(all: boolean): void {
    const now = Date.now();
    const keep: typeof this.deferred = [];
    const go: SensorEvent[] = [];
    for (const d of this.deferred) {
      if (all || now >= d.until || (d.ev.kind !== 'gap' && !this.attribution.awaitsWorkload(d.ev)))
        go.push(d.ev);
      else keep.push(d);
    }
    this.deferred = keep;
    if (go.length) this.pipeline.handleBatch(go);
    if (!this.deferred.length && this.deferTimer) {
      clearInterval(this.deferTimer);
      this.deferTimer = null;
    }
  }

  private emit(a: Alert): void {
    this.sinks?.write(a);
    this.bus.publish(a);
  }

  private logCoverage(rs: RuleSet): void {
    // Coverage depends on the workload; log it per workload policy for a subject it selects.
    for (const p of rs.policies) {
      if (p.selector.kind === 'host') {
        this.log.info(
          { policy: p.name },
          'host policy: changes are detected (Audit (Block) for Block rules); Landlock cannot sandbox the host',
        );
        continue;
      }
      const subject: Subject = {
        kind: 'workload',
        namespace: p.selector.kind === 'workload' ? p.selector.namespace : 'default',
        labels: p.selector.matchLabels,
      };
      const plan = planForSubject(rs, subject, this.landlockAbi);
      const rules = rs.rules.filter((r) => r.policy === rs.policies.indexOf(p));
      this.log.info({ policy: p.name }, `coverage on this host:\n${formatCoverage(plan, rules)}`);
    }
  }

  private onReload(o: ReloadOutcome): void {
    if (!o.ok) {
      const text = describeErrors(o.errors);
      this.lastPolicyError = text;
      this.log.error(
        { errors: o.errors.length },
        `policy change rejected; the previous rule set stays in force:\n${text}`,
      );
      const now = Date.now();
      for (const d of o.errors) {
        this.pipeline.publish({
          Timestamp: unixSeconds(now),
          UpdatedTime: updatedTime(now),
          ClusterName: this.cfg.clusterName,
          HostName: this.cfg.nodeName,
          PPID: 0,
          UID: 0,
          Type: 'SystemEvent',
          Operation: 'PolicyError',
          Resource: `${d.file}:${d.line}:${d.col}`,
          Data: `code=${d.code} field=${d.field}`,
          Result: 'Rejected',
          Message: `${d.message}${d.fix ? `; fix: ${d.fix}` : ''} (the previous rule set stays in force)`,
        });
      }
      return;
    }
    this.lastPolicyError = null;
    if (!o.changed) return;
    this.appliedAt = new Date().toISOString();
    this.metrics.ruleSet(o.ruleSet.version, o.ruleSet.rules.length, o.ruleSet.policies.length);
    for (const b of this.selection?.backends ?? []) {
      b.applyRuleSet(o.ruleSet).catch((err: unknown) =>
        this.log.error({ err }, 'applying the rule set failed'),
      );
    }
    const stale = this.registry.list().filter((w) => w.ruleSetVersion !== o.ruleSet.version);
    this.log.info(
      { ruleSet: o.ruleSet.version, rules: o.ruleSet.rules.length, staleWorkloads: stale.map((w) => w.name) },
      'rule set replaced',
    );
    if (stale.length > 0)
      this.log.warn(
        { workloads: stale.map((w) => `${w.name} (${w.id.slice(0, 12)})`) },
        'running workloads keep the rules they started with (Landlock domains are fixed); restart them to apply the new rules',
      );
    this.journal
      ?.rulesApplied()
      .catch((err: unknown) => this.log.error({ err }, 'recording the watched trees failed'));
    this.logCoverage(o.ruleSet);
  }

  private async onControl(req: ControlRequest, peer: Socket): Promise<ControlResponse> {
    switch (req.op) {
      case 'status':
        return { ok: true, status: this.status() };
      case 'journal':
      case 'journal-check':
        return this.journal ? this.journal.onControl(req) : { ok: false, error: 'the agent is starting' };
      case 'baseline-check':
        return this.delegate ? this.delegate.handle(req) : { ok: false, error: 'the agent is starting' };
      case 'register':
        return this.register(req, peer);
      case 'started': {
        const w = this.registry.get(String(req.id));
        if (!w) return { ok: false, error: 'unknown workload' };
        w.pid = Number(req.pid);
        this.attribution.workloadStarted(w);
        this.flushDeferred(false);
        return { ok: true };
      }
      case 'exited': {
        const id = String(req.id);
        this.log.info({ workload: id.slice(0, 12), code: req.code }, 'workload exited');
        this.attribution.workloadExited(id);
        // Events of its last processes may still be in flight: forget it a little later.
        setTimeout(() => this.forget(id), 5000).unref();
        return { ok: true };
      }
      default:
        return { ok: false, error: `unknown request "${req.op}"` };
    }
  }

  private async register(req: ControlRequest, peer: Socket): Promise<ControlResponse> {
    const labels = (req.labels ?? {}) as Record<string, string>;
    const namespace = typeof req.namespace === 'string' && req.namespace ? req.namespace : 'default';
    const rs = this.policies.ruleSet;
    const subject: Subject = { kind: 'workload', namespace, labels };
    // Under BPF-LSM the kernel program enforces the workload by its cgroup: no Landlock domain.
    const bpf = this.selection?.enforcement === 'bpf-lsm';
    const plan: LandlockPlan = planForSubject(rs, subject, bpf ? 0 : this.landlockAbi);
    const w = this.registry.create({
      name: typeof req.name === 'string' ? req.name : undefined,
      namespace,
      labels,
      ruleSetVersion: rs.version,
      command: Array.isArray(req.command) ? req.command.map(String) : [],
    });
    this.attribution.workloadRegistered(w);
    if (bpf) {
      // Key the new cgroup before the workload runs.
      for (const b of this.selection?.backends ?? []) if (b.name === 'bpf-lsm') await b.applyRuleSet(rs);
    }
    peer.once('close', () => {
      if (this.registry.get(w.id)) setTimeout(() => this.forget(w.id), 5000).unref();
    });
    this.log.info(
      { workload: w.name, id: w.id.slice(0, 12), namespace, labels, rules: plan.enforcedRules.length },
      'workload registered',
    );
    return {
      ok: true,
      workload: { id: w.id, name: w.name, cgroupDir: w.cgroupDir },
      plan,
      coverage: formatCoverage(
        plan,
        rs.rules.filter((r) => plan.coverage.some((c) => c.ruleId === r.id)),
      ),
      ruleSetVersion: rs.version,
    };
  }

  private forget(id: string): void {
    this.attribution.workloadRemoved(id);
    this.registry.remove(id);
  }

  status(): AgentStatus {
    const rs = this.policies.ruleSet;
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      stateDir: this.cfg.stateDir,
      policyDir: this.cfg.policyDir,
      sensor: {
        enforcement: this.selection?.enforcement ?? 'none',
        events: this.selection?.events ?? [],
        notes: this.selection?.notes ?? [],
      },
      enforced: this.selection !== null && this.selection.enforcement !== 'none',
      ruleSet: {
        version: rs.version,
        policies: rs.policies.length,
        rules: rs.rules.length,
        appliedAt: this.appliedAt,
      },
      workloads: this.registry.list().map((w) => ({
        id: w.id,
        name: w.name,
        namespace: w.namespace,
        labels: w.labels,
        pid: w.pid,
        startedAt: w.startedAt,
        ruleSetVersion: w.ruleSetVersion,
        stale: w.ruleSetVersion !== rs.version,
      })),
      pipeline: this.pipeline.stats(),
      sinks: this.sinks?.stats() ?? null,
      delivery: this.delivery.summary(),
      sensors: this.selection?.backends.map((b) => b.stats()) ?? [],
      throttle: this.throttle.stats(),
      lastPolicyError: this.lastPolicyError,
      baselineRechecks: this.recheck?.history ?? [],
    };
  }

  async stop(): Promise<void> {
    this.policies?.close();
    this.recheck?.close();
    if (this.pipeline) this.flushDeferred(true);
    if (this.api) await this.api.close().catch(() => undefined);
    for (const b of this.selection?.backends ?? []) await b.close().catch(() => undefined);
    await this.attribution?.stop();
    if (this.sinks) await this.sinks.close(5000).catch(() => undefined);
    this.registry.close();
    await this.control?.close();
    await this.delegate?.close().catch(() => undefined);
    await this.journal?.close().catch(() => undefined);
    this.log.info('agent stopped');
  }
}
