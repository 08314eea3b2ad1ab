// `baseline check`'s side of the control socket (src/cli/baseline-journal.ts) against a real
// listener in this process: an answer is trusted only from a socket that root or this user owns,
// in a directory nobody else can write; the journal file an answer names is ignored; a check the
// agent did not record comes back with the agent's reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenControl, socketPath, type ControlResponse } from '../../src/app/control.js';
import { journalFile } from '../../src/baseline/journal.js';
import { agentJournal, delegatedCheck } from '../../src/cli/baseline-journal.js';
import { renderedCheck } from '../../src/cli/agent-socket.js';
import { serialize } from 'node:v8';

const IS_ROOT = process.geteuid?.() === 0;

const POSITION = {
  epoch: 'e1',
  seq: 3,
  head: 'a'.repeat(64),
  offset: 100,
  file: '/tmp/somewhere-else/journal.log',
  ready: true,
  trees: ['/srv'],
  synced: true,
  failed: null,
};

async function fakeAgent(
  t: { after: (fn: () => Promise<void> | void) => void },
  dir: string,
  check: () => ControlResponse = () => ({ ok: true, check: 4, fromOffset: 100 }),
) {
  const srv = await listenControl(socketPath(dir), (req) =>
    req.op === 'journal' ? { ok: true, journal: POSITION } : check(),
  );
  t.after(() => srv.close());
  return srv;
}

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bw-agentsock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("the journal named in the agent's answer is replaced by the state directory's own", async (t) => {
  const dir = tmp(t);
  await fakeAgent(t, dir);
  const p = await agentJournal(dir, () => undefined).position();
  assert.ok(!('unavailable' in p), JSON.stringify(p));
  assert.equal(p.file, journalFile(dir));
  assert.equal(p.epoch, 'e1');
});

test('a socket or socket directory others can write, or a link, is not trusted (BW5114)', async (t) => {
  const dir = tmp(t);
  await fakeAgent(t, dir);
  const sock = socketPath(dir);
  const agent = agentJournal(dir, () => undefined);
  const refused = async (what: RegExp) => {
    const p = await agent.position();
    assert.ok('unavailable' in p, `refused: ${JSON.stringify(p)}`);
    assert.equal(p.code, 'BW5114');
    assert.match(p.unavailable, what);
  };
  chmodSync(sock, 0o666);
  await refused(
    /^the agent's control socket cannot be trusted: .*agent\.sock is writable by group or others \(mode 0666/,
  );
  chmodSync(sock, 0o600);
  chmodSync(dir, 0o770);
  await refused(
    /the directory .* of the agent's socket is writable by group or others \(mode 0770; chmod 0700 /,
  );
  chmodSync(dir, 0o700);
  assert.ok(!('unavailable' in (await agent.position())), 'trusted again once fixed');

  // The socket name is a link to a listener elsewhere.
  const other = join(dir, 'other');
  mkdirSync(other, { mode: 0o700 });
  await fakeAgent(t, other);
  const linked = join(dir, 'linked');
  mkdirSync(linked, { mode: 0o700 });
  symlinkSync(socketPath(other), socketPath(linked));
  const p = await agentJournal(linked, () => undefined).position();
  assert.ok('unavailable' in p && p.code === 'BW5114' && /is a symbolic link/.test(p.unavailable));
});

test(
  'a socket owned by another user is not trusted',
  { skip: !IS_ROOT && 'needs root (chown)' },
  async (t) => {
    const dir = tmp(t);
    await fakeAgent(t, dir);
    chownSync(socketPath(dir), 65534, 65534);
    const p = await agentJournal(dir, () => undefined).position();
    assert.ok('unavailable' in p);
    assert.equal(p.code, 'BW5114');
    assert.match(p.unavailable, /agent\.sock is owned by uid 65534, not 0/);
  },
);

test('a check the agent did not record comes back with its reason', async (t) => {
  const dir = tmp(t);
  let answer: ControlResponse = { ok: false, error: 'no space left on device' };
  const srv = await fakeAgent(t, dir, () => answer);
  const agent = agentJournal(dir, () => undefined);
  assert.deepEqual(await agent.checked(3, 100, 'd'), { error: 'no space left on device' });
  answer = { ok: true };
  const r = await agent.checked(3, 100, 'd');
  assert.ok('error' in r && /without a check line/.test(r.error));
  answer = { ok: true, check: 4, fromOffset: 0 };
  assert.deepEqual(await agent.checked(3, 100, 'd'), { check: 4, fromOffset: 0 });
  await srv.close();
  const gone = await agent.checked(3, 100, 'd');
  assert.ok('error' in gone && /^no answer on .*agent\.sock/.test(gone.error), JSON.stringify(gone));
});

test('an agent that answers with the result only: the command path prints that, without a second check', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-agent-old-'));
  chmodSync(dir, 0o700);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const result = { mode: 'since-last', note: 'from the agent', changes: [] };
  let asked = 0;
  const srv = await listenControl(socketPath(dir), (req) => {
    if (req.op !== 'baseline-check') return { ok: false, error: 'unexpected' };
    asked++;
    // An agent from before rendered answers ignores `render`.
    return { ok: true, result: serialize(result).toString('base64'), warnings: [['BW5112', 'w']] };
  });
  t.after(() => srv.close());
  const where = {
    stateDir: dir,
    dbFile: join(dir, 'db'),
    keyFile: join(dir, 'k'),
    pubFile: join(dir, 'k.pub'),
  };
  const warnings: string[] = [];
  const onWarning = (code: string, message: string): void => void warnings.push(`${code} ${message}`);
  assert.equal(await renderedCheck(where, false, true, onWarning), null, 'the quick path does not print it');
  const settings = { ...where, paths: [], exclude: [], policies: [], digests: ['sha256' as const], keep: 5 };
  assert.deepEqual(await delegatedCheck(settings, false, onWarning), result);
  assert.equal(asked, 1, 'the agent ran one check');
  assert.deepEqual(warnings, ['BW5112 w'], 'its warnings printed once');
});
