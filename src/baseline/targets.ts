// What a since-last check re-reads: from changed paths (journal and last check) to a key-ordered,
// non-overlapping list of targets inside the scope. A changed path is re-read with everything
// below it (a renamed or deleted directory moves or removes its whole subtree) and its parent
// directory is re-read alone (a create, delete or rename changes the parent's times and size).
// A path that differed (or could not be read) at the last check is re-read alone.
import { kernelSpelling, under } from './watch-scope.js';
import { pathToKey } from './path-key.js';

export interface Target {
  path: Buffer;
  key: Buffer;
  /** Re-read the path and everything below it; false: the entry alone. */
  subtree: boolean;
  /** The baseline root it is under. */
  root: Buffer;
}

/** key is `cover` or below it (the root '/' has key NUL and covers every key). */
export function keyCovers(cover: Buffer, key: Buffer): boolean {
  if (cover.length === 1 && cover[0] === 0) return true;
  return (
    key.equals(cover) ||
    (key.length > cover.length && key[cover.length] === 0 && key.subarray(0, cover.length).equals(cover))
  );
}

const FFFD = Buffer.from('\ufffd');

/**
 * The sensor gives paths as text: a name that is not valid UTF-8 arrives with U+FFFD in it. Such a
 * path is matched against the names that exist on disk or in the baseline (`children`), component
 * by component; with no match, its nearest exact ancestor is re-read whole.
 */
export function resolveLossy(p: Buffer, children: (dir: Buffer) => Buffer[]): Buffer[] {
  if (p.indexOf(FFFD) < 0) return [p];
  const parts = p.toString('utf8').split('/').filter(Boolean);
  let cands: Buffer[] = [Buffer.from('/')];
  for (const part of parts) {
    const next: Buffer[] = [];
    for (const dir of cands) {
      const join = (name: Buffer): Buffer =>
        Buffer.concat([dir, dir.length > 1 ? Buffer.from('/') : Buffer.alloc(0), name]);
      if (!part.includes('\ufffd')) next.push(join(Buffer.from(part)));
      else for (const n of children(dir)) if (n.toString('utf8') === part) next.push(join(n));
    }
    if (next.length === 0) return cands;
    cands = next;
  }
  return cands;
}

function parentOf(p: Buffer): Buffer {
  const slash = p.lastIndexOf(0x2f);
  return slash <= 0 ? Buffer.from('/') : p.subarray(0, slash);
}

export function buildTargets(
  changed: Buffer[],
  carried: Buffer[],
  roots: string[],
  excluded: (p: Buffer) => boolean,
  children: (dir: Buffer) => Buffer[] = () => [],
): Target[] {
  const rootBufs = roots.map((r) => ({
    root: r,
    buf: Buffer.from(r),
    alias: Buffer.from(kernelSpelling(r)),
  }));
  const out = new Map<string, Target>();
  const isUnder = (p: Buffer, t: Buffer): boolean => under(p.toString('latin1'), t.toString('latin1'));
  const isExcluded = (p: Buffer, root: Buffer): boolean => {
    // The path or any directory between it and its root is excluded (walk skips the whole subtree).
    for (let q = p; q.length > root.length; q = parentOf(q)) if (excluded(q)) return true;
    return false;
  };
  const add = (path: Buffer, subtree: boolean, root: Buffer): void => {
    const key = pathToKey(path);
    const id = key.toString('hex');
    const had = out.get(id);
    if (!had || (subtree && !had.subtree)) out.set(id, { path, key, subtree, root });
  };
  for (const raw of changed.flatMap((c) => resolveLossy(c, children))) {
    let p = raw;
    if (p.length > 1 && p[p.length - 1] === 0x2f) p = p.subarray(0, p.length - 1);
    for (const r of rootBufs) {
      // The kernel names paths with symlinks resolved; the baseline uses the root as written.
      const q =
        !r.alias.equals(r.buf) && isUnder(p, r.alias)
          ? Buffer.concat([r.buf, p.subarray(r.alias.length)])
          : p;
      if (isUnder(q, r.buf)) {
        if (isExcluded(q, r.buf)) continue;
        add(q, true, r.buf);
        if (!q.equals(r.buf)) {
          const parent = parentOf(q);
          if (!isExcluded(parent, r.buf)) add(parent, false, r.buf);
        }
      } else if (isUnder(r.buf, q)) add(r.buf, true, r.buf);
    }
  }
  // Entries that differed at the last check: each is re-read alone (an added or removed directory's
  // children were listed too).
  for (const p of carried)
    for (const r of rootBufs) if (isUnder(p, r.buf) && !isExcluded(p, r.buf)) add(p, false, r.buf);
  const sorted = [...out.values()].sort((a, b) => Buffer.compare(a.key, b.key) || (a.subtree ? -1 : 1));
  // Drop targets inside an earlier subtree: its keys are the subtree's key, then key + NUL + ...
  const kept: Target[] = [];
  let cover: Buffer | null = null;
  for (const t of sorted) {
    if (cover && keyCovers(cover, t.key)) continue;
    kept.push(t);
    cover = t.subtree ? t.key : null;
  }
  return kept;
}
