// `bulwark baseline` end to end through the built CLI: exit bitmask, --json, drift alerts, quiet
// progress off a terminal, and kill -9 during init/update leaving the signed baseline intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, unlinkSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Alert } from '../../src/alert/types.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function bw(env: NodeJS.ProcessEnv, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'node',
      [CLI, 'baseline', ...args],
      { env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function setup(t: { after: (fn: () => void) => void }, files = 30) {
  const dir = mkdtempSync(join(tmpdir(), 'bw-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(tree, 'sub', `f${i}`), `file ${i}\n`.repeat(50));
  const env = { BULWARK_STATE_DIR: join(dir, 'state'), BULWARK_KEY_DIR: join(dir, 'keys') };
  return { dir, tree, env };
}

test('check exit status is the documented bitmask, with --json and drift alerts', async (t) => {
  const { dir, tree, env } = setup(t);
  assert.equal((await bw(env, ['keygen'])).code, 0);
  const init = await bw(env, ['init', tree, '--json']);
  assert.equal(init.code, 0, init.stderr);
  assert.equal(JSON.parse(init.stdout).version.id, 1);
  assert.equal(init.stderr.includes('\r'), false, 'no progress bar when stderr is not a terminal');

  let r = await bw(env, ['check']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /No differences/);

  writeFileSync(join(tree, 'added'), 'new\n');
  r = await bw(env, ['check', '--json']);
  // added (1) and the parent directory changed (4).
  assert.equal(r.code, 1 | 4);
  const j = JSON.parse(r.stdout);
  assert.equal(j.exit, 5);
  assert.deepEqual(
    j.changes.map((c: { kind: string; path: string }) => [c.kind, c.path]),
    [
      ['changed', tree],
      ['added', join(tree, 'added')],
    ],
  );

  unlinkSync(join(tree, 'sub', 'f3'));
  chmodSync(join(tree, 'sub', 'f4'), 0o600);
  const alertsFile = join(dir, 'alerts.ndjson');
  r = await bw(env, ['check', '--alerts-json', alertsFile]);
  assert.equal(r.code, 1 | 2 | 4);
  assert.match(r.stdout, /Removed entries:\n {2}f .*\/sub\/f3/);
  const alerts = readFileSync(alertsFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Alert);
  const mode = alerts.find((a) => a.Resource === join(tree, 'sub', 'f4'));
  assert.equal(mode?.Type, 'BaselineDrift');
  assert.equal(mode?.Operation, 'File');
  assert.equal(mode?.Enforcer, 'Baseline');
  assert.match(mode?.Data ?? '', /attrs=mode:0644→0600/);
  // sub (changed: f3 removed), f3 removed, f4 changed, plus the root and `added` from before.
  assert.equal(alerts.length, 5);
});

test('check on a tampered store exits 32, without a baseline 64', async (t) => {
  const { tree, env } = setup(t);
  let r = await bw(env, ['check']);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /BW5001/);
  r = await bw(env, ['check', '--no-such-option']);
  assert.equal(r.code, 64, 'a usage error is not mistaken for "removed" (2)');
  assert.match(r.stderr, /BW0001/);
  await bw(env, ['keygen']);
  await bw(env, ['init', tree]);
  const db = new Database(join(env.BULWARK_STATE_DIR, 'baseline', 'baseline.db'));
  // mode 0777 written into one record (u32 little-endian at offset 2), kept a BLOB.
  db.prepare(
    "UPDATE entries SET rec = CAST(substr(rec, 1, 2) || x'ff010000' || substr(rec, 7) AS BLOB) WHERE k = (SELECT k FROM entries LIMIT 1 OFFSET 2)",
  ).run();
  db.close();
  r = await bw(env, ['check']);
  assert.equal(r.code, 32);
  assert.match(r.stderr, /BW5003/);
  r = await bw(env, ['verify']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAILED/);
});

/** Starts a baseline command and SIGKILLs it once a version is being built (rows being written). */
async function killWhileBuilding(env: NodeJS.ProcessEnv, args: string[]): Promise<boolean> {
  const dbFile = join(env.BULWARK_STATE_DIR as string, 'baseline', 'baseline.db');
  const child = spawn('node', [CLI, 'baseline', ...args], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  let killed = false;
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 25));
    try {
      const db = new Database(dbFile, { readonly: true });
      const building = db
        .prepare(
          "SELECT count(*) FROM entries e JOIN versions v ON v.id = e.version WHERE v.state = 'building'",
        )
        .pluck()
        .get() as number;
      db.close();
      if (building > 0) {
        child.kill('SIGKILL');
        killed = true;
        break;
      }
    } catch {
      // store not created yet, or busy: look again
    }
  }
  await exited;
  return killed;
}

test('kill -9 during update and during init --force leaves the signed baseline intact', async (t) => {
  const { tree, env } = setup(t, 4000);
  await bw(env, ['keygen']);
  assert.equal((await bw(env, ['init', tree])).code, 0);
  for (let i = 0; i < 4000; i += 2) writeFileSync(join(tree, 'sub', `f${i}`), 'changed\n');

  assert.equal(await killWhileBuilding(env, ['update', '--all']), true, 'update was killed mid-write');
  let v = await bw(env, ['verify', '--json']);
  assert.equal(v.code, 0, v.stdout);
  assert.equal(JSON.parse(v.stdout).current, 1);
  let r = await bw(env, ['check', '--json']);
  assert.equal(JSON.parse(r.stdout).counts.changed, 2000, 'nothing was accepted by the killed update');

  assert.equal(await killWhileBuilding(env, ['init', '--force', tree]), true, 'init was killed mid-write');
  v = await bw(env, ['verify', '--json']);
  assert.equal(v.code, 0, v.stdout);
  assert.equal(JSON.parse(v.stdout).current, 1);

  // The next writer cleans up the interrupted version and works.
  r = await bw(env, ['update', '--all', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).version.id, 2, 'interrupted versions leave no trace, not even an id');
  r = await bw(env, ['check']);
  assert.equal(r.code, 0, r.stdout);
});

test('show and export: every entry, odd names included, and the acceptance history', async (t) => {
  const { tree, env } = setup(t, 3);
  writeFileSync(join(tree, 'new\nline'), 'n\n');
  writeFileSync(Buffer.from(`${tree}/bad\xff`, 'latin1'), 'b\n');
  await bw(env, ['keygen']);
  assert.equal((await bw(env, ['init', tree])).code, 0);
  const exp = await bw(env, ['export', '--json']);
  assert.equal(exp.code, 0, exp.stderr);
  const doc = JSON.parse(exp.stdout) as {
    version: { id: number; entries: number };
    entries: Array<{ path: string | { b64: string } }>;
  };
  assert.equal(doc.entries.length, doc.version.entries);
  assert.equal(doc.entries.length, 7); // tree, sub, f0..f2, the two odd names
  assert.ok(doc.entries.some((e) => e.path === join(tree, 'new\nline')));
  const bad = doc.entries.find((e) => typeof e.path === 'object');
  assert.equal(
    Buffer.from((bad?.path as { b64: string }).b64, 'base64').toString('latin1'),
    `${tree}/bad\xff`,
  );

  chmodSync(join(tree, 'new\nline'), 0o600);
  assert.equal(
    (await bw(env, ['update', '--accept', join(tree, 'new\nline'), '--reason', 'ticket 7'])).code,
    0,
  );
  const show = await bw(env, ['show', `${tree}/new\\nline`]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /mode +0600/);
  assert.match(show.stdout, /accepted in version 2 .*"ticket 7"\): changed mode,ctime/);
  const history = await bw(env, ['show', '--json']);
  assert.deepEqual(
    (JSON.parse(history.stdout) as { versions: Array<{ id: number; accepted: number }> }).versions.map(
      (v) => [v.id, v.accepted],
    ),
    [
      [1, 0],
      [2, 1],
    ],
  );
});
