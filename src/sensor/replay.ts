// `replay` backend: reads recorded events (JSON lines, one SensorEvent per line, as
// `recordEvents` writes them) and delivers them in batches, so everything after the sensor can be
// tested without a kernel. A malformed line becomes a `read-error` gap naming the file and line;
// it never stops the replay.
import { createReadStream } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { RuleSet } from '../policy/types.js';
import type { SensorBackend, SensorEvent, SensorStats } from './types.js';

export interface ReplayOptions {
  files: string[];
  /** Events per batch (default 512). */
  batchSize?: number;
}

const KINDS = new Set(['denial', 'change', 'gap']);

export class ReplayBackend implements SensorBackend {
  readonly name = 'replay';
  private listeners: ((events: SensorEvent[]) => void)[] = [];
  private counters = { events: 0, batches: 0, gaps: 0, lost: 0 };
  private closed = false;
  /** Resolves when every file has been delivered. */
  done: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ReplayOptions) {}

  open(): Promise<void> {
    this.done = this.run();
    return Promise.resolve();
  }

  applyRuleSet(_ruleSet: RuleSet): Promise<void> {
    return Promise.resolve();
  }

  onBatch(listener: (events: SensorEvent[]) => void): void {
    this.listeners.push(listener);
  }

  stats(): SensorStats {
    return { backend: this.name, ...this.counters, restarts: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.done;
  }

  private deliver(batch: SensorEvent[]): void {
    if (!batch.length) return;
    this.counters.batches++;
    for (const e of batch) {
      if (e.kind === 'gap') {
        this.counters.gaps++;
        this.counters.lost += e.lost ?? 0;
      } else this.counters.events++;
    }
    for (const l of this.listeners) l(batch);
  }

  private async run(): Promise<void> {
    const size = this.opts.batchSize ?? 512;
    // Let the caller register listeners after open() before the first batch.
    await new Promise((r) => setImmediate(r));
    for (const file of this.opts.files) {
      const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
      let batch: SensorEvent[] = [];
      let line = 0;
      for await (const text of rl) {
        line++;
        if (this.closed) break;
        if (!text.trim()) continue;
        batch.push(parseLine(text, file, line));
        if (batch.length >= size) {
          this.deliver(batch);
          batch = [];
          await new Promise((r) => setImmediate(r));
        }
      }
      this.deliver(batch);
    }
  }
}

function parseLine(text: string, file: string, line: number): SensorEvent {
  try {
    const v = JSON.parse(text) as SensorEvent;
    if (v && typeof v === 'object' && KINDS.has(v.kind) && typeof v.timeNs === 'string') {
      return { ...v, source: v.source ?? 'replay' };
    }
  } catch {
    // falls through to the gap below
  }
  return {
    kind: 'gap',
    source: 'replay',
    timeNs: '0',
    cause: 'read-error',
    filesystem: file,
    detail: `${file}:${line}: not a SensorEvent JSON line`,
  };
}

/** Appends events to a recording (JSON lines) that ReplayBackend can play back. */
export async function recordEvents(file: string, events: SensorEvent[]): Promise<void> {
  if (events.length) await appendFile(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
}
