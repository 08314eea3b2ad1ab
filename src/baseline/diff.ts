// Merge-join of two key-ordered streams: the stored baseline (sync, paged from SQLite) and the
// scan (async, from the workers). Memory holds one entry of each side at a time; only the changes
// are kept.
import { compareEntries } from './compare.js';
import { keyToPath } from './path-key.js';
import type { Attribute, Change, Entry } from './types.js';
import { ENTRY_FLAG } from './types.js';

export interface DiffSink {
  /** Called for every change, in key order. */
  change(c: Change): void;
  /** Called for every entry present on both sides (changed or not), with the scanned entry. */
  both?(oldE: Entry, newE: Entry, changed: boolean): void;
  /** Called for every scanned entry (added or both). */
  scanned?(e: Entry): void;
}

export async function mergeDiff(
  old: Iterator<Entry>,
  scan: AsyncIterator<Entry>,
  attrs: readonly Attribute[],
  sink: DiffSink,
): Promise<void> {
  let o = old.next();
  let s = await scan.next();
  while (!o.done || !s.done) {
    const cmp = o.done ? 1 : s.done ? -1 : Buffer.compare(o.value.key, s.value.key);
    if (cmp < 0) {
      const e = o.value as Entry;
      sink.change({ kind: 'removed', path: keyToPath(e.key), attributes: [], old: e });
      o = old.next();
    } else if (cmp > 0) {
      const e = s.value as Entry;
      sink.scanned?.(e);
      sink.change({ kind: 'added', path: keyToPath(e.key), attributes: [], new: e, unstable: isUnstable(e) });
      s = await scan.next();
    } else {
      const a = o.value as Entry;
      const b = s.value as Entry;
      sink.scanned?.(b);
      const changed = compareEntries(a, b, attrs);
      sink.both?.(a, b, changed.length > 0);
      if (changed.length > 0)
        sink.change({
          kind: 'changed',
          path: keyToPath(b.key),
          attributes: changed,
          old: a,
          new: b,
          unstable: isUnstable(b),
        });
      o = old.next();
      s = await scan.next();
    }
  }
}

function isUnstable(e: Entry): boolean {
  return (e.scanFlags & (ENTRY_FLAG.CHANGED_DURING_SCAN | ENTRY_FLAG.REPLACED_DURING_SCAN)) !== 0;
}
