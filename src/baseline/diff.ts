// Merge-join of two key-ordered streams: the stored baseline (sync, paged from SQLite) and the
// scan (async batches from the workers). Records equal byte for byte are unchanged without being
// decoded; only differing records are decoded and compared attribute by attribute. Memory holds
// one batch of the scan and one page of the store; only the changes are kept.
import { compareEntries } from './compare.js';
import { keyToPath } from './path-key.js';
import { decodeEntry, type Row, type StoredRow } from './record.js';
import { ENTRY_FLAG, type Attribute, type Change, type Entry } from './types.js';

export interface DiffSink {
  /** Called for every change, in key order. */
  change(c: Change, oldRow: StoredRow | undefined, newRow: Row | undefined): void;
  /** Called for every key present on both sides that did not change. */
  same?(oldRow: StoredRow, newRow: Row): void;
  /** Called for every scanned row (added or both). */
  scanned?(r: Row): void;
}

/** Flattens async batches into a pull interface with one await per batch, not per row. */
class BatchCursor {
  private batch: Row[] = [];
  private i = 0;
  done = false;

  constructor(private readonly it: AsyncIterator<Row[]>) {}

  async peek(): Promise<Row | undefined> {
    while (this.i >= this.batch.length) {
      if (this.done) return undefined;
      const n = await this.it.next();
      if (n.done) {
        this.done = true;
        return undefined;
      }
      this.batch = n.value;
      this.i = 0;
    }
    return this.batch[this.i];
  }

  advance(): void {
    this.i++;
  }
}

export async function mergeDiff(
  old: Iterator<StoredRow>,
  scan: AsyncIterator<Row[]>,
  attrs: readonly Attribute[],
  sink: DiffSink,
): Promise<void> {
  const cur = new BatchCursor(scan);
  let o = old.next();
  let s = await cur.peek();
  while (!o.done || s) {
    const cmp = o.done ? 1 : !s ? -1 : Buffer.compare(o.value.key, s.key);
    if (cmp < 0) {
      const r = o.value as StoredRow;
      const e = decodeEntry(r.key, r.rec);
      sink.change({ kind: 'removed', path: keyToPath(r.key), attributes: [], old: e }, r, undefined);
      o = old.next();
      continue;
    }
    const n = s as Row;
    sink.scanned?.(n);
    if (cmp > 0) {
      const e = decodeEntry(n.key, n.rec);
      sink.change(
        { kind: 'added', path: keyToPath(n.key), attributes: [], new: e, unstable: isUnstable(e) },
        undefined,
        n,
      );
    } else {
      const r = o.value as StoredRow;
      if (r.rec.equals(n.rec)) sink.same?.(r, n);
      else {
        const a = decodeEntry(r.key, r.rec);
        const b = decodeEntry(n.key, n.rec);
        const changed = compareEntries(a, b, attrs);
        if (changed.length === 0) sink.same?.(r, n);
        else
          sink.change(
            {
              kind: 'changed',
              path: keyToPath(n.key),
              attributes: changed,
              old: a,
              new: b,
              unstable: isUnstable(b),
            },
            r,
            n,
          );
      }
      o = old.next();
    }
    cur.advance();
    s = await cur.peek();
  }
}

function isUnstable(e: Entry): boolean {
  return (e.scanFlags & (ENTRY_FLAG.CHANGED_DURING_SCAN | ENTRY_FLAG.REPLACED_DURING_SCAN)) !== 0;
}
