// The agent's HTTP API on a running agent: /healthz, /readyz and /metrics reflect its rule set,
// its sensor and the events it decided.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import { landlockAbi } from '../../src/sensor/index.js';
import { bulwark, dirPolicy, removeDir, runWorkload, sleep, startAgent, tempDir } from '../helpers/agent.js';

test('metrics, health and readiness of a running agent', async (t) => {
  if (!needKernel(t, IS_ROOT && landlockAbi() >= 7, 'needs root and Landlock ABI 7')) return;
  const dir = tempDir('bw-e2e-metrics-');
  const prot = join(dir, 'prot');
  mkdirSync(prot);
  const port = 20000 + (process.pid % 20000);
  const agent = await startAgent({
    dir,
    args: ['--set', 'api.http.enabled=true', '--set', `api.http.listen=127.0.0.1:${port}`],
    policies: {
      'p.yaml': dirPolicy({ name: 'metrics-block', namespace: 'm', app: 'm', dir: prot, action: 'Block' }),
    },
  });
  t.after(async () => {
    await agent.stop();
    removeDir(dir);
  });
  const base = `http://127.0.0.1:${port}`;
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  const r = await runWorkload(agent.stateDir, ['app=m'], ['sh', '-c', `touch ${prot}/x`], { namespace: 'm' });
  assert.notEqual(r.code, 0);
  let text = '';
  for (let i = 0; i < 50; i++) {
    text = await (await fetch(`${base}/metrics`)).text();
    if (/bulwark_events_total\{[^}]*verdict="block"[^}]*\} [1-9]/.test(text)) break;
    await sleep(200);
  }
  assert.match(text, /bulwark_events_total\{[^}]*verdict="block"[^}]*\} [1-9]/);
  assert.match(text, /bulwark_ruleset_rules 1\b/);
  assert.match(text, /bulwark_ruleset_policies 1\b/);
  assert.match(text, /bulwark_sensor_info\{[^}]*landlock[^}]*\} 1/);
  assert.match(text, /bulwark_queue_depth\{[^}]*sink:store[^}]*\} \d+/);
  // The alert reached the store: its age at commit is in the histogram and in `bulwark status`.
  for (let i = 0; i < 50 && !/bulwark_alert_delivery_seconds_count\{sink="store"\} [1-9]/.test(text); i++) {
    await sleep(200);
    text = await (await fetch(`${base}/metrics`)).text();
  }
  assert.match(text, /bulwark_alert_delivery_seconds_count\{sink="store"\} [1-9]/);
  const st = JSON.parse(bulwark(['status', '--state-dir', agent.stateDir, '--json']).stdout) as {
    delivery: Record<string, { count: number; p50Ms: number; p99Ms: number; maxMs: number }>;
  };
  const d = st.delivery.store;
  assert.ok(d.count >= 1, 'status counts the committed alert');
  assert.ok(d.p50Ms > 0 && d.p50Ms <= d.p99Ms && d.p99Ms <= d.maxMs, JSON.stringify(d));
  assert.match(
    bulwark(['status', '--state-dir', agent.stateDir]).stdout,
    /store: \d+ alerts; sensor → committed p50/,
  );
});
