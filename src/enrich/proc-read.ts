// One process as the enrichment stage knows it, read either by the proc-events helper at exec
// time (native/proc-events) or from /proc at lookup time (this file's readProc, the fallback).
// Times are wall-clock nanoseconds since the epoch as bigint; `start` is the kernel's start time
// in clock ticks since boot (field 22 of /proc/PID/stat), which with the pid names one process
// across pid reuse.
import { readFileSync, readlinkSync } from 'node:fs';
import { cgroupV2Line } from './cgroup.js';

export interface ProcRecord {
  pid: number;
  /** Parent's host pid; -1 when unknown. */
  ppid: number;
  /** Real uid; -1 when unknown. */
  uid: number;
  /** Start time in clock ticks since boot; 0 when unknown. */
  start: number;
  /** Real path of the executable; '' when unknown. */
  exe: string;
  comm: string;
  /** argv; empty when unknown (kernel threads have none either). */
  argv: string[];
  /** '' when unknown. */
  cwd: string;
  /** Encoded controlling terminal (stat field 7); 0 = none, -1 = unknown. */
  ttyNr: number;
  /** Pids from the host's namespace down to the process's own (status NSpid); [] when unknown. */
  nspid: number[];
  /** cgroup v2 path; undefined when unknown. */
  cgroup?: string;
  pidns?: number;
  mntns?: number;
  /** When this image started (exec) or the process was forked; 0n = "since before we looked". */
  sinceNs: bigint;
  /** Set when the process exited. */
  exitNs?: bigint;
  /** How it was learned. */
  origin: 'exec' | 'fork' | 'proc';
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

function tryLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function nsInode(link: string | undefined): number | undefined {
  const m = link ? /\[(\d+)\]/.exec(link) : null;
  return m ? Number(m[1]) : undefined;
}

/** Decodes bytes read as latin1 back to UTF-8 text. */
function utf8(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** Parses /proc/PID/stat: comm, tty_nr, start time (comm may contain spaces and parentheses). */
export function parseStat(text: string): { comm: string; ttyNr: number; start: number } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text.slice(close + 2).split(' '); // rest[0] is field 3 (state)
  return {
    comm: utf8(text.slice(open + 1, close)),
    ttyNr: Number(rest[7 - 3] ?? 0),
    start: Number(rest[22 - 3] ?? 0),
  };
}

/** Parses the PPid, Uid (real) and NSpid lines of /proc/PID/status. */
export function parseStatus(text: string): { ppid: number; uid: number; nspid: number[] } {
  const out = { ppid: -1, uid: -1, nspid: [] as number[] };
  for (const line of text.split('\n')) {
    if (line.startsWith('PPid:')) out.ppid = Number(line.slice(5).trim());
    else if (line.startsWith('Uid:')) out.uid = Number(line.slice(4).trim().split(/\s+/)[0]);
    else if (line.startsWith('NSpid:'))
      out.nspid = line.slice(6).trim().split(/\s+/).filter(Boolean).map(Number);
  }
  return out;
}

/** Reads a process from /proc now. Undefined when it does not exist (any more). */
export function readProc(pid: number, procRoot = '/proc'): ProcRecord | undefined {
  const dir = `${procRoot}/${pid}`;
  const statText = tryRead(`${dir}/stat`);
  if (statText === undefined) return undefined;
  const stat = parseStat(statText);
  const status = parseStatus(tryRead(`${dir}/status`) ?? '');
  const cmdline = tryRead(`${dir}/cmdline`) ?? '';
  const cg = tryRead(`${dir}/cgroup`);
  const exe = tryLink(`${dir}/exe`);
  const rec: ProcRecord = {
    pid,
    ppid: status.ppid,
    uid: status.uid,
    start: stat?.start ?? 0,
    exe: exe ? utf8(exe).replace(/ \(deleted\)$/, '') : '',
    comm: stat?.comm ?? '',
    argv: cmdline ? utf8(cmdline).replace(/\0$/, '').split('\0') : [],
    cwd: utf8(tryLink(`${dir}/cwd`) ?? ''),
    ttyNr: stat?.ttyNr ?? -1,
    nspid: status.nspid,
    sinceNs: 0n,
    origin: 'proc',
  };
  const cgroup = cg === undefined ? undefined : cgroupV2Line(cg);
  if (cgroup !== undefined) rec.cgroup = cgroup;
  const pidns = nsInode(tryLink(`${dir}/ns/pid`));
  if (pidns !== undefined) rec.pidns = pidns;
  const mntns = nsInode(tryLink(`${dir}/ns/mnt`));
  if (mntns !== undefined) rec.mntns = mntns;
  return rec;
}

/**
 * Controlling terminal from stat's tty_nr: `pts/3`, `tty1`, `ttyS0`; null for none; undefined
 * when unknown or a device kind without a conventional name.
 */
export function ttyName(ttyNr: number): string | null | undefined {
  if (ttyNr < 0) return undefined;
  if (ttyNr === 0) return null;
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5 && minor === 1) return 'console';
  return undefined;
}
