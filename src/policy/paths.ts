// Path helpers shared by the compiler and decide(). Paths are compared as strings after
// normalisation: repeated slashes collapsed, '.' and '..' resolved lexically (the kernel reports
// resolved paths; callers with relative paths must join them with the cwd first).

/** Normalises an absolute path; a trailing '/' is kept only for the root. */
export function normalisePath(p: string): string {
  if (!p.startsWith('/')) p = `/${p}`;
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

/** Normalises a directory target to end in exactly one '/'. */
export function normaliseDir(d: string): string {
  const p = normalisePath(d);
  return p === '/' ? '/' : `${p}/`;
}

/** Number of '/' in a normalised directory key: '/' = 1, '/etc/' = 2. */
export function dirDepth(dir: string): number {
  let n = 0;
  for (let i = 0; i < dir.length; i++) if (dir.charCodeAt(i) === 47) n++;
  return n;
}

/** Parent directory key of a normalised path ('/etc/passwd' → '/etc/'; '/' → ''). */
export function parentDir(p: string): string {
  if (p === '/') return '';
  return p.slice(0, p.lastIndexOf('/') + 1);
}
