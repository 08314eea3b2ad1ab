// End to end on the real kernel: the seed scenario through `bulwark agent` + `bulwark run`, with
// every alert field checked, plus Audit, whitelist + posture, throttling, hot reload and restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED_TAGS } from '../helpers/alerts.js';
import { existsSync, realpathSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { needKernel, IS_ROOT } from '../helpers/kernel.js';
import { landlockAbi } from '../../src/sensor/index.js';
import {
  bulwark,
  dirPolicy,
  removeDir,
  runWorkload,
  SEED_POLICY,
  sleep,
  startAgent,
  storedAlerts,
  tempDir,
  waitForAlerts,
} from '../helpers/agent.js';

const canRun = IS_ROOT && landlockAbi() >= 7;
const reason = IS_ROOT ? `Landlock ABI ${landlockAbi()} < 7 (no audit of denials)` : 'needs root';
const TAGS = [...SEED_TAGS];
const SH = realpathSync('/bin/sh');

test('seed: touch in /sbin is refused and the alert carries every field', async (t) => {
  if (!needKernel(t, canRun, reason)) return;
  const target = join(realpathSync('/sbin'), 'file');
  const existed = existsSync(target);
  const agent = await startAgent({ policies: { 'fim.yaml': SEED_POLICY } });
  t.after(async () => {
    await agent.stop();
    if (!existed && existsSync(target)) rmSync(target);
    removeDir(agent.dir);
  });
  const before = Math.floor(Date.now() / 1000);
  const r = await runWorkload(agent.stateDir, ['app=mysql'], ['sh', '-c', 'cd /sbin && touch file'], {
    namespace: 'wordpress-mysql',
    name: 'mysql',
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /touch: cannot touch 'file': Permission denied/);
  assert.equal(existsSync(target) && !existed, false, 'the file must not have been created');
  const alerts = await waitForAlerts(agent.stateDir, (as) => as.some((a) => a.Resource === target));
  const a = alerts.find((x) => x.Resource === target)!;
  assert.match(a.ContainerID ?? '', /^[0-9a-f]{64}$/);
  assert.ok(a.HostPID! > 0 && a.HostPPID! > 0 && a.PID! > 0 && a.PPID! > 0);
  assert.ok(a.Timestamp >= before && a.Timestamp <= before + 60);
  assert.match(a.UpdatedTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  const { ContainerID, HostPID, HostPPID, PID, PPID, Timestamp, UpdatedTime, ...rest } = a;
  void [ContainerID, HostPID, HostPPID, PID, PPID, Timestamp, UpdatedTime];
  assert.deepEqual(rest, {
    Action: 'Block',
    ATags: TAGS,
    ClusterName: 'e2e-cluster',
    ContainerName: 'mysql',
    Cwd: `${realpathSync('/sbin')}/`,
    Data: 'syscall=SYS_OPENAT flags=O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK',
    Enforcer: 'Landlock',
    HostName: 'e2e-node',
    Labels: 'app=mysql',
    Message: 'Detected and prevented compromise to File integrity',
    NamespaceName: 'wordpress-mysql',
    Operation: 'File',
    Owner: { Ref: 'BulwarkRun', Name: 'mysql', Namespace: 'wordpress-mysql' },
    ParentProcessName: SH,
    PodName: 'mysql',
    PolicyName: 'harden-mysql-file-integrity-monitoring',
    ProcessName: '/usr/bin/touch',
    Resource: target,
    Result: 'Permission denied',
    Severity: '1',
    Source: '/usr/bin/touch file',
    Tags: TAGS.join(','),
    Type: 'MatchedPolicy',
    UID: 0,
  });
  // Reads still work in the same kind of workload, and raise no alert.
  const n = storedAlerts(agent.stateDir).length;
  const ok = await runWorkload(
    agent.stateDir,
    ['app=mysql'],
    ['sh', '-c', 'cat /usr/bin/cat >/dev/null && ls /sbin >/dev/null && echo read-ok'],
    {
      namespace: 'wordpress-mysql',
    },
  );
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /read-ok/);
  await sleep(500);
  assert.equal(storedAlerts(agent.stateDir).length, n);
  // Outside the workload (another label) the same policy does not apply: use a harmless path.
  const st = JSON.parse(bulwark(['status', '--state-dir', agent.stateDir, '--json']).stdout);
  assert.equal(st.running, true);
  assert.equal(st.enforced, true);
  assert.equal(st.sensor.enforcement, 'landlock');
  assert.ok(st.pipeline.attribution >= 1, `attribution ${st.pipeline.attribution}`);
});

test('Audit policy: a write succeeds and yields Action Audit, Result Passed', async (t) => {
  if (!needKernel(t, canRun, reason)) return;
  const dir = tempDir('bw-e2e-audit-');
  const watched = join(dir, 'watched');
  mkdirSync(watched);
  const agent = await startAgent({
    dir,
    policies: {
      'audit.yaml': `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: audit-watched, namespace: web}
spec:
  selector: {matchLabels: {app: web}}
  severity: 4
  message: write in watched dir
  file:
    matchDirectories: [{dir: ${watched}/, recursive: true, readOnly: true}]
  action: Audit
`,
    },
  });
  t.after(async () => {
    await agent.stop();
    removeDir(dir);
  });
  const r = await runWorkload(
    agent.stateDir,
    ['app=web'],
    ['sh', '-c', `echo x > ${watched}/f && cat ${watched}/f`],
    {
      namespace: 'web',
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const alerts = await waitForAlerts(agent.stateDir, (as) =>
    as.some((a) => a.Resource === `${watched}/f` && a.Action === 'Audit'),
  );
  const a = alerts.find((x) => x.Resource === `${watched}/f` && x.Action === 'Audit')!;
  assert.equal(a.Result, 'Passed');
  assert.equal(a.PolicyName, 'audit-watched');
  assert.equal(a.Severity, '4');
  assert.equal(a.NamespaceName, 'web');
  assert.equal(a.Type, 'MatchedPolicy');
});

test('whitelist + block posture: what no Allow rule covers is refused', async (t) => {
  if (!needKernel(t, canRun, reason)) return;
  const dir = tempDir('bw-e2e-wl-');
  mkdirSync(join(dir, 'allowed'));
  mkdirSync(join(dir, 'other'));
  const agent = await startAgent({
    dir,
    args: ['--posture', 'block'],
    policies: {
      'allow.yaml': `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: only-allowed, namespace: wl}
spec:
  selector: {matchLabels: {app: wl}}
  file:
    matchDirectories:
    - {dir: /, recursive: true, readOnly: true}
    - {dir: ${dir}/allowed/, recursive: true}
  action: Allow
`,
    },
  });
  t.after(async () => {
    await agent.stop();
    removeDir(dir);
  });
  const ok = await runWorkload(agent.stateDir, ['app=wl'], ['sh', '-c', `echo x > ${dir}/allowed/f`], {
    namespace: 'wl',
  });
  assert.equal(ok.code, 0, ok.stderr);
  const bad = await runWorkload(agent.stateDir, ['app=wl'], ['sh', '-c', `echo x > ${dir}/other/f`], {
    namespace: 'wl',
  });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Permission denied/);
  assert.equal(existsSync(join(dir, 'other/f')), false);
  const alerts = await waitForAlerts(agent.stateDir, (as) => as.some((a) => a.Resource === `${dir}/other/f`));
  const a = alerts.find((x) => x.Resource === `${dir}/other/f`)!;
  assert.equal(a.Action, 'Block');
  assert.equal(a.Result, 'Permission denied');
  // The readOnly Allow rule on / matched but does not permit writes: it is named, not hidden.
  assert.equal(a.PolicyName, 'only-allowed');
});

test('throttling: past the limit alerts are counted, one AlertThreshold event is raised', async (t) => {
  if (!needKernel(t, canRun, reason)) return;
  const dir = tempDir('bw-e2e-thr-');
  const prot = join(dir, 'prot');
  mkdirSync(prot);
  const agent = await startAgent({
    dir,
    args: ['--set', 'throttle.maxAlertsPerSec=5', '--set', 'throttle.throttleSec=30'],
    policies: {
      'p.yaml': dirPolicy({ name: 'prot', namespace: 'thr', app: 'thr', dir: prot, action: 'Block' }),
    },
  });
  t.after(async () => {
    await agent.stop();
    removeDir(dir);
  });
  const r = await runWorkload(
    agent.stateDir,
    ['app=thr'],
    ['sh', '-c', `for i in $(seq 40); do touch ${prot}/f$i 2>/dev/null; done; true`],
    {
      namespace: 'thr',
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const alerts = await waitForAlerts(agent.stateDir, (as) =>
    as.some((a) => a.Operation === 'AlertThreshold'),
  );
  let blocks = alerts.filter((a) => a.PolicyName === 'prot');
  assert.ok(blocks.length >= 5 && blocks.length <= 10, `${blocks.length} block alerts passed`);
  assert.equal(alerts.filter((a) => a.Operation === 'AlertThreshold').length, 1);
  // Alerts that passed the throttle reach the store a moment after they are counted: read both
  // until the store has caught up (at most 10 s), then each of the 40 refused touches must be
  // stored or throttled.
  let st = { pipeline: { throttled: 0, denials: -1 } };
  for (let i = 0; i < 50; i++) {
    st = JSON.parse(bulwark(['status', '--state-dir', agent.stateDir, '--json']).stdout);
    blocks = storedAlerts(agent.stateDir).filter((a) => a.PolicyName === 'prot');
    if (st.pipeline.denials === 40 && st.pipeline.throttled + blocks.length === 40) break;
    await sleep(200);
  }
  assert.equal(st.pipeline.denials, 40, 'one denial per refused touch');
  assert.equal(st.pipeline.throttled + blocks.length, 40, 'every denial is delivered or counted');
});

test('hot reload: a valid change applies to new workloads; an invalid one is rejected and the old rules keep blocking', async (t) => {
  if (!needKernel(t, canRun, reason)) return;
  const dir = tempDir('bw-e2e-reload-');
  const a1 = join(dir, 'a1');
  const a2 = join(dir, 'a2');
  mkdirSync(a1);
  mkdirSync(a2);
  const pol = (name: string, d: string) =>
    dirPolicy({ name, namespace: 'rl', app: 'rl', dir: d, action: 'Block' });
  let agent = await startAgent({ dir, policies: { 'one.yaml': pol('one', a1) } });
  t.after(async () => {
    await agent.stop();
    removeDir(dir);
  });
  const touch = (p: string) =>
    runWorkload(agent.stateDir, ['app=rl'], ['sh', '-c', `touch ${p}`], { namespace: 'rl' });
  assert.notEqual((await touch(`${a1}/x`)).code, 0);
  assert.equal((await touch(`${a2}/x`)).code, 0);
  const v1 = JSON.parse(bulwark(['status', '--state-dir', agent.stateDir, '--json']).stdout).ruleSet.version;
  writeFileSync(join(agent.policyDir, 'two.yaml'), pol('two', a2));
  let v2 = v1;
  for (let i = 0; i < 50 && v2 === v1; i++) {
    await sleep(200);
    v2 = JSON.parse(bulwark(['status', '--state-dir', agent.stateDir, '--json']).stdout).ruleSet.version;
  }
  assert.notEqual(v2, v1, 'the valid change was applied');
  assert.notEqual((await touch(`${a2}/y`)).code, 0, 'new workloads get the new rules');
  writeFileSync(join(agent.policyDir, 'bad.yaml'), pol('bad', a2).replace(`dir: ${a2}/`, `dir: ${a2}`));
  await waitForAlerts(agent.stateDir, (as) =>
    as.some((a) => a.Operation === 'PolicyError' && /bad\.yaml/.test(a.Resource ?? '')),
  );
  const st = JSON.parse(bulwark(['status', '--state-dir', agent.stateDir, '--json']).stdout);
  assert.equal(st.ruleSet.version, v2, 'the rule set is unchanged');
  assert.match(st.lastPolicyError, /bad\.yaml:\d+:\d+ error BW1006/);
  assert.notEqual((await touch(`${a1}/z`)).code, 0, 'old rules keep blocking');
  // Restart: the store and the rules survive; events flow again.
  rmSync(join(agent.policyDir, 'bad.yaml'));
  const before = storedAlerts(agent.stateDir).length;
  assert.equal(await agent.stop(), 0);
  agent = await startAgent({ dir, policies: {} });
  assert.ok(storedAlerts(agent.stateDir).length >= before, 'alerts kept across restarts');
  assert.notEqual((await touch(`${a2}/w`)).code, 0);
  await waitForAlerts(agent.stateDir, (as) => as.some((a) => a.Resource === `${a2}/w`));
});
