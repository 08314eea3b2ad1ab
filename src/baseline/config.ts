// Baseline settings: command-line flags over a YAML/JSON config file over defaults.
//
//   # /etc/bulwark/bulwark.yaml (any file given with --config)
//   stateDir: /var/lib/bulwark          # shared state dir; the baseline lives in <stateDir>/baseline/
//   policies: [/etc/bulwark/policies]   # KubeArmor policy files/dirs: their directories are baselined
//   baseline:
//     paths: [/etc, /usr/bin]           # more roots
//     exclude: ['/var/log/**', '*.swp'] # globs; a pattern without '/' matches the base name
//     digests: [sha256]                 # sha256, sha512, sha3-256, blake2b512
//     key: /etc/bulwark/keys/baseline-signing.key
//     keep: 5                           # versions whose entries are kept (history is always kept)
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { BulwarkError } from '../common/errors.js';
import { defaultKeyFile, pubFileFor } from './signing.js';
import { DIGEST_ALGOS, type DigestAlgo } from './types.js';

export const DEFAULT_STATE_DIR = '/var/lib/bulwark';

export interface BaselineSettings {
  stateDir: string;
  dbFile: string;
  keyFile: string;
  pubFile: string;
  paths: string[];
  exclude: string[];
  policies: string[];
  digests: DigestAlgo[];
  keep: number;
  /** Config file read, if any (its own path is part of the default scope). */
  configFile?: string;
}

export interface SettingsFlags {
  config?: string;
  stateDir?: string;
  key?: string;
  pubkey?: string;
  digests?: string;
  exclude?: string[];
  policies?: string[];
}

function bad(file: string, field: string, msg: string): never {
  throw new BulwarkError('BASELINE_BAD_CONFIG', `${file}: ${field}: ${msg}`, { file, field });
}

function strList(file: string, field: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    bad(file, field, 'expected a list of strings');
  return v as string[];
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

export function loadSettings(flags: SettingsFlags): BaselineSettings {
  let doc: Record<string, unknown> = {};
  let configFile: string | undefined;
  if (flags.config) {
    configFile = resolve(flags.config);
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (e) {
      throw new BulwarkError(
        (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE',
        `cannot read config ${configFile}: ${(e as Error).message}`,
      );
    }
    try {
      const v: unknown = parse(text);
      if (v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v)))
        bad(configFile, '(document)', 'expected a mapping');
      doc = (v ?? {}) as Record<string, unknown>;
    } catch (e) {
      if (e instanceof BulwarkError) throw e;
      bad(configFile, '(document)', (e as Error).message);
    }
  }
  const file = configFile ?? '<defaults>';
  const b = (doc.baseline ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || Array.isArray(b)) bad(file, 'baseline', 'expected a mapping');
  const stateDir = resolve(
    flags.stateDir ??
      process.env.BULWARK_STATE_DIR ??
      (doc.stateDir as string | undefined) ??
      DEFAULT_STATE_DIR,
  );
  const keyFile = resolve(flags.key ?? (b.key as string | undefined) ?? defaultKeyFile());
  const keep = b.keep === undefined ? 5 : Number(b.keep);
  if (!Number.isInteger(keep) || keep < 1) bad(file, 'baseline.keep', 'expected an integer ≥ 1');
  return {
    stateDir,
    dbFile: join(stateDir, 'baseline', 'baseline.db'),
    keyFile,
    pubFile: resolve(flags.pubkey ?? pubFileFor(keyFile)),
    paths: strList(file, 'baseline.paths', b.paths),
    exclude: [...strList(file, 'baseline.exclude', b.exclude), ...(flags.exclude ?? [])],
    policies: [...strList(file, 'policies', doc.policies), ...(flags.policies ?? [])],
    digests: flags.digests
      ? parseDigests(flags.digests)
      : b.digests
        ? parseDigests(strList(file, 'baseline.digests', b.digests), `${file}: baseline.digests`)
        : ['sha256'],
    keep,
    ...(configFile ? { configFile } : {}),
  };
}
