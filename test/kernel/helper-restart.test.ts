// The native helper dies (SIGKILL): the backend reports a helper-restart gap, starts a new
// helper with the same configuration, events flow again, and the audit enabled state the first
// helper changed is still restored when the backend closes.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import {
  auditEnabled,
  blockPolicy,
  EventLog,
  landlockAbi,
  nativeBuilt,
  otherHelpers,
  planFor,
  ruleSetFrom,
  runShell,
  tempTree,
} from '../helpers/sensor.js';
import { FanotifyBackend, LandlockAuditBackend } from '../../src/sensor/index.js';

const ready = IS_ROOT && nativeBuilt() && landlockAbi() >= 7;
const base = ready ? tempTree('bw-restart-') : '/nonexistent';
after(() => {
  if (ready) rmSync(base, { recursive: true, force: true });
});

async function waitUntil(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
}

test('a killed helper is reported, restarted and configured again; audit state restored', async (t) => {
  if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
  const P = path.join(base, 'prot');
  mkdirSync(P);
  writeFileSync(path.join(P, 'f'), 'x\n');
  const alone = otherHelpers().length === 0;
  const before = auditEnabled();
  const rs = ruleSetFrom(blockPolicy(P));
  const audit = new LandlockAuditBackend();
  const fan = new FanotifyBackend();
  const log = new EventLog(audit, fan);
  await audit.open();
  await fan.open();
  await fan.applyRuleSet(rs);
  try {
    for (const b of [audit, fan]) {
      const pid = b.helperPid;
      assert.ok(pid);
      process.kill(pid, 'SIGKILL');
      await waitUntil(() => b.stats().restarts === 1 && b.helperPid !== undefined && b.helperPid !== pid);
      assert.equal(b.stats().restarts, 1, `${b.name} restarted`);
    }
    const gaps = log.events.filter((e) => e.kind === 'gap' && e.cause === 'helper-restart');
    assert.equal(gaps.length, 2, 'one helper-restart gap per backend');
    assert.match(gaps[0].kind === 'gap' ? (gaps[0].detail ?? '') : '', /signal SIGKILL/);
    await new Promise((r) => setTimeout(r, 300));
    // Both restarted helpers work: a denial and a change arrive.
    const m = log.mark();
    const r = await runShell(`echo y >> ${P}/f`, planFor(rs));
    assert.match(r.stderr, /Permission denied/);
    assert.ok(await log.denial((e) => e.path === `${P}/f`, m), 'denial after restart');
    writeFileSync(path.join(P, 'g'), 'z');
    assert.ok(await log.change((e) => e.path === `${P}/g`, m), 'change after restart (marks re-applied)');
  } finally {
    await audit.close();
    await fan.close();
  }
  // Other helpers on this host (a running agent) share the audit state; only judge it alone.
  if (alone && otherHelpers().length === 0)
    assert.equal(auditEnabled(), before, 'audit enabled state restored after a crash and a restart');
  else
    t.diagnostic(`other bulwark-helper processes run (${otherHelpers().join(', ')}): audit state not judged`);
});
