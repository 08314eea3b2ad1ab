// Flood: a writer creates and removes FLOOD_N files (default 1,000,000) under an Audit policy
// while the consumer is deliberately slow (it blocks the event loop a while on every batch).
// Every change is either delivered or inside a reported gap: the writer numbers its files, so a
// missing number must lie between two delivered events with a gap event between them.
// BULWARK_FLOOD_N=200000 scales it down.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import { nativeBuilt, ruleSetFrom, blockPolicy } from '../helpers/sensor.js';
import { FanotifyBackend, type SensorEvent } from '../../src/sensor/index.js';

const N = Number(process.env.BULWARK_FLOOD_N ?? 1_000_000);
const SLOW_MS = Number(process.env.BULWARK_FLOOD_SLOW_MS ?? 2);
const ready = IS_ROOT && nativeBuilt();
const dir = ready ? mkdtempSync('/dev/shm/bw-flood-') : '/nonexistent';
const bin = path.join(dir, 'flood');

after(() => {
  if (ready) rmSync(dir, { recursive: true, force: true });
});

/**
 * Checks the stream against the gap contract (docs/kernel.md): every change lost since the
 * previous gap event happened before the next gap event. Returns counts; throws when numbers are
 * missing with no gap event after them.
 */
export function accountFor(
  events: SensorEvent[],
  n: number,
  tree: string,
): { delivered: number; inGaps: number; gaps: number } {
  let last = -1;
  let uncovered: [number, number][] = [];
  let gapAfterLast = false;
  let delivered = 0;
  let inGaps = 0;
  let gaps = 0;
  const prefix = `${tree}/f`;
  for (const e of events) {
    if (e.kind === 'gap') {
      gaps++;
      uncovered = [];
      gapAfterLast = true;
      continue;
    }
    if (e.kind !== 'change' || e.op !== 'create' || !e.path.startsWith(prefix)) continue;
    const seq = Number(e.path.slice(prefix.length));
    assert.ok(seq > last, `files reported out of order: ${seq} after ${last}`);
    if (seq > last + 1) {
      uncovered.push([last + 1, seq - 1]);
      inGaps += seq - last - 1;
    }
    delivered++;
    last = seq;
    gapAfterLast = false;
  }
  if (last < n - 1) {
    if (!gapAfterLast) uncovered.push([last + 1, n - 1]);
    inGaps += n - 1 - last;
  }
  assert.deepEqual(
    uncovered.slice(0, 5),
    [],
    `files missing with no gap event reported after them (${uncovered.length} ranges, ${gaps} gaps, last ${last}, tail ${JSON.stringify(events.slice(-4).map((e) => (e.kind === 'change' ? [e.op, e.path.slice(-9), e.mask] : [e.kind])))})`,
  );
  return { delivered, inGaps, gaps };
}

test(
  `flood of ${N} creates with a slowed consumer: every change delivered or inside a gap`,
  { timeout: 600_000 },
  async (t) => {
    if (!needKernel(t, ready, 'needs root and the native build')) return;
    execFileSync('cc', ['-O2', '-o', bin, path.resolve('test/progs/flood.c')]);
    const tree = path.join(dir, 'tree');
    execFileSync('mkdir', [tree]);
    const logs: string[] = [];
    const fan = new FanotifyBackend({ onLog: (_l, text) => logs.push(text) });
    const events: SensorEvent[] = [];
    const sab = new Int32Array(new SharedArrayBuffer(4));
    let batches = 0;
    fan.onBatch((evs) => {
      for (const e of evs) events.push(e);
      // The slowed consumer: 2 ms of blocking per batch (the first batches at full speed).
      if (++batches > 20 && SLOW_MS > 0) Atomics.wait(sab, 0, 0, SLOW_MS);
    });
    await fan.open();
    await fan.applyRuleSet(ruleSetFrom(blockPolicy(tree, { readOnly: false, action: 'Audit' })));
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      const w = spawn(bin, [tree, String(N)], { stdio: 'inherit' });
      w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`flood exited ${code}`))));
    });
    const writerMs = Date.now() - t0;
    // Drain: wait until no event arrived for 1 s.
    let seen = -1;
    while (seen !== events.length) {
      seen = events.length;
      await new Promise((r) => setTimeout(r, 1000));
    }
    fan.requestStatus();
    await new Promise((r) => setTimeout(r, 300));
    const status = fan.lastStatus;
    await fan.close();
    t.diagnostic(
      `helper status ${JSON.stringify(status, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
    );
    t.diagnostic(logs.join('; '));
    const r = accountFor(events, N, tree);
    t.diagnostic(
      `N=${N} writer ${writerMs} ms, total ${Date.now() - t0} ms; delivered ${r.delivered}, in ${r.gaps} gaps ${r.inGaps}; ` +
        `stats ${JSON.stringify(fan.stats())}`,
    );
    assert.equal(r.delivered + r.inGaps, N, 'every file accounted for');
    assert.ok(r.gaps > 0, 'the slowed consumer made the queue overflow (the gap path was exercised)');
    assert.ok(r.delivered > 0);
  },
);
