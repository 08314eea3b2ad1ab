// `bulwark baseline check` and `bulwark baseline update`.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CheckResult } from '../baseline/engine.js';
import { progressReporter } from '../baseline/progress.js';
import {
  CHECK_EXIT,
  CHECK_EXIT_HELP,
  checkExitCode,
  checkOutput,
  versionJson,
  versionLine,
  changeJson,
} from '../baseline/report.js';
import { displayPath } from '../baseline/path-key.js';
import { BulwarkError, isBulwarkError, codes } from '../common/errors.js';
import type { BaselineSettings } from '../baseline/settings.js';
import { addCommonOptions, printJson, settingsFrom, warn, type CommonFlags } from './baseline-common.js';
import { agentJournal, delegatedCheck } from './baseline-journal.js';

/**
 * The scan engine (SQLite, the hash workers' pool), loaded when this process checks: a check the
 * agent runs for it (--since-last) only prints the result, and should not pay for loading it.
 */
const engine = (): Promise<typeof import('../baseline/engine.js')> => import('../baseline/engine.js');

type CheckFlags = CommonFlags & {
  workers?: number;
  packages?: boolean;
  alertsJson?: string;
  sinceLast?: boolean;
  policies?: string[];
};

async function writeAlerts(file: string, r: CheckResult, settings: BaselineSettings): Promise<void> {
  const { policyScope } = await import('../baseline/scope.js');
  const { driftAlerts } = await import('../baseline/alerts.js');
  const ruleSet = (await policyScope(settings.policies)).ruleSet;
  const text = driftAlerts(r.changes, { ruleSet })
    .map((a) => JSON.stringify(a))
    .join('\n');
  if (file === '-') process.stdout.write(text ? `${text}\n` : '');
  else writeFileSync(file, text ? `${text}\n` : '');
}

/** Prints an error like main() does and returns the check's exit bits for it. */
function failCheck(e: unknown): number {
  if (isBulwarkError(e)) {
    process.stderr.write(`bulwark: error ${e.code} ${e.message}\n  help: ${e.entry.help}\n`);
    const refused = [
      codes.BASELINE_TAMPERED.code,
      codes.BASELINE_ROLLBACK.code,
      codes.BASELINE_STORE_CORRUPT.code,
    ];
    return refused.includes(e.code) ? CHECK_EXIT.REFUSED : CHECK_EXIT.FAILED;
  }
  process.stderr.write(
    `bulwark: error ${codes.INTERNAL.code} ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  return CHECK_EXIT.FAILED;
}

export function registerBaselineCheck(baseline: Command): void {
  addCommonOptions(
    baseline
      .command('check')
      .description('Compare the disk to the current signed baseline: added, removed and changed entries')
      .option('--json', 'print the result as JSON (changes with old → new attributes, counts, exit bits)')
      .option(
        '--alerts-json <file>',
        'also write each change as a BaselineDrift alert, one JSON object per line ("-" = stdout)',
      )
      .option('--policies <path...>', 'KubeArmor policies whose names, severities and tags the alerts carry')
      .option(
        '--since-last',
        "only re-read what the running agent's change journal and the last check name; a full check runs instead (and says why, BW5103/BW5108-BW5112) when there is no agent, it restarted, a gap was recorded or the journal does not verify",
      )
      .option('--workers <n>', 'hashing threads (default: min(2, CPUs))', (v) => Number(v))
      .option('--no-packages', 'skip package awareness (dpkg digests)'),
    { pubkey: true },
  )
    .addHelpText('after', `\n${CHECK_EXIT_HELP}`)
    // Unknown options and stray arguments are reported here, with the check's own usage bit (64),
    // rather than by commander with the common exit code 2, which would read as "removed".
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action(async (flags: CheckFlags, cmd: Command) => {
      let code: number;
      try {
        if (cmd.args.length > 0)
          throw new BulwarkError(
            'CLI_USAGE',
            `unknown option or argument: ${cmd.args.join(' ')} (see bulwark baseline check --help)`,
          );
        if (flags.workers !== undefined && !(Number.isInteger(flags.workers) && flags.workers > 0))
          throw new BulwarkError('CLI_USAGE', '--workers takes a positive integer');
        const settings = await settingsFrom(flags);
        // A running agent does a since-last check in its warm process (a fraction of the time);
        // when it cannot, this process does, and says why a since-last check did not run.
        const delegated = flags.sinceLast
          ? await delegatedCheck(settings, flags.packages !== false, warn)
          : null;
        const progress = flags.json || delegated ? null : progressReporter('baseline check');
        const r =
          delegated ??
          (await (
            await engine()
          ).checkBaseline({
            settings,
            onWarning: warn,
            ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
            ...(flags.workers ? { workers: flags.workers } : {}),
            packages: flags.packages !== false,
            sinceLast: flags.sinceLast === true,
            // Every check records where the agent's journal stood, for the next --since-last.
            journal: agentJournal(settings.stateDir),
          }));
        progress?.finish();
        if (flags.alertsJson) await writeAlerts(flags.alertsJson, r, settings);
        if (flags.json || flags.alertsJson !== '-') process.stdout.write(checkOutput(r, flags.json === true));
        code = checkExitCode(r);
      } catch (e) {
        code = failCheck(e);
      }
      process.exitCode = code;
    });
}

export function registerBaselineUpdate(baseline: Command): void {
  addCommonOptions(
    baseline
      .command('update')
      .description(
        'Accept changes into a new signed baseline version (the history keeps who accepted what, and why)',
      )
      .option('--accept <path...>', 'accept changes to these paths (a directory accepts everything below it)')
      .option('--accept-package-consistent', 'accept changes that match what the installed packages ship')
      .option('--all', 'accept every change')
      .option('--reason <text>', 'why (kept in the history)')
      .option('--json', 'print the result as JSON')
      .option('--workers <n>', 'hashing threads (default: min(2, CPUs))', (v) => Number(v))
      .option('--no-packages', 'skip package awareness (dpkg digests)'),
    { key: true, pubkey: true },
  )
    .addHelpText(
      'after',
      `
Changes not accepted stay as they were in the current version and show up in the next check.
Exit status: 0 a new version was written (or nothing to accept), 1 changes remain unaccepted,
2 usage error, 3 failure (tampered baseline, missing key...).`,
    )
    .action(
      async (
        flags: CommonFlags & {
          accept?: string[];
          acceptPackageConsistent?: boolean;
          all?: boolean;
          reason?: string;
          workers?: number;
          packages?: boolean;
        },
      ) => {
        const settings = await settingsFrom(flags);
        const progress = flags.json ? null : progressReporter('baseline update');
        const r = await (
          await engine()
        ).updateBaseline({
          settings,
          onWarning: warn,
          ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
          ...(flags.workers ? { workers: flags.workers } : {}),
          packages: flags.packages !== false,
          ...(flags.accept ? { accept: flags.accept } : {}),
          all: flags.all === true,
          acceptPackageConsistent: flags.acceptPackageConsistent === true,
          ...(flags.reason ? { reason: flags.reason } : {}),
          command: `update ${process.argv.slice(4).join(' ')}`.trim(),
        });
        progress?.finish();
        const left = r.changes.length - r.accepted.length;
        if (flags.json) {
          printJson({
            from: versionJson(r.version),
            version: r.newVersion ? versionJson(r.newVersion) : null,
            accepted: r.accepted.map(changeJson),
            remaining: left,
            counts: r.counts,
            stats: r.stats,
          });
        } else {
          const out = [
            r.newVersion
              ? `Recorded ${versionLine(r.newVersion)}`
              : `No change accepted; still at ${versionLine(r.version)}`,
          ];
          out.push(`Accepted ${r.accepted.length} of ${r.changes.length} changes; ${left} remain.`);
          for (const c of r.accepted.slice(0, 100))
            out.push(
              `  accepted ${c.kind} ${displayPath(c.path)}${c.package ? ` [${c.package.class}]` : ''}`,
            );
          if (r.accepted.length > 100) out.push(`  ... and ${r.accepted.length - 100} more`);
          process.stdout.write(`${out.join('\n')}\n`);
        }
        process.exitCode = left > 0 ? 1 : 0;
      },
    );
}
