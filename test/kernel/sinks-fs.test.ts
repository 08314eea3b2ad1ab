// Sinks against real filesystem failures on a private tmpfs: a read-only mount (EROFS) and a full
// one (ENOSPC). Failures must be counted, never crash, never block other sinks, and writing must
// resume once the filesystem is usable again. Needs root (mount).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PassThrough } from 'node:stream';
import { createSinks } from '../../src/sinks/fanout.js';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import { numberedAlert } from '../helpers/alerts.js';

const mounts: string[] = [];
after(() => {
  for (const m of mounts) {
    try {
      execFileSync('umount', [m]);
    } catch {
      // already unmounted
    }
    rmdirSync(m);
  }
});

function tmpfs(opts: string): string | null {
  if (!IS_ROOT) return null;
  const dir = mkdtempSync(join(tmpdir(), 'bw-sinkfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
  } catch {
    rmdirSync(dir);
    return null;
  }
  mounts.push(dir);
  return dir;
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('read-only filesystem: EROFS counted, alerts wait, delivered once it is writable', async (t) => {
  const dir = tmpfs('size=4m,ro');
  if (!needKernel(t, dir !== null, 'needs root and tmpfs mounts')) return;
  const d = dir as string;
  const out = new PassThrough().resume();
  const sinks = createSinks({
    stdout: { stream: out, format: 'json' },
    file: { path: join(d, 'alerts.log'), queue: { backoffMinMs: 20, backoffMaxMs: 50 } },
    store: { path: join(d, 'alerts.db'), inline: true, queue: { backoffMinMs: 20, backoffMaxMs: 50 } },
  });
  for (let i = 0; i < 50; i++) sinks.write(numberedAlert(i));
  await until(() => sinks.stats().sinks.every((s) => s.name === 'stdout' || s.failures >= 2));
  const by = Object.fromEntries(sinks.stats().sinks.map((s) => [s.name, s]));
  assert.equal(by.stdout.delivered, 50, 'the healthy sink is not held back');
  assert.match(by.file.lastError ?? '', /EROFS/);
  assert.equal(by.file.queued, 50, 'open failures lose nothing');
  assert.equal(by.store.queued, 50);
  execFileSync('mount', ['-o', 'remount,rw', d]);
  await until(() => sinks.stats().totals.delivered === 150);
  const after = Object.fromEntries(sinks.stats().sinks.map((s) => [s.name, s]));
  assert.ok(after.file.reconnects >= 1 && after.store.reconnects >= 1);
  assert.equal(sinks.stats().totals.dropped, 0);
  await sinks.close();
});

test('full filesystem, file sink: ENOSPC counted, writing resumes after space is freed', async (t) => {
  const dir = tmpfs('size=512k');
  if (!needKernel(t, dir !== null, 'needs root and tmpfs mounts')) return;
  const d = dir as string;
  const sinks = createSinks({
    file: { path: join(d, 'alerts.log'), maxBytes: 64 * 1024, maxFiles: 20 },
    queue: { backoffMinMs: 10, backoffMaxMs: 20, capacity: 100_000 },
  });
  t.after(() => sinks.close(100));
  const N = 1000; // ~1.1 MB of JSON into 512 KiB
  for (let i = 0; i < N; i++) sinks.write(numberedAlert(i));
  await sinks.flush(20_000);
  const s = sinks.stats().sinks[0];
  assert.ok(s.delivered > 100 && s.delivered < N, `delivered ${s.delivered}`);
  assert.ok((s.droppedBy.ENOSPC ?? 0) > 0, JSON.stringify(s.droppedBy));
  assert.equal(s.delivered + s.dropped, N, 'every alert delivered or counted');
  // Free the space: the rotated files go, new alerts are written again.
  for (const f of readdirSync(d)) if (/\.log\.\d+$/.test(f)) rmSync(join(d, f));
  await new Promise((r) => setTimeout(r, 50));
  sinks.write(numberedAlert(N));
  await sinks.flush(5000);
  assert.equal(sinks.stats().sinks[0].delivered, s.delivered + 1);
});

test('full filesystem, store: SQLITE_FULL counted, the store recovers after space is freed', async (t) => {
  const dir = tmpfs('size=2m');
  if (!needKernel(t, dir !== null, 'needs root and tmpfs mounts')) return;
  const d = dir as string;
  const sinks = createSinks({
    store: { path: join(d, 'alerts.db'), inline: true, queue: { batchSize: 50 } },
    queue: { backoffMinMs: 10, backoffMaxMs: 20, capacity: 100_000 },
  });
  t.after(() => sinks.close(100));
  await sinks.open();
  // Leave the store about 300 KiB.
  const free = Number(execFileSync('df', ['--output=avail', '-B1', d]).toString().split('\n')[1]);
  writeFileSync(join(d, 'filler'), Buffer.alloc(Math.max(0, free - 300 * 1024)));
  const N = 1000;
  for (let i = 0; i < N; i++) sinks.write(numberedAlert(i));
  await until(() => {
    const st = sinks.stats().sinks[0];
    return st.delivered + st.dropped === N;
  }, 20_000);
  const st = sinks.stats().sinks[0];
  assert.ok(st.delivered > 0 && st.delivered < N, `delivered ${st.delivered}`);
  assert.ok((st.droppedBy.SQLITE_FULL ?? 0) > 0, JSON.stringify(st));
  rmSync(join(d, 'filler'));
  await new Promise((r) => setTimeout(r, 50));
  sinks.write(numberedAlert(N));
  await until(() => sinks.stats().sinks[0].delivered === st.delivered + 1, 5000);
  await sinks.close();
  const { openStore } = await import('../../src/sinks/store.js');
  const store = openStore(d, { readonly: true });
  assert.equal(store.summary().rows, st.delivered + 1, 'the store holds exactly what was delivered');
  store.close();
});
