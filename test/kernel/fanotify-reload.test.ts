// Applying a new rule set while files change: a filesystem watched before and after is never
// unmarked in between, so no change made during the re-apply is missing.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import { blockPolicy, EventLog, nativeBuilt, ruleSetFrom, tempTree } from '../helpers/sensor.js';
import { FanotifyBackend } from '../../src/sensor/index.js';

const ready = IS_ROOT && nativeBuilt();
const N = 30_000;

test(
  're-applying rule sets during a flood of creates loses none of them',
  { timeout: 120_000 },
  async (t) => {
    if (!needKernel(t, ready, 'needs root and the native build')) return;
    const base = tempTree('bw-reload-');
    const P = path.join(base, 'prot');
    const Q = path.join(base, 'other');
    mkdirSync(P);
    mkdirSync(Q);
    const bin = path.join(base, 'flood');
    execFileSync('cc', ['-O2', '-o', bin, path.resolve('test/progs/flood.c')]);
    const fan = new FanotifyBackend({ unlimitedQueue: true });
    const log = new EventLog(fan);
    t.after(async () => {
      await fan.close();
      rmSync(base, { recursive: true, force: true });
    });
    await fan.open();
    const a = ruleSetFrom(blockPolicy(P, { action: 'Audit' }));
    const b = ruleSetFrom(
      `${blockPolicy(P, { action: 'Audit' })}\n---\n${blockPolicy(Q, { action: 'Audit' }).replace('name: kernel-test', 'name: second')}`,
    );
    await fan.applyRuleSet(a);
    await new Promise((r) => setTimeout(r, 200));
    const writer = spawn(bin, [P, String(N)], { stdio: 'inherit' });
    const done = new Promise<number | null>((r) => writer.on('exit', r));
    let applies = 0;
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      await fan.applyRuleSet(applies % 2 ? a : b);
      applies++;
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(await done, 0);
    // Drain: no new event for 1 s.
    for (let seen = -1; seen !== log.events.length;) {
      seen = log.events.length;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const created = new Set<string>();
    for (const e of log.events) if (e.kind === 'change' && e.op === 'create') created.add(e.path);
    const gaps = log.events.filter((e) => e.kind === 'gap').length;
    let missing = 0;
    for (let i = 0; i < N; i++) if (!created.has(path.join(P, `f${String(i).padStart(7, '0')}`))) missing++;
    assert.ok(applies >= 20, `rule sets re-applied ${applies} times during the flood`);
    assert.equal(gaps, 0, 'no gap (unlimited queue)');
    assert.equal(missing, 0, `${missing} of ${N} creates missing after ${applies} re-applies`);
  },
);
