// Every kind of mutation on a generated tree is reported exactly, with no false positive, and
// names with newlines and invalid UTF-8 round-trip through the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBaseline, initBaseline } from '../../src/baseline/engine.js';
import { BaselineStore } from '../../src/baseline/store.js';
import { keyToPath, pathToKey } from '../../src/baseline/path-key.js';
import { loadNative } from '../../src/baseline/native.js';
import {
  BAD_UTF8_NAME,
  BIG_SIZE,
  NEWLINE_NAME,
  buildTree,
  mismatches,
  mutateTree,
  pathBuf,
  testSettings,
} from '../helpers/baseline-tree.js';

test('baseline reports every mutation exactly and nothing else', async (t) => {
  assert.ok(loadNative(), 'native helper must be built (scripts/build-native.sh)');
  const dir = mkdtempSync(join(tmpdir(), 'bw-base-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'tree');
  buildTree(root);
  const settings = testSettings(dir);
  const init = await initBaseline({ settings, paths: [root], packages: false });
  assert.equal(init.version.id, 1);
  assert.deepEqual(init.problems, [], 'init reads everything');

  // No change: nothing reported (no false positives on a fresh tree, FIFOs not opened).
  const clean = await checkBaseline({ settings, packages: false });
  assert.deepEqual(
    clean.changes.map((c) => c.path.toString('latin1')),
    [],
  );
  assert.equal(clean.stats.entries, init.stats.entries);

  // Names with newlines and invalid UTF-8 are stored as bytes and come back identical.
  const store = BaselineStore.open(settings.dbFile, { readonly: true });
  const paths = [...store.entries(1)].map((e) => keyToPath(e.key).toString('hex'));
  store.close();
  assert.ok(paths.includes(pathBuf(root, NEWLINE_NAME).toString('hex')));
  assert.ok(paths.includes(pathBuf(root, BAD_UTF8_NAME).toString('hex')));

  const expected = mutateTree(root);
  const r = await checkBaseline({ settings, packages: false });
  assert.deepEqual(mismatches(r.changes, expected), []);
  assert.equal(r.counts.added, [...expected.values()].filter((e) => e.kind === 'added').length);
  assert.equal(r.counts.removed, [...expected.values()].filter((e) => e.kind === 'removed').length);
});

test('a sparse file of 2 GB or more is recorded and a one-byte change in it is found', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-big-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'tree');
  mkdirSync(root);
  writeFileSync(join(root, 'big'), '');
  truncateSync(join(root, 'big'), BIG_SIZE);
  writeFileSync(join(root, 'small'), 'small\n');
  const settings = testSettings(dir);
  await initBaseline({ settings, paths: [root], packages: false });
  const store = BaselineStore.open(settings.dbFile, { readonly: true });
  const big = store.entry(1, pathToKey(pathBuf(root, 'big')));
  store.close();
  assert.equal(big?.size, BIG_SIZE);
  // SHA-256 of BIG_SIZE zero bytes, computed independently of the scanner.
  const h = createHash('sha256');
  const zeros = Buffer.alloc(1 << 24);
  for (let left = BIG_SIZE; left > 0; left -= zeros.length)
    h.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
  assert.equal(big?.digests.sha256?.toString('hex'), h.digest('hex'));
  const fd = openSync(join(root, 'big'), 'r+');
  writeSync(fd, Buffer.from('Z'), 0, 1, BIG_SIZE - 1);
  closeSync(fd);
  const r = await checkBaseline({ settings, packages: false });
  assert.deepEqual(
    r.changes.map((c) => [
      c.kind,
      c.path.toString(),
      c.attributes
        .map((a) => a.attribute)
        .sort()
        .join(','),
    ]),
    [['changed', join(root, 'big'), 'ctime,mtime,sha256']],
  );
});
