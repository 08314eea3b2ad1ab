// Loads the N-API helper (native/baseline/baseline.c) that reads extended attributes and ext4
// inode flags, which Node cannot, and reads and hashes regular files in one call per file. Built by scripts/build-native.sh. When it is missing the scan
// still runs, records xattrs/ACL/SELinux/capabilities/flags as unavailable (flags = -1, no xattrs)
// and says so once (BW5105), so nothing is lost silently.
import { createRequire } from 'node:module';
import { existsSync, lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeAttrs {
  attrs(path: Buffer, fd: number, kind: number): Array<number | string | Buffer>;
  /** lstat into `st` (layout ST in read-entry.ts); returns 0 or the errno. Absent in old builds. */
  lstat?(path: Buffer, st: BigInt64Array): number;
  /** One regular file read and hashed in C (see native/baseline/baseline.c). Absent in old builds. */
  readFile?(path: Buffer, algos: number, opts: number, st: BigInt64Array): NativeRead;
  /** A directory's names sorted as bytes, NUL-terminated in one Buffer, and a kind byte each. */
  listDir?(path: Buffer): number | [Buffer, Buffer];
  /** dpkg's md5sums owners, indexed outside the JS heap (see baseline.c); errno on failure. */
  dpkgIndex?(infoDir: Buffer, prefixes: Buffer[] | null): number | [DpkgIndex, string[]];
  /** The package number owning a store key, or -1. */
  dpkgOwner?(index: DpkgIndex, key: Buffer, rootSpelled: boolean): number;
}

/** An opaque handle on a native dpkg index (freed with it). */
export type DpkgIndex = { readonly __brand: 'DpkgIndex' };

/** [stage, errno, scanFlags, noatimeRefused, bytes, nonRegular, digests (bit order), attrs | null] */
export type NativeRead = [
  number,
  number,
  number,
  number,
  number,
  boolean,
  Buffer[],
  Array<number | string | Buffer> | null,
];

let cached: NativeAttrs | null | undefined;

/** Indexes of the BigInt64Array the native helper fills (ST_* in native/baseline/baseline.c). */
export const ST = {
  dev: 0,
  ino: 1,
  mode: 2,
  nlink: 3,
  uid: 4,
  gid: 5,
  rdev: 6,
  size: 7,
  mtime: 8,
  ctime: 9,
} as const;

/** What planning a since-last check needs of an lstat: directory or not, links, device, inode. */
export interface BriefStat {
  dir: boolean;
  nlink: number;
  dev: bigint;
  ino: bigint;
}

const briefScratch = new BigInt64Array(16);

/**
 * lstat of `path`, null when it cannot be statted (gone, unreadable parent). The native helper's
 * lstat into one reused array when the addon is there: a since-last check stats each of its
 * targets a few times, and Node's BigIntStats object cost more than the system call.
 */
export function briefLstat(path: Buffer): BriefStat | null {
  const n = loadNative();
  if (n?.lstat) {
    if (n.lstat(path, briefScratch) !== 0) return null;
    return {
      dir: (briefScratch[ST.mode] & 0o170000n) === 0o040000n,
      nlink: Number(briefScratch[ST.nlink]),
      dev: BigInt.asUintN(64, briefScratch[ST.dev]),
      ino: BigInt.asUintN(64, briefScratch[ST.ino]),
    };
  }
  try {
    const st = lstatSync(path, { bigint: true });
    return { dir: st.isDirectory(), nlink: Number(st.nlink), dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

/** Kind codes understood by the helper. */
export const NATIVE_KIND = { file: 0, dir: 1, symlink: 2, other: 3 } as const;

/** Where the built addon lives: <package root>/native/baseline/build/baseline.node. */
export function nativePath(): string {
  // This module is src/baseline/native.ts (tsx) or dist/baseline/native.js: two levels below root.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return process.env.BULWARK_BASELINE_NATIVE ?? join(root, 'native', 'baseline', 'build', 'baseline.node');
}

export function loadNative(): NativeAttrs | null {
  if (cached !== undefined) return cached;
  const p = nativePath();
  if (!existsSync(p)) return (cached = null);
  try {
    const req = createRequire(import.meta.url);
    cached = req(p) as NativeAttrs;
  } catch {
    cached = null;
  }
  return cached;
}
