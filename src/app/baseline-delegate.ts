// `baseline check --since-last` done by the running agent for the CLI: the agent already has the
// baseline modules loaded and compiled, the journal in memory and its sensor's queue at hand, so
// a check of a few thousand changed paths costs a fraction of what a fresh process pays to start
// Node and load the same code (BENCHMARKS.md, "since-last"). Control request:
//   {op: 'baseline-check', dbFile, pubFile, packages} → {ok, result (v8, base64), warnings}
//   {op: 'baseline-check', dbFile, pubFile, packages, render: 'json' | 'text'}
//     → {ok, output (what `baseline check [--json]` prints), exit (its exit bits), warnings}
// The rendered form lets a client print the result without loading the report code, or decoding
// a megabyte of serialized result for 1,000 changes (src/cli/quick.ts).
// The agent checks only its own baseline: the store and public key the client resolved must be
// the ones the agent's settings name, otherwise the client checks on its own. One check at a
// time; the result is the engine's CheckResult, exactly as the CLI would have computed it.
import { serialize } from 'node:v8';
import type { Logger } from 'pino';
import { checkBaseline, keptPool, loadSettings, type WorkerPool } from '../baseline/index.js';
import { checkExitCode, checkOutput } from '../baseline/report.js';
import type { AgentJournal, JournalAgent } from '../baseline/since-last.js';
import type { DigestAlgo } from '../baseline/types.js';
import type { ControlRequest, ControlResponse } from './control.js';
import type { JournalHook } from './journal-hook.js';

export interface DelegateOptions {
  stateDir: string;
  /** Signing key file from the agent's config ('' or undefined: the default). */
  keyFile?: string;
  journal: () => JournalHook | null;
  log: Logger;
}

/** The agent's journal, in this process, as the engine's JournalAgent. */
function inProcess(hook: JournalHook): JournalAgent {
  return {
    async position() {
      const r = await hook.onControl({ op: 'journal' });
      return r.ok ? (r.journal as AgentJournal) : { unavailable: r.error ?? 'no change journal' };
    },
    async checked(from, fromOffset, digest) {
      const r = await hook.onControl({ op: 'journal-check', from, fromOffset, digest });
      return r.ok
        ? { check: Number(r.check), fromOffset: Number(r.fromOffset) }
        : { error: r.error ?? 'the check was not recorded' };
    },
  };
}

export class BaselineDelegate {
  private busy: Promise<unknown> = Promise.resolve();
  /**
   * Hash workers kept between checks, started by the first check with many bytes to re-read
   * (engine.ts, KEPT_POOL_BYTES); replaced when one failed or the digests differ.
   */
  private pool: WorkerPool | null = null;
  private closing = false;

  constructor(private readonly o: DelegateOptions) {}

  handle(req: ControlRequest): Promise<ControlResponse> {
    // Once the agent stops, checks still queued are turned down (their clients check themselves).
    const run = this.busy.then(() =>
      this.closing ? { ok: false, error: 'the agent is stopping' } : this.check(req),
    );
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async check(req: ControlRequest): Promise<ControlResponse> {
    const hook = this.o.journal();
    if (!hook) return { ok: false, error: 'the agent is starting' };
    const settings = loadSettings({
      stateDir: this.o.stateDir,
      ...(this.o.keyFile ? { key: this.o.keyFile } : {}),
    });
    if (req.dbFile !== settings.dbFile || req.pubFile !== settings.pubFile)
      return {
        ok: false,
        error: `this agent checks ${settings.dbFile} with ${settings.pubFile}, not the baseline asked for`,
      };
    const warnings: [string, string][] = [];
    const started = Date.now();
    const r = await checkBaseline({
      settings,
      sinceLast: true,
      packages: req.packages !== false,
      journal: inProcess(hook),
      keptWorkers: (algos) => this.workers(algos),
      onWarning: (code, message) => void warnings.push([code, message]),
    });
    this.o.log.info(
      { mode: r.mode, changes: r.changes.length, ms: Date.now() - started },
      'baseline check --since-last run for a client',
    );
    const by = `run by the agent (pid ${process.pid})`;
    const out = { ...r, note: r.note ? `${r.note}; ${by}` : by };
    if (req.render === 'json' || req.render === 'text')
      return {
        ok: true,
        output: checkOutput(out, req.render === 'json'),
        exit: checkExitCode(out),
        warnings,
      };
    return { ok: true, result: serialize(out).toString('base64'), warnings };
  }

  private workers(algos: DigestAlgo[]): WorkerPool {
    const p = this.pool;
    if (p && !p.broken && p.init.algos.join() === algos.join()) return p;
    if (p) void p.close();
    this.pool = keptPool(algos);
    return this.pool;
  }

  /** Stops the kept workers (agent shutdown), after the check in progress; queued ones are refused. */
  async close(): Promise<void> {
    this.closing = true;
    await this.busy;
    await this.pool?.close();
    this.pool = null;
  }
}
