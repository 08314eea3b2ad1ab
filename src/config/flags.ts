// The command-line layer: named flags (--policies, --state-dir, --sensor, --replay,
// --cluster-name, --node-name, --posture, --host-posture) and the generic `--set key.path=value`, turned into a
// partial configuration that is validated like the file and laid over it (flag > file > default).
// Relative paths on the command line are resolved from the current directory.
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Diagnostic } from '../common/diagnostic.js';
import { codes } from '../common/errors.js';
import type { ConfigFlags } from './types.js';

/** How a flag is named in messages (`--state-dir`) for the field it sets. */
export interface FlagLayer {
  value: Record<string, unknown>;
  /** field path → flag as the user wrote it. */
  origins: Map<string, string>;
  diagnostics: Diagnostic[];
}

/** Settings whose values are filesystem paths (resolved against the cwd when given as flags). */
const PATH_FIELDS = new Set(['stateDir', 'policyDir', 'replayFile', 'sinks.file.path', 'baseline.key']);

export const FLAG_SOURCE = '<command line>';

function flagDiag(message: string, found: string, fix: string): Diagnostic {
  const e = codes.CONFIG_BAD_FLAG;
  return {
    code: e.code,
    level: e.level,
    file: FLAG_SOURCE,
    line: 0,
    col: 0,
    field: '',
    message,
    found,
    fix,
  };
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = target;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = value;
}

/** Reads a --set value as a YAML scalar or flow collection (`true`, `10`, `[a, b]`, `text`). */
function parseValue(text: string): unknown {
  if (text === '') return '';
  try {
    return parseYaml(text) as unknown;
  } catch {
    return text;
  }
}

function absolutise(field: string, v: unknown): unknown {
  if (typeof v === 'string' && v !== '' && PATH_FIELDS.has(field)) return resolve(v);
  if (field === 'policies' && Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? resolve(x) : x));
  return v;
}

/** Builds the command-line layer. Never throws; malformed flags become diagnostics. */
export function flagLayer(flags: ConfigFlags): FlagLayer {
  const layer: FlagLayer = { value: {}, origins: new Map(), diagnostics: [] };
  const put = (field: string, flag: string, v: unknown): void => {
    setPath(layer.value, field.split('.'), absolutise(field, v));
    layer.origins.set(field, flag);
  };
  if (flags.stateDir !== undefined) put('stateDir', '--state-dir', flags.stateDir);
  if (flags.policies !== undefined) put('policyDir', '--policies', flags.policies);
  if (flags.sensor !== undefined) put('sensor', '--sensor', flags.sensor);
  if (flags.replay !== undefined) put('replayFile', '--replay', flags.replay);
  if (flags.clusterName !== undefined) put('clusterName', '--cluster-name', flags.clusterName);
  if (flags.nodeName !== undefined) put('nodeName', '--node-name', flags.nodeName);
  if (flags.hostPosture !== undefined) put('posture.host', '--host-posture', flags.hostPosture);
  const postures =
    flags.posture === undefined ? [] : Array.isArray(flags.posture) ? flags.posture : [flags.posture];
  for (const p of postures) {
    const eq = p.indexOf('=');
    if (eq < 0) put('posture.workload', '--posture', p);
    else if (eq === 0)
      layer.diagnostics.push(
        flagDiag('--posture: namespace missing before "="', p, 'write --posture NAMESPACE=audit|block'),
      );
    else put(`posture.namespaces.${p.slice(0, eq)}`, '--posture', p.slice(eq + 1));
  }
  for (const s of flags.set ?? []) {
    const eq = s.indexOf('=');
    const key = eq < 0 ? '' : s.slice(0, eq).trim();
    if (eq < 0 || !/^[A-Za-z_][\w-]*(\.[\w.-]+)*$/.test(key) || key.split('.').some((k) => !k)) {
      layer.diagnostics.push(
        flagDiag(
          '--set: expected key.path=value',
          s,
          'write e.g. --set sinks.file.enabled=true or --set throttle.maxAlertsPerSec=20',
        ),
      );
      continue;
    }
    put(key, `--set ${key}`, parseValue(s.slice(eq + 1)));
  }
  return layer;
}

/** The flag that set a field, one of its ancestors, or (for a rejected parent) a descendant. */
export function originOf(origins: Map<string, string>, field: string): string | undefined {
  const plain = field.replace(/\[\d+\]/g, '');
  for (let f = plain; f; f = f.includes('.') ? f.slice(0, f.lastIndexOf('.')) : '') {
    const o = origins.get(f);
    if (o) return o;
  }
  for (const [f, o] of origins) if (f.startsWith(`${plain}.`)) return o;
  return undefined;
}
