// Attribute-by-attribute comparison of two entries, with old → new renderings for reports.
import { renderAclBlob, renderCaps, renderFlags, renderXattrs } from './attrs.js';
import { displayPath } from './path-key.js';
import type { Attribute, AttributeChange, DigestAlgo, Entry } from './types.js';

function eqBuf(a: Buffer | null | undefined, b: Buffer | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.equals(b);
}

function nsText(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

/** major:minor as the kernel's new_encode_dev packs them. */
function devText(d: bigint): string {
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

const hex = (b: Buffer | null | undefined): string => (b ? b.toString('hex') : '-');

/** How each attribute is read from an entry, compared and shown. */
const SPEC: Record<Attribute, { eq: (a: Entry, b: Entry) => boolean; show: (e: Entry) => string }> = {
  type: { eq: (a, b) => a.type === b.type, show: (e) => e.type },
  mode: { eq: (a, b) => a.mode === b.mode, show: (e) => e.mode.toString(8).padStart(4, '0') },
  uid: { eq: (a, b) => a.uid === b.uid, show: (e) => String(e.uid) },
  gid: { eq: (a, b) => a.gid === b.gid, show: (e) => String(e.gid) },
  size: { eq: (a, b) => a.size === b.size, show: (e) => String(e.size) },
  mtime: { eq: (a, b) => a.mtimeNs === b.mtimeNs, show: (e) => nsText(e.mtimeNs) },
  ctime: { eq: (a, b) => a.ctimeNs === b.ctimeNs, show: (e) => nsText(e.ctimeNs) },
  inode: { eq: (a, b) => a.inode === b.inode, show: (e) => String(e.inode) },
  nlink: { eq: (a, b) => a.nlink === b.nlink, show: (e) => String(e.nlink) },
  dev: { eq: (a, b) => a.dev === b.dev, show: (e) => String(e.dev) },
  rdev: { eq: (a, b) => a.rdev === b.rdev, show: (e) => (e.rdev ? devText(e.rdev) : '-') },
  target: { eq: (a, b) => eqBuf(a.target, b.target), show: (e) => (e.target ? displayPath(e.target) : '-') },
  xattrs: { eq: (a, b) => eqBuf(a.xattrs, b.xattrs), show: (e) => renderXattrs(e.xattrs) },
  acl: { eq: (a, b) => eqBuf(a.acl, b.acl), show: (e) => renderAclBlob(e.acl) },
  selinux: {
    eq: (a, b) => eqBuf(a.selinux, b.selinux),
    show: (e) => (e.selinux ? e.selinux.toString('utf8').replace(/\0$/, '') : '-'),
  },
  caps: { eq: (a, b) => eqBuf(a.caps, b.caps), show: (e) => renderCaps(e.caps) },
  flags: { eq: (a, b) => a.flags === b.flags, show: (e) => renderFlags(e.flags) },
  sha256: digestSpec('sha256'),
  sha512: digestSpec('sha512'),
  'sha3-256': digestSpec('sha3-256'),
  blake2b512: digestSpec('blake2b512'),
  error: { eq: (a, b) => a.error === b.error, show: (e) => e.error ?? '-' },
};

function digestSpec(a: DigestAlgo): { eq: (x: Entry, y: Entry) => boolean; show: (e: Entry) => string } {
  return {
    // A digest is compared only when both sides have it: a file unreadable on one side shows up
    // as an `error` change instead, and a newly selected algorithm is not a change.
    eq: (x, y) => !x.digests[a] || !y.digests[a] || eqBuf(x.digests[a], y.digests[a]),
    show: (e) => hex(e.digests[a]),
  };
}

/** Attributes that differ between two entries of the same path, in report order. */
export function compareEntries(oldE: Entry, newE: Entry, attrs: readonly Attribute[]): AttributeChange[] {
  const out: AttributeChange[] = [];
  for (const a of attrs) {
    const s = SPEC[a];
    if (!s.eq(oldE, newE)) out.push({ attribute: a, old: s.show(oldE), new: s.show(newE) });
  }
  return out;
}

export function showAttribute(e: Entry, a: Attribute): string {
  return SPEC[a].show(e);
}
