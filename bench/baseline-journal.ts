// The agent's change-journal hot path (src/baseline/journal.ts) in isolation: CPU per change event
// for sensor batches of 64 events, once with every path new since the last check position (a line
// built, hashed and queued for every batch) and once with paths already journalled (de-duplicated,
// nothing written). Prints the median of 5 rounds of 90,000 events each.
//
//   node --import tsx bench/baseline-journal.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalWriter } from '../src/baseline/journal.js';

const EVENTS = 90_000; // below MAX_PATHS (100,000), where the writer gives up with a gap
const BATCH = 64;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-journal-bench-'));
  try {
    const w = new JournalWriter(join(dir, 'journal.log'));
    const fresh: number[] = [];
    const repeat: number[] = [];
    for (let round = 0; round < 5; round++) {
      await w.position(); // a check: de-duplication starts over
      const paths = Array.from(
        { length: EVENTS },
        (_, i) => `/srv/data/r${round}/dir${i % 500}/file-${i}.log`,
      );
      for (const [out, label] of [
        [fresh, 'new'],
        [repeat, 'repeated'],
      ] as const) {
        const t = process.hrtime.bigint();
        for (let i = 0; i < EVENTS; i += BATCH) w.record(paths.slice(i, i + BATCH));
        out.push(Number(process.hrtime.bigint() - t) / EVENTS);
        await w.flush();
        void label;
      }
    }
    const pos = await w.position();
    await w.close();
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    console.log(
      `new paths:      ${med(fresh).toFixed(0)} ns per event (rounds ${fresh.map((x) => x.toFixed(0)).join(' ')})`,
    );
    console.log(
      `repeated paths: ${med(repeat).toFixed(0)} ns per event (rounds ${repeat.map((x) => x.toFixed(0)).join(' ')})`,
    );
    console.log(
      `journal: ${pos.seq + 1} lines, ${(pos.offset / 1e6).toFixed(1)} MB for ${5 * EVENTS} distinct paths`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
