// Turns the audit records of one Landlock denial (joined by serial in the helper) into a
// DenialEvent: op from the Landlock blockers, the full target path, syscall, open flags, errno
// and the acting process from the SYSCALL and PROCTITLE records.
//
// Full paths: for a denied create, unlink, mkdir, rmdir, rename or link Landlock names only the
// parent directory (`path="/t/prot"` for `touch /t/prot/new`), and audit has no record of the new
// name. The helper catches the syscall's path arguments at syscall exit with a BPF raw tracepoint
// and adds them as a record of type 9001 (`dirfd=N name=HEX [dirfd2=N name2=HEX]`); the full path
// is Landlock's directory (resolved by the kernel, symlinks and relative paths included) joined
// with the last component of the argument. Without that record the event carries the directory
// and `pathIsParent: true`.
import path from 'node:path';
import type { Operation } from '../policy/types.js';
import type { AuditFrame, AuditRecord } from './abi.js';
import { AUDIT_REC_ARGS } from './abi.js';
import {
  CREAT_FLAGS,
  LINK_SYSCALLS,
  OPEN_FLAGS_ARG,
  RENAME_SYSCALLS,
  TRUNCATE_SYSCALLS,
  syscallName,
} from './syscalls.js';
import type { DenialEvent, ProcessInfo } from './types.js';

export const AUDIT = {
  syscall: 1300,
  path: 1302,
  cwd: 1307,
  proctitle: 1327,
  landlockAccess: 1423,
  landlockDomain: 1424,
} as const;

/** key=value fields of one record; untrusted strings are decoded (quoted or hex). */
export function parseFields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  const body = text.startsWith('audit(') ? text.slice(text.indexOf('): ') + 3) : text;
  const re = /([\w-]+)=("([^"]*)"|\S+)/g;
  for (let r = re.exec(body); r; r = re.exec(body)) {
    const [, key, raw, quoted] = r;
    if (!m.has(key)) m.set(key, quoted !== undefined ? quoted : raw);
  }
  return m;
}

/** Decodes an audit hex string (`2F746D70` → `/tmp`); other values are returned unchanged. */
export function unhex(v: string): string {
  if (v.length % 2 === 0 && /^[0-9A-F]+$/.test(v)) return Buffer.from(v, 'hex').toString('utf8');
  return v;
}

/** An untrusted-string field: quoted in the text means literal, bare means hex (or `(null)`). */
function untrusted(text: string, key: string): string | undefined {
  const re = new RegExp(`(?:^|\\s)${key}=("([^"]*)"|(\\S+))`);
  const r = re.exec(text);
  if (!r) return undefined;
  if (r[2] !== undefined) return r[2];
  return r[3] === '(null)' ? undefined : unhex(r[3]);
}

const BLOCKER_OP: Record<string, Operation> = {
  'fs.write_file': 'write',
  'fs.read_file': 'read',
  'fs.read_dir': 'read',
  'fs.execute': 'read',
  'fs.truncate': 'truncate',
  'fs.make_reg': 'create',
  'fs.make_fifo': 'create',
  'fs.make_sock': 'create',
  'fs.make_char': 'create',
  'fs.make_block': 'create',
  'fs.make_dir': 'mkdir',
  'fs.make_sym': 'symlink',
  'fs.remove_file': 'unlink',
  'fs.remove_dir': 'rmdir',
  'fs.refer': 'rename',
  'fs.ioctl_dev': 'write',
};

/** Blockers whose record path is the parent directory of the object. */
const PARENT_BLOCKERS = new Set([
  'fs.make_reg',
  'fs.make_fifo',
  'fs.make_sock',
  'fs.make_char',
  'fs.make_block',
  'fs.make_dir',
  'fs.make_sym',
  'fs.remove_file',
  'fs.remove_dir',
  'fs.refer',
]);

function opFor(blockers: string[], syscall: number): Operation {
  if (RENAME_SYSCALLS.has(syscall)) return 'rename';
  if (LINK_SYSCALLS.has(syscall)) return 'link';
  if (TRUNCATE_SYSCALLS.has(syscall)) return 'truncate';
  for (const b of blockers) if (BLOCKER_OP[b]) return BLOCKER_OP[b];
  return 'write';
}

function ttyName(t: string | undefined): string | null | undefined {
  if (t === undefined) return undefined;
  if (t === '(none)') return null;
  const m = /^pts(\d+)$/.exec(t);
  return m ? `pts/${m[1]}` : t;
}

interface Args {
  name?: string;
  name2?: string;
  /** Directory a relative name was relative to (cwd or dirfd), read by the helper at once. */
  dir?: string;
  dir2?: string;
  /** cgroup v2 id of the caller, from the BPF catcher. */
  cgroupId?: string;
  /** The caller's cwd, when a name was relative to it (read from /proc at once). */
  cwdFromArgs?: string;
}

function parseArgs(rec: AuditRecord | undefined): Args {
  if (!rec) return {};
  const f = parseFields(rec.text);
  const hex = (k: string): string | undefined => {
    const v = f.get(k);
    return v !== undefined ? Buffer.from(v, 'hex').toString('utf8') : undefined;
  };
  const cg = f.get('cgroup');
  return {
    name: hex('name'),
    name2: hex('name2'),
    dir: hex('dir'),
    dir2: hex('dir2'),
    cgroupId: cg && cg !== '0' ? cg : undefined,
    cwdFromArgs: f.get('dirfd') === '-100' ? hex('dir') : undefined,
  };
}

function joinName(dir: string, name: string): string {
  const base = path.posix.basename(name);
  if (!base || base === '.' || base === '..') return dir;
  return dir === '/' ? `/${base}` : `${dir}/${base}`;
}

/** An argument made absolute: as given, or joined to the directory it was relative to. */
function absolute(name: string, dir: string | undefined): string {
  if (name.startsWith('/')) return path.posix.normalize(name);
  return dir ? path.posix.join(dir, name) : name;
}

/** The DenialEvent of one audit event, or null when it holds no Landlock access record. */
export function decodeDenial(frame: AuditFrame): DenialEvent | null {
  const acc = frame.records.find((r) => r.type === AUDIT.landlockAccess);
  if (!acc) return null;
  const sys = frame.records.find((r) => r.type === AUDIT.syscall);
  const title = frame.records.find((r) => r.type === AUDIT.proctitle);
  const cwdRec = frame.records.find((r) => r.type === AUDIT.cwd);
  const domainRec = frame.records.find((r) => r.type === AUDIT.landlockDomain);
  const args = parseArgs(frame.records.find((r) => r.type === AUDIT_REC_ARGS));

  const af = parseFields(acc.text);
  const blockers = (af.get('blockers') ?? '').split(',').filter(Boolean);
  const llPath = untrusted(acc.text, 'path') ?? '';
  const sf = sys ? parseFields(sys.text) : new Map<string, string>();
  const nr = Number(sf.get('syscall') ?? -1);
  const op = opFor(blockers, nr);
  const cwd = cwdRec ? untrusted(cwdRec.text, 'cwd') : undefined;

  let target = llPath;
  let second: string | undefined;
  let pathIsParent = false;
  const parentRecord = blockers.some((b) => PARENT_BLOCKERS.has(b));
  if (op === 'rename' || op === 'link') {
    // Landlock resolved one side's directory (a refused cross-directory move reports the
    // source directory with every right it lacks; a move in reports the destination directory
    // with make_* and refer). The side whose argument lies in that directory is that side;
    // when spellings differ (symlinked directories), a remove blocker means the source side.
    const srcArg = args.name;
    const dstArg = args.name2;
    const src = srcArg !== undefined ? absolute(srcArg, args.dir ?? cwd) : undefined;
    const dst = dstArg !== undefined ? absolute(dstArg, args.dir2 ?? cwd) : undefined;
    const inDir = (p: string | undefined): boolean =>
      p !== undefined && p.startsWith('/') && path.posix.dirname(p) === llPath;
    const sourceSide = inDir(src)
      ? true
      : inDir(dst)
        ? false
        : blockers.some((b) => b.startsWith('fs.remove_'));
    if (!sourceSide && dstArg !== undefined) {
      second = joinName(llPath, dstArg);
      target = src ?? llPath;
    } else if (srcArg !== undefined) {
      target = joinName(llPath, srcArg);
      if (dst !== undefined) second = dst;
    } else {
      pathIsParent = parentRecord;
    }
  } else if (parentRecord) {
    if (args.name !== undefined) target = joinName(llPath, args.name);
    else pathIsParent = true;
  }

  let flags: number | undefined;
  const flagArg = OPEN_FLAGS_ARG[nr];
  if (flagArg !== undefined) flags = parseInt(sf.get(`a${flagArg}`) ?? '', 16);
  else if (nr === 85) flags = CREAT_FLAGS;
  if (flags !== undefined && Number.isNaN(flags)) flags = undefined;

  const exit = Number(sf.get('exit') ?? -13);
  const proc: ProcessInfo = {
    pid: Number(sf.get('pid') ?? 0),
    ppid: Number(sf.get('ppid') ?? 0),
    uid: Number(sf.get('uid') ?? -1),
    exe: (sys && untrusted(sys.text, 'exe')) ?? '',
    comm: (sys && untrusted(sys.text, 'comm')) ?? '',
    tty: ttyName(sf.get('tty')),
  };
  if (title) {
    const raw = title.text.slice(title.text.indexOf('proctitle=') + 10);
    const t = raw.startsWith('"')
      ? raw.slice(1, raw.lastIndexOf('"'))
      : Buffer.from(raw.trim(), 'hex').toString('utf8');
    proc.cmdline = t.replace(/\0/g, ' ').trim();
  }
  const procCwd = cwd ?? args.cwdFromArgs;
  if (procCwd) proc.cwd = procCwd;
  if (args.cgroupId) proc.cgroupId = args.cgroupId;

  const ev: DenialEvent = {
    kind: 'denial',
    source: 'landlock',
    timeNs: auditTimeNs(acc.text) ?? frame.timeNs.toString(),
    op,
    path: target,
    errno: exit < 0 ? -exit : 13,
    proc,
    blockers,
    domain: af.get('domain'),
  };
  if (second !== undefined) ev.secondPath = second;
  if (nr >= 0) ev.syscall = syscallName(nr, sf.get('arch'));
  if (flags !== undefined) ev.flags = flags;
  if (pathIsParent) ev.pathIsParent = true;
  if (domainRec) {
    const df = parseFields(domainRec.text);
    if (df.get('status') === 'allocated') ev.domainPid = Number(df.get('pid'));
  }
  return ev;
}

/** `audit(1795850346.155:2)` → nanoseconds since the epoch, as a string. */
export function auditTimeNs(text: string): string | undefined {
  const m = /^audit\((\d+)\.(\d{3}):/.exec(text);
  return m ? (BigInt(m[1]) * 1_000_000_000n + BigInt(m[2]) * 1_000_000n).toString() : undefined;
}
