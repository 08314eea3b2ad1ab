// Compiles validated policies into one RuleSet: rules get stable numeric ids (policies ordered by
// kind, namespace and name; rules in their written order: matchPaths, matchDirectories,
// matchPatterns), targets are normalised, and the lookup index for decide() is built.
import { createHash } from 'node:crypto';
import { literalDirPrefix } from './glob.js';
import { normaliseDir, normalisePath } from './paths.js';
import { RuleIndexImpl } from './rule-index.js';
import type { CompileOptions, CompiledRule, Policy, PostureConfig, RuleSet } from './types.js';
import { POLICY_KINDS } from './types.js';

export const DEFAULT_POSTURE: PostureConfig = { workload: 'audit', host: 'audit', namespaces: {} };

export function comparePolicies(a: Policy, b: Policy): number {
  return (
    POLICY_KINDS.indexOf(a.kind) - POLICY_KINDS.indexOf(b.kind) ||
    cmp(a.namespace ?? '', b.namespace ?? '') ||
    cmp(a.name, b.name) ||
    cmp(a.pos.file, b.pos.file) ||
    a.document - b.document
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compile(policies: readonly Policy[], options: CompileOptions = {}): RuleSet {
  const sorted = [...policies].sort(comparePolicies);
  const rules: CompiledRule[] = [];
  sorted.forEach((policy, pi) => {
    for (const r of policy.rules) {
      const target =
        r.kind === 'path' ? normalisePath(r.target) : r.kind === 'dir' ? normaliseDir(r.target) : r.target;
      rules.push({
        ...r,
        target,
        fromSource: r.fromSource.map(normalisePath),
        id: rules.length + 1,
        policy: pi,
        aliases: aliasesOf(r.kind, target, options.resolve),
      });
    }
  });
  const posture: PostureConfig = {
    workload: options.posture?.workload ?? DEFAULT_POSTURE.workload,
    host: options.posture?.host ?? DEFAULT_POSTURE.host,
    namespaces: { ...(options.posture?.namespaces ?? {}) },
  };
  return {
    version: versionOf(sorted, rules, posture),
    policies: sorted,
    rules,
    posture,
    index: new RuleIndexImpl(rules),
  };
}

/** The host spelling of a target when it differs (see CompileOptions.resolve). */
function aliasesOf(kind: CompiledRule['kind'], target: string, resolve: CompileOptions['resolve']): string[] {
  if (!resolve) return [];
  if (kind === 'pattern') {
    const prefix = literalDirPrefix(target);
    if (prefix === '' || prefix === '/') return [];
    const real = resolve(prefix);
    return real && real !== prefix ? [normaliseDir(real) + target.slice(prefix.length)] : [];
  }
  const real = resolve(target);
  if (!real) return [];
  const norm = kind === 'dir' ? normaliseDir(real) : normalisePath(real);
  return norm !== target ? [norm] : [];
}

/** Hash of what enforcement depends on (not of positions or file names). */
function versionOf(policies: Policy[], rules: CompiledRule[], posture: PostureConfig): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(posture));
  for (const p of policies) h.update(JSON.stringify([p.kind, p.namespace ?? '', p.name, p.selector]));
  for (const r of rules) {
    h.update(
      JSON.stringify([
        r.id,
        r.policy,
        r.kind,
        r.target,
        r.recursive,
        r.readOnly,
        r.ownerOnly,
        r.pts ?? null,
        r.fromSource,
        r.aliases,
        r.action,
        r.severity,
        r.tags,
        r.message,
      ]),
    );
  }
  return h.digest('hex').slice(0, 16);
}
