// Validates one KubeArmor policy document against its CRD schema (schema.ts, with ajv) and turns
// every violation into a located diagnostic. Like the API server it drops fields written without
// a value before validating (reported as BW1107), and reports unknown fields (BW1101) instead of
// rejecting them. matchPatterns globs are checked with the same compiler decide() uses.
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Diagnostic } from '../common/diagnostic.js';
import { showValue } from '../common/diagnostic.js';
import { absField, makeDiag, parentField, positionOf } from './doc-context.js';
import type { DocContext } from './doc-context.js';
import { joinField } from './field-path.js';
import { compileGlob, GlobError } from './glob.js';
import { documentSchema } from './schema.js';
import type { Schema } from './schema.js';
import type { PolicyKind } from './types.js';
import { findUnknown } from './unknown-fields.js';
import { explain } from './validate-fix.js';
import type { Violation } from './validate-fix.js';

export type { DocContext } from './doc-context.js';

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

function checkGlobs(
  ctx: DocContext,
  doc: Record<string, unknown>,
  errors: Diagnostic[],
  warnings: Diagnostic[],
): void {
  const spec = isMapping(doc.spec) ? doc.spec : undefined;
  const file = spec && isMapping(spec.file) ? spec.file : undefined;
  const list = file?.matchPatterns;
  if (!Array.isArray(list)) return;
  list.forEach((rule, i) => {
    if (!isMapping(rule) || typeof rule.pattern !== 'string') return;
    const field = `spec.file.matchPatterns[${i}].pattern`;
    try {
      compileGlob(rule.pattern);
      // Paths are absolute: a pattern starting with a literal other than "/" matches nothing.
      if (!/^[/*?[{\\]/.test(rule.pattern)) {
        const bare = rule.pattern.replace(/^\^/, '').replace(/\$$/, '');
        const fix = bare.startsWith('/')
          ? `write "${bare}" (a glob, not a regular expression: no ^ or $)`
          : `write "/${bare}" (from the root) or "**/${bare}" (at any depth)`;
        warnings.push(
          makeDiag(
            ctx,
            'POLICY_PATTERN_UNMATCHABLE',
            field,
            positionOf(ctx, field),
            'pattern does not start with "/" and can match no path',
            { found: showValue(rule.pattern), fix },
          ),
        );
      }
    } catch (e) {
      if (!(e instanceof GlobError)) throw e;
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
  checkGlobs(ctx, value, errors, warnings);
  return { value, errors, warnings };
}
