// Boots the VM N times in a row (default 5) with the smoke test and reports each boot's wall
// time; exits 1 on any hang, panic, kernel warning or failed check. `npm run test:vm:soak [-- N]`.
import path from 'node:path';
import { boot, bootProblems, makeInitrd, REPO, vmAvailable } from '../../test/vm/harness.js';

const n = Number(process.argv[2] ?? 5);
const avail = vmAvailable();
if (!avail.ok) {
  console.error(`vm soak: ${avail.reason}`);
  process.exit(process.env.BULWARK_REQUIRE_KERNEL === '1' ? 1 : 0);
}
const initrd = makeInitrd(
  avail.vm,
  [
    {
      guest: '/tests/smoke.sh',
      content:
        'grep -qw bpf /sys/kernel/security/lsm && echo "@@CHECK PASS lsm-has-bpf" || echo "@@CHECK FAIL lsm-has-bpf"\n',
      mode: 0o755,
    },
  ],
  path.join(REPO, 'build/vm/initrd-soak.gz'),
);
const times: number[] = [];
let bad = 0;
for (let i = 1; i <= n; i++) {
  const r = await boot({ vm: avail.vm, initrd, tests: ['smoke'], timeoutMs: 60_000, stream: false });
  const problems = bootProblems(r);
  times.push(r.wallMs);
  console.log(
    `boot ${i}/${n}: ${(r.wallMs / 1000).toFixed(2)} s ${problems.length ? `FAIL ${problems.join('; ')}` : 'ok'}`,
  );
  if (problems.length) bad++;
}
const sorted = [...times].sort((a, b) => a - b);
console.log(
  `${n - bad}/${n} clean; wall min ${(sorted[0] / 1000).toFixed(2)} s, median ${(sorted[Math.floor(n / 2)] / 1000).toFixed(2)} s, max ${(sorted[n - 1] / 1000).toFixed(2)} s`,
);
process.exit(bad ? 1 : 0);
