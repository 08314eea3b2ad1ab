// After a check's diff (src/baseline/check-journal.ts finishCheck), over a real store and a real
// journal writer: a position that is not saved is never dropped silently. Too many differing
// paths to keep: BW5113 with the count, the agent is not asked to record, the older state goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finishCheck } from '../../src/baseline/check-journal.js';
import { JournalWriter, journalFile } from '../../src/baseline/journal.js';
import { stateFile, type JournalAgent } from '../../src/baseline/since-last.js';
import { writerPosition } from '../helpers/baseline-tree.js';
import { BaselineStore, type VersionRow } from '../../src/baseline/store.js';
import type { Change } from '../../src/baseline/types.js';
import { storeStamp } from '../../src/baseline/watch-scope.js';

test('more differing paths than a check keeps: the result stands, BW5113 says why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-checkjournal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = BaselineStore.open(join(dir, 'baseline', 'baseline.db'), { create: true });
  const w = new JournalWriter(journalFile(dir));
  w.watch([dir]);
  t.after(async () => {
    store.close();
    await w.close();
  });
  // finishCheck reads only these fields of the version (no trusted-store shortcut here).
  const v = { id: 1, digest: Buffer.alloc(32), entries: 0 } as VersionRow;
  const warnings: string[] = [];
  let asked = 0;
  const agent: JournalAgent = {
    position: () => Promise.reject(new Error('not used')),
    checked: (from, off, digest) => {
      asked++;
      return w.checked(from, off, digest);
    },
    warn: (code, message) => void warnings.push(`${code} ${message}`),
  };
  const position = await writerPosition(w, [dir]);
  const prep = { position, stamp: storeStamp(store.file) };
  const o = { stateDir: dir, journal: agent };

  await finishCheck(store, v, [dir], prep, { changes: [], problems: [], short: [] }, o);
  assert.deepEqual(warnings, []);
  assert.equal(asked, 1);
  assert.ok(existsSync(stateFile(dir)), 'a normal check saves its position');

  const many: Change[] = Array.from({ length: 200_001 }, (_, i) => ({
    kind: 'changed',
    path: Buffer.from(`${dir}/f${i}`),
    attributes: [],
  }));
  await finishCheck(store, v, [dir], prep, { changes: many, problems: [], short: [] }, o);
  assert.equal(asked, 1, 'the agent is not asked to record a position that is not saved');
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0],
    /^BW5113 check position not recorded: 200001 paths differed or have several links, more than the 200000 a check keeps; the next --since-last runs a full check$/,
  );
  assert.ok(!existsSync(stateFile(dir)), 'the older state is gone, so the next --since-last runs full');
});
