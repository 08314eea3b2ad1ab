// Every file of the KubeArmor policy-templates corpus (../shared/corpus beside the repository)
// goes through loadPolicies. Files valid under the CRD are accepted; the ones rejected are listed
// here by name with the code, position, field and reason, each checked by hand against the CRD.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicies } from '../../src/policy/load.js';
import { allCodes } from '../../src/common/errors.js';

const ROOT = fileURLToPath(new URL('../../../shared/corpus/kubearmor-policy-templates/', import.meta.url));

interface Rejection {
  code: string;
  line: number;
  col: number;
  field: string;
  message: RegExp;
  fix?: string;
}

/** Files the CRD rejects, and why. */
const REJECTED: Record<string, Rejection[]> = {
  // `action: audit` at spec level: the CRD enum is case-sensitive (Allow|Audit|Block), so the API
  // server refuses the object; KubeArmor's own case normalisation is never reached in Kubernetes.
  'elastic/system/ksp-audit-elasticsearch-log-file-access.yaml': [
    {
      code: 'BW1008',
      line: 20,
      col: 11,
      field: 'spec.action',
      message: /^action must be Allow, Audit or Block \(case-sensitive\)$/,
      fix: 'write "Audit"',
    },
  ],
  // Six `matchPaths:` keys in one `process:` mapping, each with a different list. YAML forbids
  // repeated keys; a lenient decoder keeps the last list only (/usr/bin/yum) and drops the other
  // five rules without a word, so the file is rejected and each repetition is named.
  'nist/system/ksp-cm-7-4-least-functionality-nist.yaml': [20, 22, 24, 26, 28].map((line) => ({
    code: 'BW1018',
    line,
    col: 5,
    field: 'spec.process.matchPaths',
    message:
      /^key "matchPaths" is written twice in the same mapping with different values \(first at line 18\)/,
    fix: 'merge the two "matchPaths:" entries into one (for lists, one list with all items), or remove one',
  })),
};

function corpusFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...corpusFiles(p));
    else if (/\.(ya?ml|json)$/.test(e.name)) out.push(p);
  }
  return out;
}

test('the corpus is present beside the repository', () => {
  assert.ok(existsSync(ROOT), `${ROOT} is missing: the corpus lives in ../shared/corpus`);
});

test('every corpus file: accepted when valid under the CRD, listed rejections otherwise', () => {
  const files = corpusFiles(ROOT).sort();
  assert.ok(files.length > 200, `only ${files.length} corpus files found`);
  const r = loadPolicies([ROOT]);
  assert.deepEqual(
    r.files.map((f) => f.file).sort(),
    files,
    'every policy file of the corpus is read, and nothing else',
  );
  const codes = new Set(allCodes().map((c) => c.code));
  for (const d of [...r.errors, ...r.warnings]) {
    assert.ok(codes.has(d.code), `${d.code} is not in the catalogue`);
    assert.ok(d.line >= 1 && d.field !== undefined && d.fix, `incomplete diagnostic ${JSON.stringify(d)}`);
  }

  const rejected = r.files.filter((f) => !f.ok).map((f) => relative(ROOT, f.file));
  assert.deepEqual(rejected.sort(), Object.keys(REJECTED).sort(), 'exactly the listed files are rejected');
  for (const [name, expected] of Object.entries(REJECTED)) {
    const errs = r.errors.filter((e) => relative(ROOT, e.file) === name);
    assert.equal(errs.length, expected.length, `${name}: ${JSON.stringify(errs)}`);
    expected.forEach((x, i) => {
      const e = errs[i];
      assert.deepEqual([e.code, e.line, e.col, e.field], [x.code, x.line, x.col, x.field], name);
      assert.match(e.message, x.message);
      if (x.fix) assert.equal(e.fix, x.fix);
    });
  }

  // Every KubeArmor document outside the rejected files became a policy (counted independently).
  let documents = 0;
  for (const f of files) {
    if (Object.hasOwn(REJECTED, relative(ROOT, f))) continue;
    documents += (readFileSync(f, 'utf8').match(/^kind:\s*KubeArmor(Host|Cluster)?Policy\s*$/gm) ?? [])
      .length;
  }
  assert.equal(r.policies.length, documents);
  for (const f of r.files) if (f.ok) assert.equal(f.policies, 1, `${f.file} holds one policy`);
});

test('corpus: unenforced sections are reported once per policy, never dropped silently', () => {
  const r = loadPolicies([ROOT]);
  for (const p of r.policies) {
    const w = r.warnings.filter(
      (d) => d.code === 'BW1102' && d.file === p.pos.file && d.document === p.document,
    );
    assert.equal(w.length, p.unenforced.length > 0 ? 1 : 0, `${p.pos.file}: ${JSON.stringify(w)}`);
    const text = readFileSync(p.pos.file, 'utf8');
    for (const s of ['process', 'network', 'capabilities', 'syscalls']) {
      if (new RegExp(`^  ${s}:`, 'm').test(text)) assert.ok(p.unenforced.includes(s), `${p.pos.file}: ${s}`);
    }
    const noRules = r.warnings.some((d) => d.code === 'BW1104' && d.file === p.pos.file);
    assert.equal(noRules, p.rules.length === 0, p.pos.file);
  }
});

test('corpus: a file rule read end to end (wordpress wp-config block)', () => {
  const file = join(ROOT, 'wordpress/system/ksp-wordpress-wp-config-block.yaml');
  const r = loadPolicies([file]);
  assert.equal(r.ok, true);
  const [p] = r.policies;
  assert.deepEqual(
    [p.kind, p.name, p.namespace, p.action],
    ['KubeArmorPolicy', 'ksp-wordpress-wp-config-block', 'default', 'Block'],
  );
  assert.deepEqual(p.selector, {
    kind: 'workload',
    namespace: 'default',
    matchLabels: { app: 'wordpress' },
    matchExpressions: [],
  });
  assert.equal(p.rules.length, 1);
  const [rule] = p.rules;
  assert.deepEqual(
    [rule.kind, rule.target, rule.fromSource, rule.action, rule.severity, rule.tags, rule.message],
    [
      'path',
      '/var/www/html/wp-config.php',
      ['/bin/cat'],
      'Block',
      9,
      ['Wordpress'],
      '(Alert) someone tried to open wp-config file',
    ],
  );
  assert.deepEqual([rule.pos.line, rule.pos.col], [20, 7]);
});
