// Keeps the agent's rule set: loads the policy directory, compiles it, and watches it. A change is
// validated and compiled first; only a fully valid set replaces the old one (atomically, one
// assignment), otherwise the old set stays in force and the errors are reported. Nothing is ever
// half-applied.
import { existsSync, mkdirSync, watch, type FSWatcher } from 'node:fs';
import { formatDiagnostic, type Diagnostic } from '../common/diagnostic.js';
import { resolveHostPath } from '../common/realpath.js';
import { compile, loadPolicies, type PostureConfig, type RuleSet } from '../policy/index.js';

export interface ReloadOutcome {
  ok: boolean;
  ruleSet: RuleSet;
  /** Errors that kept the previous rule set in force (empty when ok). */
  errors: Diagnostic[];
  warnings: Diagnostic[];
  changed: boolean;
}

export interface PolicyManagerOptions {
  dir: string;
  /** Extra policy files or directories loaded with the directory (not watched). */
  extra?: string[];
  posture: PostureConfig;
  /** Called after each reload attempt triggered by the watcher. */
  onReload?: (outcome: ReloadOutcome) => void;
  /** Debounce for bursts of file events, ms. */
  debounceMs?: number;
}

export class PolicyManager {
  private current: RuleSet;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly opts: PolicyManagerOptions;

  constructor(opts: PolicyManagerOptions) {
    this.opts = opts;
    this.current = compile([], { posture: opts.posture, resolve: resolveHostPath });
  }

  get ruleSet(): RuleSet {
    return this.current;
  }

  /** Loads the directory now. On errors the current rule set is kept. */
  reload(): ReloadOutcome {
    if (!existsSync(this.opts.dir)) mkdirSync(this.opts.dir, { recursive: true, mode: 0o755 });
    const loaded = loadPolicies([this.opts.dir, ...(this.opts.extra ?? [])]);
    // An empty directory is valid (no rules); "no policy files found" is not an error here.
    const errors = loaded.errors.filter((e) => e.code !== 'BW1016');
    if (errors.length > 0) {
      return { ok: false, ruleSet: this.current, errors, warnings: loaded.warnings, changed: false };
    }
    const next = compile(loaded.policies, { posture: this.opts.posture, resolve: resolveHostPath });
    const changed = next.version !== this.current.version;
    if (changed) this.current = next;
    return { ok: true, ruleSet: this.current, errors: [], warnings: loaded.warnings, changed };
  }

  /** Watches the directory; bursts of changes are debounced into one reload. */
  watch(): void {
    if (this.watcher) return;
    this.watcher = watch(this.opts.dir, { persistent: false }, () => this.schedule());
    this.watcher.on('error', () => this.schedule());
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const outcome = this.reload();
      this.opts.onReload?.(outcome);
    }, this.opts.debounceMs ?? 200);
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
  }
}

export function describeErrors(errors: Diagnostic[]): string {
  return errors.map(formatDiagnostic).join('\n');
}
