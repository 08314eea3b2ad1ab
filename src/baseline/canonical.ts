// Canonical digest of a baseline version: SHA-256 over a fixed header (id, parent and its digest,
// time, actor, reason, algorithms, scope, key id, entry count), every entry in key order, and the
// list of changes accepted into the version. It is computed from the rows as stored (read back
// from SQLite), so any edit of the database, by any tool, changes it.
import { createHash, type Hash } from 'node:crypto';
import type { BaselineStore, VersionRow } from './store.js';
import type { StoredRow } from './record.js';

const MAGIC = 'bulwark-baseline-v1\n';

function lp(h: Hash, b: Buffer | string | null): void {
  const v = b === null ? null : typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(5);
  if (v === null) {
    len[0] = 0;
    h.update(len);
    return;
  }
  len[0] = 1;
  len.writeUInt32BE(v.length, 1);
  h.update(len);
  h.update(v);
}

/** Reused by hashRow: grows to the largest row seen. */
let scratch = Buffer.allocUnsafe(4096);

/**
 * One stored row: key, record and owning package, each length-prefixed as lp() does, in one
 * update (the same bytes as three lp() calls, without their allocations: this runs per entry).
 */
export function hashRow(h: Hash, r: StoredRow): void {
  const pkgLen = r.pkg === null ? 0 : Buffer.byteLength(r.pkg);
  const need = 15 + r.key.length + r.rec.length + pkgLen;
  if (scratch.length < need) scratch = Buffer.allocUnsafe(Math.max(need, scratch.length * 2));
  let o = 0;
  for (const v of [r.key, r.rec]) {
    scratch[o] = 1;
    scratch.writeUInt32BE(v.length, o + 1);
    o += 5 + v.copy(scratch, o + 5);
  }
  if (r.pkg === null) {
    scratch.fill(0, o, o + 5);
    o += 5;
  } else {
    scratch[o] = 1;
    scratch.writeUInt32BE(pkgLen, o + 1);
    o += 5 + scratch.write(r.pkg, o + 5, 'utf8');
  }
  h.update(scratch.subarray(0, o));
}

export function headerText(v: VersionRow, parentDigest: Buffer | null, entries: number): string {
  return JSON.stringify({
    id: v.id,
    parent: v.parent,
    parentDigest: parentDigest ? parentDigest.toString('hex') : null,
    createdNs: String(v.createdNs),
    actor: v.actor,
    host: v.host,
    reason: v.reason,
    command: v.command,
    algos: v.algos.join(','),
    scope: v.scope,
    keyId: v.keyId,
    entries,
  });
}

export interface DigestResult {
  digest: Buffer;
  entries: number;
}

/** Hashes entries as they stream by (used by check and update to verify during the diff). */
export class EntryDigester {
  readonly body = createHash('sha256');
  count = 0;

  /** Hashes one row as it is written (init/update digest what they insert, in key order). */
  add(r: StoredRow): void {
    hashRow(this.body, r);
    this.count++;
  }

  *wrap(it: Iterable<StoredRow>): Generator<StoredRow> {
    for (const r of it) {
      hashRow(this.body, r);
      this.count++;
      yield r;
    }
  }
}

/** Reads the version back from the store and digests it. */
export function versionDigest(store: BaselineStore, v: VersionRow): DigestResult {
  const d = new EntryDigester();
  for (const r of d.wrap(store.rows(v.id))) void r;
  return finishDigest(store, v, d);
}

/** Combines header, streamed entries and the accepted-changes list into the version digest. */
export function finishDigest(store: BaselineStore, v: VersionRow, d: EntryDigester): DigestResult {
  const parentDigest = v.parent !== null ? (store.version(v.parent)?.digest ?? null) : null;
  const n = d.count;
  const body = d.body;
  const acc = createHash('sha256');
  for (const a of store.accepted(v.id)) {
    lp(acc, a.key);
    lp(acc, `${a.kind}|${a.attributes}|${a.class}`);
  }
  const h = createHash('sha256');
  h.update(MAGIC);
  lp(h, headerText(v, parentDigest, n));
  h.update(body.digest());
  h.update(acc.digest());
  return { digest: h.digest(), entries: n };
}
