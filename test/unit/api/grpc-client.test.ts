// watchGrpc (behind `bulwark logs --grpc`) against a real LogService server: karmor's stream choice
// per type, the store reader's filters, --limit, the server ending the stream, unreachable servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApi } from '../../../src/api/index.js';
import { watchGrpc } from '../../../src/api/grpc/client.js';
import type { Alert } from '../../../src/alert/types.js';
import { isBulwarkError } from '../../../src/common/errors.js';
import { TestAlertSource } from '../../helpers/alert-source.js';
import { waitFor } from '../../helpers/grpc-client.js';

function mk(i: number, over: Partial<Alert>): Alert {
  return {
    Timestamp: 1764312000 + i,
    UpdatedTime: `2025-11-28T06:40:0${i}.000000Z`,
    ClusterName: 'default',
    HostName: 'node-1',
    PPID: 3,
    UID: 0,
    Type: 'MatchedPolicy',
    Operation: 'File',
    ...over,
  };
}

const ALERTS: Alert[] = [
  mk(0, {
    NamespaceName: 'wordpress-mysql',
    Labels: 'app=mysql',
    Resource: '/sbin/file',
    Source: '/usr/bin/touch file',
    Owner: { Ref: 'Deployment', Name: 'mysql', Namespace: 'wordpress-mysql' },
  }),
  mk(1, { NamespaceName: 'default', Labels: 'app=nginx', Resource: '/etc/nginx/nginx.conf' }),
  mk(2, {
    NamespaceName: 'WordPress-MySQL',
    Labels: 'app=mysql,tier=db',
    Resource: '/usr/bin/mysql',
    Operation: 'Process',
  }),
  mk(3, { NamespaceName: 'wordpress-mysql', Type: 'ContainerLog', Resource: '/etc/hostname' }),
];

async function setup(t: {
  after(fn: () => unknown): void;
}): Promise<{ source: TestAlertSource; target: string; clientsNow: () => number }> {
  const source = new TestAlertSource();
  const api = await startApi(
    { grpc: { address: '127.0.0.1:0', healthAddress: false }, http: false },
    { alerts: source },
  );
  t.after(() => api.close());
  return { source, target: api.grpc!.address, clientsNow: () => api.grpc!.hub.clientCount() };
}

test('filters as the store reader applies them, alerts only by default', async (t) => {
  const { source, target, clientsNow } = await setup(t);
  const got: Alert[] = [];
  const w = await watchGrpc(target, { namespace: 'wordpress', labels: ['app=mysql'] }, (a) => got.push(a));
  await waitFor(() => clientsNow() === 1, 'stream');
  for (const a of ALERTS) source.emit(a);
  await waitFor(() => got.length === 2, 'two alerts');
  w.close();
  await w.done;
  // Namespace regex is case-insensitive and unanchored; the ContainerLog is not an alert.
  assert.deepEqual(
    got.map((a) => a.Timestamp),
    [1764312000, 1764312002],
  );
  // Round trip: what arrives is the alert as emitted, PPID/UID present.
  assert.deepEqual({ ...got[0], EventData: undefined }, { ...ALERTS[0], EventData: undefined });
});

test('--type log reads WatchLogs("system"); all reads both; --limit stops', async (t) => {
  const { source, target, clientsNow } = await setup(t);
  const logs: Alert[] = [];
  const w1 = await watchGrpc(target, { type: 'log' }, (a) => logs.push(a));
  const both: Alert[] = [];
  const w2 = await watchGrpc(target, { type: 'all', limit: 3 }, (a) => both.push(a));
  await waitFor(() => clientsNow() === 3, 'three streams');
  for (const a of ALERTS) source.emit(a);
  await w2.done; // the limit ends it
  assert.equal(both.length, 3);
  await waitFor(() => logs.length === 1, 'the log');
  assert.equal(logs[0].Type, 'ContainerLog');
  w1.close();
  await w1.done;
});

test('the server closing its streams ends the watch; an unreachable server is BW7201', async (t) => {
  const source = new TestAlertSource();
  const api = await startApi(
    { grpc: { address: '127.0.0.1:0', healthAddress: false }, http: false },
    { alerts: source },
  );
  const w = await watchGrpc(api.grpc!.address, {}, () => undefined);
  await waitFor(() => api.grpc!.hub.clientCount() === 1, 'stream');
  await api.close();
  await w.done;
  await assert.rejects(
    watchGrpc(`127.0.0.1:${api.grpc!.port}`, {}, () => undefined, { connectTimeoutMs: 1500 }),
    (e) => isBulwarkError(e) && e.code === 'BW7201',
  );
  t.diagnostic('closed');
});
