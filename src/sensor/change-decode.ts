// Turns one fanotify event (a change frame) into ChangeEvents, one per operation it carries: the
// kernel merges events of one object and process while they wait in the queue, so a frame can
// hold CREATE|MODIFY or MODIFY|ATTRIB. CLOSE_WRITE alone is suppressed in the helper.
import type { Operation } from '../policy/types.js';
import type { ChangeFrame } from './abi.js';
import { CHG_FLAG, PROC_FLAG } from './abi.js';
import type { ChangeEvent, ProcessInfo } from './types.js';

export const FAN = {
  modify: 0x2,
  attrib: 0x4,
  closeWrite: 0x8,
  create: 0x100,
  delete: 0x200,
  deleteSelf: 0x400,
  moveSelf: 0x800,
  overflow: 0x4000,
  rename: 0x10000000,
  ondir: 0x40000000,
} as const;

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** What an ATTRIB may have been; fanotify does not say which attribute changed. */
export const ATTRIB_OPS: Operation[] = ['chmod', 'chown', 'setxattr', 'removexattr', 'utimes', 'link'];

// The same process usually makes many changes in a row: its ProcessInfo is built once and shared
// by its events (consumers must not mutate it).
let last: { f: ChangeFrame; info: ProcessInfo | undefined } | undefined;

function sameProc(a: ChangeFrame, b: ChangeFrame): boolean {
  return (
    a.pid === b.pid &&
    a.ppid === b.ppid &&
    a.uid === b.uid &&
    a.procFlags === b.procFlags &&
    a.cgroupId === b.cgroupId &&
    a.exe === b.exe &&
    a.comm === b.comm &&
    a.cmdline === b.cmdline &&
    a.cwd === b.cwd &&
    a.tty === b.tty &&
    a.cgroup === b.cgroup
  );
}

export function procOf(f: ChangeFrame): ProcessInfo | undefined {
  if (last && sameProc(last.f, f)) return last.info;
  last = { f, info: buildProc(f) };
  return last.info;
}

function buildProc(f: ChangeFrame): ProcessInfo | undefined {
  if (!(f.procFlags & PROC_FLAG.pid)) return undefined;
  const p: ProcessInfo = { pid: f.pid, ppid: f.ppid, uid: f.uid, exe: f.exe, comm: f.comm };
  if (f.procFlags & PROC_FLAG.info) {
    p.cmdline = f.cmdline;
    p.cwd = f.cwd;
    p.tty = f.procFlags & PROC_FLAG.tty ? f.tty : null;
    if (f.cgroupId) p.cgroupId = f.cgroupId.toString();
    if (f.cgroup) p.cgroupPath = f.cgroup;
  } else {
    p.uid = -1;
    p.ppid = 0;
  }
  if (f.procFlags & PROC_FLAG.gone) p.gone = true;
  return p;
}

// Called for every event: no closure or object spread per call (each costs an allocation, and
// under tsx a function definition per call).
function changeEvent(
  f: ChangeFrame,
  timeNs: string,
  mask: number,
  proc: ProcessInfo | undefined,
  op: Operation,
  secondPath?: string,
  opCandidates?: Operation[],
): ChangeEvent {
  const ev: ChangeEvent = { kind: 'change', source: 'fanotify', timeNs, mask, path: f.path, op };
  // same key order as before (JSON output of recorded events)
  if (secondPath !== undefined) ev.secondPath = secondPath;
  if (opCandidates) ev.opCandidates = opCandidates;
  if (proc) ev.proc = proc;
  if (f.flags & CHG_FLAG.pathPartial) ev.pathPartial = true;
  return ev;
}

export function decodeChange(f: ChangeFrame): ChangeEvent[] {
  const mask = Number(f.mask & 0xffffffffn);
  const dir = (mask & FAN.ondir) !== 0;
  const proc = procOf(f);
  const timeNs = f.timeNs.toString();
  const out: ChangeEvent[] = [];
  if (mask & FAN.rename) out.push(changeEvent(f, timeNs, mask, proc, 'rename', f.path2));
  if (mask & FAN.create) {
    let op: Operation = dir ? 'mkdir' : 'create';
    if (!dir && f.flags & CHG_FLAG.stat) {
      if ((f.fileMode & S_IFMT) === S_IFLNK) op = 'symlink';
      else if (f.nlink > 1) op = 'link';
    }
    out.push(changeEvent(f, timeNs, mask, proc, op));
  }
  if (mask & FAN.modify) out.push(changeEvent(f, timeNs, mask, proc, 'write'));
  if (mask & FAN.attrib) out.push(changeEvent(f, timeNs, mask, proc, 'chmod', undefined, ATTRIB_OPS));
  if (mask & FAN.delete) out.push(changeEvent(f, timeNs, mask, proc, dir ? 'rmdir' : 'unlink'));
  return out;
}
