// From the rules that apply to one workload, the Landlock ruleset that enforces them, and a
// per-rule, per-operation coverage table saying how each forbidden operation is enforced here.
//
// Landlock is allow-list based: a handled right is refused everywhere except beneath a grant.
// Block (and readOnly) targets are therefore carved out: every trie node on the way to a target
// (the ancestors) is granted only what is allowed everywhere beneath it, and every other entry of
// those directories (the siblings, and so the rest of the tree) is granted all handled rights.
// Paths are the host's real spellings (on merged-/usr hosts a rule on /sbin/ protects /usr/sbin)
// and the launcher opens each grant with O_NOFOLLOW, so the sibling symlink /bin is skipped
// rather than granting /usr/bin. Consequences, reported in the coverage table:
// - directory-level rights (create, remove, rename, link) are checked on the parent directory, so
//   they are also refused for entries directly inside every ancestor of a target, and protecting a
//   single file protects every entry of its directory from being created or removed;
// - chmod, chown, xattr and time changes have no Landlock right: detected only;
// - fromSource, ownerOnly, pts conditions and glob patterns cannot be expressed: detected only.
// In whitelist mode with a block posture, the Allow rules become the grants (readOnly: read
// rights only) and Block targets inside them are carved out the same way.
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { CompiledRule, Operation, Posture } from '../policy/types.js';
import { OPERATIONS } from '../policy/types.js';
import { FILE_RIGHTS, LL, OP_RIGHTS, READ_RIGHTS, WRITE_RIGHTS, supportedRights } from './landlock-rights.js';

export interface PlanFs {
  /** The path with symlinks resolved, or null when it does not exist. */
  realpath(p: string): string | null;
  kind(p: string): 'dir' | 'file' | 'symlink' | 'missing';
  readdir(p: string): string[];
}

export const hostFs: PlanFs = {
  realpath(p) {
    try {
      return realpathSync(p);
    } catch {
      return null;
    }
  },
  kind(p) {
    try {
      const st = lstatSync(p);
      return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file';
    } catch {
      return 'missing';
    }
  },
  readdir(p) {
    try {
      return readdirSync(p);
    } catch {
      return [];
    }
  },
};

export interface PlanInput {
  /** Rules whose policies select the workload (policy `rulesFor`). */
  rules: CompiledRule[];
  /** The workload is in whitelist mode (an Allow rule applies to it). */
  whitelist: boolean;
  posture: Posture;
  /** Landlock ABI of the kernel (0: none). */
  abi: number;
  fs?: PlanFs;
}

export interface LandlockGrant {
  path: string;
  access: number;
}

export type CoverageStatus = 'prevented' | 'prevented-broader' | 'detected-only';

export interface CoverageEntry {
  ruleId: number;
  op: Operation;
  status: CoverageStatus;
  /** Why detected only, or what else is refused (broader). */
  note?: string;
}

export interface LandlockPlan {
  abi: number;
  /** Rights the ruleset handles; 0 means no sandbox is needed. */
  handled: number;
  grants: LandlockGrant[];
  coverage: CoverageEntry[];
  /** Rule ids that shape the ruleset. */
  enforcedRules: number[];
  /** Symlinked siblings left out (never followed), and other notes. */
  skipped: string[];
}

interface Node {
  path: string;
  children: Map<string, Node>;
  denyRec: number;
  denyShallow: number;
  lift: number;
  allow: number;
}

function newNode(p: string): Node {
  return { path: p, children: new Map(), denyRec: 0, denyShallow: 0, lift: 0, allow: 0 };
}

/** Why a rule cannot be enforced by Landlock, or null when it can. */
export function unenforceable(rule: CompiledRule): string | null {
  if (rule.kind === 'pattern') return 'glob patterns cannot be expressed as Landlock rules';
  if (rule.fromSource.length) return 'Landlock cannot tell processes of one workload apart (fromSource)';
  if (rule.ownerOnly) return 'Landlock has no owner condition (ownerOnly)';
  if (rule.pts === false) return 'Landlock has no terminal condition (pts)';
  return null;
}

/** The host spelling: existing part resolved, missing rest appended. */
function hostPath(fs: PlanFs, p: string): string {
  let cur = path.posix.normalize(p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
  const rest: string[] = [];
  for (;;) {
    const r = fs.realpath(cur);
    if (r !== null) return rest.length ? path.posix.join(r, ...rest.reverse()) : r;
    if (cur === '/') return path.posix.join('/', ...rest.reverse());
    rest.push(path.posix.basename(cur));
    cur = path.posix.dirname(cur);
  }
}

function nodeFor(root: Node, p: string): Node {
  let n = root;
  for (const part of p.split('/').filter(Boolean)) {
    let c = n.children.get(part);
    if (!c) {
      c = newNode(n.path === '/' ? `/${part}` : `${n.path}/${part}`);
      n.children.set(part, c);
    }
    n = c;
  }
  return n;
}

function denyBelow(n: Node): number {
  let d = 0;
  for (const c of n.children.values()) d |= c.denyRec | c.denyShallow | denyBelow(c);
  return d;
}

function ancestorsOf(p: string): string[] {
  const out: string[] = [];
  let cur = path.posix.dirname(p);
  for (;;) {
    out.unshift(cur);
    if (cur === '/') break;
    cur = path.posix.dirname(cur);
  }
  return out;
}

export function planLandlock(input: PlanInput): LandlockPlan {
  const fs = input.fs ?? hostFs;
  const supported = supportedRights(input.abi);
  const strictWhitelist = input.whitelist && input.posture === 'block';
  const root = newNode('/');
  const enforced: number[] = [];
  let handled = strictWhitelist ? (READ_RIGHTS | WRITE_RIGHTS) & supported : 0;
  const targets = new Map<number, string>();

  for (const r of input.rules) {
    if (unenforceable(r) || !supported) continue;
    const p = hostPath(fs, r.target);
    targets.set(r.id, p);
    const node = nodeFor(root, p);
    const rights = (r.readOnly ? WRITE_RIGHTS : READ_RIGHTS | WRITE_RIGHTS) & supported;
    if (r.action === 'Block') {
      if (r.kind === 'dir' && r.recursive) node.denyRec |= rights;
      else node.denyShallow |= rights;
      if (!strictWhitelist) handled |= rights;
      enforced.push(r.id);
    } else if (r.action === 'Allow' && strictWhitelist) {
      node.allow |= (r.readOnly ? READ_RIGHTS : READ_RIGHTS | WRITE_RIGHTS) & supported;
      enforced.push(r.id);
    } else {
      // Audit, or Allow outside strict whitelist: a more specific rule inside a Block lifts it
      // (docs/policy.md precedence) for the operations it decides.
      node.lift |= rights;
    }
  }

  const grants: LandlockGrant[] = [];
  const skipped: string[] = [];
  if (handled) {
    const visit = (n: Node, availIn: number, inh: number): void => {
      const avail = (availIn | n.allow) & handled;
      const inhHere = (inh & ~n.lift) | n.denyRec;
      const kind = fs.kind(n.path);
      if (kind === 'missing' || kind === 'symlink') return;
      const here = avail & ~inhHere & ~n.denyShallow & ~denyBelow(n) & (kind === 'dir' ? -1 : FILE_RIGHTS);
      if (here) grants.push({ path: n.path, access: here });
      if (kind !== 'dir') return;
      const entryRights = avail & ~inhHere;
      const listNeeded = n.children.size > 0 || n.denyShallow !== 0;
      if (listNeeded && entryRights) {
        for (const name of fs.readdir(n.path).sort()) {
          if (n.children.has(name)) continue;
          const p = n.path === '/' ? `/${name}` : `${n.path}/${name}`;
          const k = fs.kind(p);
          if (k === 'symlink') {
            skipped.push(p);
            continue;
          }
          let rights = entryRights;
          if (k !== 'dir') rights &= ~n.denyShallow & FILE_RIGHTS;
          if (rights & ~here) grants.push({ path: p, access: rights });
        }
      }
      for (const c of n.children.values()) visit(c, avail, inhHere);
    };
    visit(root, strictWhitelist ? 0 : handled, 0);
  }

  return {
    abi: input.abi,
    handled,
    grants,
    coverage: coverageOf(input, targets, supported, handled),
    enforcedRules: enforced,
    skipped,
  };
}

function forbidden(rule: CompiledRule): Operation[] {
  return rule.readOnly ? OPERATIONS.filter((o) => o !== 'read') : [...OPERATIONS];
}

function coverageOf(
  input: PlanInput,
  targets: Map<number, string>,
  supported: number,
  handled: number,
): CoverageEntry[] {
  const out: CoverageEntry[] = [];
  for (const r of input.rules) {
    if (r.action === 'Allow') continue;
    const why =
      r.action === 'Audit'
        ? 'Audit rule: reported, not refused'
        : !supported
          ? 'Landlock is not available on this host'
          : unenforceable(r);
    const target = targets.get(r.id);
    for (const op of forbidden(r)) {
      const need = OP_RIGHTS[op];
      if (why || !target) {
        out.push({ ruleId: r.id, op, status: 'detected-only', note: why ?? 'not enforced' });
      } else if (!(need.rights & handled & supported)) {
        out.push({ ruleId: r.id, op, status: 'detected-only', note: `Landlock has no right for ${op}` });
      } else if (need.on === 'parent') {
        const anc = ancestorsOf(target);
        const fileTarget = r.kind === 'path';
        const parent = anc[anc.length - 1];
        const note = fileTarget
          ? `directory right: every entry of ${parent} is protected from ${op}; also refused directly in ${anc.slice(0, -1).join(', ') || '/'}`
          : `directory right: also refused for entries directly in ${anc.join(', ')}`;
        out.push({ ruleId: r.id, op, status: 'prevented-broader', note });
      } else if (op === 'read') {
        // read_dir is not granted on the ancestors (it would grant it beneath them).
        out.push({
          ruleId: r.id,
          op,
          status: 'prevented-broader',
          note: `listing the directories above it (${ancestorsOf(target).join(', ')}) is refused too`,
        });
      } else if (op === 'truncate' && !(supported & LL.truncate)) {
        out.push({
          ruleId: r.id,
          op,
          status: 'prevented-broader',
          note: 'only through opens for writing (Landlock ABI < 3 has no truncate right)',
        });
      } else {
        out.push({ ruleId: r.id, op, status: 'prevented' });
      }
    }
  }
  return out;
}

/** `prevented`, `prevented (broader: …)` or `detected only (…)`. */
export function coverageText(e: CoverageEntry): string {
  if (e.status === 'prevented') return 'prevented';
  if (e.status === 'prevented-broader') return `prevented (broader: ${e.note})`;
  return e.note ? `detected only (${e.note})` : 'detected only';
}

/** Human-readable coverage table, one block per rule, for explain and the agent's start-up log. */
export function formatCoverage(plan: LandlockPlan, rules: CompiledRule[]): string {
  const lines: string[] = [];
  lines.push(
    plan.handled
      ? `Landlock ABI ${plan.abi}: ${plan.grants.length} grants, ${plan.enforcedRules.length} rules enforced`
      : `Landlock ABI ${plan.abi}: no sandbox needed (no enforceable Block rule)`,
  );
  for (const r of rules) {
    const entries = plan.coverage.filter((e) => e.ruleId === r.id);
    if (!entries.length) continue;
    lines.push(
      `rule ${r.id} ${r.action} ${r.written}${r.readOnly ? ' (readOnly)' : ''}${r.recursive ? ' (recursive)' : ''}:`,
    );
    const groups = new Map<string, Operation[]>();
    for (const e of entries) {
      const t = coverageText(e);
      groups.set(t, [...(groups.get(t) ?? []), e.op]);
    }
    for (const [t, ops] of groups) lines.push(`  ${ops.join(', ')}: ${t}`);
  }
  return lines.join('\n');
}

/** Launcher arguments for a plan: `--handled MASK --allow MASK PATH ...`. */
export function planArgs(plan: LandlockPlan): string[] {
  const args = ['--handled', String(plan.handled)];
  for (const g of plan.grants) args.push('--allow', String(g.access), g.path);
  return args;
}
