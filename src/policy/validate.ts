// Validates one KubeArmor policy document against its CRD schema (schema.ts, with ajv) and turns
// every violation into a located diagnostic. Like the API server it drops fields written without
// a value before validating (reported as BW1107), and reports unknown fields (BW1101) instead of
// rejecting them. matchPatterns globs are checked with the same compiler decide() uses.
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Diagnostic } from '../common/diagnostic.js';
import { showValue } from '../common/diagnostic.js';
import { codes } from '../common/errors.js';
import type { CodeName } from '../common/errors.js';
import { compileGlob, GlobError } from './glob.js';
import { joinField } from './reader.js';
import type { Pos, PosMap } from './reader.js';
import { documentSchema } from './schema.js';
import type { Schema } from './schema.js';
import type { PolicyKind } from './types.js';
import { closest, explain } from './validate-fix.js';
import type { Violation } from './validate-fix.js';

/** Where the document being validated lives. */
export interface DocContext {
  file: string;
  /** 0-based index of the YAML document in its file. */
  document: number;
  /** Field path of the policy inside the document: '' or `items[3]` for `kind: List`. */
  prefix: string;
  positions: PosMap;
}

export interface ValidationResult {
  /** The document with value-less fields removed (what Kubernetes would store). */
  value: Record<string, unknown>;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new Map<PolicyKind, { schema: Schema; validate: ValidateFunction }>();

/** The schema of a kind and its ajv validator, built once per process. */
function schemaFor(kind: PolicyKind): { schema: Schema; validate: ValidateFunction } {
  let c = compiled.get(kind);
  if (!c) {
    const schema = documentSchema(kind);
    c = { schema, validate: ajv.compile(schema) };
    compiled.set(kind, c);
  }
  return c;
}

export function absField(prefix: string, field: string): string {
  if (!prefix) return field;
  if (!field) return prefix;
  return field.startsWith('[') ? `${prefix}${field}` : `${prefix}.${field}`;
}

function parentField(field: string): string {
  const m = /(\.[^.[\]]+|\[[^[\]]*\]|\["(?:[^"\\]|\\.)*"\])$/.exec(field);
  return m ? field.slice(0, m.index) : '';
}

/** Position of a field's value (or key), falling back to the nearest written ancestor. */
export function positionOf(ctx: DocContext, field: string, key = false): Pos {
  let f = absField(ctx.prefix, field);
  for (let guard = 0; guard < 64; guard++) {
    const info = ctx.positions.get(f);
    if (info) return key && info.keyPos ? info.keyPos : info.pos;
    if (!f) break;
    f = parentField(f);
  }
  return { line: 1, col: 1 };
}

export function makeDiag(
  ctx: DocContext,
  name: CodeName,
  field: string,
  pos: Pos,
  message: string,
  extra: { found?: string; fix?: string } = {},
): Diagnostic {
  const e = codes[name];
  const d: Diagnostic = {
    code: e.code,
    level: e.level,
    file: ctx.file,
    line: pos.line,
    col: pos.col,
    field: absField(ctx.prefix, field),
    message,
  };
  if (extra.found !== undefined) d.found = extra.found;
  if (extra.fix !== undefined) d.fix = extra.fix;
  d.document = ctx.document;
  return d;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Copies value without mapping entries whose value is null; reports each one dropped. */
function pruneNulls(ctx: DocContext, value: unknown, field: string, warnings: Diagnostic[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => pruneNulls(ctx, v, joinField(field, i), warnings));
  if (!isMapping(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const f = joinField(field, k);
    if (v === null) {
      warnings.push(
        makeDiag(
          ctx,
          'POLICY_NULL_VALUE',
          f,
          positionOf(ctx, f, true),
          `field "${k}" has no value and is ignored`,
          {
            fix: `give ${k} a value, or remove the line`,
          },
        ),
      );
      continue;
    }
    const pruned = field === '' && k === 'metadata' ? v : pruneNulls(ctx, v, f, warnings);
    Object.defineProperty(out, k, { value: pruned, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Converts an ajv instancePath to a field path and the value found there. */
function locate(ptr: string, data: unknown): { field: string; key: string; value: unknown } {
  let field = '';
  let key = '';
  let cur: unknown = data;
  for (const raw of ptr.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      field = joinField(field, i);
      key = `${key}[]`;
      cur = cur[i];
    } else {
      field = joinField(field, seg);
      key = seg;
      cur = isMapping(cur) ? cur[seg] : undefined;
    }
  }
  return { field, key, value: cur };
}

function toViolation(err: ErrorObject, data: unknown): Violation {
  const at = locate(err.instancePath, data);
  if (err.keyword === 'required') {
    const missing = String((err.params as { missingProperty?: string }).missingProperty);
    return {
      keyword: 'required',
      field: joinField(at.field, missing),
      key: missing,
      value: undefined,
      params: err.params,
    };
  }
  return { keyword: err.keyword, field: at.field, key: at.key, value: at.value, params: err.params };
}

/** Hint for an unknown field: a likely intended spelling or the right place for it. */
function unknownFix(kind: PolicyKind, parent: string, key: string, known: string[]): string {
  if (kind === 'KubeArmorClusterPolicy' && parent === 'spec.selector' && key === 'matchLabels') {
    return 'a cluster policy selects pods with matchExpressions: [{key: label, operator: In, values: ["app=x"]}]';
  }
  if (parent === 'spec' && key === 'selector' && kind === 'KubeArmorHostPolicy') {
    return 'a host policy selects nodes with nodeSelector.matchLabels';
  }
  if (parent === 'spec' && key === 'nodeSelector' && kind !== 'KubeArmorHostPolicy') {
    return 'nodeSelector belongs to KubeArmorHostPolicy; this kind selects with selector';
  }
  if (parent === 'spec' && key === 'presets' && kind === 'KubeArmorHostPolicy') {
    return 'presets exist only in KubeArmorPolicy and KubeArmorClusterPolicy; remove them here';
  }
  if (parent === 'spec' && key === 'device' && kind !== 'KubeArmorHostPolicy') {
    return 'device rules exist only in KubeArmorHostPolicy; remove them here';
  }
  if (/matchPatterns\[\d+\]$/.test(parent) && ['fromSource', 'recursive', 'pts'].includes(key)) {
    return `matchPatterns has no ${key} (the rule applies without it); use matchPaths or matchDirectories for ${key}`;
  }
  const near = closest(key, known);
  if (near && near !== key) return `write "${near}"`;
  return 'remove it, or check its spelling: Kubernetes drops fields the CRD does not define';
}

function findUnknown(
  ctx: DocContext,
  kind: PolicyKind,
  schema: Schema,
  value: unknown,
  field: string,
  warnings: Diagnostic[],
): void {
  if (schema.type === 'array' && Array.isArray(value) && schema.items) {
    value.forEach((v, i) => findUnknown(ctx, kind, schema.items as Schema, v, joinField(field, i), warnings));
    return;
  }
  if (schema.type !== 'object' || !isMapping(value)) return;
  const props = schema.properties ?? {};
  for (const [k, v] of Object.entries(value)) {
    const f = joinField(field, k);
    if (Object.hasOwn(props, k)) findUnknown(ctx, kind, props[k], v, f, warnings);
    else if (typeof schema.additionalProperties === 'object') {
      findUnknown(ctx, kind, schema.additionalProperties, v, f, warnings);
    } else if (schema.additionalProperties === undefined) {
      warnings.push(
        makeDiag(
          ctx,
          'POLICY_UNKNOWN_FIELD',
          f,
          positionOf(ctx, f, true),
          `unknown field "${k}" is ignored`,
          {
            found: k,
            fix: unknownFix(kind, field, k, Object.keys(props)),
          },
        ),
      );
    }
  }
}

function checkMetadata(ctx: DocContext, doc: Record<string, unknown>, errors: Diagnostic[]): void {
  const meta = doc.metadata;
  if (meta !== undefined && !isMapping(meta)) return; // reported by the schema (type)
  const name = meta?.name;
  if (typeof name !== 'string' || name.trim() === '') {
    const field = name === undefined ? 'metadata' : 'metadata.name';
    errors.push(
      makeDiag(
        ctx,
        'POLICY_MISSING_NAME',
        field === 'metadata' ? 'metadata.name' : field,
        positionOf(ctx, field),
        'metadata.name is missing or empty',
        {
          ...(name !== undefined ? { found: showValue(name) } : {}),
          fix:
            typeof name === 'boolean' || typeof name === 'number'
              ? 'quote the name: YAML reads unquoted y, yes, on, no, off and numbers as other types'
              : 'add metadata: {name: my-policy} (alerts report it as PolicyName)',
        },
      ),
    );
  }
  if (meta && meta.namespace !== undefined && typeof meta.namespace !== 'string') {
    errors.push(
      makeDiag(
        ctx,
        'POLICY_WRONG_TYPE',
        'metadata.namespace',
        positionOf(ctx, 'metadata.namespace'),
        'namespace must be a string',
        {
          found: showValue(meta.namespace),
          fix: `quote it: "${String(meta.namespace)}"`,
        },
      ),
    );
  }
}

function checkGlobs(ctx: DocContext, doc: Record<string, unknown>, errors: Diagnostic[]): void {
  const spec = isMapping(doc.spec) ? doc.spec : undefined;
  const file = spec && isMapping(spec.file) ? spec.file : undefined;
  const list = file?.matchPatterns;
  if (!Array.isArray(list)) return;
  list.forEach((rule, i) => {
    if (!isMapping(rule) || typeof rule.pattern !== 'string') return;
    try {
      compileGlob(rule.pattern);
    } catch (e) {
      if (!(e instanceof GlobError)) throw e;
      const field = `spec.file.matchPatterns[${i}].pattern`;
      const info = ctx.positions.get(absField(ctx.prefix, field));
      const base = positionOf(ctx, field);
      const col = info && !info.empty ? base.col + (info.quoted ? 1 : 0) + e.offset : base.col;
      errors.push(
        makeDiag(
          ctx,
          'POLICY_BAD_PATTERN',
          field,
          { line: base.line, col },
          `invalid glob pattern: ${e.message}`,
          {
            found: showValue(rule.pattern),
            fix: 'close every "[" and "{", or write "\\" before a character meant literally',
          },
        ),
      );
    }
  });
}

/** Validates a document already known to be of `kind` with the right apiVersion. */
export function validatePolicy(
  ctx: DocContext,
  kind: PolicyKind,
  doc: Record<string, unknown>,
): ValidationResult {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const value = pruneNulls(ctx, doc, '', warnings) as Record<string, unknown>;
  checkMetadata(ctx, value, errors);
  const { schema, validate } = schemaFor(kind);
  if (!validate(value)) {
    const seen = new Set<string>();
    for (const err of validate.errors ?? []) {
      const v = toViolation(err, value);
      if (seen.has(v.field)) continue; // one finding per field (a wrong type also fails its enum)
      seen.add(v.field);
      const x = explain(v);
      const pos = v.keyword === 'required' ? positionOf(ctx, parentField(v.field)) : positionOf(ctx, v.field);
      errors.push(makeDiag(ctx, x.code, v.field, pos, x.message, { found: x.found, fix: x.fix }));
    }
  }
  findUnknown(ctx, kind, schema, value, '', warnings);
  checkGlobs(ctx, value, errors);
  return { value, errors, warnings };
}
