// BPF-LSM enforcer overhead, measured inside the VM (Debian's kernel under qemu TCG, so absolute
// times are meaningless; only ratios against "no program" in the same boot are reported).
// Workload: fileload (test/vm/progs/fileload.c): create+write 4 KiB, read, rename, chmod, unlink
// COUNT files in a tmpfs directory, run in a workload cgroup. Conditions, alternated per round:
//   none  no BPF program attached (released)
//   seed  the seed policy (/work/shared/seed/fim-policy.yaml: six readOnly system directories)
//   10k   the seed policy plus 10,000 more rules (paths and directories the workload never touches)
// Usage: npm run bench:bpf-lsm [-- ROUNDS COUNT]   (defaults 5 rounds, 2000 files)
import fs from 'node:fs';
import path from 'node:path';
import { compile, parsePolicyText } from '../src/policy/index.js';
import { encodeBpfPlan, planBpf } from '../src/sensor/bpf-plan.js';
import type { Subject } from '../src/policy/index.js';
import {
  boot,
  bootProblems,
  buildGuestTools,
  channel,
  makeInitrd,
  REPO,
  vmAvailable,
} from '../test/vm/harness.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const COUNT = Number(process.argv[3] ?? 2000);
const SEED = fs.readFileSync(path.join(REPO, '../shared/seed/fim-policy.yaml'), 'utf8');
const MYSQL: Subject = { kind: 'workload', namespace: 'wordpress-mysql', labels: { app: 'mysql' } };
const HOST: Subject = { kind: 'host', hostname: 'vm' };
const CG = '/sys/fs/cgroup/bench';

function manyRules(n: number): string {
  const paths: string[] = [];
  const dirs: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 4 === 0) dirs.push(`    - dir: /rules/d${i % 100}/s${i}/\n      recursive: true`);
    else paths.push(`    - path: /rules/d${i % 100}/f${i}`);
  }
  return `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: many-rules
  namespace: wordpress-mysql
spec:
  selector:
    matchLabels:
      app: mysql
  action: Block
  file:
    matchPaths:
${paths.join('\n')}
    matchDirectories:
${dirs.join('\n')}
`;
}

function planText(yaml: string): string {
  const loaded = parsePolicyText(yaml, 'bench.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 3)));
  const rs = compile(loaded.policies);
  const plan = planBpf(rs, {
    host: HOST,
    workloads: [{ cgroupPath: CG, subject: MYSQL }],
    exemptCgroups: ['/sys/fs/cgroup/harness'],
  });
  return encodeBpfPlan(plan);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const avail = vmAvailable();
  if (!avail.ok) {
    console.error(`bench:bpf-lsm: ${avail.reason}`);
    process.exit(1);
  }
  const tools = buildGuestTools(avail.vm);
  const L = '/opt/bw/bulwark-bpf';
  const run = `sh -c 'echo $$ > ${CG}/cgroup.procs; exec /opt/bw/fileload /bench/work ${COUNT}'`;
  const lines = [
    `mkdir -p ${CG} /bench /usr/bin /usr/lib /usr/sbin /boot`,
    `for d in $(seq 0 99); do mkdir -p /rules/d$d; done`,
    `${run} > /dev/null`, // warm-up
  ];
  for (let r = 0; r < ROUNDS; r++) {
    lines.push(
      `${L} release 2>/dev/null`,
      `echo "@@BENCH none $(${run})"`,
      `${L} load 2>/dev/null && ${L} apply /plans/seed.plan > /dev/null`,
      `echo "@@BENCH seed $(${run})"`,
      `${L} apply /plans/many.plan > /tmp/apply-many || echo "@@CHECK FAIL apply-many $(cat /tmp/apply-many)"`,
      `echo "@@BENCH 10k $(${run})"`,
    );
  }
  lines.push(`${L} stats | sed 's/^/@@STATS /'`, `${L} release`, 'echo "@@CHECK PASS bench-ran"');
  const initrd = makeInitrd(
    avail.vm,
    [
      { guest: L, from: tools.loader, mode: 0o755 },
      { guest: '/opt/bw/fileload', from: path.join(path.dirname(tools.loader), 'fileload'), mode: 0o755 },
      { guest: '/plans/seed.plan', content: planText(SEED) },
      { guest: '/plans/many.plan', content: planText(`${SEED}---\n${manyRules(10_000)}`) },
      { guest: '/tests/bench.sh', content: `${lines.join('\n')}\n`, mode: 0o755 },
    ],
    path.join(REPO, 'build/vm/initrd-bench.gz'),
  );
  const r = await boot({ vm: avail.vm, initrd, tests: ['bench'], timeoutMs: 600_000, stream: false });
  const problems = bootProblems(r);
  if (problems.length) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  const by: Record<string, number[]> = { none: [], seed: [], '10k': [] };
  for (const l of channel(r, 'BENCH')) {
    const [cond, ns] = l.split(' ');
    by[cond]?.push(Number(ns) / 1e6);
  }
  const base = median(by.none);
  console.log(`fileload ${COUNT} files × ${ROUNDS} rounds in the VM (${avail.vm.versions.kernel_pkg}, TCG)`);
  // Contention on the host only adds time, so the minimum is reported beside the median.
  const baseMin = Math.min(...by.none);
  console.log('condition  median ms   ratio (median)   min ms   ratio (min)   runs (ms)');
  for (const [cond, xs] of Object.entries(by))
    console.log(
      `${cond.padEnd(10)} ${median(xs).toFixed(1).padStart(9)}   ${(median(xs) / base).toFixed(2).padStart(14)}   ${Math.min(
        ...xs,
      )
        .toFixed(0)
        .padStart(
          6,
        )}   ${(Math.min(...xs) / baseMin).toFixed(2).padStart(11)}   ${xs.map((x) => x.toFixed(0)).join(' ')}`,
    );
  console.log(channel(r, 'STATS').join('\n'));
}

await main();
