// Drift as alerts: each change found by check becomes an Alert in the shared model (the agent's
// sinks and formatters take it as is). Type BaselineDrift, Operation File, Enforcer Baseline,
// Resource the path, Data the changed attributes (old → new); policy name, severity, tags and
// message when a loaded FIM policy's file rule covers the path.
import { hostname } from 'node:os';
import type { Alert } from '../alert/types.js';
import type { RuleSet } from '../policy/index.js';
import { displayPath } from './path-key.js';
import { policyFor } from './scope.js';
import type { Change } from './types.js';

export interface DriftAlertOptions {
  ruleSet?: RuleSet | null;
  clusterName?: string;
  hostName?: string;
  /** Time of the check (default now). */
  now?: Date;
}

function updatedTime(d: Date): string {
  return `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds() * 1000).padStart(6, '0')}Z`;
}

/** `Data` text: `kind=changed attrs=mode:0644→0600,uid:0→1000 package=unexplained`. */
export function driftData(c: Change): string {
  const parts = [`kind=${c.kind}`];
  if (c.attributes.length)
    parts.push(`attrs=${c.attributes.map((a) => `${a.attribute}:${a.old}→${a.new}`).join(',')}`);
  if (c.package) parts.push(`package=${c.package.class}${c.package.name ? `(${c.package.name})` : ''}`);
  if (c.unstable) parts.push('unstable=changed-during-scan');
  return parts.join(' ');
}

export function driftAlert(c: Change, o: DriftAlertOptions = {}): Alert {
  const now = o.now ?? new Date();
  const path = displayPath(c.path);
  const policy = policyFor(o.ruleSet ?? null, c.path.toString('utf8'));
  const alert: Alert = {
    Timestamp: Math.floor(now.getTime() / 1000),
    UpdatedTime: updatedTime(now),
    ClusterName: o.clusterName ?? '',
    HostName: o.hostName ?? hostname(),
    PPID: 0,
    UID: 0,
    Type: 'BaselineDrift',
    Operation: 'File',
    Resource: path,
    Data: driftData(c),
    Enforcer: 'Baseline',
    Result: 'Passed',
    Message: `baseline drift: ${c.kind} ${path}`,
  };
  if (policy) {
    alert.PolicyName = policy.name;
    if (policy.severity > 0) alert.Severity = String(policy.severity);
    if (policy.tags.length) {
      alert.Tags = policy.tags.join(',');
      alert.ATags = [...policy.tags];
    }
    if (policy.message) alert.Message = policy.message;
  }
  return alert;
}

/** The function the agent calls after a scheduled check. */
export function driftAlerts(changes: Change[], o: DriftAlertOptions = {}): Alert[] {
  const now = o.now ?? new Date();
  return changes.map((c) => driftAlert(c, { ...o, now }));
}
