// Process cache: pid → what the process was, fed by the proc-events helper (exec/fork/exit from
// the kernel's proc connector, snapshotted from /proc at exec time), so that an event of a process
// that exited microseconds later (`touch`) is still attributed, and so is its parent. Bounded: at
// most maxEntries pids, least recently used evicted first. A pid keeps a few generations (fork,
// each exec, pid reuse), each stamped with the kernel's time of the exec/fork, so a lookup with an
// event's time picks the image the process had then. Lookups that miss fall back to /proc.
// Without the helper (no CAP_NET_ADMIN, not built) the cache still answers from /proc, and
// short-lived processes are then attributed only as far as the sensor's own event says.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readProc } from './proc-read.js';
import type { ProcRecord } from './proc-read.js';

/** Generations kept per pid (an exec chain such as sh → exec touch needs two). */
const MAX_GENERATIONS = 6;

export interface ProcessCacheOptions {
  /** Pids remembered at most. Default 16384. */
  maxEntries?: number;
  /** Run the helper (default true). False: /proc fallback only. */
  helper?: boolean;
  /** Helper binary; default $BULWARK_PROC_EVENTS or <package>/native/build/bulwark-proc-events. */
  helperPath?: string;
  /** SCHED_FIFO priority asked by the helper; 0 disables. Default 1. */
  rtPriority?: number;
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
  /** Pids evicted to stay within maxEntries. */
  evictions: number;
  entries: number;
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
}

/** Where the built helper lives: <package root>/native/build/bulwark-proc-events. */
export function procEventsHelperPath(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return process.env.BULWARK_PROC_EVENTS ?? join(root, 'native', 'build', 'bulwark-proc-events');
}

interface HelperLine {
  ev: 'ready' | 'exec' | 'fork' | 'exit' | 'lost';
  pid?: number;
  ppid?: number;
  ts?: number | string;
  start?: number;
  uid?: number;
  nspid?: number[];
  ttyNr?: number;
  pidns?: number;
  mntns?: number;
  exe?: string;
  cmdline?: string[];
  cwd?: string;
  cgroup?: string;
  comm?: string;
  rt?: boolean;
}

export class ProcessCache {
  private readonly gens = new Map<number, ProcRecord[]>();
  private readonly max: number;
  private readonly opts: ProcessCacheOptions;
  private child: ChildProcess | undefined;
  private closed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private backoffMs = 500;
  private readonly s: ProcessCacheStats = {
    hits: 0,
    misses: 0,
    procFallbacks: 0,
    evictions: 0,
    entries: 0,
    execs: 0,
    forks: 0,
    exits: 0,
    lateSnapshots: 0,
    lost: 0,
    restarts: 0,
    helperRunning: false,
    realtime: false,
  };

  constructor(opts: ProcessCacheOptions = {}) {
    this.opts = opts;
    this.max = opts.maxEntries ?? 16_384;
  }

  /**
   * Starts the helper; resolves true once it is subscribed (every exec from then on is seen), false
   * when it cannot run (the cache then answers from /proc only). Never rejects.
   */
  start(): Promise<boolean> {
    if (this.opts.helper === false) return Promise.resolve(false);
    const path = this.opts.helperPath ?? procEventsHelperPath();
    if (!existsSync(path)) {
      this.opts.onLog?.(
        'warn',
        `process cache: ${path} not built (scripts/build-native.sh); using /proc only`,
      );
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      let settled = false;
      const done = (ok: boolean): void => {
        if (!settled) {
          settled = true;
          resolve(ok);
        }
      };
      const args = ['--rt', String(this.opts.rtPriority ?? 1)];
      const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      let stderr = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => {
        stderr = (stderr + d).slice(-2000);
      });
      const rl = createInterface({ input: child.stdout! });
      rl.on('line', (line) => {
        let msg: HelperLine;
        try {
          msg = JSON.parse(line) as HelperLine;
        } catch {
          return;
        }
        if (msg.ev === 'ready') {
          this.s.helperRunning = true;
          this.s.realtime = msg.rt === true;
          this.backoffMs = 500;
          done(true);
        } else this.ingest(msg);
      });
      child.on('error', (e) => {
        this.opts.onLog?.('warn', `process cache: cannot run ${path}: ${e.message}`);
        done(false);
      });
      child.on('exit', (code, signal) => {
        this.s.helperRunning = false;
        if (this.child === child) this.child = undefined;
        if (this.closed) return done(false);
        const why = stderr.trim() || `exit ${code ?? signal}`;
        this.opts.onLog?.('warn', `process cache: helper stopped (${why}); using /proc until it restarts`);
        if (!settled) return done(false); // never subscribed (e.g. no CAP_NET_ADMIN): do not retry
        this.s.lost++;
        this.scheduleRestart();
      });
    });
  }

  private scheduleRestart(): void {
    if (this.closed || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.s.restarts++;
      void this.start();
    }, this.backoffMs);
    this.restartTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
  }

  /** Applies one helper record (exported for replaying captured helper output). */
  ingest(msg: HelperLine): void {
    const pid = msg.pid ?? 0;
    const ts = BigInt(msg.ts ?? 0);
    switch (msg.ev) {
      case 'exec': {
        this.s.execs++;
        const prev = this.latest(pid);
        const inherit = prev && prev.exitNs === undefined ? prev : undefined;
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
        // The child runs the parent's image until it execs. Its own pid inside a pid namespace
        // is not known yet (nspid []), unless the parent is in the host's namespace.
        const hostNs = parent !== undefined && parent.nspid.length === 1;
        this.add({
          pid,
          ppid: msg.ppid ?? -1,
          uid: parent?.uid ?? -1,
          start: 0,
          exe: parent?.exe ?? '',
          comm: parent?.comm ?? '',
          argv: parent?.argv ?? [],
          cwd: parent?.cwd ?? '',
          ttyNr: parent?.ttyNr ?? -1,
          nspid: hostNs ? [pid] : [],
          ...(parent?.cgroup !== undefined ? { cgroup: parent.cgroup } : {}),
          ...(parent?.pidns !== undefined ? { pidns: parent.pidns } : {}),
          ...(parent?.mntns !== undefined ? { mntns: parent.mntns } : {}),
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
        this.s.lost++;
        break;
      default:
        break;
    }
  }

  private latest(pid: number): ProcRecord | undefined {
    const list = this.gens.get(pid);
    return list ? list[list.length - 1] : undefined;
  }

  private add(rec: ProcRecord): void {
    let list = this.gens.get(rec.pid);
    if (list) {
      this.gens.delete(rec.pid); // re-insert: most recently used
      // A pid reused by a new process: the old generations describe another process.
      const last = list[list.length - 1];
      if (last.exitNs !== undefined && rec.origin === 'fork') list = [];
      else if (rec.start && last.start && rec.start !== last.start) list = [];
    } else list = [];
    list.push(rec);
    list.sort((a, b) => (a.sinceNs < b.sinceNs ? -1 : a.sinceNs > b.sinceNs ? 1 : 0));
    if (list.length > MAX_GENERATIONS) list.splice(0, list.length - MAX_GENERATIONS);
    this.gens.set(rec.pid, list);
    while (this.gens.size > this.max) {
      const oldest = this.gens.keys().next().value as number;
      this.gens.delete(oldest);
      this.s.evictions++;
    }
  }

  /** The generation current at atNs (the latest one when atNs is undefined). */
  private pick(list: ProcRecord[], atNs: bigint | undefined): ProcRecord {
    if (atNs === undefined) return list[list.length - 1];
    for (let i = list.length - 1; i >= 0; i--) if (list[i].sinceNs <= atNs) return list[i];
    return list[0];
  }

  /**
   * What process `pid` was at time atNs (wall-clock ns), from the cache, else from /proc now.
   * Undefined when neither knows it.
   */
  lookup(pid: number, atNs?: bigint): ProcRecord | undefined {
    if (!(pid > 0)) return undefined;
    const list = this.gens.get(pid);
    if (list) {
      this.gens.delete(pid);
      this.gens.set(pid, list);
      this.s.hits++;
      return this.pick(list, atNs);
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

  /** The latest generation of every cached pid, least recently used first (diagnostics, tests). */
  *records(): IterableIterator<ProcRecord> {
    for (const list of this.gens.values()) yield list[list.length - 1];
  }

  /** True when the cache holds pid (no /proc fallback, no statistics). */
  has(pid: number): boolean {
    return this.gens.has(pid);
  }

  stats(): ProcessCacheStats {
    return { ...this.s, entries: this.gens.size };
  }

  /** Stops the helper. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

export type { ProcRecord } from './proc-read.js';
