// Per-subject view of a RuleSet: which policies select the subject, whether it is in whitelist
// mode (some selecting policy has an Allow rule) and its default posture. Views are cached per
// rule set, by subject object identity and by a canonical key, so decide() does not re-evaluate
// selectors on every call.
import { selectorMatches } from './selector.js';
import type { CompiledRule, Posture, RuleSet, Subject } from './types.js';

export interface SubjectView {
  /** applies[policyIndex] === 1 when that policy selects the subject. */
  readonly applies: Uint8Array;
  readonly whitelist: boolean;
  readonly posture: Posture;
}

interface Cache {
  byObject: WeakMap<Subject, SubjectView>;
  byKey: Map<string, SubjectView>;
}

const MAX_KEYED_VIEWS = 4096;
const caches = new WeakMap<RuleSet, Cache>();

export function subjectKey(s: Subject): string {
  const labels = Object.entries(s.labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return s.kind === 'workload' ? `w|${s.namespace}|${labels}` : `h|${s.hostname}|${labels}`;
}

export function viewOf(rs: RuleSet, subject: Subject): SubjectView {
  let cache = caches.get(rs);
  if (!cache) {
    cache = { byObject: new WeakMap(), byKey: new Map() };
    caches.set(rs, cache);
  }
  const hit = cache.byObject.get(subject);
  if (hit) return hit;
  const key = subjectKey(subject);
  let view = cache.byKey.get(key);
  if (!view) {
    view = computeView(rs, subject);
    if (cache.byKey.size >= MAX_KEYED_VIEWS) cache.byKey.clear();
    cache.byKey.set(key, view);
  }
  cache.byObject.set(subject, view);
  return view;
}

function computeView(rs: RuleSet, subject: Subject): SubjectView {
  const applies = new Uint8Array(rs.policies.length);
  rs.policies.forEach((p, i) => {
    if (selectorMatches(p.selector, subject)) applies[i] = 1;
  });
  const whitelist = rs.rules.some((r) => r.action === 'Allow' && applies[r.policy] === 1);
  const posture =
    subject.kind === 'host'
      ? rs.posture.host
      : (rs.posture.namespaces[subject.namespace] ?? rs.posture.workload);
  return { applies, whitelist, posture };
}

/** Rules whose policy selects the subject, in id order. */
export function rulesFor(rs: RuleSet, subject: Subject): CompiledRule[] {
  const v = viewOf(rs, subject);
  return rs.rules.filter((r) => v.applies[r.policy] === 1);
}

/** True when the subject is in whitelist mode (an Allow rule applies to it). */
export function isWhitelist(rs: RuleSet, subject: Subject): boolean {
  return viewOf(rs, subject).whitelist;
}

/** Default posture for the subject: per-namespace override, else the global workload/host one. */
export function postureFor(rs: RuleSet, subject: Subject): Posture {
  return viewOf(rs, subject).posture;
}
