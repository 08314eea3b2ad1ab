// `bulwark probe` through the built CLI: the JSON report is complete and consistent with what
// the kernel says elsewhere, and the text report names the backends.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

const run = (args: string[]): string => execFileSync('node', ['dist/cli.js', ...args], { encoding: 'utf8' });

test('probe --json reports kernel features and the chosen backends', () => {
  const r = JSON.parse(run(['probe', '--json'])) as Record<string, unknown> & {
    landlock: { abi: number };
    bpfLsm: { loads: boolean };
    backends: Record<string, string>;
    cgroup: { layout: string };
  };
  for (const k of [
    'kernel',
    'lsm',
    'bpfLsm',
    'landlock',
    'audit',
    'fanotify',
    'btf',
    'cgroup',
    'backends',
    'notes',
  ])
    assert.ok(k in r, k);
  const abi = Number(execFileSync('native/build/bulwark-sandbox', ['--abi'], { encoding: 'utf8' }));
  assert.equal(r.landlock.abi, abi, 'the same ABI the sandbox launcher sees');
  assert.equal(r.backends.workloads, r.bpfLsm.loads ? 'bpf-lsm' : abi > 0 ? 'landlock' : 'none');
  assert.match(r.cgroup.layout, /^(v1|v2|hybrid|none)$/);
});

test('probe prints a readable report', () => {
  const out = run(['probe']);
  assert.match(out, /^kernel: /);
  assert.match(out, /Bulwark will use:\n {2}enforcement of bulwark run workloads: (landlock|bpf-lsm|none)/);
  assert.match(out, /change events: (fanotify|none)/);
});
