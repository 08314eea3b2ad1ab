// Chooses and opens the sensors for the configured `sensor` setting and what this host offers:
//   auto     BPF-LSM when a program can load (host and workloads enforced in the kernel, events
//            from its ring buffer, changes from fanotify), else Landlock for workloads + audit for
//            their denials + fanotify for changes
//   landlock Landlock + audit + fanotify (the same as auto on hosts without BPF-LSM)
//   fanotify changes only: nothing is prevented, Block rules give `Audit (Block)` alerts
//   replay   events from a recorded file (tests, demos without a kernel)
//   none     no sensor: policies and APIs only
import type { Logger } from 'pino';
import { BulwarkError } from '../common/errors.js';
import { existsSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE, type AgentConfig } from '../config/index.js';
import { BpfLsmBackend } from '../sensor/bpf-lsm-backend.js';
import type { BpfWorkload } from '../sensor/bpf-plan.js';
import {
  FanotifyBackend,
  LandlockAuditBackend,
  ReplayBackend,
  type ProbeReport,
  type SensorBackend,
  type SensorEvent,
} from '../sensor/index.js';

/** How long a sensor may take to start (the kernel can be slow to tear down old fanotify groups). */
const OPEN_TIMEOUT_MS = 60_000;

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BulwarkError('AGENT_SENSOR_UNAVAILABLE', message)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export interface SensorSelection {
  backends: SensorBackend[];
  /** What prevents operations: `landlock` (workloads), `bpf-lsm`, or `none` (detect only). */
  enforcement: 'landlock' | 'bpf-lsm' | 'none';
  /** Event sources in use. */
  events: string[];
  notes: string[];
}

/**
 * Trees the fanotify sensor watches besides the policy targets: what `bulwark baseline init`
 * records by default beyond the policy directories (configured baseline paths, the policy files,
 * the default config file), so the change journal covers the whole baseline scope and
 * `baseline check --since-last` need not run full (docs/baseline.md). Changes there that no rule
 * matches raise no alert.
 */
function baselinePaths(cfg: AgentConfig): string[] {
  const out = [...cfg.baseline.paths, cfg.policyDir, ...cfg.policies];
  if (existsSync(DEFAULT_CONFIG_FILE)) out.push(DEFAULT_CONFIG_FILE);
  return out.filter((p) => p.startsWith('/'));
}

export async function openSensors(
  cfg: AgentConfig,
  probe: ProbeReport,
  onBatch: (events: SensorEvent[]) => void,
  log: Logger,
  workloads: () => BpfWorkload[] = () => [],
): Promise<SensorSelection> {
  const notes: string[] = [];
  const helperLog = (level: number, text: string) =>
    level >= 2
      ? log.error({ helper: true }, text)
      : level === 1
        ? log.warn({ helper: true }, text)
        : log.debug({ helper: true }, text);
  let choice = cfg.sensor;
  if (choice === 'bpf-lsm' && !probe.bpfLsm.loads)
    throw new BulwarkError(
      'AGENT_SENSOR_UNAVAILABLE',
      `sensor bpf-lsm was asked for, but this kernel refuses BPF-LSM programs: ${probe.bpfLsm.detail}`,
    );
  const backends: SensorBackend[] = [];
  let enforcement: SensorSelection['enforcement'] = 'none';
  if ((choice === 'auto' || choice === 'bpf-lsm') && probe.bpfLsm.loads) {
    // The whole policy language in the kernel, for the host and for workloads (by cgroup).
    backends.push(
      new BpfLsmBackend({ host: { kind: 'host', hostname: cfg.nodeName }, workloads, onLog: helperLog }),
    );
    backends.push(new FanotifyBackend({ onLog: helperLog, extraPaths: baselinePaths(cfg) }));
    enforcement = 'bpf-lsm';
    choice = 'bpf-lsm';
  } else if (choice === 'auto') {
    choice = 'landlock';
  }
  if (choice === 'replay') {
    if (!cfg.replayFile)
      throw new BulwarkError('AGENT_SENSOR_UNAVAILABLE', 'sensor replay needs replayFile (--replay FILE)');
    backends.push(new ReplayBackend({ files: [cfg.replayFile] }));
  } else if (choice === 'landlock' || choice === 'fanotify') {
    if (choice === 'landlock') {
      if (probe.landlock.abi === 0)
        throw new BulwarkError(
          'AGENT_SENSOR_UNAVAILABLE',
          'this kernel has no Landlock; use --sensor fanotify (detection only)',
        );
      if (!probe.landlock.denialLogging)
        notes.push(
          `Landlock ABI ${probe.landlock.abi} does not log denials to audit (needs ABI 7): denials are prevented but not reported`,
        );
      backends.push(new LandlockAuditBackend({ onLog: helperLog }));
      enforcement = 'landlock';
    }
    backends.push(new FanotifyBackend({ onLog: helperLog, extraPaths: baselinePaths(cfg) }));
  }
  for (const b of backends) {
    b.onBatch(onBatch);
    await withTimeout(
      b.open(),
      OPEN_TIMEOUT_MS,
      `the ${b.name} sensor did not start within ${OPEN_TIMEOUT_MS / 1000} s`,
    );
  }
  return { backends, enforcement, events: backends.map((b) => b.name), notes: [...notes, ...probe.notes] };
}
