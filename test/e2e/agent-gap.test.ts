// A gap in the event stream (here: the fanotify helper killed) is reported as a SystemEvent alert
// and, since a signed baseline exists, triggers a baseline check at once: a change the agent
// could not have seen is still reported, as BaselineDrift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import { bulwark, dirPolicy, removeDir, startAgent, tempDir, waitForAlerts } from '../helpers/agent.js';

function childPids(pid: number): { pid: number; cmd: string }[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const m = /^\s*(\d+)\s+(.*)$/.exec(l)!;
      return { pid: Number(m[1]), cmd: m[2] };
    });
}

test('an event gap raises a SystemEvent and an immediate baseline check that finds the change', async (t) => {
  if (!needKernel(t, IS_ROOT, 'needs root (fanotify)')) return;
  const dir = tempDir('bw-e2e-gap-');
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, 'a.conf'), 'one\n');
  const key = join(dir, 'keys', 'signing.key');
  const state = join(dir, 'state');
  assert.equal(bulwark(['baseline', 'keygen', '--key', key]).code, 0);
  const init = bulwark(['baseline', 'init', '--state-dir', state, '--key', key, '--no-packages', tree]);
  assert.equal(init.code, 0, init.stderr);
  const agent = await startAgent({
    dir,
    args: ['--set', `baseline.key=${key}`],
    policies: {
      'audit.yaml': dirPolicy({ name: 'tree-audit', dir: tree, action: 'Audit' }),
    },
  });
  t.after(async () => {
    await agent.stop();
    removeDir(dir);
  });
  const helper = childPids(agent.proc.pid!).find((c) => /bulwark-helper run --fanotify/.test(c.cmd));
  assert.ok(helper, 'the fanotify helper runs as a child of the agent');
  process.kill(helper.pid, 'SIGKILL');
  // The content changes while the helper is down or restarting; the baseline check must see it.
  writeFileSync(join(tree, 'a.conf'), 'two\n');
  const alerts = await waitForAlerts(
    agent.stateDir,
    (as) => as.some((a) => a.Type === 'BaselineDrift' && a.Resource === join(tree, 'a.conf')),
    30_000,
  );
  const gap = alerts.find((a) => a.Type === 'SystemEvent' && a.Operation === 'EventGap');
  assert.ok(gap, 'the gap itself is an alert');
  assert.match(gap.Data ?? '', /cause=helper-restart/);
  const drift = alerts.find((a) => a.Type === 'BaselineDrift' && a.Resource === join(tree, 'a.conf'))!;
  assert.equal(drift.Operation, 'File');
  const st = JSON.parse(bulwark(['status', '--state-dir', agent.stateDir, '--json']).stdout);
  assert.equal(st.baselineRechecks.at(-1).result, 'drift');
});
