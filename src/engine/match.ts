// What an event means under the rule set: which rule, which Action and Result. The kernel has
// already decided for denials (Landlock, BPF-LSM); for changes (fanotify) decide() says whether a
// rule audits them or should have blocked them (then `Audit (Block)`: detected, not prevented).
import { decide, normalisePath, ruleMatchesPath } from '../policy/index.js';
import type { CompiledRule, Decision, RuleSet } from '../policy/types.js';
import type { EngineEvent } from './types.js';

export type MatchAction = 'Block' | 'Audit' | 'Audit (Block)';

export interface MatchResult {
  action: MatchAction;
  /** `Permission denied` when prevented, `Passed` otherwise. */
  result: string;
  decision: Decision;
  /** The rule the alert names; null for DefaultPosture. */
  rule: CompiledRule | null;
  /** The path the decision concerns (for rename/link, the end that decided). */
  resource: string;
  /** Set when the kernel prevented more than the policy asks (Landlock directory rights). */
  broader?: string;
}

function ruleOf(rs: RuleSet, d: Decision): CompiledRule | null {
  return d.ruleId !== null ? rs.rules[d.ruleId - 1] : null;
}

/**
 * For a denial no rule explains: the rule whose Landlock carve-out covers the path's directory
 * (creating /t/x is refused when /t/prot/ is protected, since Landlock's create right on /t
 * cannot be granted without granting it beneath).
 */
function broaderRule(rs: RuleSet, ev: EngineEvent, path: string): CompiledRule | null {
  const dir = path.endsWith('/') ? path : `${path.slice(0, path.lastIndexOf('/') + 1)}`;
  let best: CompiledRule | null = null;
  for (const r of rs.rules) {
    if (r.action === 'Allow') continue;
    const targets = [r.target, ...r.aliases];
    if (!targets.some((t) => t.startsWith(dir)) && !ruleMatchesPath(r, path)) continue;
    if (ev.subject.kind === 'workload' && rs.policies[r.policy].selector.kind === 'host') continue;
    if (!best || r.target.length < best.target.length) best = r;
  }
  return best;
}

/** Returns null when the event needs no alert (allowed, or permitted by the rules). */
export function matchEvent(rs: RuleSet, ev: EngineEvent): MatchResult | null {
  const e = ev.event;
  const path = normalisePath(e.path);
  const secondPath = e.secondPath !== undefined ? normalisePath(e.secondPath) : undefined;
  const d = decide(rs, {
    subject: ev.subject,
    op: e.op,
    path,
    secondPath,
    exe: ev.process.exe,
    uid: ev.process.uid,
    fileOwnerUid: ev.fileOwnerUid,
    secondOwnerUid: ev.secondOwnerUid,
    tty: ev.process.tty ?? null,
  });
  const resource = d.end === 'secondPath' && secondPath !== undefined ? secondPath : path;
  if (e.kind === 'denial') {
    if (d.verdict === 'block' || d.verdict === 'posture-block')
      return { action: 'Block', result: 'Permission denied', decision: d, rule: ruleOf(rs, d), resource };
    const wide = broaderRule(rs, ev, path);
    return {
      action: 'Block',
      result: 'Permission denied',
      decision: d,
      rule: wide,
      resource,
      broader: wide
        ? `prevented more broadly than the policy asks: protecting ${wide.target} also refuses this ${e.op} in ${path.slice(0, path.lastIndexOf('/') + 1)}`
        : 'prevented by the kernel although no rule forbids it',
    };
  }
  switch (d.verdict) {
    case 'allow':
      return null;
    case 'audit':
    case 'posture-audit':
      return { action: 'Audit', result: 'Passed', decision: d, rule: ruleOf(rs, d), resource };
    case 'block':
    case 'posture-block':
      return { action: 'Audit (Block)', result: 'Passed', decision: d, rule: ruleOf(rs, d), resource };
  }
}
