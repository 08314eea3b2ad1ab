// Reads one entry: lstat, then for regular files open (O_NOFOLLOW|O_NONBLOCK, never following a
// symlink and never blocking on a FIFO swapped in), fstat to make sure the inode read is the one
// stat'ed, one read pass feeding every chosen digest, and a second fstat to detect a file that
// changed while it was read (retried, then flagged). FIFOs, sockets and devices are never opened.
// Runs inside hash workers; pure synchronous fs calls on a reused buffer. With the native helper
// built (the normal case) lstat and the regular-file read are one C call each (readNative below),
// the same steps without Node's Stats objects and a dozen JS calls per file; the JS path stays for
// a missing or old helper and for another name of a hard-linked inode read earlier in the scan.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { createHash } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import { splitXattrs } from './attrs.js';
import { NATIVE_KIND, ST, type NativeAttrs, type NativeRead } from './native.js';
import { pathToKey } from './path-key.js';
import { DIGEST_ALGOS, ENTRY_FLAG, type DigestAlgo, type Entry, type EntryType } from './types.js';

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
  /** Scratch for the native lstat/readFile (layout ST). */
  st?: BigInt64Array;
}

export interface LinkRead {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  digests: Partial<Record<DigestAlgo, Buffer>>;
}

/** Bound on remembered multi-link inodes (names of one inode are usually listed close together). */
const MAX_LINKS = 8192;

/** What the link cache needs of a stat, from Node's BigIntStats or the native helper's array. */
interface LinkStat {
  dev: bigint;
  ino: bigint;
  nlink: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

function linkStat(st: BigInt64Array): LinkStat {
  return {
    dev: BigInt.asUintN(64, st[ST.dev]),
    ino: BigInt.asUintN(64, st[ST.ino]),
    nlink: st[ST.nlink],
    size: st[ST.size],
    mtimeNs: st[ST.mtime],
    ctimeNs: st[ST.ctime],
  };
}

function linkKey(st: LinkStat): string {
  return `${st.dev}:${st.ino}`;
}

/** The digests of this inode read earlier in the scan, if it has not changed since. */
function knownLink(ctx: ReadContext, st: LinkStat): LinkRead | undefined {
  if (!ctx.links || st.nlink < 2n) return undefined;
  const k = ctx.links.get(linkKey(st));
  return k && k.size === st.size && k.mtimeNs === st.mtimeNs && k.ctimeNs === st.ctimeNs ? k : undefined;
}

function rememberLink(ctx: ReadContext, st: LinkStat, digests: Partial<Record<DigestAlgo, Buffer>>): void {
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

/** An entry with its stat fields and nothing read yet (attributes and digests to come). */
function newEntry(
  key: Buffer,
  type: EntryType,
  mode: number,
  uid: number,
  gid: number,
  size: number,
  mtimeNs: bigint,
  ctimeNs: bigint,
  inode: bigint,
  nlink: number,
  dev: bigint,
  rdev: bigint,
): Entry {
  return {
    key,
    type,
    mode,
    uid,
    gid,
    size,
    mtimeNs,
    ctimeNs,
    inode,
    nlink,
    dev,
    rdev,
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

function baseEntry(path: Buffer, st: BigIntStats): Entry {
  return newEntry(
    pathToKey(path),
    typeOf(st),
    Number(st.mode & 0o7777n),
    Number(st.uid),
    Number(st.gid),
    Number(st.size),
    st.mtimeNs,
    st.ctimeNs,
    st.ino,
    Number(st.nlink),
    st.dev,
    st.isCharacterDevice() || st.isBlockDevice() ? st.rdev : 0n,
  );
}

const S_IFMT = 0o170000n;
const MODE_TYPE = new Map<bigint, EntryType>([
  [0o100000n, 'f'],
  [0o040000n, 'd'],
  [0o120000n, 'l'],
  [0o010000n, 'p'],
  [0o140000n, 's'],
  [0o020000n, 'c'],
  [0o060000n, 'b'],
]);

/** An entry from the native helper's stat array (same fields as baseEntry). */
function entryOf(path: Buffer, st: BigInt64Array, key: Buffer = pathToKey(path)): Entry {
  const type = MODE_TYPE.get(st[ST.mode] & S_IFMT) ?? 'b';
  return newEntry(
    key,
    type,
    Number(st[ST.mode] & 0o7777n),
    Number(st[ST.uid]),
    Number(st[ST.gid]),
    Number(st[ST.size]),
    st[ST.mtime],
    st[ST.ctime],
    BigInt.asUintN(64, st[ST.ino]),
    Number(st[ST.nlink]),
    BigInt.asUintN(64, st[ST.dev]),
    type === 'c' || type === 'b' ? BigInt.asUintN(64, st[ST.rdev]) : 0n,
  );
}

function sameVersion(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

function applyAttrs(e: Entry, ctx: ReadContext, path: Buffer, fd: number, kind: number): void {
  if (!ctx.native || !ctx.wantAttrs) return;
  setAttrs(e, ctx.native.attrs(path, fd, kind));
}

/** attrs()'s result ([flags, errno, name, value, ...]) into the entry. */
function setAttrs(e: Entry, r: Array<number | string | Buffer>): void {
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

/** The rest of a non-regular entry: a symlink's target, and the attributes of any of them. */
function readOther(e: Entry, path: Buffer, ctx: ReadContext): ReadResult {
  if (e.type === 'l') {
    try {
      e.target = readlinkSync(path, { encoding: 'buffer' });
    } catch (err) {
      if (errCode(err) === 'ENOENT') return { entry: null, bytes: 0 };
      e.error = `${errCode(err)} reading link target`;
    }
  }
  const kind = e.type === 'l' ? NATIVE_KIND.symlink : e.type === 'd' ? NATIVE_KIND.dir : NATIVE_KIND.other;
  applyAttrs(e, ctx, path, -1, kind);
  return { entry: e, bytes: 0 };
}

/** Digest algorithms as the native helper's bit mask (bit i: DIGEST_ALGOS[i]). */
function algoMask(algos: readonly DigestAlgo[]): number {
  let m = 0;
  for (const a of algos) m |= 1 << DIGEST_ALGOS.indexOf(a);
  return m;
}

/**
 * readEntry through the native helper; undefined: this entry takes the JS path (another name of
 * an inode already read in this scan, whose digests are reused there).
 */
function readNative(
  path: Buffer,
  ctx: ReadContext,
  n: Required<NativeAttrs>,
  st: BigInt64Array,
): ReadResult | undefined {
  const err = n.lstat(path, st);
  if (err !== 0) {
    if (ERRNO_NAMES.get(err) === 'ENOENT') return { entry: null, bytes: 0 };
    // EACCES on a parent, ENAMETOOLONG, ...: report the entry with what we know (nothing).
    const entry = emptyEntry(path);
    entry.error = `${errnoName(err)} on lstat`;
    return { entry, bytes: 0 };
  }
  const e = entryOf(path, st);
  if (e.type !== 'f') return readOther(e, path, ctx);
  if (knownLink(ctx, linkStat(st))) return undefined;
  const opts = (ctx.noatime && O_NOATIME ? 1 : 0) | (ctx.wantAttrs ? 2 : 0);
  const r: NativeRead = n.readFile(path, algoMask(ctx.algos), opts, st);
  if (r[3]) ctx.noatime = false; // not the owner and not root: O_NOATIME is refused, plain open works
  const [stage, errno, scanFlags, , bytes, nonRegular, digests, attrs] = r;
  if (stage === 1) {
    const code = errnoName(errno);
    if (code === 'ENOENT') return { entry: null, bytes: 0 };
    // ELOOP: became a symlink since lstat; ENXIO/others: report and keep the metadata.
    e.error = `${code} opening for read`;
    applyAttrs(e, ctx, path, -1, NATIVE_KIND.other);
    return { entry: e, bytes: 0 };
  }
  // st now holds the last fstat (or still the lstat, if no pass got that far).
  const out = entryOf(path, st, e.key);
  if (stage === 2) {
    out.error = `${errnoName(errno)} reading content`;
    return { entry: out, bytes };
  }
  if (nonRegular) {
    out.error = 'replaced by a non-regular file during the scan';
    out.scanFlags = scanFlags | ENTRY_FLAG.REPLACED_DURING_SCAN;
  } else {
    let i = 0;
    for (let b = 0; b < DIGEST_ALGOS.length; b++)
      if (ctx.algos.includes(DIGEST_ALGOS[b])) out.digests[DIGEST_ALGOS[b]] = digests[i++];
    out.scanFlags = scanFlags;
    if (scanFlags === 0) rememberLink(ctx, linkStat(st), out.digests);
  }
  if (attrs) setAttrs(out, attrs);
  return { entry: out, bytes };
}

export function readEntry(path: Buffer, ctx: ReadContext): ReadResult {
  const n = ctx.native;
  if (n?.readFile && n.lstat) {
    const r = readNative(path, ctx, n as Required<NativeAttrs>, (ctx.st ??= new BigInt64Array(16)));
    if (r) return r;
  }
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
  return readOther(e, path, ctx);
}

function emptyEntry(path: Buffer): Entry {
  return newEntry(pathToKey(path), 'f', 0, 0, 0, 0, 0n, 0n, 0n, 0, 0n, 0n);
}
