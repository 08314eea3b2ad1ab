// Landlock filesystem access rights (include/uapi/linux/landlock.h) and how Bulwark's operations
// map onto them. A right the running kernel's ABI does not know is never handled nor granted.
import type { Operation } from '../policy/types.js';

export const LL = {
  execute: 1 << 0,
  writeFile: 1 << 1,
  readFile: 1 << 2,
  readDir: 1 << 3,
  removeDir: 1 << 4,
  removeFile: 1 << 5,
  makeChar: 1 << 6,
  makeDir: 1 << 7,
  makeReg: 1 << 8,
  makeSock: 1 << 9,
  makeFifo: 1 << 10,
  makeBlock: 1 << 11,
  makeSym: 1 << 12,
  refer: 1 << 13, // ABI 2
  truncate: 1 << 14, // ABI 3
  ioctlDev: 1 << 15, // ABI 5
} as const;

export const READ_RIGHTS = LL.readFile | LL.readDir;
export const WRITE_RIGHTS =
  LL.writeFile |
  LL.removeDir |
  LL.removeFile |
  LL.makeChar |
  LL.makeDir |
  LL.makeReg |
  LL.makeSock |
  LL.makeFifo |
  LL.makeBlock |
  LL.makeSym |
  LL.refer |
  LL.truncate;
/** Rights that may be granted on a non-directory. */
export const FILE_RIGHTS = LL.execute | LL.writeFile | LL.readFile | LL.truncate | LL.ioctlDev;

/** Rights the kernel supports at a Landlock ABI version (0 = no Landlock). */
export function supportedRights(abi: number): number {
  if (abi <= 0) return 0;
  let all = (1 << 13) - 1;
  if (abi >= 2) all |= LL.refer;
  if (abi >= 3) all |= LL.truncate;
  if (abi >= 5) all |= LL.ioctlDev;
  return all;
}

/**
 * The rights that refuse an operation, and whether they are checked on the object itself
 * ('object') or on its parent directory ('parent': directory-level rights, which apply to every
 * entry of the directory). Empty: Landlock has no right for it.
 */
export const OP_RIGHTS: Record<Operation, { rights: number; on: 'object' | 'parent' }> = {
  read: { rights: READ_RIGHTS, on: 'object' },
  write: { rights: LL.writeFile, on: 'object' },
  truncate: { rights: LL.truncate | LL.writeFile, on: 'object' },
  create: { rights: LL.makeReg | LL.makeFifo | LL.makeSock | LL.makeChar | LL.makeBlock, on: 'parent' },
  mkdir: { rights: LL.makeDir, on: 'parent' },
  symlink: { rights: LL.makeSym, on: 'parent' },
  unlink: { rights: LL.removeFile, on: 'parent' },
  rmdir: { rights: LL.removeDir, on: 'parent' },
  rename: { rights: LL.removeFile | LL.removeDir | LL.makeReg | LL.makeDir | LL.refer, on: 'parent' },
  link: { rights: LL.makeReg | LL.refer, on: 'parent' },
  chmod: { rights: 0, on: 'object' },
  chown: { rights: 0, on: 'object' },
  setxattr: { rights: 0, on: 'object' },
  removexattr: { rights: 0, on: 'object' },
  utimes: { rights: 0, on: 'object' },
};

const NAMES = Object.entries(LL) as [string, number][];

/** `write_file|make_reg` style names of a mask, for logs and explain output. */
export function rightNames(mask: number): string {
  const out: string[] = [];
  for (const [k, v] of NAMES) if (mask & v) out.push(k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
  return out.join('|') || 'none';
}
