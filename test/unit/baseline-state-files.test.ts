// The baseline state directory as an attacker would prepare it: links planted at the journal's
// name, at the old temporary names and at the since-last state; a directory that is a link, is
// group-writable or belongs to another user. Root must never write through any of them, and must
// say which path is wrong and how to fix it. Also: a check reads the journal of its own state
// directory, never the file an agent's answer names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalWriter, journalFile } from '../../src/baseline/journal.js';
import { mountsDigest } from '../../src/baseline/watch-scope.js';
import {
  planCheck,
  stateDigest,
  stateFile,
  writeState,
  type AgentJournal,
  type JournalAgent,
  type SavedState,
} from '../../src/baseline/since-last.js';
import { isBulwarkError } from '../../src/common/errors.js';

const IS_ROOT = process.geteuid?.() === 0;

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bw-statefiles-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A file an attacker would like root to overwrite. */
function victim(dir: string): string {
  const f = join(dir, 'victim');
  writeFileSync(f, 'precious\n');
  return f;
}

function throwsUnsafe(fn: () => unknown, what: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isBulwarkError(e), `a BulwarkError, got ${String(e)}`);
    assert.equal(e.code, 'BW5016');
    assert.match(e.message, what);
    return true;
  });
}

test('a symbolic link at the journal is refused, its target untouched', async (t) => {
  const dir = tmp(t);
  const v = victim(dir);
  const file = journalFile(join(dir, 'state'));
  mkdirSync(join(dir, 'state', 'baseline'), { recursive: true, mode: 0o700 });
  symlinkSync(v, file);
  throwsUnsafe(() => new JournalWriter(file), /journal\.log is a symbolic link.*remove it/);
  assert.equal(readFileSync(v, 'utf8'), 'precious\n');
  assert.ok(lstatSync(file).isSymbolicLink());
});

test('a hard link at the journal is replaced by a new file, not truncated', async (t) => {
  const dir = tmp(t);
  const file = join(dir, 'baseline', 'journal.log');
  mkdirSync(join(dir, 'baseline'), { mode: 0o700 });
  const v = victim(join(dir, 'baseline'));
  linkSync(v, file);
  const w = new JournalWriter(file);
  w.record(['/srv/a']);
  await w.close();
  assert.equal(readFileSync(v, 'utf8'), 'precious\n');
  assert.equal(statSync(v).nlink, 1, 'the journal is a file of its own now');
  assert.match(readFileSync(file, 'utf8'), /"k":"epoch"/);
  assert.deepEqual(
    readdirSync(join(dir, 'baseline')).sort(),
    ['journal.log', 'victim'],
    'no temporary file left behind',
  );
});

test('the writer creates the baseline directory 0700 and refuses one that is a link, shared or foreign', async (t) => {
  const dir = tmp(t);
  const fresh = join(dir, 'a', 'baseline', 'journal.log');
  const w = new JournalWriter(fresh);
  await w.close();
  assert.equal(statSync(join(dir, 'a', 'baseline')).mode & 0o777, 0o700);
  assert.equal(statSync(fresh).mode & 0o777, 0o600);

  // baseline/ is a link to a directory of the attacker's choosing: nothing is written there.
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  mkdirSync(join(dir, 'b'));
  symlinkSync(elsewhere, join(dir, 'b', 'baseline'));
  throwsUnsafe(() => new JournalWriter(join(dir, 'b', 'baseline', 'journal.log')), /is a symbolic link/);
  assert.deepEqual(readdirSync(elsewhere), []);

  // Writable by group: refused, with the chmod that fixes it.
  mkdirSync(join(dir, 'c', 'baseline'), { recursive: true });
  chmodSync(join(dir, 'c', 'baseline'), 0o775);
  throwsUnsafe(
    () => new JournalWriter(join(dir, 'c', 'baseline', 'journal.log')),
    /writable by group or others \(mode 0775; chmod 0700 .*c\/baseline\)/,
  );
  assert.deepEqual(readdirSync(join(dir, 'c', 'baseline')), []);
});

test(
  'a baseline directory owned by another user is refused',
  { skip: !IS_ROOT && 'needs root (chown)' },
  (t) => {
    const dir = tmp(t);
    mkdirSync(join(dir, 'baseline'), { mode: 0o700 });
    chownSync(join(dir, 'baseline'), 65534, 65534);
    throwsUnsafe(() => new JournalWriter(join(dir, 'baseline', 'journal.log')), /owned by uid 65534, not 0/);
    throwsUnsafe(() => writeState(stateFile(dir), { epoch: 'e' } as SavedState), /owned by uid 65534/);
    assert.deepEqual(readdirSync(join(dir, 'baseline')), []);
  },
);

const STATE: SavedState = {
  epoch: 'e',
  from: 0,
  fromOffset: 0,
  check: 1,
  version: 1,
  versionDigest: 'ab',
  mounts: '',
  store: '',
  paths: [],
};

test('saving the since-last state never writes through a link at its name or the old temporary name', (t) => {
  const dir = tmp(t);
  mkdirSync(join(dir, 'baseline'), { mode: 0o700 });
  const file = stateFile(dir);
  const v = victim(dir);
  // The name the state used to be written under first (pid-based, so predictable).
  symlinkSync(v, `${file}.${process.pid}.tmp`);
  symlinkSync(v, file);
  writeState(file, STATE);
  assert.equal(readFileSync(v, 'utf8'), 'precious\n');
  assert.ok(lstatSync(file).isFile(), 'the link at the state name was replaced by the state');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), STATE);
  assert.deepEqual(
    readdirSync(join(dir, 'baseline')).filter((n) => n.endsWith('.tmp')),
    [`since-last.json.${process.pid}.tmp`],
    'only the planted link; no temporary file of ours left behind',
  );
});

/** A JournalAgent over a real writer in this process, reporting `file` as its journal. */
function agentOf(w: JournalWriter, trees: string[], file = w.file): JournalAgent {
  return {
    async position(): Promise<AgentJournal> {
      const p = await w.position();
      return { ...p, file, ready: w.ready, trees, synced: true, failed: w.failed };
    },
    checked: (from, off, digest) => w.checked(from, off, digest),
  };
}

async function saveCheck(stateDir: string, agent: JournalAgent, roots: string[]): Promise<void> {
  const pos = (await agent.position()) as AgentJournal;
  const st: SavedState = {
    ...STATE,
    epoch: pos.epoch,
    from: pos.seq,
    fromOffset: pos.offset,
    check: -1,
    mounts: mountsDigest(roots),
  };
  const rec = await agent.checked(pos.seq, pos.offset, stateDigest(st));
  assert.ok(!('error' in rec));
  writeState(stateFile(stateDir), { ...st, check: rec.check, fromOffset: rec.fromOffset });
}

test('a check reads the journal of its state directory, not the file the agent names', async (t) => {
  const dir = tmp(t);
  const root = join(dir, 'tree');
  mkdirSync(root);
  const roots = [root];
  // The real journal, and a forged one elsewhere that an impostor answering on the socket
  // keeps consistent with the positions it reports.
  const real = new JournalWriter(journalFile(dir));
  real.watch([dir]);
  const forged = new JournalWriter(join(dir, 'forged', 'journal.log'));
  forged.watch([dir]);
  t.after(async () => {
    await real.close();
    await forged.close();
  });
  const plan = async (agent: JournalAgent) => {
    const p = await planCheck({ agent, stateDir: dir, roots, version: 1, versionDigest: 'ab' });
    return p.mode === 'full' ? `${p.why.code} ${p.why.reason}` : 'since-last';
  };
  // Sanity: the real agent's answer gives a since-last check.
  const honest = agentOf(real, [dir]);
  await saveCheck(dir, honest, roots);
  assert.equal(await plan(honest), 'since-last');
  // The impostor's answer names its forged file (consistent with its answer): not read.
  const impostor = agentOf(forged, [dir], forged.file);
  await saveCheck(dir, impostor, roots);
  assert.match(await plan(impostor), /^BW5110 the journal does not verify: /);
});

test('a link at the since-last state, or a shared baseline directory, makes the check run full', async (t) => {
  const dir = tmp(t);
  const root = join(dir, 'tree');
  mkdirSync(root);
  const w = new JournalWriter(journalFile(dir));
  w.watch([dir]);
  t.after(() => w.close());
  const agent = agentOf(w, [dir]);
  const plan = async () => {
    const p = await planCheck({ agent, stateDir: dir, roots: [root], version: 1, versionDigest: 'ab' });
    return p.mode === 'full' ? `${p.why.code} ${p.why.reason}` : 'since-last';
  };
  await saveCheck(dir, agent, [root]);
  assert.equal(await plan(), 'since-last');
  const file = stateFile(dir);
  const copy = join(dir, 'copy.json');
  writeFileSync(copy, readFileSync(file));
  rmSync(file);
  symlinkSync(copy, file);
  assert.match(await plan(), /^BW5110 .*since-last\.json.*symbolic link/);
  rmSync(file);
  writeFileSync(file, readFileSync(copy), { mode: 0o600 });
  assert.equal(await plan(), 'since-last');
  chmodSync(join(dir, 'baseline'), 0o777);
  assert.match(
    await plan(),
    /^BW5114 the baseline state directory cannot be trusted: .* writable by group or others/,
  );
  chmodSync(join(dir, 'baseline'), 0o700);
});
