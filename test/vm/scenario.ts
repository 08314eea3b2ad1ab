// Host side of the BPF-LSM VM tests: a scenario is a policy text plus file-operation cases. The
// host compiles the policy with the real policy stage, plans it with planBpf(), computes each
// case's expected verdict with decide(), and writes a guest script that applies the plan and runs
// the cases with opsrun (test/vm/progs/opsrun.c). After the boot, results and ring-buffer events
// are read back from the serial markers and compared.
import { compile, decide, parsePolicyText } from '../../src/policy/index.js';
import type {
  Decision,
  DecideRequest,
  Operation,
  PostureConfig,
  RuleSet,
  Subject,
} from '../../src/policy/index.js';
import { encodeBpfPlan, planBpf, type BpfPlan } from '../../src/sensor/bpf-plan.js';
import { channel, type BootResult, type GuestFile } from './harness.js';

export const LOADER = '/opt/bw/bulwark-bpf';
export const OPSRUN = '/opt/bw/opsrun';
export const HARNESS_CG = '/sys/fs/cgroup/harness';
export const WORKLOAD_CG = '/sys/fs/cgroup/w1';
export const HOST_SUBJECT: Subject = {
  kind: 'host',
  hostname: 'vm',
  labels: { 'kubernetes.io/hostname': 'vm' },
};
export const WORKLOAD_SUBJECT: Subject = { kind: 'workload', namespace: 'test', labels: { app: 'w' } };

/** opsrun operations: the policy operations plus `append` (decided as a write). */
export type CaseOp = Operation | 'append';

export interface Case {
  op: CaseOp;
  path: string;
  path2?: string;
  uid?: number;
  /** Owner of the target, or of its parent directory for creations. */
  owner?: number;
  /** Owner of the destination's parent directory (rename, link). */
  owner2?: number;
  /** Guest path of the executable (a copy of opsrun); default OPSRUN. */
  exe?: string;
  tty?: boolean;
}

export interface Scenario {
  name: string;
  policy: string;
  /** Run the cases in a workload cgroup (WORKLOAD_SUBJECT) instead of as the host. */
  workload?: boolean;
  posture?: Partial<PostureConfig>;
  cases: Case[];
  /** Collect ring-buffer events (default true; the differential runs skip it). */
  events?: boolean;
  /** Make the cases' directories before the plan is applied (default true). */
  precreate?: boolean;
  /** Shell lines run in the guest first, before the directories are made and the plan applied. */
  prep?: string[];
}

export interface Planned {
  scenario: Scenario;
  ruleSet: RuleSet;
  plan: BpfPlan;
  expected: Decision[];
  groups: { key: string; exe: string; tty: boolean; indices: number[] }[];
}

export function requestOf(s: Scenario, c: Case): DecideRequest {
  return {
    subject: s.workload ? WORKLOAD_SUBJECT : HOST_SUBJECT,
    op: c.op === 'append' ? 'write' : c.op,
    path: c.path,
    secondPath: c.path2,
    exe: c.exe ?? OPSRUN,
    uid: c.uid ?? 0,
    fileOwnerUid: c.owner ?? 0,
    secondOwnerUid: c.owner2 ?? c.owner ?? 0,
    tty: c.tty ? 'pts/0' : null,
  };
}

export function plan(s: Scenario): Planned {
  const loaded = parsePolicyText(s.policy, `${s.name}.yaml`);
  if (!loaded.ok) throw new Error(`${s.name}: policy rejected: ${JSON.stringify(loaded.errors)}`);
  const ruleSet = compile(loaded.policies, { posture: s.posture });
  const plan = planBpf(ruleSet, {
    host: HOST_SUBJECT,
    workloads: [{ cgroupPath: WORKLOAD_CG, subject: WORKLOAD_SUBJECT }],
    exemptCgroups: [HARNESS_CG],
  });
  const expected = s.cases.map((c) => decide(ruleSet, requestOf(s, c)));
  const byKey = new Map<string, Planned['groups'][number]>();
  s.cases.forEach((c, i) => {
    const exe = c.exe ?? OPSRUN;
    const tty = c.tty === true;
    const key = `${exe}|${tty}`;
    let g = byKey.get(key);
    if (!g) {
      g = { key, exe, tty, indices: [] };
      byKey.set(key, g);
    }
    g.indices.push(i);
  });
  return { scenario: s, ruleSet, plan, expected, groups: [...byKey.values()] };
}

function enc(p: string): string {
  return p.replace(/[% \t\n\r]/g, (ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Guest files and the shell fragment that runs one scenario. */
export function guestPart(p: Planned): { files: GuestFile[]; script: string } {
  const n = p.scenario.name;
  const files: GuestFile[] = [{ guest: `/plans/${n}.plan`, content: encodeBpfPlan(p.plan) }];
  const cg = p.scenario.workload ? WORKLOAD_CG : '/sys/fs/cgroup';
  // The directories the cases work in exist before the plan is applied, as protected trees do on a
  // real host: keys are resolved to inodes when the plan is applied (docs/bpf-lsm.md, "Paths that
  // do not exist yet").
  const dirs = new Set<string>();
  if (p.scenario.precreate !== false) {
    for (const c of p.scenario.cases)
      for (const f of [c.path, c.path2]) if (f !== undefined) dirs.add(f.slice(0, f.lastIndexOf('/')) || '/');
    for (const r of p.ruleSet.rules) if (r.kind === 'dir') dirs.add(r.target);
  }
  const lines = [
    `# scenario ${n}`,
    'umask 000',
    `mkdir -p ${WORKLOAD_CG}`,
    ...(p.scenario.prep ?? []),
    ...[...dirs].map((d) => `mkdir -p '${d}'`),
    `if ${LOADER} apply /plans/${n}.plan > /tmp/apply-${n} 2>&1; then echo "@@CHECK PASS apply-${n}"; else echo "@@CHECK FAIL apply-${n} $(tr '\\n' ' ' < /tmp/apply-${n})"; fi`,
  ];
  const events = p.scenario.events !== false;
  if (events) lines.push(`${LOADER} watch --out /tmp/ev-${n} > /tmp/st-${n} 2>/dev/null & W=$!`, 'sleep 0.3');
  p.groups.forEach((g, gi) => {
    const body = g.indices
      .map((i) => {
        const c = p.scenario.cases[i];
        const parts = [i, c.op, c.uid ?? 0, c.owner ?? 0, c.owner2 ?? c.owner ?? 0, enc(c.path)];
        if (c.path2 !== undefined) parts.push(enc(c.path2));
        return parts.join(' ');
      })
      .join('\n');
    files.push({ guest: `/cases/${n}-${gi}.txt`, content: `${body}\n` });
    lines.push(
      `${g.exe} --setup-cg ${HARNESS_CG} --test-cg ${cg}${g.tty ? ' --tty' : ''} --name ${n}-${gi} /cases/${n}-${gi}.txt`,
    );
  });
  if (events)
    lines.push(
      'sleep 0.3',
      'kill $W; wait $W',
      `sed 's/^/@@EV ${n} /' /tmp/ev-${n}`,
      `sed 's/^/@@STATS ${n} /' /tmp/st-${n}`,
    );
  return { files, script: lines.join('\n') };
}

export interface Outcome {
  /** Per case: 'A' allowed, 'D' denied with EACCES, 'X' failed otherwise, '?' no result. */
  verdicts: string[];
  x: string[];
  events: Record<string, unknown>[];
  stats: Record<string, number> | null;
}

export function outcomeOf(p: Planned, r: BootResult): Outcome {
  const n = p.scenario.name;
  const verdicts: string[] = p.scenario.cases.map(() => '?');
  p.groups.forEach((g, gi) => {
    const chars = channel(r, `OPS ${n}-${gi}`).join('');
    g.indices.forEach((caseIndex, k) => {
      if (k < chars.length) verdicts[caseIndex] = chars[k];
    });
  });
  const x = p.groups.flatMap((_, gi) => channel(r, `OPSX ${n}-${gi}`));
  const events = channel(r, `EV ${n}`).map((l) => JSON.parse(l) as Record<string, unknown>);
  const st = channel(r, `STATS ${n}`);
  const stats = st.length > 0 ? (JSON.parse(st[st.length - 1]) as Record<string, number>) : null;
  return { verdicts, x, events, stats };
}

export function denies(d: Decision): boolean {
  return d.verdict === 'block' || d.verdict === 'posture-block';
}

/** Human-readable mismatches between the kernel and decide(). */
export function mismatches(p: Planned, o: Outcome, limit = 20): string[] {
  const out: string[] = [];
  p.scenario.cases.forEach((c, i) => {
    const want = denies(p.expected[i]) ? 'D' : 'A';
    const got = o.verdicts[i] === 'X' ? 'A' : o.verdicts[i];
    if (got !== want && out.length < limit)
      out.push(
        `${p.scenario.name}#${i} ${c.op} ${c.path}${c.path2 ? ` -> ${c.path2}` : ''} uid=${c.uid ?? 0} owner=${c.owner ?? 0} exe=${c.exe ?? OPSRUN} tty=${c.tty === true}: kernel ${o.verdicts[i]}, decide ${p.expected[i].verdict} (rule ${p.expected[i].ruleId}, ${p.expected[i].reason})`,
      );
  });
  return out;
}
