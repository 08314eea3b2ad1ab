// The scanner reads an entry two ways: through the native helper (lstat and the whole regular-file
// read and hash in C, the normal case) and in JS (no helper, an old helper, another name of an
// inode read earlier). Both must record the same entry, byte for byte, for every kind of entry and
// every digest algorithm; and the native path must be the one taken when the helper is built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadNative, type NativeAttrs } from '../../src/baseline/native.js';
import { readEntry, type ReadContext } from '../../src/baseline/read-entry.js';
import { encodeEntry } from '../../src/baseline/record.js';
import { DIGEST_ALGOS, type DigestAlgo } from '../../src/baseline/types.js';

function ctxOf(native: NativeAttrs | null, algos: readonly DigestAlgo[]): ReadContext {
  return { algos, buf: Buffer.allocUnsafe(1 << 16), native, noatime: true, wantAttrs: true };
}

test('native and JS reads record the same entry for every kind of entry and digest', (t) => {
  const full = loadNative();
  assert.ok(full?.readFile && full.lstat, 'native helper with readFile/lstat must be built');
  // The same helper without its read functions: the JS path, with the same xattr reader.
  const attrsOnly: NativeAttrs = { attrs: full.attrs.bind(full) };
  const dir = mkdtempSync(join(tmpdir(), 'bw-readnative-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = (n: string) => join(dir, n);
  writeFileSync(f('small'), 'hello\n');
  writeFileSync(f('empty'), '');
  // Larger than one read of either path (JS 64 KiB here, C 512 KiB): several passes of the loop.
  writeFileSync(f('big'), Buffer.alloc(1_300_000, 7));
  writeFileSync(f('sparse'), '');
  truncateSync(f('sparse'), 3_000_000);
  writeFileSync(f('xattr'), 'x');
  execFileSync('setfattr', ['-n', 'user.note', '-v', 'kept', f('xattr')]);
  mkdirSync(f('dir'));
  symlinkSync('small', f('link'));
  execFileSync('mkfifo', [f('fifo')]);
  const paths = ['small', 'empty', 'big', 'sparse', 'xattr', 'dir', 'link', 'fifo', 'gone'].map((n) =>
    Buffer.from(f(n)),
  );
  for (const algos of [['sha256'], DIGEST_ALGOS, ['blake2b512', 'sha3-256']] as DigestAlgo[][]) {
    for (const p of paths) {
      const a = readEntry(p, ctxOf(full, algos));
      const b = readEntry(p, ctxOf(attrsOnly, algos));
      assert.equal(a.bytes, b.bytes, `${p} bytes`);
      if (a.entry === null || b.entry === null) {
        assert.equal(a.entry, b.entry, `${p}: vanished on one path only`);
        continue;
      }
      assert.deepEqual(a.entry, b.entry, `${p} with ${algos.join(',')}`);
      assert.ok(encodeEntry(a.entry).equals(encodeEntry(b.entry)), `${p} record`);
    }
  }
  // And the digests are the content's, not only equal to each other.
  const e = readEntry(Buffer.from(f('big')), ctxOf(full, DIGEST_ALGOS)).entry;
  const want = Buffer.alloc(1_300_000, 7);
  assert.equal(e?.digests.sha256?.toString('hex'), createHash('sha256').update(want).digest('hex'));
  assert.equal(e?.digests.blake2b512?.toString('hex'), createHash('blake2b512').update(want).digest('hex'));
  const x = readEntry(Buffer.from(f('xattr')), ctxOf(full, ['sha256'])).entry;
  assert.ok(x?.xattrs?.includes('user.note'), 'xattr read');
});

test('the native path is the one taken when the helper is built', (t) => {
  const full = loadNative();
  assert.ok(full?.readFile && full.lstat);
  const dir = mkdtempSync(join(tmpdir(), 'bw-readnative-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'f'), 'content\n');
  let calls = 0;
  const counting: NativeAttrs = {
    attrs: full.attrs.bind(full),
    lstat: full.lstat.bind(full),
    readFile: (...a: Parameters<NonNullable<NativeAttrs['readFile']>>) => {
      calls++;
      return full.readFile!(...a);
    },
  };
  const r = readEntry(Buffer.from(join(dir, 'f')), ctxOf(counting, ['sha256']));
  assert.equal(calls, 1);
  assert.equal(
    r.entry?.digests.sha256?.toString('hex'),
    createHash('sha256').update('content\n').digest('hex'),
  );
});
