// Baseline settings: command-line flags over the agent's configuration file (src/config:
// stateDir, policyDir, policies, baseline.{paths,exclude,digests,key,keep}; docs/config.md)
// over defaults. The configuration is read when --config is given, or, with `defaults`, from
// /etc/bulwark/bulwark.yaml when it exists (the CLI asks for that when no PATH is given, so a
// plain `bulwark baseline init` records what the policies protect).
import { existsSync } from 'node:fs';
import { formatDiagnostic } from '../common/diagnostic.js';
import { BulwarkError } from '../common/errors.js';
import { DEFAULT_CONFIG_FILE, defaultConfig } from '../config/defaults.js';
import type { LoadConfigResult } from '../config/load.js';
import { storeLocation } from './locations.js';
import { DIGEST_ALGOS, type DigestAlgo } from './types.js';

export { DEFAULT_STATE_DIR } from './locations.js';

export interface BaselineSettings {
  stateDir: string;
  dbFile: string;
  keyFile: string;
  pubFile: string;
  paths: string[];
  exclude: string[];
  /** Policy files and directories whose file rules name directories to record. */
  policies: string[];
  digests: DigestAlgo[];
  keep: number;
  /** Config file read, if any (its own path is part of the default scope). */
  configFile?: string;
}

export interface SettingsFlags {
  config?: string;
  /** Read /etc/bulwark/bulwark.yaml (if present) when no --config is given. */
  defaults?: boolean;
  stateDir?: string;
  key?: string;
  pubkey?: string;
  digests?: string;
  exclude?: string[];
  policies?: string[];
}

export function parseDigests(text: string | string[], where = '--digest'): DigestAlgo[] {
  const list = (Array.isArray(text) ? text : text.split(','))
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const alias: Record<string, DigestAlgo> = {
    sha3_256: 'sha3-256',
    blake2b: 'blake2b512',
    'blake2b-512': 'blake2b512',
  };
  const out: DigestAlgo[] = [];
  for (const name of list) {
    const a = (alias[name] ?? name) as DigestAlgo;
    if (!DIGEST_ALGOS.includes(a))
      throw new BulwarkError(
        'BASELINE_BAD_DIGEST',
        `${where}: unknown digest "${name}"; choose from ${DIGEST_ALGOS.join(', ')}`,
      );
    if (!out.includes(a)) out.push(a);
  }
  if (out.length === 0) throw new BulwarkError('BASELINE_BAD_DIGEST', `${where}: no digest given`);
  return out;
}

/** Whether the flags name a configuration file to read (else the settings are the defaults). */
export function readsConfigFile(flags: SettingsFlags): boolean {
  return !!flags.config || (!!flags.defaults && existsSync(DEFAULT_CONFIG_FILE));
}

/** Settings from a loaded (or default) configuration and the flags over it. */
export function settingsFromConfig(
  r: Pick<LoadConfigResult, 'config' | 'diagnostics' | 'file'>,
  flags: SettingsFlags,
): BaselineSettings {
  if (r.file && !existsSync(r.file))
    throw new BulwarkError('FILE_NOT_FOUND', `config ${r.file}: no such file`);
  const errors = r.diagnostics.filter((d) => d.level === 'error');
  if (errors.length) throw new BulwarkError('BASELINE_BAD_CONFIG', errors.map(formatDiagnostic).join('\n'));
  const cfg = r.config;
  const b = cfg.baseline;
  const loc = storeLocation({
    ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
    ...(flags.key ? { key: flags.key } : {}),
    ...(flags.pubkey ? { pubkey: flags.pubkey } : {}),
    ...(r.file ? { configStateDir: cfg.stateDir } : {}),
    configKey: b.key,
  });
  // The agent's policy directory counts only when it exists (a fresh host has none).
  const policies = r.file
    ? [...(existsSync(cfg.policyDir) ? [cfg.policyDir] : []), ...cfg.policies, ...(flags.policies ?? [])]
    : [...(flags.policies ?? [])];
  return {
    ...loc,
    paths: r.file ? [...b.paths] : [],
    exclude: [...(r.file ? b.exclude : []), ...(flags.exclude ?? [])],
    policies,
    digests: flags.digests ? parseDigests(flags.digests) : parseDigests(b.digests, 'baseline.digests'),
    keep: b.keep,
    ...(r.file ? { configFile: r.file } : {}),
  };
}

/**
 * loadSettings() without loading the configuration loader (yaml, the schema validator) when
 * there is no file to read: what the CLI uses, to keep every baseline command's start-up short.
 */
export async function loadSettingsLazy(flags: SettingsFlags): Promise<BaselineSettings> {
  if (!readsConfigFile(flags)) return settingsFromConfig({ config: defaultConfig(), diagnostics: [] }, flags);
  const { loadConfig } = await import('../config/load.js');
  return settingsFromConfig(loadConfig(configLoadOptions(flags)), flags);
}

/** What the configuration loader is asked for, given the baseline command's flags. */
export function configLoadOptions(flags: SettingsFlags): { file?: string; defaultFile?: null } {
  return {
    ...(flags.config ? { file: flags.config } : {}),
    ...(flags.defaults ? {} : { defaultFile: null }),
  };
}
