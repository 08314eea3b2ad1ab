// What a baseline covers: roots (PATH arguments, config paths, the directories named in loaded
// FIM policies, and the config and policy files themselves) minus exclusion globs. Roots are
// made absolute, de-duplicated, nested roots dropped, and sorted in key order for the walker.
import { resolve } from 'node:path';
// The policy loader (YAML parser, schema validator) is imported only when there are policies to
// read: most baseline commands have none, and it is a large part of the CLI's start-up.
import { compileGlob } from '../policy/glob.js';
import { compile } from '../policy/compiler.js';
import { ruleMatchesPath } from '../policy/decide.js';
import type { RuleSet } from '../policy/types.js';
import { BulwarkError } from '../common/errors.js';
import { pathToKey } from './path-key.js';

export interface Scope {
  roots: string[];
  exclude: string[];
}

export interface PolicyScope {
  /** Directories and files named by file rules (globs cut at their first wildcard). */
  roots: string[];
  ruleSet: RuleSet | null;
  /** Files that were rejected (reported as a warning). */
  rejected: string[];
}

/** The literal directory prefix of a glob (`/etc/*.conf` → `/etc`). */
export function globBase(pattern: string): string {
  const i = pattern.search(/[*?[{\\]/);
  if (i < 0) return pattern;
  const cut = pattern.slice(0, i);
  const slash = cut.lastIndexOf('/');
  return slash <= 0 ? '/' : cut.slice(0, slash);
}

export async function policyScope(paths: string[]): Promise<PolicyScope> {
  if (paths.length === 0) return { roots: [], ruleSet: null, rejected: [] };
  const { loadPolicies } = await import('../policy/load.js');
  const r = loadPolicies(paths);
  const rejected = r.files.filter((f) => !f.ok).map((f) => f.file);
  const roots: string[] = [];
  for (const p of r.policies)
    for (const rule of p.rules) {
      if (rule.kind === 'dir') roots.push(rule.target.replace(/\/+$/, '') || '/');
      else if (rule.kind === 'path') roots.push(rule.target);
      else roots.push(globBase(rule.target));
    }
  return { roots, ruleSet: r.policies.length ? compile(r.policies) : null, rejected };
}

/** Absolute, unique, not nested in one another, sorted by key. */
export function normaliseRoots(roots: string[]): string[] {
  const abs = [...new Set(roots.map((r) => resolve(r)))];
  abs.sort((a, b) => Buffer.compare(pathToKey(Buffer.from(a)), pathToKey(Buffer.from(b))));
  const out: string[] = [];
  for (const r of abs) {
    const last = out[out.length - 1];
    if (last !== undefined && (last === '/' || r === last || r.startsWith(`${last}/`))) continue;
    out.push(r);
  }
  if (out.length === 0) throw new BulwarkError('BASELINE_NO_SCOPE', 'no paths to baseline');
  return out;
}

/** Compiles exclusion globs: with a '/', against the whole path; without, against the base name. */
export function excludeMatcher(globs: string[]): (path: Buffer) => boolean {
  if (globs.length === 0) return () => false;
  const full: RegExp[] = [];
  const base: RegExp[] = [];
  for (const g of globs) {
    let re: RegExp;
    try {
      re = compileGlob(g.endsWith('/') ? g.slice(0, -1) : g);
    } catch (e) {
      throw new BulwarkError('BASELINE_BAD_CONFIG', `exclude pattern "${g}": ${(e as Error).message}`);
    }
    (g.includes('/') ? full : base).push(re);
  }
  return (path: Buffer) => {
    const s = path.toString('utf8');
    if (full.some((re) => re.test(s))) return true;
    if (base.length === 0) return false;
    const name = s.slice(s.lastIndexOf('/') + 1);
    return base.some((re) => re.test(name));
  };
}

/** The first policy rule whose target covers the path, for alert tags. */
export function policyFor(
  ruleSet: RuleSet | null,
  path: string,
): { name: string; severity: number; tags: string[]; message: string } | null {
  if (!ruleSet) return null;
  for (const rule of ruleSet.rules) {
    if (ruleMatchesPath(rule, path)) {
      const p = ruleSet.policies[rule.policy];
      return { name: p.name, severity: rule.severity, tags: rule.tags, message: rule.message };
    }
  }
  return null;
}
