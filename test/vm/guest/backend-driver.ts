// Runs inside the VM (bundled by test/vm/backend.test.ts with esbuild, executed by the guest's
// node): the BpfLsmBackend as the agent uses it, against the real kernel. Prints @@CHECK lines.
import { spawnSync } from 'node:child_process';
import { compile, parsePolicyText } from '../../../src/policy/index.js';
import { BpfLsmBackend } from '../../../src/sensor/bpf-lsm-backend.js';
import { probeBpfLsm } from '../../../src/sensor/bpf-lsm-probe.js';
import type { SensorEvent } from '../../../src/sensor/types.js';

const LOADER = '/opt/bw/bulwark-bpf';
const HOST = { kind: 'host' as const, hostname: 'vm', labels: { 'kubernetes.io/hostname': 'vm' } };

function check(name: string, ok: boolean, detail = ''): void {
  console.log(`@@CHECK ${ok ? 'PASS' : 'FAIL'} ${name} ${ok ? '' : detail}`);
}

/** Runs a shell command as the host (root cgroup), returns its exit status. */
function asHost(cmd: string): number | null {
  return spawnSync('sh', ['-c', `echo $$ > /sys/fs/cgroup/cgroup.procs; ${cmd}`], { stdio: 'ignore' }).status;
}

async function waitFor(
  events: SensorEvent[],
  pred: (e: SensorEvent) => boolean,
  ms = 5000,
): Promise<SensorEvent | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const e = events.find(pred);
    if (e) return e;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

async function main(): Promise<void> {
  const probe = probeBpfLsm(LOADER);
  check('backend-probe', probe.loads, probe.detail);
  const loaded = parsePolicyText(
    `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: nb
spec:
  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: vm
  action: Block
  file:
    matchDirectories:
    - dir: /nb/
      recursive: true
      readOnly: true
`,
    'nb.yaml',
  );
  const rs = compile(loaded.policies);
  spawnSync('sh', ['-c', 'mkdir -p /nb && echo seed > /nb/f']);
  const opts = { loader: LOADER, host: HOST, exemptCgroups: ['/sys/fs/cgroup/harness'] };
  const events: SensorEvent[] = [];
  const a = new BpfLsmBackend(opts);
  a.onBatch((b) => events.push(...b));
  await a.open();
  await a.applyRuleSet(rs);
  check('backend-write-denied', asHost('echo x >> /nb/f') !== 0);
  check('backend-read-allowed', asHost('cat /nb/f > /dev/null') === 0);
  const ev = await waitFor(events, (e) => e.kind === 'denial');
  check(
    'backend-denial-event',
    ev?.kind === 'denial' &&
      ev.op === 'write' &&
      ev.path === '/nb/f' &&
      ev.ruleId === 1 &&
      ev.errno === 13 &&
      ev.source === 'bpf-lsm',
    JSON.stringify(ev ?? events),
  );
  await a.close();
  // the agent is gone: enforcement stays; a new one re-attaches and gets the event made meanwhile
  check('backend-holds-after-close', asHost('echo x >> /nb/f') !== 0);
  const later: SensorEvent[] = [];
  const b = new BpfLsmBackend(opts);
  b.onBatch((x) => later.push(...x));
  await b.open();
  const ev2 = await waitFor(later, (e) => e.kind === 'denial');
  check('backend-events-resume', ev2 !== undefined, JSON.stringify(later));
  // a rule set that cannot be applied leaves the previous one in force
  let rejected = false;
  const bad = compile(
    parsePolicyText(
      `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: too-many
spec:
  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: vm
  action: Block
  file:
    matchPaths:
${Array.from({ length: 9 }, (_, i) => `    - path: /nb/f\n      fromSource:\n      - path: /x${i}`).join('\n')}
`,
      'bad.yaml',
    ).policies,
  );
  try {
    await b.applyRuleSet(bad);
  } catch (e) {
    rejected = (e as { code?: string }).code === 'BW2003';
  }
  check('backend-bad-plan-rejected', rejected);
  check('backend-previous-rules-kept', asHost('echo x >> /nb/f') !== 0);
  check('backend-stats', b.stats().backend === 'bpf-lsm' && b.stats().lost === 0, JSON.stringify(b.stats()));
  // a rule directory made after the rule set was applied: the backend applies it again by itself
  const late = compile(
    parsePolicyText(
      `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: late
spec:
  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: vm
  action: Block
  file:
    matchDirectories:
    - dir: /late/
      recursive: true
      readOnly: true
`,
      'late.yaml',
    ).policies,
  );
  spawnSync('sh', ['-c', 'rm -rf /late']);
  await b.applyRuleSet(late);
  const before = b.applies;
  spawnSync('sh', ['-c', 'mkdir -p /late/sub && echo seed > /late/sub/f']);
  const end = Date.now() + 10_000;
  while (b.applies === before && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  check('backend-reapplied', b.applies > before, `applies ${b.applies}`);
  check('backend-late-dir-enforced', asHost('echo x >> /late/sub/f') !== 0);
  await b.close();
  b.release();
  check('backend-released', asHost('echo x >> /nb/f') === 0);
}

main().catch((e: unknown) => {
  check('backend-driver', false, String(e instanceof Error ? e.stack : e).replace(/\n/g, ' | '));
});
