// The cache's bookkeeping, fed with helper records (the format native/proc-events prints) and an
// empty /proc so nothing leaks in from the machine. The real helper is tested in test/kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BULWARK_CGROUP_PREFIX, ProcessCache, createEnricher } from '../../../src/enrich/index.js';
import type { SensorEvent } from '../../../src/sensor/types.js';

const empty = mkdtempSync(join(tmpdir(), 'bw-proc-'));
test.after(() => rmSync(empty, { recursive: true, force: true }));

const T0 = 1_700_000_000_000_000_000n;
const ts = (us: number): string => String(T0 + BigInt(us) * 1000n);

function shExec(pid: number, ppid: number, us: number) {
  return {
    ev: 'exec' as const,
    pid,
    ppid,
    ts: ts(us),
    start: 500,
    uid: 0,
    nspid: [pid],
    ttyNr: 0,
    exe: '/usr/bin/dash',
    cmdline: ['sh', '-c', 'cd /sbin && touch file'],
    cwd: '/root',
    cgroup: '/',
    comm: 'sh',
  };
}

test('fork inherits the parent, exec replaces the image, lookups by time pick the right one', () => {
  const c = new ProcessCache({ helper: false, procRoot: empty });
  c.ingest(shExec(100, 1, 0));
  c.ingest({ ev: 'fork', pid: 101, ppid: 100, ts: ts(10) });
  c.ingest({ ...shExec(101, 100, 20), exe: '/usr/bin/touch', cmdline: ['touch', 'file'], comm: 'touch' });
  c.ingest({ ev: 'exit', pid: 101, ts: ts(300) });
  const before = c.lookup(101, T0 + 15_000n);
  assert.equal(before?.exe, '/usr/bin/dash', 'between fork and exec the child runs sh');
  assert.deepEqual(before?.argv, ['sh', '-c', 'cd /sbin && touch file']);
  const after = c.lookup(101, T0 + 100_000n);
  assert.equal(after?.exe, '/usr/bin/touch');
  assert.deepEqual(after?.argv, ['touch', 'file']);
  assert.equal(after?.ppid, 100);
  assert.equal(after?.exitNs, T0 + 300_000n);
  assert.equal(c.parentOf(after!, T0 + 100_000n)?.exe, '/usr/bin/dash');
  // An audit time a tick behind the exec, with audit's exe: the generation running that exe.
  assert.equal(c.lookup(101, T0 + 15_000n, '/usr/bin/touch')?.exe, '/usr/bin/touch');
  const s = c.stats();
  assert.deepEqual([s.hits, s.misses, s.execs, s.forks, s.exits, s.lateSnapshots], [4, 0, 2, 1, 1, 0]);
});

test('a late connector snapshot keeps what exec does not change, and is counted', () => {
  const c = new ProcessCache({ helper: false, procRoot: empty });
  c.ingest(shExec(110, 1, 0));
  c.ingest({ ev: 'fork', pid: 111, ppid: 110, ts: ts(10) });
  // The process was gone before /proc could be read: the zombie's stat gave only comm.
  c.ingest({ ev: 'exec', pid: 111, ts: ts(20), comm: 'touch' });
  const r = c.lookup(111, T0 + 100_000n);
  assert.equal(r?.exe, '', 'the exe is lost, not guessed');
  assert.equal(r?.comm, 'touch');
  assert.deepEqual(r?.argv, []);
  assert.deepEqual([r?.ppid, r?.uid, r?.cwd, r?.cgroup], [110, 0, '/root', '/']);
  assert.equal(c.stats().lateSnapshots, 1);
  // A complete record missing a field (BPF mode, cgroup not resolvable) does not inherit it.
  c.ingest({ ev: 'fork', pid: 112, ppid: 110, ts: ts(30), nspid: [112] });
  c.ingest({ ...shExec(112, 110, 40), cgroup: undefined });
  assert.equal(c.lookup(112)?.cgroup, undefined);
});

test('a reused pid starts a new history; the LRU evicts the least recently used pid', () => {
  const c = new ProcessCache({ helper: false, procRoot: empty, maxEntries: 2 });
  c.ingest(shExec(200, 1, 0));
  c.ingest({ ev: 'exit', pid: 200, ts: ts(5) });
  c.ingest({ ev: 'fork', pid: 200, ppid: 1, ts: ts(50) }); // pid 200 reused
  assert.equal(c.lookup(200, T0 + 1000n)?.origin, 'fork', 'old process forgotten after reuse');
  c.ingest(shExec(201, 1, 60));
  c.lookup(200); // 200 is now the most recently used
  c.ingest(shExec(202, 1, 70)); // evicts 201
  assert.equal(c.stats().evictions, 1);
  assert.equal(c.lookup(201), undefined, 'evicted and not in /proc');
  assert.equal(c.stats().misses, 1);
  assert.equal(c.lookup(202)?.exe, '/usr/bin/dash');
});

test('memory is bounded: huge command lines evict least recently used pids', () => {
  const c = new ProcessCache({ helper: false, procRoot: empty, maxBytes: 1 << 20 });
  const big = 'x'.repeat(32 * 1024); // 64 KiB as UTF-16
  for (let pid = 1000; pid < 1100; pid++) c.ingest({ ...shExec(pid, 1, pid), cmdline: ['sh', big] });
  const s = c.stats();
  assert.ok(s.bytes <= 1 << 20, `bytes ${s.bytes}`);
  assert.ok(s.evictions >= 84, `evictions ${s.evictions}`);
  assert.ok(c.has(1099), 'the newest pid stays');
  assert.equal(c.has(1000), false, 'the oldest went first');
});

test('enricher: host process fields, KubeArmor renderings, complete attribution', () => {
  const passwd = join(empty, 'passwd');
  writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\n');
  const mid = join(empty, 'machine-id');
  writeFileSync(mid, '0123456789abcdef0123456789abcdef\n');
  const e = createEnricher({
    processCache: { helper: false, procRoot: empty },
    runtimeMetadata: false,
    clusterName: 'c1',
    nodeName: 'node-1',
    passwdFile: passwd,
    machineIdFile: mid,
  });
  e.cache.ingest(shExec(300, 1, 0));
  e.cache.ingest({ ...shExec(1, 0, -10), exe: '/usr/lib/systemd/systemd', cmdline: ['/sbin/init'] });
  e.cache.ingest({ ev: 'fork', pid: 301, ppid: 300, ts: ts(10) });
  e.cache.ingest({
    ...shExec(301, 300, 20),
    exe: '/usr/bin/touch',
    cmdline: ['touch', 'file'],
    cwd: '/usr/sbin',
    ttyNr: 34816,
    comm: 'touch',
  });
  const ev: SensorEvent = {
    kind: 'change',
    source: 'fanotify',
    timeNs: ts(200),
    op: 'create',
    path: '/usr/sbin/file',
    mask: 0x100,
    proc: { pid: 301, ppid: 0, uid: 0, exe: '', comm: '' },
  };
  const r = e.enrich(ev);
  assert.deepEqual(r.missing, []);
  assert.equal(r.complete, true);
  assert.deepEqual(r.subject, { kind: 'host', hostname: 'node-1' });
  assert.equal(r.container, null);
  assert.equal(r.workloadKey, 'host');
  assert.deepEqual(r.fields, {
    ClusterName: 'c1',
    HostName: 'node-1',
    NodeID: e.host.nodeId,
    HostPID: 301,
    HostPPID: 300,
    PID: 301,
    PPID: 300,
    UID: 0,
    ProcessName: '/usr/bin/touch',
    ParentProcessName: '/usr/bin/dash',
    Source: '/usr/bin/touch file',
    Cwd: '/usr/sbin/',
    TTY: 'pts0',
    UserName: 'root',
  });
  assert.equal(r.process?.tty, 'pts/0');
  assert.equal(r.process?.cmdline, 'touch file');
  const gap = e.enrich({ kind: 'gap', source: 'fanotify', timeNs: ts(300), cause: 'overflow' });
  assert.equal(gap.complete, false);
  assert.equal(e.stats().events, 1, 'gaps are not attribution events');
  assert.equal(e.stats().completeRatio, 1);
});

test('enricher: a `bulwark run` workload gets its registered name, namespace and labels', () => {
  const id = 'c'.repeat(64);
  const e = createEnricher({
    processCache: { helper: false, procRoot: empty },
    runtimeMetadata: false,
    nodeName: 'n',
  });
  e.registry.register({
    id,
    name: 'mysql',
    namespace: 'wordpress-mysql',
    labels: { app: 'mysql', tier: 'db' },
  });
  e.cache.ingest({
    ...shExec(400, 399, 0),
    nspid: [400, 1],
    pidns: 11,
    cgroup: `${BULWARK_CGROUP_PREFIX}${id}`,
  });
  e.cache.ingest({ ...shExec(399, 1, -5), pidns: 10, nspid: [399] });
  e.cache.ingest({ ev: 'fork', pid: 401, ppid: 400, ts: ts(10) });
  e.cache.ingest({
    ...shExec(401, 400, 20),
    nspid: [401, 2],
    pidns: 11,
    exe: '/usr/bin/touch',
    cmdline: ['touch', 'file'],
    cgroup: `${BULWARK_CGROUP_PREFIX}${id}/`,
  });
  const r = e.enrich({
    kind: 'denial',
    source: 'landlock',
    timeNs: ts(100),
    op: 'create',
    path: '/usr/sbin/file',
    errno: 13,
    proc: { pid: 401, ppid: 400, uid: 0, exe: '/usr/bin/touch', comm: 'touch', cmdline: 'touch file' },
  });
  assert.deepEqual(r.subject, {
    kind: 'workload',
    namespace: 'wordpress-mysql',
    labels: { app: 'mysql', tier: 'db' },
  });
  assert.equal(r.workloadKey, id);
  assert.equal(r.fields.ContainerID, id);
  assert.equal(r.fields.ContainerName, 'mysql');
  assert.equal(r.fields.NamespaceName, 'wordpress-mysql');
  assert.equal(r.fields.Labels, 'app=mysql,tier=db');
  assert.deepEqual([r.fields.HostPID, r.fields.HostPPID, r.fields.PID, r.fields.PPID], [401, 400, 2, 1]);
  assert.equal(r.fields.UserName, undefined, 'user names are for host alerts');
  assert.equal(r.complete, true, r.missing.join(','));
  // The workload's first process: its parent is outside the namespace, so PPID is 0.
  const init = e.enrich({
    ...r.event,
    proc: { pid: 400, ppid: 399, uid: 0, exe: '', comm: '' },
  } as SensorEvent);
  assert.deepEqual([init.fields.PID, init.fields.PPID, init.fields.HostPPID], [1, 0, 399]);
  // Not registered (yet): a workload subject without labels, marked incomplete.
  e.registry.unregister(id);
  const lost = e.enrich(r.event);
  assert.deepEqual(lost.subject, { kind: 'workload', namespace: '', labels: {} });
  assert.deepEqual(lost.missing, ['workload']);
  assert.equal(e.stats().completeRatio, 2 / 3);
});
