// A burst of 20,000 Landlock denials from one sandboxed shell: every denial is delivered or
// counted in an `audit-lost` gap (the kernel's audit `lost` counter), and delivered denials name
// the full path of the file that was refused.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
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
import { LandlockAuditBackend, type SensorEvent } from '../../src/sensor/index.js';

const N = 20_000;
const ready = IS_ROOT && nativeBuilt() && landlockAbi() >= 7;
const base = ready ? tempTree('bw-auditflood-') : '/nonexistent';
after(() => {
  if (ready) rmSync(base, { recursive: true, force: true });
});

test(
  `${N} denials in a burst: delivered or counted lost, with full paths`,
  { timeout: 120_000 },
  async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const P = path.join(base, 'prot');
    mkdirSync(P);
    const plan = planFor(ruleSetFrom(blockPolicy(P)));
    const logs: string[] = [];
    const audit = new LandlockAuditBackend({ onLog: (_l, text) => logs.push(text) });
    const events: SensorEvent[] = [];
    audit.onBatch((evs) => events.push(...evs));
    await audit.open();
    try {
      // `true > f$i` is refused each time (a redirection on a regular builtin does not end the shell).
      const r = await runShell(
        `cd ${P}; i=0; while [ $i -lt ${N} ]; do true > f$i 2>/dev/null; i=$((i+1)); done`,
        plan,
      );
      assert.equal(r.code, 0, r.stderr);
      // The lost counter is polled every second; wait for two polls after the last event.
      let seen = -1;
      while (seen !== events.length) {
        seen = events.length;
        await new Promise((res) => setTimeout(res, 2500));
      }
    } finally {
      await audit.close();
    }
    const denials = events.filter((e) => e.kind === 'denial' && e.path.startsWith(P));
    const lost = events.reduce(
      (n, e) => n + (e.kind === 'gap' && e.cause === 'audit-lost' ? (e.lost ?? 0) : 0),
      0,
    );
    const parentOnly = denials.filter((e) => e.kind === 'denial' && e.pathIsParent).length;
    t.diagnostic(logs.join('; '));
    const gaps = events.filter((e) => e.kind === 'gap').length;
    t.diagnostic(
      `delivered ${denials.length}, lost records ${lost}, gap events ${gaps}, parent-only paths ${parentOnly}`,
    );
    assert.ok(denials.length <= N);
    assert.ok(
      denials.length + lost >= N,
      `${N - denials.length - lost} denials neither delivered nor counted lost`,
    );
    const names = new Set(denials.map((e) => e.kind === 'denial' && e.path));
    let last = -1;
    for (const e of denials) {
      if (e.kind !== 'denial' || e.pathIsParent) continue;
      assert.match(e.path, new RegExp(`^${P}/f\\d+$`));
      assert.equal(e.op, 'create');
      // The shell refuses f0, f1, ... in order: names must come in that order, never repeated.
      const i = Number(e.path.slice(P.length + 2));
      assert.ok(i > last, `${e.path} after f${last}`);
      last = i;
    }
    assert.ok(names.size >= denials.length - parentOnly, 'each delivered denial names its own file');
    // A denial whose SYSCALL record was lost cannot claim its caught arguments (and the helper
    // never gives them to a later call): only a burst without any gap must name (almost) all.
    if (gaps === 0)
      assert.ok(
        parentOnly <= denials.length * 0.05,
        `${parentOnly} of ${denials.length} denials without the file name`,
      );
  },
);
