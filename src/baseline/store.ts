// The baseline store: one SQLite database (better-sqlite3, WAL) under the state dir holding every
// version's entries, the versions' signed headers and the history of accepted changes.
//
// Crash safety: a new version is written with state 'building' in chunked transactions, then
// signed, and only then marked 'signed' and made current in one transaction. A kill -9 at any
// point leaves the previous current version untouched; leftovers of a 'building' version are
// deleted the next time the store is opened for writing.
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { BulwarkError } from '../common/errors.js';
import { DIGEST_ALGOS, DIGEST_COLUMN, type DigestAlgo, type Entry, type EntryType } from './types.js';

export interface VersionRow {
  id: number;
  parent: number | null;
  state: 'building' | 'signed' | 'pruned';
  createdNs: bigint;
  actor: string;
  host: string;
  reason: string;
  command: string;
  algos: DigestAlgo[];
  /** JSON of the scope: roots (as displayed), excludes. */
  scope: string;
  entries: number;
  digest: Buffer | null;
  signature: Buffer | null;
  keyId: string;
}

export interface AcceptedRow {
  key: Buffer;
  kind: string;
  /** Comma-separated attribute names that were accepted. */
  attributes: string;
  /** Package class when the change was accepted by --accept-package-consistent. */
  class: string;
}

const ENTRY_COLS = [
  'k',
  'type',
  'mode',
  'uid',
  'gid',
  'size',
  'mtime_ns',
  'ctime_ns',
  'inode',
  'nlink',
  'dev',
  'rdev',
  'target',
  'xattrs',
  'acl',
  'selinux',
  'caps',
  'flags',
  'sha256',
  'sha512',
  'sha3_256',
  'blake2b',
  'pkg',
  'error',
  'scan_flags',
];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE IF NOT EXISTS versions (
  id INTEGER PRIMARY KEY, parent INTEGER, state TEXT NOT NULL, created_ns INTEGER NOT NULL,
  actor TEXT NOT NULL, host TEXT NOT NULL, reason TEXT NOT NULL, command TEXT NOT NULL,
  algos TEXT NOT NULL, scope TEXT NOT NULL, entries INTEGER NOT NULL DEFAULT 0,
  digest BLOB, signature BLOB, key_id TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS entries (
  version INTEGER NOT NULL, k BLOB NOT NULL, type TEXT NOT NULL, mode INTEGER, uid INTEGER,
  gid INTEGER, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, inode INTEGER, nlink INTEGER,
  dev INTEGER, rdev INTEGER, target BLOB, xattrs BLOB, acl BLOB, selinux BLOB, caps BLOB,
  flags INTEGER, sha256 BLOB, sha512 BLOB, sha3_256 BLOB, blake2b BLOB, pkg TEXT, error TEXT,
  scan_flags INTEGER, PRIMARY KEY (version, k)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS accepted (
  version INTEGER NOT NULL, k BLOB NOT NULL, kind TEXT NOT NULL, attributes TEXT NOT NULL,
  class TEXT NOT NULL, PRIMARY KEY (version, k)) WITHOUT ROWID;
`;

export const STORE_FORMAT = '1';

type Row = Record<string, unknown>;

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

function big(v: unknown): bigint {
  return typeof v === 'bigint' ? v : BigInt((v as number | null) ?? 0);
}

function buf(v: unknown): Buffer | null {
  return v === null || v === undefined ? null : Buffer.from(v as Uint8Array);
}

export function rowToEntry(r: Row): Entry {
  const digests: Partial<Record<DigestAlgo, Buffer>> = {};
  for (const a of DIGEST_ALGOS) {
    const d = buf(r[DIGEST_COLUMN[a]]);
    if (d) digests[a] = d;
  }
  return {
    key: buf(r.k) as Buffer,
    type: r.type as EntryType,
    mode: num(r.mode),
    uid: num(r.uid),
    gid: num(r.gid),
    size: num(r.size),
    mtimeNs: big(r.mtime_ns),
    ctimeNs: big(r.ctime_ns),
    inode: big(r.inode),
    nlink: num(r.nlink),
    dev: big(r.dev),
    rdev: big(r.rdev),
    target: buf(r.target),
    xattrs: buf(r.xattrs),
    acl: buf(r.acl),
    selinux: buf(r.selinux),
    caps: buf(r.caps),
    flags: num(r.flags),
    digests,
    error: (r.error as string | null) ?? null,
    scanFlags: num(r.scan_flags),
  };
}

function entryParams(version: number, e: Entry, pkg: string | null): unknown[] {
  return [
    version,
    e.key,
    e.type,
    e.mode,
    e.uid,
    e.gid,
    e.size,
    e.mtimeNs,
    e.ctimeNs,
    e.inode,
    e.nlink,
    e.dev,
    e.rdev,
    e.target,
    e.xattrs,
    e.acl,
    e.selinux,
    e.caps,
    e.flags,
    e.digests.sha256 ?? null,
    e.digests.sha512 ?? null,
    e.digests['sha3-256'] ?? null,
    e.digests.blake2b512 ?? null,
    pkg,
    e.error,
    e.scanFlags,
  ];
}

function versionFromRow(r: Row): VersionRow {
  return {
    id: num(r.id),
    parent: r.parent === null ? null : num(r.parent),
    state: r.state as VersionRow['state'],
    createdNs: big(r.created_ns),
    actor: r.actor as string,
    host: r.host as string,
    reason: r.reason as string,
    command: r.command as string,
    algos: (r.algos as string).split(',').filter(Boolean) as DigestAlgo[],
    scope: r.scope as string,
    entries: num(r.entries),
    digest: buf(r.digest),
    signature: buf(r.signature),
    keyId: r.key_id as string,
  };
}

export class BaselineStore {
  readonly db: Database.Database;

  private constructor(
    readonly file: string,
    db: Database.Database,
  ) {
    this.db = db;
  }

  /** Opens (and with `create`, creates) the store. Corrupt files raise BASELINE_STORE_CORRUPT. */
  static open(file: string, opts: { create?: boolean; readonly?: boolean } = {}): BaselineStore {
    if (!existsSync(file)) {
      if (!opts.create) throw new BulwarkError('BASELINE_MISSING', `no baseline at ${file}`, { file });
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    }
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: !opts.create });
      if (!opts.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.exec(SCHEMA);
        chmodSync(file, 0o600);
      }
      db.pragma('busy_timeout = 5000');
      // Touch every table so a file that is not a Bulwark store fails here.
      db.prepare('SELECT count(*) FROM versions').get();
    } catch (e) {
      if (e instanceof BulwarkError) throw e;
      throw new BulwarkError(
        'BASELINE_STORE_CORRUPT',
        `cannot read the baseline store ${file}: ${(e as Error).message}`,
        {
          file,
        },
      );
    }
    const store = new BaselineStore(file, db);
    if (!opts.readonly) store.dropBuilding();
    return store;
  }

  close(): void {
    this.db.close();
  }

  /** Deletes what an interrupted init/update left behind (never a signed version). */
  dropBuilding(): number {
    const ids = this.db.prepare("SELECT id FROM versions WHERE state = 'building'").pluck().all() as number[];
    const tx = this.db.transaction(() => {
      for (const id of ids) {
        this.db.prepare('DELETE FROM entries WHERE version = ?').run(id);
        this.db.prepare('DELETE FROM accepted WHERE version = ?').run(id);
        this.db.prepare('DELETE FROM versions WHERE id = ?').run(id);
      }
    });
    tx();
    return ids.length;
  }

  getMeta(key: string): string | null {
    const v = this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as
      string | Buffer | undefined;
    return v === undefined ? null : String(v);
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  /** The current version id, or null before the first signed version. */
  currentId(): number | null {
    const v = this.getMeta('current');
    return v === null ? null : Number(v);
  }

  version(id: number): VersionRow | null {
    const r = this.db.prepare('SELECT * FROM versions WHERE id = ?').safeIntegers(true).get(BigInt(id)) as
      Row | undefined;
    return r ? versionFromRow(r) : null;
  }

  versions(): VersionRow[] {
    return (this.db.prepare('SELECT * FROM versions ORDER BY id').safeIntegers(true).all() as Row[]).map(
      versionFromRow,
    );
  }

  /** Highest signed (or pruned) version id: `check` refuses a current pointer below it. */
  latestSignedId(): number | null {
    const v = this.db
      .prepare("SELECT max(id) FROM versions WHERE state IN ('signed','pruned')")
      .pluck()
      .get() as number | null;
    return v ?? null;
  }

  beginVersion(v: Omit<VersionRow, 'id' | 'state' | 'entries' | 'digest' | 'signature'>): number {
    const r = this.db
      .prepare(
        `INSERT INTO versions (parent, state, created_ns, actor, host, reason, command, algos, scope, key_id)
         VALUES (?, 'building', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(v.parent, v.createdNs, v.actor, v.host, v.reason, v.command, v.algos.join(','), v.scope, v.keyId);
    return Number(r.lastInsertRowid);
  }

  /** Returns a writer that inserts entries in chunked transactions; call flush() at the end. */
  entryWriter(version: number, chunk = 2000): { add(e: Entry, pkg?: string | null): void; flush(): number } {
    const stmt = this.db.prepare(
      `INSERT INTO entries (version, ${ENTRY_COLS.join(', ')}) VALUES (${ENTRY_COLS.map(() => '?').join(', ')}, ?)`,
    );
    let rows: unknown[][] = [];
    let total = 0;
    const write = this.db.transaction((batch: unknown[][]) => {
      for (const p of batch) stmt.run(p);
    });
    return {
      add(e: Entry, pkg: string | null = null) {
        rows.push(entryParams(version, e, pkg));
        if (rows.length >= chunk) {
          write(rows);
          total += rows.length;
          rows = [];
        }
      },
      flush() {
        if (rows.length) write(rows);
        total += rows.length;
        rows = [];
        return total;
      },
    };
  }

  addAccepted(version: number, rows: AcceptedRow[]): void {
    const stmt = this.db.prepare(
      'INSERT OR REPLACE INTO accepted (version, k, kind, attributes, class) VALUES (?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const r of rows) stmt.run(version, r.key, r.kind, r.attributes, r.class);
    })();
  }

  accepted(version: number): AcceptedRow[] {
    return (
      this.db
        .prepare('SELECT k, kind, attributes, class FROM accepted WHERE version = ? ORDER BY k')
        .all(version) as Row[]
    ).map((r) => ({
      key: buf(r.k) as Buffer,
      kind: r.kind as string,
      attributes: r.attributes as string,
      class: r.class as string,
    }));
  }

  /** Entries of a version in key order, read in pages so no long-lived cursor holds the connection. */
  *entries(version: number, page = 2000): Generator<Entry & { pkg: string | null }> {
    const first = this.db
      .prepare(`SELECT ${ENTRY_COLS.join(', ')} FROM entries WHERE version = ? ORDER BY k LIMIT ?`)
      .safeIntegers(true);
    const next = this.db
      .prepare(`SELECT ${ENTRY_COLS.join(', ')} FROM entries WHERE version = ? AND k > ? ORDER BY k LIMIT ?`)
      .safeIntegers(true);
    let last: Buffer | null = null;
    for (;;) {
      const rows = (
        last === null
          ? first.all(BigInt(version), BigInt(page))
          : next.all(BigInt(version), last, BigInt(page))
      ) as Row[];
      for (const r of rows) {
        const e = rowToEntry(r);
        yield Object.assign(e, { pkg: (r.pkg as string | null) ?? null });
      }
      if (rows.length < page) return;
      last = buf(rows[rows.length - 1].k);
    }
  }

  entry(version: number, key: Buffer): (Entry & { pkg: string | null }) | null {
    const r = this.db
      .prepare(`SELECT ${ENTRY_COLS.join(', ')} FROM entries WHERE version = ? AND k = ?`)
      .safeIntegers(true)
      .get(BigInt(version), key) as Row | undefined;
    return r ? Object.assign(rowToEntry(r), { pkg: (r.pkg as string | null) ?? null }) : null;
  }

  /** Marks a built version signed and current, atomically. */
  commitVersion(id: number, entries: number, digest: Buffer, signature: Buffer): void {
    this.db.transaction(() => {
      this.db
        .prepare("UPDATE versions SET state = 'signed', entries = ?, digest = ?, signature = ? WHERE id = ?")
        .run(entries, digest, signature, id);
      this.setMeta('current', String(id));
      this.setMeta('format', STORE_FORMAT);
    })();
  }

  /** Keeps the entries of the newest `keep` signed versions; older ones keep header and history. */
  prune(keep: number): number {
    const ids = this.db
      .prepare("SELECT id FROM versions WHERE state = 'signed' ORDER BY id DESC")
      .pluck()
      .all() as number[];
    const current = this.currentId();
    const drop = ids.slice(Math.max(1, keep)).filter((id) => id !== current);
    this.db.transaction(() => {
      for (const id of drop) {
        this.db.prepare('DELETE FROM entries WHERE version = ?').run(id);
        this.db.prepare("UPDATE versions SET state = 'pruned' WHERE id = ?").run(id);
      }
    })();
    return drop.length;
  }

  /** SQLite's own structural check (page-level damage from a hex editor). */
  quickCheck(): string {
    return String(this.db.pragma('quick_check', { simple: true }));
  }
}
