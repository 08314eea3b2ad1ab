// The baseline stage's data model: one recorded entry per path, the digest algorithms, and the
// change records that check/update produce. Paths are raw bytes (Buffer) end to end so names with
// newlines or invalid UTF-8 round-trip; `key` is the path with '/' replaced by NUL, whose byte
// order is the walk order (component by component, each directory's names sorted as bytes).

/** Content digests Bulwark can record; all chosen ones are computed in one read pass. */
export type DigestAlgo = 'sha256' | 'sha512' | 'sha3-256' | 'blake2b512';

export const DIGEST_ALGOS: readonly DigestAlgo[] = ['sha256', 'sha512', 'sha3-256', 'blake2b512'];

/** Column name in the store for each algorithm. */
export const DIGEST_COLUMN: Record<DigestAlgo, string> = {
  sha256: 'sha256',
  sha512: 'sha512',
  'sha3-256': 'sha3_256',
  blake2b512: 'blake2b',
};

/**
 * Entry type, one letter as `find -printf %y` prints it: f regular, d directory, l symlink,
 * p fifo, s socket, c character device, b block device.
 */
export type EntryType = 'f' | 'd' | 'l' | 'p' | 's' | 'c' | 'b';

/** Per-entry scan flags (bitmask, stored). */
export const ENTRY_FLAG = {
  /** The file changed while it was being read (size, mtime or ctime moved); digests are of a moving target. */
  CHANGED_DURING_SCAN: 1,
  /** The path was replaced between lstat and open (another inode was read). */
  REPLACED_DURING_SCAN: 2,
} as const;

/** One recorded filesystem entry. Times are nanoseconds since the epoch. */
export interface Entry {
  key: Buffer;
  type: EntryType;
  /** Permission and special bits (st_mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: bigint;
  nlink: number;
  /** st_dev of the containing file system. */
  dev: bigint;
  /** st_rdev for character and block devices, else 0. */
  rdev: bigint;
  /** Symlink target bytes; null for other types. */
  target: Buffer | null;
  /** Other extended attributes, canonical encoding (see attrs.ts); null when there are none. */
  xattrs: Buffer | null;
  /** system.posix_acl_access + system.posix_acl_default, canonical encoding; null when none. */
  acl: Buffer | null;
  /** security.selinux value; null when none. */
  selinux: Buffer | null;
  /** security.capability value (vfs_cap_data); null when none. */
  caps: Buffer | null;
  /** ext2/3/4 inode flags (chattr); -1 when the file system or type has none. */
  flags: number;
  /** Digests by algorithm (regular files that could be read). */
  digests: Partial<Record<DigestAlgo, Buffer>>;
  /** Why something could not be read (`EACCES reading content`), or null. */
  error: string | null;
  /** ENTRY_FLAG bits. */
  scanFlags: number;
}

/** Attributes compared by check, in report order. */
export const ATTRIBUTES = [
  'type',
  'mode',
  'uid',
  'gid',
  'size',
  'mtime',
  'ctime',
  'inode',
  'nlink',
  'dev',
  'rdev',
  'target',
  'xattrs',
  'acl',
  'selinux',
  'caps',
  'flags',
  'sha256',
  'sha512',
  'sha3-256',
  'blake2b512',
  'error',
] as const;

export type Attribute = (typeof ATTRIBUTES)[number];

/** Default attributes: everything Bulwark records. */
export type ChangeKind = 'added' | 'removed' | 'changed';

/** Package-awareness verdict for one change. */
export type PackageClass = 'package-consistent' | 'unexplained';

export interface AttributeChange {
  attribute: Attribute;
  old: string;
  new: string;
}

export interface Change {
  kind: ChangeKind;
  /** Path bytes. */
  path: Buffer;
  /** Attributes that differ (changed only). */
  attributes: AttributeChange[];
  old?: Entry;
  new?: Entry;
  /** Package verdict, when package awareness ran. */
  package?: { class: PackageClass; name?: string; manager?: string };
  /** The entry changed while it was read (from the scan). */
  unstable?: boolean;
}

/** Entry-level problems met by a scan that do not stop it. */
export interface ScanProblem {
  path: Buffer;
  message: string;
}
