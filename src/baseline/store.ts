// The baseline store: one SQLite database (better-sqlite3, WAL) under the state dir holding every
// version's entries, the versions' signed headers and the history of accepted changes.
//
// Crash safety: a new version is written with state 'building' in chunked transactions, then
// signed, and only then marked 'signed' and made current in one transaction. A kill -9 at any
// point leaves the previous current version untouched; leftovers of a 'building' version are
// deleted the next time the store is opened for writing.
import Database from 'better-sqlite3';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { BulwarkError } from '../common/errors.js';
import { decodeEntry, inodeId, recordDevIno, type StoredRow } from './record.js';
import type { DigestAlgo, Entry } from './types.js';

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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE IF NOT EXISTS versions (
  id INTEGER PRIMARY KEY, parent INTEGER, state TEXT NOT NULL, created_ns INTEGER NOT NULL,
  actor TEXT NOT NULL, host TEXT NOT NULL, reason TEXT NOT NULL, command TEXT NOT NULL,
  algos TEXT NOT NULL, scope TEXT NOT NULL, entries INTEGER NOT NULL DEFAULT 0,
  digest BLOB, signature BLOB, key_id TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS entries (
  version INTEGER NOT NULL, k BLOB NOT NULL, rec BLOB NOT NULL, pkg TEXT,
  PRIMARY KEY (version, k)) WITHOUT ROWID;
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

/**
 * One writer at a time: an exclusive lock file holding the writer's pid. A lock left by a process
 * that no longer exists (kill -9) is taken over; a live one is refused (BW5015), so one update
 * cannot delete the version another is still building.
 */
function takeLock(lock: string): string {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(lock, 'utf8').trim());
      let alive = false;
      try {
        if (pid > 0 && pid !== process.pid) {
          process.kill(pid, 0);
          alive = true;
        }
      } catch (k) {
        alive = (k as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive) throw new BulwarkError('BASELINE_BUSY', `process ${pid} is writing the baseline (${lock})`);
      rmSync(lock, { force: true });
    }
  }
  throw new BulwarkError('BASELINE_BUSY', `cannot take the writer lock ${lock}`);
}

function asBlob(v: unknown): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(String(v));
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
    if (!opts.readonly) {
      try {
        store.lock = takeLock(`${file}.lock`);
      } catch (e) {
        db.close();
        throw e;
      }
      store.dropBuilding();
    }
    return store;
  }

  /** Writer lock file held while open for writing (see takeLock). */
  private lock: string | null = null;

  close(): void {
    this.db.close();
    if (this.lock) rmSync(this.lock, { force: true });
    this.lock = null;
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

  /** Returns a writer that inserts rows in chunked transactions; call flush() at the end. */
  entryWriter(
    version: number,
    chunk = 2000,
  ): { add(key: Buffer, rec: Buffer, pkg?: string | null): void; flush(): number } {
    const stmt = this.db.prepare('INSERT INTO entries (version, k, rec, pkg) VALUES (?, ?, ?, ?)');
    // Rows go in MULTI at a time: one statement step per 64 rows instead of per row (a third less
    // time in SQLite for an init; it runs on the thread that also receives the scan).
    const MULTI = 64;
    const many = this.db.prepare(
      `INSERT INTO entries (version, k, rec, pkg) VALUES ${Array(MULTI).fill('(?, ?, ?, ?)').join(', ')}`,
    );
    const args: Array<number | Buffer | string | null> = new Array<number | Buffer | string | null>(
      4 * MULTI,
    );
    let rows: Array<[Buffer, Buffer, string | null]> = [];
    let total = 0;
    const write = this.db.transaction((batch: Array<[Buffer, Buffer, string | null]>) => {
      let i = 0;
      for (; i + MULTI <= batch.length; i += MULTI) {
        for (let j = 0; j < MULTI; j++) {
          const [k, rec, pkg] = batch[i + j];
          args[4 * j] = version;
          args[4 * j + 1] = k;
          args[4 * j + 2] = rec;
          args[4 * j + 3] = pkg;
        }
        many.run(args);
      }
      for (; i < batch.length; i++) stmt.run(version, batch[i][0], batch[i][1], batch[i][2]);
    });
    return {
      add(key: Buffer, rec: Buffer, pkg: string | null = null) {
        rows.push([key, rec, pkg]);
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

  /** Rows of a version in key order, read in pages so no long-lived cursor holds the connection. */
  *rows(version: number, page = 4000): Generator<StoredRow> {
    const first = this.db
      .prepare('SELECT k, rec, pkg FROM entries WHERE version = ? ORDER BY k LIMIT ?')
      .raw(true);
    const next = this.db
      .prepare('SELECT k, rec, pkg FROM entries WHERE version = ? AND k > ? ORDER BY k LIMIT ?')
      .raw(true);
    let last: Buffer | null = null;
    for (;;) {
      const rows = (last === null ? first.all(version, page) : next.all(version, last, page)) as Array<
        [Buffer, Buffer, string | null]
      >;
      // A value edited to another SQLite type (TEXT after `||`) still reaches the digest, as bytes.
      for (const r of rows)
        yield { key: asBlob(r[0]), rec: asBlob(r[1]), pkg: r[2] === null ? null : String(r[2]) };
      if (rows.length < page) return;
      last = rows[rows.length - 1][0];
    }
  }

  /**
   * Rows of a version under since-last targets, in key order: a subtree target's own row and every
   * key below it (key + NUL ...), a single target's row alone.
   */
  *rowsIn(version: number, targets: { key: Buffer; subtree: boolean }[]): Generator<StoredRow> {
    if (targets.some((t) => t.subtree && t.key.length === 1 && t.key[0] === 0)) {
      yield* this.rows(version);
      return;
    }
    // One query for all targets (a query per target cost ~10 µs each): each target is a key range,
    // [key, key + 0x00) for the key alone, [key, key + 0x01) for it and every key + NUL + ... below
    // it. Targets do not overlap, so no row comes twice. json_each drives the loop (CROSS JOIN),
    // each range is a seek in the primary key.
    const ranges = JSON.stringify(
      targets.map((t) => [t.key.toString('hex'), t.key.toString('hex') + (t.subtree ? '01' : '00')]),
    );
    const rows = this.db
      .prepare(
        `SELECT e.k, e.rec, e.pkg FROM json_each(?) AS t CROSS JOIN entries AS e
         WHERE e.version = ? AND e.k >= unhex(t.value ->> 0) AND e.k < unhex(t.value ->> 1) ORDER BY e.k`,
      )
      .raw(true)
      .all(ranges, version) as [Buffer, Buffer, string | null][];
    for (const r of rows)
      yield { key: asBlob(r[0]), rec: asBlob(r[1]), pkg: r[2] === null ? null : String(r[2]) };
  }

  /**
   * Keys of the entries of a version whose inode is one of `inodes` (same device): the other names
   * of hard-linked files. A scan of the version's rows in SQLite (no decoding in JS).
   */
  keysWithInodes(version: number, inodes: { dev: bigint; ino: bigint }[]): Buffer[] {
    if (inodes.length === 0) return [];
    const out: Buffer[] = [];
    const want = new Set(inodes.map(inodeId));
    const inos = [...new Set(inodes.map((i) => i.ino))].map((ino) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(ino);
      return b;
    });
    for (let i = 0; i < inos.length; i += 500) {
      const part = inos.slice(i, i + 500);
      const rows = this.db
        .prepare(
          `SELECT k, rec FROM entries WHERE version = ? AND substr(rec, 39, 8) IN (${part.map(() => '?').join(',')})`,
        )
        .raw(true)
        .all(version, ...part) as [Buffer, Buffer][];
      for (const [k, rec] of rows) {
        const r = asBlob(rec);
        if (r.length >= 58 && want.has(inodeId(recordDevIno(r)))) out.push(asBlob(k));
      }
    }
    return out;
  }

  /** Names (bytes) of the entries directly below a directory key, in a version. */
  childNames(version: number, dirKey: Buffer): Buffer[] {
    const root = dirKey.length === 1 && dirKey[0] === 0;
    const lo = root ? dirKey : Buffer.concat([dirKey, Buffer.from([0])]);
    const hi = root ? Buffer.from([1]) : Buffer.concat([dirKey, Buffer.from([1])]);
    const keys = this.db
      .prepare('SELECT k FROM entries WHERE version = ? AND k >= ? AND k < ?')
      .pluck()
      .all(version, lo, hi) as Buffer[];
    const out: Buffer[] = [];
    for (const k of keys) {
      const rest = asBlob(k).subarray(lo.length);
      if (rest.length > 0 && rest.indexOf(0) < 0) out.push(Buffer.from(rest));
    }
    return out;
  }

  /** Decoded entries of a version in key order (show, export). */
  *entries(version: number): Generator<Entry & { pkg: string | null }> {
    for (const r of this.rows(version)) yield Object.assign(decodeEntry(r.key, r.rec), { pkg: r.pkg });
  }

  entry(version: number, key: Buffer): (Entry & { pkg: string | null }) | null {
    const r = this.db
      .prepare('SELECT k, rec, pkg FROM entries WHERE version = ? AND k = ?')
      .raw(true)
      .get(version, key) as [Buffer, Buffer, string | null] | undefined;
    return r ? Object.assign(decodeEntry(r[0], r[1]), { pkg: r[2] }) : null;
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
