// Starts a real agent (node dist/cli.js agent) in a temporary state directory for end-to-end
// tests, runs workloads through `bulwark run`, and reads alerts back from its store.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Alert } from '../../src/alert/types.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(REPO, 'dist/cli.js');

export interface TestAgent {
  dir: string;
  stateDir: string;
  policyDir: string;
  proc: ChildProcess;
  log: () => string;
  stop: () => Promise<number | null>;
}

export function bulwark(args: string[], opts: { input?: string; timeoutMs?: number } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts an agent; resolves once `bulwark status` says it is running and enforcing. */
export async function startAgent(opts: {
  policies: Record<string, string>;
  args?: string[];
  dir?: string;
}): Promise<TestAgent> {
  const dir = opts.dir ?? tempDir('bw-e2e-');
  const stateDir = join(dir, 'state');
  const policyDir = join(dir, 'policies');
  mkdirSync(policyDir, { recursive: true });
  for (const [name, text] of Object.entries(opts.policies)) writeFileSync(join(policyDir, name), text);
  const proc = spawn(
    process.execPath,
    [
      CLI,
      'agent',
      '--policies',
      policyDir,
      '--state-dir',
      stateDir,
      '--cluster-name',
      'e2e-cluster',
      '--node-name',
      'e2e-node',
      '--set',
      'api.grpc.enabled=false',
      '--set',
      'api.health.enabled=false',
      '--set',
      'api.http.enabled=false',
      ...(opts.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  const agent: TestAgent = {
    dir,
    stateDir,
    policyDir,
    proc,
    log: () => log,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`agent exited (${proc.exitCode}):\n${log}`);
    if (bulwark(['status', '--state-dir', stateDir]).code === 0) return agent;
    await sleep(250);
  }
  await agent.stop();
  throw new Error(`agent not ready within 60 s:\n${log}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `bulwark run` as a child: resolves with its exit code and output. */
export function runWorkload(
  stateDir: string,
  labels: string[],
  command: string[],
  opts: { namespace?: string; name?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = [CLI, 'run', '--state-dir', stateDir];
  for (const l of labels) args.push('--label', l);
  if (opts.namespace) args.push('--namespace', opts.namespace);
  if (opts.name) args.push('--name', opts.name);
  args.push('--', ...command);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Alerts in the agent's store (newest last), via `bulwark logs --json`. */
export function storedAlerts(stateDir: string, extra: string[] = []): Alert[] {
  const r = bulwark(['logs', '--state-dir', stateDir, '--json', '--type', 'all', ...extra]);
  if (r.code !== 0) throw new Error(`bulwark logs failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Alert);
}

/** Polls the store until `pred` holds for the alerts, or fails after timeoutMs. */
export async function waitForAlerts(
  stateDir: string,
  pred: (alerts: Alert[]) => boolean,
  timeoutMs = 15_000,
): Promise<Alert[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Alert[] = [];
  while (Date.now() < deadline) {
    last = storedAlerts(stateDir);
    if (pred(last)) return last;
    await sleep(200);
  }
  throw new Error(
    `expected alerts did not arrive within ${timeoutMs} ms; got:\n${JSON.stringify(last, null, 1)}`,
  );
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The seed policy as shipped (deploy/policies/fim.yaml). */
export const SEED_POLICY = readFileSync(join(REPO, 'deploy/policies/fim.yaml'), 'utf8');

/**
 * A one-directory file policy (recursive): a KubeArmorPolicy for `app=<app>` in `namespace`, or a
 * KubeArmorHostPolicy for every host when namespace is omitted.
 */
export function dirPolicy(o: {
  name: string;
  dir: string;
  action: 'Allow' | 'Audit' | 'Block';
  namespace?: string;
  app?: string;
}): string {
  const head =
    o.namespace === undefined
      ? `kind: KubeArmorHostPolicy
metadata: {name: ${o.name}}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: "*"}}`
      : `kind: KubeArmorPolicy
metadata: {name: ${o.name}, namespace: ${o.namespace}}
spec:
  selector: {matchLabels: {app: ${o.app ?? o.namespace}}}`;
  return `apiVersion: security.kubearmor.com/v1
${head}
  file:
    matchDirectories: [{dir: ${o.dir}/, recursive: true}]
  action: ${o.action}
`;
}
