// Builds a Policy from a validated document, applying KubeArmor's normalisation
// (core/kubeUpdate.go, applied once at ingestion):
//   - spec.action: allow/audit/block → Allow/Audit/Block, absent → Block;
//   - each file rule inherits severity, tags, message and action from the `file:` section when it
//     has none of its own, then from spec (rule > file section > spec; tag lists are not merged);
//   - targets: repeated slashes collapsed (`//etc/x` → `/etc/x`), directories keep their '/';
//     `written` keeps the text as written.
// Reports sections Bulwark does not enforce (BW1102, once per policy) and policies without file
// rules (BW1104).
import type { Diagnostic } from '../common/diagnostic.js';
import { joinField } from './field-path.js';
import { UNENFORCED_SECTIONS } from './schema.js';
import type { Action, FileRule, MatchExpression, Policy, PolicyKind, RuleKind, Selector } from './types.js';
import { makeDiag, positionOf } from './doc-context.js';
import type { DocContext } from './doc-context.js';

type Obj = Record<string, unknown>;

export interface NormaliseResult {
  policy: Policy;
  warnings: Diagnostic[];
}

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function strings(v: unknown): string[] {
  return arr(v).filter((x): x is string => typeof x === 'string');
}
function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** KubeArmor's spec.action normalisation: only the policy-level action is case-normalised. */
export function normaliseSpecAction(v: unknown): Action {
  const s = str(v);
  switch (s) {
    case '':
      return 'Block';
    case 'allow':
      return 'Allow';
    case 'audit':
      return 'Audit';
    case 'block':
      return 'Block';
    default:
      return s as Action;
  }
}

/** Collapses runs of '/' into one; nothing else changes (no '.'/'..' resolution here). */
export function collapseSlashes(p: string): string {
  return p.replace(/\/{2,}/g, '/');
}

const LISTS: { list: string; kind: RuleKind; key: string }[] = [
  { list: 'matchPaths', kind: 'path', key: 'path' },
  { list: 'matchDirectories', kind: 'dir', key: 'dir' },
  { list: 'matchPatterns', kind: 'pattern', key: 'pattern' },
];

function labels(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

function expressions(ctx: DocContext, v: unknown, field: string, warnings: Diagnostic[]): MatchExpression[] {
  const out: MatchExpression[] = [];
  arr(v).forEach((e, i) => {
    const x = obj(e);
    const f = joinField(field, i);
    const key = str(x.key);
    const op = str(x.operator);
    if (key === '' || (op !== 'In' && op !== 'NotIn')) {
      warnings.push(
        makeDiag(
          ctx,
          'POLICY_IGNORED_ENTRY',
          f,
          positionOf(ctx, f),
          'selector expression without key or operator is ignored',
          {
            fix: 'write key (label or namespace), operator (In or NotIn) and values',
          },
        ),
      );
      return;
    }
    out.push({ key, operator: op, values: strings(x.values) });
  });
  return out;
}

function selectorOf(
  ctx: DocContext,
  kind: PolicyKind,
  spec: Obj,
  namespace: string,
  warnings: Diagnostic[],
): Selector {
  switch (kind) {
    case 'KubeArmorHostPolicy':
      return { kind: 'host', matchLabels: labels(obj(spec.nodeSelector).matchLabels) };
    case 'KubeArmorClusterPolicy': {
      const sel = obj(spec.selector);
      const exprs = expressions(ctx, sel.matchExpressions, 'spec.selector.matchExpressions', warnings);
      return { kind: 'cluster', matchLabels: {}, matchExpressions: exprs };
    }
    case 'KubeArmorPolicy': {
      const sel = obj(spec.selector);
      const exprs = expressions(ctx, sel.matchExpressions, 'spec.selector.matchExpressions', warnings);
      return { kind: 'workload', namespace, matchLabels: labels(sel.matchLabels), matchExpressions: exprs };
    }
  }
}

function fromSources(ctx: DocContext, v: unknown, field: string, warnings: Diagnostic[]): string[] {
  const out: string[] = [];
  arr(v).forEach((e, i) => {
    const p = str(obj(e).path);
    const f = joinField(field, i);
    if (p === '') {
      warnings.push(
        makeDiag(
          ctx,
          'POLICY_IGNORED_ENTRY',
          f,
          positionOf(ctx, f),
          'fromSource entry without path is ignored',
          {
            fix: 'write path: /absolute/path/of/program, or remove the entry',
          },
        ),
      );
      return;
    }
    out.push(collapseSlashes(p));
  });
  return out;
}

function fileRules(ctx: DocContext, spec: Obj, specAction: Action, warnings: Diagnostic[]): FileRule[] {
  const file = obj(spec.file);
  const rules: FileRule[] = [];
  for (const { list, kind, key } of LISTS) {
    arr(file[list]).forEach((r, index) => {
      const rule = obj(r);
      const field = `spec.file.${list}[${index}]`;
      const written = str(rule[key]);
      const tags = strings(rule.tags);
      const fileTags = strings(file.tags);
      const pos = positionOf(ctx, field);
      const out: FileRule = {
        kind,
        target: collapseSlashes(written),
        written,
        recursive: kind === 'dir' && rule.recursive === true,
        readOnly: rule.readOnly === true,
        ownerOnly: rule.ownerOnly === true,
        fromSource:
          kind === 'pattern' ? [] : fromSources(ctx, rule.fromSource, `${field}.fromSource`, warnings),
        action: (str(rule.action) || str(file.action) || specAction) as Action,
        severity: num(rule.severity) || num(file.severity) || num(spec.severity),
        tags: tags.length > 0 ? tags : fileTags.length > 0 ? fileTags : strings(spec.tags),
        message: str(rule.message) || str(file.message) || str(spec.message),
        field: ctx.prefix ? `${ctx.prefix}.${field}` : field,
        index,
        pos: { file: ctx.file, line: pos.line, col: pos.col },
      };
      if (kind !== 'pattern' && typeof rule.pts === 'boolean') out.pts = rule.pts;
      rules.push(out);
    });
  }
  return rules;
}

/** Builds the Policy; `doc` must have passed validatePolicy without errors. */
export function normalisePolicy(ctx: DocContext, kind: PolicyKind, doc: Obj): NormaliseResult {
  const warnings: Diagnostic[] = [];
  const meta = obj(doc.metadata);
  const spec = obj(doc.spec);
  const name = str(meta.name);
  const namespace = kind === 'KubeArmorPolicy' ? str(meta.namespace) || 'default' : undefined;
  const action = normaliseSpecAction(spec.action);
  const selector = selectorOf(ctx, kind, spec, namespace ?? '', warnings);
  const rules = fileRules(ctx, spec, action, warnings);
  const allowed = new Set<string>(UNENFORCED_SECTIONS);
  if (kind === 'KubeArmorHostPolicy') allowed.delete('presets');
  else allowed.delete('device');
  const unenforced = Object.keys(spec).filter((k) => allowed.has(k));
  if (unenforced.length > 0) {
    const first = `spec.${unenforced[0]}`;
    warnings.push(
      makeDiag(
        ctx,
        'POLICY_NOT_ENFORCED',
        first,
        positionOf(ctx, first, true),
        `policy "${name}": ${unenforced.join(', ')} ${unenforced.length > 1 ? 'sections are' : 'section is'} not enforced by Bulwark` +
          (rules.length > 0 ? ' (its file rules are)' : ''),
        {
          found: unenforced.join(', '),
          fix: 'nothing to change for Bulwark; keep these sections for KubeArmor or remove them',
        },
      ),
    );
  }
  if (rules.length === 0) {
    const field = doc.spec === undefined ? '' : 'spec';
    warnings.push(
      makeDiag(
        ctx,
        'POLICY_NO_FILE_RULES',
        field,
        positionOf(ctx, field, true),
        `policy "${name}" has no file rules; Bulwark enforces nothing from it`,
        {
          fix: 'add spec.file.matchPaths, matchDirectories or matchPatterns rules',
        },
      ),
    );
  }
  const docPos = positionOf(ctx, '');
  const policy: Policy = {
    kind,
    name,
    selector,
    action,
    rules,
    unenforced,
    pos: { file: ctx.file, line: docPos.line, col: docPos.col },
    document: ctx.document,
  };
  if (namespace !== undefined) policy.namespace = namespace;
  return { policy, warnings };
}
