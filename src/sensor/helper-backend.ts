// Shared part of the backends that read the native helper: frames → SensorEvents, one batch per
// pipe read, counters, gap events for helper crashes, overflows and audit losses.
import { BulwarkError } from '../common/errors.js';
import type { RuleSet } from '../policy/types.js';
import { GAP_CAUSE, type Frame, type GapFrame } from './abi.js';
import { decodeDenial } from './audit-decode.js';
import { decodeChange } from './change-decode.js';
import { HelperProcess } from './helper-process.js';
import type { GapEvent, SensorBackend, SensorEvent, SensorStats } from './types.js';

export interface HelperBackendOptions {
  /** Helper binary to run instead of the built one (fault injection in tests). */
  binary?: string;
  /** Restart the helper when it dies (default true). */
  restart?: boolean;
  /** Receives the helper's diagnostic lines (level 0 info, 1 warning, 2 error). */
  onLog?(level: number, text: string): void;
}

export abstract class HelperBackend implements SensorBackend {
  abstract readonly name: string;
  protected helper: HelperProcess;
  private listeners: ((events: SensorEvent[]) => void)[] = [];
  protected counters = { events: 0, batches: 0, gaps: 0, lost: 0, decodeErrors: 0, suppressed: 0 };
  /** Last status the helper sent (audit state, suppressed counts). */
  lastStatus?: Extract<Frame, { op: 'status' }>;
  /** Status frames received (answers to requestStatus() and the helper's periodic ones). */
  statusFrames = 0;

  constructor(
    args: string[],
    protected readonly opts: HelperBackendOptions = {},
  ) {
    this.helper = new HelperProcess({
      args,
      binary: opts.binary,
      restart: opts.restart,
      onFrames: (f) => this.onFrames(f),
      onCrash: (info) => {
        const detail =
          `bulwark-helper exited (code ${info.code}, signal ${info.signal}); restarting. ${info.stderr.trim()}`.trim();
        this.emit([{ kind: 'gap', source: this.source(), timeNs: nowNs(), cause: 'helper-restart', detail }]);
      },
      onDecodeErrors: (errs) => {
        // A frame that cannot be decoded is a loss: report it like one.
        this.counters.decodeErrors += errs.length;
        const kinds = [...new Set(errs.map((e) => e.kind))].join(', ');
        this.emit([
          {
            kind: 'gap',
            source: this.source(),
            timeNs: nowNs(),
            cause: 'read-error',
            detail: `${errs.length} helper frame(s) not decodable (${kinds})`,
          },
        ]);
      },
    });
  }

  protected abstract source(): 'landlock' | 'fanotify';

  /** The hello feature bit this backend needs, and the error when the helper could not get it. */
  protected abstract required(): {
    feature: number;
    code: 'SENSOR_AUDIT_UNAVAILABLE' | 'SENSOR_FANOTIFY_UNAVAILABLE';
  };

  /** Starts the helper; throws when it cannot start or cannot open its kernel interface. */
  async open(): Promise<void> {
    const logs: string[] = [];
    const onLog = this.opts.onLog;
    this.opts.onLog = (level, text) => {
      if (level >= 2) logs.push(text);
      onLog?.(level, text);
    };
    let hello;
    try {
      hello = await this.helper.start();
    } catch (e) {
      throw new BulwarkError('SENSOR_HELPER_FAILED', (e as Error).message);
    }
    const need = this.required();
    if (!(hello.features & need.feature)) {
      await this.helper.stop();
      throw new BulwarkError(need.code, `${this.name}: ${logs.join('; ') || 'the helper could not open it'}`);
    }
  }

  abstract applyRuleSet(ruleSet: RuleSet): Promise<void>;

  onBatch(listener: (events: SensorEvent[]) => void): void {
    this.listeners.push(listener);
  }

  /** Features the helper reported at start (abi.ts FEAT bits), 0 before open(). */
  get features(): number {
    return this.helper.hello?.features ?? 0;
  }

  /** Pid of the running helper (for tests that kill it). */
  get helperPid(): number | undefined {
    return this.helper.pid;
  }

  /** Asks the helper for a status frame now. */
  requestStatus(): void {
    this.helper.send('status', false);
  }

  /**
   * Resolves true once the helper has answered a status request sent now, i.e. has handled every
   * command sent before it (it reads commands in order, and drains its kernel queue first). The
   * first new frame may be a periodic one already on its way, so it asks twice, one after the
   * other; false when no answer came by `deadline` (ms since the epoch).
   */
  async statusRoundTrip(deadline: number): Promise<boolean> {
    for (let round = 0; round < 2; round++) {
      const before = this.statusFrames;
      this.requestStatus();
      while (this.statusFrames === before) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    return true;
  }

  stats(): SensorStats {
    return {
      backend: this.name,
      events: this.counters.events,
      batches: this.counters.batches,
      gaps: this.counters.gaps,
      lost: this.counters.lost,
      restarts: this.helper.restarts,
    };
  }

  async close(): Promise<void> {
    await this.helper.stop();
  }

  protected emit(events: SensorEvent[]): void {
    if (!events.length) return;
    this.counters.batches++;
    for (const e of events) {
      if (e.kind === 'gap') {
        this.counters.gaps++;
        if (e.lost) this.counters.lost += e.lost;
      } else this.counters.events++;
    }
    for (const l of this.listeners) l(events);
  }

  private onFrames(frames: Frame[]): void {
    const out: SensorEvent[] = [];
    for (const f of frames) {
      switch (f.op) {
        case 'change':
          for (const e of decodeChange(f)) out.push(e);
          break;
        case 'audit': {
          const d = decodeDenial(f);
          if (d) out.push(d);
          break;
        }
        case 'gap':
          out.push(gapEvent(f, this.source()));
          break;
        case 'status':
          this.lastStatus = f;
          this.statusFrames++;
          break;
        case 'log':
          this.opts.onLog?.(f.level, f.text);
          break;
        case 'hello':
          break;
      }
    }
    this.emit(out);
  }
}

export function nowNs(): string {
  return (BigInt(Date.now()) * 1_000_000n).toString();
}

function gapEvent(f: GapFrame, source: 'landlock' | 'fanotify'): GapEvent {
  const cause = GAP_CAUSE[f.cause as keyof typeof GAP_CAUSE] ?? 'read-error';
  const g: GapEvent = { kind: 'gap', source, timeNs: f.timeNs.toString(), cause, detail: f.detail };
  if (f.filesystem) g.filesystem = f.filesystem;
  if (f.lost) g.lost = Number(f.lost);
  return g;
}
