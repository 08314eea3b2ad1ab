// Policy engine benchmark: compile the KubeArmor corpus, then decide() throughput on rule sets of
// 10, 100, 1k and 10k rules (same request mix), one core. Prints medians of several rounds and the
// growth ratio 10k/10. Usage: node --import tsx bench/policy.ts [--calls N] [--rounds R]
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { compile, decide, loadPolicies, type DecideRequest, type Policy } from '../src/policy/index.js';
import { policy, workload } from '../test/helpers/policy.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CALLS = arg('--calls', 1_000_000);
const ROUNDS = arg('--rounds', 5);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. Corpus compile time.
const here = dirname(fileURLToPath(import.meta.url));
const corpus = join(here, '../../shared/corpus/kubearmor-policy-templates');
if (existsSync(corpus)) {
  const times: number[] = [];
  let n = 0;
  let rules = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    const loaded = loadPolicies([corpus]);
    const rs = compile(loaded.policies);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    n = loaded.files.length;
    rules = rs.rules.length;
  }
  console.log(
    `corpus: ${n} files, ${rules} rules: read+validate+compile median ${median(times).toFixed(0)} ms`,
  );
} else {
  console.log(`corpus not found at ${corpus}; skipping the compile measurement`);
}

// 2. decide() throughput. Every rule set holds the same rules that match the requests (the seed
// FIM policy and four rules under /srv/app/: an exact path, a directory, a pattern, a fromSource
// rule on /etc/app.conf); the larger sets add rules of the same shapes for other applications
// (/srv/appN/..., /etc/appN.conf) in policies selecting the same workload or others. So each size
// does the same matching work, and the growth ratio shows what the rule count alone costs.
function makeRules(total: number): Policy[] {
  const out: Policy[] = [];
  out.push(
    policy({
      name: 'fim',
      namespace: 'prod',
      labels: { app: 'mysql' },
      rules: ['/sbin/', '/usr/bin/', '/usr/lib/', '/usr/sbin/', '/bin/', '/boot/'].map((dir) => ({
        dir,
        readOnly: true,
        recursive: true,
      })),
    }),
    policy({
      name: 'app',
      namespace: 'prod',
      labels: { app: 'mysql' },
      rules: [
        { path: '/srv/app/conf/file.yaml', action: 'Block' as const },
        { dir: '/srv/app/data/', recursive: true },
        { pattern: '/srv/app/logs/*.log', action: 'Audit' as const },
        { path: '/etc/app.conf', fromSource: ['/usr/bin/vi'] },
      ],
    }),
  );
  let made = 10;
  for (let i = 0; made < total; i++) {
    const rules = [];
    for (let j = 0; j < 10 && made < total; j++, made++) {
      const k = i * 10 + j;
      const kind = k % 4;
      if (kind === 0) rules.push({ path: `/srv/app${k}/conf/file.yaml`, action: 'Block' as const });
      else if (kind === 1) rules.push({ dir: `/srv/app${k}/data/`, recursive: true });
      else if (kind === 2) rules.push({ pattern: `/srv/app${k}/logs/*.log`, action: 'Audit' as const });
      else rules.push({ path: `/etc/app${k}.conf`, fromSource: ['/usr/bin/vi'] });
    }
    // Half the policies select the same workload, half select other namespaces.
    out.push(
      policy({ name: `p${i}`, namespace: i % 2 ? 'prod' : `ns${i}`, labels: { app: 'mysql' }, rules }),
    );
  }
  return out;
}

const subject = workload('prod', { app: 'mysql' });
const paths = [
  '/usr/bin/touch',
  '/usr/lib/x86_64-linux-gnu/libc.so.6',
  '/sbin/file',
  '/srv/app/conf/file.yaml',
  '/srv/app/data/x/y',
  '/srv/app/logs/a.log',
  '/etc/app.conf',
  '/var/lib/mysql/ibdata1',
  '/tmp/a/b/c/d/e/f',
  '/home/user/.bashrc',
];
const ops = ['read', 'write', 'create', 'unlink'] as const;
const reqs: DecideRequest[] = [];
for (let i = 0; i < 64; i++)
  reqs.push({ subject, op: ops[i % ops.length], path: paths[i % paths.length], exe: '/usr/bin/vi', uid: 0 });

const results: { size: number; rate: number }[] = [];
for (const size of [10, 100, 1000, 10000]) {
  const rs = compile(makeRules(size));
  for (let i = 0; i < 100_000; i++) decide(rs, reqs[i & 63]); // warm-up
  const rates: number[] = [];
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) sink += decide(rs, reqs[i & 63]).verdict.length;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(CALLS / s);
  }
  if (sink === 0) throw new Error('unreachable');
  const rate = median(rates);
  results.push({ size: rs.rules.length, rate });
  console.log(
    `decide: ${rs.rules.length} rules: median ${(rate / 1e6).toFixed(2)} M calls/s over ${ROUNDS} x ${CALLS}`,
  );
}
const growth = results[0].rate / results[results.length - 1].rate;
console.log(
  `cost growth ${results[0].size} → ${results[results.length - 1].size} rules: ${growth.toFixed(2)}x`,
);
