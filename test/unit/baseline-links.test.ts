// Names of one inode: the scan reads an unchanged inode once and gives every name its digest; a
// content change through one name (same size, mtime restored) is reported on every name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBaseline, initBaseline } from '../../src/baseline/engine.js';
import { BaselineStore } from '../../src/baseline/store.js';
import { keyToPath } from '../../src/baseline/path-key.js';
import { sh, testSettings } from '../helpers/baseline-tree.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

for (const workers of [1, 2]) {
  test(`every name of a multi-link file carries its content's digest (${workers} worker(s))`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-links-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const root = join(dir, 'tree');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'a'), 'version 1\n');
    linkSync(join(root, 'a'), join(root, 'b'));
    linkSync(join(root, 'a'), join(root, 'sub/c'));
    writeFileSync(join(root, 'other'), 'version 1\n');
    const settings = testSettings(dir);
    await initBaseline({ settings, paths: [root], packages: false, workers });

    const store = BaselineStore.open(settings.dbFile, { readonly: true });
    const digests = new Map(
      [...store.entries(1)].map((e) => [keyToPath(e.key).toString(), e.digests.sha256?.toString('hex')]),
    );
    store.close();
    for (const n of ['a', 'b', 'sub/c', 'other'])
      assert.equal(digests.get(join(root, n)), sha('version 1\n'), n);

    assert.deepEqual((await checkBaseline({ settings, packages: false, workers })).changes, []);

    // New content through one name, same size, mtime restored to the nanosecond.
    const ref = join(dir, 'ref');
    sh('touch', ['-r', join(root, 'a'), ref]);
    writeFileSync(join(root, 'b'), 'version 2\n');
    sh('touch', ['-r', ref, join(root, 'b')]);
    const r = await checkBaseline({ settings, packages: false, workers });
    const changed = new Map(r.changes.map((c) => [c.path.toString(), c]));
    assert.deepEqual([...changed.keys()].sort(), ['a', 'b', 'sub/c'].map((n) => join(root, n)).sort());
    for (const c of changed.values()) {
      const d = c.attributes.find((a) => a.attribute === 'sha256');
      assert.ok(d, `${c.path.toString()}: sha256 reported`);
      assert.equal(c.new?.digests.sha256?.toString('hex'), sha('version 2\n'));
    }
  });
}
