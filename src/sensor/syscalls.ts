// x86_64 syscall numbers of the calls a file denial or change can come from, named as KubeArmor
// prints them (`SYS_OPENAT`), and open(2) flag names. Only x86_64: the audit record's arch field
// says which table applies (c000003e); other arches print `SYS_<number>`.

const X86_64: Record<number, string> = {
  0: 'read',
  1: 'write',
  2: 'open',
  4: 'stat',
  5: 'fstat',
  6: 'lstat',
  9: 'mmap',
  16: 'ioctl',
  21: 'access',
  59: 'execve',
  76: 'truncate',
  77: 'ftruncate',
  82: 'rename',
  83: 'mkdir',
  84: 'rmdir',
  85: 'creat',
  86: 'link',
  87: 'unlink',
  88: 'symlink',
  89: 'readlink',
  90: 'chmod',
  91: 'fchmod',
  92: 'chown',
  93: 'fchown',
  94: 'lchown',
  133: 'mknod',
  188: 'setxattr',
  189: 'lsetxattr',
  190: 'fsetxattr',
  197: 'removexattr',
  198: 'lremovexattr',
  199: 'fremovexattr',
  235: 'utimes',
  257: 'openat',
  258: 'mkdirat',
  259: 'mknodat',
  260: 'fchownat',
  261: 'futimesat',
  263: 'unlinkat',
  264: 'renameat',
  265: 'linkat',
  266: 'symlinkat',
  268: 'fchmodat',
  269: 'faccessat',
  280: 'utimensat',
  316: 'renameat2',
  322: 'execveat',
  437: 'openat2',
  439: 'faccessat2',
  452: 'fchmodat2',
};

export const AUDIT_ARCH_X86_64 = 'c000003e';

/** `SYS_OPENAT` for 257; `SYS_<n>` when unknown. */
export function syscallName(nr: number, arch = AUDIT_ARCH_X86_64): string {
  const n = arch === AUDIT_ARCH_X86_64 ? X86_64[nr] : undefined;
  return n ? `SYS_${n.toUpperCase()}` : `SYS_${nr}`;
}

export const RENAME_SYSCALLS = new Set([82, 264, 316]);
export const LINK_SYSCALLS = new Set([86, 265]);
export const TRUNCATE_SYSCALLS = new Set([76, 77]);

/** Index of the flags argument (a0..a3) of open-type syscalls. */
export const OPEN_FLAGS_ARG: Record<number, number> = { 2: 1, 257: 2 };
/** creat(2) is open(O_CREAT|O_WRONLY|O_TRUNC). */
export const CREAT_FLAGS = 0o1101;

const FLAG_BITS: [number, string][] = [
  [0o100, 'O_CREAT'],
  [0o200, 'O_EXCL'],
  [0o400, 'O_NOCTTY'],
  [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'],
  [0o10000, 'O_DSYNC'],
  [0o20000, 'O_ASYNC'],
  [0o40000, 'O_DIRECT'],
  [0o100000, 'O_LARGEFILE'],
  [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'],
  [0o1000000, 'O_NOATIME'],
  [0o2000000, 'O_CLOEXEC'],
  [0o4000000, 'O_SYNC'],
  [0o10000000, 'O_PATH'],
  [0o20000000, 'O_TMPFILE'],
];

/** `O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK` for 0x941: access mode first, then bits ascending. */
export function decodeOpenFlags(flags: number): string {
  const names = [['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'][flags & 3]];
  let rest = flags & ~3;
  for (const [bit, name] of FLAG_BITS) {
    // O_SYNC carries O_DSYNC's bit too, and O_TMPFILE carries O_DIRECTORY's.
    if (name === 'O_DSYNC' && (rest & 0o4010000) === 0o4010000) continue;
    if (name === 'O_DIRECTORY' && (rest & 0o20200000) === 0o20200000) continue;
    const full = name === 'O_SYNC' ? 0o4010000 : name === 'O_TMPFILE' ? 0o20200000 : bit;
    if ((rest & full) === full) {
      names.push(name);
      rest &= ~full;
    }
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names.join('|');
}
