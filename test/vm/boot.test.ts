// The VM harness itself: a clean boot passes, and a hang, a panic or a failed check in the guest
// fails the host side (so the BPF-LSM tests cannot pass by not running).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { needKernel } from '../helpers/kernel.js';
import { boot, bootProblems, channel, makeInitrd, REPO, vmAvailable } from './harness.js';

const TESTS = {
  '/tests/smoke.sh': `grep -qw bpf /sys/kernel/security/lsm && echo "@@CHECK PASS lsm-has-bpf" || echo "@@CHECK FAIL lsm-has-bpf $(cat /sys/kernel/security/lsm)"
echo "@@CGROUP $(cat /proc/self/cgroup)"`,
  '/tests/hang.sh': 'echo "@@CHECK PASS before-hang"; while :; do :; done',
  '/tests/panic.sh': 'echo "@@CHECK PASS before-panic"; echo c > /proc/sysrq-trigger',
  '/tests/fail.sh': 'echo "@@CHECK FAIL deliberate"',
};

test('VM harness: clean boot, and hang / panic / failure are caught', async (t) => {
  const avail = vmAvailable();
  if (!needKernel(t, avail.ok, avail.ok ? '' : avail.reason) || !avail.ok) return;
  const vm = avail.vm;
  const initrd = makeInitrd(
    vm,
    Object.entries(TESTS).map(([guest, content]) => ({ guest, content, mode: 0o755 })),
    path.join(REPO, 'build/vm/initrd-boot.gz'),
  );

  const ok = await boot({ vm, initrd, tests: ['smoke'] });
  assert.deepEqual(bootProblems(ok), []);
  assert.deepEqual(channel(ok, 'CGROUP'), ['0::/harness']);
  t.diagnostic(
    `clean boot: ${ok.wallMs} ms (kernel ${vm.versions.kernel_pkg} ${vm.versions.kernel_version})`,
  );

  const hang = await boot({ vm, initrd, tests: ['hang'], timeoutMs: 12_000, stream: false });
  assert.equal(hang.timedOut, true);
  assert.ok(bootProblems(hang).some((p) => p.startsWith('guest hung')));

  const panic = await boot({ vm, initrd, tests: ['panic'], stream: false });
  assert.equal(panic.timedOut, false);
  assert.equal(panic.poweroff, false);
  assert.ok(panic.trouble.length > 0, 'the panic is in the kernel log');
  assert.ok(bootProblems(panic).length > 0);

  const fail = await boot({ vm, initrd, tests: ['fail'], stream: false });
  assert.deepEqual(bootProblems(fail), ['check failed: deliberate ']);
});
