// Decoders for the helper's frame stream, mirroring native/include/bulwark_abi.h with explicit
// offsets. LAYOUT is checked against `bulwark-helper layout` (sizeof/offsetof from the C
// compiler) by test/unit/sensor-abi.test.ts, so the two cannot drift apart silently.
// Decoding goes through a registry keyed by opcode and never stops on a bad frame: errors are
// returned with a `kind` (the metrics label) and the stream continues at the next frame.

export const ABI_VERSION = 1;

export const MSG = { hello: 1, change: 2, audit: 3, gap: 4, status: 5, log: 6 } as const;
export const AUDIT_REC_ARGS = 9001;
export const CHANGE_STRINGS = 8;

/** sizeof/offsetof of every ABI struct, in bytes, as the C compiler lays them out on x86_64. */
export const LAYOUT: Readonly<Record<string, number>> = {
  bw_hdr: 16,
  'bw_hdr.size': 0,
  'bw_hdr.op': 4,
  'bw_hdr.flags': 6,
  'bw_hdr.time_ns': 8,
  bw_msg_hello: 32,
  'bw_msg_hello.abi': 16,
  'bw_msg_hello.pid': 20,
  'bw_msg_hello.landlock_abi': 24,
  'bw_msg_hello.features': 28,
  bw_msg_change: 72,
  'bw_msg_change.mask': 16,
  'bw_msg_change.cgroup_id': 24,
  'bw_msg_change.pid': 32,
  'bw_msg_change.ppid': 36,
  'bw_msg_change.uid': 40,
  'bw_msg_change.proc_flags': 44,
  'bw_msg_change.file_mode': 48,
  'bw_msg_change.nlink': 52,
  'bw_msg_change.len': 56,
  bw_audit_rec: 8,
  'bw_audit_rec.type': 0,
  'bw_audit_rec.len': 4,
  bw_msg_audit: 32,
  'bw_msg_audit.serial': 16,
  'bw_msg_audit.nrec': 24,
  bw_msg_gap: 32,
  'bw_msg_gap.lost': 16,
  'bw_msg_gap.cause': 24,
  'bw_msg_gap.fs_len': 28,
  'bw_msg_gap.detail_len': 30,
  bw_msg_status: 56,
  'bw_msg_status.events': 16,
  'bw_msg_status.audit_lost': 24,
  'bw_msg_status.audit_enabled': 32,
  'bw_msg_status.audit_backlog': 36,
  'bw_msg_status.suppressed': 40,
  'bw_msg_status.overflows': 48,
  bw_msg_log: 24,
  'bw_msg_log.level': 16,
  'bw_msg_log.len': 20,
};

/** Constants the test also compares with the header. */
export const CONSTANTS: Readonly<Record<string, number>> = {
  BW_ABI_VERSION: ABI_VERSION,
  BW_MSG_HELLO: MSG.hello,
  BW_MSG_CHANGE: MSG.change,
  BW_MSG_AUDIT: MSG.audit,
  BW_MSG_GAP: MSG.gap,
  BW_MSG_STATUS: MSG.status,
  BW_MSG_LOG: MSG.log,
  BW_AUDIT_REC_ARGS: AUDIT_REC_ARGS,
  BW_CS_COUNT: CHANGE_STRINGS,
};

export const FEAT = { audit: 0x1, fanotify: 0x2, names: 0x4, auditEnabledByUs: 0x8 } as const;
export const CHG_FLAG = { pathPartial: 0x1, stat: 0x2 } as const;
export const PROC_FLAG = { pid: 0x1, gone: 0x2, info: 0x4, tty: 0x8 } as const;
export const GAP_CAUSE = { 1: 'overflow', 2: 'read-error', 3: 'audit-lost' } as const;

const L = LAYOUT;

export interface HelloFrame {
  op: 'hello';
  timeNs: bigint;
  abi: number;
  pid: number;
  landlockAbi: number;
  features: number;
}

export interface ChangeFrame {
  op: 'change';
  timeNs: bigint;
  flags: number;
  mask: bigint;
  cgroupId: bigint;
  pid: number;
  ppid: number;
  uid: number;
  procFlags: number;
  fileMode: number;
  nlink: number;
  path: string;
  path2: string;
  exe: string;
  comm: string;
  cmdline: string;
  cwd: string;
  tty: string;
  cgroup: string;
}

export interface AuditRecord {
  type: number;
  text: string;
}

export interface AuditFrame {
  op: 'audit';
  timeNs: bigint;
  serial: bigint;
  records: AuditRecord[];
}

export interface GapFrame {
  op: 'gap';
  timeNs: bigint;
  lost: bigint;
  cause: number;
  filesystem: string;
  detail: string;
}

export interface StatusFrame {
  op: 'status';
  timeNs: bigint;
  events: bigint;
  auditLost: bigint;
  auditEnabled: number;
  auditBacklog: number;
  suppressed: bigint;
  overflows: bigint;
}

export interface LogFrame {
  op: 'log';
  timeNs: bigint;
  level: number;
  text: string;
}

export type Frame = HelloFrame | ChangeFrame | AuditFrame | GapFrame | StatusFrame | LogFrame;

export interface DecodeError {
  kind: 'empty' | 'unknown_op' | 'short_read';
  op: number;
  offset: number;
}

/** Decodes one frame's body; `b` is exactly the frame (header included). */
export type Decoder = (b: Buffer, timeNs: bigint, flags: number) => Frame | null;

const decoders = new Map<number, Decoder>();

export function registerDecoder(op: number, fn: Decoder): void {
  decoders.set(op, fn);
}

function str(b: Buffer, off: number, len: number): string {
  return b.toString('utf8', off, off + len);
}

registerDecoder(MSG.hello, (b, timeNs) =>
  b.length < L.bw_msg_hello
    ? null
    : {
        op: 'hello',
        timeNs,
        abi: b.readUInt32LE(L['bw_msg_hello.abi']),
        pid: b.readUInt32LE(L['bw_msg_hello.pid']),
        landlockAbi: b.readUInt32LE(L['bw_msg_hello.landlock_abi']),
        features: b.readUInt32LE(L['bw_msg_hello.features']),
      },
);

// The process strings (exe .. cgroup) repeat from event to event: their lengths and bytes are
// compared with the previous frame's and the strings reused. Called for every event: no
// per-frame arrays.
let lastProcBytes = Buffer.alloc(0);
const lastProcLens = [-1, -1, -1, -1, -1, -1];
let lastProc: string[] = ['', '', '', '', '', ''];

registerDecoder(MSG.change, (b, timeNs, flags) => {
  if (b.length < L.bw_msg_change) return null;
  const lenOff = L['bw_msg_change.len'];
  let total = 0;
  for (let i = 0; i < CHANGE_STRINGS; i++) total += b.readUInt16LE(lenOff + 2 * i);
  const end = L.bw_msg_change + total;
  if (end > b.length) return null;
  const l0 = b.readUInt16LE(lenOff);
  const l1 = b.readUInt16LE(lenOff + 2);
  const path = str(b, L.bw_msg_change, l0);
  const path2 = l1 ? str(b, L.bw_msg_change + l0, l1) : '';
  const procStart = L.bw_msg_change + l0 + l1;
  let same = lastProcBytes.length === end - procStart;
  for (let i = 0; same && i < CHANGE_STRINGS - 2; i++)
    same = lastProcLens[i] === b.readUInt16LE(lenOff + 4 + 2 * i);
  if (!same || b.compare(lastProcBytes, 0, lastProcBytes.length, procStart, end) !== 0) {
    const ps: string[] = [];
    let off = procStart;
    for (let i = 0; i < CHANGE_STRINGS - 2; i++) {
      const l = b.readUInt16LE(lenOff + 4 + 2 * i);
      lastProcLens[i] = l;
      ps.push(str(b, off, l));
      off += l;
    }
    lastProcBytes = Buffer.from(b.subarray(procStart, end));
    lastProc = ps;
  }
  return {
    op: 'change',
    timeNs,
    flags,
    mask: b.readBigUInt64LE(L['bw_msg_change.mask']),
    cgroupId: b.readBigUInt64LE(L['bw_msg_change.cgroup_id']),
    pid: b.readInt32LE(L['bw_msg_change.pid']),
    ppid: b.readInt32LE(L['bw_msg_change.ppid']),
    uid: b.readUInt32LE(L['bw_msg_change.uid']),
    procFlags: b.readUInt32LE(L['bw_msg_change.proc_flags']),
    fileMode: b.readUInt32LE(L['bw_msg_change.file_mode']),
    nlink: b.readUInt32LE(L['bw_msg_change.nlink']),
    path,
    path2,
    exe: lastProc[0],
    comm: lastProc[1],
    cmdline: lastProc[2],
    cwd: lastProc[3],
    tty: lastProc[4],
    cgroup: lastProc[5],
  };
});

registerDecoder(MSG.audit, (b, timeNs) => {
  if (b.length < L.bw_msg_audit) return null;
  const n = b.readUInt32LE(L['bw_msg_audit.nrec']);
  const records: AuditRecord[] = [];
  let off = L.bw_msg_audit;
  for (let i = 0; i < n; i++) {
    if (off + L.bw_audit_rec > b.length) return null;
    const type = b.readUInt16LE(off + L['bw_audit_rec.type']);
    const len = b.readUInt32LE(off + L['bw_audit_rec.len']);
    const start = off + L.bw_audit_rec;
    if (start + len > b.length) return null;
    records.push({ type, text: str(b, start, len) });
    off = start + ((len + 7) & ~7);
  }
  return { op: 'audit', timeNs, serial: b.readBigUInt64LE(L['bw_msg_audit.serial']), records };
});

registerDecoder(MSG.gap, (b, timeNs) => {
  if (b.length < L.bw_msg_gap) return null;
  const fl = b.readUInt16LE(L['bw_msg_gap.fs_len']);
  const dl = b.readUInt16LE(L['bw_msg_gap.detail_len']);
  if (L.bw_msg_gap + fl + dl > b.length) return null;
  return {
    op: 'gap',
    timeNs,
    lost: b.readBigUInt64LE(L['bw_msg_gap.lost']),
    cause: b.readUInt32LE(L['bw_msg_gap.cause']),
    filesystem: str(b, L.bw_msg_gap, fl),
    detail: str(b, L.bw_msg_gap + fl, dl),
  };
});

registerDecoder(MSG.status, (b, timeNs) =>
  b.length < L.bw_msg_status
    ? null
    : {
        op: 'status',
        timeNs,
        events: b.readBigUInt64LE(L['bw_msg_status.events']),
        auditLost: b.readBigUInt64LE(L['bw_msg_status.audit_lost']),
        auditEnabled: b.readUInt32LE(L['bw_msg_status.audit_enabled']),
        auditBacklog: b.readUInt32LE(L['bw_msg_status.audit_backlog']),
        suppressed: b.readBigUInt64LE(L['bw_msg_status.suppressed']),
        overflows: b.readBigUInt64LE(L['bw_msg_status.overflows']),
      },
);

registerDecoder(MSG.log, (b, timeNs) => {
  if (b.length < L.bw_msg_log) return null;
  const len = b.readUInt32LE(L['bw_msg_log.len']);
  if (L.bw_msg_log + len > b.length) return null;
  return { op: 'log', timeNs, level: b.readUInt32LE(L['bw_msg_log.level']), text: str(b, L.bw_msg_log, len) };
});

export interface DecodeResult {
  frames: Frame[];
  errors: DecodeError[];
  /** Bytes consumed; the caller keeps the rest (a frame split across reads) for the next call. */
  consumed: number;
}

/** Decodes every complete frame in buf. */
export function decodeFrames(buf: Buffer): DecodeResult {
  const frames: Frame[] = [];
  const errors: DecodeError[] = [];
  let off = 0;
  while (off + L.bw_hdr <= buf.length) {
    const size = buf.readUInt32LE(off + L['bw_hdr.size']);
    const op = buf.readUInt16LE(off + L['bw_hdr.op']);
    if (size < L.bw_hdr || size % 8 !== 0) {
      // A corrupt size means the stream cannot be resynchronised: report and drop the rest.
      errors.push({ kind: 'empty', op, offset: off });
      return { frames, errors, consumed: buf.length };
    }
    if (off + size > buf.length) break;
    const frame = buf.subarray(off, off + size);
    const dec = decoders.get(op);
    if (!dec) {
      errors.push({ kind: 'unknown_op', op, offset: off });
    } else {
      const f = dec(
        frame,
        buf.readBigUInt64LE(off + L['bw_hdr.time_ns']),
        buf.readUInt16LE(off + L['bw_hdr.flags']),
      );
      if (f) frames.push(f);
      else errors.push({ kind: 'short_read', op, offset: off });
    }
    off += size;
  }
  return { frames, errors, consumed: off };
}
