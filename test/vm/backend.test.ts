// The BpfLsmBackend (src/sensor/bpf-lsm-backend.ts) as the agent drives it, run by node inside the
// VM: load, apply, a denial event with the rule id, close with enforcement kept, re-open with the
// events made meanwhile, a rejected rule set keeping the previous one, release.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { needKernel } from '../helpers/kernel.js';
import {
  boot,
  bootProblems,
  buildGuestTools,
  makeInitrd,
  REPO,
  vmAvailable,
  type GuestFile,
} from './harness.js';

/** node and the shared libraries it loads, at the same paths in the guest. */
function nodeFiles(): GuestFile[] {
  const node = process.execPath;
  const files: GuestFile[] = [{ guest: '/usr/bin/node', from: node, mode: 0o755 }];
  for (const line of execFileSync('ldd', [node], { encoding: 'utf8' }).split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) files.push({ guest: m[1], from: fs.realpathSync(m[1]), mode: 0o755 });
  }
  return files;
}

test('BpfLsmBackend in the VM: open, apply, events, close/re-open, rejected plan, release', async (t) => {
  const avail = vmAvailable();
  if (!needKernel(t, avail.ok, avail.ok ? '' : avail.reason) || !avail.ok) return;
  const vm = avail.vm;
  const tools = buildGuestTools(vm);
  const bundle = path.join(REPO, 'build/vm/backend-driver.mjs');
  execFileSync(path.join(REPO, 'node_modules/.bin/esbuild'), [
    path.join(REPO, 'test/vm/guest/backend-driver.ts'),
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--log-level=warning',
    // CommonJS dependencies (yaml) require node builtins: give the ESM bundle a require()
    "--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    `--outfile=${bundle}`,
  ]);
  const files: GuestFile[] = [
    ...nodeFiles(),
    { guest: '/opt/bw/bulwark-bpf', from: tools.loader, mode: 0o755 },
    { guest: '/opt/bw/driver.mjs', from: bundle },
    { guest: '/tests/backend.sh', content: 'node /opt/bw/driver.mjs\n', mode: 0o755 },
  ];
  const initrd = makeInitrd(vm, files, path.join(REPO, 'build/vm/initrd-backend.gz'));
  const r = await boot({ vm, initrd, tests: ['backend'], timeoutMs: 240_000, memory: '1G' });
  assert.deepEqual(bootProblems(r), []);
  for (const name of [
    'backend-write-denied',
    'backend-denial-event',
    'backend-holds-after-close',
    'backend-events-resume',
    'backend-bad-plan-rejected',
    'backend-previous-rules-kept',
    'backend-reapplied',
    'backend-late-dir-enforced',
    'backend-released',
  ])
    assert.ok(
      r.checks.some((c) => c.name === name && c.pass),
      `${name} ran and passed`,
    );
});
