// `bulwark config check|show`: validate the agent configuration (file + flags) without starting
// the agent, and print the effective settings after defaults, file and flags are laid over each
// other. Both take the agent's configuration flags (--config, --state-dir, --set ...).
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { formatDiagnostic } from '../common/diagnostic.js';
import { addConfigOptions, flagsFromOptions, loadConfig } from '../config/index.js';
import type { LoadConfigResult } from '../config/index.js';
import { EXIT } from './exit-codes.js';

const CHECK_HELP = `
Reads the configuration file (--config, else /etc/bulwark/bulwark.yaml when it exists), lays the
flags over it, and prints every finding as "file:line:col level CODE message (setting)" with
"found:" and "fix:" lines; findings about flags name "<command line>" and the flag. Settings and
defaults: docs/config.md. Codes: docs/errors.md (BW4xxx).

Examples:
  bulwark config check --config /etc/bulwark/bulwark.yaml
  bulwark config check --config deploy/config/bulwark.yaml --set sinks.file.keep=3 --json

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error.`;

const SHOW_HELP = `
Prints the settings the agent would run with (YAML, or JSON with --json), each one filled from a
flag, the file or the built-in default, in that order of precedence.

Examples:
  bulwark config show
  bulwark config show --config deploy/config/bulwark.yaml --state-dir /tmp/bw --json`;

function exitCode(r: LoadConfigResult): number {
  return r.ok ? EXIT.OK : EXIT.FINDINGS;
}

/** Runs `config check`; returns the exit code. */
export function runConfigCheck(opts: Record<string, unknown>, write: (s: string) => void): number {
  const r = loadConfig({ flags: flagsFromOptions(opts) });
  if (opts.json) {
    write(`${JSON.stringify({ ok: r.ok, file: r.file ?? null, diagnostics: r.diagnostics }, null, 2)}\n`);
    return exitCode(r);
  }
  for (const d of r.diagnostics) write(`${formatDiagnostic(d)}\n`);
  const errors = r.diagnostics.filter((d) => d.level === 'error').length;
  const warnings = r.diagnostics.length - errors;
  const what = r.file ?? 'built-in defaults (no configuration file)';
  write(
    r.ok
      ? `${what}: ok${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}\n`
      : `${what}: INVALID, ${errors} error${errors === 1 ? '' : 's'}\n`,
  );
  return exitCode(r);
}

/** Runs `config show`; returns the exit code. Invalid settings are reported and nothing printed. */
export function runConfigShow(
  opts: Record<string, unknown>,
  write: (s: string) => void,
  writeErr: (s: string) => void,
): number {
  const r = loadConfig({ flags: flagsFromOptions(opts) });
  for (const d of r.diagnostics) writeErr(`${formatDiagnostic(d)}\n`);
  if (!r.ok) return EXIT.FINDINGS;
  write(opts.json ? `${JSON.stringify(r.config, null, 2)}\n` : stringify(r.config));
  return EXIT.OK;
}

export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('Validate the agent configuration and show the effective settings');
  const check = config
    .command('check')
    .description('Validate the configuration file and flags without starting the agent')
    .option('--json', 'print {ok, file, diagnostics} as JSON')
    .addHelpText('after', CHECK_HELP);
  addConfigOptions(check);
  check.action((opts: Record<string, unknown>) => {
    process.exitCode = runConfigCheck(opts, (s) => process.stdout.write(s));
  });
  const show = config
    .command('show')
    .description('Print the effective settings (defaults < file < flags)')
    .option('--json', 'print JSON instead of YAML')
    .addHelpText('after', SHOW_HELP);
  addConfigOptions(show);
  show.action((opts: Record<string, unknown>) => {
    process.exitCode = runConfigShow(
      opts,
      (s) => process.stdout.write(s),
      (s) => process.stderr.write(s),
    );
  });
}
