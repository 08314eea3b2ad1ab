// End to end, real kernel: `bulwark agent` with a Block policy, a workload started by `bulwark run`
// tries to write into the protected directory, and a gRPC client built from protobuf/*.proto
// receives the alert on WatchAlerts with every field right. Endpoints on unix sockets, so several
// runs never collide on ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import { landlockAbi, nativeBuilt } from '../helpers/sensor.js';
import { clients, collect, healthClient, unary, waitFor, type Msg } from '../helpers/grpc-client.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

function httpGet(socketPath: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

function run(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('a blocked write reaches a gRPC WatchAlerts client with every field', async (t) => {
  if (!needKernel(t, IS_ROOT, 'needs root to run the agent')) return;
  if (!needKernel(t, nativeBuilt() && landlockAbi() > 0, 'native helpers not built or Landlock unavailable'))
    return;
  assert.ok(existsSync(CLI), 'build first (npm run build)');
  const dir = mkdtempSync(join(tmpdir(), 'bw-e2e-grpc-'));
  const prot = join(dir, 'prot');
  mkdirSync(join(dir, 'pol'));
  mkdirSync(prot);
  writeFileSync(join(prot, 'existing'), 'hello\n');
  writeFileSync(
    join(dir, 'pol', 'block.yaml'),
    `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: e2e-grpc-block
  namespace: e2e-grpc
spec:
  selector:
    matchLabels:
      app: e2e-grpc
  file:
    matchDirectories:
      - dir: ${prot}/
        readOnly: true
        recursive: true
  action: Block
  severity: 7
  tags: [NIST, MITRE]
  message: write into a protected directory
`,
  );
  const sock = (n: string): string => join(dir, `${n}.sock`);
  let agentErr = '';
  const agent: ChildProcess = spawn(process.execPath, [
    CLI,
    'agent',
    '--policies',
    join(dir, 'pol'),
    '--state-dir',
    join(dir, 'state'),
    '--cluster-name',
    'e2e-cluster',
    '--node-name',
    'e2e-node',
    '--set',
    `api.grpc.listen=unix:${sock('grpc')}`,
    '--set',
    `api.health.listen=unix:${sock('health')}`,
    '--set',
    `api.http.listen=unix:${sock('http')}`,
  ]);
  agent.stderr!.on('data', (d: Buffer) => (agentErr += d.toString()));
  t.after(async () => {
    if (agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('close', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  // Ready as the health protocol reports it.
  await waitFor(() => existsSync(sock('health')) || agent.exitCode !== null, 'the health socket', 60_000);
  assert.equal(agent.exitCode, null, `agent exited: ${agentErr}`);
  const health = healthClient(`unix:${sock('health')}`);
  t.after(() => health.close());
  const serving = async (): Promise<boolean> =>
    (await unary(health, 'Check', { service: '' }).catch(() => ({ status: '' }))).status === 'SERVING';
  const deadline = Date.now() + 60_000;
  while (!(await serving())) {
    assert.ok(Date.now() < deadline, `agent not ready: ${agentErr}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const c = clients(`unix:${sock('grpc')}`);
  t.after(() => c.close());
  const stream = collect(c.log, 'WatchAlerts', 'policy');
  const subscribed = async (): Promise<boolean> =>
    /bulwark_grpc_clients\{rpc="WatchAlerts"\} 1/.test(await httpGet(sock('http'), '/metrics'));
  while (!(await subscribed())) await new Promise((r) => setTimeout(r, 50));

  // A read of the protected directory passes; the write is refused by the kernel.
  const workload = [
    'run',
    '--label',
    'app=e2e-grpc',
    '--namespace',
    'e2e-grpc',
    '--state-dir',
    join(dir, 'state'),
    '--',
  ];
  const read = await run([...workload, 'cat', `${prot}/existing`], dir);
  assert.equal(read.code, 0, read.stderr);
  const before = Math.floor(Date.now() / 1000);
  const write = await run([...workload, 'cp', '/etc/hostname', `${prot}/existing`], dir);
  assert.equal(write.code, 1);
  assert.match(write.stderr, /Permission denied/);
  assert.equal(readFileSync(join(prot, 'existing'), 'utf8'), 'hello\n', 'the file is unchanged');

  await waitFor(() => stream.messages.length > 0, 'the alert over gRPC', 20_000).catch((e: Error) => {
    throw new Error(`${e.message}; agent log:\n${agentErr.slice(-3000)}`);
  });
  await new Promise((r) => setTimeout(r, 500));
  // Only the write produced an alert (readOnly lets reads through without one).
  assert.equal(stream.messages.length, 1, JSON.stringify(stream.messages));
  const a: Msg = JSON.parse(JSON.stringify(stream.messages[0])) as Msg;
  const fixed = {
    ClusterName: 'e2e-cluster',
    HostName: 'e2e-node',
    NamespaceName: 'e2e-grpc',
    Labels: 'app=e2e-grpc',
    PolicyName: 'e2e-grpc-block',
    Severity: '7',
    Tags: 'NIST,MITRE',
    ATags: ['NIST', 'MITRE'],
    Message: 'write into a protected directory',
    Type: 'MatchedPolicy',
    Source: `/usr/bin/cp /etc/hostname ${prot}/existing`,
    Operation: 'File',
    Resource: `${prot}/existing`,
    ProcessName: '/usr/bin/cp',
    Action: 'Block',
    Result: 'Permission denied',
    Enforcer: 'Landlock',
    UID: 0,
  };
  for (const [k, v] of Object.entries(fixed)) assert.deepEqual(a[k], v, `${k}: ${JSON.stringify(a)}`);
  assert.match(String(a.ContainerID), /^[0-9a-f]{64}$/);
  assert.ok(String(a.ContainerName).length > 0);
  assert.match(String(a.Data), /^syscall=SYS_OPENAT .*flags=O_WRONLY\|O_TRUNC/);
  assert.equal((a.EventData as Record<string, string>).Syscall, 'SYS_OPENAT');
  assert.match(String(a.UpdatedTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.ok(
    Number(a.Timestamp) >= before - 1 && Number(a.Timestamp) <= before + 60,
    `Timestamp ${a.Timestamp}`,
  );
  assert.ok(Number(a.HostPID) > 0 && Number(a.PID) > 0, 'pids');

  // Stopping the agent ends the stream normally.
  agent.kill('SIGTERM');
  const status = await stream.ended;
  assert.equal(status.code, 0);
  await new Promise((r) => (agent.exitCode === null ? agent.once('close', r) : r(null)));
  assert.equal(agent.exitCode, 0, agentErr);
});
