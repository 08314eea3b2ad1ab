// `bulwark baseline keygen` and `bulwark baseline init`.
import type { Command } from 'commander';
import { keygen } from '../baseline/signing.js';
import { progressReporter } from '../baseline/progress.js';
import { statsLine, versionJson, versionLine } from '../baseline/report.js';
import { displayPath, keyToPath } from '../baseline/path-key.js';
import { loadSettingsLazy } from '../baseline/settings.js';
import { addCommonOptions, printJson, settingsFrom, warn, type CommonFlags } from './baseline-common.js';

export function registerBaselineKeygen(baseline: Command): void {
  addCommonOptions(
    baseline
      .command('keygen')
      .description(
        'Create the Ed25519 key pair that signs baseline versions (private key 0600, public key .pub next to it)',
      )
      .option(
        '--key <file>',
        'where to write the private key (default /etc/bulwark/keys/baseline-signing.key)',
      )
      .option('--force', 'replace an existing key (older versions then verify only with the old public key)')
      .option('--json', 'print the result as JSON'),
  ).action(async (flags: CommonFlags & { force?: boolean }) => {
    const s = await loadSettingsLazy({
      ...(flags.key ? { key: flags.key } : {}),
      ...(flags.config ? { config: flags.config } : {}),
    });
    const r = keygen(s.keyFile, flags.force === true);
    if (flags.json) printJson(r);
    else
      process.stdout.write(
        `private key: ${r.keyFile} (mode 0600; keep it off the state dir, or off the host)\n` +
          `public key:  ${r.pubFile} (give it to auditors: bulwark baseline verify --pubkey ${r.pubFile})\n` +
          `key id:      ${r.keyId}\n`,
      );
  });
}

export function registerBaselineInit(baseline: Command): void {
  addCommonOptions(
    baseline
      .command('init')
      .description('Walk the scope and record a new signed baseline version')
      .argument('[path...]', 'files or directories to record, in addition to the configured scope')
      .option(
        '--digest <list>',
        'content digests, comma-separated: sha256 (default), sha512, sha3-256, blake2b512',
      )
      .option(
        '--exclude <glob...>',
        'skip matching paths and everything below them (a glob without "/" matches base names)',
      )
      .option(
        '--policies <path...>',
        'KubeArmor policy files or directories whose file rules name the directories to record',
      )
      .option('--workers <n>', 'hashing threads (default: min(2, CPUs))', (v) => Number(v))
      .option('--no-packages', 'do not record owning packages (dpkg)')
      .option('--reason <text>', 'why this version was recorded (kept in the history)')
      .option('--force', 'record a fresh version even if a baseline exists (the history is kept)')
      .option('--json', 'print the result as JSON'),
    { key: true },
  )
    .addHelpText(
      'after',
      `
Scope: PATH arguments, baseline.paths from --config, the directories named by file rules of the
policies (--policies or the config's policies), and the config and policy files themselves.
Records type, mode, owner, group, size, mtime, ctime, inode, links, device, symlink target,
xattrs, POSIX ACLs, SELinux context, file capabilities, chattr flags and the chosen digests.`,
    )
    .action(
      async (
        paths: string[],
        flags: CommonFlags & {
          digest?: string;
          exclude?: string[];
          policies?: string[];
          workers?: number;
          packages?: boolean;
          reason?: string;
          force?: boolean;
        },
      ) => {
        const settings = await settingsFrom(flags, paths.length === 0);
        const progress = flags.json ? null : progressReporter('baseline init');
        const { initBaseline } = await import('../baseline/engine.js');
        const r = await initBaseline({
          settings,
          paths,
          onWarning: warn,
          ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
          ...(flags.workers ? { workers: flags.workers } : {}),
          packages: flags.packages !== false,
          command: `init ${process.argv.slice(4).join(' ')}`.trim(),
          ...(flags.reason ? { reason: flags.reason } : {}),
          force: flags.force === true,
        });
        progress?.finish();
        if (r.problems.length)
          warn(
            'BW5101',
            `${r.problems.length} entries could not be read fully (listed in --json; recorded with the reason)`,
          );
        if (flags.json) {
          printJson({
            version: versionJson(r.version),
            stats: r.stats,
            store: settings.dbFile,
            problems: r.problems.map((p) => ({
              path: displayPath(keyToPath(p.key)),
              error: p.error ?? 'changed during the scan',
            })),
          });
          return;
        }
        process.stdout.write(
          `Recorded ${versionLine(r.version)}\n` +
            `Store: ${settings.dbFile}\n` +
            `Scope: ${r.scope.roots.join(', ')}${r.scope.exclude.length ? ` (excluding ${r.scope.exclude.join(', ')})` : ''}\n` +
            `Scanned ${statsLine(r.stats)}\n` +
            r.problems
              .slice(0, 50)
              .map(
                (p) =>
                  `  not read fully: ${displayPath(keyToPath(p.key))}: ${p.error ?? 'changed during the scan'}\n`,
              )
              .join(''),
        );
      },
    );
}
