// Hash workers kept between scans (the agent keeps them for large since-last checks): each scan
// through them yields exactly the rows that reading on the main thread yields, before and after
// the tree is mutated, and a scan does not stop them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
