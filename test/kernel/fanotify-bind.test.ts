// Watched trees on one filesystem, some reached through bind mounts. The helper resolves a
// directory it has not cached (here: one moved into a tree, whose cache entries a directory
// rename drops) through the filesystem's first marked mount; through that mount the directory
// lies outside every watched tree, so without a second try through the bind mount the change
// was filtered out and lost without a gap. The same holds for the destination of a rename, and
// for every one of many bind mounts.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import { blockPolicy, EventLog, nativeBuilt, ruleSetFrom, tempTree } from '../helpers/sensor.js';
import { FanotifyBackend } from '../../src/sensor/index.js';
import type { SensorEvent } from '../../src/sensor/index.js';

const ready = IS_ROOT && nativeBuilt();

interface BindSetup {
  /** Bind mounts, each of src<i>, each a watched tree. */
  mnts: string[];
  srcs: string[];
  /** Outside every watched tree, on the same filesystem (reached through the root mount). */
  outside: string;
  /** The plain watched tree, on the root mount. */
  other: string;
  fan: FanotifyBackend;
  log: EventLog;
}

/**
 * `n` bind-mounted watched trees and one plain watched tree ("other"), which sorts first, so
 * the filesystem's first mark is on the root mount. `outsideDirs`/`outsideFiles` are made under
 * `outside` before the sensor starts.
 */
async function bindSetup(
  t: TestContext,
  prefix: string,
  n: number,
  outsideDirs: string[],
  outsideFiles: string[] = [],
): Promise<BindSetup> {
  const base = tempTree(prefix);
  const other = path.join(base, 'other');
  const outside = path.join(base, 'outside');
  const srcs = Array.from({ length: n }, (_, i) => path.join(base, `src${i}`));
  const mnts = Array.from({ length: n }, (_, i) => path.join(base, `mnt${i}`));
  for (const d of [other, ...srcs, ...mnts, ...outsideDirs.map((d) => path.join(outside, d))])
    mkdirSync(d, { recursive: true });
  for (const f of outsideFiles) writeFileSync(path.join(outside, f), 'a file\n');
  const mounted: string[] = [];
  const fan = new FanotifyBackend();
  const log = new EventLog(fan);
  t.after(async () => {
    await fan.close();
    // (A test may have unmounted one already.)
    for (const m of mounted.reverse()) spawnSync('umount', [m]);
    rmSync(base, { recursive: true, force: true });
  });
  for (let i = 0; i < n; i++) {
    execFileSync('mount', ['--bind', srcs[i], mnts[i]]);
    mounted.push(mnts[i]);
  }
  await fan.open();
  const policies = [
    blockPolicy(other, { action: 'Audit' }).replace('name: kernel-test', 'name: a-other'),
    ...mnts.map((m, i) =>
      blockPolicy(m, { action: 'Audit' }).replace(
        'name: kernel-test',
        `name: z-mnt-${String(i).padStart(2, '0')}`,
      ),
    ),
  ];
  await fan.applyRuleSet(ruleSetFrom(policies.join('---\n')));
  assert.equal(fan.trees.marks[0], other, 'the root mount is marked first');
  await new Promise((r) => setTimeout(r, 300));
  return { mnts, srcs, outside, other, fan, log };
}

/** Waits up to 5 s for an event `match` accepts; fails with what was seen. */
async function expectEvent(log: EventLog, what: string, match: (e: SensorEvent) => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!log.events.some(match) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const seen = log.events.map((e) => (e.kind === 'change' ? [e.op, e.path, e.secondPath] : e.kind));
  assert.ok(log.events.some(match), `no event for ${what}: ${JSON.stringify(seen)}`);
}

/** A directory moved in through the root mount (a rename cannot cross mounts), written through tree i. */
async function moveInAndWrite(s: BindSetup, i: number): Promise<void> {
  renameSync(path.join(s.outside, 'x'), path.join(s.srcs[i], 'x'));
  await new Promise((r) => setTimeout(r, 50));
  const target = path.join(s.mnts[i], 'x', 'sub', 'f');
  writeFileSync(target, 'written in a directory the helper had not cached\n');
  await expectEvent(s.log, target, (e) => e.kind === 'change' && e.path === target);
  assert.ok(!s.log.events.some((e) => e.kind === 'gap'), 'no gap');
}

test('a change in a directory moved into a bind-mounted watched tree is named through that mount', async (t) => {
  if (!needKernel(t, ready, 'needs root (bind mounts, fanotify) and the native build')) return;
  await moveInAndWrite(await bindSetup(t, 'bw-bind-', 1, ['x/sub']), 0);
});

test('a rename into a bind-mounted watched tree names its destination through that mount', async (t) => {
  if (!needKernel(t, ready, 'needs root (bind mounts, fanotify) and the native build')) return;
  const s = await bindSetup(t, 'bw-bind-mv-', 1, ['d'], ['f']);
  // A file and a directory moved in from outside every watched tree: the journal and the rules
  // see the destination, under the bind mount.
  for (const name of ['f', 'd']) {
    renameSync(path.join(s.outside, name), path.join(s.srcs[0], name));
    const dest = path.join(s.mnts[0], name);
    await expectEvent(
      s.log,
      `a rename to ${dest}`,
      (e) => e.kind === 'change' && e.op === 'rename' && e.secondPath === dest,
    );
  }
  assert.ok(!s.log.events.some((e) => e.kind === 'gap'), 'no gap');
});

test('watched trees reached through more than eight bind mounts of one filesystem are all named', async (t) => {
  if (!needKernel(t, ready, 'needs root (bind mounts, fanotify) and the native build')) return;
  // Into the last of ten bind-mounted trees: its mount is the filesystem's eleventh.
  await moveInAndWrite(await bindSetup(t, 'bw-bind-many-', 10, ['x/sub']), 9);
});

test('a bind mount no longer watched after a new rule set is not kept busy', async (t) => {
  if (!needKernel(t, ready, 'needs root (bind mounts, fanotify) and the native build')) return;
  const s = await bindSetup(t, 'bw-bind-drop-', 2, []);
  // Only the plain tree and the first bind mount stay watched.
  const keep = [
    blockPolicy(s.other, { action: 'Audit' }).replace('name: kernel-test', 'name: a-other'),
    blockPolicy(s.mnts[0], { action: 'Audit' }).replace('name: kernel-test', 'name: z-mnt-00'),
  ];
  await s.fan.applyRuleSet(ruleSetFrom(keep.join('---\n')));
  const r = spawnSync('umount', [s.mnts[1]], { encoding: 'utf8' });
  assert.equal(r.status, 0, `umount of the mount no longer watched: ${r.stderr}`);
  // The one still watched is still used: a change moved in through the root mount is named.
  mkdirSync(path.join(s.outside, 'x', 'sub'), { recursive: true });
  await moveInAndWrite(s, 0);
});

test('a filesystem first marked through a bind mount keeps neither the mount busy nor its changes unseen when only another tree stays', async (t) => {
  if (!needKernel(t, ready, 'needs root (bind mounts, fanotify) and the native build')) return;
  const base = tempTree('bw-bind-first-');
  const [src, mnt, other] = ['src', 'mnt', 'other'].map((d) => path.join(base, d));
  for (const d of [src, mnt, other]) mkdirSync(d, { recursive: true });
  execFileSync('mount', ['--bind', src, mnt]);
  const fan = new FanotifyBackend();
  const log = new EventLog(fan);
  t.after(async () => {
    await fan.close();
    spawnSync('umount', [mnt]);
    rmSync(base, { recursive: true, force: true });
  });
  await fan.open();
  // First only the bind-mounted tree: the filesystem's mark, and the helper's fd, are on mnt.
  await fan.applyRuleSet(ruleSetFrom(blockPolicy(mnt, { action: 'Audit' })));
  // Then only a tree on the root mount of the same filesystem.
  await fan.applyRuleSet(ruleSetFrom(blockPolicy(other, { action: 'Audit' })));
  const r = spawnSync('umount', [mnt], { encoding: 'utf8' });
  assert.equal(r.status, 0, `umount of the mount no longer watched: ${r.stderr}`);
  const f = path.join(other, 'f');
  writeFileSync(f, 'still watched\n');
  await expectEvent(log, f, (e) => e.kind === 'change' && e.path === f);
});
