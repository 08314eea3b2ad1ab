// Runs native/proc-events (bulwark-proc-events) and turns its JSON lines into records for the
// process cache. The helper captures exec/fork/exit with BTF tracepoints where BPF loads (every
// field read in the process's own context: nothing is missed), else follows the kernel's proc
// connector and snapshots /proc/PID at exec (see the C files for the format and priorities). If it
// dies after having subscribed it is restarted with backoff (0.5 s doubling to 30 s); each
// restart counts as lost events. If it never subscribes (no CAP_NET_ADMIN) it is not retried.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** One line of helper output. `ts` is a decimal string (kernel time in wall-clock ns). */
export interface HelperLine {
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
  /** Ready line: `bpf` (in-kernel capture, nothing missed) or `connector` (snapshots race exits). */
  mode?: 'bpf' | 'connector';
  /** Lost line: records the kernel could not queue. */
  count?: number;
}

/** Where the built helper lives: <package root>/native/build/bulwark-proc-events. */
export function procEventsHelperPath(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return process.env.BULWARK_PROC_EVENTS ?? join(root, 'native', 'build', 'bulwark-proc-events');
}

export interface ProcEventsOptions {
  path?: string;
  /** SCHED_FIFO priority asked by the helper in connector mode; 0 disables. Default 1. */
  rtPriority?: number;
  /** Try the BPF mode first (default true); false forces the proc connector. */
  bpf?: boolean;
  onRecord: (line: HelperLine) => void;
  onLog?: (level: 'info' | 'warn', message: string) => void;
}

export class ProcEventsHelper {
  private child: ChildProcess | undefined;
  private closed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private backoffMs = 500;
  running = false;
  realtime = false;
  mode: 'bpf' | 'connector' | 'none' = 'none';
  restarts = 0;
  /** Helper deaths after subscribing (events were missed until the restart). */
  deaths = 0;

  constructor(private readonly o: ProcEventsOptions) {}

  /** Pid of the running helper, if any. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Resolves true once subscribed, false when the helper cannot run. Never rejects. */
  start(): Promise<boolean> {
    const path = this.o.path ?? procEventsHelperPath();
    if (!existsSync(path)) {
      this.o.onLog?.('warn', `process cache: ${path} not built (scripts/build-native.sh); using /proc only`);
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
      const args = ['--rt', String(this.o.rtPriority ?? 1), ...(this.o.bpf === false ? ['--no-bpf'] : [])];
      const child = spawn(path, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child = child;
      let stderr = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => {
        stderr = (stderr + d).slice(-2000);
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let msg: HelperLine;
        try {
          msg = JSON.parse(line) as HelperLine;
        } catch {
          return;
        }
        if (msg.ev === 'ready') {
          this.running = true;
          this.realtime = msg.rt === true;
          this.mode = msg.mode ?? 'connector';
          this.backoffMs = 500;
          done(true);
        } else this.o.onRecord(msg);
      });
      child.on('error', (e) => {
        this.o.onLog?.('warn', `process cache: cannot run ${path}: ${e.message}`);
        done(false);
      });
      child.on('exit', (code, signal) => {
        this.running = false;
        if (this.child === child) this.child = undefined;
        if (this.closed) return done(false);
        const why = stderr.trim() || `exit ${code ?? signal}`;
        this.o.onLog?.('warn', `process cache: helper stopped (${why}); using /proc until it restarts`);
        if (!settled) return done(false);
        this.deaths++;
        this.scheduleRestart();
      });
    });
  }

  private scheduleRestart(): void {
    if (this.closed || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restarts++;
      void this.start();
    }, this.backoffMs);
    this.restartTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
  }

  /** Stops the helper (and any pending restart). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
