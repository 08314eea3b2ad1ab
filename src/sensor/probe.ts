// `bulwark probe`: what this host's kernel supports, and which backends Bulwark will use for
// enforcement and for events. The kernel is asked through the helper (`bulwark-helper probe`),
// which actually tries what it reports (loads a two-instruction BPF-LSM program, creates
// fanotify groups with each flag, attaches the raw tracepoint) and changes nothing on the host.
import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import { BulwarkError } from '../common/errors.js';
import { nativeBinary } from './native-path.js';

interface HelperProbe {
  lsm: string;
  landlock: { abi: number };
  bpfLsm: { loads: boolean; errno: number; detail: string };
  btf: boolean;
  audit: {
    available: boolean;
    enabled?: number;
    daemonPid?: number;
    lost?: number;
    backlogLimit?: number;
    errno?: number;
  };
  fanotify: {
    fid: boolean;
    dfidName: boolean;
    pidfd: boolean;
    filesystemMark: boolean;
    rename: boolean;
    permission: boolean;
  };
  rawTracepoint: boolean;
  cgroup: { v2: string[]; v1: string[] };
}

export interface ProbeReport {
  kernel: string;
  root: boolean;
  lsm: string[];
  bpfLsm: { loads: boolean; detail: string };
  landlock: { abi: number; denialLogging: boolean };
  audit: HelperProbe['audit'];
  fanotify: HelperProbe['fanotify'];
  btf: boolean;
  rawTracepoint: boolean;
  cgroup: { layout: 'v2' | 'hybrid' | 'v1' | 'none'; v2: string[]; v1: string[] };
  backends: {
    /** Enforcement of workloads started by `bulwark run`. */
    workloads: 'bpf-lsm' | 'landlock' | 'none';
    /** Enforcement on the host itself (policies of kind KubeArmorHostPolicy, containers). */
    host: 'bpf-lsm' | 'none';
    /** Source of change events. */
    changes: 'fanotify' | 'none';
    /** Source of denial events. */
    denials: 'bpf-lsm' | 'landlock-audit' | 'none';
  };
  notes: string[];
}

/** The kernel's Landlock ABI version (0 when absent), from the sandbox launcher. */
export function landlockAbi(): number {
  try {
    return Number(execFileSync(nativeBinary('bulwark-sandbox'), ['--abi'], { encoding: 'utf8' }).trim()) || 0;
  } catch {
    return 0;
  }
}

export function probeHost(): ProbeReport {
  let raw: string;
  try {
    raw = execFileSync(nativeBinary('bulwark-helper'), ['probe'], { encoding: 'utf8', timeout: 20_000 });
  } catch (e) {
    if (e instanceof BulwarkError) throw e;
    throw new BulwarkError('SENSOR_HELPER_FAILED', `bulwark-helper probe failed: ${(e as Error).message}`);
  }
  const h = JSON.parse(raw) as HelperProbe;
  const root = process.getuid?.() === 0;
  const lsm = h.lsm.trim() ? h.lsm.trim().split(',') : [];
  const layout =
    h.cgroup.v2.length && h.cgroup.v1.length
      ? 'hybrid'
      : h.cgroup.v2.length
        ? 'v2'
        : h.cgroup.v1.length
          ? 'v1'
          : 'none';
  const notes: string[] = [];
  const fanOk = h.fanotify.fid && h.fanotify.dfidName && h.fanotify.filesystemMark;
  const workloads = h.bpfLsm.loads ? 'bpf-lsm' : h.landlock.abi > 0 ? 'landlock' : 'none';
  if (!h.bpfLsm.loads)
    notes.push(
      `BPF-LSM programs cannot load (${h.bpfLsm.detail}): host policies are detected, not prevented`,
    );
  if (h.landlock.abi > 0 && h.landlock.abi < 7)
    notes.push(`Landlock ABI ${h.landlock.abi} < 7: denials are prevented but not logged to audit`);
  if (!h.rawTracepoint)
    notes.push('raw tracepoints unavailable: denied creates and unlinks name only the parent directory');
  if (!root) notes.push('not root: audit, fanotify and BPF results reflect missing privileges');
  if (h.audit.available && h.audit.enabled === 0)
    notes.push('kernel audit is off; the agent enables it while it runs and restores it on exit');
  return {
    kernel: release(),
    root,
    lsm,
    bpfLsm: { loads: h.bpfLsm.loads, detail: h.bpfLsm.detail },
    landlock: { abi: h.landlock.abi, denialLogging: h.landlock.abi >= 7 },
    audit: h.audit,
    fanotify: h.fanotify,
    btf: h.btf,
    rawTracepoint: h.rawTracepoint,
    cgroup: { layout, v2: h.cgroup.v2, v1: h.cgroup.v1 },
    backends: {
      workloads,
      host: h.bpfLsm.loads ? 'bpf-lsm' : 'none',
      changes: fanOk ? 'fanotify' : 'none',
      denials: h.bpfLsm.loads
        ? 'bpf-lsm'
        : h.landlock.abi >= 7 && h.audit.available
          ? 'landlock-audit'
          : 'none',
    },
    notes,
  };
}
