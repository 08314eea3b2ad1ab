// Runs native/build/bulwark-helper, decodes its frame stream and restarts it when it dies.
// A restart is never silent: the owner gets a `helper-restart` gap (events between the crash and
// the new helper's start were not seen), and the commands that configured the old helper (marks,
// filters) are sent to the new one. Backoff doubles from 100 ms to 5 s; it resets after 30 s of
// uptime. Runs on the JS thread; one decode per pipe chunk, so Node sees batches.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { decodeFrames, type DecodeError, type Frame, type HelloFrame } from './abi.js';
import { nativeBinary } from './native-path.js';

export interface HelperOptions {
  args: string[];
  /** Binary to run instead of the built helper (tests inject faults with this). */
  binary?: string;
  onFrames(frames: Frame[]): void;
  /** Called when the helper died unexpectedly and is about to be restarted. */
  onCrash(info: { code: number | null; signal: NodeJS.Signals | null; stderr: string }): void;
  onDecodeErrors?(errors: DecodeError[]): void;
  restart?: boolean;
}

export class HelperProcess {
  private child?: ChildProcessWithoutNullStreams;
  private pending = Buffer.alloc(0);
  private commands: string[] = [];
  private stopping = false;
  private backoff = 100;
  private startedAt = 0;
  private timer?: NodeJS.Timeout;
  private helloWaiter?: { resolve(h: HelloFrame): void; reject(e: Error): void };
  restarts = 0;
  hello?: HelloFrame;

  constructor(private readonly opts: HelperOptions) {}

  /** Starts the helper; resolves with its hello frame. */
  start(): Promise<HelloFrame> {
    return new Promise((resolve, reject) => {
      this.helloWaiter = { resolve, reject };
      this.spawnChild();
    });
  }

  /** Sends a command (NUL-terminated); `remember` replays it after a restart. */
  send(cmd: string, remember = true): void {
    if (remember) this.commands.push(cmd);
    this.child?.stdin.write(`${cmd}\0`);
  }

  /** Forgets remembered commands (before a new configuration is sent). */
  resetCommands(): void {
    this.commands = [];
  }

  private spawnChild(): void {
    const bin = this.opts.binary ?? nativeBinary('bulwark-helper');
    const child = spawn(bin, this.opts.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.startedAt = Date.now();
    this.pending = Buffer.alloc(0);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.stdin.on('error', () => undefined);
    child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    for (const c of this.commands) child.stdin.write(`${c}\0`);
    child.on('error', (e) => {
      this.helloWaiter?.reject(e);
      this.helloWaiter = undefined;
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      if (this.helloWaiter) {
        this.helloWaiter.reject(
          new Error(
            `bulwark-helper exited before starting (code ${code}, signal ${signal}): ${stderr.trim()}`,
          ),
        );
        this.helloWaiter = undefined;
        return;
      }
      this.opts.onCrash({ code, signal, stderr });
      if (this.opts.restart === false) return;
      if (Date.now() - this.startedAt > 30_000) this.backoff = 100;
      this.timer = setTimeout(() => {
        this.restarts++;
        this.spawnChild();
      }, this.backoff);
      this.backoff = Math.min(this.backoff * 2, 5000);
    });
  }

  private onData(chunk: Buffer): void {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const r = decodeFrames(buf);
    this.pending = r.consumed < buf.length ? Buffer.from(buf.subarray(r.consumed)) : Buffer.alloc(0);
    if (r.errors.length) this.opts.onDecodeErrors?.(r.errors);
    if (!r.frames.length) return;
    // The hello frame is not always first: a log line (audit take-over) may precede it.
    const hello = r.frames.find((f) => f.op === 'hello');
    if (hello && hello.op === 'hello') {
      this.hello = hello;
      this.helloWaiter?.resolve(hello);
      this.helloWaiter = undefined;
    }
    this.opts.onFrames(r.frames);
  }

  /** Pid of the running helper, if any (for fault-injection tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Asks the helper to quit (it restores the audit state), waits up to 3 s, then kills it. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.stdin.end('quit\0');
    });
  }
}
