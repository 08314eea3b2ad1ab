import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFilter, parseSince, type AlertFilterSpec } from '../../../src/alert/filter.js';
import type { Alert } from '../../../src/alert/types.js';
import { isBulwarkError } from '../../../src/common/errors.js';
import { createSinks } from '../../../src/sinks/fanout.js';
import { formatJson } from '../../../src/alert/format.js';
import {
  AlertStore,
  openStore,
  packRows,
  readStoreSummary,
  storePath,
  toRow,
  unpackRows,
} from '../../../src/sinks/store.js';
import { numberedAlert } from '../../helpers/alerts.js';

function tmp(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bw-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A varied set: 3 namespaces, File/Process, several labels, one log per 10. */
function corpus(n: number, t0Ms: number): Alert[] {
  return Array.from({ length: n }, (_, i) =>
    numberedAlert(
      i,
      {
        NamespaceName: ['wordpress-mysql', 'Default', 'kube-system'][i % 3],
        Operation: i % 4 === 0 ? 'Process' : 'File',
        Labels: i % 2 ? 'app=mysql,tier=db' : 'app=nginx',
        Source: i % 5 === 0 ? `/bin/sh -c cat /etc/file-${i}` : `/usr/bin/touch file-${i}`,
        Type: i % 10 === 9 ? 'ContainerLog' : 'MatchedPolicy',
      },
      t0Ms,
    ),
  );
}

function query(store: AlertStore, spec: AlertFilterSpec, sinceUs?: number): number[] {
  const keep = compileFilter(spec);
  const out: number[] = [];
  for (const { alert } of store.iterate({ sinceUs })) {
    if (keep(alert)) out.push(Number(alert.Resource?.replace('/sbin/file-', '')));
  }
  return out;
}

test('store: WAL, schema, batched inserts round-trip the alert JSON exactly', (t) => {
  const dir = tmp(t);
  const store = openStore(dir);
  assert.equal(store.path, storePath(dir));
  assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  const alerts = corpus(50, Date.now());
  store.insert(alerts.slice(0, 20));
  store.insert(alerts.slice(20));
  const back = [...store.iterate({})].map((r) => r.alert);
  assert.equal(back.length, 50);
  assert.deepEqual(back[7], JSON.parse(JSON.stringify({ ...alerts[7] })));
  const idx = store.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts'")
    .all();
  assert.ok(idx.length >= 3);
  const plan = store.db.prepare('EXPLAIN QUERY PLAN SELECT id FROM alerts WHERE time_us >= ?').all(0) as {
    detail: string;
  }[];
  assert.match(plan.map((p) => p.detail).join(' '), /USING (COVERING )?INDEX alerts_time/);
  const sum = store.summary();
  assert.equal(sum.rows, 50);
  assert.equal(sum.alerts, 45);
  assert.equal(sum.logs, 5);
  assert.equal(sum.inserted, 50);
  store.close();
});

test('store queries with each karmor filter', (t) => {
  const dir = tmp(t);
  const store = openStore(dir);
  const t0 = Date.now() - 60_000;
  const alerts = corpus(60, t0);
  store.insert(alerts);
  const ids = (pred: (a: Alert, i: number) => boolean): number[] =>
    alerts.flatMap((a, i) => (pred(a, i) ? [i] : []));
  const isAlert = (a: Alert): boolean => a.Type !== 'ContainerLog';

  // namespace: unanchored, case-insensitive.
  assert.deepEqual(
    query(store, { namespace: 'default' }),
    ids((a) => isAlert(a) && a.NamespaceName === 'Default'),
  );
  assert.deepEqual(
    query(store, { namespace: 'mysql$' }),
    ids((a) => isAlert(a) && a.NamespaceName === 'wordpress-mysql'),
  );
  // operation: case-insensitive.
  assert.deepEqual(
    query(store, { operation: 'process' }),
    ids((a) => isAlert(a) && a.Operation === 'Process'),
  );
  // resource: case-sensitive regex.
  assert.deepEqual(
    query(store, { resource: '^/sbin/file-1\\d$' }),
    ids((a, i) => isAlert(a) && i >= 10 && i < 20),
  );
  assert.deepEqual(query(store, { resource: '^/SBIN' }), []);
  // source: case-sensitive regex.
  assert.deepEqual(
    query(store, { source: '^/bin/sh' }),
    ids((a, i) => isAlert(a) && i % 5 === 0),
  );
  // labels: exact k=v against any of the alert's labels; any of several given.
  assert.deepEqual(
    query(store, { labels: ['tier=db'] }),
    ids((a, i) => isAlert(a) && i % 2 === 1),
  );
  assert.deepEqual(query(store, { labels: ['app=mysq'] }), []);
  assert.deepEqual(query(store, { labels: ['app=nginx,tier=db'] }), ids(isAlert));
  // type: alerts, logs, all.
  assert.deepEqual(
    query(store, { type: 'log' }),
    ids((a) => !isAlert(a)),
  );
  assert.equal(query(store, { type: 'all' }).length, 60);
  // since: the index narrows by time.
  assert.deepEqual(
    query(store, { type: 'all' }, (t0 + 40) * 1000),
    ids((_, i) => i >= 40),
  );
  assert.deepEqual(
    query(store, { type: 'all' }, parseSince(new Date(t0 + 55).toISOString())),
    ids((_, i) => i >= 55),
  );
  // Combined filters AND together.
  assert.deepEqual(
    query(store, { namespace: 'kube', operation: 'file', labels: ['tier=db'] }),
    ids((a, i) => isAlert(a) && a.NamespaceName === 'kube-system' && a.Operation === 'File' && i % 2 === 1),
  );
  // after(): what --follow reads.
  const last = store.lastId();
  store.insert([numberedAlert(1000)]);
  assert.deepEqual(
    store.after(last).map((r) => r.alert.Resource),
    ['/sbin/file-1000'],
  );
  store.close();
});

test('bad filters and times are BW6xxx errors naming the flag', () => {
  const codeOf = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      if (isBulwarkError(e)) return `${e.code} ${e.message}`;
      throw e;
    }
    return 'no error';
  };
  assert.match(
    codeOf(() => compileFilter({ resource: '(' })),
    /^BW6004 --resource/,
  );
  assert.match(
    codeOf(() => compileFilter({ labels: ['app'] })),
    /^BW6005 --labels "app"/,
  );
  assert.match(
    codeOf(() => parseSince('yesterday')),
    /^BW6006 --since/,
  );
  assert.equal(parseSince('15m', 1_000_000), (1_000_000 - 900_000) * 1000);
  assert.equal(parseSince('1696316210'), 1696316210_000_000);
  assert.equal(parseSince('2023-10-03T06:56:50.829165Z'), 1696316210829165);
});

test('retention: max rows and max age prune the oldest, counted in the store', (t) => {
  const dir = tmp(t);
  let now = Date.UTC(2026, 0, 10);
  const store = openStore(dir, { maxRows: 100, maxAgeSec: 3600, now: () => now });
  const old = Array.from({ length: 30 }, (_, i) => numberedAlert(i, {}, now - 2 * 3600_000));
  const fresh = Array.from({ length: 150 }, (_, i) => numberedAlert(100 + i, {}, now - 1000));
  assert.equal(store.insert(old), 30, 'too old: pruned at once');
  assert.equal(store.insert(fresh), 50, 'over 100 rows: the oldest 50 go');
  const s = store.summary();
  assert.equal(s.rows, 100);
  assert.equal(s.prunedByAge, 30);
  assert.equal(s.prunedByRows, 50);
  assert.equal([...store.iterate({})][0].alert.Resource, '/sbin/file-150');
  now += 2 * 3600_000;
  assert.equal(store.prune(), 100);
  assert.equal(store.summary().rows, 0);
  // Ids keep growing after everything was pruned, so a follower never misses a row.
  const before = store.summary().lastId;
  store.insert([numberedAlert(1, {}, now)]);
  assert.ok(store.lastId() > 150 && before === 0);
  store.close();
  // The counters persist: a reader sees them.
  const r = openStore(dir, { readonly: true });
  assert.equal(r.summary().prunedByAge, 130);
  r.close();
});

test('a reader sees rows a writer commits while both are open (WAL)', async (t) => {
  const dir = tmp(t);
  const sinks = createSinks({ store: { stateDir: dir } });
  sinks.write(numberedAlert(0));
  await sinks.flush();
  const reader = openStore(dir, { readonly: true });
  const first = reader.lastId();
  for (let i = 1; i <= 5; i++) sinks.write(numberedAlert(i));
  await sinks.flush();
  assert.equal(reader.after(first).length, 5);
  assert.equal(sinks.stats().sinks[0].delivered, 6);
  reader.close();
  await sinks.close();
});

test('opening a missing store read-only, or a newer schema, is a clear error', (t) => {
  const dir = tmp(t);
  assert.throws(
    () => openStore(join(dir, 'nope'), { readonly: true }),
    (e: unknown) => {
      return isBulwarkError(e) && e.code === 'BW6002' && e.message.includes('--state-dir');
    },
  );
  const s = openStore(dir);
  s.db.pragma('user_version = 99');
  s.close();
  assert.throws(
    () => openStore(dir),
    (e: unknown) => isBulwarkError(e) && e.code === 'BW6003',
  );
});

test('a store that cannot be opened (worker side) fails softly: reported, queued alerts counted at close', async (t) => {
  // Cleanup closes the sinks first: a sink still retrying would recreate directories.
  const dir = mkdtempSync(join(tmpdir(), 'bw-store-'));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'not-a-dir'), 'x');
  const events: string[] = [];
  const sinks = createSinks({
    store: { path: join(dir, 'not-a-dir', 'alerts.db'), queue: { backoffMinMs: 10, backoffMaxMs: 20 } },
    onEvent: (e) => events.push(e.kind === 'failed' ? `failed:${e.code}` : e.kind),
  });
  t.after(async () => {
    await sinks.close(50);
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 5; i++) sinks.write(numberedAlert(i));
  const end = Date.now() + 20_000;
  while (sinks.stats().sinks[0].failures < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const s = sinks.stats().sinks[0];
  assert.equal(s.delivered, 0);
  assert.equal(s.queued, 5, 'nothing lost while the store is down');
  assert.ok(s.failures >= 2, 'reopened with backoff');
  assert.match(s.lastError ?? '', /BW6001|cannot open alert store/);
  assert.ok(events.some((e) => e.startsWith('failed:')));
  await sinks.close(50);
  assert.equal(sinks.stats().sinks[0].droppedBy.closed, 5);
});

test('readStoreSummary: null without a store, the counts with one (what bulwark status reads)', (t) => {
  const dir = tmp(t);
  assert.equal(readStoreSummary(dir), null);
  const s = openStore(dir);
  s.insert([numberedAlert(1), numberedAlert(2, { Type: 'HostLog' })]);
  s.close();
  const sum = readStoreSummary(dir);
  assert.ok(sum);
  assert.equal(sum.path, storePath(dir));
  assert.deepEqual([sum.rows, sum.alerts, sum.logs, sum.inserted], [2, 1, 1, 2]);
  assert.ok(sum.lastTimeUs !== null && sum.firstTimeUs !== null && sum.lastTimeUs > sum.firstTimeUs);
});

test('store batches packed for the worker unpack to the same rows, odd characters included', () => {
  const alerts = corpus(50, Date.UTC(2026, 10, 28));
  // Names a file system allows (newline, separators, non-ASCII), and a NUL no column may hold.
  alerts[3] = { ...alerts[3], Resource: '/etc/new\nline \u001f\u00e9\u{1F600}' };
  alerts[4] = { ...alerts[4], Labels: 'a=b\u0000c' };
  const rows = unpackRows(packRows(alerts, formatJson));
  const want = alerts.map(toRow);
  want[4][9] = 'a=b\ufffdc';
  assert.deepEqual(rows, want);
  assert.deepEqual(unpackRows(packRows([], formatJson)), []);
  const bad = packRows(alerts.slice(0, 2), formatJson);
  assert.throws(() => unpackRows({ ...bad, count: 3 }), /malformed store batch/);
});

/** Nice values of this process's threads (field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

test('the store worker thread runs at a lower CPU priority than the event loop', async (t) => {
  const dir = tmp(t);
  const before = threadNices().filter((n) => n === 5).length;
  const sinks = createSinks({ store: { stateDir: dir } });
  t.after(() => sinks.close());
  await sinks.open();
  sinks.write(numberedAlert(1));
  assert.equal(await sinks.flush(10_000), true);
  assert.equal(sinks.stats().sinks[0].delivered, 1);
  assert.equal(threadNices().filter((n) => n === 5).length, before + 1, 'one more thread at nice 5');
  assert.equal(threadNices()[0], 0, 'the main thread keeps its priority');
});
