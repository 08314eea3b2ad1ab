// Builds the `bulwark` command tree. Each command group lives in its own file and registers its
// subcommands on the program; add a group by adding it to GROUPS.
import { Command, CommanderError } from 'commander';
import { BulwarkError, isBulwarkError, codes } from '../common/errors.js';
import { EXIT, EXIT_HELP } from './exit-codes.js';

type Register = (program: Command) => void;

/**
 * Command groups by name, in help order. A group's module (and what it imports: SQLite, the
 * config schema, the sensor...) loads only when its command runs or when the whole tree is
 * needed (top-level help, an unknown command), so `bulwark baseline check` does not pay for
 * the agent's modules at start-up.
 */
const GROUPS: Record<string, () => Promise<Register>> = {
  agent: async () => (await import('./agent.js')).registerAgent,
  run: async () => (await import('./run.js')).registerRun,
  status: async () => (await import('./status.js')).registerStatus,
  policy: async () => (await import('./policy.js')).registerPolicy,
  logs: async () => (await import('./logs.js')).registerLogs,
  baseline: async () => (await import('./baseline.js')).registerBaseline,
  config: async () => (await import('./config.js')).registerConfig,
  probe: async () => (await import('./probe.js')).registerProbe,
};

/** The groups `argv` needs: its command's group, none for a bare --version, else all. */
function groupsFor(argv: string[]): string[] {
  const first = argv[0];
  if (first !== undefined && Object.hasOwn(GROUPS, first)) return [first];
  if (argv.length === 1 && (first === '--version' || first === '-V')) return [];
  return Object.keys(GROUPS);
}

export const VERSION = '0.1.0';

/** The command tree with the groups `argv` needs (all of them when no argv is given). */
export async function buildProgram(argv?: string[]): Promise<Command> {
  const program = new Command();
  program
    .name('bulwark')
    .description(
      'File integrity monitoring and enforcement for Linux hosts and Kubernetes nodes.\n' +
        'Reads KubeArmor policies, enforces them in the kernel, and keeps a signed baseline.',
    )
    .version(VERSION, '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\n${EXIT_HELP}\n\nDocumentation: docs/cli.md, docs/policy.md, docs/errors.md`)
    .exitOverride();
  const names = argv ? groupsFor(argv) : Object.keys(GROUPS);
  const load = Object.entries(GROUPS).filter(([name]) => names.includes(name));
  const registers = await Promise.all(load.map(([, group]) => group()));
  for (const register of registers) register(program);
  // Subcommands inherit exitOverride so usage errors reach main() and map to EXIT.USAGE.
  for (const cmd of program.commands) applyExitOverride(cmd);
  return program;
}

function applyExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) applyExitOverride(sub);
}

/** Runs the CLI and resolves to the process exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.OK;
      if (e.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    if (isBulwarkError(e)) {
      process.stderr.write(`bulwark: error ${e.code} ${e.message}\n  help: ${e.entry.help}\n`);
      return e.code === codes.CLI_USAGE.code || e.code === codes.FILE_NOT_FOUND.code
        ? EXIT.USAGE
        : EXIT.FAILURE;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    const wrapped = new BulwarkError('INTERNAL', err.message);
    process.stderr.write(`bulwark: error ${wrapped.code} ${err.stack ?? err.message}\n`);
    return EXIT.FAILURE;
  }
}
