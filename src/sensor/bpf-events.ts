// Decoder for the BPF-LSM enforcer's events as `bulwark-bpf watch` prints them (one JSON object a
// line; native/bpf-loader/events.c writes them from the ring-buffer records of bulwark_abi.h).
// Blocks become DenialEvents of the shared event model; audits (allowed but reported: Audit rules,
// audit posture) are returned as BpfAuditEvents; `lost` lines (records the kernel could not write
// since the last report) become GapEvents. Malformed lines return an error value; the loop goes on.
import type { Operation } from '../policy/types.js';
import { OPERATIONS } from '../policy/types.js';
import type { DenialEvent, GapEvent, ProcessInfo } from './types.js';

export interface BpfAuditEvent {
  kind: 'bpf-audit';
  timeNs: string;
  op: Operation;
  path: string;
  secondPath?: string;
  /** 0 when the default posture decided. */
  ruleId: number;
  posture: boolean;
  proc: ProcessInfo;
}

export interface BpfStats {
  kind: 'bpf-stats';
  decisions: number;
  denied: number;
  audited: number;
  lost: number;
  truncatedWalks: number;
}

export type BpfDecoded =
  | DenialEvent
  | GapEvent
  | BpfAuditEvent
  | BpfStats
  | { kind: 'decode-error'; reason: 'json' | 'unknown-kind' | 'unknown-op'; line: string };

interface RawDecision {
  kind: 'decision';
  timeNs: string;
  op: string;
  verdict: 'block' | 'audit';
  posture: boolean;
  errno: number;
  ruleId: number;
  pid: number;
  tid: number;
  uid: number;
  tty: boolean;
  cgroupId: string;
  openFlags: number;
  truncatedWalk: boolean;
  comm: string;
  path: string;
  secondPath?: string;
  secondEnd: boolean;
}

/** Decodes one line. `exeOf(pid)` may resolve the executable (e.g. readlink /proc/PID/exe). */
export function decodeBpfLine(line: string, exeOf: (pid: number) => string = () => ''): BpfDecoded {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { kind: 'decode-error', reason: 'json', line };
  }
  if (raw.kind === 'lost') {
    // events the kernel could not write (ring buffer full) since the last report, by any reader
    const lost = Number(raw.lost);
    return {
      kind: 'gap',
      source: 'bpf-lsm',
      timeNs: `${BigInt(Date.now()) * 1_000_000n}`,
      cause: 'ringbuf-lost',
      lost,
      detail: `${lost} BPF-LSM events lost (ring buffer full); enforcement was not affected`,
    };
  }
  if (raw.kind === 'stats') return { ...(raw as unknown as Omit<BpfStats, 'kind'>), kind: 'bpf-stats' };
  if (raw.kind !== 'decision') return { kind: 'decode-error', reason: 'unknown-kind', line };
  const d = raw as unknown as RawDecision;
  if (!(OPERATIONS as readonly string[]).includes(d.op))
    return { kind: 'decode-error', reason: 'unknown-op', line };
  const op = d.op as Operation;
  const proc: ProcessInfo = {
    pid: d.pid,
    ppid: 0,
    uid: d.uid,
    exe: exeOf(d.pid),
    comm: d.comm,
    tty: d.tty ? '' : null,
    cgroupId: d.cgroupId,
  };
  if (d.verdict === 'block')
    return {
      kind: 'denial',
      source: 'bpf-lsm',
      timeNs: d.timeNs,
      op,
      path: d.path,
      ...(d.secondPath !== undefined ? { secondPath: d.secondPath } : {}),
      ...(op === 'read' || op === 'write' ? { flags: d.openFlags } : {}),
      errno: d.errno,
      proc,
      // 0 = default posture or a fail-closed limit: no rule to name
      ...(d.ruleId > 0 ? { ruleId: d.ruleId } : {}),
    };
  return {
    kind: 'bpf-audit',
    timeNs: d.timeNs,
    op,
    path: d.path,
    ...(d.secondPath !== undefined ? { secondPath: d.secondPath } : {}),
    ruleId: d.ruleId,
    posture: d.posture,
    proc,
  };
}
