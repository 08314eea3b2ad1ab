// Depth-first walk in key order: each directory is listed once, its names sorted as bytes, and
// its children visited right after it. The walker never opens files and never follows symlinks;
// a directory that cannot be listed is still yielded, with the error attached, and the walk goes
// on. Excluded paths (and everything below them) are skipped.
import { lstatSync, readdirSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { briefLstat, loadNative, type BriefStat } from './native.js';

export interface WalkItem {
  path: Buffer;
  /** Why the directory's listing failed (`EACCES listing directory`), if it did. */
  error?: string;
}

/** One listed directory being walked: its children in byte order, one at a time. */
interface Frame {
  /** The next child's path and whether it is a directory, or null when done. */
  next(): { path: Buffer; dir: boolean } | null;
}

const SLASH = Buffer.from('/');

export function joinPath(dir: Buffer, name: Buffer): Buffer {
  return dir.length > 0 && dir[dir.length - 1] === 0x2f
    ? Buffer.concat([dir, name])
    : Buffer.concat([dir, SLASH, name]);
}

function isDirEntry(parent: Buffer, ent: Dirent<Buffer>): boolean {
  if (ent.isDirectory()) return true;
  if (
    ent.isFile() ||
    ent.isSymbolicLink() ||
    ent.isFIFO() ||
    ent.isSocket() ||
    ent.isCharacterDevice() ||
    ent.isBlockDevice()
  )
    return false;
  // DT_UNKNOWN (some file systems): ask lstat.
  try {
    return lstatSync(joinPath(parent, ent.name)).isDirectory();
  } catch {
    return false;
  }
}

function isDirPath(path: Buffer): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

const ERRNO_CODES = new Map(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

/** Throws like readdirSync does (an Error with `code`), for the walker's error text. */
function listingError(errno: number): Error {
  const code = ERRNO_CODES.get(errno) ?? `errno ${errno}`;
  return Object.assign(new Error(code), { code });
}

/**
 * Lists a directory in byte order. Through the native helper when it is built: one call, one
 * Buffer of names (sorted in C), and each child's path built straight from it (the listing is
 * most of the main thread's own work in an init); else Node's readdir.
 */
function listDir(dir: Buffer): Frame {
  const native = loadNative();
  if (native?.listDir) {
    const r = native.listDir(dir);
    if (typeof r === 'number') throw listingError(r);
    const [packed, kinds] = r;
    const slash = dir.length > 0 && dir[dir.length - 1] === 0x2f ? 0 : 1;
    let pos = 0;
    let i = 0;
    return {
      next() {
        if (pos >= packed.length) return null;
        const end = packed.indexOf(0, pos);
        const path = Buffer.allocUnsafe(dir.length + slash + end - pos);
        dir.copy(path, 0);
        if (slash) path[dir.length] = 0x2f;
        packed.copy(path, dir.length + slash, pos, end);
        pos = end + 1;
        const kind = kinds[i++];
        return { path, dir: kind === 1 || (kind === 2 && isDirPath(path)) };
      },
    };
  }
  const ents = readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
  const pairs = ents.map((e) => ({ name: e.name, dir: isDirEntry(dir, e) }));
  pairs.sort((a, b) => Buffer.compare(a.name, b.name));
  let i = 0;
  return {
    next() {
      if (i >= pairs.length) return null;
      const p = pairs[i++];
      return { path: joinPath(dir, p.name), dir: p.dir };
    },
  };
}

/**
 * Yields every path under the roots (roots included) in key order. Roots must be sorted by key
 * and not nested in one another (scope.ts ensures both).
 */
export function* walk(roots: Buffer[], excluded: (path: Buffer) => boolean): Generator<WalkItem> {
  for (const root of roots) {
    let rootIsDir = false;
    try {
      rootIsDir = lstatSync(root).isDirectory();
    } catch {
      // Let the reader report it (it may be gone or unreadable).
    }
    const stack: Frame[] = [];
    const enter = (dir: Buffer): string | undefined => {
      try {
        stack.push(listDir(dir));
        return undefined;
      } catch (e) {
        return `${(e as NodeJS.ErrnoException).code ?? String(e)} listing directory`;
      }
    };
    if (rootIsDir) {
      const error = enter(root);
      yield error ? { path: root, error } : { path: root };
    } else {
      yield { path: root };
    }
    while (stack.length > 0) {
      const n = stack[stack.length - 1].next();
      if (!n) {
        stack.pop();
        continue;
      }
      const child = n.path;
      if (excluded(child)) continue;
      if (n.dir) {
        const error = enter(child);
        yield error ? { path: child, error } : { path: child };
      } else {
        yield { path: child };
      }
    }
  }
}

/**
 * Yields the targets of a since-last check in key order: a subtree target as `walk` does for a
 * root, a single target alone. Targets must be sorted by key and not nested (targets.ts).
 */
export function* walkTargets(
  targets: { path: Buffer; subtree: boolean; root: Buffer }[],
  excluded: (path: Buffer) => boolean,
): Generator<WalkItem> {
  const dirs = new Map<string, boolean>();
  for (const t of targets) {
    const st = reachable(t.path, t.root, dirs);
    if (!st) continue;
    // A subtree target that is not a directory is the entry alone (walk would stat it again).
    if (t.subtree && st.dir) yield* walk([t.path], excluded);
    else yield { path: t.path };
  }
}

/**
 * Whether a full walk from `root` would reach `path`: it exists and every directory between them
 * is a real directory (the walk never follows a symlink; a gone or unreadable one is not there).
 * Its lstat when it would, else null.
 */
function reachable(path: Buffer, root: Buffer, dirs: Map<string, boolean>): BriefStat | null {
  // dirOk(d): d is a real directory and so is every directory from it up to the root (memoised).
  const dirOk = (d: Buffer): boolean => {
    const k = d.toString('latin1');
    let ok = dirs.get(k);
    if (ok === undefined) {
      ok = briefLstat(d)?.dir ?? false;
      if (ok && d.length > root.length) ok = dirOk(d.subarray(0, Math.max(1, d.lastIndexOf(0x2f))));
      dirs.set(k, ok);
    }
    return ok;
  };
  const st = briefLstat(path);
  if (!st) return null;
  return path.equals(root) || dirOk(path.subarray(0, Math.max(1, path.lastIndexOf(0x2f)))) ? st : null;
}
