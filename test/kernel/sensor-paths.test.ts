// Path edge cases through the whole kernel layer: relative paths from a cwd inside the tree,
// paths deeper than 32 levels and longer than 1024 bytes, names with spaces and newlines, a
// symlink into the protected tree, and hard links.
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import {
  blockPolicy,
  landlockAbi,
  nativeBuilt,
  openSensors,
  planFor,
  ruleSetFrom,
  runShell,
  tempTree,
  type Sensors,
} from '../helpers/sensor.js';
import type { LandlockPlan } from '../../src/sensor/index.js';

const ready = IS_ROOT && nativeBuilt() && landlockAbi() >= 7;
const base = ready ? tempTree('bw-paths-') : '/nonexistent';
const P = path.join(base, 'prot');
const O = path.join(base, 'out');
// 40 levels of 30-byte names: deeper than 32 levels, longer than 1024 bytes.
const DEEP = path.join(
  P,
  ...Array.from({ length: 40 }, (_, i) => `level-${String(i).padStart(2, '0')}-${'d'.repeat(21)}`),
);
const ODD = 'name with spaces\nand a newline';

let s: Sensors;
let plan: LandlockPlan;

function q(p: string): string {
  return `'${p.replace(/'/g, `'\\''`)}'`;
}

describe('kernel layer path handling', { concurrency: false }, () => {
  before(async () => {
    if (!ready) return;
    mkdirSync(DEEP, { recursive: true });
    mkdirSync(O, { recursive: true });
    writeFileSync(path.join(P, 'f'), 'protected\n');
    writeFileSync(path.join(P, ODD), 'odd\n');
    symlinkSync(P, path.join(O, 'link-into-prot'));
    const rs = ruleSetFrom(blockPolicy(P, { readOnly: true }));
    plan = planFor(rs);
    s = await openSensors(rs);
  });
  after(async () => {
    if (!ready) return;
    await s.close();
    rmSync(base, { recursive: true, force: true });
  });

  test('relative path from a cwd inside the tree: the denial names the full path', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const m = s.log.mark();
    const r = await runShell(
      `touch rel-new; mkdir ./${path.relative(P, DEEP).split('/')[0]}/../rel-dir`,
      plan,
      P,
    );
    assert.notEqual(r.code, 0);
    const d1 = await s.log.denial((e) => e.op === 'create', m);
    const d2 = await s.log.denial((e) => e.op === 'mkdir', m);
    assert.equal(d1?.path, path.join(P, 'rel-new'));
    assert.equal(d2?.path, path.join(P, 'rel-dir'));
  });

  test('relative path outside the sandbox: the change event names the full path', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const m = s.log.mark();
    const r = await runShell('touch rel-out && sleep 0.2', undefined, P);
    assert.equal(r.code, 0, r.stderr);
    const c = await s.log.waitFor(
      (e) => e.kind === 'change' && e.op === 'create' && e.path === path.join(P, 'rel-out'),
      m,
    );
    assert.ok(c);
  });

  test('deeper than 32 levels and longer than 1024 bytes', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    assert.ok(DEEP.length > 1024 && DEEP.split('/').length > 32);
    const m = s.log.mark();
    const target = path.join(DEEP, 'deep-new');
    const r = await runShell(`touch ${q(target)}`, plan);
    assert.match(r.stderr, /Permission denied/);
    const d = await s.log.denial((e) => e.op === 'create', m);
    assert.equal(d?.path, target);
    const m2 = s.log.mark();
    const r2 = await runShell(`touch ${q(target)} && sleep 0.2`, undefined);
    assert.equal(r2.code, 0, r2.stderr);
    const c = await s.log.change((e) => e.op === 'create' && e.path === target, m2);
    assert.ok(c, 'change event with the full deep path');
  });

  test('names with spaces and a newline', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const odd = path.join(P, ODD);
    const m = s.log.mark();
    const r = await runShell(`echo x >> ${q(odd)}; touch ${q(odd + '-new')}`, plan);
    assert.match(r.stderr, /Permission denied/);
    const d = await s.log.denial((e) => e.op === 'write', m);
    assert.equal(d?.path, odd);
    const d2 = await s.log.denial((e) => e.op === 'create', m);
    assert.equal(d2?.path, odd + '-new');
    const m2 = s.log.mark();
    await runShell(`echo y >> ${q(odd)}; sleep 0.2`, undefined);
    const c = await s.log.change((e) => e.op === 'write' && e.path === odd, m2);
    assert.ok(c, 'change event with the odd name intact');
  });

  test('a symlink into the protected tree does not get around it, and events name the real path', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const via = path.join(O, 'link-into-prot', 'via-link');
    const m = s.log.mark();
    const r = await runShell(`touch ${q(via)}; echo x >> ${q(path.join(O, 'link-into-prot', 'f'))}`, plan);
    assert.match(r.stderr, /Permission denied/);
    const d = await s.log.denial((e) => e.op === 'create', m);
    assert.equal(d?.path, path.join(P, 'via-link'));
    const w = await s.log.denial((e) => e.op === 'write', m);
    assert.equal(w?.path, path.join(P, 'f'));
    const m2 = s.log.mark();
    await runShell(`touch ${q(via)}; sleep 0.2`, undefined);
    const c = await s.log.change((e) => e.op === 'create', m2);
    assert.equal(c?.path, path.join(P, 'via-link'));
  });

  test('hard links: the sandbox cannot link a protected file out; links made outside are reported', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const m = s.log.mark();
    const r = await runShell(`ln ${q(path.join(P, 'f'))} ${q(path.join(O, 'stolen'))}`, plan);
    assert.notEqual(r.code, 0);
    const d = await s.log.denial((e) => e.op === 'link', m);
    assert.ok(d);
    assert.equal(d.path, path.join(P, 'f'));
    const m2 = s.log.mark();
    linkSync(path.join(P, 'f'), path.join(P, 'f-hardlink'));
    const c = await s.log.change((e) => e.op === 'link', m2);
    assert.equal(c?.path, path.join(P, 'f-hardlink'));
  });
  test('rm -rf of a subtree that existed before the sensor started, and after a directory rename, is reported in full', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    // The subtree was created in before(): its directories are known only from the start-up walk.
    const m = s.log.mark();
    const top = path.join(P, path.relative(P, DEEP).split('/')[0]);
    const moved = path.join(P, 'moved-deep');
    await runShell(`mv ${q(top)} ${q(moved)} && rm -rf ${q(moved)}`, undefined);
    const rmdirs = async (): Promise<number> =>
      s.log.since(m).filter((e) => e.kind === 'change' && e.op === 'rmdir').length;
    const end = Date.now() + 4000;
    while ((await rmdirs()) < 40 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    const dirs = s.log.since(m).filter((e) => e.kind === 'change' && e.op === 'rmdir');
    assert.equal(dirs.length, 40, 'every level of the deep tree');
    for (const e of dirs)
      assert.ok(
        (e.kind === 'change' && e.path.startsWith(moved + '/')) || (e.kind === 'change' && e.path === moved),
        e.kind === 'change' ? e.path : '',
      );
    assert.ok(
      s.log
        .since(m)
        .some(
          (e) =>
            e.kind === 'change' &&
            e.op === 'unlink' &&
            e.path === path.join(DEEP.replace(top, moved), 'deep-new'),
        ),
    );
  });
});
