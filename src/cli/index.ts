// Builds the `bulwark` command tree. Each command group lives in its own file and registers its
// subcommands on the program; add a group by adding it to GROUPS.
import { Command, CommanderError } from 'commander';
import { BulwarkError, isBulwarkError, codes } from '../common/errors.js';
import { EXIT, EXIT_HELP } from './exit-codes.js';
import { registerPolicy } from './policy.js';
import { registerAgent } from './agent.js';
import { registerRun } from './run.js';
import { registerStatus } from './status.js';
import { registerLogs } from './logs.js';
import { registerBaseline } from './baseline.js';
import { registerConfig } from './config.js';
import { registerProbe } from './probe.js';

type Register = (program: Command) => void;

const GROUPS: Register[] = [
  registerAgent,
  registerRun,
  registerStatus,
  registerPolicy,
  registerLogs,
  registerBaseline,
  registerConfig,
  registerProbe,
];

export const VERSION = '0.1.0';

export function buildProgram(): Command {
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
  for (const register of GROUPS) register(program);
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
  const program = buildProgram();
  try {
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
