// A status answer from the helper follows every change queued before the request, even while the
// helper rests between reads under a steady stream of events (`baseline check --since-last`
// relies on it to know the journal is complete up to the check).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import { blockPolicy, EventLog, nativeBuilt, ruleSetFrom, tempTree } from '../helpers/sensor.js';
import { FanotifyBackend } from '../../src/sensor/index.js';

const ready = IS_ROOT && nativeBuilt();

test('status answers come after the events queued before the request, under a busy writer', async (t) => {
  if (!needKernel(t, ready, 'needs root and the native build')) return;
  const base = tempTree('bw-sync-');
  const P = path.join(base, 'prot');
  mkdirSync(P);
  const fan = new FanotifyBackend();
  const log = new EventLog(fan);
  await fan.open();
  await fan.applyRuleSet(ruleSetFrom(blockPolicy(P, { action: 'Audit' })));
  await new Promise((r) => setTimeout(r, 200));
  // Keeps the helper in its read-and-rest cycle for the whole test.
  const busy = spawn('sh', [
    '-c',
    `while :; do for i in 1 2 3 4 5 6 7 8; do echo x > ${P}/busy$i; done; done`,
  ]);
  t.after(async () => {
    busy.kill();
    await fan.close();
    rmSync(base, { recursive: true, force: true });
  });
  let late = 0;
  const TRIALS = 300;
  for (let i = 0; i < TRIALS; i++) {
    const marker = path.join(P, `marker-${i}`);
    writeFileSync(marker, '');
    // Two requests at once: the second answer follows the second request even when the first
    // new status frame was a periodic one already on its way.
    const before = fan.statusFrames;
    fan.requestStatus();
    fan.requestStatus();
    while (fan.statusFrames < before + 2) await new Promise((r) => setImmediate(r));
    if (!log.events.some((e) => e.kind === 'change' && e.path === marker)) late++;
  }
  assert.equal(late, 0, `${late} of ${TRIALS} markers arrived after the status answer`);
});
