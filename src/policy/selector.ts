// Does a policy's selector select a subject? KubeArmor's rules (kubearmor-compat §1.3):
// - KubeArmorPolicy: same namespace, every matchLabels pair present, label expressions hold.
// - KubeArmorClusterPolicy: `namespace` In/NotIn expressions on the namespace, `label` expressions.
// - KubeArmorHostPolicy: nodeSelector.matchLabels; hostname keys accept "*", comma lists, and
//   `kubearmor.io/hostnamereg` a glob; other keys are node labels.
// Label expressions: `label` In ⇒ the subject has at least one of the "k=v" values; NotIn ⇒ none.
import { compileGlob } from './glob.js';
import type { MatchExpression, Selector, Subject } from './types.js';

const HOSTNAME_KEYS = new Set(['kubernetes.io/hostname', 'kubearmor.io/hostname']);

export function selectorMatches(sel: Selector, subject: Subject): boolean {
  switch (sel.kind) {
    case 'workload':
      return (
        subject.kind === 'workload' &&
        subject.namespace === sel.namespace &&
        labelsMatch(sel.matchLabels, subject.labels) &&
        expressionsMatch(sel.matchExpressions, subject.namespace, subject.labels)
      );
    case 'cluster':
      return (
        subject.kind === 'workload' &&
        labelsMatch(sel.matchLabels, subject.labels) &&
        expressionsMatch(sel.matchExpressions, subject.namespace, subject.labels)
      );
    case 'host':
      return subject.kind === 'host' && hostMatches(sel.matchLabels, subject.hostname, subject.labels ?? {});
  }
}

function labelsMatch(want: Record<string, string>, have: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(want)) if (have[k] !== v) return false;
  return true;
}

function hasLabel(pair: string, labels: Record<string, string>): boolean {
  const eq = pair.indexOf('=');
  const k = eq < 0 ? pair : pair.slice(0, eq);
  const v = eq < 0 ? '' : pair.slice(eq + 1);
  return Object.prototype.hasOwnProperty.call(labels, k) && labels[k] === v;
}

function expressionsMatch(
  exprs: MatchExpression[],
  namespace: string,
  labels: Record<string, string>,
): boolean {
  for (const e of exprs) {
    if (e.key === 'namespace') {
      const inList = e.values.includes(namespace);
      if (e.operator === 'In' ? !inList : inList) return false;
    } else if (e.key === 'label') {
      const any = e.values.some((pair) => hasLabel(pair, labels));
      if (e.operator === 'In' ? !any : any) return false;
    } else {
      return false; // validation rejects other keys; never select on an unknown expression
    }
  }
  return true;
}

function hostMatches(
  want: Record<string, string>,
  hostname: string,
  nodeLabels: Record<string, string>,
): boolean {
  for (const [k, v] of Object.entries(want)) {
    if (HOSTNAME_KEYS.has(k)) {
      const names = v.split(',').map((s) => s.trim());
      if (!names.includes('*') && !names.includes(hostname)) return false;
    } else if (k === 'kubearmor.io/hostnamereg') {
      if (!compileGlob(v).test(hostname)) return false;
    } else if (nodeLabels[k] !== v) {
      return false;
    }
  }
  return true;
}
