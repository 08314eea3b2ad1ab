// `bulwark policy check` through the built CLI (run `npm run build` first; npm test does):
// exit codes 0/1/2, compiler-style text output, summaries and --json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const corpus = join(repo, '../shared/corpus/kubearmor-policy-templates');

function bulwark(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, 'dist/cli.js'), ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GOOD = `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: fim
  namespace: wordpress-mysql
spec:
  selector:
    matchLabels: {app: mysql}
  process:
    matchPaths: [{path: /usr/bin/apt}]
  file:
    matchDirectories:
    - dir: /sbin/
      readOnly: true
      recursive: true
  action: Block
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: net}
spec: {}
`;

const BAD = `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: etc
spec:
  nodeSelector:
    matchLabels: {kubearmor.io/hostname: "*"}
  file:
    matchDirectories:
    - dir: /etc
  action: block
`;

function fixtures(t: { after: (fn: () => void) => void }): { dir: string; good: string; bad: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bw-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.yaml');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(good, GOOD);
  writeFileSync(bad, BAD);
  return { dir, good, bad };
}

test('check: a valid file exits 0 with its warnings and a summary line', (t) => {
  const { good } = fixtures(t);
  const r = bulwark('policy', 'check', good);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    new RegExp(
      `^${good}:9:3 warning BW1102 policy "fim": process section is not enforced by Bulwark \\(its file rules are\\) \\(spec\\.process\\)$`,
      'm',
    ),
  );
  assert.match(
    r.stdout,
    new RegExp(`^${good}:19:7 warning BW1103 document 1 \\(CiliumNetworkPolicy "net"\\) skipped`, 'm'),
  );
  assert.match(r.stdout, new RegExp(`^${good}: ok, 1 policy, 1 skipped, 2 warnings$`, 'm'));
  assert.match(r.stdout, /^total: 1 file checked, 0 rejected, 1 policy accepted, 0 errors, 2 warnings$/m);
});

test('check: an invalid file exits 1; errors are printed compiler-style with found and fix', (t) => {
  const { good, bad } = fixtures(t);
  const r = bulwark('policy', 'check', good, bad);
  assert.equal(r.code, 1);
  const lines = r.stdout.split('\n');
  const i = lines.indexOf(
    `${bad}:10:12 error BW1006 directory must end with "/" (spec.file.matchDirectories[0].dir)`,
  );
  assert.ok(i >= 0, r.stdout);
  assert.equal(lines[i + 1], '    found: "/etc"');
  assert.equal(lines[i + 2], '    fix:   write "/etc/" (a directory must end with "/")');
  assert.ok(
    lines.includes(
      `${bad}:11:11 error BW1008 action must be Allow, Audit or Block (case-sensitive) (spec.action)`,
    ),
  );
  assert.ok(lines.includes('    fix:   write "Block"'));
  assert.ok(lines.includes(`${bad}: REJECTED, 2 errors`));
  assert.ok(lines.includes(`${good}: ok, 1 policy, 1 skipped, 2 warnings`));
  assert.ok(lines.includes('total: 2 files checked, 1 rejected, 1 policy accepted, 2 errors, 2 warnings'));
});

test('check --quiet prints errors, rejected files and the total only', (t) => {
  const { good, bad } = fixtures(t);
  const r = bulwark('policy', 'check', '--quiet', good, bad);
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stdout, / warning BW/);
  assert.doesNotMatch(r.stdout, /: ok,/);
  assert.match(r.stdout, /REJECTED, 2 errors/);
});

test('check --json prints one object with files, errors, warnings and policies', (t) => {
  const { dir, good, bad } = fixtures(t);
  const r = bulwark('policy', 'check', '--json', dir);
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout) as {
    ok: boolean;
    files: {
      file: string;
      ok: boolean;
      policies: number;
      skipped: number;
      errors: number;
      warnings: number;
    }[];
    errors: { code: string; file: string; line: number; col: number; field: string; fix: string }[];
    warnings: { code: string }[];
    policies: {
      kind: string;
      name: string;
      namespace: string | null;
      file: string;
      line: number;
      rules: number;
    }[];
  };
  assert.equal(out.ok, false);
  assert.deepEqual(out.files, [
    { file: bad, ok: false, policies: 0, skipped: 0, errors: 2, warnings: 0 },
    { file: good, ok: true, policies: 1, skipped: 1, errors: 0, warnings: 2 },
  ]);
  assert.deepEqual(
    out.errors.map((e) => [e.code, e.file, e.line, e.col, e.field]),
    [
      ['BW1006', bad, 10, 12, 'spec.file.matchDirectories[0].dir'],
      ['BW1008', bad, 11, 11, 'spec.action'],
    ],
  );
  assert.deepEqual(
    out.warnings.map((w) => w.code),
    ['BW1102', 'BW1103'],
  );
  assert.deepEqual(out.policies, [
    { kind: 'KubeArmorPolicy', name: 'fim', namespace: 'wordpress-mysql', file: good, line: 1, rules: 1 },
  ]);
});

test('check: usage errors exit 2 (no path, missing path, directory without policy files)', (t) => {
  const { dir, good } = fixtures(t);
  const none = bulwark('policy', 'check');
  assert.equal(none.code, 2);
  assert.match(none.stderr, /missing required argument/);
  const missing = bulwark('policy', 'check', good, join(dir, 'nope.yaml'));
  assert.equal(missing.code, 2);
  assert.match(missing.stdout, new RegExp(`^${dir}/nope.yaml error BW0002 no such file or directory$`, 'm'));
  const empty = mkdtempSync(join(dir, 'empty-'));
  const e = bulwark('policy', 'check', '--json', empty);
  assert.equal(e.code, 2);
  assert.equal((JSON.parse(e.stdout) as { errors: { code: string }[] }).errors[0].code, 'BW1016');
});

test('check --help explains the output and gives examples', () => {
  const r = bulwark('policy', 'check', '--help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: bulwark policy check \[options\] <path\.\.\.>/);
  assert.match(r.stdout, /Examples:/);
  assert.match(r.stdout, /--json/);
  assert.match(r.stdout, /2 {2}usage error/);
});

test('check: the whole corpus, two files rejected (see test/unit/policy-corpus.test.ts)', () => {
  const r = bulwark('policy', 'check', '--quiet', corpus);
  assert.equal(r.code, 1);
  const rejected = r.stdout.split('\n').filter((l) => l.endsWith('errors') || l.endsWith('error'));
  assert.deepEqual(
    rejected.filter((l) => l.includes('REJECTED')).map((l) => l.slice(corpus.length + 1)),
    [
      'elastic/system/ksp-audit-elasticsearch-log-file-access.yaml: REJECTED, 1 error',
      'nist/system/ksp-cm-7-4-least-functionality-nist.yaml: REJECTED, 5 errors',
    ],
  );
  assert.match(
    r.stdout,
    /^total: 245 files checked, 2 rejected, 243 policies accepted, 6 errors, \d+ warnings$/m,
  );
});
