// The BPF-LSM rule plan: a RuleSet turned into what the kernel program matches (bpf/include/
// bulwark_abi.h), as data (planBpf) and as the text the loader reads (encodeBpfPlan; the loader
// resolves each path to a device and inode in the namespace it runs in).
//
// Each rule outcome gets a 64-bit rank that orders outcomes exactly as decide() does: precedence
// tier (fromSource, then path, then directories deeper first, then patterns), then strictness
// (block > posture-block > audit > posture-audit > allow), then Block > Audit > Allow, then the
// lower rule id. The kernel keeps the highest-ranked outcome of all rules that match one end, so it
// reaches decide()'s verdict without knowing the precedence rules itself.
//
// Keys: a path rule is keyed by name (parent directory inode + FNV-1a hash of the last
// component: it holds for a file that does not exist yet and for a file replaced by rename) and by
// inode (hard links to it); a dir rule by name (the directory itself) and by inode (everything
// below, found by walking up the parents); a pattern by the inode of its literal directory prefix
// plus a glob on the leaf name (see analysePattern for the shapes enforced in the kernel).
import { dirDepth } from '../policy/paths.js';
import { viewOf } from '../policy/subject.js';
import type { CompiledRule, RuleSet, Subject } from '../policy/types.js';

// bulwark_abi.h
export const BW_F = {
  PATH: 1 << 0,
  DIR: 1 << 1,
  RECURSIVE: 1 << 2,
  READONLY: 1 << 3,
  OWNER: 1 << 4,
  NEED_TTY: 1 << 5,
  ALLOW: 1 << 6,
  PATTERN: 1 << 7,
} as const;
export const BW_V = { NONE: 0, ALLOW: 1, AUDIT: 2, BLOCK: 3, POSTURE: 4 } as const;
export const BW_SET = { ACTIVE: 1, WHITELIST: 2, POSTURE_BLOCK: 4, READ_BLOCKABLE: 8 } as const;
export const BW_MAX_SETS = 1024;
export const BW_MAX_PATTERNS = 4096;
export const BW_LEVELS_ANY1 = 0xff;
export const BW_LEVELS_ANY2 = 0xfe;
/** Set index that is never filled: cgroups mapped to it are not enforced (exempt). */
export const BW_EXEMPT_SET = BW_MAX_SETS - 1;

export interface BpfWorkload {
  /** cgroup v2 directory (its inode is the cgroup id), resolved by the loader ... */
  cgroupPath?: string;
  /** ... or the cgroup id itself (decimal). */
  cgroupId?: string;
  subject: Subject;
}

export interface BpfPlanInput {
  /** The host subject: every process outside the workloads' cgroups. */
  host: Subject;
  workloads?: BpfWorkload[];
  /** cgroups never enforced (the agent's own, a test harness's). */
  exemptCgroups?: string[];
}

export interface BpfPlanSet {
  index: number;
  flags: number;
  rules: number;
}

export interface BpfPlanKey {
  set: number;
  kind: 'inode' | 'name';
  path: string;
  ruleId: number;
  flags: number;
  verdictViolate: number;
  verdictOk: number;
  /** 64-bit ranks as decimal strings. */
  rankViolate: string;
  rankOk: string;
  srcSet: number;
  patternId: number;
}

export interface BpfPlan {
  version: 1;
  ruleSetVersion: string;
  sets: BpfPlanSet[];
  cgroups: { set: number; path?: string; id?: string }[];
  sources: { set: number; srcSet: number; exe: string }[];
  patterns: { id: number; levels: number; glob: string }[];
  keys: BpfPlanKey[];
  /** Rules (or pattern alternatives) the kernel cannot enforce, and why; never silent. */
  unsupported: { set: number; ruleId: number; target: string; reason: string }[];
}

const PATH_TIER = 20_000;
const DIR_TIER = 10_000;
const SOURCE_TIER = 1_000_000;
const STRICT = { allow: 0, 'posture-audit': 1, audit: 2, 'posture-block': 3, block: 4 } as const;
const ACTION_RANK = { Allow: 0, Audit: 1, Block: 2 } as const;
const ID_BITS = 27n;

/** decide()'s precedence tier of a rule (its best spelling for directories). */
function tierOf(rule: CompiledRule): number {
  let base = 0;
  if (rule.kind === 'path') base = PATH_TIER;
  else if (rule.kind === 'dir') base = DIR_TIER + Math.max(...[rule.target, ...rule.aliases].map(dirDepth));
  return rule.fromSource.length > 0 ? base + SOURCE_TIER : base;
}

function rank(rule: CompiledRule, strictness: number): string {
  if (rule.id >= 1 << Number(ID_BITS)) throw new RangeError(`rule id ${rule.id} too large for the BPF plan`);
  const r =
    (BigInt(tierOf(rule)) << 32n) |
    (BigInt(strictness) << 29n) |
    (BigInt(ACTION_RANK[rule.action]) << ID_BITS) |
    ((1n << ID_BITS) - 1n - BigInt(rule.id));
  return r.toString();
}

/** FNV-1a 64 of a name, as bpf/progs/bulwark_lsm.bpf.c computes it (never 0). */
export function fnv1a64(name: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(name, 'utf8')) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h === 0n ? 1n : h;
}

/** Expands `{a,b}` alternatives (nested too); at most `limit` results. */
export function expandBraces(glob: string, limit = 64): string[] | null {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '{') {
      if (depth === 0) open = i;
      depth++;
    } else if (ch === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const body = glob.slice(open + 1, i);
        const alts: string[] = [];
        let d = 0;
        let start = 0;
        for (let j = 0; j < body.length; j++) {
          if (body[j] === '\\') j++;
          else if (body[j] === '{') d++;
          else if (body[j] === '}') d--;
          else if (body[j] === ',' && d === 0) {
            alts.push(body.slice(start, j));
            start = j + 1;
          }
        }
        alts.push(body.slice(start));
        const out: string[] = [];
        for (const a of alts) {
          const sub = expandBraces(glob.slice(0, open) + a + glob.slice(i + 1), limit);
          if (sub === null) return null;
          out.push(...sub);
          if (out.length > limit) return null;
        }
        return out;
      }
    }
  }
  return [glob];
}

const META = /[*?[\\]/;

export type PatternShape = { anchor: string; levels: number; glob: string } | { reason: string };

/**
 * How one brace-free pattern is enforced: a literal anchor directory and a glob on the leaf name
 * at a fixed depth below it, or at any depth (`**`). Intermediate components may only be `*`.
 */
export function analysePattern(p: string): PatternShape {
  if (!p.startsWith('/')) return { reason: 'does not start with a literal "/"' };
  const comps = p.split('/').slice(1);
  let a = 0;
  while (a < comps.length - 1 && !META.test(comps[a])) a++;
  const anchor = `/${comps.slice(0, a).join('/')}`;
  const rest = comps.slice(a);
  if (rest.some((c) => c === '')) return { reason: 'empty path component' };
  const leaf = rest[rest.length - 1];
  const mids = rest.slice(0, -1);
  const classes = (leaf.match(/\[/g) ?? []).length;
  if (classes > 4) return { reason: 'more than 4 [...] classes in one component' };
  if (Buffer.byteLength(leaf) > 127) return { reason: 'leaf glob longer than 127 bytes' };
  if (mids.length === 0) {
    if (leaf.startsWith('**')) {
      const tail = leaf.replace(/^\*+/, '');
      if (tail.includes('**')) return { reason: '"**" inside a component' };
      return { anchor, levels: BW_LEVELS_ANY1, glob: `*${tail}` };
    }
    if (leaf.includes('**')) return { reason: '"**" inside a component' };
    return { anchor, levels: 1, glob: leaf };
  }
  if (mids.length === 1 && mids[0] === '**' && !leaf.includes('**'))
    return { anchor, levels: BW_LEVELS_ANY2, glob: leaf };
  if (mids.every((m) => m === '*') && !leaf.includes('**'))
    return { anchor, levels: mids.length + 1, glob: leaf };
  return { reason: 'a glob in a directory component other than "*" or a lone "**" before the leaf' };
}

function unescapeLiteral(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** Plans a RuleSet for the host and the given workloads. Pure: paths are resolved by the loader. */
export function planBpf(rs: RuleSet, input: BpfPlanInput): BpfPlan {
  const plan: BpfPlan = {
    version: 1,
    ruleSetVersion: rs.version,
    sets: [],
    cgroups: [],
    sources: [],
    patterns: [],
    keys: [],
    unsupported: [],
  };
  const subjects: Subject[] = [input.host, ...(input.workloads ?? []).map((w) => w.subject)];
  if (subjects.length >= BW_EXEMPT_SET) throw new RangeError(`more than ${BW_EXEMPT_SET - 1} workloads`);
  const patternIds = new Map<string, number>();
  subjects.forEach((subject, index) => {
    const view = viewOf(rs, subject);
    const postureStrict = view.posture === 'block' ? STRICT['posture-block'] : STRICT['posture-audit'];
    const rules = rs.rules.filter((r) => view.applies[r.policy] === 1);
    let readBlockable = view.whitelist && view.posture === 'block';
    for (const rule of rules) {
      if (rule.action === 'Block' && (!rule.readOnly || rule.ownerOnly)) readBlockable = true;
      let flags = 0;
      if (rule.readOnly) flags |= BW_F.READONLY;
      if (rule.ownerOnly) flags |= BW_F.OWNER;
      if (rule.pts === false) flags |= BW_F.NEED_TTY;
      if (rule.action === 'Allow') flags |= BW_F.ALLOW;
      const out =
        rule.action === 'Allow'
          ? {
              vv: BW_V.POSTURE,
              vo: BW_V.ALLOW,
              rv: rank(rule, postureStrict),
              ro: rank(rule, STRICT.allow),
            }
          : {
              vv: rule.action === 'Block' ? BW_V.BLOCK : BW_V.AUDIT,
              vo: BW_V.NONE,
              rv: rank(rule, rule.action === 'Block' ? STRICT.block : STRICT.audit),
              ro: '0',
            };
      const srcSet = rule.fromSource.length > 0 ? rule.id : 0;
      for (const exe of rule.fromSource) plan.sources.push({ set: index, srcSet, exe });
      const key = (kind: 'inode' | 'name', path: string, f: number, patternId = 0): void => {
        plan.keys.push({
          set: index,
          kind,
          path,
          ruleId: rule.id,
          flags: flags | f,
          verdictViolate: out.vv,
          verdictOk: out.vo,
          rankViolate: out.rv,
          rankOk: out.ro,
          srcSet,
          patternId,
        });
      };
      for (const target of [rule.target, ...rule.aliases]) {
        if (rule.kind === 'path') {
          key('name', target, BW_F.PATH);
          key('inode', target, BW_F.PATH);
        } else if (rule.kind === 'dir') {
          const dirFlags = BW_F.DIR | (rule.recursive ? BW_F.RECURSIVE : 0);
          if (target !== '/') key('name', target.replace(/\/$/, ''), dirFlags);
          key('inode', target, dirFlags);
        } else {
          const alts = expandBraces(target);
          if (alts === null) {
            plan.unsupported.push({
              set: index,
              ruleId: rule.id,
              target,
              reason: 'more than 64 {…} alternatives',
            });
            continue;
          }
          for (const alt of alts) {
            const shape = analysePattern(alt);
            if ('reason' in shape) {
              plan.unsupported.push({ set: index, ruleId: rule.id, target: alt, reason: shape.reason });
              continue;
            }
            const pkey = `${shape.levels} ${shape.glob}`;
            let id = patternIds.get(pkey);
            if (id === undefined) {
              id = patternIds.size + 1;
              if (id >= BW_MAX_PATTERNS)
                throw new RangeError(`more than ${BW_MAX_PATTERNS - 1} distinct patterns`);
              patternIds.set(pkey, id);
              plan.patterns.push({ id, levels: shape.levels, glob: shape.glob });
            }
            key('inode', unescapeLiteral(shape.anchor), BW_F.PATTERN, id);
          }
        }
      }
    }
    let setFlags = 0;
    if (rules.length > 0 || view.whitelist) setFlags |= BW_SET.ACTIVE;
    if (view.whitelist) setFlags |= BW_SET.WHITELIST;
    if (view.posture === 'block') setFlags |= BW_SET.POSTURE_BLOCK;
    if (readBlockable) setFlags |= BW_SET.READ_BLOCKABLE;
    plan.sets.push({ index, flags: setFlags, rules: rules.length });
  });
  (input.workloads ?? []).forEach((w, i) => {
    if (w.cgroupPath !== undefined) plan.cgroups.push({ set: i + 1, path: w.cgroupPath });
    else if (w.cgroupId !== undefined) plan.cgroups.push({ set: i + 1, id: w.cgroupId });
    else throw new TypeError(`workload ${i}: cgroupPath or cgroupId is required`);
  });
  for (const c of input.exemptCgroups ?? []) plan.cgroups.push({ set: BW_EXEMPT_SET, path: c });
  return plan;
}

function enc(s: string): string {
  return s.replace(/[%\t\n\r]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The plan as the loader's text format (native/bpf-loader/plan.c). */
export function encodeBpfPlan(plan: BpfPlan): string {
  const lines = ['bulwark-bpf-plan 1', `# rule set ${plan.ruleSetVersion}`];
  for (const s of plan.sets) lines.push(`set ${s.index} ${s.flags} ${s.rules}`);
  for (const c of plan.cgroups)
    lines.push(c.path !== undefined ? `cgroup ${c.set} ${enc(c.path)}` : `cgroup-id ${c.set} ${c.id}`);
  for (const s of plan.sources) lines.push(`src ${s.set} ${s.srcSet} ${enc(s.exe)}`);
  for (const p of plan.patterns) lines.push(`pattern ${p.id} ${p.levels} ${enc(p.glob)}`);
  for (const k of plan.keys)
    lines.push(
      `rule ${k.set} ${k.kind} ${k.ruleId} ${k.flags} ${k.verdictViolate} ${k.verdictOk} ${k.rankViolate} ${k.rankOk} ${k.srcSet} ${k.patternId} ${enc(k.path)}`,
    );
  return `${lines.join('\n')}\n`;
}
