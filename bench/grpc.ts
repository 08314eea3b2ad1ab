// gRPC LogService benchmark: how fast alerts reach WatchAlerts clients, what the producer pays per
// alert, and what a client that stops reading costs the others. Conditions side by side in each
// round, same server code:
//   stream     grpc-js's own ServerWritableStream writes (one message per event-loop turn);
//   pipelined  Bulwark's writer (up to 128 messages in flight per client; the default);
// each with one reading client, and with one reading client plus one that never reads.
// The producer emits at --rate alerts/s, in a burst every 10 ms (as sensor batches arrive), and
// yields to I/O between bursts. The reading client is a separate process (bench/grpc-client.ts), as
// karmor would be; the paused one is in this process and never reads. Printed:
// median wall time until every alert is delivered or counted missed, delivered alerts/s, producer
// cost per emit, and missed counts (delivered + missed always equals the count). KubeArmor's own
// server cannot run here (no Go toolchain, no Kubernetes), so there is no peer column.
// Usage: node --import tsx bench/grpc.ts [--count N] [--rate R] [--rounds R] [--buffer S]
import { spawn } from 'node:child_process';
import { startApi } from '../src/api/index.js';
import type { Alert } from '../src/alert/types.js';
import { TestAlertSource } from '../test/helpers/alert-source.js';
import { clients, collect, waitFor } from '../test/helpers/grpc-client.js';
import { numberedAlert } from '../test/helpers/alerts.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const COUNT = arg('--count', 20_000);
const RATE = arg('--rate', 10_000);
const BURST = Math.max(1, Math.round(RATE / 100));
const ROUNDS = arg('--rounds', 3);
const BUFFER = arg('--buffer', 1000);

interface Result {
  wallMs: number;
  emitNs: number;
  delivered: number;
  missed: number;
}

/** The reading client, in a child process; resolves once it has subscribed. */
async function startReader(
  target: string,
): Promise<{ result: Promise<{ delivered: number; missed: number }> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/grpc-client.ts', target, String(COUNT)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let readyResolve: () => void = () => undefined;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const result = new Promise<{ delivered: number; missed: number }>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) readyResolve();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { delivered: number; missed: number });
    });
    child.on('close', (code) => reject(new Error(`reader exited (${code}) before settling: ${out}`)));
  });
  await ready;
  return { result };
}

async function once(writer: 'stream' | 'pipelined', paused: boolean, alerts: Alert[]): Promise<Result> {
  const source = new TestAlertSource();
  const api = await startApi(
    { grpc: { address: '127.0.0.1:0', healthAddress: false, bufferSize: BUFFER, writer }, http: false },
    { alerts: source },
  );
  const slowC = clients(api.grpc!.address);
  try {
    const reader = await startReader(api.grpc!.address);
    const slow = paused ? collect(slowC.log, 'WatchAlerts', 'all') : undefined;
    await waitFor(() => api.grpc!.hub.clientCount() === (paused ? 2 : 1), 'clients');
    slow?.call.pause();
    let emitNs = 0n;
    const t0 = process.hrtime.bigint();
    for (let i = 0, tick = 0; i < alerts.length; tick++) {
      const s = process.hrtime.bigint();
      for (let k = 0; k < BURST && i < alerts.length; k++) source.emit(alerts[i++]);
      emitNs += process.hrtime.bigint() - s;
      // Next burst at its slot on the 10 ms grid (no drift when a turn runs late).
      const due = Number(t0 / 1_000_000n) + (tick + 1) * 10;
      await new Promise((r) =>
        setTimeout(r, Math.max(0, due - Number(process.hrtime.bigint() / 1_000_000n))),
      );
    }
    // A client that missed some learns the count when it has room again (the notice follows).
    const { delivered, missed } = await reader.result;
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    slow?.call.cancel();
    return { wallMs, emitNs: Number(emitNs) / alerts.length, delivered, missed };
  } finally {
    slowC.close();
    await api.close();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const alerts = Array.from({ length: COUNT }, (_, i) => numberedAlert(i, {}));
  const conditions: [string, 'stream' | 'pipelined', boolean][] = [
    ['stream, 1 client', 'stream', false],
    ['pipelined, 1 client', 'pipelined', false],
    ['stream, 1 client + 1 paused', 'stream', true],
    ['pipelined, 1 client + 1 paused', 'pipelined', true],
  ];
  const results = new Map<string, Result[]>(conditions.map(([n]) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, writer, paused] of conditions)
      results.get(name)!.push(await once(writer, paused, alerts));
  }
  console.log(
    `gRPC WatchAlerts: ${COUNT} alerts at ${RATE}/s (${BURST} every 10 ms), buffer ${BUFFER}, ${ROUNDS} rounds (medians)`,
  );
  console.log('| condition | wall ms | delivered/s | emit ns/alert | missed by the reading client |');
  console.log('|---|---|---|---|---|');
  for (const [name] of conditions) {
    const rs = results.get(name)!;
    const wall = median(rs.map((x) => x.wallMs));
    const delivered = median(rs.map((x) => x.delivered));
    console.log(
      `| ${name} | ${wall.toFixed(0)} | ${Math.round((delivered / wall) * 1000)} | ${median(rs.map((x) => x.emitNs)).toFixed(0)} | ${rs.map((x) => x.missed).join(' ')} |`,
    );
  }
}

await main();
