// The signed baseline refuses every kind of tampering: rows edited with SQL, bytes flipped in the
// file, a version re-signed with another key, and a rollback of the current pointer. An auditor
// with only the public key verifies offline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { checkBaseline, initBaseline, updateBaseline, verifyBaseline } from '../../src/baseline/engine.js';
import { keyId, keygen, loadPrivateKey, signDigest } from '../../src/baseline/signing.js';
import { BaselineStore, type VersionRow } from '../../src/baseline/store.js';
import { hashRow, versionDigest } from '../../src/baseline/canonical.js';
import type { StoredRow } from '../../src/baseline/record.js';
import { encodeEntry } from '../../src/baseline/record.js';
import { createHash, createPublicKey } from 'node:crypto';
import { loadSettings } from '../../src/baseline/config.js';
import { isBulwarkError } from '../../src/common/errors.js';
import { testSettings } from '../helpers/baseline-tree.js';

async function setup(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'bw-sign-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'tree');
  mkdirSync(join(root, 'etc'), { recursive: true });
  for (let i = 0; i < 20; i++) writeFileSync(join(root, 'etc', `f${i}`), `config ${i}\n`);
  const settings = testSettings(dir);
  await initBaseline({ settings, paths: [root], packages: false });
  return { dir, root, settings };
}

async function refusedWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => isBulwarkError(e) && e.code === code);
}

test('a clean baseline verifies, offline too, with only the public key', async (t) => {
  const { dir, settings } = await setup(t);
  assert.equal(verifyBaseline({ settings }).ok, true);
  // Auditor: a copy of the store and the .pub file, no private key anywhere.
  const copy = join(dir, 'auditor');
  mkdirSync(join(copy, 'baseline'), { recursive: true });
  copyFileSync(settings.dbFile, join(copy, 'baseline', 'baseline.db'));
  if (existsSync(`${settings.dbFile}-wal`))
    copyFileSync(`${settings.dbFile}-wal`, join(copy, 'baseline', 'baseline.db-wal'));
  copyFileSync(settings.pubFile, join(dir, 'auditor.pub'));
  const r = verifyBaseline({ settings: loadSettings({ stateDir: copy, pubkey: join(dir, 'auditor.pub') }) });
  assert.equal(r.ok, true);
  assert.equal(r.versions.length, 1);
});

test('an entry edited with SQL is detected by verify and refused by check', async (t) => {
  const { settings } = await setup(t);
  const db = new Database(settings.dbFile);
  const n = db
    .prepare(
      // The high byte of the recorded size (u64 at offset 14 of the record) of one regular file.
      "UPDATE entries SET rec = substr(rec, 1, 21) || x'01' || substr(rec, 23) WHERE k = (SELECT k FROM entries WHERE substr(rec, 2, 1) = x'66' LIMIT 1)",
    )
    .run().changes;
  db.close();
  assert.equal(n, 1);
  assert.equal(verifyBaseline({ settings }).ok, false);
  await refusedWith(checkBaseline({ settings, packages: false }), 'BW5003');
});

test('a deleted entry row is detected', async (t) => {
  const { settings } = await setup(t);
  const db = new Database(settings.dbFile);
  db.prepare('DELETE FROM entries WHERE k = (SELECT k FROM entries LIMIT 1 OFFSET 3)').run();
  db.close();
  await refusedWith(checkBaseline({ settings, packages: false }), 'BW5003');
});

test('bytes flipped in the database file (hex editor) are detected', async (t) => {
  const { settings } = await setup(t);
  // Closing the last connection checkpoints the WAL: every row is now in the main file.
  const db = new Database(settings.dbFile);
  // A regular file's SHA-256: the record ends with it and three absent digests (4 bytes each).
  const rec = db
    .prepare("SELECT rec FROM entries WHERE substr(rec, 2, 1) = x'66' LIMIT 1")
    .pluck()
    .get() as Buffer;
  const digest = rec.subarray(-44, -12);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const bytes = readFileSync(settings.dbFile);
  const at = bytes.indexOf(digest);
  assert.ok(at > 0, 'digest bytes found in the file');
  bytes[at + 5] ^= 0xff;
  writeFileSync(settings.dbFile, bytes);
  assert.equal(verifyBaseline({ settings }).ok, false);
  await assert.rejects(
    checkBaseline({ settings, packages: false }),
    (e: unknown) => isBulwarkError(e) && ['BW5003', 'BW5002'].includes(e.code),
  );
});

test('a version re-signed with another key is refused', async (t) => {
  const { dir, settings } = await setup(t);
  // The attacker can write the store and holds a key of their own: they copy version 1 with one
  // digest replaced into a new version, sign it properly with their key and make it current.
  const evilKey = join(dir, 'evil', 'k.key');
  keygen(evilKey);
  const key = loadPrivateKey(evilKey);
  const store = BaselineStore.open(settings.dbFile);
  const v1 = store.version(1) as VersionRow;
  const id = store.beginVersion({ ...v1, parent: 1, keyId: keyId(createPublicKey(key)) });
  const w = store.entryWriter(id);
  for (const e of store.entries(1)) {
    if (e.type === 'f' && e.digests.sha256) e.digests.sha256 = Buffer.alloc(32, 7);
    w.add(e.key, encodeEntry(e), e.pkg);
  }
  w.flush();
  const { digest, entries } = versionDigest(store, store.version(id) as VersionRow);
  store.commitVersion(id, entries, digest, signDigest(key, digest));
  store.close();
  await refusedWith(checkBaseline({ settings, packages: false }), 'BW5003');
  assert.equal(verifyBaseline({ settings }).ok, false);
  // With the attacker's public key the forged version verifies, which is why check trusts only
  // the configured public key, never one found in the store.
  assert.equal(
    verifyBaseline({ settings, pubFile: join(dir, 'evil', 'k.pub') }).versions.find((v) => v.id === id)?.ok,
    true,
  );
});

test('rolling the current pointer back to an older signed version is refused', async (t) => {
  const { root, settings } = await setup(t);
  writeFileSync(join(root, 'etc', 'f2'), 'changed\n');
  const u = await updateBaseline({ settings, all: true, packages: false, reason: 'test' });
  assert.equal(u.newVersion?.id, 2);
  const db = new Database(settings.dbFile);
  db.prepare("UPDATE meta SET value = '1' WHERE key = 'current'").run();
  db.close();
  await refusedWith(checkBaseline({ settings, packages: false }), 'BW5014');
});

test('update keeps unaccepted changes out and records who accepted what', async (t) => {
  const { root, settings } = await setup(t);
  writeFileSync(join(root, 'etc', 'f3'), 'accepted change\n');
  writeFileSync(join(root, 'etc', 'f4'), 'unaccepted change\n');
  const u = await updateBaseline({
    settings,
    accept: [join(root, 'etc', 'f3')],
    packages: false,
    reason: 'ticket 42',
  });
  assert.deepEqual(
    u.accepted.map((c) => c.path.toString()),
    [join(root, 'etc', 'f3')],
  );
  assert.equal(u.newVersion?.reason, 'ticket 42');
  const r = await checkBaseline({ settings, packages: false });
  assert.deepEqual(
    r.changes.map((c) => c.path.toString()),
    [join(root, 'etc', 'f4')],
  );
  assert.equal(verifyBaseline({ settings }).ok, true);
});

test('the private key must not be readable by others', async (t) => {
  const { root, settings } = await setup(t);
  const { chmodSync } = await import('node:fs');
  chmodSync(settings.keyFile, 0o644);
  writeFileSync(join(root, 'etc', 'f5'), 'x\n');
  await refusedWith(updateBaseline({ settings, all: true, packages: false }), 'BW5005');
});

test('a second writer is refused while one holds the store, and a dead writer does not block', async (t) => {
  const { root, settings } = await setup(t);
  // Another live process holds the writer lock (as a running update would).
  const other = spawn('sleep', ['30']);
  t.after(() => other.kill('SIGKILL'));
  writeFileSync(`${settings.dbFile}.lock`, String(other.pid));
  writeFileSync(join(root, 'etc', 'f6'), 'x\n');
  await refusedWith(updateBaseline({ settings, all: true, packages: false }), 'BW5015');
  other.kill('SIGKILL');
  await new Promise((r) => other.once('exit', r));
  // A lock left by a process that no longer exists (as after kill -9) is taken over.
  writeFileSync(`${settings.dbFile}.lock`, '999999999');
  const u = await updateBaseline({ settings, all: true, packages: false });
  assert.equal(u.newVersion?.id, 2);
  assert.equal(existsSync(`${settings.dbFile}.lock`), false);
});

test('the row digest is the documented length-prefixed form, for any size and package name', () => {
  // The format signed versions rest on: per field 0x01, u32 big-endian length, bytes; null as
  // five zero bytes. Written out here independently of hashRow.
  const field = (b: Buffer | null): Buffer => {
    if (b === null) return Buffer.alloc(5);
    const len = Buffer.alloc(5);
    len[0] = 1;
    len.writeUInt32BE(b.length, 1);
    return Buffer.concat([len, b]);
  };
  const rows: StoredRow[] = [
    { key: Buffer.from('\0etc\0passwd'), rec: Buffer.from([1, 2, 3]), pkg: 'base-passwd' },
    { key: Buffer.from('\0usr\0lib\0x'), rec: Buffer.alloc(0), pkg: null },
    { key: Buffer.alloc(9000, 0x61), rec: Buffer.alloc(20_000, 7), pkg: 'paquet-é' },
    { key: Buffer.from('\0a'), rec: Buffer.from([9]), pkg: '' },
  ];
  for (const r of rows) {
    const h = createHash('sha256');
    hashRow(h, r);
    const want = createHash('sha256')
      .update(Buffer.concat([field(r.key), field(r.rec), field(r.pkg === null ? null : Buffer.from(r.pkg))]))
      .digest('hex');
    assert.equal(h.digest('hex'), want, `row ${r.key.length}/${r.rec.length}/${String(r.pkg)}`);
  }
});

test('init keeps the rows of the newest `keep` versions; older ones stay as signed history', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-keep-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  for (let i = 0; i < 50; i++) writeFileSync(join(tree, `f${i}`), `content ${i}\n`);
  const settings = testSettings(dir, { keep: 2 });
  const rowsOf = () => {
    const db = new Database(settings.dbFile, { readonly: true });
    try {
      return db.prepare('SELECT version, count(*) AS n FROM entries GROUP BY version ORDER BY version').all();
    } finally {
      db.close();
    }
  };
  for (let i = 0; i < 4; i++)
    await initBaseline({ settings, paths: [tree], packages: false, ...(i ? { force: true } : {}) });
  assert.deepEqual(rowsOf(), [
    { version: 3, n: 51 },
    { version: 4, n: 51 },
  ]);
  const states = () => verifyBaseline({ settings }).versions.map((v) => `${v.id}:${v.state}:${v.ok}`);
  assert.deepEqual(states(), ['1:pruned:true', '2:pruned:true', '3:signed:true', '4:signed:true']);
  assert.ok(verifyBaseline({ settings }).ok);

  // One more: the oldest kept version's rows go, its header stays.
  await initBaseline({ settings, paths: [tree], packages: false, force: true });
  assert.deepEqual(rowsOf(), [
    { version: 4, n: 51 },
    { version: 5, n: 51 },
  ]);
  assert.ok(verifyBaseline({ settings }).ok);
});
