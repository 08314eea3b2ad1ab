// `fanotify` backend: changes on every filesystem that holds a policy path, from one fanotify
// group with a FAN_MARK_FILESYSTEM mark per filesystem. The helper sends only events under the
// policy trees (both the written and the resolved spelling of each target) and gaps.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
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

/**
 * Devices (as stat reports them) of the filesystems a process's fanotify groups have marked, read
 * from the kernel: the `fanotify sdev:` lines of /proc/PID/fdinfo (the kernel's internal dev_t,
 * 12-bit major above a 20-bit minor, converted to the userspace encoding).
 */
export function markedDevices(pid: number): Set<bigint> {
  const out = new Set<bigint>();
  const dir = `/proc/${pid}/fdinfo`;
  for (const fd of readdirSync(dir)) {
    let text: string;
    try {
      text = readFileSync(`${dir}/${fd}`, 'latin1');
    } catch {
      continue; // closed meanwhile
    }
    for (const m of text.matchAll(/^fanotify sdev:([0-9a-f]+) /gm)) {
      const k = BigInt(`0x${m[1]}`);
      const major = k >> 20n;
      const minor = k & 0xfffffn;
      out.add(
        (minor & 0xffn) | ((major & 0xfffn) << 8n) | ((minor & ~0xffn) << 12n) | ((major & ~0xfffn) << 32n),
      );
    }
  }
  return out;
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

  /**
   * The watched trees whose filesystem the kernel confirms is marked, once the helper has handled
   * the last rule set's commands; the rest in `unmarked`. A mark can fail (FID marks on /proc,
   * more filesystems than the helper holds): the helper logs it, and a tree it would have covered
   * must not be reported as watched (`baseline check --since-last` trusts that list).
   */
  async confirmedTrees(timeoutMs = 2000): Promise<{ trees: string[]; unmarked: string[] }> {
    const prefixes = this.watched.prefixes;
    const pid = this.helperPid;
    if (!pid || !(await this.statusRoundTrip(Date.now() + timeoutMs)))
      return { trees: [], unmarked: prefixes };
    let devs: Set<bigint>;
    try {
      devs = markedDevices(pid);
    } catch {
      return { trees: [], unmarked: prefixes };
    }
    const trees: string[] = [];
    const unmarked: string[] = [];
    for (const p of prefixes) {
      let ok = false;
      try {
        ok = devs.has(statSync(existingAncestor(p), { bigint: true }).dev);
      } catch {
        // vanished meanwhile: not confirmed
      }
      (ok ? trees : unmarked).push(p);
    }
    return { trees, unmarked };
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
