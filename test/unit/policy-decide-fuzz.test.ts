// decide() against a brute-force oracle: random rule sets and requests over a small path
// vocabulary; the oracle scans every rule linearly with its own path matching, so the index,
// the ancestor walk and its early exit are checked against the plain definition of docs/policy.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compile,
  compileGlob,
  decide,
  type DecideRequest,
  type Decision,
  type RuleSet,
} from '../../src/policy/index.js';
import type { CompiledRule, Operation, Verdict } from '../../src/policy/types.js';
import { policy, workload, type RuleSpec } from '../helpers/policy.js';

const SEG = ['a', 'b', 'etc', 'usr', 'x'];
const OPS: Operation[] = ['read', 'write', 'create', 'unlink', 'chmod'];
const EXES = ['/usr/bin/cat', '/usr/bin/vi'];
const STRICT: Record<Verdict, number> = {
  allow: 0,
  'posture-audit': 1,
  audit: 2,
  'posture-block': 3,
  block: 4,
};
const RANK = { Allow: 0, Audit: 1, Block: 2 };

const pathArb = fc
  .array(fc.constantFrom(...SEG), { minLength: 1, maxLength: 5 })
  .map((s) => `/${s.join('/')}`);
const ruleArb: fc.Arbitrary<RuleSpec> = fc
  .record({
    kind: fc.constantFrom('path', 'dir', 'pattern'),
    segs: fc.array(fc.constantFrom(...SEG), { minLength: 0, maxLength: 3 }),
    glob: fc.constantFrom('*', '**', '?', '{a,b}'),
    recursive: fc.boolean(),
    readOnly: fc.boolean(),
    ownerOnly: fc.boolean(),
    action: fc.constantFrom('Allow', 'Audit', 'Block'),
    src: fc.constantFrom<string[]>([], ['/usr/bin/vi']),
  })
  .map((r) => {
    const base = `/${r.segs.join('/')}`;
    const common = {
      readOnly: r.readOnly,
      ownerOnly: r.ownerOnly,
      action: r.action as 'Allow' | 'Audit' | 'Block',
    };
    if (r.kind === 'path') return { ...common, path: r.segs.length ? base : '/a', fromSource: r.src };
    if (r.kind === 'dir')
      return { ...common, dir: r.segs.length ? `${base}/` : '/', recursive: r.recursive, fromSource: r.src };
    return { ...common, pattern: `${r.segs.length ? base : ''}/${r.glob}` };
  });

function matches(r: CompiledRule, p: string): boolean {
  if (r.kind === 'path') return r.target === p;
  if (r.kind === 'pattern') return compileGlob(r.target).test(p);
  const d = r.target;
  if (`${p}/` === d || (p === '/' && d === '/')) return true;
  if (!p.startsWith(d) || p.length <= d.length) return false;
  return r.recursive || !p.slice(d.length).includes('/');
}

function tier(r: CompiledRule): number {
  const base = r.kind === 'path' ? 2000 : r.kind === 'dir' ? 1000 + r.target.split('/').length : 0;
  return (r.fromSource.length ? 100_000 : 0) + base;
}

function says(
  r: CompiledRule,
  op: Operation,
  isOwner: boolean,
  whitelist: boolean,
  posture: 'audit' | 'block',
): Verdict | null {
  const exempt =
    r.readOnly && r.ownerOnly
      ? isOwner && op === 'read'
      : r.readOnly
        ? op === 'read'
        : r.ownerOnly
          ? isOwner
          : false;
  void whitelist;
  if (r.action === 'Block') return exempt ? null : 'block';
  if (r.action === 'Audit') return exempt ? null : 'audit';
  if ((!r.readOnly && !r.ownerOnly) || exempt) return 'allow';
  return posture === 'block' ? 'posture-block' : 'posture-audit';
}

function oracle(rs: RuleSet, req: DecideRequest, posture: 'audit' | 'block'): Verdict {
  const whitelist = rs.rules.some((r) => r.action === 'Allow');
  const cands = rs.rules.filter(
    (r) => matches(r, req.path) && (r.fromSource.length === 0 || r.fromSource.includes(req.exe)),
  );
  const tiers = [...new Set(cands.map(tier))].sort((a, b) => b - a);
  for (const t of tiers) {
    let best: { v: Verdict; r: CompiledRule } | null = null;
    for (const r of cands.filter((c) => tier(c) === t)) {
      const v = says(r, req.op, req.fileOwnerUid === req.uid, whitelist, posture);
      if (v === null) continue;
      if (
        !best ||
        STRICT[v] > STRICT[best.v] ||
        (STRICT[v] === STRICT[best.v] && RANK[r.action] > RANK[best.r.action])
      )
        best = { v, r };
    }
    if (best) return best.v;
  }
  return whitelist ? (posture === 'block' ? 'posture-block' : 'posture-audit') : 'allow';
}

test('decide() equals a linear-scan oracle on random rule sets and requests', () => {
  const subject = workload('ns', { app: 'x' });
  fc.assert(
    fc.property(
      fc.array(ruleArb, { minLength: 1, maxLength: 25 }),
      fc.array(
        fc.record({
          path: pathArb,
          op: fc.constantFrom(...OPS),
          exe: fc.constantFrom(...EXES),
          owner: fc.boolean(),
        }),
        {
          minLength: 1,
          maxLength: 20,
        },
      ),
      fc.constantFrom<'audit' | 'block'>('audit', 'block'),
      (rules, reqs, posture) => {
        const rs = compile([policy({ namespace: 'ns', labels: { app: 'x' }, rules })], {
          posture: { workload: posture },
        });
        for (const q of reqs) {
          const req: DecideRequest = {
            subject,
            op: q.op,
            path: q.path,
            exe: q.exe,
            uid: 1000,
            fileOwnerUid: q.owner ? 1000 : 0,
          };
          const got: Decision = decide(rs, req);
          assert.equal(
            got.verdict,
            oracle(rs, req, posture),
            `${q.op} ${q.path} by ${q.exe}\n${JSON.stringify(rules)}`,
          );
        }
      },
    ),
    { numRuns: 400 },
  );
});
