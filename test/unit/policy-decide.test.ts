// Decision tables for decide(): one case per semantic point of docs/policy.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compile,
  decide,
  OPERATIONS,
  type DecideRequest,
  type Decision,
  type Subject,
} from '../../src/policy/index.js';
import type { Policy, PostureConfig } from '../../src/policy/types.js';
import { host, policy, workload } from '../helpers/policy.js';

const mysql = workload('wordpress-mysql', { app: 'mysql' });

function verdictOf(
  policies: Policy[],
  req: Partial<DecideRequest> & { path: string },
  posture?: Partial<PostureConfig>,
): Decision {
  const rs = compile(policies, { posture });
  return decide(rs, { subject: mysql, op: 'write', exe: '/usr/bin/touch', uid: 0, ...req });
}

const seed = policy({
  name: 'harden-mysql-file-integrity-monitoring',
  namespace: 'wordpress-mysql',
  labels: { app: 'mysql' },
  action: 'Block',
  rules: ['/sbin/', '/usr/bin/', '/usr/lib/', '/usr/sbin/', '/bin/', '/boot/'].map((dir) => ({
    dir,
    readOnly: true,
    recursive: true,
    severity: 1,
  })),
});

test('seed: a write under /sbin/ in app=mysql is blocked by the FIM rule; reads pass', () => {
  const d = verdictOf([seed], { op: 'create', path: '/sbin/file' });
  assert.equal(d.verdict, 'block');
  assert.equal(d.reason, 'violates-rule');
  const rs = compile([seed]);
  assert.equal(rs.rules[d.ruleId! - 1].target, '/sbin/');
  assert.equal(verdictOf([seed], { op: 'read', path: '/usr/bin/cat' }).verdict, 'allow');
  assert.equal(verdictOf([seed], { op: 'read', path: '/usr/bin/cat' }).reason, 'permitted-by-rule');
  assert.equal(verdictOf([seed], { op: 'write', path: '/usr/lib/x/y/z.so' }).verdict, 'block');
});

test('seed: other namespaces, other labels and the host are not selected', () => {
  const rs = compile([seed]);
  const base = { op: 'create' as const, path: '/sbin/file', exe: '/usr/bin/touch', uid: 0 };
  for (const subject of [
    workload('default', { app: 'mysql' }),
    workload('wordpress-mysql', { app: 'wordpress' }),
    workload('wordpress-mysql', {}),
    host('node-1'),
  ] as Subject[]) {
    assert.deepEqual(decide(rs, { ...base, subject }), {
      verdict: 'allow',
      ruleId: null,
      reason: 'no-rule',
      end: 'path',
    });
  }
  // Extra labels do not matter.
  assert.equal(
    decide(rs, { ...base, subject: workload('wordpress-mysql', { app: 'mysql', tier: 'db' }) }).verdict,
    'block',
  );
});

test('readOnly: every operation but read violates the rule', () => {
  const p = policy({
    namespace: 'wordpress-mysql',
    labels: { app: 'mysql' },
    rules: [{ dir: '/data/', recursive: true, readOnly: true }],
  });
  for (const op of OPERATIONS) {
    const d = verdictOf([p], { op, path: '/data/f' });
    assert.equal(d.verdict, op === 'read' ? 'allow' : 'block', op);
  }
});

test('without readOnly/ownerOnly a Block rule blocks reads too', () => {
  const p = policy({ namespace: 'wordpress-mysql', rules: [{ path: '/etc/shadow' }], labels: {} });
  assert.equal(verdictOf([p], { op: 'read', path: '/etc/shadow' }).verdict, 'block');
});

test('ownerOnly: only the owner passes; an unknown owner fails closed', () => {
  const p = policy({ namespace: 'wordpress-mysql', rules: [{ path: '/home/u/key', ownerOnly: true }] });
  assert.equal(
    verdictOf([p], { op: 'write', path: '/home/u/key', uid: 1000, fileOwnerUid: 1000 }).verdict,
    'allow',
  );
  assert.equal(
    verdictOf([p], { op: 'read', path: '/home/u/key', uid: 0, fileOwnerUid: 1000 }).verdict,
    'block',
  );
  assert.equal(verdictOf([p], { op: 'read', path: '/home/u/key', uid: 1000 }).verdict, 'block');
});

test('ownerOnly + readOnly: the owner may only read; others nothing', () => {
  const p = policy({
    namespace: 'wordpress-mysql',
    rules: [{ path: '/home/u/key', ownerOnly: true, readOnly: true }],
  });
  const v = (op: 'read' | 'write', uid: number) =>
    verdictOf([p], { op, path: '/home/u/key', uid, fileOwnerUid: 1000 }).verdict;
  assert.equal(v('read', 1000), 'allow');
  assert.equal(v('write', 1000), 'block');
  assert.equal(v('read', 0), 'block');
  assert.equal(v('write', 0), 'block');
});

test('directories: non-recursive covers direct children and the directory itself; recursive any depth', () => {
  const flat = policy({ namespace: 'wordpress-mysql', rules: [{ dir: '/etc/' }] });
  assert.equal(verdictOf([flat], { path: '/etc/passwd' }).verdict, 'block');
  assert.equal(verdictOf([flat], { path: '/etc' }).verdict, 'block', 'the directory itself');
  assert.equal(verdictOf([flat], { path: '/etc/ssl/cert.pem' }).verdict, 'allow', 'grandchild');
  const deep = policy({ namespace: 'wordpress-mysql', rules: [{ dir: '/etc/', recursive: true }] });
  assert.equal(verdictOf([deep], { path: '/etc/ssl/certs/a.pem' }).verdict, 'block');
  assert.equal(verdictOf([deep], { path: '/etcetera/x' }).verdict, 'allow', 'prefix is component-safe');
  const root = policy({ namespace: 'wordpress-mysql', rules: [{ dir: '/', recursive: true }] });
  assert.equal(verdictOf([root], { path: '/any/where/at/all' }).verdict, 'block');
  assert.equal(verdictOf([root], { path: '/' }).verdict, 'block');
});

test('component-safe prefixes: /home/user1/ does not cover /home/user10/x', () => {
  const p = policy({ namespace: 'wordpress-mysql', rules: [{ dir: '/home/user1/', recursive: true }] });
  assert.equal(verdictOf([p], { path: '/home/user10/x' }).verdict, 'allow');
  assert.equal(verdictOf([p], { path: '/home/user1/x' }).verdict, 'block');
});

test('patterns are AppArmor-style globs', () => {
  const cases: [string, string, boolean][] = [
    ['/etc/*hado?', '/etc/shadow', true],
    ['/etc/*hado?', '/etc/gshadow', true],
    ['/etc/*hado?', '/etc/hostname', false],
    ['/home/user1/secret_data*', '/home/user1/secret_data1.txt', true],
    ['/home/user1/secret_data*', '/home/user1/otherfile.txt', false],
    ['/tmp/*', '/tmp/a/b', false],
    ['/tmp/**', '/tmp/a/b', true],
    ['/etc/**', '/etc', false],
    ['/var/log/{syslog,auth.log}', '/var/log/auth.log', true],
    ['/var/log/{syslog,auth.log}', '/var/log/kern.log', false],
    ['/dev/sd[a-c]', '/dev/sdb', true],
    ['/dev/sd[!a-c]', '/dev/sdb', false],
    ['/dev/sd[!a-c]', '/dev/sdd', true],
    ['**/.ssh/**', '/root/.ssh/id_rsa', true],
    ['/a/\\*', '/a/*', true],
    ['/a/\\*', '/a/b', false],
  ];
  for (const [pattern, path, hit] of cases) {
    const p = policy({ namespace: 'wordpress-mysql', rules: [{ pattern }] });
    assert.equal(verdictOf([p], { path }).verdict, hit ? 'block' : 'allow', `${pattern} vs ${path}`);
  }
});

test('fromSource limits a rule to the named executable', () => {
  const p = policy({
    namespace: 'wordpress-mysql',
    rules: [{ path: '/etc/host.conf', fromSource: ['/usr/bin/cat'] }],
  });
  assert.equal(verdictOf([p], { op: 'read', path: '/etc/host.conf', exe: '/usr/bin/cat' }).verdict, 'block');
  assert.equal(verdictOf([p], { op: 'read', path: '/etc/host.conf', exe: '/usr/bin/head' }).verdict, 'allow');
});

test('pts: false applies only to callers with a terminal', () => {
  const p = policy({ namespace: 'wordpress-mysql', rules: [{ path: '/etc/hostname', pts: false }] });
  assert.equal(verdictOf([p], { op: 'read', path: '/etc/hostname', tty: 'pts/0' }).verdict, 'block');
  assert.equal(verdictOf([p], { op: 'read', path: '/etc/hostname', tty: null }).verdict, 'allow');
  const q = policy({ namespace: 'wordpress-mysql', rules: [{ path: '/etc/hostname', pts: true }] });
  assert.equal(verdictOf([q], { op: 'read', path: '/etc/hostname', tty: null }).verdict, 'block');
});

test('Audit rules audit violations and stay silent on permitted operations', () => {
  const p = policy({
    namespace: 'wordpress-mysql',
    action: 'Audit',
    rules: [{ dir: '/etc/', recursive: true, readOnly: true }],
  });
  assert.equal(verdictOf([p], { op: 'write', path: '/etc/x' }).verdict, 'audit');
  assert.equal(verdictOf([p], { op: 'read', path: '/etc/x' }).verdict, 'allow');
});

test('Allow rules switch the workload to whitelist mode with the default posture', () => {
  const p = policy({
    namespace: 'wordpress-mysql',
    action: 'Allow',
    rules: [{ dir: '/app/', recursive: true }],
  });
  assert.deepEqual(verdictOf([p], { op: 'write', path: '/app/data' }), {
    verdict: 'allow',
    ruleId: 1,
    reason: 'allowed-by-rule',
    end: 'path',
  });
  assert.deepEqual(verdictOf([p], { op: 'read', path: '/etc/passwd' }), {
    verdict: 'posture-audit',
    ruleId: null,
    reason: 'no-allow-rule',
    end: 'path',
  });
  assert.equal(verdictOf([p], { path: '/etc/passwd' }, { workload: 'block' }).verdict, 'posture-block');
  assert.equal(
    verdictOf([p], { path: '/etc/passwd' }, { workload: 'audit', namespaces: { 'wordpress-mysql': 'block' } })
      .verdict,
    'posture-block',
    'per-namespace override',
  );
  // Other namespaces are not in whitelist mode.
  const rs = compile([p], { posture: { workload: 'block' } });
  assert.equal(
    decide(rs, { subject: workload('other'), op: 'write', path: '/etc/passwd', exe: '/bin/sh', uid: 0 })
      .verdict,
    'allow',
  );
});

test('Allow + readOnly: reads allowed, writes fall to the posture with the rule named', () => {
  const p = policy({
    namespace: 'wordpress-mysql',
    action: 'Allow',
    rules: [{ dir: '/app/', recursive: true, readOnly: true }],
  });
  assert.equal(verdictOf([p], { op: 'read', path: '/app/a' }).verdict, 'allow');
  const d = verdictOf([p], { op: 'write', path: '/app/a' }, { workload: 'block' });
  assert.deepEqual(d, { verdict: 'posture-block', ruleId: 1, reason: 'outside-allow-rule', end: 'path' });
});

test('host policies use the host posture and nodeSelector', () => {
  const hp = policy({
    kind: 'KubeArmorHostPolicy',
    selector: { kind: 'host', matchLabels: { 'kubernetes.io/hostname': 'node-a, node-b' } },
    rules: [{ dir: '/etc/', recursive: true }],
  });
  const rs = compile([hp]);
  const req = { op: 'write' as const, path: '/etc/x', exe: '/bin/sh', uid: 0 };
  assert.equal(decide(rs, { ...req, subject: host('node-b') }).verdict, 'block');
  assert.equal(decide(rs, { ...req, subject: host('node-c') }).verdict, 'allow');
  assert.equal(
    decide(rs, { ...req, subject: mysql }).verdict,
    'allow',
    'host policies never select workloads',
  );
  const reg = policy({
    kind: 'KubeArmorHostPolicy',
    selector: { kind: 'host', matchLabels: { 'kubearmor.io/hostnamereg': 'node-*' } },
    rules: [{ dir: '/etc/', recursive: true }],
  });
  assert.equal(decide(compile([reg]), { ...req, subject: host('node-9') }).verdict, 'block');
  assert.equal(decide(compile([reg]), { ...req, subject: host('db-1') }).verdict, 'allow');
  const lbl = policy({
    kind: 'KubeArmorHostPolicy',
    selector: { kind: 'host', matchLabels: { 'node-role.kubernetes.io/control-plane': 'true' } },
    rules: [{ dir: '/etc/', recursive: true }],
  });
  assert.equal(
    decide(compile([lbl]), {
      ...req,
      subject: host('n', { 'node-role.kubernetes.io/control-plane': 'true' }),
    }).verdict,
    'block',
  );
  assert.equal(decide(compile([lbl]), { ...req, subject: host('n') }).verdict, 'allow');
  const allowHost = policy({
    kind: 'KubeArmorHostPolicy',
    action: 'Allow',
    rules: [{ dir: '/opt/', recursive: true }],
  });
  assert.equal(
    decide(compile([allowHost], { posture: { host: 'block', workload: 'audit' } }), {
      ...req,
      subject: host(),
    }).verdict,
    'posture-block',
  );
});

test('cluster policies: namespace In/NotIn and label expressions', () => {
  const csp = (operator: 'In' | 'NotIn') =>
    policy({
      kind: 'KubeArmorClusterPolicy',
      selector: {
        kind: 'cluster',
        matchLabels: {},
        matchExpressions: [{ key: 'namespace', operator, values: ['nginx2'] }],
      },
      rules: [{ path: '/etc/host.conf', fromSource: ['/usr/bin/cat'] }],
    });
  const req = { op: 'read' as const, path: '/etc/host.conf', exe: '/usr/bin/cat', uid: 0 };
  assert.equal(decide(compile([csp('In')]), { ...req, subject: workload('nginx2') }).verdict, 'block');
  assert.equal(decide(compile([csp('In')]), { ...req, subject: workload('nginx1') }).verdict, 'allow');
  assert.equal(decide(compile([csp('NotIn')]), { ...req, subject: workload('nginx2') }).verdict, 'allow');
  assert.equal(decide(compile([csp('NotIn')]), { ...req, subject: workload('nginx1') }).verdict, 'block');
  const byLabel = (operator: 'In' | 'NotIn') =>
    policy({
      kind: 'KubeArmorClusterPolicy',
      selector: {
        kind: 'cluster',
        matchLabels: {},
        matchExpressions: [{ key: 'label', operator, values: ['app=a', 'app=b'] }],
      },
      rules: [{ path: '/x' }],
    });
  const r2 = { op: 'read' as const, path: '/x', exe: '/bin/cat', uid: 0 };
  assert.equal(
    decide(compile([byLabel('In')]), { ...r2, subject: workload('n', { app: 'b' }) }).verdict,
    'block',
  );
  assert.equal(
    decide(compile([byLabel('In')]), { ...r2, subject: workload('n', { app: 'c' }) }).verdict,
    'allow',
  );
  assert.equal(
    decide(compile([byLabel('NotIn')]), { ...r2, subject: workload('n', { app: 'a' }) }).verdict,
    'allow',
  );
  assert.equal(
    decide(compile([byLabel('NotIn')]), { ...r2, subject: workload('n', { app: 'c' }) }).verdict,
    'block',
  );
});

test('workload matchExpressions are ANDed with matchLabels', () => {
  const p = policy({
    namespace: 'ns',
    selector: {
      kind: 'workload',
      namespace: 'ns',
      matchLabels: { tier: 'db' },
      matchExpressions: [{ key: 'label', operator: 'NotIn', values: ['env=dev'] }],
    },
    rules: [{ path: '/x' }],
  });
  const rs = compile([p]);
  const r = { op: 'read' as const, path: '/x', exe: '/bin/cat', uid: 0 };
  assert.equal(decide(rs, { ...r, subject: workload('ns', { tier: 'db', env: 'prod' }) }).verdict, 'block');
  assert.equal(decide(rs, { ...r, subject: workload('ns', { tier: 'db', env: 'dev' }) }).verdict, 'allow');
  assert.equal(decide(rs, { ...r, subject: workload('ns', { env: 'prod' }) }).verdict, 'allow');
});

test('precedence: a fromSource Allow beats a Block of the directory (lenient allow)', () => {
  const p = policy({
    namespace: 'wordpress-mysql',
    action: 'Block',
    rules: [
      { dir: '/run/secrets/', recursive: true },
      { dir: '/run/secrets/', recursive: true, fromSource: ['/usr/sbin/apache2'], action: 'Allow' },
    ],
  });
  assert.equal(
    verdictOf([p], { op: 'read', path: '/run/secrets/token', exe: '/usr/sbin/apache2' }).verdict,
    'allow',
  );
  assert.equal(verdictOf([p], { op: 'read', path: '/run/secrets/token', exe: '/bin/cat' }).verdict, 'block');
});

test('precedence: exact path beats directory, deeper directory beats shallower, directory beats pattern', () => {
  const ns = 'wordpress-mysql';
  const exact = policy({
    namespace: ns,
    rules: [
      { dir: '/etc/', recursive: true, action: 'Block' },
      { path: '/etc/hosts', action: 'Allow' },
    ],
  });
  assert.equal(verdictOf([exact], { path: '/etc/hosts' }).verdict, 'allow');
  assert.equal(verdictOf([exact], { path: '/etc/passwd' }).verdict, 'block');
  const deeper = policy({
    namespace: ns,
    rules: [
      { dir: '/srv/', recursive: true, action: 'Block' },
      { dir: '/srv/public/', recursive: true, action: 'Allow' },
    ],
  });
  assert.equal(verdictOf([deeper], { path: '/srv/public/index.html' }).verdict, 'allow');
  assert.equal(verdictOf([deeper], { path: '/srv/private/key' }).verdict, 'block');
  const dirVsPattern = policy({
    namespace: ns,
    rules: [
      { pattern: '/var/**', action: 'Block' },
      { dir: '/var/www/', recursive: true, action: 'Audit' },
    ],
  });
  assert.equal(verdictOf([dirVsPattern], { path: '/var/www/x' }).verdict, 'audit');
  assert.equal(verdictOf([dirVsPattern], { path: '/var/lib/x' }).verdict, 'block');
  // Audit on an exact path beats a Block on its directory (documented consequence).
  const auditExact = policy({
    namespace: ns,
    rules: [
      { dir: '/etc/', recursive: true, action: 'Block' },
      { path: '/etc/passwd', action: 'Audit' },
    ],
  });
  assert.equal(verdictOf([auditExact], { path: '/etc/passwd' }).verdict, 'audit');
});

test('precedence: on a tie Block beats Audit beats Allow, whatever the policy order', () => {
  const ns = 'wordpress-mysql';
  const a = policy({ name: 'a', namespace: ns, action: 'Allow', rules: [{ dir: '/d/', recursive: true }] });
  const b = policy({ name: 'b', namespace: ns, action: 'Audit', rules: [{ dir: '/d/', recursive: true }] });
  const c = policy({ name: 'c', namespace: ns, action: 'Block', rules: [{ dir: '/d/', recursive: true }] });
  for (const order of [
    [a, b, c],
    [c, b, a],
    [b, a, c],
  ]) {
    assert.equal(verdictOf(order, { path: '/d/x' }).verdict, 'block');
  }
  assert.equal(verdictOf([a, b], { path: '/d/x' }).verdict, 'audit');
});

test('a rule that permits the operation does not grant it: lower rules still decide', () => {
  const ns = 'wordpress-mysql';
  const p = policy({
    namespace: ns,
    rules: [
      { dir: '/a/b/', recursive: true, readOnly: true },
      { dir: '/a/', recursive: true },
    ],
  });
  assert.equal(verdictOf([p], { op: 'read', path: '/a/b/x' }).verdict, 'block');
  const q = policy({
    namespace: ns,
    rules: [
      { dir: '/usr/bin/', recursive: true, readOnly: true },
      { dir: '/', recursive: true, action: 'Allow' },
    ],
  });
  assert.equal(verdictOf([q], { op: 'read', path: '/usr/bin/ls' }).verdict, 'allow');
  assert.equal(verdictOf([q], { op: 'write', path: '/usr/bin/ls' }).verdict, 'block');
});

test('rename and link: both ends are checked; the stricter end wins', () => {
  const p = policy({
    namespace: 'wordpress-mysql',
    rules: [{ dir: '/usr/bin/', recursive: true, readOnly: true }],
  });
  const into = verdictOf([p], { op: 'rename', path: '/tmp/evil', secondPath: '/usr/bin/ls' });
  assert.equal(into.verdict, 'block');
  assert.equal(into.end, 'secondPath');
  const out = verdictOf([p], { op: 'rename', path: '/usr/bin/ls', secondPath: '/tmp/ls' });
  assert.equal(out.verdict, 'block');
  assert.equal(out.end, 'path');
  assert.equal(verdictOf([p], { op: 'link', path: '/tmp/a', secondPath: '/tmp/b' }).verdict, 'allow');
});

test('paths are compared normalised: repeated slashes in rules', () => {
  const p = policy({
    namespace: 'wordpress-mysql',
    rules: [{ path: '//etc//passwd' }, { dir: '//var//log/' }],
  });
  assert.equal(verdictOf([p], { path: '/etc/passwd' }).verdict, 'block');
  assert.equal(verdictOf([p], { path: '/var/log/syslog' }).verdict, 'block');
});

test('rule ids and the version are stable whatever the input order', () => {
  const p1 = policy({ name: 'one', namespace: 'a', rules: [{ path: '/x' }, { dir: '/y/' }] });
  const p2 = policy({ name: 'two', namespace: 'a', rules: [{ pattern: '/z/*' }] });
  const hp = policy({ name: 'host', kind: 'KubeArmorHostPolicy', rules: [{ dir: '/etc/' }] });
  const r1 = compile([p1, p2, hp]);
  const r2 = compile([hp, p2, p1]);
  assert.equal(r1.version, r2.version);
  assert.deepEqual(
    r1.rules.map((r) => [r.id, r1.policies[r.policy].name, r.target]),
    r2.rules.map((r) => [r.id, r2.policies[r.policy].name, r.target]),
  );
  assert.deepEqual(
    r1.rules.map((r) => r.id),
    [1, 2, 3, 4],
  );
  assert.notEqual(compile([p1]).version, r1.version);
});
