// Two watched trees on one filesystem, one reached through a bind mount. The helper resolves a
// directory it has not cached (here: one moved into the tree, whose cache entries a directory
// rename drops) through the filesystem's first marked mount; through that mount the directory
// lies outside every watched tree, so without a second try through the bind mount the change
// was filtered out and lost without a gap.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import { blockPolicy, EventLog, nativeBuilt, ruleSetFrom, tempTree } from '../helpers/sensor.js';
import { FanotifyBackend } from '../../src/sensor/index.js';

const ready = IS_ROOT && nativeBuilt();

test('a change in a directory moved into a bind-mounted watched tree is named through that mount', async (t) => {
  if (!needKernel(t, ready, 'needs root (bind mounts, fanotify) and the native build')) return;
  const base = tempTree('bw-bind-');
  const src = path.join(base, 'src');
  const other = path.join(base, 'other');
  const mnt = path.join(base, 'mnt');
  const outside = path.join(base, 'outside');
  for (const d of [src, other, mnt, path.join(outside, 'x', 'sub')]) mkdirSync(d, { recursive: true });
  execFileSync('mount', ['--bind', src, mnt]);
  const fan = new FanotifyBackend();
  const log = new EventLog(fan);
  t.after(async () => {
    await fan.close();
    execFileSync('umount', [mnt]);
    rmSync(base, { recursive: true, force: true });
  });
  await fan.open();
  // "a-other" sorts first: its tree, on the root mount, is the filesystem's first mark.
  const policies = [
    blockPolicy(other, { action: 'Audit' }).replace('name: kernel-test', 'name: a-other'),
    blockPolicy(mnt, { action: 'Audit' }).replace('name: kernel-test', 'name: z-mnt'),
  ];
  await fan.applyRuleSet(ruleSetFrom(policies.join('---\n')));
  assert.equal(fan.trees.marks[0], other, 'the root mount is marked first');
  await new Promise((r) => setTimeout(r, 300));

  // Moved in through the root mount (a rename cannot cross mounts), written through the bind.
  renameSync(path.join(outside, 'x'), path.join(src, 'x'));
  await new Promise((r) => setTimeout(r, 50));
  const target = path.join(mnt, 'x', 'sub', 'f');
  writeFileSync(target, 'written in a directory the helper had not cached\n');
  const deadline = Date.now() + 5000;
  while (!log.events.some((e) => e.kind === 'change' && e.path === target) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const names = log.events.map((e) => (e.kind === 'change' ? e.path : e.kind));
  assert.ok(
    log.events.some((e) => e.kind === 'change' && e.path === target),
    `no change reported for ${target}: ${JSON.stringify(names)}`,
  );
  assert.ok(!log.events.some((e) => e.kind === 'gap'), 'no gap');
});

test('a rename into a bind-mounted watched tree names its destination through that mount', async (t) => {
  if (!needKernel(t, ready, 'needs root (bind mounts, fanotify) and the native build')) return;
  const base = tempTree('bw-bind-mv-');
  const src = path.join(base, 'src');
  const other = path.join(base, 'other');
  const mnt = path.join(base, 'mnt');
  const outside = path.join(base, 'outside');
  for (const d of [src, other, mnt, path.join(outside, 'd')]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(outside, 'f'), 'a file\n');
  execFileSync('mount', ['--bind', src, mnt]);
  const fan = new FanotifyBackend();
  const log = new EventLog(fan);
  t.after(async () => {
    await fan.close();
    execFileSync('umount', [mnt]);
    rmSync(base, { recursive: true, force: true });
  });
  await fan.open();
  const policies = [
    blockPolicy(other, { action: 'Audit' }).replace('name: kernel-test', 'name: a-other'),
    blockPolicy(mnt, { action: 'Audit' }).replace('name: kernel-test', 'name: z-mnt'),
  ];
  await fan.applyRuleSet(ruleSetFrom(policies.join('---\n')));
  assert.equal(fan.trees.marks[0], other, 'the root mount is marked first');
  await new Promise((r) => setTimeout(r, 300));

  // A file and a directory moved in from outside every watched tree (through the root mount: a
  // rename cannot cross mounts). The journal and the rules see the destination, under mnt.
  renameSync(path.join(outside, 'f'), path.join(src, 'f'));
  renameSync(path.join(outside, 'd'), path.join(src, 'd'));
  const want = [path.join(mnt, 'f'), path.join(mnt, 'd')];
  const deadline = Date.now() + 5000;
  const renames = () =>
    log.events.filter((e) => e.kind === 'change' && e.op === 'rename') as {
      path: string;
      secondPath?: string;
    }[];
  while (want.some((w) => !renames().some((e) => e.secondPath === w)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  for (const w of want)
    assert.ok(
      renames().some((e) => e.secondPath === w),
      `no rename to ${w}: ${JSON.stringify(renames().map((e) => [e.path, e.secondPath]))}`,
    );
  assert.ok(!log.events.some((e) => e.kind === 'gap'), 'no gap');
});

test('watched trees reached through more than eight bind mounts of one filesystem are all named', async (t) => {
  if (!needKernel(t, ready, 'needs root (bind mounts, fanotify) and the native build')) return;
  const base = tempTree('bw-bind-many-');
  const other = path.join(base, 'other');
  const outside = path.join(base, 'outside');
  const n = 10;
  const srcs = Array.from({ length: n }, (_, i) => path.join(base, `src${i}`));
  const mnts = Array.from({ length: n }, (_, i) => path.join(base, `mnt${i}`));
  for (const d of [other, ...srcs, ...mnts, path.join(outside, 'x', 'sub')])
    mkdirSync(d, { recursive: true });
  const mounted: string[] = [];
  const fan = new FanotifyBackend();
  const log = new EventLog(fan);
  t.after(async () => {
    await fan.close();
    for (const m of mounted.reverse()) execFileSync('umount', [m]);
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

  // Into the last bind-mounted tree: its mount is the tenth of the filesystem.
  const last = n - 1;
  renameSync(path.join(outside, 'x'), path.join(srcs[last], 'x'));
  await new Promise((r) => setTimeout(r, 50));
  const target = path.join(mnts[last], 'x', 'sub', 'f');
  writeFileSync(target, 'written in a directory the helper had not cached\n');
  const deadline = Date.now() + 5000;
  while (!log.events.some((e) => e.kind === 'change' && e.path === target) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const names = log.events.map((e) => (e.kind === 'change' ? e.path : e.kind));
  assert.ok(
    log.events.some((e) => e.kind === 'change' && e.path === target),
    `no change reported for ${target}: ${JSON.stringify(names)}`,
  );
});
