// Validates one configuration layer (the file, or the values given on the command line) against
// the schema and turns every ajv error into a located diagnostic: file:line:col, field path, what
// was found and how to fix it. Invalid values are removed from the layer so the rest still applies
// (the caller refuses to run when any error remains; nothing invalid is half-used).
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Diagnostic } from '../common/diagnostic.js';
import { showValue } from '../common/diagnostic.js';
import { codes } from '../common/errors.js';
import type { CodeName } from '../common/errors.js';
import { configSchema } from './schema.js';
import type { Schema } from './schema.js';
import { joinField } from './yaml-read.js';
import type { Pos } from './yaml-read.js';

/** Where a layer's fields are: a file with positions, or flags on the command line. */
export interface LayerContext {
  file: string;
  /** Position of a field's value (key=true: of its key); {0,0} when unknown (flags). */
  position(field: string, key?: boolean): Pos;
  /** For the command line: the flag that set a field, used as a message prefix. */
  origin?(field: string): string | undefined;
}

// Compiled on first use: commands that never read the agent configuration skip the cost.
let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(configSchema);
  return compiled;
}

/** Converts an ajv JSON pointer (`/sinks/file/maxBytes`) to a field path (`sinks.file.maxBytes`). */
export function pointerToField(pointer: string, data: unknown): string {
  let field = '';
  let cur: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      field = joinField(field, i);
      cur = cur[i];
    } else {
      field = joinField(field, seg);
      cur = (cur as Record<string, unknown> | undefined)?.[seg];
    }
  }
  return field;
}

function pointerSegments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function removeAt(data: Record<string, unknown>, segs: string[]): void {
  if (segs.length === 0) return;
  let cur: unknown = data;
  for (const s of segs.slice(0, -1)) {
    cur = (cur as Record<string, unknown> | undefined)?.[s];
    if (cur === undefined || cur === null || typeof cur !== 'object') return;
  }
  const last = segs[segs.length - 1];
  if (Array.isArray(cur)) cur.splice(Number(last), 1);
  else delete (cur as Record<string, unknown>)[last];
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

export function closest(word: string, choices: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of choices) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return 'binary data';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a whole number' : 'a decimal number';
  if (typeof v === 'boolean') return 'true/false';
  return `a ${typeof v}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

interface Finding {
  name: CodeName;
  field: string;
  key: boolean;
  message: string;
  found?: string;
  fix?: string;
}

function explain(e: ErrorObject, data: unknown): Finding {
  const field = pointerToField(e.instancePath, data);
  const found = showValue(e.data);
  const schema = (e.parentSchema ?? {}) as Schema;
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((schema.properties ?? {}) as Record<string, unknown>);
      const guess = closest(prop, known);
      const where = field || 'the top level';
      return {
        name: 'CONFIG_UNKNOWN_FIELD',
        field: joinField(field, prop),
        key: true,
        message: `unknown setting "${prop}" in ${where}`,
        found: JSON.stringify(prop),
        fix: guess
          ? `did you mean "${guess}"? (settings here: ${known.join(', ')})`
          : `remove it; settings here are: ${known.join(', ')}`,
      };
    }
    case 'type': {
      const want = String((e.params as { type: string }).type);
      const words = TYPE_WORDS[want] ?? want;
      let fix = `write ${words}`;
      if (want === 'integer' && typeof e.data === 'string' && /^-?\d+$/.test(e.data.trim()))
        fix = `remove the quotes: ${e.data.trim()}`;
      else if (want === 'boolean' && typeof e.data === 'string') fix = 'write true or false without quotes';
      else if (want === 'string' && e.data !== null && typeof e.data !== 'object')
        fix = `quote the value: "${String(e.data)}"`;
      else if (want === 'array' && typeof e.data === 'string')
        fix = `write a list, even of one item: [${e.data}]`;
      return {
        name: 'CONFIG_WRONG_TYPE',
        field,
        key: false,
        message: `expected ${words}, found ${typeName(e.data)}`,
        found,
        fix,
      };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
      return {
        name: 'CONFIG_BAD_CHOICE',
        field,
        key: false,
        message: `not one of the allowed values (${allowed.join(', ')})`,
        found,
        fix: guess ? `write ${guess}` : `write one of: ${allowed.join(', ')}`,
      };
    }
    case 'minimum':
    case 'maximum': {
      const min = schema.minimum as number | undefined;
      const max = schema.maximum as number | undefined;
      const range =
        max !== undefined && max < Number.MAX_SAFE_INTEGER ? `${min} to ${max}` : `at least ${min}`;
      return {
        name: 'CONFIG_OUT_OF_RANGE',
        field,
        key: false,
        message: `out of range: must be ${range}`,
        found,
        fix: `use a whole number ${max !== undefined && max < Number.MAX_SAFE_INTEGER ? `from ${min} to ${max}` : `of at least ${min}`}`,
      };
    }
    case 'minLength':
      return {
        name: 'CONFIG_BAD_FORMAT',
        field,
        key: false,
        message: 'must not be empty',
        found,
        fix: 'give a value, or remove the line to use the default',
      };
    case 'maxLength':
      return {
        name: 'CONFIG_BAD_FORMAT',
        field,
        key: false,
        message: `too long: at most ${String(schema.maxLength)} characters`,
        found,
        fix: 'shorten it',
      };
    case 'pattern':
      return {
        name: 'CONFIG_BAD_FORMAT',
        field,
        key: false,
        message: 'not in the expected format',
        found,
        fix: typeof schema['x-fix'] === 'string' ? schema['x-fix'] : 'see docs/config.md',
      };
    default:
      return {
        name: 'CONFIG_BAD_FORMAT',
        field,
        key: false,
        message: e.message ?? 'invalid value',
        found,
      };
  }
}

/**
 * Validates `layer` in place: invalid values are deleted, one diagnostic per problem is returned
 * (sorted by position). The layer may be partial: every setting is optional.
 */
export function validateLayer(layer: Record<string, unknown>, ctx: LayerContext): Diagnostic[] {
  const validate = validator();
  if (validate(layer)) return [];
  const errors = (validate.errors ?? []).slice();
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const removals: string[][] = [];
  for (const e of errors) {
    const f = explain(e, layer);
    const dedupe = `${f.field}|${f.name}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    const pos = ctx.position(f.field, f.key);
    const flag = ctx.origin?.(f.field);
    const entry = codes[f.name];
    out.push({
      code: entry.code,
      level: entry.level,
      file: ctx.file,
      line: pos.line,
      col: pos.col,
      field: f.field,
      message: flag ? `${flag}: ${f.message}` : f.message,
      ...(f.found !== undefined ? { found: f.found } : {}),
      ...(f.fix !== undefined ? { fix: f.fix } : {}),
    });
    const segs = pointerSegments(e.instancePath);
    if (e.keyword === 'additionalProperties')
      segs.push(String((e.params as { additionalProperty: string }).additionalProperty));
    removals.push(segs);
  }
  // Remove deepest first so array indices stay valid.
  removals.sort((a, b) => b.length - a.length || Number(b[b.length - 1]) - Number(a[a.length - 1]));
  for (const segs of removals) removeAt(layer, segs);
  out.sort((a, b) => a.line - b.line || a.col - b.col);
  return out;
}
