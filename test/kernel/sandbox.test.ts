// The Landlock launcher: cgroup join, the status it reports, setup failures, and the merged-/usr
// case (a rule written through a symlink protects the real tree; a sibling symlink grants nothing).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import {
  blockPolicy,
  landlockAbi,
  nativeBuilt,
  planFor,
  ruleSetFrom,
  runShell,
  tempTree,
} from '../helpers/sensor.js';
import { spawnSandboxed } from '../../src/sensor/index.js';
import { isBulwarkError } from '../../src/common/errors.js';

const ready = IS_ROOT && nativeBuilt() && landlockAbi() >= 1;
const base = ready ? tempTree('bw-sandbox-') : '/nonexistent';
const CG2 = '/sys/fs/cgroup/unified';
after(() => {
  if (ready) rmSync(base, { recursive: true, force: true });
});

test('the launcher joins the given cgroup before restricting, and reports what it applied', async (t) => {
  if (
    !needKernel(
      t,
      ready && existsSync(`${CG2}/cgroup.procs`),
      'needs root, native build, Landlock and cgroup2',
    )
  )
    return;
  const P = path.join(base, 'cg-prot');
  mkdirSync(P);
  symlinkSync('/nonexistent-target', path.join(base, 'dangling'));
  const cg = path.join(CG2, `bw-sandbox-test-${process.pid}`);
  mkdirSync(cg);
  try {
    const plan = planFor(ruleSetFrom(blockPolicy(P)));
    const sp = spawnSandboxed(plan, ['cat', '/proc/self/cgroup'], { cgroup: cg, stdio: 'pipe' });
    let out = '';
    sp.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise((r) => sp.child.on('close', r)); // before awaiting: it may come first
    const st = await sp.applied;
    await closed;
    assert.equal(st.abi, landlockAbi());
    assert.equal(
      st.rules,
      plan.grants.length - plan.grants.filter((g) => st.skipped.some((s) => s.path === g.path)).length,
    );
    assert.equal(st.pid, sp.child.pid);
    assert.match(out, new RegExp(`^0::/${path.basename(cg)}$`, 'm'));
  } finally {
    rmdirSync(cg);
  }
});

test('setup failures reject with BW3004 and exit 126; a missing program exits 127', async (t) => {
  if (!needKernel(t, ready, 'needs root, native build and Landlock')) return;
  const plan = planFor(ruleSetFrom(blockPolicy(path.join(base, 'nothing'))));
  const bad = spawnSandboxed(plan, ['true'], { cgroup: '/nonexistent-cgroup', stdio: 'pipe' });
  await assert.rejects(
    bad.applied,
    (e: unknown) => isBulwarkError(e) && e.code === 'BW3004' && /cannot join cgroup/.test(e.message),
  );
  const missing = spawnSandboxed(plan, ['/nonexistent-program'], { stdio: 'pipe' });
  const closed = new Promise((r) => missing.child.on('close', r));
  await missing.applied;
  const code = await closed;
  assert.equal(code, 127);
});

test('merged-/usr case: a rule written through a symlink protects the real tree; sibling symlinks grant nothing', async (t) => {
  if (!needKernel(t, ready, 'needs root, native build and Landlock')) return;
  const usr = path.join(base, 'usr');
  mkdirSync(path.join(usr, 'sbin'), { recursive: true });
  writeFileSync(path.join(usr, 'sbin', 'tool'), 'x\n');
  symlinkSync('usr/sbin', path.join(base, 'sbin')); // like /sbin -> usr/sbin
  const plan = planFor(ruleSetFrom(blockPolicy(path.join(base, 'sbin'))));
  assert.ok(plan.grants.every((g) => !g.path.startsWith(path.join(usr, 'sbin'))));
  assert.ok(
    !plan.grants.some((g) => g.path === path.join(base, 'sbin')),
    'the symlink itself is not granted',
  );
  for (const via of [path.join(base, 'sbin', 'new'), path.join(usr, 'sbin', 'new2')]) {
    const r = await runShell(`touch ${via}`, plan);
    assert.match(r.stderr, /Permission denied/, via);
  }
  const cd = await runShell(`cd ${path.join(base, 'sbin')} && touch viacwd`, plan);
  assert.match(cd.stderr, /Permission denied/);
  const ok = await runShell(`echo y > ${path.join(base, 'allowed-sibling-file')}`, plan);
  assert.match(ok.stderr, /Permission denied/, 'creating directly in an ancestor is refused (broader)');
  mkdirSync(path.join(base, 'sib'), { recursive: true });
  const plan2 = planFor(ruleSetFrom(blockPolicy(path.join(base, 'sbin'))));
  const ok2 = await runShell(
    `echo y > ${path.join(base, 'sib', 'f')} && cat ${path.join(usr, 'sbin', 'tool')}`,
    plan2,
  );
  assert.equal(ok2.code, 0, ok2.stderr);
  assert.equal(readFileSync(path.join(base, 'sib', 'f'), 'utf8'), 'y\n');
});
