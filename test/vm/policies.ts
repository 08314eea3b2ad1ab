// Policy texts and cases for the BPF-LSM VM tests (test/vm/bpf-lsm.test.ts).
import type { Case, Scenario } from './scenario.js';

export function hostPolicy(name: string, body: string, action = 'Block'): string {
  return `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: ${name}
spec:
  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: vm
  action: ${action}
  file:
${body}`;
}

export function workloadPolicy(name: string, body: string, action = 'Block'): string {
  return `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: ${name}
  namespace: test
spec:
  selector:
    matchLabels:
      app: w
  action: ${action}
  file:
${body}`;
}

/** Every write-type operation on a protected tree (d), with both ends of rename and link. */
export function matrixCases(d: string, outside: string): Case[] {
  return [
    { op: 'create', path: `${d}/new` },
    { op: 'write', path: `${d}/f` },
    { op: 'append', path: `${d}/f` },
    { op: 'truncate', path: `${d}/f` },
    { op: 'unlink', path: `${d}/f` },
    { op: 'rmdir', path: `${d}/rd` },
    { op: 'mkdir', path: `${d}/md` },
    { op: 'rename', path: `${d}/f`, path2: `${outside}/moved` },
    { op: 'rename', path: `${outside}/g`, path2: `${d}/moved-in` },
    { op: 'link', path: `${d}/f`, path2: `${outside}/hard` },
    { op: 'link', path: `${outside}/g`, path2: `${d}/hard-in` },
    { op: 'symlink', path: `${d}/sym` },
    { op: 'chmod', path: `${d}/f` },
    { op: 'chown', path: `${d}/f` },
    { op: 'setxattr', path: `${d}/f` },
    { op: 'removexattr', path: `${d}/f` },
    { op: 'utimes', path: `${d}/f` },
    // allowed: reads under readOnly, and the same operations outside the tree
    { op: 'read', path: `${d}/f` },
    { op: 'write', path: `${outside}/f` },
    { op: 'create', path: `${outside}/new` },
    { op: 'rename', path: `${outside}/g`, path2: `${outside}/g2` },
    { op: 'chmod', path: `${outside}/f` },
    { op: 'utimes', path: `${outside}/f` },
  ];
}

/** The whitelist used with both default postures: /al/ readable only, /opt/ writable. */
const ALLOW_RO = workloadPolicy(
  'allow-ro',
  `    matchDirectories:
    - dir: /al/
      recursive: true
      readOnly: true
    - dir: /opt/
      recursive: true
`,
  'Allow',
);

export const MATRIX_RULE = `    matchDirectories:
    - dir: /m/prot/
      recursive: true
      readOnly: true
`;

const deepDir = `/deep/${Array.from({ length: 62 }, (_, i) => `d${i}`).join('/')}`;
const longDir = `/long/${Array.from({ length: 15 }, (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(197)}`).join('/')}`;

export const SCENARIOS: Scenario[] = [
  {
    name: 'matrix-host',
    policy: hostPolicy('matrix-host', MATRIX_RULE),
    cases: matrixCases('/m/prot', '/m/out'),
  },
  {
    name: 'matrix-workload',
    workload: true,
    policy: workloadPolicy('matrix-workload', MATRIX_RULE),
    cases: matrixCases('/m/prot', '/m/out'),
  },
  {
    // the workload's policy does not reach the host: everything allowed outside the cgroup
    name: 'matrix-workload-from-host',
    policy: workloadPolicy('matrix-workload', MATRIX_RULE),
    cases: matrixCases('/m/prot', '/m/out'),
  },
  {
    name: 'from-source',
    workload: true,
    posture: { workload: 'block' },
    policy: workloadPolicy(
      'cat-only',
      `    matchPaths:
    - path: /s/secret
      readOnly: true
      fromSource:
      - path: /usr/bin/cat
    matchDirectories:
    - dir: /
      recursive: true
      fromSource:
      - path: /opt/bw/opsrun
`,
      'Allow',
    ),
    cases: [
      { op: 'read', path: '/s/secret', exe: '/usr/bin/cat' },
      { op: 'write', path: '/s/secret', exe: '/usr/bin/cat' },
      { op: 'read', path: '/s/other', exe: '/usr/bin/cat' },
      { op: 'read', path: '/s/secret', exe: '/opt/src/other' },
      // opsrun is allowed everything by its own fromSource rule, except what the more specific
      // path rule decides: only cat may read /s/secret
      { op: 'read', path: '/s/secret' },
      { op: 'read', path: '/s/other' },
    ],
  },
  {
    name: 'owner-only',
    policy: hostPolicy(
      'owner-only',
      `    matchDirectories:
    - dir: /o/
      recursive: true
      ownerOnly: true
    - dir: /or/
      recursive: true
      ownerOnly: true
      readOnly: true
`,
    ),
    cases: [
      { op: 'read', path: '/o/f', uid: 0, owner: 0 },
      { op: 'read', path: '/o/f', uid: 0, owner: 1000 },
      { op: 'read', path: '/o/f', uid: 1000, owner: 1000 },
      { op: 'write', path: '/o/f', uid: 1000, owner: 1000 },
      { op: 'read', path: '/o/f', uid: 1000, owner: 0 },
      { op: 'create', path: '/o/new', uid: 1000, owner: 1000 },
      { op: 'create', path: '/o/new', uid: 1000, owner: 0 },
      { op: 'read', path: '/or/f', uid: 1000, owner: 1000 },
      { op: 'write', path: '/or/f', uid: 1000, owner: 1000 },
      { op: 'read', path: '/or/f', uid: 0, owner: 1000 },
      { op: 'write', path: '/or/f', uid: 0, owner: 0 },
    ],
  },
  {
    name: 'patterns',
    policy: hostPolicy(
      'patterns',
      `    matchPatterns:
    - pattern: /p/*.log
    - pattern: /p/**/secret?
    - pattern: /p/{a,b}/x[0-9]
    - pattern: /p/*/conf
    - pattern: /p/logs/**
      readOnly: true
`,
    ),
    cases: [
      { op: 'write', path: '/p/app.log' },
      { op: 'write', path: '/p/app.txt' },
      { op: 'write', path: '/p/sub/app.log' },
      { op: 'create', path: '/p/new.log' },
      { op: 'write', path: '/p/q/r/secret1' },
      { op: 'write', path: '/p/secret1' },
      { op: 'write', path: '/p/q/secret12' },
      { op: 'write', path: '/p/a/x7' },
      { op: 'write', path: '/p/b/x0' },
      { op: 'write', path: '/p/c/x0' },
      { op: 'write', path: '/p/a/xx' },
      { op: 'read', path: '/p/zz/conf' },
      { op: 'read', path: '/p/zz/y/conf' },
      { op: 'read', path: '/p/logs/a/b/c' },
      { op: 'unlink', path: '/p/logs/a/b/c' },
      { op: 'mkdir', path: '/p/logs/new' },
    ],
  },
  {
    name: 'allow-posture-block',
    workload: true,
    posture: { workload: 'block' },
    policy: ALLOW_RO,
    cases: [
      { op: 'read', path: '/al/f' },
      { op: 'write', path: '/al/f' },
      { op: 'read', path: '/elsewhere/f' },
      { op: 'create', path: '/al/new' },
      { op: 'read', path: '/al/sub/deeper/f' },
    ],
  },
  {
    name: 'allow-posture-audit',
    workload: true,
    posture: { workload: 'audit' },
    policy: ALLOW_RO,
    cases: [
      { op: 'read', path: '/al/f' },
      { op: 'write', path: '/al/f' },
      { op: 'read', path: '/elsewhere/f' },
    ],
  },
  {
    name: 'precedence',
    policy:
      hostPolicy(
        'block-q',
        `    matchDirectories:
    - dir: /q/
      recursive: true
    - dir: /q/audit/
      recursive: true
      action: Audit
    matchPaths:
    - path: /q/blocked-for-opsrun
      fromSource:
      - path: /opt/bw/opsrun
`,
      ) +
      '---\n' +
      hostPolicy(
        'allow-q-ok',
        `    matchPaths:
    - path: /q/ok
    - path: /q/sub/ok
`,
        'Allow',
      ),
    posture: { host: 'audit' },
    cases: [
      { op: 'write', path: '/q/ok' },
      { op: 'write', path: '/q/other' },
      { op: 'write', path: '/q/sub/ok' },
      { op: 'write', path: '/q/sub/x' },
      { op: 'write', path: '/q/audit/f' },
      { op: 'read', path: '/q/blocked-for-opsrun' },
      { op: 'read', path: '/q/blocked-for-opsrun', exe: '/opt/src/other' },
      { op: 'read', path: '/outside/f' },
      { op: 'rename', path: '/q/ok', path2: '/outside/x' },
    ],
  },
  {
    name: 'pts',
    policy: hostPolicy(
      'pts',
      `    matchPaths:
    - path: /tty/f
      pts: false
`,
    ),
    cases: [
      { op: 'read', path: '/tty/f', tty: true },
      { op: 'read', path: '/tty/f', tty: false },
    ],
  },
  {
    name: 'deep-and-long',
    policy: hostPolicy(
      'deep',
      `    matchDirectories:
    - dir: /deep/
      recursive: true
      readOnly: true
    - dir: /long/
      recursive: true
      readOnly: true
`,
    ),
    cases: [
      { op: 'write', path: `${deepDir}/f` },
      { op: 'create', path: `${deepDir}/new` },
      { op: 'read', path: `${deepDir}/f` },
      { op: 'write', path: `${longDir}/f` },
      { op: 'unlink', path: `${longDir}/f` },
      { op: 'read', path: `${longDir}/f` },
    ],
  },
];

SCENARIOS.push({
  // a filesystem mounted below a protected directory: the rule reaches it through the alias on
  // the mount's root (the parent walk stops at a filesystem root)
  name: 'mount-below',
  policy: hostPolicy(
    'mount-below',
    `    matchDirectories:
    - dir: /mb/
      recursive: true
      readOnly: true
`,
  ),
  prep: [
    'mkdir -p /mb/tmpfs',
    'mountpoint -q /mb/tmpfs || mount -t tmpfs tmpfs /mb/tmpfs',
    'mkdir -p /mb/tmpfs/sub',
  ],
  cases: [
    { op: 'write', path: '/mb/tmpfs/f' },
    { op: 'create', path: '/mb/tmpfs/sub/new' },
    { op: 'read', path: '/mb/tmpfs/f' },
  ],
});

SCENARIOS.push({
  // rules on paths whose directories do not exist when the rule set is applied (chain keys):
  // the directories are made afterwards, by the cases' own set-up
  name: 'pending',
  precreate: false,
  prep: ['rm -rf /pend /pend2', 'mkdir -p /pend /pend2'],
  policy: hostPolicy(
    'pending',
    `    matchPaths:
    - path: /pend/a/b/secret
    matchDirectories:
    - dir: /pend2/x/y/
      recursive: true
`,
  ),
  cases: [
    { op: 'create', path: '/pend/a/b/secret' },
    { op: 'create', path: '/pend/a/b/other' },
    { op: 'write', path: '/pend/a/b/secret' },
    { op: 'mkdir', path: '/pend2/x/y' },
    { op: 'mkdir', path: '/pend2/x/z' },
  ],
});

export const DEEP_DIR = deepDir;
export const LONG_DIR = longDir;
