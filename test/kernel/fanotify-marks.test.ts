// A filesystem the helper cannot mark (FID marks fail on /proc) must not be reported as watched:
// the change journal's list of watched trees is what `baseline check --since-last` trusts, so a
// tree listed there without a mark would let a check skip changes it never saw. The list is
// checked against the kernel's own view of the marks (/proc/PID/fdinfo of the helper).
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import { blockPolicy, nativeBuilt, ruleSetFrom, tempTree } from '../helpers/sensor.js';
import { FanotifyBackend, markedDevices } from '../../src/sensor/index.js';
import { JournalHook } from '../../src/app/journal-hook.js';
import type { AgentJournal } from '../../src/baseline/since-last.js';

const ready = IS_ROOT && nativeBuilt();

test('a tree whose filesystem cannot be marked is not journalled as watched', async (t) => {
  if (!needKernel(t, ready, 'needs root and the native build')) return;
  const base = tempTree('bw-marks-');
  const P = path.join(base, 'prot');
  const state = path.join(base, 'state');
  mkdirSync(P);
  mkdirSync(state);
  const fan = new FanotifyBackend();
  const warnings: unknown[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => void warnings.push(JSON.parse(s)) });
  const hook = new JournalHook(state, () => [fan], log);
  t.after(async () => {
    await fan.close();
    rmSync(base, { recursive: true, force: true });
  });
  await fan.open();
  const yaml = [
    blockPolicy(P, { action: 'Audit' }),
    blockPolicy('/proc/sys/kernel/', { action: 'Audit' }).replace('name: kernel-test', 'name: on-proc'),
  ];
  const rs = ruleSetFrom(yaml.join('---\n'));
  await fan.applyRuleSet(rs);
  await hook.rulesApplied();

  // The kernel's view: the temporary tree's filesystem is marked, /proc's is not.
  const devs = markedDevices(fan.helperPid as number);
  assert.ok(devs.has(statSync(P, { bigint: true }).dev), 'the tree under test is on a marked filesystem');
  assert.ok(!devs.has(statSync('/proc', { bigint: true }).dev), '/proc cannot carry a FID mark');

  const r = await hook.onControl({ op: 'journal' });
  assert.ok(r.ok && 'journal' in r, JSON.stringify(r));
  const j = (r as unknown as { journal: AgentJournal }).journal;
  assert.ok(j.ready);
  assert.ok(j.trees.includes(P), `watched: ${j.trees.join(', ')}`);
  assert.ok(!j.trees.some((x) => x.startsWith('/proc')), `watched: ${j.trees.join(', ')}`);
  assert.ok(
    warnings.some((w) => JSON.stringify(w).includes('/proc/sys/kernel')),
    'the unmarked tree is named in a warning',
  );
});
