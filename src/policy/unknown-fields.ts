// Fields a CRD does not define: Kubernetes prunes them, Bulwark reports them (BW1101) with the
// likely intended spelling or the right place for them, by walking the kind's schema.
import type { Diagnostic } from '../common/diagnostic.js';
import { makeDiag, positionOf } from './doc-context.js';
import type { DocContext } from './doc-context.js';
import { joinField } from './field-path.js';
import type { Schema } from './schema.js';
import type { PolicyKind } from './types.js';
import { closest } from './closest.js';

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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

export function findUnknown(
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
