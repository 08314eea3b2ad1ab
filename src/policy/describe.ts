// Human-readable renderings of rules and selectors, shared by explain and the rule-set dump.
import type { CompiledRule, Policy, Selector } from './types.js';

/** `dir /sbin/ recursive readOnly → Block` (plus fromSource, ownerOnly, pts). */
export function describeRule(r: CompiledRule): string {
  const bits = [r.kind, r.target];
  if (r.recursive) bits.push('recursive');
  if (r.readOnly) bits.push('readOnly');
  if (r.ownerOnly) bits.push('ownerOnly');
  if (r.pts !== undefined) bits.push(`pts=${r.pts}`);
  if (r.fromSource.length > 0) bits.push(`fromSource=[${r.fromSource.join(',')}]`);
  if (r.aliases.length > 0) bits.push(`(also ${r.aliases.join(', ')})`);
  return `${bits.join(' ')} → ${r.action}`;
}

export function policyName(p: Policy): string {
  return p.namespace !== undefined ? `${p.namespace}/${p.name}` : p.name;
}

function labels(m: Record<string, string>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function describeSelector(s: Selector): string {
  const exprs = 'matchExpressions' in s ? s.matchExpressions : [];
  const ex = exprs.map((e) => ` ${e.key} ${e.operator} (${e.values.join(',')})`).join('');
  switch (s.kind) {
    case 'workload':
      return `namespace ${s.namespace}, labels {${labels(s.matchLabels)}}${ex}`;
    case 'cluster':
      return `all namespaces, labels {${labels(s.matchLabels)}}${ex}`;
    case 'host':
      return `hosts {${labels(s.matchLabels)}}`;
  }
}
