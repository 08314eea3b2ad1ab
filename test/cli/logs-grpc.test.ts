// `bulwark logs --grpc HOST:PORT` (built CLI) against a LogService served by this test process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi } from '../../src/api/index.js';
import type { Alert } from '../../src/alert/types.js';
import { TestAlertSource } from '../helpers/alert-source.js';
import { waitFor } from '../helpers/grpc-client.js';
import { makeCerts } from '../helpers/certs.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

function run(args: string[]): { done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, 'logs', ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))) };
}

function alert(i: number, ns: string): Alert {
  return {
    Timestamp: 1764312000 + i,
    UpdatedTime: '2025-11-28T06:40:00.123456Z',
    ClusterName: 'default',
    HostName: 'node-1',
    NamespaceName: ns,
    PPID: 0,
    UID: 0,
    PolicyName: 'harden-mysql-file-integrity-monitoring',
    Type: 'MatchedPolicy',
    Operation: 'File',
    Resource: `/sbin/file-${i}`,
    Action: 'Block',
    Result: 'Permission denied',
  };
}

test('logs --grpc --json: filtered live alerts, one per line, --limit ends it', async (t) => {
  const source = new TestAlertSource();
  const api = await startApi(
    { grpc: { address: '127.0.0.1:0', healthAddress: false }, http: false },
    { alerts: source },
  );
  t.after(() => api.close());
  const r = run(['--grpc', api.grpc!.address, '--json', '--namespace', '^wordpress', '--limit', '2']);
  await waitFor(() => api.grpc!.hub.clientCount() === 1, 'the CLI to subscribe', 20_000);
  for (let i = 0; i < 4; i++) source.emit(alert(i, i === 1 ? 'default' : 'wordpress-mysql'));
  const { code, stdout, stderr } = await r.done;
  assert.equal(code, 0, stderr);
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => l.Resource),
    ['/sbin/file-0', '/sbin/file-2'],
  );
  // karmor's JSON: PascalCase keys, PPID and UID always present.
  assert.equal(lines[0].PPID, 0);
  assert.equal(lines[0].UID, 0);
  assert.equal(lines[0].Action, 'Block');
});

test('logs --grpc to a closed port fails with BW7201; --since is a usage error', async () => {
  const api = await startApi(
    { grpc: { address: '127.0.0.1:0', healthAddress: false }, http: false },
    { alerts: new TestAlertSource() },
  );
  const port = api.grpc!.port;
  await api.close();
  const a = await run(['--grpc', `127.0.0.1:${port}`]).done;
  assert.equal(a.code, 3);
  assert.match(a.stderr, /BW7201/);
  const b = await run(['--grpc', `127.0.0.1:${port}`, '--since', '1h']).done;
  assert.equal(b.code, 2);
  assert.match(b.stderr, /--since cannot be used with --grpc/);
});

test('logs --grpc --grpc-tls DIR reads from an mTLS server (karmor --tlsCertPath layout)', async (t) => {
  const certs = makeCerts();
  const dir = mkdtempSync(join(tmpdir(), 'bw-grpc-tls-'));
  t.after(() => {
    rmSync(certs.dir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  copyFileSync(certs.ca, join(dir, 'ca.crt'));
  copyFileSync(certs.clientCert, join(dir, 'client.crt'));
  copyFileSync(certs.clientKey, join(dir, 'client.key'));
  const source = new TestAlertSource();
  const api = await startApi(
    {
      grpc: {
        address: '127.0.0.1:0',
        healthAddress: false,
        tls: { cert: certs.cert, key: certs.key, clientCa: certs.ca },
      },
      http: false,
    },
    { alerts: source },
  );
  t.after(() => api.close());
  const r = run(['--grpc', api.grpc!.address, '--grpc-tls', dir, '--json', '--limit', '1']);
  await waitFor(() => api.grpc!.hub.clientCount() === 1, 'the CLI to subscribe', 20_000);
  source.emit(alert(7, 'wordpress-mysql'));
  const { code, stdout, stderr } = await r.done;
  assert.equal(code, 0, stderr);
  assert.equal((JSON.parse(stdout) as Alert).Resource, '/sbin/file-7');
  // Without the client certificate the server refuses the connection.
  rmSync(join(dir, 'client.key'));
  rmSync(join(dir, 'client.crt'));
  const refused = await run(['--grpc', api.grpc!.address, '--grpc-tls', dir, '--json', '--limit', '1']).done;
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /BW7201/);
});
