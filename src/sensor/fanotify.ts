// `fanotify` backend: changes on every filesystem that holds a policy path, from one fanotify
// group with a FAN_MARK_FILESYSTEM mark per filesystem. The helper sends only events under the
// policy trees (both the written and the resolved spelling of each target) and gaps.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { RuleSet } from '../policy/types.js';
import { FEAT } from './abi.js';
import { HelperBackend, type HelperBackendOptions } from './helper-backend.js';

export interface FanotifyOptions extends HelperBackendOptions {
  /** Extra trees to watch besides the policy paths (the container storage filesystem). */
  extraPaths?: string[];
  /** Let the kernel queue grow without bound instead of overflowing (default false). */
  unlimitedQueue?: boolean;
  /** Send every event of the marked filesystems, not only those under policy paths. */
  noFilter?: boolean;
}

/** The literal directory prefix of a target: `/etc/` for `/etc/**\/*.conf`. */
export function literalPrefix(target: string): string {
  const i = target.search(/[*?[{\\]/);
  if (i < 0) return target;
  const lit = target.slice(0, i);
  return lit.slice(0, lit.lastIndexOf('/') + 1) || '/';
}

/** The deepest existing ancestor of p as written (p itself when it exists). */
function existingAncestor(p: string): string {
  let cur = path.posix.normalize(p);
  for (;;) {
    try {
      realpathSync(cur);
      return cur;
    } catch {
      if (cur === '/') return '/';
      cur = path.posix.dirname(cur);
    }
  }
}

/** p with its existing part resolved (symlinks followed) and the missing rest appended. */
export function hostSpelling(p: string): string {
  const anc = existingAncestor(p);
  return path.posix.join(realpathSync(anc), path.posix.relative(anc, path.posix.normalize(p)));
}

/** Watched trees of a rule set: every target's literal prefix, written and resolved. */
export function watchedTrees(
  ruleSet: RuleSet,
  extra: string[] = [],
): { marks: string[]; prefixes: string[] } {
  const prefixes = new Set<string>();
  const marks = new Set<string>();
  const targets = [
    // every spelling the compiler knows (aliases: the target with symlinks resolved)
    ...ruleSet.rules.flatMap((r) =>
      [r.target, ...(r.aliases ?? [])].map((t) => (r.kind === 'pattern' ? literalPrefix(t) : t)),
    ),
    ...extra,
  ];
  for (const t of targets) {
    const written = t.length > 1 && t.endsWith('/') ? t.slice(0, -1) : t;
    marks.add(realpathSync(existingAncestor(written)));
    prefixes.add(path.posix.normalize(written));
    prefixes.add(hostSpelling(written));
  }
  return { marks: [...marks], prefixes: [...prefixes] };
}

export class FanotifyBackend extends HelperBackend {
  readonly name = 'fanotify';
  private watched: { marks: string[]; prefixes: string[] } = { marks: [], prefixes: [] };

  constructor(private readonly fopts: FanotifyOptions = {}) {
    super(['run', '--fanotify', ...(fopts.unlimitedQueue ? ['--unlimited-queue'] : [])], fopts);
  }

  protected source(): 'fanotify' {
    return 'fanotify';
  }

  protected required(): { feature: number; code: 'SENSOR_FANOTIFY_UNAVAILABLE' } {
    return { feature: FEAT.fanotify, code: 'SENSOR_FANOTIFY_UNAVAILABLE' };
  }

  /** Trees watched after the last applyRuleSet (for the start-up log). */
  get trees(): { marks: string[]; prefixes: string[] } {
    return this.watched;
  }

  applyRuleSet(ruleSet: RuleSet): Promise<void> {
    this.watched = watchedTrees(ruleSet, this.fopts.extraPaths);
    this.helper.resetCommands();
    // clear flags the current marks, mark keeps or adds, prune removes what is no longer needed:
    // a filesystem watched before and after is never unmarked in between.
    this.helper.send('clear');
    this.helper.send('filter-clear');
    for (const m of this.watched.marks) this.helper.send(`mark ${m}`);
    this.helper.send('prune');
    if (!this.fopts.noFilter) for (const p of this.watched.prefixes) this.helper.send(`filter ${p}`);
    return Promise.resolve();
  }
}
