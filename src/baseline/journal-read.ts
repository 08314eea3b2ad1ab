// Reading the change journal back (see journal.ts for the format): the lines from an offset up to
// the head the running agent reports, verified link by link. The first line's own `h` cannot be
// checked against anything before it, but it is bound into every later hash: lines that end at
// the agent's in-memory head are the lines the agent wrote.
import { closeSync, constants, readSync, fstatSync } from 'node:fs';
import { lineHash, type JournalPosition, type JournalRecord } from './journal.js';
import { openNoFollow } from './state-files.js';

export type SegmentResult = { ok: true; records: JournalRecord[] } | { ok: false; reason: string };

/**
 * Where line `seq` starts in the journal now, or why it cannot be there. A check saves a byte
 * offset, and a later check's compaction (two checks at once) moves every line: the line is then
 * found by its number (each line starts `{"s":N,`); whatever is found is still verified link by
 * link up to the agent's head by readSegment. `gone`: the journal now starts after that line (a
 * later check dropped it), which is not tampering.
 */
export function locateLine(file: string, seq: number): { offset: number } | { gone: number } | null {
  let buf: Buffer;
  try {
    buf = readFrom(file, 0);
  } catch {
    return null;
  }
  const first = /^\{"s":(\d+),/.exec(buf.toString('latin1', 0, 32));
  if (first && Number(first[1]) > seq) return { gone: Number(first[1]) };
  const needle = Buffer.from(`{"s":${seq},`);
  if (buf.subarray(0, needle.length).equals(needle)) return { offset: 0 };
  const at = buf.indexOf(Buffer.concat([Buffer.from('\n'), needle]));
  return at < 0 ? null : { offset: at + 1 };
}

/** Reads bytes [offset, end) of the file (end: its length now). */
function readFrom(file: string, offset: number): Buffer {
  const fd = openNoFollow(file, constants.O_RDONLY);
  try {
    const size = fstatSync(fd).size;
    if (offset > size) throw new Error(`offset ${offset} is past the end (${size} bytes)`);
    const buf = Buffer.allocUnsafe(size - offset);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * The records after sequence number `after`, starting at byte `offset`, verified up to `head`.
 * Lines past the head (written after the agent answered) are ignored.
 */
export function readSegment(
  file: string,
  offset: number,
  after: number,
  head: JournalPosition,
): SegmentResult {
  let buf: Buffer;
  try {
    buf = readFrom(file, offset);
  } catch (e) {
    return { ok: false, reason: `cannot read the journal ${file}: ${(e as Error).message}` };
  }
  const records: JournalRecord[] = [];
  if (head.seq === after) return { ok: true, records };
  if (head.seq < after)
    return { ok: false, reason: `the journal is at line ${head.seq}, before the last check's line ${after}` };
  let prevHash: string | null = null;
  let expect = after + 1;
  let start = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    const line = buf.toString('utf8', start, nl);
    start = nl + 1;
    let r: JournalRecord;
    try {
      r = JSON.parse(line) as JournalRecord;
    } catch {
      return { ok: false, reason: `line ${expect} of the journal is not valid JSON` };
    }
    if (r.s !== expect) return { ok: false, reason: `expected journal line ${expect}, found ${String(r.s)}` };
    if (prevHash !== null && r.h !== prevHash)
      return { ok: false, reason: `journal line ${r.s} does not chain to line ${r.s - 1}` };
    prevHash = lineHash(line);
    records.push(r);
    if (r.s === head.seq) {
      if (prevHash !== head.head)
        return { ok: false, reason: `journal line ${r.s} does not match the agent's chain head` };
      return { ok: true, records };
    }
    expect++;
  }
  return { ok: false, reason: `the journal ends at line ${expect - 1}, the agent is at line ${head.seq}` };
}
