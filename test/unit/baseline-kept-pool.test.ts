// Hash workers kept between scans (the agent keeps them for large since-last checks): each scan
// through them yields exactly the rows that reading on the main thread yields, before and after
// the tree is mutated, and a scan does not stop them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keptPool, scanRows } from '../../src/baseline/scan.js';
import type { Row } from '../../src/baseline/record.js';
import { buildTree, mutateTree } from '../helpers/baseline-tree.js';

async function rows(root: string, pool?: ReturnType<typeof keptPool>): Promise<string[]> {
  const out: string[] = [];
  const opts = { roots: [Buffer.from(root)], excluded: () => false, algos: ['sha256' as const] };
  for await (const batch of scanRows(pool ? { ...opts, pool, batchSize: 7 } : { ...opts, inline: true }))
    out.push(...batch.map((r: Row) => `${r.key.toString('hex')} ${r.rec.toString('hex')}`));
  return out;
}

test('a kept pool reads what the main thread reads, scan after scan', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-kept-'));
  const pool = keptPool(['sha256']);
  t.after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const root = join(dir, 'tree');
  buildTree(root);
  const before = await rows(root);
  assert.ok(before.length > 10);
  assert.deepEqual(await rows(root, pool), before);
  mutateTree(root);
  const after = await rows(root);
  assert.notDeepEqual(after, before);
  assert.deepEqual(await rows(root, pool), after, 'the second scan through the same workers');
  assert.ok(!pool.broken);
});

test('a scan stopped early sends no more batches to the kept workers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-kept-stop-'));
  const pool = keptPool(['sha256']);
  t.after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const root = join(dir, 'tree');
  mkdirSync(root);
  for (let i = 0; i < 2000; i++) writeFileSync(join(root, `f${i}`), `file ${i}\n`);
  const opts = { roots: [Buffer.from(root)], excluded: () => false, algos: ['sha256' as const] };
  for await (const batch of scanRows({ ...opts, pool, batchSize: 4 })) {
    assert.ok(batch.length > 0);
    break; // the consumer stops: the scan's finally runs
  }
  const sent = pool.submitted;
  assert.ok(sent < 2000 / 4, `only the first batches were sent (${sent})`);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(pool.submitted, sent, 'the replies still in flight sent no more');
  assert.deepEqual((await rows(root, pool)).length, (await rows(root)).length);
});
