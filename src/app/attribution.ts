// Who did it: turns a sensor event into the engine's input (process fields, the workload or host
// as decide()'s subject, container fields). Workloads started by `bulwark run` are recognised,
// in this order, by
//   1. the Landlock domain of a denial (the first denial of a domain names the pid that created
//      it, which is the workload's first process; later denials carry only the domain id),
//   2. the cgroup (`/bulwark/<id>`) of the process,
//   3. its ancestry: a parent chain that reaches a workload's first process.
// Everything else is the host. Process fields come from the event and the process cache.
import { readFileSync, readlinkSync } from 'node:fs';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/index.js';
import type { ContainerFields, EngineEvent, ProcessFields } from '../engine/types.js';
import type { ChangeEvent, DenialEvent, ProcessInfo } from '../sensor/types.js';
import type { Subject } from '../policy/types.js';
import type { Workload, WorkloadRegistry } from './workloads.js';

export interface AttributionOptions {
  registry: WorkloadRegistry;
  config: AgentConfig;
  log: Logger;
}

interface Cached {
  ppid: number;
  exe: string;
  cmdline: string;
  cgroup: string;
  uid: number;
  at: number;
}

const CACHE_MAX = 16_384;
const MAX_ANCESTRY = 64;

function readProc(pid: number): Cached | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    let exe = '';
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      exe = '';
    }
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    const cgroup = /^0::(.*)$/m.exec(cg)?.[1] ?? '';
    return { ppid, exe, cmdline, cgroup, uid, at: Date.now() };
  } catch {
    return null;
  }
}

export class Attribution {
  private readonly o: AttributionOptions;
  /** Landlock domain id → workload id. */
  private readonly domains = new Map<string, string>();
  /** First (root) pid → workload id. */
  private readonly roots = new Map<number, string>();
  /** pid → what /proc said while it lived (exec'd processes we looked at). */
  private readonly procs = new Map<number, Cached>();
  readonly counters = { lookups: 0, procHits: 0, procMisses: 0, byDomain: 0, byCgroup: 0, byAncestry: 0 };

  constructor(o: AttributionOptions) {
    this.o = o;
  }

  async start(): Promise<void> {
    // The process cache is filled on demand from /proc and from event data.
  }

  async stop(): Promise<void> {
    this.procs.clear();
  }

  workloadStarted(w: Workload): void {
    this.roots.set(w.pid, w.id);
    const c = readProc(w.pid);
    if (c) this.remember(w.pid, c);
  }

  workloadExited(id: string): void {
    for (const [pid, wid] of this.roots) if (wid === id) this.roots.delete(pid);
  }

  private remember(pid: number, c: Cached): void {
    if (this.procs.size >= CACHE_MAX) {
      const first = this.procs.keys().next().value;
      if (first !== undefined) this.procs.delete(first);
    }
    this.procs.set(pid, c);
  }

  private lookup(pid: number): Cached | null {
    if (pid <= 0) return null;
    const live = readProc(pid);
    if (live) {
      this.counters.procHits++;
      this.remember(pid, live);
      return live;
    }
    const cached = this.procs.get(pid);
    if (cached) return cached;
    this.counters.procMisses++;
    return null;
  }

  private workloadOf(ev: DenialEvent | ChangeEvent, proc: ProcessInfo | undefined): Workload | undefined {
    const reg = this.o.registry;
    if (ev.kind === 'denial') {
      if (ev.domain && ev.domainPid !== undefined) {
        const id = this.roots.get(ev.domainPid);
        if (id) this.domains.set(ev.domain, id);
      }
      const id = ev.domain ? this.domains.get(ev.domain) : undefined;
      const w = id ? reg.get(id) : undefined;
      if (w) {
        this.counters.byDomain++;
        return w;
      }
    }
    if (!proc) return undefined;
    const byCg = reg.byCgroupPath(proc.cgroupPath) ?? reg.byCgroupPath(this.lookup(proc.pid)?.cgroup);
    if (byCg) {
      this.counters.byCgroup++;
      return byCg;
    }
    // Ancestry: the event's ppid, then parents from /proc or the cache.
    let pid = proc.ppid;
    for (let i = 0; i < MAX_ANCESTRY && pid > 1; i++) {
      const id = this.roots.get(pid);
      if (id) {
        this.counters.byAncestry++;
        return reg.get(id);
      }
      const c = this.lookup(pid);
      if (!c) break;
      const w = reg.byCgroupPath(c.cgroup);
      if (w) {
        this.counters.byCgroup++;
        return w;
      }
      pid = c.ppid;
    }
    return undefined;
  }

  enrich(ev: DenialEvent | ChangeEvent): EngineEvent | null {
    this.counters.lookups++;
    const proc = ev.proc;
    const w = this.workloadOf(ev, proc);
    const self = proc ? (this.procs.get(proc.pid) ?? null) : null;
    const parent = proc && proc.ppid > 0 ? this.lookup(proc.ppid) : null;
    const exe = proc?.exe || self?.exe || '';
    const cmdline = proc?.cmdline || self?.cmdline || exe;
    const process: ProcessFields = {
      hostPid: proc?.pid ?? 0,
      hostPpid: proc?.ppid ?? 0,
      pid: proc?.pid ?? 0,
      ppid: proc?.ppid ?? 0,
      uid: proc?.uid ?? -1,
      exe,
      parentExe: parent?.exe ?? '',
      cmdline,
      cwd: proc?.cwd,
      tty: proc?.tty ?? null,
      complete: Boolean(proc && exe && cmdline && parent?.exe && proc.pid > 0),
    };
    let subject: Subject;
    let container: ContainerFields | undefined;
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
    } else {
      subject = { kind: 'host', hostname: this.o.config.nodeName };
    }
    return { event: ev, subject, process, container, fileOwnerUid: undefined };
  }
}
