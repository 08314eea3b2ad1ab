// Package awareness: is a change what the installed package ships? A PackageManager answers
// "which package owns this path and what digest does it record for it". dpkg is implemented
// (/var/lib/dpkg/info/*.md5sums); rpm would add a second implementation of the same interface
// (rpm -qf --dump or the rpmdb) and a line in detectPackageManager().
import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Change, PackageClass } from './types.js';

export interface PackageOwner {
  pkg: string;
  /** Digest the package database records for the path. */
  digest: Buffer;
  algo: 'md5' | 'sha256';
}

export interface PackageManager {
  readonly name: string;
  owner(path: Buffer): PackageOwner | null;
}

/** Attributes a package upgrade changes when it replaces a file with the packaged content. */
const CONTENT_ATTRS = new Set([
  'size',
  'mtime',
  'ctime',
  'inode',
  'nlink',
  'sha256',
  'sha512',
  'sha3-256',
  'blake2b512',
]);

/** Merged-/usr aliases: dpkg may record /lib/x where the file is /usr/lib/x, and the reverse. */
function aliases(p: string): string[] {
  const out = [p];
  const m = /^\/usr\/(bin|sbin|lib|lib32|lib64|libx32)(\/.*)$/.exec(p);
  if (m) out.push(`/${m[1]}${m[2]}`);
  const n = /^\/(bin|sbin|lib|lib32|lib64|libx32)(\/.*)$/.exec(p);
  if (n) out.push(`/usr/${n[1]}${n[2]}`);
  return out;
}

export class DpkgManager implements PackageManager {
  readonly name = 'dpkg';
  private map: Map<string, { pkg: string; md5: string }> | null = null;

  /**
   * @param prefixes when given, only paths under these directories (in either merged-/usr
   *   spelling) are kept, which keeps memory proportional to the scope, not to the host.
   */
  constructor(
    readonly infoDir = '/var/lib/dpkg/info',
    readonly prefixes: string[] | null = null,
  ) {}

  private wanted(): ((p: string) => boolean) | null {
    if (!this.prefixes) return null;
    const pre = [...new Set(this.prefixes.flatMap((r) => aliases(r === '/' ? '/' : r.replace(/\/+$/, ''))))];
    if (pre.includes('/')) return null;
    return (p) => pre.some((r) => p === r || (p.startsWith(r) && p[r.length] === '/'));
  }

  /** Loads the *.md5sums files once (about 10 MB on a typical host). Keys are latin1 paths. */
  private load(): Map<string, { pkg: string; md5: string }> {
    if (this.map) return this.map;
    const map = new Map<string, { pkg: string; md5: string }>();
    const keep = this.wanted();
    let files: string[];
    try {
      files = readdirSync(this.infoDir).filter((f) => f.endsWith('.md5sums'));
    } catch {
      files = [];
    }
    for (const f of files) {
      const pkg = f.slice(0, -'.md5sums'.length).replace(/:[^:]*$/, '');
      let text: string;
      try {
        text = readFileSync(join(this.infoDir, f), 'latin1');
      } catch {
        continue;
      }
      // Lines are "<32 hex md5>  <path without leading slash>".
      for (let i = 0; i < text.length;) {
        let j = text.indexOf('\n', i);
        if (j < 0) j = text.length;
        if (j - i > 34) {
          const path = `/${text.slice(i + 34, j)}`;
          if (!keep || keep(path)) map.set(path, { pkg, md5: text.slice(i, i + 32) });
        }
        i = j + 1;
      }
    }
    this.map = map;
    return map;
  }

  owner(path: Buffer): PackageOwner | null {
    const map = this.load();
    for (const p of aliases(path.toString('latin1'))) {
      const r = map.get(p);
      if (r) return { pkg: r.pkg, digest: Buffer.from(r.md5, 'hex'), algo: 'md5' };
    }
    return null;
  }
}

/** The host's package manager, if one is known; `scope` limits what is loaded (see DpkgManager). */
export function detectPackageManager(scope: string[] | null = null, root = '/'): PackageManager | null {
  const dpkg = join(root, 'var/lib/dpkg/info');
  if (existsSync(dpkg)) return new DpkgManager(dpkg, scope);
  return null;
}

/** Digest of a file's current content with the package database's algorithm; null if unreadable. */
export function fileDigest(path: Buffer, algo: 'md5' | 'sha256'): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const h = createHash(algo);
    const buf = Buffer.allocUnsafe(1 << 20);
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
    return h.digest();
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Classifies a change: `package-consistent` when the path's package database says the current
 * state is what the package ships (content changed to exactly the packaged digest, only content
 * attributes changed; or a packaged file removed by its package), otherwise `unexplained`.
 */
export function classify(
  pm: PackageManager,
  c: Change,
  oldPkg: string | null,
): { class: PackageClass; name?: string } {
  if (c.kind === 'removed') {
    // The file was owned by a package at baseline time and no package owns it now: the package
    // manager removed it (upgrade or purge).
    if (oldPkg && !pm.owner(c.path)) return { class: 'package-consistent', name: oldPkg };
    return { class: 'unexplained', ...(oldPkg ? { name: oldPkg } : {}) };
  }
  const e = c.new;
  if (!e || e.type !== 'f') return { class: 'unexplained' };
  const owner = pm.owner(c.path);
  if (!owner) return { class: 'unexplained' };
  if (c.kind === 'changed' && !c.attributes.every((a) => CONTENT_ATTRS.has(a.attribute)))
    return { class: 'unexplained', name: owner.pkg };
  const d = fileDigest(c.path, owner.algo);
  if (d && d.equals(owner.digest)) return { class: 'package-consistent', name: owner.pkg };
  return { class: 'unexplained', name: owner.pkg };
}
