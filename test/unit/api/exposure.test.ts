// Who can reach the endpoints: loopback and unix sockets by default; other addresses only with TLS;
// policy changes over the network only with client certificates. Refusals are coded errors raised
// before anything listens. TLS and mTLS are exercised with real certificates made by openssl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { isBulwarkError } from '../../../src/common/errors.js';
import { DirectoryPolicyStore, planApi, startApi } from '../../../src/api/index.js';
import { parseListenAddress } from '../../../src/api/listen.js';
import { TestAlertSource } from '../../helpers/alert-source.js';
import { clients, unary } from '../../helpers/grpc-client.js';
import { makeCerts as makeTestCerts, type TestCerts } from '../../helpers/certs.js';

function code(e: unknown): string {
  return isBulwarkError(e) ? e.code : String(e);
}

const store = new DirectoryPolicyStore('/nonexistent');
const certDirs: string[] = [];
process.on('exit', () => certDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function makeCerts(): TestCerts {
  const c = makeTestCerts();
  certDirs.push(c.dir);
  return c;
}

test('listen addresses: host:port, [v6]:port, :port, unix:/path; loopback detection', () => {
  const cases: [string, string, boolean | null][] = [
    ['127.0.0.1:32767', '127.0.0.1', true],
    ['127.1.2.3:1', '127.1.2.3', true],
    ['localhost:32767', 'localhost', true],
    ['[::1]:32767', '::1', true],
    ['0.0.0.0:32767', '0.0.0.0', false],
    [':32767', '0.0.0.0', false],
    ['[::]:32767', '::', false],
    ['10.0.0.5:32767', '10.0.0.5', false],
    ['node-1.example:32767', 'node-1.example', false],
    ['unix:/run/bulwark/api.sock', '/run/bulwark/api.sock', null],
    ['unix:///run/bulwark/api.sock', '/run/bulwark/api.sock', null],
  ];
  for (const [text, host, loopback] of cases) {
    const a = parseListenAddress(text, 'gRPC');
    if (a.kind === 'unix') {
      assert.equal(loopback, null, text);
      assert.equal(a.path, host, text);
    } else {
      assert.equal(a.host, host, text);
      assert.equal(a.loopback, loopback, text);
    }
  }
  for (const bad of ['32767', '127.0.0.1', '127.0.0.1:99999', 'unix:relative.sock', '[zz]:1', 'a:b']) {
    assert.throws(
      () => parseListenAddress(bad, 'gRPC'),
      (e) => code(e) === 'BW7001',
      bad,
    );
  }
});

test('a non-loopback address without TLS is refused before anything listens', async () => {
  const source = new TestAlertSource();
  for (const options of [
    { grpc: { address: '0.0.0.0:0', healthAddress: false as const }, http: false as const },
    { grpc: { address: '127.0.0.1:0', healthAddress: '0.0.0.0:0' }, http: false as const },
    { grpc: false as const, http: { address: ':0' } },
  ]) {
    await assert.rejects(startApi(options, { alerts: source }), (e) => {
      assert.equal(code(e), 'BW7002');
      assert.match((e as Error).message, /refusing to listen on .* without TLS/);
      return true;
    });
  }
  assert.equal(source.subscribers, 0);
});

test('policy changes on a network address need mTLS; without PolicyService TLS suffices', () => {
  const certs = makeCerts();
  const tls = { cert: certs.cert, key: certs.key };
  assert.throws(
    () => planApi({ grpc: { address: '0.0.0.0:32767', tls }, http: false }, { policies: store }),
    (e) => code(e) === 'BW7003',
  );
  // The same without a store, or with the service switched off, or with a client CA, is accepted.
  planApi({ grpc: { address: '0.0.0.0:32767', tls }, http: false }, {});
  planApi(
    { grpc: { address: '0.0.0.0:32767', tls, policyService: false }, http: false },
    { policies: store },
  );
  planApi(
    { grpc: { address: '0.0.0.0:32767', tls: { ...tls, clientCa: certs.ca } }, http: false },
    { policies: store },
  );
  // Unreadable or wrong TLS files are named.
  assert.throws(
    () =>
      planApi(
        { grpc: { address: '0.0.0.0:1', tls: { cert: '/nonexistent.crt', key: certs.key } }, http: false },
        {},
      ),
    (e) => code(e) === 'BW7004' && /\/nonexistent\.crt/.test((e as Error).message),
  );
  assert.throws(
    () =>
      planApi({ grpc: { address: '0.0.0.0:1', tls: { cert: certs.key, key: certs.key } }, http: false }, {}),
    (e) => code(e) === 'BW7004' && /no PEM certificate/.test((e as Error).message),
  );
});

test('mTLS on a network address: a client with a certificate changes policies, others cannot connect', async (t) => {
  const certs = makeCerts();
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-policies-'));
  const api = await startApi(
    {
      grpc: {
        address: '0.0.0.0:0',
        healthAddress: false,
        tls: { cert: certs.cert, key: certs.key, clientCa: certs.ca },
      },
      http: false,
    },
    { alerts: new TestAlertSource(), policies: new DirectoryPolicyStore(dir) },
  );
  t.after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const target = `127.0.0.1:${api.grpc!.port}`;
  const ca = readFileSync(certs.ca);
  const good = clients(
    target,
    grpc.credentials.createSsl(ca, readFileSync(certs.clientKey), readFileSync(certs.clientCert)),
  );
  const noCert = clients(target, grpc.credentials.createSsl(ca));
  const plain = clients(target);
  t.after(() => [good, noCert, plain].forEach((c) => c.close()));
  const envelope = Buffer.from(
    JSON.stringify({
      type: 'ADDED',
      object: {
        metadata: { name: 'block-etc', namespace: 'default' },
        spec: {
          selector: { matchLabels: { app: 'x' } },
          file: { matchDirectories: [{ dir: '/etc/', readOnly: true }] },
          action: 'Block',
        },
      },
    }),
  );
  assert.deepEqual(await unary(good.policy, 'containerPolicy', { policy: envelope }), { status: 'Applied' });
  assert.deepEqual(readdirSync(dir), ['grpc.ksp.default.block-etc.yaml']);
  const deadline = (): grpc.CallOptions => ({ deadline: Date.now() + 3000 });
  for (const c of [noCert, plain]) {
    await assert.rejects(
      new Promise((resolve, reject) =>
        (
          c.log.HealthCheck as (
            r: unknown,
            o: grpc.CallOptions,
            cb: (e: Error | null, r: unknown) => void,
          ) => void
        )({ nonce: 1 }, deadline(), (e, r) => (e ? reject(e) : resolve(r))),
      ),
      (e: grpc.ServiceError) =>
        e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED,
    );
  }
  assert.deepEqual(readdirSync(dir), ['grpc.ksp.default.block-etc.yaml']);
});

test('unix sockets: created with mode 0600, serve every service, removed on close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-sock-'));
  const policies = mkdtempSync(join(tmpdir(), 'bulwark-policies-'));
  try {
    const api = await startApi(
      {
        grpc: { address: `unix:${dir}/grpc.sock`, healthAddress: `unix:${dir}/health.sock` },
        http: { address: `unix:${dir}/http.sock` },
      },
      { alerts: new TestAlertSource(), policies: new DirectoryPolicyStore(policies) },
    );
    for (const s of ['grpc.sock', 'health.sock', 'http.sock']) {
      const st = statSync(join(dir, s));
      assert.ok(st.isSocket(), s);
      assert.equal(st.mode & 0o777, 0o600, s);
    }
    const c = clients(`unix:${dir}/grpc.sock`);
    assert.deepEqual(await unary(c.log, 'HealthCheck', { nonce: 7 }), { Retval: 7 });
    c.close();
    await api.close();
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(policies, { recursive: true, force: true });
  }
});

test('a port already in use is a coded error', async () => {
  const source = new TestAlertSource();
  const first = await startApi(
    { grpc: { address: '127.0.0.1:0', healthAddress: false }, http: false },
    { alerts: source },
  );
  try {
    await assert.rejects(
      startApi(
        {
          grpc: { address: '127.0.0.1:0', healthAddress: false },
          http: { address: `127.0.0.1:${first.grpc!.port}` },
        },
        { alerts: source },
      ),
      (e) => code(e) === 'BW7005',
    );
  } finally {
    await first.close();
  }
});

test('HTTPS on a network address: metrics over TLS, client certificates when a CA is set', async (t) => {
  const certs = makeCerts();
  const api = await startApi(
    {
      grpc: false,
      http: { address: '0.0.0.0:0', tls: { cert: certs.cert, key: certs.key, clientCa: certs.ca } },
    },
    { alerts: new TestAlertSource() },
  );
  t.after(() => api.close());
  assert.match(api.http!.url, /^https:\/\/0\.0\.0\.0:\d+$/);
  const get = (withCert: boolean): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: api.http!.port,
          path: '/healthz',
          ca: readFileSync(certs.ca),
          ...(withCert ? { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } : {}),
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
  assert.equal(await get(true), 200);
  await assert.rejects(get(false));
});
