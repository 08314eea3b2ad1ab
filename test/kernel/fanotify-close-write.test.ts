// Writes the kernel reports only at close: a change through a shared mmap makes no FAN_MODIFY,
// only FAN_CLOSE_WRITE, and must still be reported (as a write, with the acting process); inside a
// Landlock workload under readOnly the open for writing is refused. An ordinary write is reported
// once, whether its close arrives merged with it or in a later read.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
  settle,
  tempTree,
  type Sensors,
} from '../helpers/sensor.js';
import type { LandlockPlan, SensorEvent } from '../../src/sensor/index.js';

const ready = IS_ROOT && nativeBuilt() && landlockAbi() >= 7;
const base = ready ? tempTree('bw-closewrite-') : '/nonexistent';
const P = path.join(base, 'prot');
const BIN = path.join(base, 'mmap-write');

let s: Sensors;
let plan: LandlockPlan;

function writesTo(file: string, evs: SensorEvent[]): SensorEvent[] {
  return evs.filter((e) => e.kind === 'change' && e.op === 'write' && e.path === file);
}

describe('close-write without a reported write', { concurrency: false }, () => {
  before(async () => {
    if (!ready) return;
    mkdirSync(P, { recursive: true });
    execFileSync('cc', ['-O2', '-o', BIN, path.resolve('test/progs/mmap-write.c')]);
    const rs = ruleSetFrom(blockPolicy(P, { readOnly: true }));
    plan = planFor(rs);
    s = await openSensors(rs);
  });
  after(async () => {
    if (!ready) return;
    await s.close();
    rmSync(base, { recursive: true, force: true });
  });

  test('a change through a shared mmap is reported as a write by the acting process', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const f = path.join(P, 'mapped');
    writeFileSync(f, 'protected\n');
    await settle(s.log, P);
    const m = s.log.mark();
    const r = await runShell(`${BIN} ${f} 300`, undefined);
    assert.equal(r.code, 0, r.stderr);
    const ev = await s.log.change((e) => e.op === 'write' && e.path === f, m);
    assert.ok(ev, `a write event: ${JSON.stringify(s.log.since(m))}`);
    assert.equal(ev.proc?.exe, BIN);
    await settle(s.log, P);
    assert.equal(writesTo(f, s.log.since(m)).length, 1, 'exactly one write');
  });

  test('inside a readOnly workload the open for the mmap write is refused', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const f = path.join(P, 'mapped2');
    writeFileSync(f, 'protected\n');
    await settle(s.log, P);
    const m = s.log.mark();
    const r = await runShell(`${BIN} ${f}`, plan);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Permission denied/);
    const d = await s.log.denial((e) => e.path === f, m);
    assert.ok(d, 'a denial');
    assert.equal(d.op, 'write');
    await settle(s.log, P);
    assert.deepEqual(writesTo(f, s.log.since(m)), [], 'nothing changed, no write reported');
  });

  test('a write and its close are one write, merged or read apart', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const merged = path.join(P, 'merged');
    const apart = path.join(P, 'apart');
    writeFileSync(merged, 'a\n');
    writeFileSync(apart, 'a\n');
    await settle(s.log, P);
    const m = s.log.mark();
    // The close right after the write (merged while queued), and a close 300 ms after the write
    // (the write's event is read first, the close arrives alone).
    const r = await runShell(
      `echo x >> ${merged}; exec 3>>${apart}; echo y >&3; sleep 0.3; exec 3>&-; sleep 0.2`,
      undefined,
    );
    assert.equal(r.code, 0, r.stderr);
    await settle(s.log, P);
    const evs = s.log.since(m);
    assert.equal(writesTo(merged, evs).length, 1, JSON.stringify(writesTo(merged, evs)));
    assert.equal(writesTo(apart, evs).length, 1, JSON.stringify(writesTo(apart, evs)));
  });
});
