// explain(): decide() plus the reasoning, for `bulwark policy explain`: the winning rule, every
// other rule that matched the path and why it lost or did not apply. Not on any hot path.
import { candidatesFor, decide, evaluateRule, ruleMatchesPath } from './decide.js';
import { describeSelector } from './describe.js';
import { normalisePath } from './paths.js';
import { viewOf } from './subject.js';
import type { CompiledRule, DecideRequest, Decision, Posture, RuleSet, Verdict } from './types.js';

export type RuleStatus =
  /** This rule made the verdict. */
  | 'decided'
  /** It would have decided, but a rule of higher precedence (or a stricter one in its tier) did. */
  | 'lost'
  /** It matched but does not forbid this operation (readOnly read, owner under ownerOnly). */
  | 'does-not-object'
  /** Its policy does not select this workload or host. */
  | 'not-selected'
  /** fromSource names other executables. */
  | 'other-source'
  /** pts: false and the caller has no terminal. */
  | 'needs-terminal';

export interface RuleVerdict {
  ruleId: number;
  status: RuleStatus;
  /** What the rule alone would say (null: it does not decide). */
  verdict: Verdict | null;
  why: string;
}

export interface EndExplanation {
  end: 'path' | 'secondPath';
  path: string;
  decision: Decision;
  rules: RuleVerdict[];
}

export interface Explanation {
  decision: Decision;
  whitelist: boolean;
  posture: Posture;
  ends: EndExplanation[];
}

const KIND_WORD = { path: 'exact path', dir: 'directory', pattern: 'pattern' } as const;

function precedenceWhy(winner: CompiledRule, loser: CompiledRule): string {
  if (winner.fromSource.length > 0 && loser.fromSource.length === 0)
    return `rule #${winner.id} names the executable (fromSource) and takes precedence`;
  if (winner.kind !== loser.kind)
    return `rule #${winner.id} (${KIND_WORD[winner.kind]}) takes precedence over a ${KIND_WORD[loser.kind]}`;
  if (winner.kind === 'dir' && winner.target.length !== loser.target.length)
    return `rule #${winner.id} names a deeper directory (${winner.target})`;
  return `same precedence; rule #${winner.id} is stricter (${winner.action} beats ${loser.action}) or has the lower id`;
}

function explainEnd(
  rs: RuleSet,
  req: DecideRequest,
  end: 'path' | 'secondPath',
  path: string,
  owner: number | undefined,
  decision: Decision,
): EndExplanation {
  const view = viewOf(rs, req.subject);
  const candidates = candidatesFor(rs, view, path, req.exe, req.tty);
  const inCandidates = new Set(candidates.map((c) => c.rule.id));
  const winner = decision.ruleId !== null ? rs.rules[decision.ruleId - 1] : null;
  const rules: RuleVerdict[] = [];
  for (const c of candidates) {
    const o = evaluateRule(c.rule, req.op, req.uid, owner, view);
    if (winner && c.rule.id === winner.id && o.verdict === decision.verdict) {
      rules.push({
        ruleId: c.rule.id,
        status: 'decided',
        verdict: o.verdict,
        why: reasonText(c.rule, o.verdict),
      });
    } else if (o.verdict === null) {
      rules.push({
        ruleId: c.rule.id,
        status: 'does-not-object',
        verdict: null,
        why: exemptionText(c.rule, req.op),
      });
    } else {
      const why = winner ? precedenceWhy(winner, c.rule) : 'another rule decided';
      rules.push({ ruleId: c.rule.id, status: 'lost', verdict: o.verdict, why });
    }
  }
  for (const r of rs.rules) {
    if (inCandidates.has(r.id) || !ruleMatchesPath(r, path)) continue;
    if (view.applies[r.policy] !== 1) {
      const pol = rs.policies[r.policy];
      rules.push({
        ruleId: r.id,
        status: 'not-selected',
        verdict: null,
        why: `policy ${pol.name} selects ${describeSelector(pol.selector)}`,
      });
    } else if (r.fromSource.length > 0 && !r.fromSource.includes(req.exe)) {
      rules.push({
        ruleId: r.id,
        status: 'other-source',
        verdict: null,
        why: `fromSource is ${r.fromSource.join(', ')}, not ${req.exe}`,
      });
    } else {
      rules.push({
        ruleId: r.id,
        status: 'needs-terminal',
        verdict: null,
        why: 'pts: false and the caller has no terminal',
      });
    }
  }
  return { end, path, decision, rules };
}

function reasonText(rule: CompiledRule, verdict: Verdict | null): string {
  if (rule.action === 'Allow')
    return verdict === 'allow'
      ? 'allowed by this rule'
      : 'outside what this Allow rule permits: default posture';
  if (rule.readOnly && rule.ownerOnly) return 'only the owner may read';
  if (rule.readOnly) return 'readOnly: only reads are permitted';
  if (rule.ownerOnly) return 'ownerOnly: the caller is not the owner';
  return `every access is ${rule.action === 'Block' ? 'blocked' : 'audited'}`;
}

function exemptionText(rule: CompiledRule, op: string): string {
  if (rule.readOnly && op === 'read') return 'readOnly permits reads; it does not grant them';
  if (rule.ownerOnly) return 'ownerOnly permits the owner; it does not grant access';
  return 'does not forbid this operation';
}

export function explain(rs: RuleSet, req: DecideRequest): Explanation {
  const norm: DecideRequest = {
    ...req,
    path: normalisePath(req.path),
    secondPath: req.secondPath !== undefined ? normalisePath(req.secondPath) : undefined,
  };
  const decision = decide(rs, norm);
  const view = viewOf(rs, norm.subject);
  const first = decide(rs, { ...norm, secondPath: undefined });
  const ends = [explainEnd(rs, norm, 'path', norm.path, norm.fileOwnerUid, first)];
  if (norm.secondPath !== undefined) {
    const second = decide(rs, {
      ...norm,
      path: norm.secondPath,
      secondPath: undefined,
      fileOwnerUid: norm.secondOwnerUid,
    });
    ends.push(
      explainEnd(rs, norm, 'secondPath', norm.secondPath, norm.secondOwnerUid, {
        ...second,
        end: 'secondPath',
      }),
    );
  }
  return { decision, whitelist: view.whitelist, posture: view.posture, ends };
}
