// The Landlock plan on a real directory tree: carve-outs, symlinked siblings, rights per entry
// kind, exemptions, whitelist mode, and the coverage table.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { CompiledRule } from '../../src/policy/types.js';
import { formatCoverage, planArgs, planLandlock } from '../../src/sensor/landlock-plan.js';
import { FILE_RIGHTS, LL, READ_RIGHTS, WRITE_RIGHTS } from '../../src/sensor/landlock-rights.js';

const base = mkdtempSync(path.join(tmpdir(), 'bw-plan-'));
const A = path.join(base, 'a');
mkdirSync(path.join(A, 'prot', 'deep'), { recursive: true });
mkdirSync(path.join(A, 'sib1'));
mkdirSync(path.join(base, 'other'));
writeFileSync(path.join(A, 'sib2'), '');
writeFileSync(path.join(A, 'prot', 'x'), '');
writeFileSync(path.join(A, 'prot', 'deep', 'y'), '');
symlinkSync('/usr', path.join(A, 'lnk'));
after(() => rmSync(base, { recursive: true, force: true }));

let nextId = 1;
function rule(p: Partial<CompiledRule> & { target: string }): CompiledRule {
  return {
    id: nextId++,
    policy: 0,
    kind: p.target.endsWith('/') ? 'dir' : 'path',
    written: p.target,
    recursive: true,
    readOnly: false,
    ownerOnly: false,
    fromSource: [],
    action: 'Block',
    severity: 0,
    tags: [],
    message: '',
    field: 'spec.file',
    index: 0,
    pos: { file: 'p.yaml', line: 1, col: 1 },
    aliases: [],
    ...p,
  };
}

const grantOf = (plan: ReturnType<typeof planLandlock>, p: string): number | undefined =>
  plan.grants.find((g) => g.path === p)?.access;

test('a readOnly Block directory is carved out: siblings granted, the tree and its ancestors not', () => {
  const r = rule({ target: `${A}/prot/`, readOnly: true });
  const plan = planLandlock({ rules: [r], whitelist: false, posture: 'audit', abi: 7 });
  assert.equal(plan.handled, WRITE_RIGHTS);
  assert.deepEqual(plan.enforcedRules, [r.id]);
  assert.equal(grantOf(plan, `${A}/sib1`), WRITE_RIGHTS);
  assert.equal(grantOf(plan, `${A}/sib2`), WRITE_RIGHTS & FILE_RIGHTS, 'files get file rights only');
  assert.equal(grantOf(plan, path.join(base, 'other')), WRITE_RIGHTS);
  for (const g of plan.grants) {
    assert.ok(!g.path.startsWith(`${A}/prot`), `no grant inside the protected tree: ${g.path}`);
    assert.ok(g.path !== A && g.path !== base && g.path !== '/', `no write grant on an ancestor: ${g.path}`);
  }
  assert.ok(plan.skipped.includes(`${A}/lnk`), 'a symlinked sibling is skipped, never followed');
  assert.equal(grantOf(plan, `${A}/lnk`), undefined);
  const args = planArgs(plan);
  assert.deepEqual(args.slice(0, 2), ['--handled', String(WRITE_RIGHTS)]);
});

test('coverage: write prevented, directory rights broader, attribute changes detected only', () => {
  const r = rule({ target: `${A}/prot/`, readOnly: true });
  const plan = planLandlock({ rules: [r], whitelist: false, posture: 'audit', abi: 7 });
  const st = (op: string): string | undefined => plan.coverage.find((e) => e.op === op)?.status;
  assert.equal(st('read'), undefined, 'reads are not forbidden by a readOnly rule');
  assert.equal(st('write'), 'prevented');
  assert.equal(st('truncate'), 'prevented');
  assert.equal(st('create'), 'prevented-broader');
  assert.match(
    plan.coverage.find((e) => e.op === 'create')?.note ?? '',
    new RegExp(`directly in /, .*${path.basename(A)}`),
  );
  for (const op of ['chmod', 'chown', 'setxattr', 'removexattr', 'utimes'])
    assert.equal(st(op), 'detected-only', op);
  const text = formatCoverage(plan, [r]);
  assert.match(text, /write, truncate: prevented/);
  assert.match(text, /chmod: detected only \(Landlock has no right for chmod\)/);
});

test('a Block without readOnly handles reads too; ancestors get no read grant', () => {
  const r = rule({ target: `${A}/prot/` });
  const plan = planLandlock({ rules: [r], whitelist: false, posture: 'audit', abi: 7 });
  assert.equal(plan.handled, READ_RIGHTS | WRITE_RIGHTS);
  const read = plan.coverage.find((e) => e.op === 'read');
  assert.equal(read?.status, 'prevented-broader');
  assert.match(read?.note ?? '', /listing the directories above it \(\/, /);
  assert.equal(grantOf(plan, A), undefined);
});

test('an Audit rule inside a Block tree lifts it for that path', () => {
  const block = rule({ target: `${A}/prot/` });
  const audit = rule({ target: `${A}/prot/x`, action: 'Audit' });
  const plan = planLandlock({ rules: [block, audit], whitelist: false, posture: 'audit', abi: 7 });
  assert.equal(grantOf(plan, `${A}/prot/x`), (READ_RIGHTS | WRITE_RIGHTS) & FILE_RIGHTS);
  assert.equal(grantOf(plan, `${A}/prot/deep`), undefined);
  assert.ok(plan.coverage.filter((e) => e.ruleId === audit.id).every((e) => e.status === 'detected-only'));
});

test('a non-recursive directory protects its own entries only', () => {
  const r = rule({ target: `${A}/prot/`, recursive: false, readOnly: true });
  const plan = planLandlock({ rules: [r], whitelist: false, posture: 'audit', abi: 7 });
  assert.equal(grantOf(plan, `${A}/prot/deep`), WRITE_RIGHTS, 'subdirectories stay writable');
  assert.equal(grantOf(plan, `${A}/prot/x`), undefined, 'direct files do not');
});

test('rules Landlock cannot express are detected only, and shape nothing', () => {
  const rules = [
    rule({ target: `${A}/prot/**/*.conf`, kind: 'pattern' }),
    rule({ target: `${A}/prot/`, fromSource: ['/usr/bin/vi'] }),
    rule({ target: `${A}/prot/`, ownerOnly: true }),
  ];
  const plan = planLandlock({ rules, whitelist: false, posture: 'audit', abi: 7 });
  assert.equal(plan.handled, 0);
  assert.deepEqual(plan.grants, []);
  assert.ok(plan.coverage.every((e) => e.status === 'detected-only'));
  assert.match(plan.coverage[0].note ?? '', /pattern/);
  assert.match(formatCoverage(plan, rules), /no sandbox needed/);
});

test('a single file: directory-level operations are broader (every entry of its directory)', () => {
  const r = rule({ target: `${A}/sib2` });
  const plan = planLandlock({ rules: [r], whitelist: false, posture: 'audit', abi: 7 });
  const unlink = plan.coverage.find((e) => e.op === 'unlink');
  assert.equal(unlink?.status, 'prevented-broader');
  assert.match(unlink?.note ?? '', new RegExp(`every entry of ${A}`));
  assert.equal(grantOf(plan, `${A}/sib1`), READ_RIGHTS | WRITE_RIGHTS);
  assert.equal(grantOf(plan, `${A}/sib2`), undefined);
});

test('whitelist mode with a block posture: Allow rules are the grants', () => {
  const allow = rule({ target: `${base}/other/`, action: 'Allow', readOnly: true });
  const plan = planLandlock({ rules: [allow], whitelist: true, posture: 'block', abi: 7 });
  assert.equal(plan.handled, READ_RIGHTS | WRITE_RIGHTS);
  assert.deepEqual(plan.grants, [{ path: path.join(base, 'other'), access: READ_RIGHTS }]);
});

test('whitelist mode with an audit posture enforces nothing for Allow rules', () => {
  const allow = rule({ target: `${base}/other/`, action: 'Allow' });
  const plan = planLandlock({ rules: [allow], whitelist: true, posture: 'audit', abi: 7 });
  assert.equal(plan.handled, 0);
});

test('rights the kernel lacks are neither handled nor claimed', () => {
  const r = rule({ target: `${A}/prot/`, readOnly: true });
  const abi2 = planLandlock({ rules: [r], whitelist: false, posture: 'audit', abi: 2 });
  assert.equal(abi2.handled & LL.truncate, 0);
  assert.equal(abi2.coverage.find((e) => e.op === 'truncate')?.status, 'prevented-broader');
  const none = planLandlock({ rules: [r], whitelist: false, posture: 'audit', abi: 0 });
  assert.equal(none.handled, 0);
  assert.ok(none.coverage.every((e) => e.status === 'detected-only' && /not available/.test(e.note ?? '')));
});
