// Files of the baseline state directory that root writes (`<state-dir>/baseline`: the change
// journal, the since-last state): never through a symbolic link, never by truncating a file that
// is already there, and only in a directory that no other user can write. A link planted at a
// fixed name would otherwise make root write (or truncate) a file of the planter's choosing.
//
// Contract: openNoFollow refuses a symbolic link as the last component (O_NOFOLLOW); replaceFile
// writes a new file under a random name (O_CREAT|O_EXCL|O_NOFOLLOW, 0600) in the same directory
// and renames it over the old name (the rename replaces a link, it does not follow it);
// privateDir creates the directory 0700 and refuses one that is a link, owned by another user or
// writable by group or others.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BulwarkError } from '../common/errors.js';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_WRONLY } = constants;

function euid(): number {
  return process.geteuid?.() ?? 0;
}

/**
 * Why `dir` is not safe to trust, or null: a link, not a directory, owned by a uid not in
 * `owners` (default: this process's user), or writable by group or others.
 */
export function unsafeDir(dir: string, owners: number[] = [euid()]): string | null {
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    return `cannot inspect ${dir}: ${(e as Error).message}`;
  }
  if (st.isSymbolicLink())
    return `${dir} is a symbolic link (remove it; Bulwark creates the directory itself, mode 0700)`;
  if (!st.isDirectory()) return `${dir} is not a directory (remove it)`;
  const ok = [...new Set(owners)];
  if (!ok.includes(st.uid))
    return `${dir} is owned by uid ${st.uid}, not ${ok.join(' or ')} (chown ${ok[ok.length - 1]} ${dir})`;
  if (st.mode & 0o022)
    return `${dir} is writable by group or others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}; chmod 0700 ${dir})`;
  return null;
}

/** Creates `dir` (0700) if missing; throws BASELINE_STATE_UNSAFE if it is not private. */
export function privateDir(dir: string): void {
  mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const bad = unsafeDir(dir);
  if (bad) throw new BulwarkError('BASELINE_STATE_UNSAFE', `refusing to use ${dir}: ${bad}`);
}

/** openSync with O_NOFOLLOW; a link at `file` is a BASELINE_STATE_UNSAFE error naming it. */
export function openNoFollow(file: string, flags: number, mode = 0o600): number {
  try {
    return openSync(file, flags | O_NOFOLLOW, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP')
      throw new BulwarkError(
        'BASELINE_STATE_UNSAFE',
        `${file} is a symbolic link; refusing to follow it (remove the link and find out who made it)`,
      );
    throw e;
  }
}

/** The whole file, read without following a link. */
export function readNoFollow(file: string): Buffer {
  const fd = openNoFollow(file, O_RDONLY);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/**
 * A new file (0600) under a random name next to `file`, holding `data`, open for writing at its
 * end. The caller renames it into place (or unlinks it on failure).
 */
export function createTemp(file: string, data: Buffer): { tmp: string; fd: number } {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    writeAll(fd, data);
    return { tmp, fd };
  } catch (e) {
    closeSync(fd);
    removeQuietly(tmp);
    throw e;
  }
}

export function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone, or the directory is read-only: nothing more to do
  }
}

/** Replaces `file` with `data` in one rename (whole or not at all; a link there is replaced). */
export function replaceFile(file: string, data: Buffer): void {
  const { tmp, fd } = createTemp(file, data);
  let closed = false;
  try {
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(tmp, file);
  } catch (e) {
    if (!closed) closeSync(fd);
    removeQuietly(tmp);
    throw e;
  }
}
