// Reads one entry: lstat, then for regular files open (O_NOFOLLOW|O_NONBLOCK, never following a
// symlink and never blocking on a FIFO swapped in), fstat to make sure the inode read is the one
// stat'ed, one read pass feeding every chosen digest, and a second fstat to detect a file that
// changed while it was read (retried, then flagged). FIFOs, sockets and devices are never opened.
// Runs inside hash workers; pure synchronous fs calls on a reused buffer.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { createHash } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import { splitXattrs } from './attrs.js';
import { NATIVE_KIND, type NativeAttrs } from './native.js';
import { pathToKey } from './path-key.js';
import { ENTRY_FLAG, type DigestAlgo, type Entry, type EntryType } from './types.js';

const HASH_NAME: Record<DigestAlgo, string> = {
  sha256: 'sha256',
  sha512: 'sha512',
  'sha3-256': 'sha3-256',
  blake2b512: 'blake2b512',
};

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const O_NOATIME = constants.O_NOATIME ?? 0;

export interface ReadContext {
  algos: readonly DigestAlgo[];
  buf: Buffer;
  native: NativeAttrs | null;
  /** Whether O_NOATIME may be tried (cleared after the first EPERM). */
  noatime: boolean;
  /** Whether to read xattrs/flags at all (attribute selection). */
  wantAttrs: boolean;
  /**
   * Digests of files with several links read in this scan, by device and inode: another name of
   * the same inode, unchanged since (same size, mtime and ctime before and after it is opened), is
   * not read again (thirteen names of one 25 MB driver in /usr/lib are read once).
   */
  links?: Map<string, LinkRead>;
}

export interface LinkRead {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  digests: Partial<Record<DigestAlgo, Buffer>>;
}

/** Bound on remembered multi-link inodes (names of one inode are usually listed close together). */
const MAX_LINKS = 8192;

function linkKey(st: BigIntStats): string {
  return `${st.dev}:${st.ino}`;
}

/** The digests of this inode read earlier in the scan, if it has not changed since. */
function knownLink(ctx: ReadContext, st: BigIntStats): LinkRead | undefined {
  if (!ctx.links || st.nlink < 2n) return undefined;
  const k = ctx.links.get(linkKey(st));
  return k && k.size === st.size && k.mtimeNs === st.mtimeNs && k.ctimeNs === st.ctimeNs ? k : undefined;
}

function rememberLink(ctx: ReadContext, st: BigIntStats, digests: Partial<Record<DigestAlgo, Buffer>>): void {
  if (!ctx.links || st.nlink < 2n) return;
  if (ctx.links.size >= MAX_LINKS) ctx.links.clear();
  ctx.links.set(linkKey(st), { size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, digests });
}

export function typeOf(st: BigIntStats): EntryType {
  if (st.isFile()) return 'f';
  if (st.isDirectory()) return 'd';
  if (st.isSymbolicLink()) return 'l';
  if (st.isFIFO()) return 'p';
  if (st.isSocket()) return 's';
  if (st.isCharacterDevice()) return 'c';
  return 'b';
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

function baseEntry(path: Buffer, st: BigIntStats): Entry {
  return {
    key: pathToKey(path),
    type: typeOf(st),
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    inode: st.ino,
    nlink: Number(st.nlink),
    dev: st.dev,
    rdev: st.isCharacterDevice() || st.isBlockDevice() ? st.rdev : 0n,
    target: null,
    xattrs: null,
    acl: null,
    selinux: null,
    caps: null,
    flags: -1,
    digests: {},
    error: null,
    scanFlags: 0,
  };
}

function sameVersion(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

function applyAttrs(e: Entry, ctx: ReadContext, path: Buffer, fd: number, kind: number): void {
  if (!ctx.native || !ctx.wantAttrs) return;
  const r = ctx.native.attrs(path, fd, kind);
  e.flags = r[0] as number;
  const errno = r[1] as number;
  const x = splitXattrs(r, 2);
  e.xattrs = x.xattrs;
  e.acl = x.acl;
  e.selinux = x.selinux;
  e.caps = x.caps;
  if (errno !== 0) e.error = appendError(e.error, `${errnoName(errno)} reading xattrs/flags`);
}

const ERRNO_NAMES = new Map(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

function errnoName(n: number): string {
  return ERRNO_NAMES.get(n) ?? `errno ${n}`;
}

function appendError(prev: string | null, msg: string): string {
  return prev ? `${prev}; ${msg}` : msg;
}

/** Hashes an open fd from offset 0; returns digests and the byte count. */
function hashFd(
  fd: number,
  ctx: ReadContext,
): { digests: Partial<Record<DigestAlgo, Buffer>>; bytes: number } {
  const hs = ctx.algos.map((a) => createHash(HASH_NAME[a]));
  let bytes = 0;
  let pos = 0;
  for (;;) {
    const n = readSync(fd, ctx.buf, 0, ctx.buf.length, pos);
    if (n === 0) break;
    const chunk = ctx.buf.subarray(0, n);
    for (const h of hs) h.update(chunk);
    bytes += n;
    pos += n;
  }
  const digests: Partial<Record<DigestAlgo, Buffer>> = {};
  ctx.algos.forEach((a, i) => (digests[a] = hs[i].digest()));
  return { digests, bytes };
}

function openRegular(path: Buffer, ctx: ReadContext): number {
  if (ctx.noatime && O_NOATIME) {
    try {
      return openSync(path, OPEN_FLAGS | O_NOATIME);
    } catch (e) {
      if (errCode(e) !== 'EPERM') throw e;
      ctx.noatime = false; // not the owner and not root: O_NOATIME is refused, plain open works
    }
  }
  return openSync(path, OPEN_FLAGS);
}

/** Result of reading one path: the entry, or null when the path vanished before lstat. */
export interface ReadResult {
  entry: Entry | null;
  /** Content bytes read (for MB/s). */
  bytes: number;
}

const MAX_TRIES = 3;

export function readEntry(path: Buffer, ctx: ReadContext): ReadResult {
  let st: BigIntStats | undefined;
  try {
    st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  } catch (e) {
    // EACCES on a parent, ENAMETOOLONG, ...: report the entry with what we know (nothing).
    const entry = emptyEntry(path);
    entry.error = `${errCode(e)} on lstat`;
    return { entry, bytes: 0 };
  }
  if (!st) return { entry: null, bytes: 0 };
  let e = baseEntry(path, st);
  let bytes = 0;
  if (e.type === 'f') {
    let fd: number;
    try {
      fd = openRegular(path, ctx);
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT') return { entry: null, bytes: 0 };
      // ELOOP: became a symlink since lstat; ENXIO/others: report and keep the metadata.
      e.error = `${code} opening for read`;
      applyAttrs(e, ctx, path, -1, NATIVE_KIND.other);
      return { entry: e, bytes: 0 };
    }
    try {
      // The lstat taken before open serves as the "before" of the first pass; the fstat after
      // each read is the "after" (and the "before" of a retry). Same inode, size, mtime and
      // ctime on both sides, and as many bytes read as the size: the digest is of that version.
      let before: BigIntStats = st;
      let flags = 0;
      const known = knownLink(ctx, st);
      const opened = known ? fstatSync(fd, { bigint: true }) : null;
      for (let attempt = 1; ; attempt++) {
        if (
          known &&
          opened &&
          attempt === 1 &&
          opened.isFile() &&
          opened.ino === st.ino &&
          opened.dev === st.dev &&
          sameVersion(st, opened)
        ) {
          // Another name of an inode read earlier in this scan, unchanged since: same content.
          e = baseEntry(path, opened);
          e.digests = known.digests;
          break;
        }
        const r = hashFd(fd, ctx);
        bytes += r.bytes;
        const after = fstatSync(fd, { bigint: true });
        if (!after.isFile()) {
          e.error = appendError(e.error, 'replaced by a non-regular file during the scan');
          e.scanFlags |= ENTRY_FLAG.REPLACED_DURING_SCAN;
          break;
        }
        // Another inode at this path (swapped between lstat and open): record the one read.
        if (after.ino !== st.ino || after.dev !== st.dev) flags |= ENTRY_FLAG.REPLACED_DURING_SCAN;
        const stable = sameVersion(before, after) && r.bytes === Number(after.size);
        e = baseEntry(path, after);
        e.digests = r.digests;
        e.scanFlags = stable ? flags : flags | ENTRY_FLAG.CHANGED_DURING_SCAN;
        if (stable && flags === 0) rememberLink(ctx, after, r.digests);
        if (stable || attempt >= MAX_TRIES) break;
        before = after;
      }
      applyAttrs(e, ctx, path, fd, NATIVE_KIND.file);
    } catch (err) {
      e.error = appendError(e.error, `${errCode(err)} reading content`);
      e.digests = {};
    } finally {
      closeSync(fd);
    }
    return { entry: e, bytes };
  }
  if (e.type === 'l') {
    try {
      e.target = readlinkSync(path, { encoding: 'buffer' });
    } catch (err) {
      if (errCode(err) === 'ENOENT') return { entry: null, bytes: 0 };
      e.error = `${errCode(err)} reading link target`;
    }
    applyAttrs(e, ctx, path, -1, NATIVE_KIND.symlink);
  } else if (e.type === 'd') {
    applyAttrs(e, ctx, path, -1, NATIVE_KIND.dir);
  } else {
    applyAttrs(e, ctx, path, -1, NATIVE_KIND.other);
  }
  return { entry: e, bytes };
}

function emptyEntry(path: Buffer): Entry {
  return {
    key: pathToKey(path),
    type: 'f',
    mode: 0,
    uid: 0,
    gid: 0,
    size: 0,
    mtimeNs: 0n,
    ctimeNs: 0n,
    inode: 0n,
    nlink: 0,
    dev: 0n,
    rdev: 0n,
    target: null,
    xattrs: null,
    acl: null,
    selinux: null,
    caps: null,
    flags: -1,
    digests: {},
    error: null,
    scanFlags: 0,
  };
}
