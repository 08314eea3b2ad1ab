// The VM harness itself: a clean boot passes, and a hang, a panic or a failed check in the guest
// fails the host side (so the BPF-LSM tests cannot pass by not running).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { needKernel } from '../helpers/kernel.js';
import { boot, bootProblems, channel, makeInitrd, REPO, vmAvailable, type GuestFile } from './harness.js';

// The enforcer built against this host's BTF (as `npm run build:bpf` does) must load and enforce
// in the guest's older kernel too: CO-RE relocations plus the loader's hook-layout check.
const HOST_BTF_BUILD = `L=/opt/hostbtf/bulwark-bpf
mkdir -p /prot && echo seed > /prot/f
$L load 2>/dev/null || echo "@@CHECK FAIL hostbtf-load"
printf 'bulwark-bpf-plan 1\nset 0 1 1\nrule 0 inode 7 14 3 0 100 0 0 0 /prot\n' > /tmp/plan
$L apply /tmp/plan > /dev/null || echo "@@CHECK FAIL hostbtf-apply"
sh -c 'echo $$ > /sys/fs/cgroup/cgroup.procs; echo y > /prot/f' 2>/dev/null && echo "@@CHECK FAIL hostbtf-write allowed" || echo "@@CHECK PASS hostbtf-write-denied"
sh -c 'echo $$ > /sys/fs/cgroup/cgroup.procs; touch /prot/f' 2>/dev/null && echo "@@CHECK FAIL hostbtf-utimes allowed" || echo "@@CHECK PASS hostbtf-utimes-denied"
sh -c 'echo $$ > /sys/fs/cgroup/cgroup.procs; cat /prot/f' > /dev/null 2>&1 && echo "@@CHECK PASS hostbtf-read" || echo "@@CHECK FAIL hostbtf-read"
$L release 2>/dev/null`;

const TESTS = {
  '/tests/smoke.sh': `grep -qw bpf /sys/kernel/security/lsm && echo "@@CHECK PASS lsm-has-bpf" || echo "@@CHECK FAIL lsm-has-bpf $(cat /sys/kernel/security/lsm)"
echo "@@CGROUP $(cat /proc/self/cgroup)"
[ -x /opt/hostbtf/bulwark-bpf ] && { ${HOST_BTF_BUILD}
}`,
  '/tests/hang.sh': 'echo "@@CHECK PASS before-hang"; while :; do :; done',
  '/tests/panic.sh': 'echo "@@CHECK PASS before-panic"; echo c > /proc/sysrq-trigger',
  '/tests/fail.sh': 'echo "@@CHECK FAIL deliberate"',
};

test('VM harness: clean boot, and hang / panic / failure are caught', async (t) => {
  const avail = vmAvailable();
  if (!needKernel(t, avail.ok, avail.ok ? '' : avail.reason) || !avail.ok) return;
  const vm = avail.vm;
  const files: GuestFile[] = Object.entries(TESTS).map(([guest, content]) => ({
    guest,
    content,
    mode: 0o755,
  }));
  const hostBtf = fs.existsSync('/sys/kernel/btf/vmlinux');
  if (hostBtf) {
    const out = path.join(REPO, 'build/vm-hostbtf');
    execFileSync('bash', [path.join(REPO, 'scripts/build-bpf.sh'), '', out], { stdio: 'pipe' });
    files.push({ guest: '/opt/hostbtf/bulwark-bpf', from: path.join(out, 'bulwark-bpf'), mode: 0o755 });
  }
  const initrd = makeInitrd(vm, files, path.join(REPO, 'build/vm/initrd-boot.gz'));

  const ok = await boot({ vm, initrd, tests: ['smoke'] });
  assert.deepEqual(bootProblems(ok), []);
  assert.deepEqual(channel(ok, 'CGROUP'), ['0::/harness']);
  if (hostBtf) assert.ok(ok.checks.some((c) => c.name === 'hostbtf-utimes-denied' && c.pass));
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
