// The walker lists directories through the native helper when it is built, and through Node's
// readdir otherwise. Both must give the same paths in the same order (bytes, depth first: the
// order the store's keys sort in, which the diff's merge-join relies on), with odd names and a
// symlink to a directory (not followed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative } from '../../src/baseline/native.js';
import { pathToKey } from '../../src/baseline/path-key.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The walk of `dir` as hex paths (with listing errors), in a child process with `env`. */
function walkIn(dir: string, env: Record<string, string>): string[] {
  const script = `
    const { walk } = await import(${JSON.stringify(join(ROOT, 'src/baseline/walk.ts'))});
    const { loadNative } = await import(${JSON.stringify(join(ROOT, 'src/baseline/native.ts'))});
    const out = [String(Boolean(loadNative()?.listDir))];
    for (const it of walk([Buffer.from(process.argv[1])], () => false))
      out.push(it.path.toString('hex') + (it.error ? ' ' + it.error : ''));
    process.stdout.write(out.join('\\n'));`;
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  }).split('\n');
}

test('native and Node directory listings walk the same paths in the same order', (t) => {
  assert.ok(loadNative()?.listDir, 'native helper with listDir must be built');
  const dir = mkdtempSync(join(tmpdir(), 'bw-walk-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const names = ['a', 'a b', 'a-b', 'ab', 'a\nb', 'B', 'z', '~', 'é', Buffer.from([0xff, 0x41]), 'aa'];
  for (const d of ['', 'sub', 'sub/deeper', 'a']) {
    const base = Buffer.from(join(dir, d));
    mkdirSync(base, { recursive: true });
    for (const n of names) {
      const p = Buffer.concat([base, Buffer.from('/'), Buffer.from(n)]);
      if (d === '' && n === 'a') continue; // 'a' is a directory at the top
      writeFileSync(p, 'x');
    }
  }
  symlinkSync(join(dir, 'sub'), join(dir, 'link-to-dir'));
  const native = walkIn(dir, {});
  const node = walkIn(dir, { BULWARK_BASELINE_NATIVE: join(dir, 'no-such-helper.node') });
  assert.equal(native[0], 'true', 'the native listing was used');
  assert.equal(node[0], 'false', 'the Node listing was used');
  assert.deepEqual(native.slice(1), node.slice(1));
  // Key order: each path's key sorts after the one before.
  const keys = native.slice(1).map((l) => pathToKey(Buffer.from(l.split(' ')[0], 'hex')));
  for (let i = 1; i < keys.length; i++) assert.ok(Buffer.compare(keys[i - 1], keys[i]) < 0, `order at ${i}`);
  // The root; its names ('a' a directory), sub and the link; a/; sub/ and deeper; deeper/.
  const n = names.length;
  assert.equal(keys.length, 1 + (n + 2) + n + (n + 1) + n, 'every entry, the symlink not followed');
});
