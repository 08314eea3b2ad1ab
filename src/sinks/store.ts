// The alert store: SQLite (better-sqlite3, WAL) at `<state-dir>/alerts.db`. One agent writes (in
// batched transactions); any number of readers (`bulwark logs`, `bulwark status`) read at the same
// time, which WAL allows. Bounded by row count and age; pruned rows are counted in the `meta`
// table. Schema and contract: docs/alerts.md, "Store".
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Alert } from '../alert/types.js';
import { isLogType } from '../alert/types.js';
import { formatJson } from '../alert/format.js';
import { alertMicros } from '../alert/time.js';
import { BulwarkError } from '../common/errors.js';

export const STORE_FILE = 'alerts.db';
export const DEFAULT_STATE_DIR = '/var/lib/bulwark';
/** PRAGMA user_version of the schema below; a newer file is refused, never rewritten. */
export const STORE_SCHEMA_VERSION = 1;

export function storePath(stateDir: string = DEFAULT_STATE_DIR): string {
  return join(stateDir, STORE_FILE);
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  time_us   INTEGER NOT NULL,
  kind      TEXT    NOT NULL,
  type      TEXT    NOT NULL,
  namespace TEXT    NOT NULL DEFAULT '',
  pod       TEXT    NOT NULL DEFAULT '',
  container TEXT    NOT NULL DEFAULT '',
  operation TEXT    NOT NULL DEFAULT '',
  resource  TEXT    NOT NULL DEFAULT '',
  source    TEXT    NOT NULL DEFAULT '',
  labels    TEXT    NOT NULL DEFAULT '',
  policy    TEXT    NOT NULL DEFAULT '',
  action    TEXT    NOT NULL DEFAULT '',
  json      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_time ON alerts(time_us);
CREATE INDEX IF NOT EXISTS alerts_kind_id ON alerts(kind, id);
CREATE INDEX IF NOT EXISTS alerts_namespace ON alerts(namespace);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

const BUMP_SQL =
  'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value';

export interface StoreOptions {
  /** Open for reading only (`bulwark logs`); the file must exist. */
  readonly?: boolean;
  /** Rows kept at most; the oldest are pruned. Default 1,000,000. */
  maxRows?: number;
  /** Rows older than this are pruned, seconds. Default 7 days. 0 disables. */
  maxAgeSec?: number;
  /** Clock for age pruning, epoch ms. Default Date.now. */
  now?: () => number;
}

export interface StoredAlert {
  id: number;
  alert: Alert;
}

export interface StoreSummary {
  path: string;
  rows: number;
  alerts: number;
  logs: number;
  firstTimeUs: number | null;
  lastTimeUs: number | null;
  lastId: number;
  /** Counted pruning since the store was created. */
  prunedByAge: number;
  prunedByRows: number;
  inserted: number;
}

interface Row {
  id: number;
  json: string;
}

export class AlertStore {
  readonly path: string;
  readonly db: Database.Database;
  private readonly maxRows: number;
  private readonly maxAgeSec: number;
  private readonly now: () => number;
  private rowCount = 0;
  private insertMany: ((rows: readonly StoreRow[]) => void) | undefined;
  private readonly stmts = new Map<string, Database.Statement>();

  private constructor(path: string, db: Database.Database, opts: StoreOptions) {
    this.path = path;
    this.db = db;
    this.maxRows = opts.maxRows ?? 1_000_000;
    this.maxAgeSec = opts.maxAgeSec ?? 7 * 24 * 3600;
    this.now = opts.now ?? Date.now;
  }

  /** Opens (creating it, and its directory, unless readonly) the store at path. */
  static open(path: string, opts: StoreOptions = {}): AlertStore {
    let db: Database.Database;
    if (opts.readonly && !existsSync(path)) {
      throw new BulwarkError(
        'ALERT_STORE_MISSING',
        `no alert store at ${path}: no agent has written there yet (pass the agent's --state-dir)`,
        { path },
      );
    }
    try {
      if (!opts.readonly) mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
      db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
      db.pragma('busy_timeout = 5000');
    } catch (e) {
      throw new BulwarkError('ALERT_STORE_OPEN', `cannot open alert store ${path}: ${(e as Error).message}`, {
        path,
      });
    }
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > STORE_SCHEMA_VERSION) {
      db.close();
      throw new BulwarkError(
        'ALERT_STORE_SCHEMA',
        `alert store ${path} has schema version ${version}; this Bulwark reads up to ${STORE_SCHEMA_VERSION}`,
        { path, version },
      );
    }
    const store = new AlertStore(path, db, opts);
    try {
      if (!opts.readonly) {
        // Only a new file is written to here, so a store on a full disk still opens (and its
        // inserts fail, counted) instead of failing to open.
        if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        if (version < STORE_SCHEMA_VERSION) {
          db.exec(SCHEMA);
          db.pragma(`user_version = ${STORE_SCHEMA_VERSION}`);
        }
        store.rowCount = (db.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n;
      } else if (version === 0) {
        throw new BulwarkError('ALERT_STORE_MISSING', `${path} is not an alert store (no schema)`, { path });
      }
    } catch (e) {
      // Never leak the connection (and its file descriptors) of a store that failed to open.
      db.close();
      if (e instanceof BulwarkError) throw e;
      throw new BulwarkError('ALERT_STORE_OPEN', `cannot open alert store ${path}: ${(e as Error).message}`, {
        path,
        code: (e as { code?: string }).code,
      });
    }
    return store;
  }

  /** Inserts alerts in one transaction, then prunes if over bounds. Returns rows pruned. */
  insert(alerts: readonly Alert[]): number {
    return this.insertRows(alerts.map(toRow));
  }

  /** insert() for rows already made by toRow() (the store worker receives these). */
  insertRows(rows: readonly StoreRow[]): number {
    if (!this.insertMany) {
      const stmt = this.db.prepare(
        `INSERT INTO alerts (time_us, kind, type, namespace, pod, container, operation, resource, source,
           labels, policy, action, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const bump = this.stmt(BUMP_SQL);
      this.insertMany = this.db.transaction((batch: readonly StoreRow[]) => {
        for (const r of batch) stmt.run(r);
        bump.run('inserted', batch.length);
      });
    }
    this.insertMany(rows);
    this.rowCount += rows.length;
    return this.prune();
  }

  private stmt(sql: string): Database.Statement {
    let st = this.stmts.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.stmts.set(sql, st);
    }
    return st;
  }

  /** Deletes rows older than maxAgeSec and the oldest rows beyond maxRows; counted in meta. */
  prune(): number {
    let byAge = 0;
    let byRows = 0;
    const tx = this.db.transaction(() => {
      if (this.maxAgeSec > 0) {
        const cutoff = (this.now() - this.maxAgeSec * 1000) * 1000;
        byAge = this.stmt('DELETE FROM alerts WHERE time_us < ?').run(cutoff).changes;
        this.rowCount -= byAge;
      }
      if (this.rowCount > this.maxRows) {
        byRows = this.stmt('DELETE FROM alerts WHERE id IN (SELECT id FROM alerts ORDER BY id LIMIT ?)').run(
          this.rowCount - this.maxRows,
        ).changes;
        this.rowCount -= byRows;
      }
      const bump = this.stmt(BUMP_SQL);
      if (byAge) bump.run('pruned_by_age', byAge);
      if (byRows) bump.run('pruned_by_rows', byRows);
    });
    // Age pruning scans by the time index; only worth a transaction when something can go.
    if (this.maxAgeSec > 0 || this.rowCount > this.maxRows) tx();
    return byAge + byRows;
  }

  /** Rows with id > afterId in id order (for --follow), at most limit. */
  after(afterId: number, limit = 1000): StoredAlert[] {
    const rows = this.stmt('SELECT id, json FROM alerts WHERE id > ? ORDER BY id LIMIT ?').all(
      afterId,
      limit,
    ) as Row[];
    return rows.map(toStored);
  }

  /** Iterates rows in id order (oldest first) or reverse, optionally from a time and of one kind. */
  *iterate(
    q: { sinceUs?: number; kind?: 'alert' | 'log'; newestFirst?: boolean } = {},
  ): Generator<StoredAlert> {
    const where: string[] = [];
    const args: (number | string)[] = [];
    if (q.sinceUs !== undefined) {
      where.push('time_us >= ?');
      args.push(q.sinceUs);
    }
    if (q.kind) {
      where.push('kind = ?');
      args.push(q.kind);
    }
    const sql =
      `SELECT id, json FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
      `ORDER BY id ${q.newestFirst ? 'DESC' : 'ASC'}`;
    for (const row of this.db.prepare(sql).iterate(...args) as IterableIterator<Row>) yield toStored(row);
  }

  lastId(): number {
    const r = this.db.prepare('SELECT max(id) AS id FROM alerts').get() as { id: number | null };
    return r.id ?? 0;
  }

  summary(): StoreSummary {
    const counts = this.db
      .prepare(
        `SELECT count(*) AS rows, sum(kind = 'alert') AS alerts, sum(kind = 'log') AS logs,
                min(time_us) AS first, max(time_us) AS last, max(id) AS lastId FROM alerts`,
      )
      .get() as {
      rows: number;
      alerts: number | null;
      logs: number | null;
      first: number | null;
      last: number | null;
      lastId: number | null;
    };
    const meta = Object.fromEntries(
      (this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: number }[]).map((r) => [
        r.key,
        r.value,
      ]),
    );
    return {
      path: this.path,
      rows: counts.rows,
      alerts: counts.alerts ?? 0,
      logs: counts.logs ?? 0,
      firstTimeUs: counts.first,
      lastTimeUs: counts.last,
      lastId: counts.lastId ?? 0,
      prunedByAge: meta.pruned_by_age ?? 0,
      prunedByRows: meta.pruned_by_rows ?? 0,
      inserted: meta.inserted ?? 0,
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The column values of one alert, in INSERT order (see SCHEMA). */
export type StoreRow = [
  number,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];

export function toRow(a: Alert): StoreRow {
  return rowOf(a, formatJson(a));
}

/**
 * The row of an alert whose JSON line is already made. The columns come from the same object the
 * line renders, so a row read back (`json`) and its columns agree (see packRows for one exception).
 */
export function rowOf(a: Alert, json: string): StoreRow {
  return [
    alertMicros(a),
    isLogType(a.Type) ? 'log' : 'alert',
    a.Type,
    a.NamespaceName ?? '',
    a.PodName ?? '',
    a.ContainerName ?? '',
    a.Operation ?? '',
    a.Resource ?? '',
    a.Source ?? '',
    a.Labels ?? '',
    a.PolicyName ?? '',
    a.Action ?? '',
    json,
  ];
}

/**
 * A batch as it crosses to the store worker: two strings, so the event loop posts two flat copies
 * instead of structured-cloning rows field by field, and the worker needs no JSON.parse.
 * `lines`: the JSON of each alert joined with `\n` (JSON never holds a raw newline).
 * `cols`: the other 12 columns of each row, every value followed by NUL (no column value holds a
 * NUL: paths, command lines and labels cannot; one that did would have it replaced by U+FFFD in
 * the column only, the JSON keeping `\u0000`: the one case where a column and the JSON differ).
 */
export interface PackedRows {
  count: number;
  lines: string;
  cols: string;
}

const COLS = 12;

export function packRows(alerts: readonly Alert[], jsonOf: (a: Alert) => string): PackedRows {
  const lines: string[] = new Array<string>(alerts.length);
  let cols = '';
  for (let i = 0; i < alerts.length; i++) {
    const a = alerts[i];
    const row = rowOf(a, '');
    lines[i] = jsonOf(a);
    for (let c = 0; c < COLS; c++) {
      const v = String(row[c]);
      cols += (v.includes('\0') ? v.replaceAll('\0', '\ufffd') : v) + '\0';
    }
  }
  return { count: alerts.length, lines: lines.join('\n'), cols };
}

/** The rows of a packed batch (the inverse of packRows). */
export function unpackRows(p: PackedRows): StoreRow[] {
  if (p.count === 0) return [];
  const lines = p.lines.split('\n');
  const cols = p.cols.split('\0');
  if (lines.length !== p.count || cols.length !== p.count * COLS + 1) {
    throw Object.assign(new Error(`malformed store batch (${p.count} rows)`), { code: 'EBATCH' });
  }
  const rows = new Array<StoreRow>(p.count);
  for (let i = 0, k = 0; i < p.count; i++, k += COLS) {
    rows[i] = [
      Number(cols[k]),
      cols[k + 1],
      cols[k + 2],
      cols[k + 3],
      cols[k + 4],
      cols[k + 5],
      cols[k + 6],
      cols[k + 7],
      cols[k + 8],
      cols[k + 9],
      cols[k + 10],
      cols[k + 11],
      lines[i],
    ];
  }
  return rows;
}

function toStored(row: Row): StoredAlert {
  return { id: row.id, alert: JSON.parse(row.json) as Alert };
}

/**
 * The summary of the store in a state dir, read-only, or null when no agent has written one
 * (what `bulwark status` shows). Other errors (a corrupt or newer store) are thrown.
 */
export function readStoreSummary(stateDir: string = DEFAULT_STATE_DIR): StoreSummary | null {
  const path = storePath(stateDir);
  if (!existsSync(path)) return null;
  const store = AlertStore.open(path, { readonly: true });
  try {
    return store.summary();
  } finally {
    store.close();
  }
}

/** Opens `<stateDir>/alerts.db`. */
export function openStore(pathOrStateDir: string, opts: StoreOptions = {}): AlertStore {
  const path = pathOrStateDir.endsWith('.db') ? pathOrStateDir : storePath(pathOrStateDir);
  return AlertStore.open(path, opts);
}
