// BPF-LSM enforcer in a VM running Debian's kernel (see docs/bpf-lsm.md): one boot runs every
// scenario of test/vm/policies.ts (each one an atomic rule-set swap), then the persistence checks
// (agent killed with SIGKILL, restart, release). Each case's kernel verdict must equal decide(),
// and every denial must produce exactly one ring-buffer event naming the deciding rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { needKernel } from '../helpers/kernel.js';
import {
  boot,
  bootProblems,
  buildGuestTools,
  channel,
  makeInitrd,
  REPO,
  vmAvailable,
  type GuestFile,
} from './harness.js';
import { hostPolicy, MATRIX_RULE, SCENARIOS } from './policies.js';
import { encodeBpfPlan } from '../../src/sensor/bpf-plan.js';
import {
  denies,
  guestPart,
  HARNESS_CG,
  LOADER,
  mismatches,
  OPSRUN,
  outcomeOf,
  plan,
  type Planned,
} from './scenario.js';

// A path deeper than the walk limit (256 levels): no rule of the set covers it, so decide() would
// allow the write, but the kernel cannot see whether a rule above the limit applies and blocks it
// (fail closed, reported as truncatedWalk); the read stays allowed (no rule can block reads).
const TOO_DEEP = `
${LOADER} apply /plans/matrix-host.plan > /dev/null
d=/toodeep; i=0; while [ $i -lt 300 ]; do d=$d/d; i=$((i+1)); done
mkdir -p $d && echo seed > $d/f
${LOADER} watch --out /tmp/evdeep > /dev/null 2>&1 & W=$!
sleep 0.3
if sh -c 'echo $$ > /sys/fs/cgroup/cgroup.procs; echo x >> '$d'/f' 2>/dev/null; then echo "@@CHECK FAIL too-deep-write allowed"; else echo "@@CHECK PASS too-deep-write-blocked"; fi
if sh -c 'echo $$ > /sys/fs/cgroup/cgroup.procs; cat '$d'/f' >/dev/null 2>&1; then echo "@@CHECK PASS too-deep-read-allowed"; else echo "@@CHECK FAIL too-deep-read denied"; fi
sleep 0.3; kill $W; wait $W
grep -q '"truncatedWalk":true' /tmp/evdeep && echo "@@CHECK PASS too-deep-reported" || echo "@@CHECK FAIL too-deep-reported $(cat /tmp/evdeep)"
`;

// Rule sets swapped while a writer hammers a file that both of them protect and reads one that
// both allow: no write may get through during a swap, no read may be refused.
const SWAP = `
mkdir -p /m/prot /m/out; echo seed > /m/prot/swap; echo seed > /m/out/swap
${LOADER} apply /plans/swap-a.plan > /dev/null
sh -c 'echo $$ > /sys/fs/cgroup/cgroup.procs; ok=0; bad=0; i=0; while [ $i -lt 400 ]; do if echo x >> /m/prot/swap; then ok=$((ok+1)); fi; cat /m/out/swap > /dev/null || bad=$((bad+1)); i=$((i+1)); done 2>/dev/null; echo "$ok $bad" > /tmp/swap-result' & H=$!
n=0; while kill -0 $H 2>/dev/null; do ${LOADER} apply /plans/swap-b.plan > /dev/null; ${LOADER} apply /plans/swap-a.plan > /dev/null; n=$((n+2)); done
wait $H
read ok bad < /tmp/swap-result
[ "$ok" = 0 ] && [ "$bad" = 0 ] && [ "$n" -ge 4 ] && echo "@@CHECK PASS swap-atomic ($n swaps)" || echo "@@CHECK FAIL swap-atomic writes-through=$ok reads-refused=$bad swaps=$n"
`;

// Other spellings of a protected file: a hard link made before the rules (KubeArmor's path keys
// miss it, issue #988), a symlink, a bind mount of the directory (a container's view of it).
const ALIASES = `
mkdir -p /m/prot /m/out /bindview; echo seed > /m/prot/alias
rm -f /m/out/hardalias /m/out/symalias; ln /m/prot/alias /m/out/hardalias; ln -s /m/prot/alias /m/out/symalias
mountpoint -q /bindview || mount --bind /m/prot /bindview
${LOADER} apply /plans/matrix-host.plan > /dev/null
for p in /m/out/hardalias /m/out/symalias /bindview/alias; do
  if sh -c 'echo $$ > /sys/fs/cgroup/cgroup.procs; echo x >> '$p 2>/dev/null; then echo "@@CHECK FAIL alias-blocked $p writable"; else echo "@@CHECK PASS alias-blocked-$(basename $(dirname $p))-$(basename $p)"; fi
done
sh -c 'echo $$ > /sys/fs/cgroup/cgroup.procs; cat /bindview/alias' > /dev/null 2>&1 && echo "@@CHECK PASS alias-read-allowed" || echo "@@CHECK FAIL alias-read-allowed"
umount /bindview
`;

const PERSISTENCE = `
# --- persistence: the agent (watch) is killed, enforcement holds, a new one sees events
${LOADER} apply /plans/matrix-host.plan > /dev/null
${LOADER} watch --out /tmp/evk1 > /tmp/stk1 2>/dev/null & W=$!
sleep 0.3; kill -9 $W; wait $W 2>/dev/null
asHost() { sh -c 'echo $$ > /sys/fs/cgroup/cgroup.procs; exec "$@"' sh "$@"; }
mkdir -p /m/prot; echo seed > /m/prot/keep
if asHost sh -c 'echo x >> /m/prot/keep' 2>/dev/null; then echo "@@CHECK FAIL holds-after-sigkill write allowed"; else echo "@@CHECK PASS holds-after-sigkill"; fi
${LOADER} watch --out /tmp/evk2 > /tmp/stk2 2>/dev/null & W=$!
sleep 0.3
asHost sh -c 'echo x >> /m/prot/keep' 2>/dev/null
sleep 0.3; kill $W; wait $W
# the denial made while no agent ran waited in the ring buffer: the new agent gets it, then its own
n=$(grep -c '"op":"write"' /tmp/evk2)
[ "$n" = 2 ] && echo "@@CHECK PASS events-resume" || echo "@@CHECK FAIL events-resume got $n events, want 2"
sed 's/^/@@STATS restart /' /tmp/stk2
# no reader while 2000 denials on a 3000-byte path (records of about 3 KiB) fill the 4 MiB ring
# buffer: the next reader gets what fit, and the lost count accounts for the rest exactly
lp=/m/prot; for i in $(seq 1 15); do lp=$lp/$(printf "%0200d" $i); done; mkdir -p $lp; echo seed > $lp/f
lost0=$(${LOADER} stats | grep -o '"lost":[0-9]*' | cut -d: -f2)
asHost sh -c 'i=0; while [ $i -lt 2000 ]; do echo x >> '$lp'/f; i=$((i+1)); done' 2>/dev/null
${LOADER} watch --out /tmp/evk3 > /tmp/stk3 2>/dev/null & W=$!
sleep 1; kill $W; wait $W
lost1=$(grep -o '"lost":[0-9]*' /tmp/stk3 | cut -d: -f2)
got=$(grep -c '"op":"write"' /tmp/evk3)
# the reader reports the loss itself, once, as a "lost" line after the events
said=$(grep '"kind":"lost"' /tmp/evk3 | grep -o '"lost":[0-9]*' | cut -d: -f2)
[ $((got + lost1 - lost0)) = 2000 ] && [ $((lost1 - lost0)) -gt 0 ] && [ "$said" = $((lost1 - lost0)) ] && echo "@@CHECK PASS loss-counted (received $got, lost $said)" || echo "@@CHECK FAIL loss-counted received $got lost $((lost1 - lost0)) reported $said"
${LOADER} load && echo "@@CHECK PASS load-idempotent" || echo "@@CHECK FAIL load-idempotent"
${LOADER} release
if asHost sh -c 'echo x >> /m/prot/keep' 2>/dev/null; then echo "@@CHECK PASS released"; else echo "@@CHECK FAIL released write still denied"; fi
ls /sys/fs/bpf/bulwark 2>/dev/null && echo "@@CHECK FAIL pins-left" || echo "@@CHECK PASS pins-removed"
`;

test('BPF-LSM enforcer in a VM: matrix, fromSource, ownerOnly, patterns, posture, precedence, depth', async (t) => {
  const avail = vmAvailable();
  if (!needKernel(t, avail.ok, avail.ok ? '' : avail.reason) || !avail.ok) return;
  const vm = avail.vm;
  const tools = buildGuestTools(vm);
  const planned: Planned[] = SCENARIOS.map(plan);
  for (const p of planned) assert.deepEqual(p.plan.unsupported, [], `${p.scenario.name}: unsupported rules`);
  const files: GuestFile[] = [
    { guest: LOADER, from: tools.loader, mode: 0o755 },
    { guest: OPSRUN, from: tools.opsrun, mode: 0o755 },
    { guest: '/usr/bin/cat', from: tools.opsrun, mode: 0o755 },
    { guest: '/opt/src/other', from: tools.opsrun, mode: 0o755 },
  ];
  const script = [
    `${LOADER} probe | sed 's/^/@@PROBE /'`,
    `if ${LOADER} load; then echo "@@CHECK PASS load"; else echo "@@CHECK FAIL load rc=$?"; fi`,
  ];
  for (const p of planned) {
    const g = guestPart(p);
    files.push(...g.files);
    script.push(g.script);
  }
  // two rule sets that both protect /m/prot and differ elsewhere, for the swap check
  for (const [name, extra] of [
    ['swap-a', ''],
    ['swap-b', '    - dir: /elsewhere/\n      recursive: true\n'],
  ]) {
    const p = plan({ name, policy: hostPolicy(name, MATRIX_RULE + extra), cases: [] });
    files.push({ guest: `/plans/${name}.plan`, content: encodeBpfPlan(p.plan) });
  }
  script.push(TOO_DEEP, SWAP, ALIASES, PERSISTENCE);
  files.push({ guest: '/tests/bpf.sh', content: `${script.join('\n')}\n`, mode: 0o755 });
  const initrd = makeInitrd(vm, files, path.join(REPO, 'build/vm/initrd-bpf.gz'));
  const r = await boot({ vm, initrd, tests: ['bpf'], timeoutMs: 180_000 });
  assert.deepEqual(bootProblems(r), [], 'the guest ran cleanly');
  assert.deepEqual(channel(r, 'PROBE'), ['{"bpfLsm":true}']);
  for (const name of [
    'holds-after-sigkill',
    'events-resume',
    'released',
    'too-deep-write-blocked',
    'swap-atomic',
  ])
    assert.ok(
      r.checks.some((c) => c.name === name && c.pass),
      name,
    );

  for (const p of planned) {
    const o = outcomeOf(p, r);
    const n = p.scenario.name;
    assert.ok(!o.verdicts.includes('?'), `${n}: every case ran (${o.verdicts.join('')})`);
    assert.deepEqual(mismatches(p, o), [], `${n}: kernel verdicts equal decide()`);
    // one event per denied or audited case, in order, naming the operation, path and rule
    // (cases run group by group: one opsrun process per executable and terminal)
    const reported = p.groups
      .flatMap((g) => g.indices)
      .map((i) => ({ d: p.expected[i], i }))
      .filter(({ d }) => d.verdict !== 'allow');
    assert.equal(o.events.length, reported.length, `${n}: events ${JSON.stringify(o.events)}`);
    reported.forEach(({ d, i }, k) => {
      const c = p.scenario.cases[i];
      const ev = o.events[k];
      const op = c.op === 'append' ? 'write' : c.op;
      const evPath = ev.secondEnd === true ? ev.secondPath : ev.path;
      const want = d.end === 'secondPath' ? c.path2 : c.path;
      assert.equal(ev.op, op, `${n}#${i} event op`);
      assert.equal(evPath, want, `${n}#${i} event path`);
      assert.equal(ev.errno, denies(d) ? 13 : 0, `${n}#${i} event errno`);
      assert.equal(ev.ruleId, d.ruleId ?? 0, `${n}#${i} event rule`);
      assert.equal(ev.posture, d.verdict.startsWith('posture'), `${n}#${i} event posture`);
    });
    assert.equal(o.stats?.lost, 0, `${n}: no lost events`);
  }
  void HARNESS_CG;
});
