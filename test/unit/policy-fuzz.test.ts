// Property tests on the policy reader: random text, mutated corpus files and random policy-shaped
// objects never make it throw, and every finding is a located, catalogued diagnostic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parsePolicyText } from '../../src/policy/load.js';
import type { LoadResult } from '../../src/policy/types.js';
import { allCodes } from '../../src/common/errors.js';

const CODES = new Set(allCodes().map((c) => c.code));
const ROOT = fileURLToPath(new URL('../../../shared/corpus/kubearmor-policy-templates/', import.meta.url));

function corpusTexts(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...corpusTexts(p));
    else if (e.name.endsWith('.yaml')) out.push(readFileSync(p, 'utf8'));
  }
  return out;
}
const CORPUS = corpusTexts(ROOT);

/** The invariants every result must satisfy, whatever the input. */
function checkResult(r: LoadResult, text: string): void {
  const all = [...r.errors, ...r.warnings];
  for (const d of all) {
    assert.ok(CODES.has(d.code), `unknown code ${d.code}`);
    assert.equal(d.file, 'fuzz.yaml');
    assert.ok(Number.isInteger(d.line) && d.line >= 0, `line ${d.line}`);
    assert.ok(Number.isInteger(d.col) && d.col >= 0, `col ${d.col}`);
    assert.ok(d.line <= text.split('\n').length + 1, `line ${d.line} beyond the text`);
    assert.equal(typeof d.field, 'string');
    assert.ok(d.message.length > 0);
    assert.ok(d.level === 'error' || d.level === 'warning');
  }
  for (const d of r.errors) assert.equal(d.level, 'error');
  for (const d of r.warnings) assert.equal(d.level, 'warning');
  assert.equal(r.ok, r.errors.length === 0);
  if (!r.ok) assert.deepEqual(r.policies, [], 'a rejected file yields no policy');
  assert.equal(r.files.length, 1);
  assert.equal(r.files[0].errors, r.errors.length);
  assert.equal(r.files[0].warnings, r.warnings.length);
  for (const p of r.policies) {
    assert.ok(['Allow', 'Audit', 'Block'].includes(p.action));
    for (const rule of p.rules) {
      assert.ok(['Allow', 'Audit', 'Block'].includes(rule.action));
      assert.equal(typeof rule.target, 'string');
      assert.ok(rule.severity >= 0 && rule.severity <= 10);
    }
  }
}

function run(text: string): void {
  checkResult(parsePolicyText(text, 'fuzz.yaml'), text);
}

const SCALARS = [
  '',
  '~',
  'null',
  'true',
  'no',
  '-1',
  '0',
  '11',
  '"x"',
  "'/etc/'",
  '[',
  '{',
  '*a',
  '&a x',
  '/etc',
  '/',
  'Block',
  'block',
  '!!binary aGk=',
  '? x',
  '|',
  '>-',
  '2024-01-01',
  '0755',
  '.inf',
  '\t',
  '#',
];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('scalar' as const), at: fc.nat(), value: fc.constantFrom(...SCALARS) }),
  fc.record({ kind: fc.constant('bytes' as const), at: fc.nat(), bytes: fc.string({ maxLength: 6 }) }),
  fc.record({ kind: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, muts: Mutation[]): string {
  let lines = text.split('\n');
  for (const m of muts) {
    if (lines.length === 0) break;
    const i = m.at % lines.length;
    switch (m.kind) {
      case 'delete':
        lines = [...lines.slice(0, i), ...lines.slice(i + 1)];
        break;
      case 'duplicate':
        lines = [...lines.slice(0, i + 1), lines[i], ...lines.slice(i + 1)];
        break;
      case 'scalar':
        lines[i] = lines[i].includes(': ')
          ? lines[i].replace(/: .*$/, `: ${m.value}`)
          : `${lines[i]} ${m.value}`;
        break;
      case 'bytes': {
        const l = lines[i];
        const at = l.length === 0 ? 0 : m.at % l.length;
        lines[i] = l.slice(0, at) + m.bytes + l.slice(at);
        break;
      }
      case 'indent':
        lines[i] =
          m.by >= 0 ? ' '.repeat(m.by) + lines[i] : lines[i].replace(new RegExp(`^ {0,${-m.by}}`), '');
        break;
    }
  }
  return lines.join('\n');
}

test('mutated corpus files never throw and yield catalogued, located diagnostics', () => {
  assert.ok(CORPUS.length > 200);
  fc.assert(
    fc.property(
      fc.nat({ max: CORPUS.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (i, muts) => {
        run(mutate(CORPUS[i], muts));
      },
    ),
    { numRuns: 400 },
  );
});

test('random text never throws', () => {
  const yamlish = fc.string({
    unit: fc.oneof(
      fc.constantFrom(...'abc:-[]{}&*!|>?#\'"%@` \n\t/,.0123456789~'.split('')),
      fc.string({ minLength: 1, maxLength: 1 }),
    ),
    maxLength: 200,
  });
  fc.assert(
    fc.property(yamlish, (t) => run(t)),
    { numRuns: 400 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (t) => run(t)),
    { numRuns: 200 },
  );
});

test('random policy-shaped documents never throw', () => {
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom<unknown>(
        null,
        true,
        false,
        0,
        5,
        11,
        -1,
        2.5,
        '',
        '/etc/',
        '/etc',
        'etc',
        '//a',
        'Block',
        'allow',
        'label',
        'In',
      ),
      fc.string({ maxLength: 8 }),
      fc.array(tie('v'), { maxLength: 3 }),
      fc.dictionary(
        fc.constantFrom(
          'path',
          'dir',
          'pattern',
          'recursive',
          'readOnly',
          'ownerOnly',
          'pts',
          'fromSource',
          'action',
          'severity',
          'tags',
          'message',
          'matchPaths',
          'matchDirectories',
          'matchPatterns',
          'x',
        ),
        tie('v'),
        { maxKeys: 4 },
      ),
    ),
  }));
  const doc = fc.record({
    apiVersion: fc.constantFrom('security.kubearmor.com/v1', 'v1'),
    kind: fc.constantFrom(
      'KubeArmorPolicy',
      'KubeArmorHostPolicy',
      'KubeArmorClusterPolicy',
      'List',
      'Other',
    ),
    metadata: fc.oneof(fc.record({ name: fc.constantFrom('p', '', 'q') }), value.v),
    spec: fc.record(
      {
        file: value.v,
        selector: value.v,
        nodeSelector: value.v,
        process: value.v,
        action: value.v,
        severity: value.v,
      },
      { requiredKeys: [] },
    ),
    items: fc.array(value.v, { maxLength: 2 }),
  });
  fc.assert(
    fc.property(fc.array(doc, { minLength: 1, maxLength: 3 }), (docs) => {
      run(docs.map((d) => stringify(d)).join('---\n'));
    }),
    { numRuns: 300 },
  );
});

test('hostile YAML: alias expansion and deep nesting are bounded', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 0; i < 8; i++)
    bomb.push(
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
        .fill(`*${String.fromCharCode(97 + i)}`)
        .join(',')}]`,
    );
  const r = parsePolicyText(bomb.join('\n'), 'fuzz.yaml');
  checkResult(r, bomb.join('\n'));
  assert.equal(r.errors[0]?.code, 'BW1001');
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  checkResult(parsePolicyText(deep, 'fuzz.yaml'), deep);
});
