// Sink benchmark: 100k alerts through the fan-out to the SQLite store and the rotating file sink.
// Two runs side by side, each in a fresh temp state dir:
//   burst   every alert written in one synchronous loop (the worst case for the bounded queues);
//   paced   the same count at a fixed rate (default 10k alerts/s, the agent's load target).
// Each prints delivered + counted drops (must equal the count), throughput, the cost of write()
// on the caller, and p50/p99/max latency from write() to commit per sink. The reference side is
// the naive design, a synchronous append + autocommit INSERT per alert on the caller, measured on
// a smaller sample; KubeArmor's sinks cannot run here (no Kubernetes, no Go toolchain in the image).
// Usage: node --import tsx bench/sinks.ts [--count N] [--rate R] [--capacity C] [--naive N]
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { formatJson } from '../src/alert/format.js';
import type { Alert } from '../src/alert/types.js';
import { createSinks } from '../src/sinks/fanout.js';
import { numberedAlert } from '../test/helpers/alerts.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const COUNT = arg('--count', 100_000);
const RATE = arg('--rate', 10_000);
const CAPACITY = arg('--capacity', 10_000);
const NAIVE = arg('--naive', 10_000);

const pct = (xs: Float64Array, p: number): number =>
  xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

interface RunResult {
  mode: string;
  wallMs: number;
  writeNsPerCall: number;
  sinks: {
    name: string;
    delivered: number;
    dropped: number;
    droppedBy: Record<string, number>;
    p50: number;
    p99: number;
    max: number;
  }[];
}

async function run(mode: 'burst' | 'paced', alerts: Alert[]): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-sinks-'));
  const lat = new Map<string, number[]>();
  const sinks = createSinks({
    store: { stateDir: dir },
    file: { path: join(dir, 'alerts.log'), maxBytes: 32 * 1024 * 1024, maxFiles: 3 },
    queue: { capacity: CAPACITY },
    onLatency: (name, ms) => {
      let a = lat.get(name);
      if (!a) lat.set(name, (a = []));
      for (const m of ms) a.push(m);
    },
  });
  await sinks.open();
  let writeNs = 0n;
  const t0 = performance.now();
  if (mode === 'burst') {
    const w0 = process.hrtime.bigint();
    for (const a of alerts) sinks.write(a);
    writeNs += process.hrtime.bigint() - w0;
  } else {
    let i = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(alerts.length, Math.floor(((performance.now() - t0) * RATE) / 1000));
        const w0 = process.hrtime.bigint();
        for (; i < due; i++) sinks.write(alerts[i]);
        writeNs += process.hrtime.bigint() - w0;
        if (i < alerts.length) setTimeout(tick, 1);
        else resolve();
      };
      tick();
    });
  }
  await sinks.flush(120_000);
  const wallMs = performance.now() - t0;
  const stats = sinks.stats();
  await sinks.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    mode,
    wallMs,
    writeNsPerCall: Number(writeNs) / alerts.length,
    sinks: stats.sinks.map((s) => {
      const xs = Float64Array.from(lat.get(s.name) ?? []).sort();
      return {
        name: s.name,
        delivered: s.delivered,
        dropped: s.dropped,
        droppedBy: s.droppedBy,
        p50: pct(xs, 50),
        p99: pct(xs, 99),
        max: xs.length ? xs[xs.length - 1] : NaN,
      };
    }),
  };
}

/** Reference: one appendFileSync and one autocommit INSERT per alert, on the caller's thread. */
function naive(alerts: Alert[]): { perAlertUs: number; p99Us: number } {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-naive-'));
  const db = new Database(join(dir, 'naive.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE alerts (id INTEGER PRIMARY KEY, json TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO alerts (json) VALUES (?)');
  const per = new Float64Array(alerts.length);
  const t0 = performance.now();
  alerts.forEach((a, i) => {
    const s = performance.now();
    const line = formatJson(a);
    appendFileSync(join(dir, 'naive.log'), `${line}\n`);
    ins.run(line);
    per[i] = (performance.now() - s) * 1000;
  });
  const total = performance.now() - t0;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  per.sort();
  return { perAlertUs: (total * 1000) / alerts.length, p99Us: pct(per, 99) };
}

const alerts = Array.from({ length: COUNT }, (_, i) => numberedAlert(i));
console.log(
  `sinks bench: ${COUNT} alerts (~${formatJson(alerts[0]).length} B JSON each) to store + file; queue capacity ${CAPACITY}`,
);
for (const mode of ['burst', 'paced'] as const) {
  const r = await run(mode, alerts);
  const rate = mode === 'paced' ? ` at ${RATE}/s` : '';
  console.log(
    `\n${mode}${rate}: wall ${r.wallMs.toFixed(0)} ms, write() ${r.writeNsPerCall.toFixed(0)} ns/call on the caller`,
  );
  for (const s of r.sinks) {
    const ok =
      s.delivered + s.dropped === COUNT ? 'all accounted' : `MISSING ${COUNT - s.delivered - s.dropped}`;
    console.log(
      `  ${s.name.padEnd(6)} delivered ${String(s.delivered).padStart(6)}  dropped ${String(s.dropped).padStart(6)} ${JSON.stringify(s.droppedBy)}  ` +
        `${((s.delivered / r.wallMs) * 1000).toFixed(0)} alerts/s  write→commit p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  max ${s.max.toFixed(1)} ms  (${ok})`,
    );
  }
}
const n = naive(alerts.slice(0, NAIVE));
console.log(
  `\nnaive reference (${NAIVE} alerts, sync append + autocommit INSERT on the caller): ` +
    `${n.perAlertUs.toFixed(1)} µs/alert blocking the caller (p99 ${n.p99Us.toFixed(1)} µs), ${(1e6 / n.perAlertUs).toFixed(0)} alerts/s`,
);
