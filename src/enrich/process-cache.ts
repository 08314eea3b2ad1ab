// Process cache: pid → what the process was, fed by the proc-events helper (exec/fork/exit from
// the kernel's proc connector, snapshotted from /proc at exec time), so that an event of a process
// that exited microseconds later (`touch`) is still attributed, and so is its parent. Bounded: at
// most maxEntries pids, least recently used evicted first. A pid keeps a few generations (fork,
// each exec, pid reuse), each stamped with the kernel's time of the exec/fork, so a lookup with an
// event's time picks the image the process had then. Lookups that miss fall back to /proc.
// Without the helper (no CAP_NET_ADMIN, not built) the cache still answers from /proc, and
// short-lived processes are then attributed only as far as the sensor's own event says.
import { ProcEventsHelper } from './proc-events.js';
import type { HelperLine } from './proc-events.js';
import { readProc } from './proc-read.js';
import type { ProcRecord } from './proc-read.js';

/** Generations kept per pid (an exec chain such as sh → exec touch needs two). */
const MAX_GENERATIONS = 6;

export interface ProcessCacheOptions {
  /** Pids remembered at most. Default 16384. */
  maxEntries?: number;
  /**
   * Approximate bytes of strings (argv, exe, cwd, cgroup) kept at most; least recently used pids
   * are evicted beyond. Default 64 MiB. Bounds memory against processes with huge command lines.
   */
  maxBytes?: number;
  /** Run the helper (default true). False: /proc fallback only. */
  helper?: boolean;
  /** Helper binary; default $BULWARK_PROC_EVENTS or <package>/native/build/bulwark-proc-events. */
  helperPath?: string;
  /** SCHED_FIFO priority asked by the helper in connector mode; 0 disables. Default 1. */
  rtPriority?: number;
  /** Try the helper's BPF mode first (default true); false forces the proc connector. */
  bpf?: boolean;
  /** Where /proc is (tests). */
  procRoot?: string;
  /** Told about helper start failures and restarts. */
  onLog?: (level: 'info' | 'warn', message: string) => void;
}

export interface ProcessCacheStats {
  /** Lookups answered from the cache. */
  hits: number;
  /** Lookups the cache could not answer (then /proc was read). */
  misses: number;
  /** Misses that /proc answered. */
  procFallbacks: number;
  /** Pids evicted to stay within maxEntries and maxBytes. */
  evictions: number;
  entries: number;
  /** Approximate bytes held (see maxBytes). */
  bytes: number;
  execs: number;
  forks: number;
  exits: number;
  /** Exec snapshots that found the process already gone (no exe). */
  lateSnapshots: number;
  /** Times the kernel dropped notifications (socket overflow) or the helper restarted. */
  lost: number;
  restarts: number;
  helperRunning: boolean;
  /** Whether the helper runs with real-time priority (see native/proc-events). */
  realtime: boolean;
  /** Pid of the running helper; 0 when none. */
  helperPid: number;
  /** How the helper captures processes: `bpf` (complete), `connector` (racy snapshots), `none`. */
  mode: 'bpf' | 'connector' | 'none';
}

/** Approximate memory of a record: its strings (UTF-16) plus a fixed overhead. */
function recordBytes(r: ProcRecord): number {
  let n = 160 + 2 * (r.exe.length + r.cwd.length + r.comm.length + (r.cgroup?.length ?? 0));
  for (const a of r.argv) n += 2 * a.length + 16;
  return n;
}

export class ProcessCache {
  /** pid → generations (oldest first) and the tick of its last use. */
  private readonly gens = new Map<number, { list: ProcRecord[]; used: number; bytes: number }>();
  private bytes = 0;
  private readonly maxBytes: number;
  /** Use counter for LRU order. (Re-inserting into a Map to keep order costs microseconds.) */
  private tick = 0;
  private readonly max: number;
  private readonly opts: ProcessCacheOptions;
  private helper: ProcEventsHelper | undefined;
  private readonly s: ProcessCacheStats = {
    hits: 0,
    misses: 0,
    procFallbacks: 0,
    evictions: 0,
    entries: 0,
    bytes: 0,
    execs: 0,
    forks: 0,
    exits: 0,
    lateSnapshots: 0,
    lost: 0,
    restarts: 0,
    helperRunning: false,
    realtime: false,
    helperPid: 0,
    mode: 'none',
  };

  constructor(opts: ProcessCacheOptions = {}) {
    this.opts = opts;
    this.max = opts.maxEntries ?? 16_384;
    this.maxBytes = opts.maxBytes ?? 64 << 20;
  }

  /**
   * Starts the helper; resolves true once it is subscribed (every exec from then on is seen), false
   * when it cannot run (the cache then answers from /proc only). Never rejects.
   */
  start(): Promise<boolean> {
    if (this.opts.helper === false) return Promise.resolve(false);
    this.helper ??= new ProcEventsHelper({
      path: this.opts.helperPath,
      rtPriority: this.opts.rtPriority,
      bpf: this.opts.bpf,
      onRecord: (line) => this.ingest(line),
      onLog: this.opts.onLog,
    });
    return this.helper.start();
  }

  /** Applies one helper record (exported for replaying captured helper output). */
  ingest(msg: HelperLine): void {
    const pid = msg.pid ?? 0;
    const ts = BigInt(msg.ts ?? 0);
    switch (msg.ev) {
      case 'exec': {
        this.s.execs++;
        const prev = this.latest(pid);
        // A late connector snapshot (no exe: the process was gone) keeps what the process had
        // before its exec (ppid, uid, cwd, cgroup do not change across exec). A complete record
        // (BPF mode, or a snapshot in time) is taken as it is: a field it lacks is unknown.
        const inherit = !msg.exe && prev && prev.exitNs === undefined ? prev : undefined;
        if (!msg.exe) this.s.lateSnapshots++;
        this.add({
          pid,
          ppid: msg.ppid ?? inherit?.ppid ?? -1,
          uid: msg.uid ?? inherit?.uid ?? -1,
          start: msg.start ?? inherit?.start ?? 0,
          exe: msg.exe ?? '',
          comm: msg.comm ?? '',
          argv: msg.cmdline ?? [],
          cwd: msg.cwd ?? inherit?.cwd ?? '',
          ttyNr: msg.ttyNr ?? inherit?.ttyNr ?? -1,
          nspid: msg.nspid ?? inherit?.nspid ?? [],
          ...(msg.cgroup !== undefined || inherit?.cgroup !== undefined
            ? { cgroup: msg.cgroup ?? inherit?.cgroup }
            : {}),
          ...((msg.pidns ?? inherit?.pidns) ? { pidns: msg.pidns ?? inherit?.pidns } : {}),
          ...((msg.mntns ?? inherit?.mntns) ? { mntns: msg.mntns ?? inherit?.mntns } : {}),
          sinceNs: ts,
          origin: 'exec',
        });
        break;
      }
      case 'fork': {
        this.s.forks++;
        const parent = this.latest(msg.ppid ?? -1);
        // The child runs the parent's image until it execs. The BPF mode gives its own ids
        // (nspid, uid, namespaces); the connector mode does not: then its pid inside a pid
        // namespace is unknown (nspid []) unless the parent is in the host's namespace.
        const hostNs = parent !== undefined && parent.nspid.length === 1;
        this.add({
          pid,
          ppid: msg.ppid ?? -1,
          uid: msg.uid ?? parent?.uid ?? -1,
          start: 0,
          exe: parent?.exe ?? '',
          comm: parent?.comm ?? '',
          argv: parent?.argv ?? [],
          cwd: parent?.cwd ?? '',
          ttyNr: msg.ttyNr ?? parent?.ttyNr ?? -1,
          nspid: msg.nspid ?? (hostNs ? [pid] : []),
          ...(parent?.cgroup !== undefined ? { cgroup: parent.cgroup } : {}),
          ...((msg.pidns ?? parent?.pidns) !== undefined ? { pidns: msg.pidns ?? parent?.pidns } : {}),
          ...((msg.mntns ?? parent?.mntns) !== undefined ? { mntns: msg.mntns ?? parent?.mntns } : {}),
          sinceNs: ts,
          origin: 'fork',
        });
        break;
      }
      case 'exit': {
        this.s.exits++;
        const g = this.latest(pid);
        if (g && g.exitNs === undefined) g.exitNs = ts;
        break;
      }
      case 'lost':
        this.s.lost += msg.count ?? 1;
        break;
      default:
        break;
    }
  }

  private latest(pid: number): ProcRecord | undefined {
    const slot = this.gens.get(pid);
    return slot ? slot.list[slot.list.length - 1] : undefined;
  }

  private add(rec: ProcRecord): void {
    const slot = this.gens.get(rec.pid);
    let list: ProcRecord[] = [];
    if (slot) {
      // A pid reused by a new process: the old generations describe another process.
      const last = slot.list[slot.list.length - 1];
      const reused =
        (last.exitNs !== undefined && rec.origin === 'fork') ||
        (rec.start !== 0 && last.start !== 0 && rec.start !== last.start);
      if (!reused) list = slot.list;
    }
    list.push(rec);
    if (list.length > 1 && list[list.length - 2].sinceNs > rec.sinceNs)
      list.sort((a, b) => (a.sinceNs < b.sinceNs ? -1 : a.sinceNs > b.sinceNs ? 1 : 0));
    if (list.length > MAX_GENERATIONS) list.splice(0, list.length - MAX_GENERATIONS);
    let bytes = 0;
    for (const r of list) bytes += recordBytes(r);
    if (slot) {
      this.bytes += bytes - slot.bytes;
      slot.list = list;
      slot.used = ++this.tick;
      slot.bytes = bytes;
    } else {
      this.bytes += bytes;
      this.gens.set(rec.pid, { list, used: ++this.tick, bytes });
    }
    while ((this.gens.size > this.max || this.bytes > this.maxBytes) && this.gens.size > 1) this.evict();
  }

  /** Drops the least recently used pids, an eighth of the cache at a time (amortised cost). */
  private evict(): void {
    const keep = Math.min(this.max, this.gens.size) - (Math.min(this.max, this.gens.size) >> 3);
    const drop = Math.max(1, this.gens.size - keep);
    const used = new Float64Array(this.gens.size);
    let i = 0;
    for (const slot of this.gens.values()) used[i++] = slot.used;
    used.sort();
    const threshold = used[drop - 1];
    for (const [pid, slot] of this.gens)
      if (slot.used <= threshold) {
        this.gens.delete(pid);
        this.bytes -= slot.bytes;
        this.s.evictions++;
      }
  }

  /**
   * The generation current at atNs (the latest one when atNs is undefined). When the caller knows
   * the exe (audit's `exe=`), a generation running it wins over the time: audit stamps events with
   * a coarse clock (one tick, up to ~4 ms, behind), which can put a syscall right after an exec
   * before the exec's precise kernel time.
   */
  private pick(list: ProcRecord[], atNs: bigint | undefined, exe?: string): ProcRecord {
    let chosen = list[list.length - 1];
    if (atNs !== undefined) {
      chosen = list[0];
      for (let i = list.length - 1; i >= 0; i--)
        if (list[i].sinceNs <= atNs) {
          chosen = list[i];
          break;
        }
    }
    if (exe && chosen.exe !== exe) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i].exe === exe) return list[i];
    }
    return chosen;
  }

  /**
   * What process `pid` was at time atNs (wall-clock ns), from the cache, else from /proc now;
   * `exe`, when the event names it, picks the generation running it. Undefined when neither
   * the cache nor /proc knows the pid.
   */
  lookup(pid: number, atNs?: bigint, exe?: string): ProcRecord | undefined {
    if (!(pid > 0)) return undefined;
    const slot = this.gens.get(pid);
    if (slot) {
      slot.used = ++this.tick;
      this.s.hits++;
      return this.pick(slot.list, atNs, exe);
    }
    this.s.misses++;
    const rec = readProc(pid, this.opts.procRoot);
    if (!rec) return undefined;
    this.s.procFallbacks++;
    this.add(rec);
    return rec;
  }

  /** The parent of a record, as it was at atNs. */
  parentOf(rec: ProcRecord, atNs?: bigint): ProcRecord | undefined {
    return rec.ppid > 0 ? this.lookup(rec.ppid, atNs) : undefined;
  }

  /** The latest generation of every cached pid, in no particular order (diagnostics, tests). */
  *records(): IterableIterator<ProcRecord> {
    for (const slot of this.gens.values()) yield slot.list[slot.list.length - 1];
  }

  /** True when the cache holds pid (no /proc fallback, no statistics). */
  has(pid: number): boolean {
    return this.gens.has(pid);
  }

  stats(): ProcessCacheStats {
    const h = this.helper;
    return {
      ...this.s,
      entries: this.gens.size,
      bytes: this.bytes,
      lost: this.s.lost + (h?.deaths ?? 0),
      restarts: h?.restarts ?? 0,
      helperRunning: h?.running ?? false,
      realtime: h?.realtime ?? false,
      helperPid: h?.pid ?? 0,
      mode: h?.running ? h.mode : 'none',
    };
  }

  /** Stops the helper. Idempotent. */
  async close(): Promise<void> {
    await this.helper?.close();
  }
}

export type { ProcRecord } from './proc-read.js';
export { procEventsHelperPath } from './proc-events.js';
export type { HelperLine } from './proc-events.js';
