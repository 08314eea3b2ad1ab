// Process attribution benchmark: how many short-lived processes the process cache attributes
// (exe known after the process exited) with the helper's BPF mode, its proc connector mode at
// SCHED_FIFO priority 1 and at normal priority, on a quiet machine and under an exec storm; the
// wall time of the workload with each (and with no helper) to see what following execs costs; and
// the cost of enrich() per event. Needs root and native/build/bulwark-proc-events.
//   node --import tsx bench/enrich.ts [ROUNDS] [PROCESSES]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEnricher, ProcessCache } from '../src/enrich/index.js';
import type { SensorEvent } from '../src/sensor/types.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const N = Number(process.argv[3] ?? 200);
type Mode = 'none' | 'bpf' | 'connector-rt' | 'connector';
const MODES: Mode[] = ['none', 'bpf', 'connector-rt', 'connector'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(mode: Mode, storm: boolean, dir: string): Promise<{ ms: number; share: number }> {
  const cache =
    mode === 'none'
      ? undefined
      : new ProcessCache({ bpf: mode === 'bpf', rtPriority: mode === 'connector' ? 0 : 1 });
  if (cache && !(await cache.start())) throw new Error(`helper did not start (${mode})`);
  const st = storm
    ? spawn('sh', ['-c', 'while :; do sh -c :; done'], { stdio: 'ignore', detached: true })
    : undefined;
  await sleep(100);
  const t0 = process.hrtime.bigint();
  const out = execFileSync('sh', ['-c', `for i in $(seq ${N}); do touch ${dir}/f$i & echo $!; done; wait`], {
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (st?.pid) process.kill(-st.pid, 'SIGKILL');
  const pids = new Set(out.trim().split('\n').map(Number));
  let share = 0;
  if (cache) {
    await sleep(500); // records trail the processes
    let ok = 0;
    for (const r of cache.records()) if (pids.has(r.pid) && r.exe === '/usr/bin/touch') ok++;
    share = ok / pids.size;
    await cache.close();
  }
  return { ms, share };
}

function enrichCost(): number {
  const e = createEnricher({
    processCache: { helper: false, procRoot: '/nonexistent' },
    runtimeMetadata: false,
  });
  const T0 = 1_700_000_000_000_000_000n;
  for (let pid = 1000; pid < 2000; pid++)
    e.cache.ingest({
      ev: 'exec',
      pid,
      ppid: pid === 1000 ? 1 : pid - 1,
      ts: String(T0),
      uid: 0,
      nspid: [pid],
      ttyNr: 0,
      exe: '/usr/bin/touch',
      cmdline: ['touch', 'file'],
      cwd: '/tmp',
      cgroup: '/',
    });
  const events: SensorEvent[] = [];
  for (let i = 0; i < 1000; i++)
    events.push({
      kind: 'change',
      source: 'fanotify',
      timeNs: String(T0 + 1000n),
      op: 'create',
      path: '/tmp/file',
      mask: 0x100,
      proc: { pid: 1001 + i - (i % 2), ppid: 0, uid: 0, exe: '', comm: '' },
    });
  const runs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < 100; k++) for (const ev of events) e.enrich(ev);
    if (r >= 2) runs.push(Number(process.hrtime.bigint() - t0) / 100_000); // 2 warm-up runs
  }
  return median(runs);
}

const dir = mkdtempSync(join(tmpdir(), 'bw-bench-enrich-'));
try {
  const res = new Map<string, { ms: number[]; share: number[] }>();
  for (let round = 0; round < ROUNDS; round++)
    for (const storm of [false, true])
      for (const mode of MODES) {
        const key = `${mode}|${storm ? 'storm' : 'no-storm'}`;
        const r = await run(mode, storm, dir);
        const slot = res.get(key) ?? { ms: [], share: [] };
        slot.ms.push(r.ms);
        slot.share.push(r.share);
        res.set(key, slot);
      }
  console.log(`${ROUNDS} rounds, ${N} background touch processes per run; medians`);
  console.log('condition  mode          attributed  workload ms  vs none');
  for (const storm of ['no-storm', 'storm'])
    for (const mode of MODES) {
      const r = res.get(`${mode}|${storm}`)!;
      const base = median(res.get(`none|${storm}`)!.ms);
      const share = mode === 'none' ? '-' : `${(median(r.share) * 100).toFixed(1)}%`;
      console.log(
        `${storm.padEnd(10)} ${mode.padEnd(13)} ${share.padStart(10)}  ${median(r.ms).toFixed(0).padStart(11)}  ${(median(r.ms) / base).toFixed(2).padStart(7)}`,
      );
    }
  console.log(`enrich(): ${enrichCost().toFixed(0)} ns per event (cached process and parent, host)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
