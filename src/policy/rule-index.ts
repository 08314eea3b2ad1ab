// Lookup structures for decide(): exact paths and directories in hash maps, patterns bucketed by
// their literal directory prefix. A lookup walks the ancestors of the path once, so its cost grows
// with the path's depth, not with the number of rules.
import { compileGlob, literalDirPrefix } from './glob.js';
import type { CompiledRule, RuleIndex } from './types.js';

export interface PatternEntry {
  rule: CompiledRule;
  re: RegExp;
}

export class RuleIndexImpl implements RuleIndex {
  readonly kind = 'rule-index' as const;
  /** Normalised path → path rules. */
  readonly exact = new Map<string, CompiledRule[]>();
  /** Directory key (ends in '/') → directory rules. */
  readonly dirs = new Map<string, CompiledRule[]>();
  /** Literal directory prefix ('' = any) → pattern rules. */
  readonly patterns = new Map<string, PatternEntry[]>();
  /** True when at least one pattern has no literal '/' prefix and must be tried for every path. */
  hasGlobalPatterns = false;

  constructor(rules: CompiledRule[]) {
    for (const r of rules) {
      for (const target of [r.target, ...r.aliases]) {
        if (r.kind === 'path') push(this.exact, target, r);
        else if (r.kind === 'dir') push(this.dirs, target, r);
        else {
          const key = literalDirPrefix(target);
          if (key === '') this.hasGlobalPatterns = true;
          push(this.patterns, key, { rule: r, re: compileGlob(target) });
        }
      }
    }
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

export function indexOf(rs: { index: RuleIndex }): RuleIndexImpl {
  return rs.index as RuleIndexImpl;
}
