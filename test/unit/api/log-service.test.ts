// feeder.LogService over a real loopback gRPC connection: a client built from the .proto files
// (test/helpers/grpc-client.ts) against startApi() fed by an in-process AlertSource.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED_TAGS } from '../../helpers/alerts.js';
import * as grpc from '@grpc/grpc-js';
import { startApi, type ApiHandles } from '../../../src/api/index.js';
import type { Alert } from '../../../src/alert/types.js';
import { TestAlertSource } from '../../helpers/alert-source.js';
import { clients, collect, healthClient, unary, waitFor, type Msg } from '../../helpers/grpc-client.js';

/** The seed card's blocked write, with every field of the Alert model set. */
const BLOCKED: Alert = {
  Timestamp: 1764312000,
  UpdatedTime: '2025-11-28T06:40:00.123456Z',
  ClusterName: 'default',
  HostName: 'node-1',
  NamespaceName: 'wordpress-mysql',
  Owner: { Ref: 'Deployment', Name: 'mysql', Namespace: 'wordpress-mysql' },
  PodName: 'mysql-7d4b9c-abcde',
  Labels: 'app=mysql',
  ContainerID: 'a'.repeat(64),
  ContainerName: 'mysql',
  ContainerImage: 'docker.io/library/mysql:5.6@sha256:' + 'b'.repeat(64),
  HostPPID: 4001,
  HostPID: 4002,
  PPID: 7,
  PID: 8,
  UID: 0,
  ParentProcessName: '/usr/bin/sh',
  ProcessName: '/usr/bin/touch',
  PolicyName: 'harden-mysql-file-integrity-monitoring',
  Severity: '1',
  Tags: SEED_TAGS.join(','),
  ATags: [...SEED_TAGS],
  Message: 'Detected and prevented compromise to File integrity',
  Type: 'MatchedPolicy',
  Source: '/usr/bin/touch file',
  Operation: 'File',
  Resource: '/sbin/file',
  Data: 'syscall=SYS_OPENAT fd=-100 flags=O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK',
  Enforcer: 'Landlock',
  Action: 'Block',
  Result: 'Permission denied',
  Cwd: '/sbin/',
  TTY: 'pts0',
  ResourceHash: 'c'.repeat(64),
  HashAlgo: 'sha256',
};

const LOG: Alert = {
  Timestamp: 1764312001,
  UpdatedTime: '2025-11-28T06:40:01.000001Z',
  ClusterName: 'default',
  HostName: 'node-1',
  NamespaceName: 'wordpress-mysql',
  PodName: 'mysql-7d4b9c-abcde',
  Labels: 'app=mysql',
  ContainerID: 'a'.repeat(64),
  ContainerName: 'mysql',
  HostPID: 4003,
  PPID: 7,
  PID: 9,
  UID: 999,
  ProcessName: '/usr/bin/cat',
  Type: 'ContainerLog',
  Source: '/usr/bin/cat /etc/hostname',
  Operation: 'File',
  Resource: '/etc/hostname',
  Data: 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY',
  Result: 'Passed',
};

const THROTTLE: Alert = {
  Timestamp: 1764312002,
  UpdatedTime: '2025-11-28T06:40:02.000000Z',
  ClusterName: 'default',
  HostName: 'node-1',
  PPID: 0,
  UID: 0,
  Type: 'SystemEvent',
  Operation: 'AlertThreshold',
  MaxAlertsPerSec: 10,
  DroppingAlertsInterval: 30,
};

function plain(m: Msg): Msg {
  return JSON.parse(JSON.stringify(m)) as Msg;
}

async function start(source: TestAlertSource, ready = () => true): Promise<ApiHandles> {
  return startApi(
    { grpc: { address: '127.0.0.1:0', healthAddress: '127.0.0.1:0' }, http: false },
    { alerts: source, ready, identity: { clusterName: 'default', hostName: 'node-1' } },
  );
}

test('HealthCheck echoes the nonce (karmor calls it before watching)', async (t) => {
  const api = await start(new TestAlertSource());
  t.after(() => api.close());
  const c = clients(api.grpc!.address);
  t.after(() => c.close());
  const nonce = 1_234_567_891;
  assert.deepEqual(await unary(c.log, 'HealthCheck', { nonce }), { Retval: nonce });
  assert.deepEqual(await unary(c.log, 'HealthCheck', { nonce: -5 }), { Retval: -5 });
});

test('WatchAlerts delivers a blocked write with every field as KubeArmor encodes it', async (t) => {
  const source = new TestAlertSource();
  const api = await start(source);
  t.after(() => api.close());
  const c = clients(api.grpc!.address);
  t.after(() => c.close());
  const s = collect(c.log, 'WatchAlerts', 'policy');
  await waitFor(() => source.subscribers === 1, 'the server to subscribe');
  source.emit(BLOCKED);
  await waitFor(() => s.messages.length === 1, 'the alert');
  const got = s.messages[0];
  const expected: Msg = {
    ...BLOCKED,
    // KubeArmor's parseDataString: Data split into capitalised keys.
    EventData: { Syscall: 'SYS_OPENAT', Fd: '-100', Flags: 'O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK' },
  };
  // Decoded messages are class instances: compare their plain data.
  assert.deepEqual(plain(got), expected);
  assert.equal(typeof got.Timestamp, 'number');
  s.call.cancel();
});

test('Types go where KubeArmor sends them: alerts and SystemEvent to WatchAlerts, ContainerLog to WatchLogs', async (t) => {
  const source = new TestAlertSource();
  const api = await start(source);
  t.after(() => api.close());
  const c = clients(api.grpc!.address);
  t.after(() => c.close());
  const alertsAll = collect(c.log, 'WatchAlerts', 'all');
  const alertsPolicy = collect(c.log, 'WatchAlerts', 'policy');
  const logsAll = collect(c.log, 'WatchLogs', 'all');
  const logsSystem = collect(c.log, 'WatchLogs', 'system');
  await waitFor(() => api.grpc!.hub.clientCount() === 4, 'four streams');
  source.emit(BLOCKED);
  source.emit(LOG);
  source.emit(THROTTLE);
  source.emit({ ...LOG, Type: 'HostLog', NamespaceName: undefined, PID: 10 });
  await waitFor(() => alertsAll.messages.length === 2 && alertsPolicy.messages.length === 2, 'alerts');
  await waitFor(() => logsAll.messages.length === 2 && logsSystem.messages.length === 2, 'logs');
  for (const s of [alertsAll, alertsPolicy]) {
    assert.deepEqual(
      s.messages.map((m) => m.Type),
      ['MatchedPolicy', 'SystemEvent'],
    );
    assert.equal(s.messages[1].Operation, 'AlertThreshold');
    assert.equal(s.messages[1].MaxAlertsPerSec, 10);
    assert.equal(s.messages[1].DroppingAlertsInterval, 30);
  }
  for (const s of [logsAll, logsSystem]) {
    assert.deepEqual(
      s.messages.map((m) => m.Type),
      ['ContainerLog', 'HostLog'],
    );
    // The Log message has no policy fields; everything it has arrives.
    assert.deepEqual(plain(s.messages[0]), {
      ...LOG,
      EventData: { Syscall: 'SYS_OPENAT', Fd: '-100', Flags: 'O_RDONLY' },
    });
  }
  for (const s of [alertsAll, alertsPolicy, logsAll, logsSystem]) s.call.cancel();
});

test("filters outside KubeArmor's accepted values end the call at once with OK and no data", async (t) => {
  const source = new TestAlertSource();
  const api = await start(source);
  t.after(() => api.close());
  const c = clients(api.grpc!.address);
  t.after(() => c.close());
  const cases: [string, string][] = [
    ['WatchAlerts', 'system'],
    ['WatchAlerts', 'bogus'],
    ['WatchAlerts', ''],
    ['WatchAlerts', 'Policy'],
    ['WatchLogs', 'policy'],
    ['WatchLogs', 'bogus'],
  ];
  for (const [method, filter] of cases) {
    const s = collect(c.log, method, filter);
    const status = await s.ended;
    assert.equal(status.code, grpc.status.OK, `${method}(${filter}) status`);
    assert.deepEqual(s.messages, [], `${method}(${filter}) data`);
  }
  // None of them subscribed: nothing is fanned out to them later either.
  assert.equal(api.grpc!.hub.clientCount(), 0);
  assert.equal(source.subscribers, 0);
});

test('grpc.health.v1 on the health port: per-service status, readiness, unknown service', async (t) => {
  let ready = false;
  const api = await start(new TestAlertSource(), () => ready);
  t.after(() => api.close());
  const h = healthClient(`127.0.0.1:${api.grpc!.healthPort}`);
  t.after(() => h.close());
  assert.deepEqual(await unary(h, 'Check', { service: 'feeder.LogService' }), { status: 'SERVING' });
  assert.deepEqual(await unary(h, 'Check', { service: '' }), { status: 'NOT_SERVING' });
  ready = true;
  assert.deepEqual(await unary(h, 'Check', { service: '' }), { status: 'SERVING' });
  // No policy store was given: PolicyService cannot change anything.
  assert.deepEqual(await unary(h, 'Check', { service: 'policy.PolicyService' }), { status: 'NOT_SERVING' });
  await assert.rejects(
    unary(h, 'Check', { service: 'nope.Service' }),
    (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND,
  );
  // The main port serves the health protocol too.
  const h2 = healthClient(api.grpc!.address);
  t.after(() => h2.close());
  assert.deepEqual(await unary(h2, 'Check', { service: 'feeder.LogService' }), { status: 'SERVING' });
});

test('closing the API ends open streams normally and drops the AlertSource subscription', async () => {
  const source = new TestAlertSource();
  const api = await start(source);
  const c = clients(api.grpc!.address);
  const s = collect(c.log, 'WatchAlerts', 'all');
  await waitFor(() => source.subscribers === 1, 'subscription');
  await api.close();
  const status = await s.ended;
  assert.equal(status.code, grpc.status.OK);
  assert.equal(source.subscribers, 0);
  c.close();
});

test('streaming clients beyond maxClients are refused with RESOURCE_EXHAUSTED', async (t) => {
  const source = new TestAlertSource();
  const api = await startApi(
    { grpc: { address: '127.0.0.1:0', healthAddress: false, maxClients: 2 }, http: false },
    { alerts: source },
  );
  t.after(() => api.close());
  const c = clients(api.grpc!.address);
  t.after(() => c.close());
  const a = collect(c.log, 'WatchAlerts', 'all');
  const b = collect(c.log, 'WatchLogs', 'all');
  await waitFor(() => api.grpc!.hub.clientCount() === 2, 'two clients');
  const third = collect(c.log, 'WatchAlerts', 'policy');
  const status = await third.ended;
  assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(status.details, /2 streaming clients already connected/);
  // The two admitted clients still work, and a place frees when one leaves.
  source.emit(BLOCKED);
  await waitFor(() => a.messages.length === 1, 'alert to the first client');
  b.call.cancel();
  await waitFor(() => api.grpc!.hub.clientCount() === 1, 'one client left');
  const fourth = collect(c.log, 'WatchLogs', 'system');
  await waitFor(() => api.grpc!.hub.clientCount() === 2, 'a new client admitted');
  a.call.cancel();
  fourth.call.cancel();
});

test('grpc.health.v1 Watch streams status changes', async (t) => {
  let ready = false;
  const api = await start(new TestAlertSource(), () => ready);
  t.after(() => api.close());
  const h = healthClient(`127.0.0.1:${api.grpc!.healthPort}`);
  t.after(() => h.close());
  const w = h.Watch({ service: '' }) as grpc.ClientReadableStream<Msg>;
  const seen: unknown[] = [];
  w.on('data', (m: Msg) => seen.push(m.status));
  w.on('error', () => undefined);
  await waitFor(() => seen.length === 1, 'first status');
  ready = true;
  await waitFor(() => seen.length === 2, 'the change', 5000);
  assert.deepEqual(seen, ['NOT_SERVING', 'SERVING']);
  const u = h.Watch({ service: 'nope.Service' }) as grpc.ClientReadableStream<Msg>;
  const first = await new Promise<Msg>((resolve) => u.once('data', resolve));
  u.on('error', () => undefined);
  assert.equal(first.status, 'SERVICE_UNKNOWN');
  w.cancel();
  u.cancel();
});
