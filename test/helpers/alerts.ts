// Alerts for sink, store and CLI tests: the seed card's expected alert built with the alert
// builders, and numbered variations of it.
import type { Alert } from '../../src/alert/types.js';
import { dataString, labelsString } from '../../src/alert/data.js';
import { unixSeconds, updatedTime } from '../../src/alert/time.js';

/** The seed policy's tags (shared/seed/fim-policy.yaml), in order. */
export const SEED_TAGS: readonly string[] = [
  'NIST',
  'NIST_800-53_AU-2',
  'NIST_800-53_SI-4',
  'MITRE',
  'MITRE_T1036_masquerading',
  'MITRE_T1565_data_manipulation',
];

/** The fim-card alert (shared/seed/fim-card.md "Expected Alert"), with its values. */
export function seedAlert(): Alert {
  const ns = 1696316210829165000n;
  const tags = [...SEED_TAGS];
  return {
    Timestamp: unixSeconds(ns),
    UpdatedTime: updatedTime(ns),
    ClusterName: 'aditya',
    HostName: 'aditya',
    NamespaceName: 'wordpress-mysql',
    Owner: { Ref: 'Deployment', Name: 'mysql', Namespace: 'wordpress-mysql' },
    PodName: 'mysql-74775b4bf4-65nqf',
    Labels: labelsString({ app: 'mysql' }),
    ContainerID: 'b75628d4225b8071d5795da342cf2a5c03b1d67b22b40016697fcd17a0db20e4',
    ContainerName: 'mysql',
    ContainerImage:
      'docker.io/library/mysql:5.6@sha256:20575ecebe6216036d25dab5903808211f1e9ba63dc7825ac20cb975e34cfcae',
    HostPPID: 16435,
    HostPID: 16462,
    PPID: 160,
    PID: 167,
    UID: 0,
    ParentProcessName: '/bin/bash',
    ProcessName: '/bin/touch',
    PolicyName: 'harden-mysql-file-integrity-monitoring',
    Severity: '1',
    Tags: tags.join(','),
    Message: 'Detected and prevented compromise to File integrity',
    Type: 'MatchedPolicy',
    Source: '/usr/bin/touch file',
    Operation: 'File',
    Resource: '/sbin/file',
    Data: dataString({ syscall: 'SYS_OPEN', flags: 0o4501 }),
    Enforcer: 'AppArmor',
    Action: 'Block',
    Result: 'Permission denied',
  };
}

/** An hour before the tests started: inside every store's default retention. */
const T0_MS = Math.floor(Date.now() / 1000) * 1000 - 3600_000;

/** Alert number i: distinct resource, time (1 ms apart from T0 + offsetMs), namespace and operation. */
export function numberedAlert(i: number, over: Partial<Alert> = {}, t0Ms = T0_MS): Alert {
  const ms = t0Ms + i;
  return {
    ...seedAlert(),
    Timestamp: unixSeconds(ms),
    UpdatedTime: updatedTime(ms),
    Resource: `/sbin/file-${i}`,
    Source: `/usr/bin/touch file-${i}`,
    ...over,
  };
}
