// The enrichment stage: a sensor event in, the same event with who did it out: the process (host
// and namespace pids, exe, command line, parent exe, uid and user name, cwd, tty), the workload it
// belongs to (container id from the cgroup, name/image/pod/namespace/labels from the registry or
// the runtime), the Subject decide() needs, and the alert's PascalCase fields ready to spread into
// an Alert. The sensor's own process fields win (they were read at event time, e.g. from audit);
// the process cache fills the rest. `complete` says whether every attribution field was found;
// stats() reports the share of complete events.
import type { AgentConfig } from '../config/index.js';
import type { Subject } from '../policy/types.js';
import type { ProcessInfo, SensorEvent } from '../sensor/types.js';
import { CgroupIds, containerFromCgroup, readCgroupPath } from './cgroup.js';
import type { CgroupContainer } from './cgroup.js';
import { hostInfo } from './host.js';
import type { HostInfo } from './host.js';
import { ProcessCache } from './process-cache.js';
import type { ProcessCacheOptions, ProcessCacheStats } from './process-cache.js';
import { ttyName } from './proc-read.js';
import type { ProcRecord } from './proc-read.js';
import { UserNames } from './users.js';
import { RuntimeMetadata } from './runtime-metadata.js';
import type { RuntimeMetadataOptions, RuntimeMetadataStats } from './runtime-metadata.js';
import { WorkloadRegistry } from './workload.js';
import type { WorkloadInfo } from './workload.js';
import type { AlertFields, EnrichedEvent, EnrichedProcess } from './types.js';

export interface EnricherOptions {
  clusterName?: string;
  nodeName?: string;
  machineIdFile?: string;
  passwdFile?: string;
  /** false: /proc at lookup time only (no helper). */
  processCache?: boolean | ProcessCacheOptions;
  /** false: never ask container runtimes. */
  runtimeMetadata?: boolean | RuntimeMetadataOptions;
  /** Shared with the agent, which registers `bulwark run` workloads. */
  registry?: WorkloadRegistry;
}

/** Options for the agent from its configuration. */
export function enricherOptionsFromConfig(cfg: AgentConfig): EnricherOptions {
  return {
    clusterName: cfg.clusterName,
    nodeName: cfg.nodeName,
    processCache: cfg.enrich.processCache ? { maxEntries: cfg.enrich.processCacheSize } : false,
    runtimeMetadata: cfg.enrich.runtimeMetadata,
  };
}

export interface EnricherStats {
  /** Events with an acting process (gap events and pid-less changes excluded). */
  events: number;
  complete: number;
  /** complete / events (1 when there were none). */
  completeRatio: number;
  /** How often each field was missing. */
  missing: Record<string, number>;
  processCache: ProcessCacheStats;
  runtime: RuntimeMetadataStats;
}

export interface Enricher {
  /** Starts the process cache helper; resolves whether it runs. Never rejects. */
  start(): Promise<boolean>;
  enrich(event: SensorEvent): EnrichedEvent;
  /** Attribution of a pid at a time (wall-clock ns), for callers without a sensor event. */
  process(
    proc: ProcessInfo,
    timeNs?: bigint,
  ): { process: EnrichedProcess; container: CgroupContainer | null };
  readonly registry: WorkloadRegistry;
  readonly cache: ProcessCache;
  readonly host: HostInfo;
  stats(): EnricherStats;
  /** Resolves when a runtime metadata lookup for the container id (if any) has finished. */
  metadataSettled(containerId: string): Promise<void>;
  close(): Promise<void>;
}

function sourceOf(exe: string, argv: string[], cmdline: string | undefined): string {
  // KubeArmor's Source: the executable's path followed by the arguments (`/usr/bin/touch file`).
  if (argv.length > 0) return [exe || argv[0], ...argv.slice(1)].join(' ');
  if (cmdline) {
    const sp = cmdline.indexOf(' ');
    return exe ? (sp < 0 ? exe : exe + cmdline.slice(sp)) : cmdline;
  }
  return exe;
}

/** KubeArmor prints TTY without the slash (`pts0`) and Cwd with a trailing slash. */
function alertTty(tty: string | null | undefined): string | undefined {
  return tty ? tty.replace('/', '') : undefined;
}
function alertCwd(cwd: string): string | undefined {
  return cwd ? (cwd.endsWith('/') ? cwd : `${cwd}/`) : undefined;
}

function labelString(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

export function createEnricher(opts: EnricherOptions = {}): Enricher {
  const host = hostInfo(opts);
  const registry = opts.registry ?? new WorkloadRegistry();
  const cacheOpts: ProcessCacheOptions =
    opts.processCache === false
      ? { helper: false }
      : opts.processCache === true || !opts.processCache
        ? {}
        : opts.processCache;
  const cache = new ProcessCache(cacheOpts);
  const runtime = new RuntimeMetadata(
    opts.runtimeMetadata === false
      ? { enabled: false }
      : typeof opts.runtimeMetadata === 'object'
        ? opts.runtimeMetadata
        : {},
  );
  const users = new UserNames(opts.passwdFile);
  const counts = { events: 0, complete: 0, missing: {} as Record<string, number> };
  // cgroup path → container, memoised: a host has few distinct cgroups and each event needs one.
  const containers = new Map<string, CgroupContainer | null>();
  const cgroupIds = new CgroupIds();
  const containerOf = (path: string): CgroupContainer | null => {
    let c = containers.get(path);
    if (c === undefined) {
      if (containers.size >= 4096) containers.clear();
      c = containerFromCgroup(path);
      containers.set(path, c);
    }
    return c;
  };

  function attribute(proc: ProcessInfo, at: bigint | undefined, missing: string[]) {
    const rec: ProcRecord | undefined = cache.lookup(proc.pid, at, proc.exe || undefined);
    const parentPid = proc.ppid > 0 ? proc.ppid : (rec?.ppid ?? -1);
    // The parent as it was when this process last exec'd or forked, at the latest: both times
    // come from the same kernel clock, while the event's time (audit: millisecond resolution,
    // another clock) can fall just before the parent's own exec.
    const parentAt = rec && rec.sinceNs > 0n && (at === undefined || rec.sinceNs > at) ? rec.sinceNs : at;
    const parent = parentPid > 0 ? cache.lookup(parentPid, parentAt) : undefined;
    const exe = proc.exe || rec?.exe || '';
    const argv = rec && (!proc.exe || rec.exe === proc.exe) ? rec.argv : [];
    const cmdline = proc.cmdline ?? (argv.length ? argv.join(' ') : undefined);
    const cwd = proc.cwd ?? rec?.cwd ?? '';
    const tty = proc.tty !== undefined ? proc.tty : rec ? ttyName(rec.ttyNr) : undefined;
    const uid = proc.uid >= 0 ? proc.uid : (rec?.uid ?? -1);
    // The event's own cgroup (path, or id from the kernel at event time) beats a later read.
    const cgroupPath =
      proc.cgroupPath ??
      rec?.cgroup ??
      (proc.cgroupId ? cgroupIds.path(proc.cgroupId) : undefined) ??
      readCgroupPath(proc.pid);
    const container = cgroupPath !== undefined ? containerOf(cgroupPath) : null;
    // Pids inside the process's pid namespace: the last NSpid entry; the parent's only when it
    // lives in the same namespace (a container's init has a parent outside: PPID 0).
    let nsPid = -1;
    let nsPpid = -1;
    if (rec && rec.nspid.length > 0) {
      nsPid = rec.nspid[rec.nspid.length - 1];
      if (
        parent &&
        parent.nspid.length === rec.nspid.length &&
        (!rec.pidns || !parent.pidns || rec.pidns === parent.pidns)
      )
        nsPpid = parent.nspid[parent.nspid.length - 1];
      else if (parent && parent.nspid.length > 0) nsPpid = 0;
    } else if (!container) {
      nsPid = proc.pid; // a host process: the host's namespace
      nsPpid = parentPid;
    }
    if (!exe) missing.push('ProcessName');
    if (!cmdline && argv.length === 0) missing.push('Source');
    if (!parent?.exe) missing.push('ParentProcessName');
    if (parentPid <= 0) missing.push('HostPPID');
    if (nsPid < 0) missing.push('PID');
    if (nsPpid < 0) missing.push('PPID');
    if (uid < 0) missing.push('UID');
    if (!cwd) missing.push('Cwd');
    if (tty === undefined) missing.push('TTY');
    if (cgroupPath === undefined) missing.push('cgroup');
    const process: EnrichedProcess = {
      hostPid: proc.pid,
      hostPpid: parentPid > 0 ? parentPid : 0,
      pid: nsPid >= 0 ? nsPid : 0,
      ppid: nsPpid >= 0 ? nsPpid : 0,
      uid: uid >= 0 ? uid : 0,
      userName: users.name(uid),
      exe,
      comm: proc.comm || rec?.comm || '',
      cmdline: cmdline ?? '',
      source: sourceOf(exe, argv, cmdline),
      parentExe: parent?.exe ?? '',
      cwd,
      tty: tty === undefined ? null : tty,
      ...(cgroupPath !== undefined ? { cgroupPath } : {}),
    };
    return { process, container };
  }

  function workloadOf(container: CgroupContainer, missing: string[]): WorkloadInfo | undefined {
    const w =
      container.runtime === 'bulwark'
        ? registry.get(container.id)
        : (registry.get(container.id) ?? runtime.get(container));
    if (!w) missing.push('workload');
    return w;
  }

  function fieldsFor(
    p: EnrichedProcess | undefined,
    container: CgroupContainer | null,
    w: WorkloadInfo | undefined,
  ): AlertFields {
    const f: AlertFields = { ClusterName: host.clusterName, HostName: host.hostName };
    if (host.nodeId) f.NodeID = host.nodeId;
    if (container) {
      f.ContainerID = container.id;
      if (w) {
        if (w.name) f.ContainerName = w.name;
        if (w.image) f.ContainerImage = w.image;
        if (w.podName) f.PodName = w.podName;
        if (w.namespace) f.NamespaceName = w.namespace;
        const labels = labelString(w.labels);
        if (labels) f.Labels = labels;
        if (w.owner) f.Owner = { Ref: w.owner.ref, Name: w.owner.name, Namespace: w.owner.namespace };
      }
    }
    if (p) {
      f.HostPID = p.hostPid;
      f.HostPPID = p.hostPpid;
      f.PID = p.pid;
      f.PPID = p.ppid;
      f.UID = p.uid;
      if (p.exe) f.ProcessName = p.exe;
      if (p.parentExe) f.ParentProcessName = p.parentExe;
      if (p.source) f.Source = p.source;
      const cwd = alertCwd(p.cwd);
      if (cwd) f.Cwd = cwd;
      const tty = alertTty(p.tty);
      if (tty) f.TTY = tty;
      if (!container && p.userName) f.UserName = p.userName;
    }
    return f;
  }

  function enrich(event: SensorEvent): EnrichedEvent {
    const missing: string[] = [];
    const proc = event.kind === 'gap' ? undefined : event.proc;
    let process: EnrichedProcess | undefined;
    let container: CgroupContainer | null = null;
    if (proc) {
      let at: bigint | undefined;
      try {
        at = BigInt(event.timeNs);
      } catch {
        at = undefined;
      }
      ({ process, container } = attribute(proc, at, missing));
    } else if (event.kind !== 'gap') missing.push('process');
    const workload = container ? workloadOf(container, missing) : undefined;
    const subject: Subject = container
      ? { kind: 'workload', namespace: workload?.namespace ?? '', labels: { ...(workload?.labels ?? {}) } }
      : { kind: 'host', hostname: host.hostName };
    const complete = event.kind !== 'gap' && missing.length === 0;
    if (event.kind !== 'gap') {
      counts.events++;
      if (complete) counts.complete++;
      for (const m of missing) counts.missing[m] = (counts.missing[m] ?? 0) + 1;
    }
    return {
      event,
      ...(process ? { process } : {}),
      container,
      ...(workload ? { workload } : {}),
      subject,
      workloadKey: container ? container.id : 'host',
      fields: fieldsFor(process, container, workload),
      complete,
      missing,
    };
  }

  return {
    registry,
    cache,
    host,
    start: () => (opts.processCache === false ? Promise.resolve(false) : cache.start()),
    enrich,
    process(proc, timeNs) {
      return attribute(proc, timeNs, []);
    },
    stats: () => ({
      events: counts.events,
      complete: counts.complete,
      completeRatio: counts.events === 0 ? 1 : counts.complete / counts.events,
      missing: { ...counts.missing },
      processCache: cache.stats(),
      runtime: runtime.stats(),
    }),
    metadataSettled: (id) => runtime.settled(id),
    close: () => cache.close(),
  };
}
