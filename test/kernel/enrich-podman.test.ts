// A real podman container (runc; see docs/kernel-facts in the shared docs for why the flags):
// its process is mapped from the cgroup to the container id, its pids inside the container's pid
// namespace come from NSpid, and name/image/labels arrive from `podman inspect` asynchronously:
// the first lookup is marked incomplete (workload), the next one is complete.
// The image is a tiny root filesystem made from this host's dash/touch/sleep and their libraries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createEnricher, procEventsHelperPath } from '../../src/enrich/index.js';
import { which } from '../../src/enrich/runtime-metadata.js';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';

const RUN_FLAGS = ['--runtime', 'runc', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768'];

function buildRootfs(dir: string): string {
  const root = join(dir, 'rootfs');
  for (const bin of ['/usr/bin/dash', '/usr/bin/touch', '/usr/bin/sleep']) {
    const libs = execFileSync('ldd', [bin], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
    for (const f of [bin, ...libs]) {
      mkdirSync(join(root, dirname(f)), { recursive: true });
      copyFileSync(f, join(root, f));
    }
  }
  symlinkSync('dash', join(root, 'usr/bin/sh'));
  if (!existsSync(join(root, 'bin'))) symlinkSync('usr/bin', join(root, 'bin'));
  for (const d of ['tmp', 'proc', 'sys', 'dev', 'etc']) mkdirSync(join(root, d), { recursive: true });
  const tar = join(dir, 'rootfs.tar');
  execFileSync('tar', ['-C', root, '-cf', tar, '.']);
  return tar;
}

test('podman container: container id, namespace pids, and podman inspect metadata', async (t) => {
  if (!needKernel(t, IS_ROOT, 'needs root')) return;
  if (
    !needKernel(
      t,
      !!which('podman') && !!which('runc'),
      'podman and runc not installed (scripts/system-packages.txt)',
    )
  )
    return;
  if (!needKernel(t, existsSync(procEventsHelperPath()), 'bulwark-proc-events not built')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bw-podman-'));
  const tag = `localhost/bulwark-enrich-test:${process.pid}`;
  const name = `bw-enrich-${process.pid}`;
  const e = createEnricher({ nodeName: 'node-test' });
  try {
    assert.equal(await e.start(), true);
    execFileSync('podman', ['import', '-q', buildRootfs(dir), tag], { stdio: 'ignore' });
    const out = execFileSync(
      'podman',
      [
        'run',
        ...RUN_FLAGS,
        '--name',
        name,
        '--label',
        'app=mysql',
        '--label',
        'tier=db',
        tag,
        '/bin/sh',
        '-c',
        'touch /tmp/x & echo $!; wait',
      ],
      { encoding: 'utf8' },
    );
    const nsPid = Number(out.trim());
    const id = execFileSync('podman', ['inspect', '--format', '{{.Id}}', name], { encoding: 'utf8' }).trim();
    assert.match(id, /^[0-9a-f]{64}$/);

    let hostPid: number | undefined;
    for (let i = 0; i < 300 && hostPid === undefined; i++) {
      for (const r of e.cache.records())
        if (r.exe === '/usr/bin/touch' && r.cgroup?.includes(id) && r.exitNs !== undefined) hostPid = r.pid;
      if (hostPid === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    if (!hostPid) {
      const seen = [...e.cache.records()].filter(
        (r) => r.comm === 'touch' || r.exe.endsWith('/touch') || r.cgroup?.includes(id),
      );
      t.diagnostic(
        JSON.stringify({ seen, stats: e.cache.stats() }, (_k, v: unknown) =>
          typeof v === 'bigint' ? String(v) : v,
        ),
      );
    }
    assert.ok(hostPid, 'the helper saw touch exec in the container');
    const event = {
      kind: 'change' as const,
      source: 'fanotify' as const,
      timeNs: String(BigInt(Date.now()) * 1_000_000n),
      op: 'create' as const,
      path: '/tmp/x',
      mask: 0x100,
      proc: { pid: hostPid, ppid: 0, uid: 0, exe: '', comm: '' },
    };
    const first = e.enrich(event);
    assert.deepEqual(first.container, { runtime: 'podman', id });
    assert.equal(first.fields.ContainerID, id);
    assert.deepEqual(first.missing, ['workload'], 'metadata is fetched in the background');
    assert.deepEqual(first.subject, { kind: 'workload', namespace: '', labels: {} });

    await e.metadataSettled(id);
    const r = e.enrich(event);
    assert.deepEqual(r.missing, []);
    assert.equal(r.complete, true);
    assert.equal(r.fields.ContainerName, name);
    assert.match(r.fields.ContainerImage ?? '', new RegExp(`^${tag}@sha256:[0-9a-f]{64}$`));
    assert.equal(r.fields.Labels, 'app=mysql,tier=db');
    assert.equal(r.fields.NamespaceName, 'container_namespace');
    assert.deepEqual(r.subject, {
      kind: 'workload',
      namespace: 'container_namespace',
      labels: { app: 'mysql', tier: 'db' },
    });
    assert.equal(r.fields.ProcessName, '/usr/bin/touch');
    assert.equal(r.fields.Source, '/usr/bin/touch /tmp/x');
    assert.equal(r.fields.ParentProcessName, '/usr/bin/dash');
    assert.deepEqual([r.fields.PID, r.fields.PPID], [nsPid, 1], 'pids inside the container');
    assert.notEqual(r.fields.HostPID, nsPid);
    assert.equal(r.fields.UserName, undefined);
  } finally {
    await e.close();
    try {
      execFileSync('podman', ['rm', '-f', '-t', '0', name], { stdio: 'ignore' });
    } catch {
      /* not created */
    }
    try {
      execFileSync('podman', ['rmi', '-f', tag], { stdio: 'ignore' });
    } catch {
      /* not imported */
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
