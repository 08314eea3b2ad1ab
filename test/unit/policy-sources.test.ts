// loadPolicies over real files and directories: discovery order, extensions, missing paths,
// duplicates across files, rejection of a whole file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findPolicyFiles } from '../../src/policy/sources.js';
import { loadPolicies } from '../../src/policy/load.js';

const policy = (name: string, ns = 'ns', dir = '/etc/'): string =>
  [
    'apiVersion: security.kubearmor.com/v1',
    'kind: KubeArmorPolicy',
    `metadata: {name: ${name}, namespace: ${ns}}`,
    'spec:',
    '  file:',
    `    matchDirectories: [{dir: ${dir}}]`,
  ].join('\n');

function tree(t: { after: (fn: () => void) => void }): string {
  const root = mkdtempSync(join(tmpdir(), 'bw-sources-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'b/sub'), { recursive: true });
  mkdirSync(join(root, 'a'));
  mkdirSync(join(root, '.hidden'));
  writeFileSync(join(root, 'b/sub/z.yml'), policy('z'));
  writeFileSync(join(root, 'b/y.YAML'), policy('why'));
  writeFileSync(
    join(root, 'a/x.json'),
    JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c' } }),
  );
  writeFileSync(join(root, 'a/readme.md'), '# not a policy');
  writeFileSync(join(root, '.hidden/h.yaml'), policy('h'));
  return root;
}

test('directories are searched recursively, sorted, by extension; hidden entries skipped', (t) => {
  const root = tree(t);
  symlinkSync(root, join(root, 'b/loop')); // a symlink loop does not hang the walk
  const s = findPolicyFiles([root]);
  assert.deepEqual(s.errors, []);
  assert.deepEqual(s.files, [join(root, 'a/x.json'), join(root, 'b/sub/z.yml'), join(root, 'b/y.YAML')]);
  const again = findPolicyFiles([join(root, 'b/y.YAML'), root, `${root}/b/../b/y.YAML`]);
  assert.equal(again.files.filter((f) => f.endsWith('y.YAML')).length, 1, 'a file named twice is read once');
  assert.equal(again.files[0], join(root, 'b/y.YAML'), 'arguments keep their order');
});

test('a file named explicitly is read whatever its extension', (t) => {
  const root = tree(t);
  const f = join(root, 'a/policy.txt');
  writeFileSync(f, policy('txt'));
  const r = loadPolicies([f]);
  assert.equal(r.ok, true);
  assert.equal(r.policies[0].name, 'txt');
});

test('missing path → BW0002; empty directory → BW1016; the rest is still read', (t) => {
  const root = tree(t);
  mkdirSync(join(root, 'empty'));
  const r = loadPolicies([join(root, 'nope.yaml'), join(root, 'empty'), join(root, 'b')]);
  assert.equal(r.ok, false);
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.file, e.line]),
    [
      ['BW0002', join(root, 'nope.yaml'), 0],
      ['BW1016', join(root, 'empty'), 0],
    ],
  );
  assert.deepEqual(
    r.policies.map((p) => p.name),
    ['z', 'why'],
  );
});

test('duplicate (kind, namespace, name) across files: BW1015 on the later file, which is rejected', (t) => {
  const root = tree(t);
  writeFileSync(join(root, 'b/sub/z2.yaml'), `${policy('other')}\n---\n${policy('z')}`);
  writeFileSync(join(root, 'b/sub/z3.yaml'), policy('z', 'elsewhere'));
  const r = loadPolicies([join(root, 'b')]);
  const dup = r.errors.filter((e) => e.code === 'BW1015');
  assert.equal(dup.length, 1);
  assert.equal(dup[0].file, join(root, 'b/sub/z2.yaml'));
  assert.deepEqual([dup[0].line, dup[0].col, dup[0].field], [10, 18, 'metadata.name']);
  assert.match(dup[0].message, /KubeArmorPolicy "z" in namespace "ns" is already defined at .*z\.yml:1/);
  assert.deepEqual(
    r.policies.map((p) => p.name).sort(),
    ['why', 'z', 'z'],
    'z in another namespace is distinct',
  );
  const z2 = r.files.find((f) => f.file.endsWith('z2.yaml'));
  assert.deepEqual(z2 && [z2.ok, z2.policies, z2.errors], [false, 0, 1]);
});

test('a rejected file does not claim its names: a later file with the same name is accepted', (t) => {
  const root = tree(t);
  const bad = join(root, 'a/1.yaml');
  const good = join(root, 'a/2.yaml');
  writeFileSync(bad, policy('same', 'ns', '/etc'));
  writeFileSync(good, policy('same'));
  const r = loadPolicies([bad, good]);
  assert.deepEqual(
    r.files.map((f) => f.ok),
    [false, true],
  );
  assert.deepEqual(
    r.errors.map((e) => e.code),
    ['BW1006'],
  );
});

test('an unreadable file → BW0003 and the file is rejected', (t) => {
  const root = tree(t);
  const f = join(root, 'b/y.YAML');
  chmodSync(f, 0o000);
  if (process.getuid?.() !== 0) {
    const r = loadPolicies([f]);
    assert.deepEqual([r.errors[0].code, r.files[0].ok], ['BW0003', false]);
    return;
  }
  // root reads any file: load it as an unprivileged user instead.
  chmodSync(root, 0o755);
  const script = `import(${JSON.stringify(new URL('../../src/policy/load.ts', import.meta.url).href)}).then((m) =>
    process.stdout.write(JSON.stringify(m.loadPolicies([${JSON.stringify(f)}]))))`;
  const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    uid: 65534,
    gid: 65534,
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
  });
  assert.equal(out.status, 0, out.stderr);
  const r = JSON.parse(out.stdout) as ReturnType<typeof loadPolicies>;
  assert.deepEqual(
    [r.errors[0].code, r.errors[0].message, r.files[0].ok],
    ['BW0003', 'cannot read the file (EACCES)', false],
  );
});
