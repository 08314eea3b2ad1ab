// Who did it: turns a sensor event into the engine's input. The enrich stage does the work
// (process cache fed by exec/exit, cgroup → container, registered `bulwark run` workloads, host
// identity); this adds what only the agent knows: a Landlock denial's domain belongs to the
// workload whose first process created it. The first denial of a domain names that pid; later
// ones carry only the domain id. That recognises a workload's denials even when the acting
// process and its parent are gone before their cgroup could be read.
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/index.js';
import {
  createEnricher,
  enricherOptionsFromConfig,
  type EnrichedEvent,
  type Enricher,
} from '../enrich/index.js';
import type { ContainerFields, EngineEvent, ProcessFields } from '../engine/types.js';
import type { Subject } from '../policy/types.js';
import type { ChangeEvent, DenialEvent } from '../sensor/types.js';
import type { Workload, WorkloadRegistry } from './workloads.js';

export interface AttributionOptions {
  registry: WorkloadRegistry;
  config: AgentConfig;
  log: Logger;
}

/** Longest parent chain followed to find a workload's first process. */
const MAX_ANCESTRY = 64;

/** KubeArmor's `Source`: the executable's path, then the arguments (argv[0] replaced). */
export function sourceLine(exe: string, cmdline: string): string {
  if (!cmdline) return exe;
  if (!exe || cmdline.startsWith('/')) return cmdline;
  const sp = cmdline.indexOf(' ');
  return sp < 0 ? exe : `${exe}${cmdline.slice(sp)}`;
}

export class Attribution {
  private readonly o: AttributionOptions;
  readonly enricher: Enricher;
  /** Landlock domain id → workload id. */
  private readonly domains = new Map<string, string>();
  /** First (root) pid → workload id. */
  private readonly roots = new Map<number, string>();
  readonly counters = { byDomain: 0, byAncestry: 0 };

  constructor(o: AttributionOptions) {
    this.o = o;
    this.enricher = createEnricher(enricherOptionsFromConfig(o.config));
  }

  async start(): Promise<void> {
    const cache = await this.enricher.start();
    if (!cache)
      this.o.log.warn(
        'process cache helper not running: short-lived processes are attributed from /proc only',
      );
  }

  async stop(): Promise<void> {
    await this.enricher.close();
  }

  workloadRegistered(w: Workload): void {
    this.enricher.registry.register({
      id: w.id,
      name: w.name,
      namespace: w.namespace,
      labels: w.labels,
      podName: w.name,
      owner: { ref: 'BulwarkRun', name: w.name, namespace: w.namespace },
    });
  }

  workloadStarted(w: Workload): void {
    this.roots.set(w.pid, w.id);
  }

  workloadExited(id: string): void {
    for (const [pid, wid] of this.roots) if (wid === id) this.roots.delete(pid);
    for (const [dom, wid] of this.domains) if (wid === id) this.domains.delete(dom);
  }

  workloadRemoved(id: string): void {
    this.enricher.registry.unregister(id);
  }

  /**
   * True when a denial may belong to a workload whose start has not reached the agent yet (its
   * `started` message races the kernel's audit record): the caller holds it back briefly.
   */
  awaitsWorkload(ev: DenialEvent | ChangeEvent): boolean {
    if (ev.kind !== 'denial' || !ev.domain || this.domains.has(ev.domain)) return false;
    if (ev.domainPid !== undefined && this.roots.has(ev.domainPid)) return false;
    return this.o.registry.list().some((w) => w.pid === 0);
  }

  /** The `bulwark run` workload of a denial by its Landlock domain, or by its ancestry. */
  private agentWorkload(ev: DenialEvent | ChangeEvent): Workload | undefined {
    const reg = this.o.registry;
    if (ev.kind === 'denial' && ev.domain) {
      if (ev.domainPid !== undefined) {
        const id = this.roots.get(ev.domainPid);
        if (id) this.domains.set(ev.domain, id);
      }
      const id = this.domains.get(ev.domain);
      if (id) {
        this.counters.byDomain++;
        return reg.get(id);
      }
    }
    let pid = ev.proc?.ppid ?? 0;
    const at = safeBigInt(ev.timeNs);
    for (let i = 0; i < MAX_ANCESTRY && pid > 1; i++) {
      const id = this.roots.get(pid);
      if (id) {
        this.counters.byAncestry++;
        return reg.get(id);
      }
      pid = this.enricher.cache.lookup(pid, at)?.ppid ?? 0;
    }
    return undefined;
  }

  enrich(ev: DenialEvent | ChangeEvent): EngineEvent | 'foreign' {
    const e: EnrichedEvent = this.enricher.enrich(lookupTime(ev));
    const p = e.process;
    let subject: Subject = e.subject;
    let container: ContainerFields | undefined;
    const info = e.workload;
    if (e.container && info) {
      container = {
        id: e.container.id,
        name: info.name,
        image: info.image,
        pod: info.podName,
        namespace: info.namespace,
        labels: info.labels,
        owner: info.owner,
      };
    } else {
      const w = this.agentWorkload(ev);
      if (w) {
        subject = { kind: 'workload', namespace: w.namespace, labels: w.labels };
        container = {
          id: w.id,
          name: w.name,
          image: '',
          pod: w.name,
          namespace: w.namespace,
          labels: w.labels,
          owner: { ref: 'BulwarkRun', name: w.name, namespace: w.namespace },
        };
      } else if (e.container) {
        // A container whose runtime metadata is not known (yet): its id still identifies it.
        container = { id: e.container.id, name: '', image: '', pod: '', namespace: '', labels: {} };
      }
    }
    // Landlock denials come from every Landlock sandbox on the host (the audit stream is shared):
    // only this agent's workloads are its business.
    if (ev.kind === 'denial' && ev.source === 'landlock' && (!container || container.name === ''))
      return 'foreign';
    const exe = p?.exe ?? ev.proc?.exe ?? '';
    const process: ProcessFields = {
      hostPid: p?.hostPid ?? ev.proc?.pid ?? 0,
      hostPpid: p?.hostPpid ?? ev.proc?.ppid ?? 0,
      pid: p?.pid ?? 0,
      ppid: p?.ppid ?? 0,
      uid: p?.uid ?? ev.proc?.uid ?? 0,
      userName: p?.userName,
      exe,
      parentExe: p?.parentExe ?? '',
      cmdline: p?.source || sourceLine(exe, ev.proc?.cmdline ?? ''),
      cwd: p?.cwd || undefined,
      tty: e.fields.TTY ?? null,
      complete: false,
    };
    // Complete: the process, its parent and their pids are known, and so is the workload when
    // there is one. Cwd and TTY are often unknowable for processes that are gone, and are not
    // counted.
    const essential = e.missing.filter((m) => !OPTIONAL_FIELDS.has(m));
    process.complete = essential.length === 0 && (subject.kind === 'host' || (container?.name ?? '') !== '');
    return { event: ev, subject, process, container };
  }
}

const OPTIONAL_FIELDS = new Set(['Cwd', 'TTY', 'cgroup', 'workload']);

/**
 * Audit timestamps have millisecond resolution (`audit(1795851285.531:42)`), while the process
 * cache orders exec/fork generations by nanosecond kernel time: a process that exec'd in the same
 * millisecond as the denial would look too new. Look processes up at the end of that millisecond.
 */
function lookupTime<T extends DenialEvent | ChangeEvent>(ev: T): T {
  if (ev.source !== 'landlock') return ev;
  const t = safeBigInt(ev.timeNs);
  if (t === undefined || t % 1_000_000n !== 0n) return ev;
  return { ...ev, timeNs: (t + 999_999n).toString() };
}

function safeBigInt(s: string): bigint | undefined {
  try {
    return BigInt(s);
  } catch {
    return undefined;
  }
}
