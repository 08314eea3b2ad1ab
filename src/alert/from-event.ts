// Builds KubeArmor-format alerts from the engine's results: one per matched event, plus the
// SystemEvent alerts for event gaps. Field values follow kubearmor-compat §2.12 (see docs/alerts.md).
import type { EngineEvent, HostFields } from '../engine/types.js';
import type { MatchResult } from '../engine/match.js';
import type { RuleSet } from '../policy/types.js';
import type { GapEvent } from '../sensor/types.js';
import { dataString, labelsString } from './data.js';
import { unixSeconds, updatedTime } from './time.js';
import type { Alert } from './types.js';

const ENFORCER: Record<string, string> = {
  landlock: 'Landlock',
  'bpf-lsm': 'BPFLSM',
  fanotify: 'fanotify',
  replay: 'replay',
};

function eventData(ev: EngineEvent): string {
  const e = ev.event;
  if (e.kind === 'denial' && e.syscall) {
    const flags = e.flags !== undefined && /OPEN/.test(e.syscall) ? e.flags : undefined;
    return dataString({ syscall: e.syscall, flags });
  }
  const parts = [`op=${e.op}`];
  if (e.secondPath !== undefined) parts.push(`to=${e.secondPath}`);
  return parts.join(' ');
}

/** The alert for one matched event. */
export function alertFromMatch(rs: RuleSet, ev: EngineEvent, m: MatchResult, host: HostFields): Alert {
  const e = ev.event;
  const p = ev.process;
  const c = ev.container;
  const rule = m.rule;
  const policy = rule ? rs.policies[rule.policy] : null;
  // A posture verdict without a rule is KubeArmor's DefaultPosture; with a rule (an Allow rule
  // that did not permit the operation) the alert names that rule's policy instead.
  const postureOnly =
    !rule && (m.decision.verdict === 'posture-audit' || m.decision.verdict === 'posture-block');
  const a: Alert = {
    Timestamp: unixSeconds(e.timeNs),
    UpdatedTime: updatedTime(e.timeNs),
    ClusterName: host.clusterName,
    HostName: host.hostName,
    HostPPID: p.hostPpid,
    HostPID: p.hostPid,
    PPID: p.ppid,
    PID: p.pid,
    UID: p.uid,
    ParentProcessName: p.parentExe || undefined,
    ProcessName: p.exe || undefined,
    PolicyName: postureOnly ? 'DefaultPosture' : (policy?.name ?? undefined),
    Type: ev.subject.kind === 'host' ? 'MatchedHostPolicy' : 'MatchedPolicy',
    Source: p.cmdline || p.exe || undefined,
    Operation: 'File',
    Resource: m.resource,
    Data: eventData(ev),
    Enforcer: ENFORCER[e.source] ?? e.source,
    Action: m.action,
    Result: m.result,
  };
  if (rule && !postureOnly) {
    if (rule.severity > 0) a.Severity = String(rule.severity);
    if (rule.tags.length > 0) {
      a.Tags = rule.tags.join(',');
      a.ATags = [...rule.tags];
    }
    a.Message = m.broader && rule.message ? `${rule.message} (${m.broader})` : rule.message || m.broader;
  } else if (m.broader) {
    a.Message = m.broader;
  }
  if (c) {
    a.NamespaceName = c.namespace;
    a.PodName = c.pod || undefined;
    a.Labels = labelsString(c.labels) || undefined;
    a.ContainerID = c.id;
    a.ContainerName = c.name;
    a.ContainerImage = c.image || undefined;
    if (c.owner) a.Owner = { Ref: c.owner.ref, Name: c.owner.name, Namespace: c.owner.namespace };
  } else if (ev.subject.kind === 'workload') {
    a.NamespaceName = ev.subject.namespace;
    a.Labels = labelsString(ev.subject.labels) || undefined;
  }
  if (p.cwd) a.Cwd = p.cwd.endsWith('/') ? p.cwd : `${p.cwd}/`;
  if (p.tty) a.TTY = p.tty;
  return withoutUndefined(a);
}

/**
 * A copy without the keys whose value is undefined, so stored and compared alerts carry only real
 * fields. Copying (not `delete`) keeps the object in V8's fast-properties mode, which the sinks'
 * renderings read field by field.
 */
function withoutUndefined(a: Alert): Alert {
  const rec = a as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in rec) if (rec[k] !== undefined) out[k] = rec[k];
  return out as unknown as Alert;
}

/** A SystemEvent alert for a gap: events may have been lost; never silent. */
export function alertFromGap(g: GapEvent, host: HostFields): Alert {
  const detail = [`cause=${g.cause}`];
  if (g.lost !== undefined) detail.push(`lost=${g.lost}`);
  return {
    Timestamp: unixSeconds(g.timeNs),
    UpdatedTime: updatedTime(g.timeNs),
    ClusterName: host.clusterName,
    HostName: host.hostName,
    PPID: 0,
    UID: 0,
    Type: 'SystemEvent',
    Operation: 'EventGap',
    Resource: g.filesystem,
    Data: detail.join(' '),
    Enforcer: ENFORCER[g.source] ?? g.source,
    Message: `File events may have been lost (${g.cause}${g.lost !== undefined ? `, ${g.lost} records` : ''})${g.detail ? `: ${g.detail}` : ''}; a baseline check of the affected trees is due`,
  };
}
