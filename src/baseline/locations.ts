// Where a baseline's files are: its store under the state directory and its key pair, from the
// flags, the configuration and the environment. Only node:path here, so that the CLI's quick
// since-last path (src/cli/quick.ts) computes them without loading what the settings need.
import { join, resolve } from 'node:path';

export const DEFAULT_STATE_DIR = '/var/lib/bulwark';
export const DEFAULT_KEY_DIR = '/etc/bulwark/keys';
export const KEY_NAME = 'baseline-signing.key';

export function defaultKeyFile(): string {
  return join(process.env.BULWARK_KEY_DIR ?? DEFAULT_KEY_DIR, KEY_NAME);
}

export function pubFileFor(keyFile: string): string {
  return keyFile.replace(/\.key$/, '') + '.pub';
}

export interface StoreLocation {
  stateDir: string;
  /** `<stateDir>/baseline/baseline.db` */
  dbFile: string;
  keyFile: string;
  pubFile: string;
}

/**
 * Flags over the environment (BULWARK_STATE_DIR, BULWARK_KEY_DIR) over the configuration file's
 * values (only when one was read) over the defaults; all paths absolute.
 */
export function storeLocation(o: {
  stateDir?: string;
  key?: string;
  pubkey?: string;
  /** From a configuration file that was read (not the embedded defaults). */
  configStateDir?: string;
  configKey?: string;
}): StoreLocation {
  const stateDir = resolve(
    o.stateDir ?? process.env.BULWARK_STATE_DIR ?? o.configStateDir ?? DEFAULT_STATE_DIR,
  );
  const keyFile = resolve(o.key ?? (o.configKey || defaultKeyFile()));
  return {
    stateDir,
    dbFile: join(stateDir, 'baseline', 'baseline.db'),
    keyFile,
    pubFile: resolve(o.pubkey ?? pubFileFor(keyFile)),
  };
}
