// Hard-linked files that a since-last check finds on disk where no lookup before its diff could
// know them, over a real store and a real journal writer (the agent's part is its journal: each
// step journals the paths the fanotify helper names for it). A since-last check must report what
// a full check reports, and so must the one after it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBaseline, initBaseline } from '../../src/baseline/engine.js';
import { JournalWriter, journalFile } from '../../src/baseline/journal.js';
import { BaselineStore } from '../../src/baseline/store.js';
import type { Change } from '../../src/baseline/types.js';
import { testSettings, writerAgent } from '../helpers/baseline-tree.js';

/** dir/S is the scope, dir the watched tree; `build` makes the files before the baseline. */
async function setup(t: TestContext, build: (S: string, dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'bw-since-links-'));
  const S = join(dir, 'S');
  mkdirSync(S);
  build(S, dir);
  const settings = testSettings(dir);
  await initBaseline({ settings, packages: false, paths: [S] });
  const w = new JournalWriter(journalFile(settings.stateDir));
  w.watch([dir]);
  t.after(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const agent = writerAgent(w, [dir]);
  const first = await checkBaseline({ settings, packages: false, sinceLast: true, journal: agent });
  assert.equal(first.fullReason?.code, 'BW5112');
  const names = (cs: Change[]): string[] => cs.map((c) => `${c.kind} ${c.path.toString().slice(S.length)}`);
  const same = async (what: string, must: string[]): Promise<void> => {
    await w.flush();
    const since = await checkBaseline({ settings, packages: false, sinceLast: true, journal: agent });
    assert.equal(since.mode, 'since-last', `${what}: ${since.note}`);
    const full = await checkBaseline({ settings, packages: false, journal: null });
    for (const m of must) assert.ok(names(full.changes).includes(m), `${what}: the full check reports ${m}`);
    assert.deepEqual(names(since.changes), names(full.changes), `${what}: since-last and full checks`);
    assert.deepEqual(since.changes, full.changes, `${what}: with the same attributes`);
  };
  return { S, dir, w, same };
}

test('a link made in the scope, then its directory renamed: the older name is re-read', async (t) => {
  const { S, w, same } = await setup(t, (S) => {
    writeFileSync(join(S, 'A'), 'a\n');
    mkdirSync(join(S, 'o'));
  });
  linkSync(join(S, 'A'), join(S, 'o/L'));
  w.record([join(S, 'o/L')]); // the create, and the inode's attribute change named through it
  renameSync(join(S, 'o'), join(S, 'p'));
  w.record([join(S, 'o'), join(S, 'p')]);
  await same('ln S/A S/o/L; mv S/o S/p', ['changed /A', 'added /p/L']);
  await same('the next check, nothing changed since', ['changed /A']);
});

test('a path with a link outside the scope, replaced by a link to another file: that file is re-read', async (t) => {
  const { S, dir, w, same } = await setup(t, (S, dir) => {
    writeFileSync(join(S, 'P'), 'p\n');
    mkdirSync(join(dir, 'out'));
    linkSync(join(S, 'P'), join(dir, 'out/B'));
    writeFileSync(join(S, 'Z'), 'z\n');
  });
  unlinkSync(join(S, 'P'));
  linkSync(join(S, 'Z'), join(S, 'P'));
  w.record([join(S, 'P'), join(dir, 'out/B')]);
  await same('rm S/P; ln S/Z S/P', ['changed /P', 'changed /Z']);
  await same('the next check, nothing changed since', ['changed /Z']);
});

/** Counts the lookups of other names that scan every stored row (keysWithInodes with inodes). */
function countLookups(t: TestContext): { n: number } {
  const c = { n: 0 };
  const orig = BaselineStore.prototype.keysWithInodes;
  BaselineStore.prototype.keysWithInodes = function (this: BaselineStore, v, inodes) {
    if (inodes.length) c.n++;
    return orig.call(this, v, inodes);
  };
  t.after(() => {
    BaselineStore.prototype.keysWithInodes = orig;
  });
  return c;
}

test('a file added with a link outside the scope is not looked up again by the checks after', async (t) => {
  const { S, dir, w, same } = await setup(t, (_S, dir) => mkdirSync(join(dir, 'out')));
  writeFileSync(join(dir, 'out/F'), 'f\n');
  w.record([join(dir, 'out/F')]);
  linkSync(join(dir, 'out/F'), join(S, 'n'));
  w.record([join(S, 'n')]);
  await same('echo > out/F; ln out/F S/n', ['added /n']);
  const lookups = countLookups(t);
  await same('the next check, nothing changed since', ['added /n']);
  assert.equal(lookups.n, 0, 'the file is the one the last check listed: no scan of the stored rows');
});

test('a baseline name that is gone is asked for once, not in every round', async (t) => {
  const { S, dir, w, same } = await setup(t, (S, dir) => {
    writeFileSync(join(S, 'Z'), 'z\n');
    linkSync(join(S, 'Z'), join(S, 'Y'));
    writeFileSync(join(S, 'P'), 'p\n');
    mkdirSync(join(dir, 'out'));
    linkSync(join(S, 'P'), join(dir, 'out/B'));
  });
  unlinkSync(join(S, 'Y'));
  unlinkSync(join(S, 'P'));
  linkSync(join(S, 'Z'), join(S, 'P'));
  linkSync(join(S, 'Z'), join(dir, 'out/C'));
  w.record([join(S, 'Y'), join(S, 'P'), join(dir, 'out/C')]);
  const lookups = countLookups(t);
  await same('rm Y; rm P; ln Z P; ln Z out/C', ['removed /Y', 'changed /P', 'changed /Z']);
  // One lookup before the diff (Y and P were multi-link in the baseline), one after (P is Z now).
  assert.ok(lookups.n <= 2, `${lookups.n} scans of the stored rows`);
});
