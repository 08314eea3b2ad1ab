// Builders for the string fields KubeArmor derives from kernel data: decoded open flags, the
// `Data` field (`syscall=SYS_OPENAT flags=O_WRONLY|O_CREAT`), its parsed `EventData` map, and the
// `Labels` string.

/** Linux open(2) flag bits (asm-generic, as on x86_64 and arm64), octal as in the headers. */
const O = {
  ACCMODE: 0o3,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DSYNC: 0o10000,
  ASYNC: 0o20000,
  DIRECT: 0o40000,
  LARGEFILE: 0o100000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  NOATIME: 0o1000000,
  CLOEXEC: 0o2000000,
  SYNC: 0o4010000, // __O_SYNC | O_DSYNC
  PATH: 0o10000000,
  TMPFILE: 0o20200000, // __O_TMPFILE | O_DIRECTORY
} as const;

/**
 * Flag names in KubeArmor's getOpenFlags order: access mode first, then O_CREAT, O_EXCL,
 * O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_SYNC, O_ASYNC, O_LARGEFILE, O_DIRECTORY, O_NOFOLLOW,
 * O_CLOEXEC, O_DIRECT, O_NOATIME; then bits KubeArmor does not name (O_DSYNC alone, O_PATH,
 * O_TMPFILE), so nothing the kernel saw is hidden.
 */
const ORDER: ReadonlyArray<[string, number]> = [
  ['O_CREAT', O.CREAT],
  ['O_EXCL', O.EXCL],
  ['O_NOCTTY', O.NOCTTY],
  ['O_TRUNC', O.TRUNC],
  ['O_APPEND', O.APPEND],
  ['O_NONBLOCK', O.NONBLOCK],
  ['O_SYNC', O.SYNC],
  ['O_ASYNC', O.ASYNC],
  ['O_LARGEFILE', O.LARGEFILE],
  ['O_DIRECTORY', O.DIRECTORY],
  ['O_NOFOLLOW', O.NOFOLLOW],
  ['O_CLOEXEC', O.CLOEXEC],
  ['O_DIRECT', O.DIRECT],
  ['O_NOATIME', O.NOATIME],
];

/** `O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK` for 0o4501. */
export function openFlagNames(flags: number): string {
  const acc = flags & O.ACCMODE;
  const names = [acc === 0 ? 'O_RDONLY' : acc === 1 ? 'O_WRONLY' : acc === 2 ? 'O_RDWR' : 'O_ACCMODE'];
  for (const [name, bits] of ORDER) if ((flags & bits) === bits) names.push(name);
  if ((flags & O.DSYNC) !== 0 && (flags & O.SYNC) !== O.SYNC) names.push('O_DSYNC');
  if ((flags & O.TMPFILE) === O.TMPFILE) names.push('O_TMPFILE');
  else if ((flags & O.PATH) !== 0) names.push('O_PATH');
  return names.join('|');
}

export interface DataParts {
  /** `SYS_OPENAT`, `SYS_UNLINKAT`, ...; with or without the `SYS_` prefix. */
  syscall?: string;
  /** `FILE_OPEN`, `FILE_PERMISSION`, ... for BPF-LSM decisions (printed as `lsm=`). */
  lsm?: string;
  /** Directory fd argument (`-100` is AT_FDCWD), printed when given. */
  fd?: number;
  /** Raw open flags, decoded with openFlagNames. `null` prints an empty `flags=` (unlinkat). */
  flags?: number | null;
}

/** `syscall=SYS_OPENAT flags=O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK`, `lsm=FILE_OPEN`, ... */
export function dataString(p: DataParts): string {
  const parts: string[] = [];
  if (p.syscall) parts.push(`syscall=${p.syscall.startsWith('SYS_') ? p.syscall : `SYS_${p.syscall}`}`);
  if (p.lsm) parts.push(`lsm=${p.lsm}`);
  if (p.fd !== undefined) parts.push(`fd=${p.fd}`);
  if (p.flags === null) parts.push('flags=');
  else if (p.flags !== undefined) parts.push(`flags=${openFlagNames(p.flags)}`);
  return parts.join(' ');
}

/** KubeArmor's parseDataString: `syscall=SYS_OPEN flags=X` → `{Syscall: 'SYS_OPEN', Flags: 'X'}`. */
export function parseDataString(data: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of data.split(' ')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq);
    out[key.charAt(0).toUpperCase() + key.slice(1)] = part.slice(eq + 1);
  }
  return out;
}

/** `k=v,k2=v2`, sorted by key, from a label map. */
export function labelsString(labels: Record<string, string> | undefined): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** The label map of a `Labels` string (pairs without `=` are kept with an empty value). */
export function parseLabels(labels: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!labels) return out;
  for (const pair of labels.split(',')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    if (eq < 0) out[pair] = '';
    else out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
