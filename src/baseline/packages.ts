// Package awareness: is a change what the installed package ships? A PackageManager answers
// "which package owns this path and what digest does it record for it". dpkg is implemented
// (/var/lib/dpkg/info/*.md5sums); rpm would add a second implementation of the same interface
// (rpm -qf --dump or the rpmdb) and a line in detectPackageManager().
import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Change, EntryType, PackageClass } from './types.js';
import { loadNative, type DpkgIndex, type NativeAttrs } from './native.js';

export interface PackageOwner {
  pkg: string;
  /** Digest the package database records for the path. */
  digest: Buffer;
  algo: 'md5' | 'sha256';
}

export interface PackageManager {
  readonly name: string;
  /**
   * The package that owns `path` now, and its recorded digest. `hint`, the package that owned it
   * when the baseline was recorded, lets a manager look in that package's list first instead of
   * loading the whole database (a check with a few changes then reads a few small files).
   */
  owner(path: Buffer, hint?: string | null): PackageOwner | null;
  /**
   * Only the owning package's name, of a store key (path-key.ts): what init records per entry.
   * `type`, when given, lets a manager that lists only some kinds of entry skip the lookup.
   */
  ownerOfKey(key: Buffer, type?: EntryType): string | null;
  /** Builds what ownerOfKey needs now rather than at the first call (init does it early). */
  preload?(): void;
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

const MERGED = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/**
 * Whether a path relative to '/' ("lib/x") or a key text ("\0lib\0x", sep NUL, from 1) is in the
 * root spelling of a merged-/usr directory (/bin, /sbin, /lib, ...). String compares, no regex:
 * this runs for every line of the package database and every entry of an init.
 */
function rootSpelled(p: string, from: number, sep: string): boolean {
  const c = p[from];
  if (c !== 'b' && c !== 's' && c !== 'l') return false;
  for (const d of MERGED) if (p.startsWith(d, from) && p[from + d.length] === sep) return true;
  return false;
}

/** rootSpelled() of a store key's bytes ("\0lib\0x"), without making a string of it. */
function rootSpelledKey(k: Buffer): boolean {
  const c = k[1];
  if (c !== 0x62 && c !== 0x73 && c !== 0x6c) return false; // b, s, l
  for (const d of MERGED_BYTES)
    if (k.length > d.length + 1 && k[d.length + 1] === 0 && k.subarray(1, d.length + 1).equals(d))
      return true;
  return false;
}

const MERGED_BYTES = MERGED.map((d) => Buffer.from(d));

/** The latin1 text of a path's store key: '/' as NUL (see path-key.ts). */
function keyText(path: string): string {
  return path.replaceAll('/', '\0');
}

interface Owned {
  pkg: string;
  md5: string;
  /** Listed in the root spelling (/lib/x rather than /usr/lib/x). */
  root: boolean;
  /** The same file listed in the other spelling too (by another package, during a /usr merge). */
  other?: Owned;
}

/** Merged-/usr aliases: dpkg may record /lib/x where the file is /usr/lib/x, and the reverse. */
function aliases(p: string): string[] {
  const out = [p];
  const m = /^\/usr\/(bin|sbin|lib|lib32|lib64|libx32)(\/.*)?$/.exec(p);
  if (m) out.push(`/${m[1]}${m[2] ?? ''}`);
  const n = /^\/(bin|sbin|lib|lib32|lib64|libx32)(\/.*)?$/.exec(p);
  if (n) out.push(`/usr/${n[1]}${n[2] ?? ''}`);
  return out;
}

export class DpkgManager implements PackageManager {
  readonly name = 'dpkg';
  /**
   * By the latin1 text of a store key (path with '/' as NUL) in the /usr spelling: a path listed
   * as /lib/x is filed under /usr/lib/x, so either spelling finds it with one get (init asks for
   * every entry).
   */
  private map: Map<string, Owned> | null = null;
  /** The owner index init uses, outside the JS heap (native helper); false: not available. */
  private native:
    { index: DpkgIndex; packages: string[]; owner: NonNullable<NativeAttrs['dpkgOwner']> } | false | null =
    null;
  /** One package's md5sums text (latin1), by package name; null: no such list. */
  private lists = new Map<string, string | null>();
  /** The *.md5sums file names of each package (a name may carry an architecture suffix). */
  private listFiles: Map<string, string[]> | null = null;

  /**
   * @param prefixes when given, only paths under these directories (in either merged-/usr
   *   spelling) are kept, which keeps memory proportional to the scope, not to the host.
   */
  constructor(
    readonly infoDir = '/var/lib/dpkg/info',
    readonly prefixes: string[] | null = null,
  ) {}

  /** Prefixes in both spellings relative to '/', or null for every path (see wanted()). */
  private prefixRels(): string[] | null {
    if (!this.prefixes) return null;
    const pre = [...new Set(this.prefixes.flatMap((r) => aliases(r === '/' ? '/' : r.replace(/\/+$/, ''))))];
    return pre.includes('/') ? null : pre.map((r) => r.slice(1));
  }

  /**
   * The native owner index (same rules as load(); built once): a Map of tens of thousands of
   * strings cost an init more in garbage collection and lookups than the scan's own main-thread
   * work. False when the helper is missing or cannot read the database (load() is used then).
   */
  private nativeIndex(): DpkgManager['native'] {
    if (this.native !== null) return this.native;
    const n = loadNative();
    if (!n?.dpkgIndex || !n.dpkgOwner) return (this.native = false);
    const rels = this.prefixRels();
    const r = n.dpkgIndex(Buffer.from(this.infoDir), rels && rels.map((x) => Buffer.from(x, 'latin1')));
    if (typeof r === 'number') return (this.native = false);
    return (this.native = { index: r[0], packages: r[1], owner: n.dpkgOwner.bind(n) });
  }

  /**
   * Whether the path relative to '/' that starts at `at` in `text` (and ends at a newline or the
   * end) is under the prefixes, in either spelling; null: keep all. Nothing is sliced to decide.
   */
  private wanted(): ((text: string, at: number) => boolean) | null {
    const rels = this.prefixRels();
    if (!rels) return null;
    return (text, at) =>
      rels.some((r) => {
        if (!text.startsWith(r, at)) return false;
        const c = text[at + r.length];
        return c === '/' || c === '\n' || c === undefined;
      });
  }

  /** Loads the *.md5sums files once (about 10 MB on a typical host). */
  private load(): Map<string, Owned> {
    if (this.map) return this.map;
    const map = new Map<string, Owned>();
    const keep = this.wanted();
    // A path's own spelling wins over another package's listing of its alias (in either order).
    const put = (rel: string, o: Owned): void => {
      const k = o.root ? `\0usr\0${keyText(rel)}` : `\0${keyText(rel)}`;
      const had = map.get(k);
      if (!had || had.root === o.root) map.set(k, had?.other ? { ...o, other: had.other } : o);
      else if (!had.other || had.other.root === o.root) had.other = o;
    };
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
        if (j - i > 34 && (!keep || keep(text, i + 34))) {
          const rel = text.slice(i + 34, j);
          put(rel, { pkg, md5: text.slice(i, i + 32), root: rootSpelled(rel, 0, '/') });
        }
        i = j + 1;
      }
    }
    this.map = map;
    return map;
  }

  private listOf(pkg: string): string | null {
    const cached = this.lists.get(pkg);
    if (cached !== undefined) return cached;
    if (!this.listFiles) {
      this.listFiles = new Map();
      let names: string[];
      try {
        names = readdirSync(this.infoDir);
      } catch {
        names = [];
      }
      for (const f of names) {
        if (!f.endsWith('.md5sums')) continue;
        const name = f.slice(0, -'.md5sums'.length).replace(/:[^:]*$/, '');
        const list = this.listFiles.get(name);
        if (list) list.push(f);
        else this.listFiles.set(name, [f]);
      }
    }
    let text: string | null = null;
    for (const f of this.listFiles.get(pkg) ?? []) {
      try {
        text = (text ?? '') + readFileSync(join(this.infoDir, f), 'latin1');
      } catch {
        // unreadable: as if the package listed nothing (the full load skips it the same way)
      }
    }
    this.lists.set(pkg, text);
    return text;
  }

  /** `path` (latin1, absolute) in one package's list: its md5, or null. */
  private static find(text: string, path: string): string | null {
    const needle = `  ${path.slice(1)}`;
    for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      const end = i + needle.length;
      // A whole line: 32 hex digits, two spaces, the path, then a newline or the end.
      if ((end === text.length || text[end] === '\n') && i >= 32 && (i === 32 || text[i - 33] === '\n'))
        return text.slice(i - 32, i);
    }
    return null;
  }

  preload(): void {
    if (!this.nativeIndex()) this.load();
  }

  ownerOfKey(key: Buffer, type?: EntryType): string | null {
    // dpkg's md5sums list regular files only (no directories, no symlinks).
    if (type !== undefined && type !== 'f') return null;
    const nat = this.nativeIndex();
    if (nat) {
      const i = nat.owner(nat.index, key, rootSpelledKey(key));
      return i < 0 ? null : nat.packages[i];
    }
    return this.lookup(key.toString('latin1'))?.pkg ?? null;
  }

  /** By key text: the listing in the key's own spelling first, then the other one. */
  private lookup(k: string): Owned | null {
    const root = rootSpelled(k, 1, '\0');
    const o = this.load().get(root ? `\0usr${k}` : k);
    if (!o) return null;
    return o.root === root || !o.other ? o : o.other;
  }

  owner(path: Buffer, hint: string | null = null): PackageOwner | null {
    // Before the whole database is loaded, the baseline's owner is asked first. A path it no
    // longer lists (moved to another package, or removed) falls through to the full lookup.
    if (!this.map && hint) {
      const text = this.listOf(hint);
      if (text)
        for (const p of aliases(path.toString('latin1'))) {
          const md5 = DpkgManager.find(text, p);
          if (md5) return { pkg: hint, digest: Buffer.from(md5, 'hex'), algo: 'md5' };
        }
    }
    const r = this.lookup(keyText(path.toString('latin1')));
    return r ? { pkg: r.pkg, digest: Buffer.from(r.md5, 'hex'), algo: 'md5' } : null;
  }
}

/** The host's package manager, if one is known; `scope` limits what is loaded (see DpkgManager). */
export function detectPackageManager(scope: string[] | null = null, root = '/'): PackageManager | null {
  const dpkg = join(root, 'var/lib/dpkg/info');
  if (existsSync(dpkg)) return new DpkgManager(dpkg, scope);
  return null;
}

let readBuf: Buffer | null = null;

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
    // One buffer for every call: a fresh 1 MiB per file made a check with many changes spend
    // its time in the garbage collector.
    readBuf ??= Buffer.allocUnsafe(1 << 20);
    const buf = readBuf;
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
    if (oldPkg && !pm.owner(c.path, oldPkg)) return { class: 'package-consistent', name: oldPkg };
    return { class: 'unexplained', ...(oldPkg ? { name: oldPkg } : {}) };
  }
  const e = c.new;
  if (!e || e.type !== 'f') return { class: 'unexplained' };
  const owner = pm.owner(c.path, oldPkg);
  if (!owner) return { class: 'unexplained' };
  if (c.kind === 'changed' && !c.attributes.every((a) => CONTENT_ATTRS.has(a.attribute)))
    return { class: 'unexplained', name: owner.pkg };
  const d = fileDigest(c.path, owner.algo);
  if (d && d.equals(owner.digest)) return { class: 'package-consistent', name: owner.pkg };
  return { class: 'unexplained', name: owner.pkg };
}
