// Helpers shared by the `bulwark baseline` subcommands: common options, settings, output.
import type { Command } from 'commander';
import { jsonText } from '../baseline/report.js';
import { loadSettingsLazy, type BaselineSettings } from '../baseline/settings.js';

/** Options every baseline subcommand shares. */
export interface CommonFlags {
  config?: string;
  stateDir?: string;
  key?: string;
  pubkey?: string;
  json?: boolean;
}

export function addCommonOptions(cmd: Command, opts: { key?: boolean; pubkey?: boolean } = {}): Command {
  cmd
    .option(
      '--config <file>',
      'Bulwark config file (YAML/JSON): stateDir, policies, baseline.{paths,exclude,digests,key,keep}',
    )
    .option(
      '--state-dir <dir>',
      'state directory; the store is <dir>/baseline/baseline.db (default /var/lib/bulwark, env BULWARK_STATE_DIR)',
    );
  if (opts.key)
    cmd.option(
      '--key <file>',
      'Ed25519 private key (default /etc/bulwark/keys/baseline-signing.key, env BULWARK_KEY_DIR)',
    );
  if (opts.pubkey)
    cmd.option('--pubkey <file>', 'trusted Ed25519 public key (default: the .pub next to the signing key)');
  return cmd;
}

/**
 * Settings from the flags; `defaults` also reads /etc/bulwark/bulwark.yaml when no --config is
 * given (everything but `init PATH...`, whose PATHs are the whole scope).
 */
export function settingsFrom(
  flags: CommonFlags & { digest?: string; exclude?: string[]; policies?: string[] },
  defaults = true,
): Promise<BaselineSettings> {
  return loadSettingsLazy({
    defaults,
    ...(flags.config ? { config: flags.config } : {}),
    ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
    ...(flags.key ? { key: flags.key } : {}),
    ...(flags.pubkey ? { pubkey: flags.pubkey } : {}),
    ...(flags.digest ? { digests: flags.digest } : {}),
    ...(flags.exclude ? { exclude: flags.exclude } : {}),
    ...(flags.policies ? { policies: flags.policies } : {}),
  });
}

export { warn } from './warn.js';

export function printJson(v: unknown): void {
  process.stdout.write(jsonText(v));
}
