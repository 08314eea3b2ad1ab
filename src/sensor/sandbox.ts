// Starts a workload under Landlock: native/build/bulwark-sandbox applies the plan's ruleset to
// itself (optionally after moving into a cgroup), then execs the program. The plan is fixed for
// the workload's lifetime (Landlock domains cannot be changed): a new rule set applies to
// workloads started afterwards. The launcher reports on fd 3 what it applied (rules, skipped
// paths) before exec; a setup failure exits 126 with the reason on stderr.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import { BulwarkError } from '../common/errors.js';
import type { LandlockPlan } from './landlock-plan.js';
import { planArgs } from './landlock-plan.js';
import { nativeBinary } from './native-path.js';

export interface SandboxOptions {
  /** cgroup directory to join before restricting (cgroup v2 or v1 path with cgroup.procs). */
  cgroup?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdio for fds 0-2 (default 'inherit'). */
  stdio?: 'inherit' | 'pipe' | 'ignore';
  /** Do not log denials to audit (default: logged). */
  noLog?: boolean;
}

export interface SandboxStatus {
  abi: number;
  handled: number;
  dropped: number;
  rules: number;
  pid: number;
  skipped: { path: string; reason: string }[];
}

export interface SandboxedProcess {
  child: ChildProcess;
  /**
   * Resolves when the ruleset is in force (just before exec); rejects on a setup failure. A
   * short program may have exited by then: attach `exit`/`close` listeners before awaiting.
   */
  applied: Promise<SandboxStatus>;
}

/** The launcher's command line for a plan (for logs and for running it by hand). */
export function sandboxCommand(
  plan: LandlockPlan,
  argv: string[],
  opts: SandboxOptions & { statusFd?: number } = {},
): string[] {
  const args = [nativeBinary('bulwark-sandbox')];
  if (opts.statusFd !== undefined) args.push('--status-fd', String(opts.statusFd));
  if (opts.cgroup) args.push('--cgroup', opts.cgroup);
  if (opts.noLog) args.push('--no-log');
  return [...args, ...planArgs(plan), '--', ...argv];
}

export function spawnSandboxed(
  plan: LandlockPlan,
  argv: string[],
  opts: SandboxOptions = {},
): SandboxedProcess {
  if (!argv.length) throw new BulwarkError('CLI_USAGE', 'no program to run');
  if (plan.handled && plan.abi === 0)
    throw new BulwarkError('SENSOR_LANDLOCK_UNAVAILABLE', 'the plan needs Landlock, which this kernel lacks');
  const [bin, ...args] = sandboxCommand(plan, argv, { ...opts, statusFd: 3 });
  const io = opts.stdio ?? 'inherit';
  const spawnOpts: SpawnOptions = { cwd: opts.cwd, env: opts.env, stdio: [io, io, io, 'pipe'] };
  const child = spawn(bin, args, spawnOpts);
  const statusPipe = child.stdio[3] as Readable;
  let text = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const applied = new Promise<SandboxStatus>((resolve, reject) => {
    statusPipe.on('data', (d: Buffer) => {
      text += d.toString();
    });
    statusPipe.on('error', () => undefined);
    statusPipe.on('close', () => {
      const line = text.trim();
      if (line.endsWith('}')) {
        try {
          resolve(JSON.parse(line) as SandboxStatus);
          return;
        } catch {
          // fall through
        }
      }
      child.once('exit', (code) =>
        reject(
          new BulwarkError(
            'SENSOR_SANDBOX_FAILED',
            `sandbox setup failed (exit ${code}): ${stderr.trim() || 'see stderr'}`,
          ),
        ),
      );
      if (child.exitCode !== null) child.emit('exit', child.exitCode, null);
    });
  });
  applied.catch(() => undefined);
  return { child, applied };
}
