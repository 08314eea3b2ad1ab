// Lookup structures for decide(): exact paths and directories in hash maps, patterns bucketed by
// their literal directory prefix. A lookup walks the ancestors of the path once, so its cost grows
// with the path's depth, not with the number of rules.
import { compileGlob, literalDirPrefix } from './glob.js';
import type { CompiledRule, RuleIndex } from './types.js';

export interface PatternEntry {
  rule: CompiledRule;
  re: RegExp;
}

/** Rules reachable from one directory prefix: directory rules on it and patterns under it. */
export interface PrefixEntry {
  dirs: CompiledRule[];
  patterns: PatternEntry[];
}

export class RuleIndexImpl implements RuleIndex {
  readonly kind = 'rule-index' as const;
  /** Normalised path → path rules. */
  readonly exact = new Map<string, CompiledRule[]>();
  /** Directory key (ends in '/') → directory rules. */
  readonly dirs = new Map<string, CompiledRule[]>();
  /** Literal directory prefix ('' = any) → pattern rules. */
  readonly patterns = new Map<string, PatternEntry[]>();
  /** dirs and patterns merged by key, so a lookup costs one probe per ancestor. */
  readonly prefixes = new Map<string, PrefixEntry>();
  /** Largest number of '/' in any prefix key: ancestors deeper than this cannot hit. */
  maxPrefixSlashes = 0;
  /**
   * Every directory that is, or lies above, a rule key (prefix keys and the parents of exact
   * paths). A walk down a path stops at the first directory not in this set: nothing below it can
   * match (KubeArmor's BPF enforcer uses the same "hint" idea).
   */
  readonly hints = new Set<string>();
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
    for (const [key, dirs] of this.dirs) this.entry(key).dirs = dirs;
    for (const [key, patterns] of this.patterns) if (key !== '') this.entry(key).patterns = patterns;
    for (const key of this.prefixes.keys()) this.hint(key);
    for (const key of this.exact.keys()) this.hint(key.slice(0, key.lastIndexOf('/') + 1));
  }

  /** Adds a directory key and all its ancestors ('/a/b/' → '/', '/a/', '/a/b/') to the hints. */
  private hint(dir: string): void {
    for (let i = dir.indexOf('/'); i !== -1; i = dir.indexOf('/', i + 1)) this.hints.add(dir.slice(0, i + 1));
  }

  private entry(key: string): PrefixEntry {
    let e = this.prefixes.get(key);
    if (!e) {
      e = { dirs: [], patterns: [] };
      this.prefixes.set(key, e);
      let slashes = 0;
      for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) === 47) slashes++;
      if (slashes > this.maxPrefixSlashes) this.maxPrefixSlashes = slashes;
    }
    return e;
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
