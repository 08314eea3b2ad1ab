// Package awareness: changes that match what the installed package ships are package-consistent,
// everything else unexplained; update --accept-package-consistent accepts only the former. The
// dpkg database is a real md5sums file in dpkg's format, written for a tree under the test's
// temporary directory (the host's packages are not touched).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBaseline, initBaseline, updateBaseline } from '../../src/baseline/engine.js';
import { DpkgManager } from '../../src/baseline/packages.js';
import { pathToKey } from '../../src/baseline/path-key.js';
import { testSettings } from '../helpers/baseline-tree.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function md5sums(info: string, pkg: string, files: Record<string, string>): void {
  const lines = Object.entries(files).map(([path, content]) => `${md5(content)}  ${path.slice(1)}`);
  writeFileSync(join(info, `${pkg}:amd64.md5sums`), `${lines.join('\n')}\n`);
}

test('dpkg: package-consistent versus unexplained, and accepting only the former', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-pkg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tree = join(dir, 'usr');
  const info = join(dir, 'dpkg-info');
  mkdirSync(tree, { recursive: true });
  mkdirSync(info);
  const f = (n: string) => join(tree, n);
  const v1 = { upgraded: 'libfoo 1.0\n', tampered: 'tool 1.0\n', gone: 'old plugin\n', moded: 'conf\n' };
  for (const [n, c] of Object.entries(v1)) writeFileSync(f(n), c);
  writeFileSync(f('local'), 'not from a package\n');
  md5sums(info, 'libfoo', { [f('upgraded')]: v1.upgraded, [f('gone')]: v1.gone, [f('moded')]: v1.moded });
  md5sums(info, 'tool', { [f('tampered')]: v1.tampered });

  const settings = testSettings(dir);
  const pm = () => new DpkgManager(info, [tree]);
  await initBaseline({ settings, paths: [tree], packages: pm() });

  // "apt upgrade" of libfoo: new content, the plugin removed, both recorded in the database.
  writeFileSync(f('upgraded'), 'libfoo 2.0, longer\n');
  unlinkSync(f('gone'));
  md5sums(info, 'libfoo', { [f('upgraded')]: 'libfoo 2.0, longer\n', [f('moded')]: v1.moded });
  // Not explained by any package: content edited behind dpkg, a mode change, a local file.
  writeFileSync(f('tampered'), 'tool 1.0 + backdoor\n');
  chmodSync(f('moded'), 0o666);
  writeFileSync(f('local'), 'edited\n');

  const r = await checkBaseline({ settings, packages: pm() });
  const verdicts = Object.fromEntries(
    r.changes
      .filter((c) => c.path.toString() !== tree)
      .map((c) => [
        c.path.toString().slice(tree.length + 1),
        `${c.kind} ${c.package?.class} ${c.package?.name ?? '-'}`,
      ]),
  );
  assert.deepEqual(verdicts, {
    upgraded: 'changed package-consistent libfoo',
    gone: 'removed package-consistent libfoo',
    tampered: 'changed unexplained tool',
    moded: 'changed unexplained libfoo',
    local: 'changed unexplained -',
  });
  assert.equal(r.counts.packageConsistent, 2);
  assert.equal(r.counts.unexplained, 4); // the four above and the directory itself

  const u = await updateBaseline({
    settings,
    packages: pm(),
    acceptPackageConsistent: true,
    reason: 'apt upgrade',
  });
  assert.deepEqual(u.accepted.map((c) => c.path.toString()).sort(), [f('gone'), f('upgraded')]);
  const after = await checkBaseline({ settings, packages: pm() });
  assert.deepEqual(after.changes.map((c) => c.path.toString()).sort(), [
    tree,
    f('local'),
    f('moded'),
    f('tampered'),
  ]);
});

test('dpkg: merged-/usr aliases resolve both ways', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-alias-'));
  try {
    writeFileSync(
      join(dir, 'libc6:amd64.md5sums'),
      `${md5('x')}  lib/x86_64-linux-gnu/libc.so.6\n${md5('y')}  usr/bin/env\n${md5('z')}  sbin/both\n`,
    );
    // Both spellings listed, by two packages: each spelling's own owner wins over the alias.
    writeFileSync(join(dir, 'other:amd64.md5sums'), `${md5('w')}  usr/sbin/both\n`);
    const pm = new DpkgManager(dir);
    assert.equal(pm.owner(Buffer.from('/usr/lib/x86_64-linux-gnu/libc.so.6'))?.pkg, 'libc6');
    assert.equal(pm.owner(Buffer.from('/bin/env'))?.pkg, 'libc6');
    assert.equal(pm.owner(Buffer.from('/usr/lib/other')), null);
    assert.equal(pm.owner(Buffer.from('/sbin/both'))?.pkg, 'libc6');
    assert.equal(pm.owner(Buffer.from('/usr/sbin/both'))?.pkg, 'other');
    // The name-only lookup init uses, from a store key, agrees with owner() on every spelling.
    for (const p of [
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/bin/env',
      '/usr/bin/env',
      '/usr/lib/other',
      '/usr',
      '/sbin/both',
      '/usr/sbin/both',
      '/libx',
      '/usr/libx32',
    ])
      assert.equal(pm.ownerOfKey(pathToKey(Buffer.from(p))), pm.owner(Buffer.from(p))?.pkg ?? null, p);
    // Limited to a scope in the /usr spelling, files listed in the root spelling still count.
    const scoped = new DpkgManager(dir, ['/usr/lib']);
    assert.equal(scoped.ownerOfKey(pathToKey(Buffer.from('/usr/lib/x86_64-linux-gnu/libc.so.6'))), 'libc6');
    assert.equal(scoped.owner(Buffer.from('/usr/lib/x86_64-linux-gnu/libc.so.6'))?.pkg, 'libc6');
    assert.equal(scoped.ownerOfKey(pathToKey(Buffer.from('/usr/bin/env'))), null, 'outside the scope');
    // A directory or a symlink is never in dpkg's md5sums: no lookup, no owner.
    const libc = pathToKey(Buffer.from('/usr/lib/x86_64-linux-gnu/libc.so.6'));
    assert.equal(scoped.ownerOfKey(libc, 'f'), 'libc6');
    assert.equal(scoped.ownerOfKey(libc, 'l'), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dpkg: asking the baseline's package first gives the same owner and digest as the whole database", () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-hint-'));
  try {
    writeFileSync(
      join(dir, 'libc6:amd64.md5sums'),
      `${md5('a')}  usr/bin/envx\n${md5('b')}  x/y  usr/bin/env\n${md5('c')}  lib/x86_64-linux-gnu/libc.so.6`,
    );
    // /usr/bin/env moved to coreutils (dpkg took it off libc6's list but "x/y  usr/bin/env" stays).
    writeFileSync(join(dir, 'coreutils.md5sums'), `${md5('d')}  usr/bin/env\n${md5('e')}  usr/bin/ls\n`);
    const cases: Array<[string, string | null]> = [
      ['/usr/bin/env', 'libc6'], // not on libc6's list (only as the tail of another line)
      ['/usr/bin/envx', 'libc6'],
      ['/usr/lib/x86_64-linux-gnu/libc.so.6', 'libc6'], // last line, no newline, merged-/usr alias
      ['/usr/bin/ls', 'libc6'], // owner changed
      ['/usr/bin/ls', 'coreutils'],
      ['/usr/bin/ls', 'no-such-package'],
      ['/usr/bin/none', 'coreutils'],
    ];
    for (const [path, hint] of cases) {
      const hinted = new DpkgManager(dir).owner(Buffer.from(path), hint);
      const whole = new DpkgManager(dir).owner(Buffer.from(path));
      assert.deepEqual(hinted, whole, `${path} with hint ${hint}`);
    }
    assert.equal(
      new DpkgManager(dir).owner(Buffer.from('/usr/bin/env'), 'libc6')?.digest.toString('hex'),
      md5('d'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dpkg: the native owner index init uses agrees with the package database lookup', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-dpkg-index-'));
  try {
    const list = (name: string, rels: string[]) =>
      writeFileSync(join(dir, `${name}.md5sums`), rels.map((r, i) => `${md5(String(i))}  ${r}\n`).join(''));
    // Both spellings listed by different packages, a path listed twice in one spelling, an
    // architecture suffix, a line too short to be one, names outside any prefix.
    list('alpha:amd64', ['usr/sbin/both', 'lib/dup', 'usr/lib/x86_64-linux-gnu/libz.so.1', 'etc/alpha.conf']);
    list('beta', ['sbin/both', 'usr/lib/dup', 'bin/tool', 'usr/share/doc/beta/README']);
    list('gamma:i386', ['usr/lib/dup', 'lib/dup', 'short']);
    writeFileSync(join(dir, 'not-a-list.txt'), `${md5('x')}  usr/bin/ignored\n`);
    const paths = [
      '/usr/sbin/both',
      '/sbin/both',
      '/usr/lib/dup',
      '/lib/dup',
      '/usr/lib/x86_64-linux-gnu/libz.so.1',
      '/lib/x86_64-linux-gnu/libz.so.1',
      '/bin/tool',
      '/usr/bin/tool',
      '/etc/alpha.conf',
      '/usr/share/doc/beta/README',
      '/usr/bin/ignored',
      '/short',
      '/usr',
    ];
    for (const prefixes of [null, ['/usr/lib', '/usr/sbin'], ['/bin'], ['/']]) {
      const pm = new DpkgManager(dir, prefixes);
      const seen: Array<string | null> = [];
      for (const p of paths) {
        const own = pm.ownerOfKey(pathToKey(Buffer.from(p)), 'f');
        seen.push(own);
        // owner() reads the lists itself (the JS index and the package's own md5sums line).
        assert.equal(own, pm.owner(Buffer.from(p))?.pkg ?? null, `${p} with ${JSON.stringify(prefixes)}`);
      }
      if (prefixes === null) {
        assert.equal(seen[0], 'alpha', '/usr/sbin/both: its own spelling');
        assert.equal(seen[1], 'beta', '/sbin/both: its own spelling');
        assert.equal(seen[7], 'beta', '/usr/bin/tool: through the alias');
        assert.equal(seen[10], null, 'not a *.md5sums file');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
