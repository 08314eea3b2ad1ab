// Where the change journal can be trusted to have seen every change: the baseline roots must lie
// in trees the agent's fanotify sensor watches, on the file systems it marks, under the same
// mounts as at the last check; and the store files must be untouched for their rows to be
// trusted without re-computing the content digest.
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** p is t or below t (t a watched tree). */
export function under(p: string, t: string): boolean {
  return t === '/' || p === t || p.startsWith(`${t}/`);
}

/** A root as the kernel spells it: its parent with symlinks resolved (the root itself not followed). */
export function kernelSpelling(root: string): string {
  if (root === '/') return root;
  try {
    return join(realpathSync(dirname(root)), basename(root));
  } catch {
    return root;
  }
}

interface Mount {
  point: string;
  dev: string;
  /** The directory of the file system mounted here: `/` unless it is a bind mount of a subtree. */
  root: string;
  line: string;
}

/** The mount table (`/proc/self/mountinfo`, or the given text), or null when unreadable. */
function mounts(mountinfo?: string): Mount[] | null {
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return null;
    }
  }
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length >= 5) out.push({ point: unescapeMount(f[4]), dev: f[2], root: unescapeMount(f[3]), line });
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * A mount that keeps the journal from covering a root: a file system mounted between a watched
 * tree and a root, or inside a root, that is not the tree's own (the agent marks the tree's file
 * system only, so changes there make no events); or a bind mount (of a subtree, or of the same
 * file system again) at the tree or along the way: the helper names every file of a marked file
 * system through one mount, so files reached through another are named there, not under the
 * tree, and their events are not journalled under it.
 */
export function unwatchedMount(roots: string[], trees: string[], mountinfo?: string): string | null {
  const ms = mounts(mountinfo);
  if (!ms) return null;
  // The mount a path lies in: the deepest mount point above it (the last one mounted there).
  const mountOf = (p: string): Mount | undefined => {
    let best: Mount | undefined;
    for (const m of ms) if (under(p, m.point) && (!best || m.point.length >= best.point.length)) best = m;
    return best;
  };
  for (const r of roots.map(kernelSpelling)) {
    const t = trees.filter((x) => under(r, x)).sort((a, b) => b.length - a.length)[0];
    if (!t) continue;
    const own = mountOf(t);
    if (own && own.root !== '/') return own.point;
    // Any other mount on the way from the tree to the root, or inside the root: another file
    // system, or this one again (a bind mount).
    for (const m of ms)
      if (m.point !== t && under(m.point, t) && (under(m.point, r) || under(r, m.point))) return m.point;
  }
  return null;
}

export function uncovered(roots: string[], trees: string[]): string | null {
  for (const r of roots) {
    const k = kernelSpelling(r);
    if (!trees.some((t) => under(k, t))) return r;
  }
  return null;
}

/** Digest of the mount table lines at, below or above the roots: a mount hides or shows files without events. */
export function mountsDigest(roots: string[]): string {
  const ms = mounts();
  if (!ms) return 'unknown';
  const h = createHash('sha256');
  const spelled = roots.map(kernelSpelling);
  for (const m of ms)
    if (spelled.some((r) => under(m.point, r) || under(r, m.point))) h.update(`${m.line}\n`);
  return h.digest('hex');
}

/** Identity and times of the store files: equal means not written since (see docs/baseline.md). */
export function storeStamp(dbFile: string): string {
  const part = (f: string): string => {
    try {
      const s = statSync(f, { bigint: true });
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    } catch {
      return 'none';
    }
  };
  // An empty WAL holds nothing; a read-only open truncates it again, which moves its ctime.
  const wal = part(`${dbFile}-wal`);
  return `${part(dbFile)}|${/^\d+:\d+:0:/.test(wal) ? 'empty' : wal}`;
}
