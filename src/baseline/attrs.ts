// Extended attributes: canonical encoding (stored and signed) and readable renderings of POSIX
// ACLs and file capabilities for reports. The raw values are kept so any change is detected;
// rendering is only for humans.

export const ACL_ACCESS = 'system.posix_acl_access';
export const ACL_DEFAULT = 'system.posix_acl_default';
export const SELINUX = 'security.selinux';
export const CAPABILITY = 'security.capability';

/** Split of an entry's xattrs into the attributes Bulwark reports separately. */
export interface SplitXattrs {
  xattrs: Buffer | null;
  acl: Buffer | null;
  selinux: Buffer | null;
  caps: Buffer | null;
}

/** Canonical encoding: for each (name, value) sorted by name bytes: u16 len, name, u32 len, value. */
export function encodeXattrs(pairs: Array<[string, Buffer]>): Buffer | null {
  if (pairs.length === 0) return null;
  const sorted = [...pairs].sort((a, b) =>
    Buffer.compare(Buffer.from(a[0], 'latin1'), Buffer.from(b[0], 'latin1')),
  );
  const parts: Buffer[] = [];
  for (const [name, value] of sorted) {
    const n = Buffer.from(name, 'latin1');
    const h = Buffer.alloc(6);
    h.writeUInt16BE(n.length, 0);
    h.writeUInt32BE(value.length, 2 + 0);
    parts.push(h.subarray(0, 2), n, h.subarray(2, 6), value);
  }
  return Buffer.concat(parts);
}

export function decodeXattrs(buf: Buffer | null): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  if (!buf) return out;
  let o = 0;
  while (o + 2 <= buf.length) {
    const nl = buf.readUInt16BE(o);
    o += 2;
    const name = buf.subarray(o, o + nl).toString('latin1');
    o += nl;
    const vl = buf.readUInt32BE(o);
    o += 4;
    out.push([name, buf.subarray(o, o + vl)]);
    o += vl;
  }
  return out;
}

/** Splits the helper's flat [name, value, ...] list into the four stored attributes. */
export function splitXattrs(flat: Array<number | string | Buffer>, from: number): SplitXattrs {
  const other: Array<[string, Buffer]> = [];
  const acl: Array<[string, Buffer]> = [];
  let selinux: Buffer | null = null;
  let caps: Buffer | null = null;
  for (let i = from; i + 1 < flat.length; i += 2) {
    const name = flat[i] as string;
    const value = flat[i + 1] as Buffer;
    if (name === ACL_ACCESS || name === ACL_DEFAULT) acl.push([name, value]);
    else if (name === SELINUX) selinux = value;
    else if (name === CAPABILITY) caps = value;
    else other.push([name, value]);
  }
  return { xattrs: encodeXattrs(other), acl: encodeXattrs(acl), selinux, caps };
}

const ACL_TAGS: Record<number, string> = {
  1: 'user',
  2: 'user',
  4: 'group',
  8: 'group',
  16: 'mask',
  32: 'other',
};

function perm(p: number): string {
  return `${p & 4 ? 'r' : '-'}${p & 2 ? 'w' : '-'}${p & 1 ? 'x' : '-'}`;
}

/** posix_acl_xattr (version 2, entries of u16 tag, u16 perm, u32 id) as `getfacl -c` short text. */
export function renderAcl(value: Buffer): string {
  if (value.length < 4 || value.readUInt32LE(0) !== 2) return `hex:${value.toString('hex')}`;
  const parts: string[] = [];
  for (let o = 4; o + 8 <= value.length; o += 8) {
    const tag = value.readUInt16LE(o);
    const p = value.readUInt16LE(o + 2);
    const id = value.readUInt32LE(o + 4);
    const qual = tag === 2 || tag === 8 ? String(id) : '';
    parts.push(`${ACL_TAGS[tag] ?? `tag${tag}`}:${qual}:${perm(p)}`);
  }
  return parts.join(',');
}

export function renderAclBlob(buf: Buffer | null): string {
  if (!buf) return '-';
  return decodeXattrs(buf)
    .map(([n, v]) => `${n === ACL_DEFAULT ? 'default' : 'access'}=${renderAcl(v)}`)
    .join(' ');
}

const CAP_NAMES = [
  'chown',
  'dac_override',
  'dac_read_search',
  'fowner',
  'fsetid',
  'kill',
  'setgid',
  'setuid',
  'setpcap',
  'linux_immutable',
  'net_bind_service',
  'net_broadcast',
  'net_admin',
  'net_raw',
  'ipc_lock',
  'ipc_owner',
  'sys_module',
  'sys_rawio',
  'sys_chroot',
  'sys_ptrace',
  'sys_pacct',
  'sys_admin',
  'sys_boot',
  'sys_nice',
  'sys_resource',
  'sys_time',
  'sys_tty_config',
  'mknod',
  'lease',
  'audit_write',
  'audit_control',
  'setfcap',
  'mac_override',
  'mac_admin',
  'syslog',
  'wake_alarm',
  'block_suspend',
  'audit_read',
  'perfmon',
  'bpf',
  'checkpoint_restore',
];

/** vfs_cap_data as `cap_net_raw,cap_chown=ep` (setcap syntax); unknown layouts as hex. */
export function renderCaps(value: Buffer | null): string {
  if (!value) return '-';
  if (value.length < 12) return `hex:${value.toString('hex')}`;
  const magic = value.readUInt32LE(0);
  const effective = (magic & 1) === 1;
  const words = value.length >= 20 ? 2 : 1;
  let permitted = 0n;
  let inheritable = 0n;
  for (let w = 0; w < words; w++) {
    permitted |= BigInt(value.readUInt32LE(4 + w * 8)) << BigInt(32 * w);
    inheritable |= BigInt(value.readUInt32LE(8 + w * 8)) << BigInt(32 * w);
  }
  const names = (set: bigint): string[] =>
    CAP_NAMES.map((n, i) => ((set >> BigInt(i)) & 1n ? `cap_${n}` : '')).filter(Boolean);
  const out: string[] = [];
  const p = names(permitted);
  const i = names(inheritable);
  if (p.length) out.push(`${p.join(',')}=${effective ? 'e' : ''}p`);
  if (i.length) out.push(`${i.join(',')}=i`);
  const rootid = value.length >= 24 ? ` rootid=${value.readUInt32LE(20)}` : '';
  return (out.join(' ') || 'empty') + rootid;
}

/** Other xattrs as `name=value` (printable values as text, others as hex), sorted. */
export function renderXattrs(buf: Buffer | null): string {
  if (!buf) return '-';
  return decodeXattrs(buf)
    .map(([n, v]) => {
      const s = v.toString('utf8');
      const printable = /^[\x20-\x7e]*\0?$/.test(s);
      return `${n}=${printable ? JSON.stringify(s.replace(/\0$/, '')) : `0x${v.toString('hex')}`}`;
    })
    .join(' ');
}

const CHATTR_BITS: Array<[number, string]> = [
  [0x1, 's'],
  [0x2, 'u'],
  [0x4, 'c'],
  [0x8, 'S'],
  [0x10, 'i'],
  [0x20, 'a'],
  [0x40, 'd'],
  [0x80, 'A'],
  [0x800, 'E'],
  [0x1000, 'I'],
  [0x4000, 'j'],
  [0x8000, 't'],
  [0x10000, 'D'],
  [0x20000, 'T'],
  [0x80000, 'e'],
  [0x800000, 'C'],
  [0x1000000, 'x'],
  [0x10000000, 'N'],
  [0x20000000, 'P'],
  [0x40000000, 'F'],
  [0x100000, 'V'],
];

/** Inode flags as lsattr letters (`-----a-------e--`) plus the hex value. */
export function renderFlags(flags: number): string {
  if (flags < 0) return '-';
  const letters = CHATTR_BITS.filter(([bit]) => (flags & bit) !== 0).map(([, l]) => l);
  return `${letters.join('') || '(none)'} (0x${(flags >>> 0).toString(16)})`;
}
