import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Alert } from '../../src/alert/types.js';
import { openStore } from '../../src/sinks/store.js';
import { numberedAlert } from '../helpers/alerts.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const run = promisify(execFile);

async function logs(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [CLI, 'logs', ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** 40 alerts an hour ago (1 ms apart): namespaces a/b, File/Process, labels, one log per 8. */
function fill(dir: string): Alert[] {
  const alerts = Array.from({ length: 40 }, (_, i) =>
    numberedAlert(i, {
      NamespaceName: i % 2 ? 'wordpress-mysql' : 'Default',
      Operation: i % 5 === 0 ? 'Process' : 'File',
      Labels: i % 3 === 0 ? 'app=mysql' : 'app=nginx,tier=web',
      Type: i % 8 === 7 ? 'ContainerLog' : 'MatchedPolicy',
    }),
  );
  const store = openStore(dir);
  store.insert(alerts);
  store.close();
  return alerts;
}

function resources(jsonLines: string): string[] {
  return jsonLines
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as Alert).Resource ?? '');
}

function expected(alerts: Alert[], pred: (a: Alert, i: number) => boolean): string[] {
  return alerts.flatMap((a, i) => (a.Type !== 'ContainerLog' && pred(a, i) ? [a.Resource ?? ''] : []));
}

test('logs: text blocks in karmor format, oldest first, alerts only by default', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const alerts = fill(dir);
  const r = await logs(['--state-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  const blocks = r.stdout.split('\n\n').filter(Boolean);
  assert.equal(blocks.length, expected(alerts, () => true).length);
  assert.match(
    blocks[0],
    /^== Alert \/ \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} ==\nClusterName: aditya\nHostName: aditya\n/,
  );
  assert.match(blocks[0], /\nResource: \/sbin\/file-0\n/);
  assert.match(blocks[0], /\nUID: 0\n/);
});

test('logs --json / -o json / -o pretty-json', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const alerts = fill(dir);
  const j = await logs(['--state-dir', dir, '--json']);
  assert.equal(j.code, 0, j.stderr);
  const lines = j.stdout.trim().split('\n');
  for (const l of lines) {
    const o = JSON.parse(l) as Record<string, unknown>;
    assert.equal(o.PPID, 160);
    assert.equal(o.UID, 0, 'UID present although 0');
    for (const k of Object.keys(o)) assert.match(k, /^[A-Z]/);
  }
  assert.deepEqual(
    resources(j.stdout),
    expected(alerts, () => true),
  );
  const o = await logs(['--state-dir', dir, '-o', 'json']);
  assert.equal(o.stdout, j.stdout);
  const p = await logs(['--state-dir', dir, '-o', 'pretty-json', '--limit', '1']);
  assert.equal(p.code, 0);
  assert.match(p.stdout, /^\{\n {2}"Timestamp": /);
  assert.equal((JSON.parse(p.stdout) as Alert).Resource, '/sbin/file-38', 'the newest alert (39 is a log)');
});

test('logs filters: namespace, operation, resource, source, labels, type; --limit and --since', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const alerts = fill(dir);
  const q = async (...args: string[]): Promise<string[]> => {
    const r = await logs(['--state-dir', dir, '--json', ...args]);
    assert.equal(r.code, 0, r.stderr);
    return resources(r.stdout);
  };
  assert.deepEqual(
    await q('--namespace', 'DEFAULT'),
    expected(alerts, (a) => a.NamespaceName === 'Default'),
  );
  assert.deepEqual(
    await q('-n', 'mysql$'),
    expected(alerts, (a) => a.NamespaceName === 'wordpress-mysql'),
  );
  assert.deepEqual(
    await q('--operation', 'process'),
    expected(alerts, (a) => a.Operation === 'Process'),
  );
  assert.deepEqual(
    await q('--resource', 'file-1[0-4]$'),
    expected(alerts, (_, i) => i >= 10 && i <= 14),
  );
  assert.deepEqual(await q('--resource', 'FILE'), []);
  assert.deepEqual(
    await q('--source', 'touch file-3\\d'),
    expected(alerts, (_, i) => i >= 30),
  );
  assert.deepEqual(
    await q('--labels', 'tier=web'),
    expected(alerts, (_, i) => i % 3 !== 0),
  );
  assert.deepEqual(
    await q('-l', 'app=mysql', '-l', 'tier=web'),
    expected(alerts, () => true),
  );
  assert.deepEqual(await q('--labels', 'app=mysq'), []);
  assert.deepEqual(
    await q('--namespace', 'default', '--operation', 'file', '--labels', 'app=mysql'),
    expected(alerts, (a, i) => a.NamespaceName === 'Default' && a.Operation === 'File' && i % 3 === 0),
  );
  assert.deepEqual(
    await q('--type', 'log'),
    alerts.filter((a) => a.Type === 'ContainerLog').map((a) => a.Resource),
  );
  assert.equal((await q('--type', 'all')).length, 40);
  // --limit: the newest N, oldest first.
  assert.deepEqual(await q('--limit', '3'), expected(alerts, () => true).slice(-3));
  assert.deepEqual(await q('--limit', '2', '--operation', 'process'), ['/sbin/file-30', '/sbin/file-35']);
  // --since: by the alerts' UpdatedTime (ISO, Unix seconds, duration).
  assert.deepEqual(
    await q('--since', alerts[30].UpdatedTime),
    expected(alerts, (_, i) => i >= 30),
  );
  assert.deepEqual(
    await q('--since', String(alerts[0].Timestamp)),
    expected(alerts, () => true),
  );
  assert.deepEqual(await q('--since', '30m'), []);
  assert.equal((await q('--since', '2h')).length, expected(alerts, () => true).length);
});

test('logs errors: bad regex and label exit 2 with BW600x, a missing store exits 3', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  fill(dir);
  const bad = await logs(['--state-dir', dir, '--resource', '(']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /error BW6004 --resource "\(" is not a valid regular expression/);
  const label = await logs(['--state-dir', dir, '--labels', 'app']);
  assert.equal(label.code, 2);
  assert.match(label.stderr, /BW6005/);
  const since = await logs(['--state-dir', dir, '--since', 'last tuesday']);
  assert.equal(since.code, 2);
  assert.match(since.stderr, /BW6006/);
  const limit = await logs(['--state-dir', dir, '--limit', 'x']);
  assert.equal(limit.code, 2);
  const missing = await logs(['--state-dir', join(dir, 'nothing-here')]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /error BW6002 no alert store at .*nothing-here\/alerts\.db/);
});

test('logs --follow prints alerts committed after it started, filtered, until SIGINT', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  fill(dir);
  const writer = openStore(dir);
  t.after(() => writer.close());
  const startedMs = Date.now();
  // --since makes the test independent of when the follower takes its first look: rows at or after
  // startedMs are printed whether they are history or new; the hour-old rows never are.
  const child = spawn(
    'node',
    [
      CLI,
      'logs',
      '--follow',
      '--json',
      '--state-dir',
      dir,
      '--namespace',
      'follow',
      '--since',
      new Date(startedMs).toISOString(),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitFor = async (cond: () => boolean): Promise<void> => {
    const end = Date.now() + 15_000;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out; stdout=${out} stderr=${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await new Promise((r) => setTimeout(r, 300));
  writer.insert([
    numberedAlert(100, { NamespaceName: 'other' }, startedMs + 10),
    numberedAlert(101, { NamespaceName: 'to-follow' }, startedMs + 10),
  ]);
  await waitFor(() => out.includes('file-101'));
  writer.insert([numberedAlert(102, { NamespaceName: 'follow-me' }, startedMs + 20)]);
  await waitFor(() => out.includes('file-102'));
  child.kill('SIGINT');
  assert.equal(await exited, 0, err);
  assert.deepEqual(resources(out), ['/sbin/file-101', '/sbin/file-102']);
});

test('logs --follow --limit N stops by itself after N alerts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const alerts = fill(dir);
  const r = await logs(['--state-dir', dir, '--json', '--follow', '--limit', '2', '--since', '2h']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(resources(r.stdout), expected(alerts, () => true).slice(0, 2));
});
