// The stored form of an entry: one little-endian record (BLOB) per path. Workers encode it, the
// store keeps it as is, the diff compares records byte for byte and decodes only the few that
// differ, and the version digest hashes exactly the stored bytes. This keeps the main thread's
// work per entry to a comparison, a hash update and an insert.
//
// Layout (v1): u8 format=1, u8 type (ASCII letter), u32 mode, u32 uid, u32 gid, u64 size,
// i64 mtime ns, i64 ctime ns, u64 inode, u32 nlink, u64 dev, u64 rdev, i32 flags, u32 scan flags,
// then variable fields, each u32 length (0xffffffff = absent) and bytes: error (UTF-8), target,
// xattrs, acl, selinux, caps, sha256, sha512, sha3-256, blake2b512.
import { DIGEST_ALGOS, type DigestAlgo, type Entry, type EntryType } from './types.js';

const FORMAT = 1;
const FIXED = 74;
const ABSENT = 0xffffffff;
const OFF_TYPE = 1;
const OFF_SCAN_FLAGS = 70;

export function encodeEntry(e: Entry): Buffer {
  const error = e.error === null ? null : Buffer.from(e.error);
  const vars: Array<Buffer | null> = [
    error,
    e.target,
    e.xattrs,
    e.acl,
    e.selinux,
    e.caps,
    ...DIGEST_ALGOS.map((a) => e.digests[a] ?? null),
  ];
  let len = FIXED;
  for (const v of vars) len += 4 + (v ? v.length : 0);
  const b = Buffer.allocUnsafe(len);
  b[0] = FORMAT;
  b[OFF_TYPE] = e.type.charCodeAt(0);
  b.writeUInt32LE(e.mode >>> 0, 2);
  b.writeUInt32LE(e.uid >>> 0, 6);
  b.writeUInt32LE(e.gid >>> 0, 10);
  b.writeBigUInt64LE(BigInt(e.size), 14);
  b.writeBigInt64LE(e.mtimeNs, 22);
  b.writeBigInt64LE(e.ctimeNs, 30);
  b.writeBigUInt64LE(e.inode, 38);
  b.writeUInt32LE(e.nlink >>> 0, 46);
  b.writeBigUInt64LE(e.dev, 50);
  b.writeBigUInt64LE(e.rdev, 58);
  b.writeInt32LE(e.flags | 0, 66);
  b.writeUInt32LE(e.scanFlags >>> 0, OFF_SCAN_FLAGS);
  let o = FIXED;
  for (const v of vars) {
    if (!v) {
      b.writeUInt32LE(ABSENT, o);
      o += 4;
    } else {
      b.writeUInt32LE(v.length, o);
      v.copy(b, o + 4);
      o += 4 + v.length;
    }
  }
  return b;
}

export function decodeEntry(key: Buffer, b: Buffer): Entry {
  if (b.length < FIXED || b[0] !== FORMAT) throw new Error(`unknown entry record format ${b[0]}`);
  let o = FIXED;
  const next = (): Buffer | null => {
    const n = b.readUInt32LE(o);
    o += 4;
    if (n === ABSENT) return null;
    const v = Buffer.from(b.subarray(o, o + n));
    o += n;
    return v;
  };
  const error = next();
  const target = next();
  const xattrs = next();
  const acl = next();
  const selinux = next();
  const caps = next();
  const digests: Partial<Record<DigestAlgo, Buffer>> = {};
  for (const a of DIGEST_ALGOS) {
    const d = next();
    if (d) digests[a] = d;
  }
  return {
    key,
    type: String.fromCharCode(b[OFF_TYPE]) as EntryType,
    mode: b.readUInt32LE(2),
    uid: b.readUInt32LE(6),
    gid: b.readUInt32LE(10),
    size: Number(b.readBigUInt64LE(14)),
    mtimeNs: b.readBigInt64LE(22),
    ctimeNs: b.readBigInt64LE(30),
    inode: b.readBigUInt64LE(38),
    nlink: b.readUInt32LE(46),
    dev: b.readBigUInt64LE(50),
    rdev: b.readBigUInt64LE(58),
    flags: b.readInt32LE(66),
    scanFlags: b.readUInt32LE(OFF_SCAN_FLAGS),
    target,
    xattrs,
    acl,
    selinux,
    caps,
    digests,
    error: error ? error.toString() : null,
  };
}

/** Type letter without decoding. */
export function recordType(b: Buffer): EntryType {
  return String.fromCharCode(b[OFF_TYPE]) as EntryType;
}

/** Link count of a non-directory record (0 for a directory), without decoding. */
export function recordLinks(b: Buffer): number {
  return b[OFF_TYPE] === 0x64 ? 0 : b.readUInt32LE(46);
}

/** Size of a regular file's record (0 for anything else), without decoding. */
export function recordFileSize(b: Buffer): number {
  // A record too short for it was edited: 0 here, the diff reports it (BASELINE_TAMPERED).
  return b.length >= FIXED && b[OFF_TYPE] === 0x66 ? Number(b.readBigUInt64LE(14)) : 0;
}

/** A device and inode as one string ("dev:ino"), for maps and sets. */
export function inodeId(i: { dev: bigint; ino: bigint }): string {
  return `${i.dev}:${i.ino}`;
}

/** Device and inode of a record, without decoding. */
export function recordDevIno(b: Buffer): { dev: bigint; ino: bigint } {
  return { dev: b.readBigUInt64LE(50), ino: b.readBigUInt64LE(38) };
}

/** Whether the record carries an error or scan flags (worth reporting) without decoding. */
export function recordHasProblem(b: Buffer): boolean {
  return b.readUInt32LE(OFF_SCAN_FLAGS) !== 0 || b.readUInt32LE(FIXED) !== ABSENT;
}

/** A scanned or stored entry in its stored form. */
export interface Row {
  key: Buffer;
  rec: Buffer;
}

/** A stored row with the owning package recorded at baseline time. */
export interface StoredRow extends Row {
  pkg: string | null;
}
