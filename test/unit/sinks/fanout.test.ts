import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Alert } from '../../../src/alert/types.js';
import { isBulwarkError } from '../../../src/common/errors.js';
import { createSinks } from '../../../src/sinks/fanout.js';
import { openStore } from '../../../src/sinks/store.js';
import type { SinkBackend } from '../../../src/sinks/types.js';
import { numberedAlert, seedAlert } from '../../helpers/alerts.js';

/** Fault injection: a sink that takes `delayMs` per batch (a stalled remote). */
class SlowSink implements SinkBackend {
  readonly name = 'slow';
  got = 0;
  constructor(private readonly delayMs: number) {}
  async open(): Promise<void> {}
  async write(batch: readonly Alert[]): Promise<void> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    this.got += batch.length;
  }
  async close(): Promise<void> {}
}

/** A TCP port with nothing listening (bound, then closed). */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('dead sinks (refused socket, full disk) are counted and do not hold back the store or a stream', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-fan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  symlinkSync('/dev/full', join(dir, 'full.log'));
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const sinks = createSinks({
    stdout: { stream: out, format: 'json' },
    file: { path: join(dir, 'full.log') },
    syslog: { transport: 'tcp', host: '127.0.0.1', port: await deadPort() },
    store: { stateDir: dir },
    queue: { backoffMinMs: 20, backoffMaxMs: 40, capacity: 1000 },
  });
  // Opening up front: the working sinks are open, the refused one has failed (and backs off).
  await sinks.open();
  const opened = Object.fromEntries(sinks.stats().sinks.map((s) => [s.name, s]));
  assert.equal(opened.store.state, 'open');
  assert.equal(opened.file.state, 'open');
  assert.ok(opened['syslog-tcp'].failures >= 1);
  assert.notEqual(opened['syslog-tcp'].state, 'open');
  assert.equal(opened['syslog-tcp'].dropped, 0);
  const N = 300;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) sinks.write(numberedAlert(i));
  // write() only queues: 300 alerts to four sinks take far less than a single socket timeout.
  assert.ok(performance.now() - t0 < 1000);
  await sinks.flush(1000);
  const by = Object.fromEntries(sinks.stats().sinks.map((s) => [s.name, s]));
  assert.equal(by.stdout.delivered, N);
  assert.equal(by.store.delivered, N);
  assert.equal(text.trim().split('\n').length, N);
  const store = openStore(dir, { readonly: true });
  assert.equal(store.summary().rows, N);
  store.close();
  assert.equal(by.file.delivered, 0);
  assert.equal(by.file.droppedBy.ENOSPC, N);
  assert.equal(by['syslog-tcp'].delivered, 0);
  assert.ok(by['syslog-tcp'].failures >= 1);
  assert.match(by['syslog-tcp'].lastError ?? '', /ECONNREFUSED/);
  // A refused connection fails at open: the alerts wait in the queue, none lost yet.
  assert.equal(by['syslog-tcp'].queued + by['syslog-tcp'].dropped, N);
  const totals = sinks.stats().totals;
  assert.equal(totals.accepted + (totals.droppedBy['queue-full'] ?? 0), 4 * N);
  await sinks.close(200);
  const closed = Object.fromEntries(sinks.stats().sinks.map((s) => [s.name, s]));
  assert.equal(closed['syslog-tcp'].droppedBy.closed, N, 'what was still queued at close is counted');
  assert.equal(closed['syslog-tcp'].queued, 0);
});

test('a slow sink fills its bounded queue: drops counted as queue-full, fast sinks get everything', async () => {
  const slow = new SlowSink(50);
  const out = new PassThrough();
  let lines = 0;
  out.on('data', (d: Buffer) => (lines += d.toString().split('\n').length - 1));
  const events: string[] = [];
  const sinks = createSinks({
    stdout: { stream: out, format: 'json' },
    custom: [{ backend: slow, queue: { capacity: 100, batchSize: 10 } }],
    onEvent: (e) => events.push(`${e.kind}:${e.sink}`),
  });
  for (let i = 0; i < 1000; i++) sinks.write(seedAlert());
  await sinks.flush(10_000);
  const [fast, s] = sinks.stats().sinks;
  assert.equal(fast.delivered, 1000);
  assert.equal(lines, 1000);
  assert.equal(s.accepted, 100, 'the queue held 100');
  assert.equal(s.droppedBy['queue-full'], 900);
  assert.equal(s.delivered, 100);
  assert.equal(slow.got, 100);
  assert.ok(events.includes('dropped:slow'));
  await sinks.close();
});

test('stdout to a reader that exited (EPIPE): reported, alerts wait then are counted, no crash', async () => {
  const child = spawn('true', { stdio: ['pipe', 'ignore', 'ignore'] });
  await new Promise((r) => child.on('exit', r));
  const events: string[] = [];
  const sinks = createSinks({
    stdout: { stream: child.stdin, format: 'text', queue: { capacity: 8, backoffMinMs: 10 } },
    onEvent: (e) => events.push(e.kind === 'failed' ? `failed:${e.code}` : e.kind),
  });
  for (let i = 0; i < 10; i++) sinks.write(seedAlert());
  await new Promise((r) => setTimeout(r, 100));
  const s = sinks.stats().sinks[0];
  assert.equal(s.delivered, 0);
  assert.equal(s.droppedBy['queue-full'], 2, 'beyond the queue capacity: counted');
  assert.ok(s.failures >= 2, 'retried with backoff');
  assert.ok(events.includes('failed:EPIPE'), events.join(','));
  await sinks.close(100);
  const c = sinks.stats().sinks[0];
  assert.equal(c.droppedBy.closed, 8, 'still queued at close: counted');
  assert.equal(c.dropped, 10, 'every alert counted by the end');
});

test('invalid sink settings are BW6007 errors', () => {
  const bad = [
    () => createSinks({ stdout: { format: 'xml' as 'json' } }),
    () => createSinks({ file: { path: '' } }),
    () => createSinks({ file: { path: '/tmp/x', maxBytes: 0 } }),
    () => createSinks({ syslog: { transport: 'unix' } }),
    () => createSinks({ stdout: {}, queue: { capacity: -1 } }),
  ];
  for (const f of bad) assert.throws(f, (e: unknown) => isBulwarkError(e) && e.code === 'BW6007');
});

test('file sink default format is JSON lines the store agrees with', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-fan2-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sinks = createSinks({ file: { path: join(dir, 'a.log') }, store: { stateDir: dir } });
  sinks.write(numberedAlert(3));
  await sinks.close();
  const line = readFileSync(join(dir, 'a.log'), 'utf8').trim();
  const store = openStore(dir, { readonly: true });
  const row = store.db.prepare('SELECT json FROM alerts').get() as { json: string };
  store.close();
  assert.equal(line, row.json);
});
