// After a gap (events may have been lost), the baseline is checked right away, so a change made
// while the sensor was blind is still found. Runs at most one check at a time; gaps arriving
// during a check schedule exactly one more. Drift becomes BaselineDrift alerts; the result and
// its time feed the metrics.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Metrics } from '../api/index.js';
import type { Alert } from '../alert/types.js';
import { checkBaseline, driftAlerts, loadSettings } from '../baseline/index.js';
import type { RuleSet } from '../policy/types.js';

export interface RecheckOptions {
  stateDir: string;
  /** Signing key file (its public half verifies the baseline); '' for the default. */
  keyFile?: string;
  clusterName: string;
  hostName: string;
  ruleSet: () => RuleSet;
  publish: (a: Alert) => void;
  metrics: Metrics;
  log: Logger;
  /** Wait this long after a gap before checking, so a burst of gaps costs one check (ms). */
  delayMs?: number;
}

export class BaselineRecheck {
  private readonly o: RecheckOptions;
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  /** Checks run, and the last one's outcome (for status). */
  readonly history: { at: string; result: 'clean' | 'drift' | 'error'; changes: number; reason: string }[] =
    [];

  constructor(o: RecheckOptions) {
    this.o = o;
  }

  /** True when a signed baseline exists in the agent's state directory. */
  get available(): boolean {
    return existsSync(join(this.o.stateDir, 'baseline', 'baseline.db'));
  }

  /** Called for a gap: schedules a check when a baseline exists. */
  onGap(reason: string): void {
    if (!this.available) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run(reason);
    }, this.o.delayMs ?? 2000);
    this.timer.unref();
  }

  private async run(reason: string): Promise<void> {
    this.running = true;
    const at = new Date();
    try {
      const settings = loadSettings({
        stateDir: this.o.stateDir,
        ...(this.o.keyFile ? { key: this.o.keyFile } : {}),
      });
      const r = await checkBaseline({ settings });
      const alerts = driftAlerts(r.changes, {
        ruleSet: this.o.ruleSet(),
        clusterName: this.o.clusterName,
        hostName: this.o.hostName,
        now: at,
      });
      for (const a of alerts) this.o.publish(a);
      const result = r.changes.length ? 'drift' : 'clean';
      this.o.metrics.baselineCheck(at, result, r.changes.length);
      this.history.push({ at: at.toISOString(), result, changes: r.changes.length, reason });
      this.o.log.warn({ changes: r.changes.length, reason }, 'baseline re-checked after an event gap');
    } catch (err) {
      this.o.metrics.baselineCheck(at, 'error');
      this.history.push({ at: at.toISOString(), result: 'error', changes: 0, reason });
      this.o.log.error({ err }, 'baseline re-check after an event gap failed');
    } finally {
      this.running = false;
      if (this.history.length > 20) this.history.splice(0, this.history.length - 20);
      if (this.again) {
        this.again = false;
        this.onGap(`${reason} (and later gaps)`);
      }
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
