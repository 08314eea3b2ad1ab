// SensorBackend for the BPF-LSM enforcer (docs/bpf-lsm.md). It drives the static loader:
//   open()          `bulwark-bpf load` (idempotent: re-attaches to the pinned enforcer), then a
//                   `bulwark-bpf watch` child whose JSON lines become SensorEvents
//   applyRuleSet()  planBpf() for the host and the current workloads → `bulwark-bpf apply` (atomic;
//                   on failure the previous rule set stays in force and this throws)
//   (timer)         applies the rule set again when a missing rule directory or pending path
//                   appears or the mounts change, so their inodes get keyed (docs/bpf-lsm.md)
//   close()         stops the event reader only: enforcement stays pinned in the kernel
//   release()       `bulwark-bpf release`: the hooks detach (bulwark agent --release)
// Events produced while no reader runs wait in the ring buffer; losses arrive as a GapEvent.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BulwarkError } from '../common/errors.js';
import type { RuleSet, Subject } from '../policy/types.js';
import { decodeBpfLine, type BpfAuditEvent } from './bpf-events.js';
import { bpfLoaderPath } from './bpf-lsm-probe.js';
import { encodeBpfPlan, planBpf, type BpfPlan, type BpfWorkload } from './bpf-plan.js';
import type { SensorBackend, SensorEvent, SensorStats } from './types.js';

export interface BpfLsmBackendOptions {
  /** bulwark-bpf binary (default: BULWARK_BPF_LOADER or build/bpf/bulwark-bpf). */
  loader?: string;
  host: Subject;
  /** The workloads (cgroup → subject) at the time a rule set is applied. */
  workloads?: () => BpfWorkload[];
  /** cgroups never enforced (the agent's own). */
  exemptCgroups?: string[];
  /** Receives audited operations (allowed but reported), which the shared event model lacks. */
  onAudit?: (e: BpfAuditEvent) => void;
  /** Receives the loader's diagnostics (level 1 warning, 2 error). */
  onLog?: (level: number, text: string) => void;
  /**
   * How often to check whether a missing rule directory or pending path now exists, or the mounts
   * changed; the rule set is then applied again so the new inodes are keyed (default 1000 ms;
   * 0 turns it off).
   */
  reapplyIntervalMs?: number;
}

export class BpfLsmBackend implements SensorBackend {
  readonly name = 'bpf-lsm';
  private readonly loader: string;
  private watcher?: ChildProcess;
  private listeners: ((events: SensorEvent[]) => void)[] = [];
  private pending: SensorEvent[] = [];
  private flushScheduled = false;
  private counters = { events: 0, batches: 0, gaps: 0, lost: 0, restarts: 0 };
  /** The last plan applied (for explain/status: what is enforced, what is not). */
  lastPlan?: BpfPlan;
  /** Rule sets applied (initial and re-applies), for status. */
  applies = 0;
  private lastRuleSet?: RuleSet;
  private watchPaths: string[] = [];
  private mounts = '';
  private timer?: NodeJS.Timeout;
  private reapplying = false;

  constructor(private readonly opts: BpfLsmBackendOptions) {
    this.loader = opts.loader ?? bpfLoaderPath();
  }

  private run(args: string[]): { status: number | null; stdout: string; stderr: string } {
    if (!fs.existsSync(this.loader))
      throw new BulwarkError('BPF_LOADER_MISSING', `BPF-LSM loader not found at ${this.loader}`);
    const r = spawnSync(this.loader, args, { encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  async open(): Promise<void> {
    const r = this.run(['load']);
    if (r.status !== 0) throw new BulwarkError('BPF_LOAD_FAILED', `bulwark-bpf load: ${r.stderr.trim()}`);
    this.startWatch();
  }

  private startWatch(): void {
    const child = spawn(this.loader, ['watch'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.watcher = child;
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.opts.onLog?.(1, line));
    child.on('exit', (code, signal) => {
      if (this.watcher !== child) return; // closed on purpose
      this.counters.restarts++;
      this.push({
        kind: 'gap',
        source: 'bpf-lsm',
        timeNs: `${BigInt(Date.now()) * 1_000_000n}`,
        cause: 'helper-restart',
        detail: `bulwark-bpf watch exited (code ${code}, signal ${signal}); restarted, enforcement unaffected`,
      });
      setTimeout(() => {
        if (this.watcher === child) this.startWatch();
      }, 200);
    });
  }

  private onLine(line: string): void {
    const d = decodeBpfLine(line, exeOf);
    if (d.kind === 'denial' || d.kind === 'gap') {
      if (d.kind === 'gap') this.counters.lost += d.lost ?? 0;
      this.push(d);
    } else if (d.kind === 'bpf-audit') this.opts.onAudit?.(d);
    else if (d.kind === 'decode-error')
      this.opts.onLog?.(1, `bulwark-bpf watch: undecodable line (${d.reason})`);
  }

  private push(e: SensorEvent): void {
    this.pending.push(e);
    this.counters.events++;
    if (e.kind === 'gap') this.counters.gaps++;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.pending;
      this.pending = [];
      if (batch.length === 0) return;
      this.counters.batches++;
      for (const l of this.listeners) l(batch);
    });
  }

  async applyRuleSet(ruleSet: RuleSet): Promise<void> {
    const plan = planBpf(ruleSet, {
      host: this.opts.host,
      workloads: this.opts.workloads?.() ?? [],
      exemptCgroups: this.opts.exemptCgroups,
    });
    for (const u of plan.unsupported)
      this.opts.onLog?.(1, `BW2101 rule ${u.ruleId} (${u.target}) is not enforced by BPF-LSM: ${u.reason}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-bpf-'));
    try {
      const file = path.join(dir, 'plan');
      fs.writeFileSync(file, encodeBpfPlan(plan), { mode: 0o600 });
      const r = this.run(['apply', file]);
      if (r.status !== 0)
        throw new BulwarkError(
          'BPF_PLAN_REJECTED',
          `bulwark-bpf apply (rule set ${ruleSet.version}): ${r.stderr.trim()}`,
        );
      for (const l of r.stderr.split('\n'))
        if (l.includes('pending:')) this.opts.onLog?.(1, `BW2102 ${l.trim()}`);
      const summary = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { watch?: string[] };
      this.watchPaths = [...new Set(summary.watch ?? [])];
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    this.lastPlan = plan;
    this.lastRuleSet = ruleSet;
    this.applies++;
    this.mounts = readMounts();
    this.armReapply();
  }

  /** Applies the rule set again when a path it is waiting for appears or the mounts change. */
  private armReapply(): void {
    const every = this.opts.reapplyIntervalMs ?? 1000;
    if (every <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (this.reapplying || !this.lastRuleSet) return;
      const appeared = this.watchPaths.find((p) => fs.existsSync(p));
      const mountsChanged = readMounts() !== this.mounts;
      if (!appeared && !mountsChanged) return;
      this.reapplying = true;
      this.applyRuleSet(this.lastRuleSet)
        .then(() =>
          this.opts.onLog?.(
            0,
            `BPF-LSM rule set applied again: ${appeared ? `${appeared} appeared` : 'mounts changed'}`,
          ),
        )
        .catch((e: unknown) => this.opts.onLog?.(2, `BPF-LSM re-apply failed: ${String(e)}`))
        .finally(() => {
          this.reapplying = false;
        });
    }, every);
    this.timer.unref();
  }

  onBatch(listener: (events: SensorEvent[]) => void): void {
    this.listeners.push(listener);
  }

  stats(): SensorStats {
    return { backend: this.name, ...this.counters };
  }

  /** Stops reading events; the enforcer stays loaded and enforcing. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const w = this.watcher;
    this.watcher = undefined;
    if (!w || w.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      w.once('close', () => resolve());
      w.kill('SIGTERM');
    });
  }

  /** Detaches the enforcer (removes the pins). */
  release(): void {
    const r = this.run(['release']);
    if (r.status !== 0) throw new BulwarkError('BPF_LOAD_FAILED', `bulwark-bpf release: ${r.stderr.trim()}`);
  }
}

function readMounts(): string {
  try {
    return fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return '';
  }
}

function exeOf(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}
