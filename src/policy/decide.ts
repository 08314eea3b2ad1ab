// decide(): the reference semantics of Bulwark's policy language (docs/policy.md). Every
// enforcement backend must reproduce these decisions or say where it cannot; tests use this
// function as the oracle. Pure: no I/O, no clock.
//
// 1. Candidates: rules of policies that select the subject, whose target matches the path, whose
//    fromSource (if any) names the executable, and whose pts condition holds.
// 2. Precedence tiers: fromSource rules before others; then exact path, then directories (deeper
//    first), then patterns.
// 3. In tier order, a Block/Audit rule decides when the operation violates it (readOnly and
//    ownerOnly carve exemptions out of a rule); an Allow rule decides when it matches: allow if its
//    readOnly/ownerOnly permit the operation, default posture otherwise. Within one tier the
//    strictest decision wins (block > posture-block > audit > posture-audit > allow), then
//    Block > Audit > Allow, then the lower rule id.
// 4. No rule decides: default posture in whitelist mode, allow otherwise.
// For rename and link both ends are decided and the stricter result is returned.
import { compileGlob } from './glob.js';
import { dirDepth } from './paths.js';
import { indexOf } from './rule-index.js';
import { viewOf, type SubjectView } from './subject.js';
import type {
  CompiledRule,
  DecideRequest,
  Decision,
  DecisionReason,
  Operation,
  RuleSet,
  Verdict,
} from './types.js';

export const VERDICT_STRICTNESS: Record<Verdict, number> = {
  allow: 0,
  'posture-audit': 1,
  audit: 2,
  'posture-block': 3,
  block: 4,
};

const ACTION_RANK = { Allow: 0, Audit: 1, Block: 2 } as const;

/** A rule that matched the path, with its precedence tier (higher first). */
export interface Candidate {
  rule: CompiledRule;
  tier: number;
}

/** What one matching rule says about an operation; null verdict = it does not decide. */
export interface RuleOutcome {
  verdict: Verdict | null;
  reason: DecisionReason;
}

const PATH_TIER = 20_000;
const DIR_TIER = 10_000;
const SOURCE_TIER = 1_000_000;

/** Precedence tier; `key` is the spelling that matched (the target or one of its aliases). */
function tierOf(rule: CompiledRule, key: string): number {
  const base = rule.kind === 'path' ? PATH_TIER : rule.kind === 'dir' ? DIR_TIER + dirDepth(key) : 0;
  return rule.fromSource.length > 0 ? base + SOURCE_TIER : base;
}

function sourceOk(rule: CompiledRule, exe: string): boolean {
  return rule.fromSource.length === 0 || rule.fromSource.includes(exe);
}

function ptsOk(rule: CompiledRule, tty: string | null | undefined): boolean {
  // pts: false ⇒ the rule applies only to callers with a controlling terminal (KubeArmor's BPF
  // enforcer and feeder); absent or true ⇒ no terminal condition.
  return rule.pts !== false || (tty !== undefined && tty !== null && tty !== '');
}

/** Does directory key `d` (ending in '/') of a rule cover the path? */
function dirKeyMatches(rule: CompiledRule, d: string, path: string): boolean {
  if (path.length + 1 === d.length && d.startsWith(path)) return true; // the directory itself
  if (path === '/' && d === '/') return true;
  if (!path.startsWith(d) || path.length <= d.length) return false;
  return rule.recursive || path.indexOf('/', d.length) === -1;
}

/** Does the rule's target match the (normalised, absolute) path? Ignores fromSource and pts. */
export function ruleMatchesPath(rule: CompiledRule, path: string): boolean {
  const targets = [rule.target, ...rule.aliases];
  if (rule.kind === 'path') return targets.includes(path);
  if (rule.kind === 'dir') return targets.some((d) => dirKeyMatches(rule, d, path));
  return targets.some((t) => patternRegex(t).test(path));
}

// Compiled pattern RegExps for ruleMatchesPath (decide() uses the index's own).
const patternCache = new Map<string, RegExp>();

function patternRegex(glob: string): RegExp {
  let re = patternCache.get(glob);
  if (!re) {
    re = compileGlob(glob);
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(glob, re);
  }
  return re;
}

function addCandidate(out: Candidate[], rule: CompiledRule, key: string): void {
  const tier = tierOf(rule, key);
  // Only a rule with aliases can be reached twice; keep it once, at its best tier.
  if (rule.aliases.length > 0) {
    for (const c of out) {
      if (c.rule === rule) {
        if (c.tier < tier) c.tier = tier;
        return;
      }
    }
  }
  out.push({ rule, tier });
}

/** Collects the candidates for one path, sorted by tier (highest first), then id. */
export function candidatesFor(
  rs: RuleSet,
  view: SubjectView,
  path: string,
  exe: string,
  tty: string | null | undefined,
): Candidate[] {
  const idx = indexOf(rs);
  const applies = view.applies;
  const out: Candidate[] = [];
  const exact = idx.exact.get(path);
  if (exact) {
    for (const r of exact)
      if (applies[r.policy] === 1 && sourceOk(r, exe) && ptsOk(r, tty)) addCandidate(out, r, path);
  }
  // Walk the directory prefixes of the path ('/', '/a/', '/a/b/'), no deeper than any key goes.
  let slashes = 0;
  for (let i = 0; i !== -1 && slashes < idx.maxPrefixSlashes; i = path.indexOf('/', i + 1)) {
    slashes++;
    const prefix = path.slice(0, i + 1);
    if (!idx.hints.has(prefix)) break; // no rule key at or below this directory
    const e = idx.prefixes.get(prefix);
    if (e === undefined) continue;
    for (const r of e.dirs) {
      if (applies[r.policy] === 1 && dirKeyMatches(r, prefix, path) && sourceOk(r, exe) && ptsOk(r, tty))
        addCandidate(out, r, prefix);
    }
    for (const p of e.patterns) {
      const r = p.rule;
      if (applies[r.policy] === 1 && sourceOk(r, exe) && ptsOk(r, tty) && p.re.test(path))
        addCandidate(out, r, prefix);
    }
  }
  // The path itself as a directory (an operation on /etc matches dir: /etc/).
  if (path !== '/') {
    const self = idx.dirs.get(`${path}/`);
    if (self) {
      for (const r of self)
        if (applies[r.policy] === 1 && sourceOk(r, exe) && ptsOk(r, tty)) addCandidate(out, r, `${path}/`);
    }
  }
  if (idx.hasGlobalPatterns) {
    const pats = idx.patterns.get('');
    if (pats) {
      for (const p of pats) {
        const r = p.rule;
        if (applies[r.policy] === 1 && sourceOk(r, exe) && ptsOk(r, tty) && p.re.test(path))
          addCandidate(out, r, '');
      }
    }
  }
  if (out.length > 1) out.sort((a, b) => b.tier - a.tier || a.rule.id - b.rule.id);
  return out;
}

/** What one rule says about an operation by a caller (uid) on a file owned by ownerUid. */
export function evaluateRule(
  rule: CompiledRule,
  op: Operation,
  uid: number,
  ownerUid: number | undefined,
  view: SubjectView,
): RuleOutcome {
  // An unknown owner never counts as the caller: ownerOnly fails closed.
  const isOwner = ownerUid !== undefined && ownerUid === uid;
  const exempt =
    rule.readOnly && rule.ownerOnly
      ? isOwner && op === 'read'
      : rule.readOnly
        ? op === 'read'
        : rule.ownerOnly
          ? isOwner
          : false;
  switch (rule.action) {
    case 'Block':
      return exempt
        ? { verdict: null, reason: 'permitted-by-rule' }
        : { verdict: 'block', reason: 'violates-rule' };
    case 'Audit':
      return exempt
        ? { verdict: null, reason: 'permitted-by-rule' }
        : { verdict: 'audit', reason: 'violates-rule' };
    case 'Allow':
      if ((!rule.readOnly && !rule.ownerOnly) || exempt)
        return { verdict: 'allow', reason: 'allowed-by-rule' };
      return { verdict: postureVerdict(view), reason: 'outside-allow-rule' };
  }
}

function postureVerdict(view: SubjectView): Verdict {
  return view.posture === 'block' ? 'posture-block' : 'posture-audit';
}

/** Picks the deciding candidate: first tier with a deciding rule; strictest within the tier. */
export function pickWinner(
  candidates: Candidate[],
  op: Operation,
  uid: number,
  ownerUid: number | undefined,
  view: SubjectView,
): Decision {
  let i = 0;
  while (i < candidates.length) {
    const tier = candidates[i].tier;
    let best: { rule: CompiledRule; verdict: Verdict; reason: DecisionReason } | null = null;
    for (; i < candidates.length && candidates[i].tier === tier; i++) {
      const rule = candidates[i].rule;
      const o = evaluateRule(rule, op, uid, ownerUid, view);
      if (o.verdict === null) continue;
      if (
        best === null ||
        VERDICT_STRICTNESS[o.verdict] > VERDICT_STRICTNESS[best.verdict] ||
        (VERDICT_STRICTNESS[o.verdict] === VERDICT_STRICTNESS[best.verdict] &&
          ACTION_RANK[rule.action] > ACTION_RANK[best.rule.action])
      ) {
        best = { rule, verdict: o.verdict, reason: o.reason };
      }
    }
    if (best) return { verdict: best.verdict, ruleId: best.rule.id, reason: best.reason, end: 'path' };
  }
  if (view.whitelist)
    return { verdict: postureVerdict(view), ruleId: null, reason: 'no-allow-rule', end: 'path' };
  if (candidates.length > 0)
    return { verdict: 'allow', ruleId: candidates[0].rule.id, reason: 'permitted-by-rule', end: 'path' };
  return { verdict: 'allow', ruleId: null, reason: 'no-rule', end: 'path' };
}

/** The decision for one operation. See the header comment for the rules. */
export function decide(rs: RuleSet, req: DecideRequest): Decision {
  const view = viewOf(rs, req.subject);
  const first = pickWinner(
    candidatesFor(rs, view, req.path, req.exe, req.tty),
    req.op,
    req.uid,
    req.fileOwnerUid,
    view,
  );
  if (req.secondPath === undefined) return first;
  const second = pickWinner(
    candidatesFor(rs, view, req.secondPath, req.exe, req.tty),
    req.op,
    req.uid,
    req.secondOwnerUid,
    view,
  );
  return VERDICT_STRICTNESS[second.verdict] > VERDICT_STRICTNESS[first.verdict]
    ? { ...second, end: 'secondPath' }
    : first;
}
