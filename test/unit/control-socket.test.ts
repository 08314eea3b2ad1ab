// The agent's control socket: one JSON line each way. An answer can be large (a since-last
// check's result, about a megabyte for 1,000 changes) and arrives in many chunks; it must come
// back whole and unchanged, with multi-byte characters split across chunks intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { listenControl, request, socketPath } from '../../src/app/control.js';

test('a large answer in many chunks comes back whole', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-control-'));
  const payload = `${'é€😀'.repeat(150_000)}${'x'.repeat(500_000)}`;
  const srv = await listenControl(socketPath(dir), (req) =>
    req.op === 'big' ? { ok: true, payload, n: 7 } : { ok: false, error: 'unknown' },
  );
  t.after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const r = await request(socketPath(dir), { op: 'big' });
  assert.equal(r.ok, true);
  assert.equal(r.n, 7);
  assert.equal((r.payload as string).length, payload.length);
  assert.ok(r.payload === payload, 'the payload is unchanged');
  const small = await request(socketPath(dir), { op: 'other' });
  assert.deepEqual(small, { ok: false, error: 'unknown' });
});

test('an agent that goes away before answering is reported at once, not at the timeout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-control-'));
  // A listener that takes the request and closes the connection (an agent stopping or dying).
  const srv = createServer((sock) => sock.once('data', () => sock.destroy()));
  await new Promise<void>((r) => srv.listen(socketPath(dir), r));
  t.after(async () => {
    await new Promise((r) => srv.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  const started = Date.now();
  await assert.rejects(
    request(socketPath(dir), { op: 'baseline-check' }, 60_000),
    /closed the connection without an answer/,
  );
  assert.ok(Date.now() - started < 5000, `rejected after ${Date.now() - started} ms`);
});
