import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { nodeIdFrom, ttyName } from '../../../src/enrich/index.js';
import { parseStat, parseStatus } from '../../../src/enrich/proc-read.js';
import { parsePasswd } from '../../../src/enrich/users.js';
import { parseCrictl, parseInspect, podOwner } from '../../../src/enrich/runtime-metadata.js';

test('stat: comm with spaces and parentheses, tty_nr and start time', () => {
  const line =
    '4242 (my (odd) prog) S 1 4242 4242 34816 4242 4194304 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n';
  assert.deepEqual(parseStat(line), { comm: 'my (odd) prog', ttyNr: 34816, start: 123456 });
});

test('status: PPid, real Uid and NSpid (host pid first, namespace pid last)', () => {
  const text = 'Name:\ttouch\nPPid:\t1200\nUid:\t1000\t1000\t1000\t1000\nNSpid:\t1234\t7\n';
  assert.deepEqual(parseStatus(text), { ppid: 1200, uid: 1000, nspid: [1234, 7] });
});

test('tty_nr decoding: pts, virtual consoles, serial, none', () => {
  assert.equal(ttyName(34816), 'pts/0'); // major 136 minor 0
  assert.equal(ttyName((136 << 8) | 5), 'pts/5');
  assert.equal(ttyName((137 << 8) | 2), 'pts/258');
  assert.equal(ttyName((4 << 8) | 1), 'tty1');
  assert.equal(ttyName((4 << 8) | 64), 'ttyS0');
  assert.equal(ttyName(0), null);
  assert.equal(ttyName(-1), undefined);
});

test('passwd: first entry of a uid wins, comments and short lines skipped', () => {
  const m = parsePasswd(
    '# c\nroot:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/:/bin/sh\nbad\nmysql:x:999:999::/:/sbin/nologin\n',
  );
  assert.equal(m.get(0), 'root');
  assert.equal(m.get(999), 'mysql');
  assert.equal(m.size, 2);
});

test('node id is the SHA-256 of the machine id, empty without one', () => {
  assert.equal(nodeIdFrom('\n'), '');
  assert.equal(
    nodeIdFrom('0123456789abcdef0123456789abcdef\n'),
    nodeIdFrom('0123456789abcdef0123456789abcdef'),
  );
  assert.match(nodeIdFrom('0123456789abcdef0123456789abcdef'), /^[0-9a-f]{64}$/);
});

test('podman inspect (real output of podman 4.3.1 here): name, image with digest, labels', () => {
  const json = readFileSync(new URL('../../fixtures/enrich/podman-inspect.json', import.meta.url), 'utf8');
  const id = (JSON.parse(json) as { Id: string }[])[0].Id;
  const w = parseInspect(id, 'podman', 'podman', json);
  assert.deepEqual(w, {
    id,
    runtime: 'podman',
    name: 'bwtest2',
    namespace: 'container_namespace',
    labels: { app: 'mysql', tier: 'db' },
    image: 'localhost/bulwark-test:1@sha256:e4ce70bdf44a4b66cdb509ef8d0a7fbe4b4b462f9df2d069e277fd08687e9561',
    podName: '',
    source: 'podman',
  });
});

test('crictl inspect + inspectp: Kubernetes names from io.kubernetes labels, pod labels', () => {
  const id = 'a'.repeat(64);
  const container = JSON.stringify({
    status: {
      id,
      metadata: { attempt: 0, name: 'mysql' },
      image: { image: 'docker.io/library/mysql:5.6' },
      imageRef:
        'docker.io/library/mysql@sha256:20575ecebe6216036d25dab5903808211f1e9ba63dc7825ac20cb975e34cfcae',
      labels: {
        'io.kubernetes.container.name': 'mysql',
        'io.kubernetes.pod.name': 'mysql-74775b4bf4-65nqf',
        'io.kubernetes.pod.namespace': 'wordpress-mysql',
        'io.kubernetes.pod.uid': '2c1ae9b4-1a3e-4a43-8f6e-55d5b8c1b0a7',
      },
    },
    info: { sandboxID: 'b'.repeat(64) },
  });
  const pod = JSON.stringify({
    status: { labels: { app: 'mysql', 'pod-template-hash': '74775b4bf4', 'io.kubernetes.pod.name': 'x' } },
  });
  const w = parseCrictl(id, 'containerd', container, pod);
  assert.equal(w?.name, 'mysql');
  assert.equal(w?.podName, 'mysql-74775b4bf4-65nqf');
  assert.equal(w?.namespace, 'wordpress-mysql');
  assert.deepEqual(w?.labels, { app: 'mysql', 'pod-template-hash': '74775b4bf4' });
  assert.equal(w?.image, 'docker.io/library/mysql:5.6');
  // The seed alert's Owner: {Ref: Deployment, Name: mysql, Namespace: wordpress-mysql}.
  assert.deepEqual(w?.owner, { ref: 'Deployment', name: 'mysql', namespace: 'wordpress-mysql' });
});

test('pod owner from controller label conventions', () => {
  assert.deepEqual(
    podOwner('web-7d4b9c8f6-x2kq9', 'shop', { app: 'web', 'pod-template-hash': '7d4b9c8f6' }),
    {
      ref: 'Deployment',
      name: 'web',
      namespace: 'shop',
    },
  );
  assert.deepEqual(
    podOwner('db-2', 'shop', {
      'statefulset.kubernetes.io/pod-name': 'db-2',
      'controller-revision-hash': 'db-5f',
    }),
    { ref: 'StatefulSet', name: 'db', namespace: 'shop' },
  );
  assert.deepEqual(
    podOwner('agent-x7k2p', 'kube-system', {
      'pod-template-generation': '3',
      'controller-revision-hash': 'abc',
    }),
    { ref: 'DaemonSet', name: 'agent', namespace: 'kube-system' },
  );
  assert.deepEqual(podOwner('migrate-8tq2n', 'shop', { 'job-name': 'migrate' }), {
    ref: 'Job',
    name: 'migrate',
    namespace: 'shop',
  });
  assert.equal(podOwner('bare', 'shop', { app: 'x' }), undefined);
  assert.equal(podOwner('odd-name', 'shop', { 'pod-template-hash': 'zzz' }), undefined, 'name does not fit');
});
