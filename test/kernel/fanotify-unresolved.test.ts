// Changes whose other side cannot be named when the event is read: a file moved out of a watched
// tree into a directory that is deleted at once, a file moved in from a directory whose name ends
// in " (deleted)", and a directory made, used and removed inside the tree before its events are
// read. None may vanish: each is reported under the watched tree.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import {
  blockPolicy,
  landlockAbi,
  nativeBuilt,
  openSensors,
  ruleSetFrom,
  runShell,
  settle,
  tempTree,
  type Sensors,
} from '../helpers/sensor.js';

const ready = IS_ROOT && nativeBuilt() && landlockAbi() >= 7;
const base = ready ? tempTree('bw-unresolved-') : '/nonexistent';
const P = path.join(base, 'prot');
const O = path.join(base, 'out');
const BIN = path.join(base, 'rename-away');

let s: Sensors;

describe('events whose other side is gone', { concurrency: false }, () => {
  before(async () => {
    if (!ready) return;
    mkdirSync(P, { recursive: true });
    mkdirSync(O, { recursive: true });
    execFileSync('cc', ['-O2', '-o', BIN, path.resolve('test/progs/rename-away.c')]);
    s = await openSensors(ruleSetFrom(blockPolicy(P, { readOnly: true, action: 'Audit' })));
  });
  after(async () => {
    if (!ready) return;
    await s.close();
    rmSync(base, { recursive: true, force: true });
  });

  test('a file moved out into a directory deleted at once is reported as leaving the tree', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const f = path.join(P, 'victim');
    writeFileSync(f, 'x\n');
    await settle(s.log, P);
    const m = s.log.mark();
    const r = await runShell(`${BIN} ${f} ${O}/gone`, undefined);
    assert.equal(r.code, 0, r.stderr);
    const ev = await s.log.change((e) => e.path === f && (e.op === 'unlink' || e.op === 'rename'), m);
    assert.ok(ev, `the file's departure is reported: ${JSON.stringify(s.log.since(m))}`);
  });

  test('a file moved in from a directory named "... (deleted)" is reported', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const odd = path.join(O, 'x (deleted)');
    mkdirSync(odd);
    writeFileSync(path.join(odd, 'sudo'), 'trojan\n');
    await settle(s.log, P);
    const m = s.log.mark();
    const to = path.join(P, 'sudo');
    renameSync(path.join(odd, 'sudo'), to);
    const ev = await s.log.change((e) => e.path === to || e.secondPath === to, m);
    assert.ok(ev, `the arrival is reported: ${JSON.stringify(s.log.since(m))}`);
  });

  test('a directory made, written and removed inside the tree before its events are read', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const f = path.join(P, 'victim2');
    writeFileSync(f, 'x\n');
    await settle(s.log, P);
    const m = s.log.mark();
    const d = path.join(P, 'tmpdir');
    const r = await runShell(`${BIN} ${f} ${d}`, undefined);
    assert.equal(r.code, 0, r.stderr);
    await settle(s.log, P);
    const evs = s.log.since(m);
    assert.ok(
      evs.some((e) => e.kind === 'change' && (e.path === f || e.secondPath === `${d}/moved`)),
      `the move is reported: ${JSON.stringify(evs)}`,
    );
    assert.ok(
      evs.some((e) => e.kind === 'change' && e.op === 'unlink' && e.path === `${d}/moved`),
      `the delete inside the removed directory is reported: ${JSON.stringify(evs)}`,
    );
  });
});
