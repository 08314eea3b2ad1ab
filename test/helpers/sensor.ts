// Helpers for the kernel-layer tests: a policy compiled from inline YAML, the audit and fanotify
// backends with an event log that can be waited on, and a sandboxed shell.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compile, parsePolicyText, type RuleSet, type Subject } from '../../src/policy/index.js';
import {
  FanotifyBackend,
  LandlockAuditBackend,
  nativeDir,
  planForSubject,
  spawnSandboxed,
  type ChangeEvent,
  type DenialEvent,
  type LandlockPlan,
  type SensorBackend,
  type SensorEvent,
} from '../../src/sensor/index.js';

export const SUBJECT: Subject = { kind: 'workload', namespace: 'default', labels: { app: 'bw-kernel-test' } };

export function nativeBuilt(): boolean {
  return (
    existsSync(path.join(nativeDir(), 'bulwark-helper')) &&
    existsSync(path.join(nativeDir(), 'bulwark-sandbox'))
  );
}

export function landlockAbi(): number {
  try {
    return Number(execFileSync(path.join(nativeDir(), 'bulwark-sandbox'), ['--abi'], { encoding: 'utf8' }));
  } catch {
    return 0;
  }
}

/** Pids of running bulwark-helper processes (a running agent shares the audit state). */
export function otherHelpers(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'bulwark-helper') out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** cgroup v2 id (inode of the cgroup directory) of this process, as a decimal string. */
export function ownCgroupId(): string | undefined {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'));
  const mnt = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.includes(' - cgroup2 '));
  if (!line || !mnt) return undefined;
  return String(statSync(path.join(mnt.split(' ')[4], line.slice(3))).ino);
}

export function auditEnabled(): string {
  return execFileSync('auditctl', ['-s'], { encoding: 'utf8' }).split('\n')[0];
}

/** A fresh temp directory for a protected tree (never the host's system folders). */
export function tempTree(prefix = 'bw-kernel-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Compiles one KubeArmor YAML document that selects SUBJECT. */
export function ruleSetFrom(yaml: string): RuleSet {
  const r = parsePolicyText(yaml, 'inline.yaml');
  if (!r.ok) throw new Error(`policy did not load: ${JSON.stringify(r.errors)}`);
  return compile(r.policies);
}

export function blockPolicy(dir: string, opts: { readOnly?: boolean; action?: string } = {}): string {
  return `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: { name: kernel-test, namespace: default }
spec:
  selector: { matchLabels: { app: bw-kernel-test } }
  file:
    matchDirectories:
      - dir: ${JSON.stringify(dir.endsWith('/') ? dir : `${dir}/`)}
        recursive: true
        readOnly: ${opts.readOnly ?? true}
  action: ${opts.action ?? 'Block'}
`;
}

/** Collects every batch of a backend; waitFor polls it. */
export class EventLog {
  events: SensorEvent[] = [];
  constructor(...backends: SensorBackend[]) {
    for (const b of backends) b.onBatch((evs) => this.events.push(...evs));
  }
  mark(): number {
    return this.events.length;
  }
  since(mark: number): SensorEvent[] {
    return this.events.slice(mark);
  }
  async denial(pred: (e: DenialEvent) => boolean, from = 0): Promise<DenialEvent | undefined> {
    return (await this.waitFor((e) => e.kind === 'denial' && pred(e), from)) as DenialEvent | undefined;
  }
  async change(pred: (e: ChangeEvent) => boolean, from = 0): Promise<ChangeEvent | undefined> {
    return (await this.waitFor((e) => e.kind === 'change' && pred(e), from)) as ChangeEvent | undefined;
  }
  async waitFor(
    pred: (e: SensorEvent) => boolean,
    from = 0,
    timeoutMs = 4000,
  ): Promise<SensorEvent | undefined> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find(pred);
      if (hit || Date.now() > end) return hit;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/**
 * Waits until the events of everything done so far have arrived: writes a sentinel file in dir (a
 * watched tree) and waits for its change event, which the helper reads after all earlier ones.
 */
export async function settle(log: EventLog, dir: string): Promise<void> {
  const sentinel = path.join(dir, `.sync-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(sentinel, '');
  assert.ok(await log.change((e) => e.path === sentinel), 'sentinel delivered');
}

export interface Sensors {
  audit: LandlockAuditBackend;
  fan: FanotifyBackend;
  log: EventLog;
  close(): Promise<void>;
}

export async function openSensors(ruleSet: RuleSet): Promise<Sensors> {
  const audit = new LandlockAuditBackend();
  const fan = new FanotifyBackend();
  const log = new EventLog(audit, fan);
  await audit.open();
  await fan.open();
  await fan.applyRuleSet(ruleSet);
  await audit.applyRuleSet(ruleSet);
  // The helper applies marks asynchronously; a round trip through `status` proves they are in.
  await new Promise((r) => setTimeout(r, 150));
  return {
    audit,
    fan,
    log,
    async close() {
      await audit.close();
      await fan.close();
    },
  };
}

export function planFor(ruleSet: RuleSet): LandlockPlan {
  return planForSubject(ruleSet, SUBJECT, landlockAbi());
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  pid: number;
}

/** Runs `sh -c script` inside the plan's sandbox (plan undefined: outside any sandbox). */
export async function runShell(
  script: string,
  plan: LandlockPlan | undefined,
  cwd?: string,
): Promise<RunResult> {
  const argv = ['sh', '-c', script];
  const child = plan
    ? spawnSandboxed(plan, argv, { stdio: 'pipe', cwd }).child
    : spawn(argv[0], argv.slice(1), { cwd });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  return { code, stdout, stderr, pid: child.pid ?? 0 };
}

export function writeFile(p: string, s = 'x\n'): void {
  writeFileSync(p, s);
}
