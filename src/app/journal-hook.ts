// The agent's side of the change journal (src/baseline/journal.ts): every sensor batch's changed
// paths and gaps go to the journal before anything else happens to them, the trees the fanotify
// sensor watches are journalled after each rule set is applied, and two control requests let
// `baseline check` read a position and record a finished check:
//   {op: 'journal'}                      → {ok, journal: AgentJournal}
//   {op: 'journal-check', from, fromOffset, digest} → {ok, check, fromOffset}
import type { Logger } from 'pino';
import { JournalWriter, journalFile, type JournalGap } from '../baseline/journal.js';
import type { AgentJournal } from '../baseline/since-last.js';
import type { ControlRequest, ControlResponse } from './control.js';
import { FanotifyBackend, type SensorBackend, type SensorEvent } from '../sensor/index.js';

/** Longest wait for the change sensor to confirm it has read its queue (ms). */
const SYNC_MS = 2000;

export class JournalHook {
  private readonly writer: JournalWriter | null = null;
  /** Why there is no journal (the file could not be created): checks then run full. */
  private readonly error: string | null = null;
  /** Problems already logged (each once). */
  private readonly logged = new Set<string>();
  /** Rule sets applied so far: a confirmation of marks is for the latest only. */
  private generation = 0;

  constructor(
    stateDir: string,
    private readonly backends: () => SensorBackend[],
    private readonly log: Logger,
  ) {
    try {
      this.writer = new JournalWriter(journalFile(stateDir));
    } catch (err) {
      // Not fatal for the agent: `baseline check --since-last` runs full checks and says why.
      this.error = `cannot create ${journalFile(stateDir)}: ${(err as Error).message}`;
      this.log.warn({ err }, 'no change journal for baseline --since-last');
    }
  }

  private fanotify(): FanotifyBackend[] {
    return this.backends().filter((b): b is FanotifyBackend => b instanceof FanotifyBackend);
  }

  /** Hot path: one call per sensor batch. */
  record(events: SensorEvent[]): void {
    let paths: string[] | null = null;
    let gaps: JournalGap[] | null = null;
    for (const ev of events) {
      if (ev.kind === 'change') {
        paths ??= [];
        paths.push(ev.pathPartial ? ev.path.replace(/^\/*/, '') : ev.path);
        if (ev.secondPath) paths.push(ev.secondPath);
      } else if (ev.kind === 'gap' && ev.source === 'fanotify') {
        // Only the change sensor's gaps can hide a change: a lost audit or ring-buffer record is
        // a lost denial, and a denied operation changed nothing.
        gaps ??= [];
        gaps.push({ cause: `${ev.source} ${ev.cause}`, ...(ev.detail ? { detail: ev.detail } : {}) });
      }
    }
    if (paths || gaps) this.writer?.record(paths ?? [], gaps ?? []);
    this.reportProblems();
  }

  /** Logs a failed write or compaction once each (they are otherwise seen only at a check). */
  private reportProblems(): void {
    const w = this.writer;
    if (!w) return;
    if (w.failed && !this.logged.has(w.failed)) {
      this.logged.add(w.failed);
      this.log.error(
        { reason: w.failed },
        'change journal write failed: baseline check --since-last runs full checks until the agent restarts',
      );
    }
    if (w.compactError && !this.logged.has(w.compactError)) {
      this.logged.add(w.compactError);
      this.log.warn(
        { reason: w.compactError },
        'change journal compaction failed; the journal keeps growing',
      );
    }
  }

  /**
   * After the rule set is applied (start, reload): the trees changes are reported for. Until the
   * helpers confirm their marks, only trees watched both before and after count (a reload keeps
   * their marks throughout); then the trees whose filesystems the kernel shows marked. A tree
   * whose mark failed is never listed, so a since-last check over it runs full (BW5111).
   */
  rulesApplied(): Promise<void> {
    const w = this.writer;
    if (!w) return Promise.resolve();
    const gen = ++this.generation;
    const next = new Set(this.fanotify().flatMap((b) => b.trees.prefixes));
    if (w.trees.length) w.watch(w.trees.filter((t) => next.has(t)));
    return this.confirm(gen);
  }

  private async confirm(gen: number): Promise<void> {
    const trees: string[] = [];
    const unmarked: string[] = [];
    for (const b of this.fanotify()) {
      const c = await b.confirmedTrees(SYNC_MS);
      trees.push(...c.trees);
      unmarked.push(...c.unmarked);
    }
    if (gen !== this.generation) return; // a newer rule set is being confirmed
    if (unmarked.length)
      this.log.warn(
        { trees: unmarked },
        'fanotify does not watch these trees (their filesystem could not be marked): changes there are not journalled, and baseline check --since-last runs full checks over them',
      );
    this.writer?.watch(trees);
  }

  /**
   * Waits until every fanotify helper has read the kernel events queued before this request: the
   * helper drains its fanotify queue before it reads a command, so a status frame it sends in
   * answer follows every such event (HelperBackend.statusRoundTrip).
   */
  private async sync(): Promise<boolean> {
    const deadline = Date.now() + SYNC_MS;
    for (const b of this.fanotify()) if (!(await b.statusRoundTrip(deadline))) return false;
    return true;
  }

  async onControl(req: ControlRequest): Promise<ControlResponse> {
    this.reportProblems();
    if (!this.writer) return { ok: false, error: this.error ?? 'no change journal' };
    if (req.op === 'journal') {
      const synced = await this.sync();
      const pos = await this.writer.position();
      const journal: AgentJournal = {
        ...pos,
        file: this.writer.file,
        ready: this.writer.ready && this.fanotify().length > 0,
        trees: this.writer.trees,
        synced,
        failed: this.writer.failed,
      };
      return { ok: true, journal };
    }
    const from = Number(req.from);
    const fromOffset = Number(req.fromOffset);
    if (!Number.isInteger(from) || !Number.isInteger(fromOffset) || typeof req.digest !== 'string')
      return { ok: false, error: 'journal-check needs from, fromOffset and digest' };
    try {
      const r = await this.writer.checked(from, fromOffset, req.digest);
      return { ok: true, ...r };
    } catch (err) {
      this.log.error({ err }, 'recording a baseline check in the journal failed');
      return { ok: false, error: (err as Error).message };
    }
  }

  close(): Promise<void> {
    return this.writer?.close() ?? Promise.resolve();
  }
}
