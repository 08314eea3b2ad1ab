// Kernel-layer overhead and event throughput, on an ext4 image on a loop device in /dev/shm (the
// /tmp disk varies 2-8x between identical runs here).
//
//   node --import tsx bench/kernel.ts [--rounds 3] [--files 100000] [--no-untar] [--flood 300000]
//        [--setups none,landlock,fanotify,bare[,bare-nopidfd,bare-split]]
//
// Workloads: bench/progs/smallfiles.c (N small files created, written, read, unlinked) and
// `tar xf` of an archive of /usr/share. Each runs, alternating in every round, with no Bulwark,
// inside a Landlock sandbox (bulwark-sandbox with a plan protecting a sibling tree readOnly), with
// fanotify monitoring on (FanotifyBackend watching the workload's tree, events consumed by Node),
// and with a bare fanotify listener (bench/progs/fanotify-bare.c: the helper's group flags, mask
// and read pacing, every event read and thrown away: the kernel's own cost, the floor for
// "fanotify").
// `bare-nopidfd` (not run by default) is the same without FAN_REPORT_PIDFD; `bare-split` (not run
// by default) uses two groups, names only for directory-entry events and the file's own handle for
// content and attribute events; BW_BARE_REST_US sets the bare listener's rest (default 1000 µs,
// the helper's). Prints medians and ratios. Then: events/s delivered into Node from a flood writer (--flood 0 skips it).
// Needs root; sets up and tears down the image, loop device and mount itself.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FanotifyBackend, planLandlock, sandboxCommand, type LandlockPlan } from '../src/sensor/index.js';
import type { CompiledRule, RuleSet } from '../src/policy/types.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const ROUNDS = opt('rounds', 3);
const FILES = opt('files', 100_000);
const FLOOD = opt('flood', 300_000);
const UNTAR = !args.includes('--no-untar');
const SETUPS_ALL = ['none', 'landlock', 'fanotify', 'bare', 'bare-nopidfd', 'bare-split'] as const;
type Setup = (typeof SETUPS_ALL)[number];
const setupsArg = args.indexOf('--setups');
const SETUPS: Setup[] =
  setupsArg >= 0 ? (args[setupsArg + 1].split(',') as Setup[]) : ['none', 'landlock', 'fanotify', 'bare'];
for (const s of SETUPS) if (!SETUPS_ALL.includes(s)) throw new Error(`unknown setup ${s}`);
if (SETUPS[0] !== 'none') throw new Error('--setups must start with none (the ratios are to it)');

const sh = (cmd: string, a: string[]): string => execFileSync(cmd, a, { encoding: 'utf8' }).trim();

function run(argv: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    c.on('exit', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - t0) / 1e6)
        : reject(new Error(`${argv.join(' ')} exited ${code}`)),
    );
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function blockRule(target: string): CompiledRule {
  return {
    id: 1,
    policy: 0,
    kind: 'dir',
    target,
    written: target,
    aliases: [],
    recursive: true,
    readOnly: true,
    ownerOnly: false,
    fromSource: [],
    action: 'Block',
    severity: 0,
    tags: [],
    message: '',
    field: 'bench',
    index: 0,
    pos: { file: 'bench', line: 1, col: 1 },
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('bench/kernel.ts needs root (loop device, fanotify, Landlock)');
  const work = mkdtempSync('/dev/shm/bw-bench-');
  const img = path.join(work, 'fs.img');
  const mnt = path.join(work, 'mnt');
  let loop = '';
  let mounted = false;
  const fan = new FanotifyBackend();
  let fanOpen = false;
  try {
    mkdirSync(mnt);
    sh('cc', ['-O2', '-o', path.join(work, 'smallfiles'), 'bench/progs/smallfiles.c']);
    sh('cc', ['-O2', '-o', path.join(work, 'flood'), 'test/progs/flood.c']);
    sh('cc', ['-O2', '-o', path.join(work, 'fanotify-bare'), 'bench/progs/fanotify-bare.c']);
    sh('truncate', ['-s', '3G', img]);
    sh('mkfs.ext4', ['-q', '-F', img]);
    loop = sh('losetup', ['-f', '--show', img]);
    sh('mount', [loop, mnt]);
    mounted = true;
    const tar = path.join(work, 'share.tar');
    if (UNTAR) {
      process.stderr.write('bench: archiving /usr/share into /dev/shm\n');
      execFileSync('tar', ['cf', tar, '-C', '/usr', 'share'], { stdio: ['ignore', 'ignore', 'ignore'] });
    }
    const prot = path.join(mnt, 'protected');
    mkdirSync(prot);
    // The plan is made per run, after the run's directory exists (Landlock grants what exists).
    const wrap = (setup: string, argv: string[]): string[] => {
      if (setup !== 'landlock') return argv;
      const plan: LandlockPlan = planLandlock({
        rules: [blockRule(`${prot}/`)],
        whitelist: false,
        posture: 'audit',
        abi: 7,
      });
      return sandboxCommand(plan, argv);
    };

    // fanotify monitoring: the whole loop filesystem marked, the workload tree watched.
    // Changes delivered, and gap events (an overflow would mean the pipeline fell behind and
    // changes were lost: a cheaper run that drops events is no win).
    let events = 0;
    let workGaps = 0;
    fan.onBatch((evs) => {
      for (const e of evs) {
        if (e.kind === 'gap') workGaps++;
        else events++;
      }
    });
    await fan.open();
    fanOpen = true;
    const setups = SETUPS;
    const results: Record<string, Record<string, number[]>> = { smallfiles: {}, untar: {} };
    for (const w of Object.keys(results)) for (const s of setups) results[w][s] = [];
    let bareEvents = 0;
    let n = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of setups) {
        const dir = path.join(mnt, `w${n++}`);
        mkdirSync(dir);
        let bare: Bare | undefined;
        if (s === 'fanotify') {
          await fan.applyRuleSet({
            rules: [{ ...blockRule(`${dir}/`), action: 'Audit' }],
          } as unknown as RuleSet);
          await new Promise((r) => setTimeout(r, 100));
        }
        if (s.startsWith('bare'))
          bare = await startBare(
            path.join(work, 'fanotify-bare'),
            s !== 'bare-nopidfd',
            mnt,
            s === 'bare-split',
          );
        results.smallfiles[s].push(await run(wrap(s, [path.join(work, 'smallfiles'), dir, String(FILES)])));
        if (UNTAR) results.untar[s].push(await run(wrap(s, ['tar', 'xf', tar, '-C', dir])));
        if (s === 'fanotify') {
          await fan.applyRuleSet({ rules: [] } as unknown as RuleSet);
          await new Promise((r) => setTimeout(r, 500));
        }
        if (bare) bareEvents += await bare.stop();
        rmSync(dir, { recursive: true, force: true });
        execFileSync('sync');
        process.stderr.write(`bench: round ${round + 1} ${s} done\n`);
      }
    }
    console.log(
      `\nworkload overhead (ext4 on loop in /dev/shm; ${ROUNDS} alternating rounds; median ms; ratio to none)`,
    );
    console.log(
      `workload            none${setups
        .slice(1)
        .map((s) => s.padStart(18))
        .join('')}`,
    );
    for (const [w, r] of Object.entries(results)) {
      if (!r.none.length) continue;
      const base = median(r.none);
      const cell = (s: string): string => `${median(r[s]).toFixed(0)} (x${(median(r[s]) / base).toFixed(2)})`;
      console.log(
        `${w.padEnd(16)} ${base.toFixed(0).padStart(7)}${setups
          .slice(1)
          .map((s) => cell(s).padStart(18))
          .join('')}`,
      );
    }
    for (const [w, r] of Object.entries(results))
      for (const st of setups)
        if (r[st].length) console.log(`  ${w} ${st}: ${r[st].map((x) => x.toFixed(0)).join(' ')} ms`);
    console.log(
      `(fanotify change events delivered during the runs: ${events}, gap events: ${workGaps}; bare listener events read: ${bareEvents}; load average ${sh('cat', ['/proc/loadavg'])})`,
    );
    if (!FLOOD) return;

    // Throughput into Node, two ways. Live: a flood writer and the consumer run at once (on 2
    // cores the writer competes with the helper and Node, so this is a floor). Drain: a second
    // backend with an unlimited kernel queue has its helper stopped (SIGSTOP) while the writer
    // runs, then continued: the rate at which the backlog reaches Node is the pipeline's own.
    const fdir = path.join(mnt, 'flood');
    mkdirSync(fdir);
    const floodRules = { rules: [{ ...blockRule(`${fdir}/`), action: 'Audit' }] } as unknown as RuleSet;
    const measure = async (b: FanotifyBackend, stopHelper: boolean): Promise<string> => {
      let got = 0;
      let gaps = 0;
      let first = 0n;
      let last = 0n;
      b.onBatch((evs) => {
        const now = process.hrtime.bigint();
        for (const e of evs) {
          if (e.kind === 'gap') gaps++;
          else if (e.kind === 'change' && e.path.startsWith(fdir)) {
            if (!first) first = now;
            got++;
          }
        }
        last = now;
      });
      await b.applyRuleSet(floodRules);
      await new Promise((r) => setTimeout(r, 300));
      const pid = b.helperPid;
      if (stopHelper && pid) process.kill(pid, 'SIGSTOP');
      const wms = await run([path.join(work, 'flood'), fdir, String(FLOOD)]);
      if (stopHelper && pid) {
        first = 0n;
        process.kill(pid, 'SIGCONT');
      }
      let seen = -1;
      while (seen !== got) {
        seen = got;
        await new Promise((r) => setTimeout(r, 500));
      }
      const secs = Number(last - first) / 1e9;
      return `${got} change events in ${secs.toFixed(2)} s = ${Math.round(got / secs)} events/s (writer: ${FLOOD} create+unlink pairs in ${wms.toFixed(0)} ms; ${gaps} gap events)`;
    };
    await fan.applyRuleSet({ rules: [] } as unknown as RuleSet);
    console.log(`
event throughput into Node, live: ${await measure(fan, false)}`);
    await fan.applyRuleSet({ rules: [] } as unknown as RuleSet);
    const drain = new FanotifyBackend({ unlimitedQueue: true });
    await drain.open();
    try {
      console.log(`event throughput into Node, drain of a kernel backlog: ${await measure(drain, true)}`);
    } finally {
      await drain.close();
    }
  } finally {
    if (fanOpen) await fan.close();
    if (mounted) execFileSync('umount', [mnt]);
    if (loop) execFileSync('losetup', ['-d', loop]);
    if (existsSync(work)) rmSync(work, { recursive: true, force: true });
  }
}

/** The bare listener reads like the helper: it rests this long after a read that emptied the
 * queue (BW_FAN_REST_US in native/helper/fan.h). */
const BARE_REST_US = Number(process.env.BW_BARE_REST_US ?? 1000);

interface Bare {
  stop(): Promise<number>;
}

/** Starts the bare listener on the filesystem of `mnt`; resolves once its mark is in place. */
function startBare(bin: string, pidfd: boolean, mnt: string, split: boolean): Promise<Bare> {
  const flags = [...(pidfd ? ['--pidfd'] : []), ...(split ? ['--split'] : [])];
  const c = spawn(bin, [...flags, '--rest', String(BARE_REST_US), mnt], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  c.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => c.on('exit', () => r()));
  const stop = async (): Promise<number> => {
    c.kill('SIGTERM');
    await exited;
    const m = /(\d+) events/.exec(err);
    if (!m) throw new Error(`fanotify-bare: ${err.trim()}`);
    return Number(m[1]);
  };
  return new Promise((resolve, reject) => {
    c.stdout.once('data', () => resolve({ stop }));
    c.on('exit', (code) => reject(new Error(`fanotify-bare exited ${code}: ${err.trim()}`)));
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
