// Differential test: thousands of generated (policy, operation) cases; the kernel's verdict under
// the BPF-LSM enforcer must equal decide() for every one. One boot; each scenario is an atomic
// rule-set swap. BULWARK_DIFF_SEED picks another seed (the failing seed is printed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { needKernel } from '../helpers/kernel.js';
import {
  boot,
  bootProblems,
  buildGuestTools,
  makeInitrd,
  REPO,
  vmAvailable,
  type GuestFile,
} from './harness.js';
import { scenarios } from './generate.js';
import { denies, guestPart, LOADER, mismatches, OPSRUN, outcomeOf, plan } from './scenario.js';

const SEED = Number(process.env.BULWARK_DIFF_SEED ?? 20261128);
const SCENARIOS = Number(process.env.BULWARK_DIFF_SCENARIOS ?? 30);
const CASES = Number(process.env.BULWARK_DIFF_CASES ?? 120);

test(`differential: kernel verdict equals decide() (seed ${SEED})`, async (t) => {
  const avail = vmAvailable();
  if (!needKernel(t, avail.ok, avail.ok ? '' : avail.reason) || !avail.ok) return;
  const vm = avail.vm;
  const tools = buildGuestTools(vm);
  const planned = scenarios(SEED, SCENARIOS, CASES).map(plan);
  for (const p of planned) assert.deepEqual(p.plan.unsupported, [], `${p.scenario.name}: unsupported`);
  const files: GuestFile[] = [
    { guest: LOADER, from: tools.loader, mode: 0o755 },
    { guest: OPSRUN, from: tools.opsrun, mode: 0o755 },
    { guest: '/usr/bin/cat', from: tools.opsrun, mode: 0o755 },
    { guest: '/opt/src/other', from: tools.opsrun, mode: 0o755 },
  ];
  const script = [`${LOADER} load || echo "@@CHECK FAIL load"`];
  for (const p of planned) {
    const g = guestPart(p);
    files.push(...g.files);
    script.push(g.script);
  }
  script.push(`${LOADER} release`, 'echo "@@CHECK PASS differential-ran"');
  files.push({ guest: '/tests/diff.sh', content: `${script.join('\n')}\n`, mode: 0o755 });
  const initrd = makeInitrd(vm, files, path.join(REPO, 'build/vm/initrd-diff.gz'));
  const r = await boot({
    vm,
    initrd,
    tests: ['diff'],
    timeoutMs: 400_000,
    stream: process.env.BULWARK_VM_QUIET !== '1',
  });
  assert.deepEqual(bootProblems(r), [], 'the guest ran cleanly');
  let total = 0;
  let denied = 0;
  let other = 0;
  const wrong: string[] = [];
  for (const p of planned) {
    const o = outcomeOf(p, r);
    assert.ok(!o.verdicts.includes('?'), `${p.scenario.name}: every case ran`);
    total += o.verdicts.length;
    denied += p.expected.filter(denies).length;
    other += o.x.length;
    wrong.push(...mismatches(p, o, 5));
  }
  t.diagnostic(
    `${total} cases in ${planned.length} rule sets, ${denied} denied by decide(), ${other} failed for other reasons (EPERM, ENOTEMPTY...)`,
  );
  assert.deepEqual(wrong, [], `kernel and decide() disagree (seed ${SEED})`);
  assert.ok(total >= 1000 || SCENARIOS * CASES < 1000);
});
