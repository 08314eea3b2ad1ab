import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSinks } from '../../../src/sinks/fanout.js';
import { rotatedFiles } from '../../../src/sinks/file.js';
import { numberedAlert } from '../../helpers/alerts.js';

test('file rotation under load: sizes bounded, file count kept, every alert delivered or counted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'alerts.log');
  const maxBytes = 64 * 1024;
  const maxFiles = 3;
  const sinks = createSinks({ file: { path, maxBytes, maxFiles, queue: { capacity: 4000 } } });
  const N = 20_000;
  const accepted: number[] = [];
  for (let i = 0; i < N; i++) {
    if (sinks.write(numberedAlert(i)) === 0) accepted.push(i);
    // Let the drain loop run now and then, as the event loop would between kernel batches.
    if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
  }
  assert.equal(await sinks.flush(20_000), true);
  const s = sinks.stats().sinks[0];
  assert.equal(s.accepted, accepted.length);
  assert.equal(s.accepted + s.dropped, N, 'every write is accepted or counted as dropped');
  assert.equal(s.droppedBy['queue-full'] ?? 0, N - accepted.length);
  assert.equal(s.delivered, s.accepted, 'everything accepted was written');
  assert.deepEqual(
    Object.keys(s.droppedBy).filter((k) => k !== 'queue-full'),
    [],
  );

  const files = await rotatedFiles(path, maxFiles + 2);
  assert.deepEqual(
    files,
    [path, `${path}.1`, `${path}.2`, `${path}.3`],
    'the live file plus maxFiles rotated ones',
  );
  const kept: number[] = [];
  for (const f of [...files].reverse()) {
    const size = statSync(f).size;
    assert.ok(size <= maxBytes, `${f} is ${size} bytes`);
    if (f !== path)
      assert.ok(
        size > maxBytes - 2048,
        `${f} rotated early: ${files.map((x) => statSync(x).size).join(' ')}`,
      );
    const text = readFileSync(f, 'utf8');
    assert.ok(text.endsWith('\n'), 'whole lines only');
    for (const l of text.split('\n').filter(Boolean)) {
      kept.push(Number((JSON.parse(l) as { Resource: string }).Resource.replace('/sbin/file-', '')));
    }
  }
  // The retained files hold exactly the newest accepted alerts, oldest file first, in order.
  assert.ok(kept.length > 150, `${kept.length} alerts kept`);
  assert.deepEqual(kept, accepted.slice(accepted.length - kept.length));
  await sinks.close();
});

test('a file on a full device (ENOSPC) counts drops, reopens with backoff, and never throws', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-full-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // /dev/full fails every write with ENOSPC; the symlink keeps our path ours (never rotated).
  const path = join(dir, 'full.log');
  symlinkSync('/dev/full', path);
  const events: string[] = [];
  const sinks = createSinks({
    file: { path, maxBytes: 1024, queue: { backoffMinMs: 10, backoffMaxMs: 20 } },
    onEvent: (e) => events.push(`${e.kind}:${e.kind === 'failed' ? e.code : ''}`),
  });
  for (let i = 0; i < 50; i++) sinks.write(numberedAlert(i));
  await new Promise((r) => setTimeout(r, 150));
  for (let i = 50; i < 100; i++) sinks.write(numberedAlert(i));
  await sinks.flush(2000);
  const s = sinks.stats().sinks[0];
  assert.equal(s.delivered, 0);
  assert.equal(s.dropped, 100);
  assert.equal(s.droppedBy.ENOSPC, 100);
  assert.ok(s.failures >= 2, 'it tried again after the backoff');
  assert.match(s.lastError ?? '', /^ENOSPC/);
  assert.ok(events.includes('failed:ENOSPC'));
  assert.equal(statSync('/dev/full').isCharacterDevice(), true, '/dev/full itself untouched');
  await sinks.close();
});

test('a file deleted or moved away by someone else is recreated (within a second)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-moved-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'alerts.log');
  const sinks = createSinks({ file: { path } });
  t.after(() => sinks.close());
  sinks.write(numberedAlert(1));
  await sinks.flush();
  renameSync(path, `${path}.moved`);
  await new Promise((r) => setTimeout(r, 1100));
  sinks.write(numberedAlert(2));
  await sinks.flush();
  assert.match(readFileSync(`${path}.moved`, 'utf8'), /file-1"/);
  const now = readFileSync(path, 'utf8');
  assert.match(now, /file-2"/);
  assert.doesNotMatch(now, /file-1"/);
  assert.equal(sinks.stats().sinks[0].dropped, 0);
});
