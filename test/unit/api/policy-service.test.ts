// policy.PolicyService as `karmor vm policy add|delete` drives it: the JSON envelope karmor builds
// (Go structs marshalled with their zero values), KubeArmor's status codes, validation exactly as
// for policy files, atomic persistence into the policy directory, nothing applied when invalid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED_TAGS } from '../../helpers/alerts.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { DirectoryPolicyStore, startApi, type ApiHandles } from '../../../src/api/index.js';
import { parsePolicyText } from '../../../src/policy/index.js';
import { TestAlertSource } from '../../helpers/alert-source.js';
import {
  clients,
  collect,
  unary,
  unaryWithTrailer,
  waitFor,
  type Clients,
} from '../../helpers/grpc-client.js';

/** The seed policy as karmor sends it: K8sKubeArmorPolicyEvent marshalled by Go's encoding/json. */
function seedEnvelope(type: string, overrides: Record<string, unknown> = {}): Buffer {
  const dir = (d: string): Record<string, unknown> => ({ dir: d, readOnly: true, recursive: true });
  const event = {
    type,
    object: {
      metadata: {
        name: 'harden-mysql-file-integrity-monitoring',
        namespace: 'wordpress-mysql',
        creationTimestamp: null,
      },
      spec: {
        selector: { matchLabels: { app: 'mysql' } },
        process: {},
        file: {
          matchDirectories: ['/sbin/', '/usr/bin/', '/usr/lib/', '/usr/sbin/', '/bin/', '/boot/'].map(dir),
        },
        network: {},
        capabilities: {},
        severity: 1,
        tags: [...SEED_TAGS],
        message: 'Detected and prevented compromise to File integrity',
        action: 'Block',
        ...overrides,
      },
      status: {},
    },
  };
  return Buffer.from(JSON.stringify(event));
}

function hostEnvelope(type: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      type,
      object: {
        metadata: { name: 'hsp-etc-passwd', creationTimestamp: null },
        spec: {
          nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'node-1' } },
          process: {},
          file: { matchPaths: [{ path: '/etc/passwd', readOnly: true }] },
          network: {},
          capabilities: {},
          severity: 0,
          action: '',
        },
        status: {},
      },
    }),
  );
}

interface Ctx {
  dir: string;
  api: ApiHandles;
  c: Clients;
}

async function setup(t: { after(fn: () => unknown): void }, withStore = true): Promise<Ctx> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-policies-'));
  const api = await startApi(
    { grpc: { address: '127.0.0.1:0', healthAddress: false }, http: false },
    { alerts: new TestAlertSource(), policies: withStore ? new DirectoryPolicyStore(dir) : undefined },
  );
  const c = clients(api.grpc!.address);
  t.after(async () => {
    c.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, api, c };
}

const KSP_FILE = 'grpc.ksp.wordpress-mysql.harden-mysql-file-integrity-monitoring.yaml';

function diagnostics(trailer: grpc.Metadata): { code: string; field: string; message: string }[] {
  const v = trailer.get('bulwark-diagnostics-bin')[0];
  return v
    ? (JSON.parse(Buffer.from(v as Buffer).toString('utf8')) as {
        code: string;
        field: string;
        message: string;
      }[])
    : [];
}

test('containerPolicy ADDED, MODIFIED, DELETED: KubeArmor statuses and the policy directory', async (t) => {
  const { dir, c } = await setup(t);
  assert.deepEqual(await unary(c.policy, 'containerPolicy', { policy: seedEnvelope('ADDED') }), {
    status: 'Applied',
  });
  assert.deepEqual(readdirSync(dir), [KSP_FILE], 'one file, no temporary left');
  // The stored file is a policy file like any other: it loads to the seed policy.
  const stored = parsePolicyText(readFileSync(join(dir, KSP_FILE), 'utf8'), KSP_FILE);
  assert.equal(stored.ok, true);
  assert.equal(stored.policies.length, 1);
  const p = stored.policies[0];
  assert.equal(p.kind, 'KubeArmorPolicy');
  assert.equal(p.name, 'harden-mysql-file-integrity-monitoring');
  assert.equal(p.namespace, 'wordpress-mysql');
  assert.deepEqual(p.selector, {
    kind: 'workload',
    namespace: 'wordpress-mysql',
    matchLabels: { app: 'mysql' },
    matchExpressions: [],
  });
  assert.deepEqual(
    p.rules.map((r) => [r.target, r.readOnly, r.recursive, r.action, r.severity]),
    [
      ['/sbin/', true, true, 'Block', 1],
      ['/usr/bin/', true, true, 'Block', 1],
      ['/usr/lib/', true, true, 'Block', 1],
      ['/usr/sbin/', true, true, 'Block', 1],
      ['/bin/', true, true, 'Block', 1],
      ['/boot/', true, true, 'Block', 1],
    ],
  );
  // Go's empty process/network/capabilities sections are not "sections present".
  assert.deepEqual(p.unenforced, []);

  assert.deepEqual(
    await unary(c.policy, 'containerPolicy', { policy: seedEnvelope('MODIFIED', { action: 'Audit' }) }),
    {
      status: 'Modified',
    },
  );
  const modified = parsePolicyText(readFileSync(join(dir, KSP_FILE), 'utf8'), KSP_FILE);
  assert.deepEqual(
    modified.policies[0].rules.map((r) => r.action),
    Array(6).fill('Audit'),
  );
  // karmor vm policy add of an existing policy: KubeArmor answers Applied and replaces it.
  assert.deepEqual(await unary(c.policy, 'containerPolicy', { policy: seedEnvelope('ADDED') }), {
    status: 'Applied',
  });
  assert.equal(
    parsePolicyText(readFileSync(join(dir, KSP_FILE), 'utf8'), KSP_FILE).policies[0].rules[0].action,
    'Block',
  );

  assert.deepEqual(await unary(c.policy, 'containerPolicy', { policy: seedEnvelope('DELETED') }), {
    status: 'Deleted',
  });
  assert.deepEqual(readdirSync(dir), []);
  assert.deepEqual(await unary(c.policy, 'containerPolicy', { policy: seedEnvelope('DELETED') }), {
    status: 'NotExist',
  });
});

test('an invalid policy answers Invalid with the diagnostics and changes nothing', async (t) => {
  const { dir, c } = await setup(t);
  await unary(c.policy, 'containerPolicy', { policy: seedEnvelope('ADDED') });
  const before = readFileSync(join(dir, KSP_FILE), 'utf8');
  // A relative path (CRD pattern ^\/+.*[^\/]$) and a severity out of range.
  const bad = seedEnvelope('MODIFIED', { file: { matchPaths: [{ path: 'etc/passwd' }] }, severity: 11 });
  const { res, trailer } = await unaryWithTrailer(c.policy, 'containerPolicy', { policy: bad });
  assert.deepEqual(res, { status: 'Invalid' });
  const codes = diagnostics(trailer).map((d) => d.code);
  assert.ok(codes.includes('BW1005'), `bad path reported (${codes.join(',')})`);
  assert.ok(codes.includes('BW1009'), `bad severity reported (${codes.join(',')})`);
  assert.deepEqual(readdirSync(dir), [KSP_FILE], 'no temporary file left');
  assert.equal(readFileSync(join(dir, KSP_FILE), 'utf8'), before, 'the stored policy is untouched');

  for (const [payload, code] of [
    ['not json', 'BW7101'],
    ['{"type":"UPSERT","object":{"metadata":{"name":"x"},"spec":{}}}', 'BW7101'],
    ['{"type":"ADDED","object":{"metadata":{"name":"../../etc/x"},"spec":{}}}', 'BW7102'],
    ['{"type":"ADDED","object":{"metadata":{},"spec":{}}}', 'BW1013'],
  ] as const) {
    const r = await unaryWithTrailer(c.policy, 'containerPolicy', { policy: Buffer.from(payload) });
    assert.deepEqual(r.res, { status: 'Invalid' }, payload);
    assert.deepEqual(
      diagnostics(r.trailer).map((d) => d.code),
      [code],
      payload,
    );
  }
  assert.deepEqual(readdirSync(dir), [KSP_FILE]);
});

test('hostPolicy stores a KubeArmorHostPolicy; networkPolicy is not enabled', async (t) => {
  const { dir, c } = await setup(t);
  assert.deepEqual(await unary(c.policy, 'hostPolicy', { policy: hostEnvelope('ADDED') }), {
    status: 'Applied',
  });
  const file = 'grpc.hsp.hsp-etc-passwd.yaml';
  const stored = parsePolicyText(readFileSync(join(dir, file), 'utf8'), file);
  assert.equal(stored.ok, true);
  assert.equal(stored.policies[0].kind, 'KubeArmorHostPolicy');
  assert.deepEqual(
    stored.policies[0].rules.map((r) => [r.target, r.readOnly, r.action]),
    [['/etc/passwd', true, 'Block']],
  );
  assert.deepEqual(await unary(c.policy, 'hostPolicy', { policy: hostEnvelope('DELETED') }), {
    status: 'Deleted',
  });
  assert.deepEqual(await unary(c.policy, 'networkPolicy', { policy: hostEnvelope('ADDED') }), {
    status: 'NotEnabled',
  });
  assert.deepEqual(readdirSync(dir), []);
});

test('a policy the user wrote as a file is neither replaced nor deleted through PolicyService', async (t) => {
  const { dir, c } = await setup(t);
  const own = readFileSync(new URL('../../../deploy/policies/fim.yaml', import.meta.url), 'utf8');
  writeFileSync(join(dir, 'fim.yaml'), own);
  for (const type of ['ADDED', 'DELETED']) {
    const r = await unaryWithTrailer(c.policy, 'containerPolicy', { policy: seedEnvelope(type) });
    assert.deepEqual(r.res, { status: 'Invalid' }, type);
    assert.deepEqual(
      diagnostics(r.trailer).map((d) => d.code),
      ['BW7104'],
      type,
    );
  }
  assert.deepEqual(readdirSync(dir), ['fim.yaml']);
  assert.equal(readFileSync(join(dir, 'fim.yaml'), 'utf8'), own);
});

test('without a policy store PolicyService answers NotEnabled', async (t) => {
  const { c } = await setup(t, false);
  assert.deepEqual(await unary(c.policy, 'containerPolicy', { policy: seedEnvelope('ADDED') }), {
    status: 'NotEnabled',
  });
});

test('over loopback TCP, a non-root user cannot change policies', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to run a client as another user');
    return;
  }
  const { dir, api } = await setup(t);
  // A client process running as nobody. It speaks gRPC with node:http2 alone (the message is one
  // bytes field, encoded by hand), so it needs no access to the repository or its node_modules.
  const script = `
    const http2 = require('node:http2');
    const body = Buffer.from(process.argv[1], 'base64');
    const len = []; let n = body.length; do { let b = n & 0x7f; n >>>= 7; len.push(n ? b | 0x80 : b); } while (n);
    const msg = Buffer.concat([Buffer.from([0x0a, ...len]), body]);
    const frame = Buffer.alloc(5); frame.writeUInt32BE(msg.length, 1);
    const s = http2.connect('http://${api.grpc!.address}');
    const req = s.request({ ':method': 'POST', ':path': '/policy.PolicyService/containerPolicy',
      'content-type': 'application/grpc', te: 'trailers' });
    // The status comes in the trailers, or in the headers of a trailers-only response.
    const done = (h) => { if (h['grpc-status'] === undefined) return;
      console.log(JSON.stringify({ code: Number(h['grpc-status']), details: decodeURIComponent(h['grpc-message'] || '') }));
      s.close(); };
    req.on('response', done);
    req.on('trailers', done);
    req.on('data', () => {});
    req.end(Buffer.concat([frame, msg]));`;
  // Asynchronous: the server runs in this process and must keep answering.
  const call = (uid: number): Promise<{ code: number; details: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script, seedEnvelope('ADDED').toString('base64')], {
        uid,
        gid: uid,
        cwd: '/',
        timeout: 20_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => {
        if (status === 0) resolve(JSON.parse(stdout.trim()) as { code: number; details: string });
        else reject(new Error(`client as uid ${uid} failed (${status}): ${stderr}`));
      });
    });
  const nobody = await call(65534);
  assert.equal(nobody.code, grpc.status.PERMISSION_DENIED, JSON.stringify(nobody));
  assert.match(nobody.details, /^BW7103 .*uid 65534/);
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
  // The same request from root is applied: the refusal above was about the user, not the request.
  assert.equal((await call(0)).code, grpc.status.OK);
  assert.deepEqual(readdirSync(dir), [KSP_FILE]);
});

test('WatchMessages clients are told about applied policy changes', async (t) => {
  const { c, api } = await setup(t);
  const s = collect(c.log, 'WatchMessages', '');
  await waitFor(() => api.grpc!.hub.clientCount() === 1, 'messages client');
  await unary(c.policy, 'containerPolicy', { policy: seedEnvelope('ADDED') });
  await unary(c.policy, 'containerPolicy', { policy: seedEnvelope('DELETED') });
  await waitFor(() => s.messages.length === 2, 'two messages');
  assert.deepEqual(
    s.messages.map((m) => [m.Type, m.Level, m.Message]),
    [
      [
        'Message',
        'INFO',
        'container policy wordpress-mysql/harden-mysql-file-integrity-monitoring applied through PolicyService',
      ],
      [
        'Message',
        'INFO',
        'container policy wordpress-mysql/harden-mysql-file-integrity-monitoring deleted through PolicyService',
      ],
    ],
  );
  s.call.cancel();
});
