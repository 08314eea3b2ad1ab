// planBpf (src/sensor/bpf-plan.ts) and the event decoder: the parts of the BPF-LSM enforcer that
// are pure TypeScript. The kernel side is tested in the VM tier (test/vm).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, parsePolicyText } from '../../src/policy/index.js';
import {
  analysePattern,
  BW_F,
  BW_LEVELS_ANY1,
  BW_LEVELS_ANY2,
  encodeBpfPlan,
  expandBraces,
  fnv1a64,
  planBpf,
} from '../../src/sensor/bpf-plan.js';
import { decodeBpfLine } from '../../src/sensor/bpf-events.js';

const HOST = { kind: 'host' as const, hostname: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } };

function hostRules(file: string): ReturnType<typeof compile> {
  const r = parsePolicyText(
    `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: p
spec:
  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: n1
  action: Block
  file:
${file}`,
    'p.yaml',
  );
  assert.ok(r.ok, JSON.stringify(r.errors));
  return compile(r.policies);
}

test('fnv1a64 matches the FNV-1a 64-bit reference values', () => {
  assert.equal(fnv1a64('a'), 0xaf63dc4c8601ec8cn);
  assert.equal(fnv1a64('foobar'), 0x85944171f73967e8n);
});

test('patterns: shapes enforced in the kernel, and the ones that are reported instead', () => {
  assert.deepEqual(analysePattern('/etc/*hado?'), { anchor: '/etc', levels: 1, glob: '*hado?' });
  assert.deepEqual(analysePattern('/var/**'), { anchor: '/var', levels: BW_LEVELS_ANY1, glob: '*' });
  assert.deepEqual(analysePattern('/var/**.log'), { anchor: '/var', levels: BW_LEVELS_ANY1, glob: '*.log' });
  assert.deepEqual(analysePattern('/a/**/x?'), { anchor: '/a', levels: BW_LEVELS_ANY2, glob: 'x?' });
  assert.deepEqual(analysePattern('/home/*/conf'), { anchor: '/home', levels: 2, glob: 'conf' });
  assert.ok('reason' in analysePattern('/home/u*/conf'));
  assert.ok('reason' in analysePattern('*.log'));
  assert.deepEqual(expandBraces('/p/{a,b}/x{1,2}'), ['/p/a/x1', '/p/a/x2', '/p/b/x1', '/p/b/x2']);
});

test('ranks order outcomes as decide() does: fromSource, path, deeper dir, shallower dir, pattern', () => {
  const rs = hostRules(`    matchPaths:
    - path: /etc/app/conf
    - path: /etc/app/key
      fromSource:
      - path: /usr/bin/cat
    matchDirectories:
    - dir: /etc/
      recursive: true
    - dir: /etc/app/
      recursive: true
    matchPatterns:
    - pattern: /etc/app/*.conf
`);
  const plan = planBpf(rs, { host: HOST });
  assert.deepEqual(plan.unsupported, []);
  const rankOf = (id: number): bigint => BigInt(plan.keys.find((k) => k.ruleId === id)!.rankViolate);
  // ids follow the written order: paths, then directories, then patterns
  const [conf, key, etc, app, pat] = [1, 2, 3, 4, 5].map(rankOf);
  assert.ok(key > conf && conf > app && app > etc && etc > pat);
  const dirKeys = plan.keys.filter((k) => k.ruleId === 3);
  assert.deepEqual(
    dirKeys.map((k) => [k.kind, k.path, k.flags]),
    [
      ['name', '/etc', BW_F.DIR | BW_F.RECURSIVE],
      ['inode', '/etc/', BW_F.DIR | BW_F.RECURSIVE],
    ],
  );
  assert.deepEqual(plan.sources, [{ set: 0, srcSet: 2, exe: '/usr/bin/cat' }]);
  const text = encodeBpfPlan(plan);
  assert.match(text, /^bulwark-bpf-plan 1\n/);
  assert.match(text, /\npattern 1 1 \*\.conf\n/);
});

test('event decoder: blocks become DenialEvents with the rule id; lost records a gap', () => {
  const line =
    '{"kind":"decision","timeNs":"1700000000000000000","op":"write","verdict":"block","posture":false,"errno":13,"ruleId":7,"set":0,"pid":42,"tid":42,"uid":0,"tty":false,"cgroupId":"1","openFlags":33345,"exe":{"dev":2,"ino":10},"truncatedWalk":false,"pathCut":false,"secondEnd":false,"comm":"sh","path":"/prot/f"}';
  const ev = decodeBpfLine(line, () => '/bin/busybox');
  assert.equal(ev.kind, 'denial');
  if (ev.kind !== 'denial') return;
  assert.equal(ev.ruleId, 7);
  assert.equal(ev.errno, 13);
  assert.equal(ev.flags, 33345);
  assert.equal(ev.proc.exe, '/bin/busybox');
  const gap = decodeBpfLine('{"kind":"lost","lost":3,"total":5}');
  assert.equal(gap.kind === 'gap' && gap.cause === 'ringbuf-lost' && gap.lost, 3);
  const stats = decodeBpfLine(
    '{"kind":"stats","decisions":9,"denied":1,"audited":0,"lost":5,"truncatedWalks":0}',
  );
  assert.equal(stats.kind === 'bpf-stats' && stats.lost, 5);
  assert.equal(decodeBpfLine('not json').kind, 'decode-error');
});
