import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSinks } from '../../../src/sinks/fanout.js';
import { describeSinkEvent } from '../../../src/sinks/events.js';
import type { SinkEvent } from '../../../src/sinks/types.js';
import { parseRfc5424, SD_ID, type ParsedRfc5424 } from '../../../src/sinks/rfc5424.js';
import type { Alert } from '../../../src/alert/types.js';
import { numberedAlert, seedAlert } from '../../helpers/alerts.js';

/** Splits an RFC 6587 octet-counted stream into messages. */
function octetFrames(buf: Buffer): { msgs: string[]; rest: Buffer } {
  const msgs: string[] = [];
  let off = 0;
  for (;;) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number(buf.subarray(off, sp).toString());
    if (buf.length < sp + 1 + len) break;
    msgs.push(buf.subarray(sp + 1, sp + 1 + len).toString());
    off = sp + 1 + len;
  }
  return { msgs, rest: buf.subarray(off) };
}

/** A stream listener (TCP or unix) collecting parsed messages. */
function streamListener(framing: 'octet' | 'lf'): { server: Server; got: ParsedRfc5424[]; conns: Socket[] } {
  const got: ParsedRfc5424[] = [];
  const conns: Socket[] = [];
  const server = createServer((sock) => {
    conns.push(sock);
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (framing === 'octet') {
        const { msgs, rest } = octetFrames(buf);
        buf = rest;
        for (const m of msgs) got.push(parseRfc5424(m));
      } else {
        let nl: number;
        while ((nl = buf.indexOf(0x0a)) >= 0) {
          got.push(parseRfc5424(buf.subarray(0, nl).toString()));
          buf = buf.subarray(nl + 1);
        }
      }
    });
  });
  return { server, got, conns };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function checkSeedMessage(m: ParsedRfc5424, a: Alert): void {
  assert.equal(m.version, 1);
  assert.equal(m.pri, 16 * 8 + 4, 'local0.warning for a Block');
  assert.equal(m.timestamp, a.UpdatedTime);
  assert.equal(m.hostname, 'aditya');
  assert.equal(m.appName, 'bulwark');
  assert.equal(m.procId, String(process.pid));
  assert.equal(m.msgId, 'MatchedPolicy');
  assert.deepEqual(m.sd[SD_ID], {
    type: 'MatchedPolicy',
    operation: 'File',
    action: 'Block',
    result: 'Permission denied',
    policy: 'harden-mysql-file-integrity-monitoring',
    namespace: 'wordpress-mysql',
    container: 'mysql',
    resource: a.Resource,
  });
  assert.equal((JSON.parse(m.msg) as Alert).Resource, a.Resource);
}

test('syslog over UDP: one RFC 5424 datagram per alert, received by a real listener', async (t) => {
  const srv = createSocket('udp4');
  const got: ParsedRfc5424[] = [];
  srv.on('message', (m) => got.push(parseRfc5424(m.toString())));
  await new Promise<void>((r) => srv.bind(0, '127.0.0.1', r));
  t.after(() => srv.close());
  const sinks = createSinks({ syslog: { transport: 'udp', host: '127.0.0.1', port: srv.address().port } });
  const a = seedAlert();
  sinks.write(a);
  sinks.write({ ...a, Action: 'Audit', Result: 'Passed', Resource: '/sbin/b"q]' });
  await until(() => got.length === 2);
  checkSeedMessage(got[0], a);
  assert.equal(got[1].pri, 16 * 8 + 5, 'local0.notice for an Audit');
  assert.equal(got[1].sd[SD_ID].resource, '/sbin/b"q]', 'SD values escaped and unescaped');
  assert.equal(sinks.stats().totals.delivered, 2);
  await sinks.close();
});

test('syslog over TCP with octet counting: batches arrive whole and in order', async (t) => {
  const { server, got } = streamListener('octet');
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const sinks = createSinks({ syslog: { transport: 'tcp', host: '127.0.0.1', port, facility: 'auth' } });
  for (let i = 0; i < 500; i++) sinks.write(numberedAlert(i));
  await sinks.flush();
  await until(() => got.length === 500);
  assert.deepEqual(
    got.map((m) => (JSON.parse(m.msg) as Alert).Resource),
    Array.from({ length: 500 }, (_, i) => `/sbin/file-${i}`),
  );
  assert.equal(got[0].pri, 4 * 8 + 4);
  checkSeedMessage({ ...got[0], pri: 16 * 8 + 4 }, numberedAlert(0));
  await sinks.close();
});

test('syslog over a unix stream socket with LF framing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-syslog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'log.sock');
  const { server, got } = streamListener('lf');
  await new Promise<void>((r) => server.listen(path, r));
  t.after(() => server.close());
  const sinks = createSinks({ syslog: { transport: 'unix', path } });
  const a = seedAlert();
  sinks.write(a);
  await until(() => got.length === 1);
  checkSeedMessage(got[0], a);
  await sinks.close();
});

test('a syslog server that goes away: failures counted, backoff, reconnect, delivery resumes', async (t) => {
  const { server, got, conns } = streamListener('octet');
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const events: string[] = [];
  const sinks = createSinks({
    syslog: { transport: 'tcp', host: '127.0.0.1', port, queue: { backoffMinMs: 20, backoffMaxMs: 50 } },
    onEvent: (e) => events.push(e.kind),
  });
  sinks.write(numberedAlert(0));
  await until(() => got.length === 1);
  // Kill the server and its connection: writes now fail (ECONNRESET/EPIPE/ECONNREFUSED).
  await new Promise<void>((r) => {
    server.close(() => r());
    for (const c of conns) c.destroy();
  });
  await new Promise((r) => setTimeout(r, 50));
  for (let i = 1; i <= 20; i++) {
    sinks.write(numberedAlert(i));
    await new Promise((r) => setTimeout(r, 5));
  }
  await until(() => sinks.stats().sinks[0].failures > 0);
  // Bring a listener back on the same port; the sink reconnects by itself.
  const again = streamListener('octet');
  await new Promise<void>((r) => again.server.listen(port, '127.0.0.1', r));
  t.after(() => again.server.close());
  await until(() => sinks.stats().sinks[0].reconnects > 0 || again.got.length > 0, 5000);
  sinks.write(numberedAlert(99));
  await until(() => again.got.some((m) => (JSON.parse(m.msg) as Alert).Resource === '/sbin/file-99'));
  const s = sinks.stats().sinks[0];
  assert.equal(s.accepted + (s.droppedBy['queue-full'] ?? 0), 22);
  // Every alert was delivered to one of the two listeners or counted under an error code.
  const delivered = got.length + again.got.length;
  assert.equal(delivered + s.dropped, 22, JSON.stringify(s));
  assert.ok(s.dropped >= 0 && s.failures >= 1);
  assert.ok(events.includes('failed') && events.includes('recovered'), events.join(','));
  await sinks.close();
});

test('a unix datagram socket (journald-style /dev/log) is refused with an explanation, not a crash', async (t) => {
  const py = spawnSync('python3', ['-c', 'pass']);
  if (py.status !== 0) return t.skip('python3 is needed to bind a unix datagram socket (Node.js cannot)');
  const dir = mkdtempSync(join(tmpdir(), 'bw-dgram-'));
  const path = join(dir, 'dev-log');
  const holder = spawn('python3', [
    '-c',
    `import socket,sys,time\ns=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint('ready', flush=True)\ntime.sleep(30)`,
    path,
  ]);
  t.after(() => {
    holder.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise<void>((r) => holder.stdout.once('data', () => r()));
  const events: SinkEvent[] = [];
  const sinks = createSinks({ syslog: { transport: 'unix', path }, onEvent: (e) => events.push(e) });
  await sinks.open();
  const failed = events.find((e) => e.kind === 'failed');
  assert.ok(failed && failed.kind === 'failed');
  assert.equal(failed.code, 'EPROTOTYPE');
  const line = describeSinkEvent(failed);
  assert.equal(line.code, 'BW6102');
  assert.match(line.message, /datagram socket .* UDP \(127\.0\.0\.1:514\)/);
  sinks.write(seedAlert());
  await sinks.close(50);
  assert.equal(sinks.stats().totals.droppedBy.closed, 1);
});
