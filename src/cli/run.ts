// `bulwark run --label k=v [--namespace NS] [--name NAME] -- CMD...`: runs CMD as a workload of the
// agent of --state-dir, so workload policies apply to it and its children as to a pod. The agent
// registers it (container-style 64-hex id, name, cgroup) and hands back its Landlock plan; CMD is
// started under that plan inside the workload's cgroup. stdin/stdout/stderr and the terminal pass
// through; the exit code is CMD's.
import { constants } from 'node:os';
import type { Command } from 'commander';
import { ControlConnection, agentAnswers, socketPath } from '../app/control.js';
import { collect, parseLabelOptions } from './option-parsers.js';
import { BulwarkError } from '../common/errors.js';
import { DEFAULT_STATE_DIR } from '../config/defaults.js';
import { spawnSandboxed, type LandlockPlan } from '../sensor/index.js';

/** Exit codes of `bulwark run` itself, as container runtimes use them. */
export const RUN_EXIT = { AGENT: 125, CANNOT_INVOKE: 126, NOT_FOUND: 127 } as const;

interface RunOpts {
  label: string[];
  namespace: string;
  name?: string;
  stateDir: string;
  verbose?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run a command as a labelled workload, so workload policies apply to it')
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('-l, --label <k=v>', 'workload label (repeatable, or comma-separated)', collect, [])
    .option('-n, --namespace <ns>', 'workload namespace', 'default')
    .option('--name <name>', 'container name of the workload (default: generated)')
    .option('--state-dir <dir>', 'state directory of the agent to register with', DEFAULT_STATE_DIR)
    .option('-v, --verbose', 'print the workload id and how each rule is enforced, on stderr')
    .passThroughOptions()
    .addHelpText(
      'after',
      `
Examples:
  bulwark run --label app=mysql --namespace wordpress-mysql -- sh -c 'cd /sbin && touch file'
  bulwark run -l app=web -l tier=front --name web-1 -- /usr/bin/python3 app.py

The workload gets a container-style ContainerID and ContainerName, so its alerts look like a
container's. Its rules are fixed when it starts (a Landlock domain cannot change): after a policy
change, 'bulwark status' lists running workloads as stale until they are restarted.

Exit codes: the command's own; 128+N when it was killed by signal N; 125 when no agent answers or
the agent refused; 126 when the sandbox could not be set up; 127 when the command was not found.`,
    )
    .action(async (command: string[], opts: RunOpts) => {
      process.exitCode = await run(command, opts);
    });
}

async function run(command: string[], opts: RunOpts): Promise<number> {
  if (command.length === 0) throw new BulwarkError('RUN_NO_COMMAND', 'no command given');
  const labels = parseLabelOptions(opts.label);
  const path = socketPath(opts.stateDir);
  if (!(await agentAnswers(path))) {
    process.stderr.write(
      `bulwark: error BW8004 no agent answers for state directory ${opts.stateDir} (${path})\n  help: start one with 'bulwark agent --state-dir ${opts.stateDir}', or pass the --state-dir of the running agent\n`,
    );
    return RUN_EXIT.AGENT;
  }
  const conn = await ControlConnection.open(path);
  const reg = await conn.send({
    op: 'register',
    labels,
    namespace: opts.namespace,
    name: opts.name,
    command,
  });
  if (!reg.ok) {
    process.stderr.write(`bulwark: error BW8005 the agent refused the workload: ${reg.error}\n`);
    conn.close();
    return RUN_EXIT.AGENT;
  }
  const w = reg.workload as { id: string; name: string; cgroupDir: string };
  const plan = reg.plan as LandlockPlan;
  if (opts.verbose) {
    process.stderr.write(`bulwark: workload ${w.name} ${w.id}\n`);
    if (typeof reg.coverage === 'string' && reg.coverage) process.stderr.write(`${reg.coverage}\n`);
  }
  const sb = spawnSandboxed(plan, command, { cgroup: w.cgroupDir || undefined, stdio: 'inherit' });
  // The terminal's signals reach the child directly (same process group); forward the others.
  const forward = (sig: NodeJS.Signals) => () => sb.child.kill(sig);
  const handlers: [NodeJS.Signals, () => void][] = (
    ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'] as NodeJS.Signals[]
  ).map((s) => [s, forward(s)]);
  for (const [s, h] of handlers) process.on(s, h);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    sb.child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // The launcher execs the command, so its pid is the workload's first pid. Tell the agent at
  // once: the first denial of the workload's Landlock domain names that pid.
  void conn.send({ op: 'started', id: w.id, pid: sb.child.pid });
  let setupFailed = false;
  try {
    await sb.applied;
  } catch (e) {
    setupFailed = true;
    process.stderr.write(`bulwark: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  const { code, signal } = await exited;
  for (const [s, h] of handlers) process.off(s, h);
  const exit = signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? RUN_EXIT.CANNOT_INVOKE);
  await conn.send({ op: 'exited', id: w.id, code: exit });
  conn.close();
  return setupFailed && exit === 0 ? RUN_EXIT.CANNOT_INVOKE : exit;
}
