// Host path resolution for rule targets: the kernel reports resolved paths (merged /usr makes
// `/sbin/file` appear as `/usr/sbin/file`), so rules are also indexed under their resolved form.
import { realpathSync } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Resolves symlinks in the longest existing prefix of an absolute path and keeps the rest as
 * written. A trailing '/' is preserved. The final component of a file path is not followed
 * (an operation on a symlink itself names the link). Returns null when nothing changes.
 */
export function resolveHostPath(target: string): string | null {
  const isDir = target.endsWith('/') && target !== '/';
  const p = isDir ? target.slice(0, -1) : target;
  let head = isDir ? p : dirname(p);
  let tail = isDir ? '' : `/${basename(p)}`;
  for (;;) {
    try {
      const real = realpathSync(head);
      let out = (real === '/' ? '' : real) + tail;
      if (out === '') out = '/';
      if (isDir) out += '/';
      return out === target ? null : out;
    } catch {
      if (head === '/' || head === '.') return null;
      tail = `/${basename(head)}${tail}`;
      head = dirname(head);
    }
  }
}
