// `bulwark policy explain` through the built CLI (run `npm run build` first; npm test does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const seed = join(repo, 'deploy/policies/fim.yaml');

function bulwark(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, 'dist/cli.js'), ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const seedCase = [
  'policy',
  'explain',
  '--policies',
  seed,
  '--op',
  'create',
  '--path',
  '/sbin/file',
  '--exe',
  '/usr/bin/touch',
  '--label',
  'app=mysql',
  '--namespace',
  'wordpress-mysql',
];

test('explain: the seed case is blocked by the FIM policy, with file:line and the rule', () => {
  const r = bulwark(...seedCase);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^verdict: BLOCK/m);
  assert.match(r.stdout, /winning rule #1: dir \/sbin\/ recursive readOnly .*→ Block/);
  assert.match(r.stdout, /policy wordpress-mysql\/harden-mysql-file-integrity-monitoring/);
  assert.match(r.stdout, /fim\.yaml:10:7 \(spec\.file\.matchDirectories\[0\]\)/);
});

test('explain --json: verdict and rule with id, policy, file, line, action', () => {
  const r = bulwark(...seedCase, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.verdict, 'block');
  assert.equal(j.rule.id, 1);
  assert.equal(j.rule.policy, 'harden-mysql-file-integrity-monitoring');
  assert.equal(j.rule.file, seed);
  assert.equal(j.rule.line, 10);
  assert.equal(j.rule.action, 'Block');
  assert.equal(j.rule.severity, 1);
});

test('explain: merged /usr — the kernel path /usr/sbin/file is blocked by /sbin/ and /usr/sbin/', () => {
  const args = seedCase.map((a) => (a === '/sbin/file' ? '/usr/sbin/file' : a));
  const j = JSON.parse(bulwark(...args, '--json').stdout);
  assert.equal(j.verdict, 'block');
  const statuses = j.ends[0].rules.map((r: { ruleId: number; status: string }) => `${r.ruleId}:${r.status}`);
  assert.ok(statuses.includes('4:lost') || statuses.includes('1:lost'), statuses.join(' '));
});

test('explain: reads pass, other workloads are not selected and say why', () => {
  const read = JSON.parse(bulwark(...seedCase.map((a) => (a === 'create' ? 'read' : a)), '--json').stdout);
  assert.equal(read.verdict, 'allow');
  assert.equal(read.reason, 'permitted-by-rule');
  const other = bulwark(...seedCase.map((a) => (a === 'app=mysql' ? 'app=web' : a)));
  assert.match(other.stdout, /^verdict: ALLOW/m);
  assert.match(other.stdout, /#1 not-selected: .*selects namespace wordpress-mysql, labels \{app=mysql\}/s);
});

test('explain: fromSource and posture, host policies', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-explain-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'p.yaml'),
    `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: secrets, namespace: web}
spec:
  selector: {matchLabels: {app: php}}
  file:
    matchDirectories:
    - dir: /run/secrets/
      recursive: true
      fromSource: [{path: /usr/bin/php}]
      action: Allow
---
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata: {name: host-etc}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: "*"}}
  file:
    matchDirectories: [{dir: /etc/, recursive: true, readOnly: true}]
  action: Block
`,
  );
  const base = ['policy', 'explain', '-p', dir, '--namespace', 'web', '--label', 'app=php', '--json'];
  const php = JSON.parse(
    bulwark(...base, '--op', 'read', '--path', '/run/secrets/db', '--exe', '/usr/bin/php').stdout,
  );
  assert.equal(php.verdict, 'allow');
  const cat = JSON.parse(
    bulwark(
      ...base,
      '--op',
      'read',
      '--path',
      '/run/secrets/db',
      '--exe',
      '/usr/bin/cat',
      '--posture',
      'block',
    ).stdout,
  );
  assert.equal(cat.verdict, 'posture-block');
  assert.equal(cat.rule, null);
  const hostWrite = JSON.parse(
    bulwark(
      'policy',
      'explain',
      '-p',
      dir,
      '--host',
      'node-1',
      '--op',
      'write',
      '--path',
      '/etc/passwd',
      '--json',
    ).stdout,
  );
  assert.equal(hostWrite.verdict, 'block');
  assert.equal(hostWrite.rule.policy, 'host-etc');
});

test('explain: usage errors exit 2; invalid policies exit 1', (t) => {
  assert.equal(
    bulwark('policy', 'explain', '--op', 'write', '--path', '/x', '-p', seed, '--op', 'frobnicate').code,
    2,
  );
  assert.equal(bulwark('policy', 'explain', '--op', 'write', '-p', seed).code, 2, 'missing --path');
  assert.equal(
    bulwark('policy', 'explain', '--op', 'write', '--path', 'rel/x', '-p', seed).code,
    2,
    'relative path',
  );
  assert.equal(
    bulwark('policy', 'explain', '--op', 'write', '--path', '/x', '-p', '/nonexistent/dir').code,
    2,
  );
  const dir = mkdtempSync(join(tmpdir(), 'bw-explain-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'bad.yaml'),
    'apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: x}\nspec:\n  file:\n    matchDirectories: [{dir: /etc}]\n',
  );
  const r = bulwark('policy', 'explain', '--op', 'write', '--path', '/etc/x', '-p', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.yaml:6:\d+ error BW1006/);
});

test('explain: says how this host enforces a refusing verdict (Landlock coverage)', () => {
  const create = JSON.parse(bulwark(...seedCase, '--json').stdout);
  assert.match(create.enforcement.status, /^prevented/);
  const chmod = JSON.parse(
    bulwark(
      ...seedCase.map((a) => (a === 'create' ? 'chmod' : a === '/usr/bin/touch' ? '/usr/bin/chmod' : a)),
      '--json',
    ).stdout,
  );
  assert.equal(chmod.verdict, 'block');
  assert.equal(chmod.enforcement.status, 'detected-only');
  assert.match(chmod.enforcement.text, /chmod/);
  const read = JSON.parse(bulwark(...seedCase.map((a) => (a === 'create' ? 'read' : a)), '--json').stdout);
  assert.equal(read.enforcement, null);
});
