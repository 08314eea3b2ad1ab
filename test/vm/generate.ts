// Random (policy, operation) cases for the differential VM test: small trees, every rule kind and
// attribute, host and workload subjects, both postures. Deterministic for a seed.
import type { Operation } from '../../src/policy/index.js';
import { hostPolicy, workloadPolicy } from './policies.js';
import { OPSRUN, type Case, type CaseOp, type Scenario } from './scenario.js';

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DIRS = ['/d', '/d/a', '/d/a/b', '/d/a/b/c', '/d/e', '/d/e/f'];
const NAMES = ['f1', 'f2', 's.log', 'secret1', 'x7', 'conf'];
const EXES = [OPSRUN, '/usr/bin/cat', '/opt/src/other'];
const FILE_OPS: CaseOp[] = ['read', 'write', 'append', 'truncate', 'unlink', 'chmod', 'chown', 'utimes'];
const ANY_OPS: CaseOp[] = [
  ...FILE_OPS,
  'create',
  'mkdir',
  'rmdir',
  'symlink',
  'rename',
  'link',
  'setxattr',
  'removexattr',
];

export function scenarios(seed: number, count: number, casesEach: number): Scenario[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const out: Scenario[] = [];
  for (let s = 0; s < count; s++) {
    const workload = r() < 0.5;
    const policies: string[] = [];
    const nPolicies = 1 + Math.floor(r() * 2);
    for (let p = 0; p < nPolicies; p++) {
      const action = pick(['Block', 'Block', 'Audit', 'Allow']);
      const paths: string[] = [];
      const dirs: string[] = [];
      const patterns: string[] = [];
      const nRules = 1 + Math.floor(r() * 3);
      for (let k = 0; k < nRules; k++) {
        const attrs: string[] = [];
        if (r() < 0.3) attrs.push('readOnly: true');
        if (r() < 0.2) attrs.push('ownerOnly: true');
        if (r() < 0.05) attrs.push('pts: false');
        if (r() < 0.25) attrs.push(`action: ${pick(['Block', 'Audit', 'Allow'])}`);
        if (r() < 0.15) {
          const srcs = r() < 0.5 ? [pick(EXES)] : [pick(EXES), pick(EXES)];
          attrs.push(`fromSource:\n${[...new Set(srcs)].map((x) => `      - path: ${x}`).join('\n')}`);
        }
        const kind = pick(['path', 'dir', 'dir', 'pattern']);
        const d = pick(DIRS);
        const tail = attrs.map((a) => `\n      ${a}`).join('');
        if (kind === 'path') paths.push(`    - path: ${d}/${pick([...NAMES, 'rd', 'md'])}${tail}`);
        else if (kind === 'dir') dirs.push(`    - dir: ${d}/\n      recursive: ${r() < 0.6}${tail}`);
        else {
          const g = pick(['*.log', '**', '**/secret?', '*/conf', '{f1,x7}', '[fs]*', '**.log']);
          patterns.push(`    - pattern: ${d}/${g}${tail}`);
        }
      }
      let body = '';
      if (paths.length) body += `    matchPaths:\n${paths.join('\n')}\n`;
      if (dirs.length) body += `    matchDirectories:\n${dirs.join('\n')}\n`;
      if (patterns.length) body += `    matchPatterns:\n${patterns.join('\n')}\n`;
      const name = `gen-${s}-${p}`;
      policies.push(workload ? workloadPolicy(name, body, action) : hostPolicy(name, body, action));
    }
    const cases: Case[] = [];
    for (let c = 0; c < casesEach; c++) {
      const op = pick(ANY_OPS);
      const d = pick(DIRS);
      const uid = op === 'setxattr' || op === 'removexattr' ? 0 : pick([0, 0, 1000]);
      const cs: Case = { op, path: `${d}/${pick(NAMES)}`, uid, owner: pick([0, 1000]) };
      if (op === 'mkdir') cs.path = `${d}/md`;
      if (op === 'rmdir') cs.path = `${d}/rd`;
      if ((op === 'read' || op === 'chmod' || op === 'utimes' || op === 'chown') && r() < 0.15) cs.path = d;
      if (op === 'rename' || op === 'link') {
        cs.path2 = `${pick(DIRS)}/n2`;
        cs.owner2 = pick([0, 1000]);
      }
      if (r() < 0.25) cs.exe = pick(EXES);
      if (r() < 0.1) cs.tty = true;
      cases.push(cs);
    }
    out.push({
      name: `diff-${s}`,
      workload,
      posture: workload
        ? { workload: pick(['audit', 'block'] as const) }
        : { host: pick(['audit', 'block'] as const) },
      policy: policies.join('---\n'),
      cases,
      events: false,
      // a fresh tree: hard links left by earlier link cases would carry rules to other names
      // (the kernel keys hard links, decide() knows paths only)
      prep: ['rm -rf /d'],
    });
  }
  return out;
}

export type { Operation };
