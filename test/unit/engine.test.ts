// Engine: events + rule set → Action/Result/rule, and the KubeArmor alert built from them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED_TAGS } from '../helpers/alerts.js';
import { compile } from '../../src/policy/index.js';
import { resolveHostPath } from '../../src/common/realpath.js';
import { matchEvent } from '../../src/engine/match.js';
import { alertFromGap, alertFromMatch } from '../../src/alert/from-event.js';
import type { EngineEvent } from '../../src/engine/types.js';
import type { ChangeEvent, DenialEvent } from '../../src/sensor/types.js';
import { policy, workload } from '../helpers/policy.js';

const TAGS = [...SEED_TAGS];
const seed = policy({
  name: 'harden-mysql-file-integrity-monitoring',
  namespace: 'wordpress-mysql',
  labels: { app: 'mysql' },
  rules: ['/sbin/', '/usr/bin/', '/usr/lib/', '/usr/sbin/', '/bin/', '/boot/'].map((dir) => ({
    dir,
    readOnly: true,
    recursive: true,
    severity: 1,
    tags: TAGS,
    message: 'Detected and prevented compromise to File integrity',
  })),
});
const host = { hostName: 'node-1', clusterName: 'default' };
const subject = workload('wordpress-mysql', { app: 'mysql' });
const proc = {
  hostPid: 16462,
  hostPpid: 16435,
  pid: 16462,
  ppid: 16435,
  uid: 0,
  exe: '/usr/bin/touch',
  parentExe: '/usr/bin/bash',
  cmdline: '/usr/bin/touch file',
  cwd: '/usr/sbin',
  tty: 'pts/0',
  complete: true,
};
const container = {
  id: 'b75628d4225b8071d5795da342cf2a5c03b1d67b22b40016697fcd17a0db20e4',
  name: 'mysql',
  image: '',
  pod: 'mysql',
  namespace: 'wordpress-mysql',
  labels: { app: 'mysql' },
  owner: { ref: 'BulwarkRun', name: 'mysql', namespace: 'wordpress-mysql' },
};

function denial(path: string, extra: Partial<DenialEvent> = {}): EngineEvent {
  const event: DenialEvent = {
    kind: 'denial',
    source: 'landlock',
    timeNs: '1696316210829165000',
    op: 'create',
    path,
    syscall: 'SYS_OPENAT',
    flags: 0o4501,
    errno: 13,
    proc: { pid: 16462, ppid: 16435, uid: 0, exe: '/usr/bin/touch', comm: 'touch' },
    ...extra,
  };
  return { event, subject, process: proc, container };
}

function change(op: ChangeEvent['op'], path: string): EngineEvent {
  return {
    event: { kind: 'change', source: 'fanotify', timeNs: '1696316210829165000', op, path, mask: 0 },
    subject,
    process: proc,
    container,
  };
}

test('the seed denial becomes the seed alert, field by field', () => {
  const rs = compile([seed], { resolve: resolveHostPath });
  const ev = denial('/usr/sbin/file');
  const m = matchEvent(rs, ev);
  assert.ok(m);
  const a = alertFromMatch(rs, ev, m, host);
  assert.deepEqual(a, {
    Timestamp: 1696316210,
    UpdatedTime: '2023-10-03T06:56:50.829165Z',
    ClusterName: 'default',
    HostName: 'node-1',
    HostPPID: 16435,
    HostPID: 16462,
    PPID: 16435,
    PID: 16462,
    UID: 0,
    ParentProcessName: '/usr/bin/bash',
    ProcessName: '/usr/bin/touch',
    PolicyName: 'harden-mysql-file-integrity-monitoring',
    Type: 'MatchedPolicy',
    Source: '/usr/bin/touch file',
    Operation: 'File',
    Resource: '/usr/sbin/file',
    Data: 'syscall=SYS_OPENAT flags=O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK',
    Enforcer: 'Landlock',
    Action: 'Block',
    Result: 'Permission denied',
    Severity: '1',
    Tags: TAGS.join(','),
    ATags: TAGS,
    Message: 'Detected and prevented compromise to File integrity',
    NamespaceName: 'wordpress-mysql',
    PodName: 'mysql',
    Labels: 'app=mysql',
    ContainerID: container.id,
    ContainerName: 'mysql',
    Owner: { Ref: 'BulwarkRun', Name: 'mysql', Namespace: 'wordpress-mysql' },
    Cwd: '/usr/sbin/',
    TTY: 'pts/0',
  });
});

test('a denial wider than the policy names the protecting rule and says so', () => {
  const p = policy({
    namespace: 'wordpress-mysql',
    labels: { app: 'mysql' },
    rules: [{ dir: '/t/prot/', recursive: true }],
  });
  const rs = compile([p]);
  const m = matchEvent(rs, denial('/t/newfile'));
  assert.ok(m);
  assert.equal(m.action, 'Block');
  assert.equal(m.rule?.target, '/t/prot/');
  assert.match(m.broader ?? '', /more broadly/);
});

test('changes: Audit rules alert, Block rules the kernel could not enforce give Audit (Block)', () => {
  const audit = policy({
    namespace: 'wordpress-mysql',
    labels: { app: 'mysql' },
    action: 'Audit',
    rules: [{ dir: '/etc/', recursive: true, readOnly: true }],
  });
  const rs = compile([audit, seed]);
  const w = matchEvent(rs, change('write', '/etc/app.conf'));
  assert.equal(w?.action, 'Audit');
  assert.equal(w?.result, 'Passed');
  const chmod = matchEvent(rs, change('chmod', '/usr/bin/ls'));
  assert.equal(chmod?.action, 'Audit (Block)');
  assert.equal(chmod?.rule?.target, '/usr/bin/');
  assert.equal(matchEvent(rs, change('write', '/tmp/x')), null, 'nothing matches: no alert');
  assert.equal(matchEvent(rs, change('read', '/etc/app.conf')), null, 'permitted: no alert');
});

test('default posture alerts are named DefaultPosture; an Allow rule that did not permit is named', () => {
  const allow = policy({
    name: 'app-only',
    namespace: 'wordpress-mysql',
    labels: { app: 'mysql' },
    action: 'Allow',
    rules: [{ dir: '/app/', recursive: true, readOnly: true }],
  });
  const rs = compile([allow], { posture: { workload: 'block' } });
  const other = matchEvent(rs, change('write', '/etc/x'));
  assert.equal(other?.action, 'Audit (Block)');
  const a = alertFromMatch(rs, change('write', '/etc/x'), other!, host);
  assert.equal(a.PolicyName, 'DefaultPosture');
  assert.equal(a.Tags, undefined);
  const inside = matchEvent(rs, change('write', '/app/x'));
  const b = alertFromMatch(rs, change('write', '/app/x'), inside!, host);
  assert.equal(b.PolicyName, 'app-only');
});

test('gaps become SystemEvent alerts that say what was lost', () => {
  const a = alertFromGap(
    {
      kind: 'gap',
      source: 'fanotify',
      timeNs: '1700000000000000000',
      cause: 'overflow',
      filesystem: '/',
      lost: 12,
    },
    host,
  );
  assert.equal(a.Type, 'SystemEvent');
  assert.equal(a.Operation, 'EventGap');
  assert.equal(a.Data, 'cause=overflow lost=12');
  assert.match(a.Message ?? '', /lost/);
});
