// loadConfig(): embedded defaults, then the configuration file, then command-line flags (flag >
// file > default), each layer validated with located diagnostics. It never throws for a user's
// mistake: problems come back as diagnostics (errors mean the agent must not start; the returned
// config then holds the valid parts only, for display), warnings leave the setting at its default.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Diagnostic } from '../common/diagnostic.js';
import { codes } from '../common/errors.js';
import type { CodeName } from '../common/errors.js';
import { DEFAULT_ALERT_LOG, DEFAULT_CONFIG_FILE, defaultConfig } from './defaults.js';
import { FLAG_SOURCE, flagLayer, originOf } from './flags.js';
import { validateLayer } from './validate.js';
import { readConfigYaml } from './yaml-read.js';
import type { Pos, PosMap } from './yaml-read.js';
import type { AgentConfig, ConfigFlags } from './types.js';

export interface LoadConfigOptions {
  /** Configuration file; overrides flags.config. */
  file?: string;
  flags?: ConfigFlags;
  /**
   * File read when neither `file` nor `flags.config` is given, if it exists. Default
   * /etc/bulwark/bulwark.yaml; null reads no file (embedded defaults only).
   */
  defaultFile?: string | null;
  /** Machine hostname for the nodeName default (tests). */
  hostname?: string;
  /** Read the file from this text instead of the disk (`file` still names it in messages). */
  text?: string;
}

export interface LoadConfigResult {
  config: AgentConfig;
  diagnostics: Diagnostic[];
  /** False when any diagnostic is an error. */
  ok: boolean;
  /** The configuration file that was read, absolute; undefined when none. */
  file?: string;
}

function diag(
  name: CodeName,
  file: string,
  pos: Pos,
  field: string,
  message: string,
  extra: { found?: string; fix?: string } = {},
): Diagnostic {
  const e = codes[name];
  return { code: e.code, level: e.level, file, line: pos.line, col: pos.col, field, message, ...extra };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge: mappings merge key by key, everything else (lists included) replaces. */
export function overlay(base: Record<string, unknown>, top: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(top)) {
    const b = base[k];
    if (isObject(b) && isObject(v)) overlay(b, v);
    else base[k] = v;
  }
}

function positionIn(positions: PosMap) {
  return (field: string, key = false): Pos => {
    for (let f = field; ;) {
      const p = positions.get(f);
      if (p) return key && p.keyPos ? p.keyPos : p.pos;
      if (!f) return { line: 1, col: 1 };
      const m = /(\.[^.[\]]+|\[[^[\]]*\]|\["(?:[^"\\]|\\.)*"\])$/.exec(f);
      f = m ? f.slice(0, m.index) : '';
    }
  };
}

function readFileLayer(path: string, text: string | undefined, out: Diagnostic[]): Record<string, unknown> {
  let body = text;
  if (body === undefined) {
    try {
      body = readFileSync(path, 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'ENOENT' ? 'does not exist' : `cannot be read (${err.code ?? err.message})`;
      out.push(
        diag('CONFIG_FILE_MISSING', path, { line: 0, col: 0 }, '', `configuration file ${why}`, {
          fix:
            err.code === 'ENOENT'
              ? `create it (deploy/config/bulwark.yaml is an example) or drop --config to use ${DEFAULT_CONFIG_FILE} or the defaults`
              : 'check the permissions of the file and of the directories above it',
        }),
      );
      return {};
    }
  }
  const read = readConfigYaml(body);
  for (const p of read.problems) {
    out.push(diag(p.kind === 'syntax' ? 'CONFIG_SYNTAX' : 'CONFIG_NOT_MAPPING', path, p.pos, '', p.message));
  }
  if (read.problems.length > 0) return {};
  const found: Diagnostic[] = [];
  for (const f of read.nulls) {
    const p = read.positions.get(f);
    out.push(
      diag(
        'CONFIG_NULL_VALUE',
        path,
        p?.keyPos ?? p?.pos ?? { line: 1, col: 1 },
        f,
        'setting has no value; the default is used',
        {
          fix: 'give it a value or remove the line',
        },
      ),
    );
  }
  found.push(...validateLayer(read.value, { file: path, position: positionIn(read.positions) }));
  out.push(...found.sort((a, b) => a.line - b.line || a.col - b.col));
  return read.value;
}

export function loadConfig(opts: LoadConfigOptions = {}): LoadConfigResult {
  const flags = opts.flags ?? {};
  const diagnostics: Diagnostic[] = [];
  const config = defaultConfig(opts.hostname) as unknown as Record<string, unknown>;

  let file: string | undefined;
  const explicit = opts.file ?? flags.config;
  if (explicit !== undefined) file = resolve(explicit);
  else {
    const dflt = opts.defaultFile === undefined ? DEFAULT_CONFIG_FILE : opts.defaultFile;
    if (dflt !== null && existsSync(dflt)) file = dflt;
  }
  if (file !== undefined) overlay(config, readFileLayer(file, opts.text, diagnostics));

  const fl = flagLayer(flags);
  diagnostics.push(...fl.diagnostics);
  diagnostics.push(
    ...validateLayer(fl.value, {
      file: FLAG_SOURCE,
      position: () => ({ line: 0, col: 0 }),
      origin: (field) => originOf(fl.origins, field),
    }),
  );
  overlay(config, fl.value);

  const cfg = config as unknown as AgentConfig;
  if (cfg.sinks.file.path === '') cfg.sinks.file.path = join(cfg.stateDir, DEFAULT_ALERT_LOG);
  return {
    config: cfg,
    diagnostics,
    ok: !diagnostics.some((d) => d.level === 'error'),
    ...(file !== undefined ? { file } : {}),
  };
}
