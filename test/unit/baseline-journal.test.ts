// The change journal behind `baseline check --since-last`: the hash chain (append, verify, every
// kind of tampering, a new epoch), de-duplication and gaps in the writer, the decision between a
// since-last and a full check, and the targets a since-last check re-reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
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
import { dirname, join } from 'node:path';
import { COMPACT_BYTES, JournalWriter, MAX_PATHS, type JournalRecord } from '../../src/baseline/journal.js';
import { readSegment } from '../../src/baseline/journal-read.js';
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
import { buildTargets, resolveLossy } from '../../src/baseline/targets.js';
import { excludeMatcher } from '../../src/baseline/scope.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bw-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

async function head(w: JournalWriter) {
  return w.position();
}

test('the chain verifies from the start and from any line, up to the head the writer holds', async (t) => {
  const file = join(tmp(t), 'journal.log');
  const w = new JournalWriter(file);
  w.watch(['/srv']);
  w.record(['/srv/a', '/srv/b']);
  w.record([], [{ cause: 'fanotify overflow' }]);
  const mid = await head(w);
  w.record(['/srv/c']);
  const end = await head(w);
  await w.close();
  const all = readSegment(file, 0, -1, end);
  assert.ok(all.ok, all.ok ? '' : all.reason);
  assert.deepEqual(
    all.records.map((r) => r.k),
    ['epoch', 'watch', 'ev', 'gap', 'ev'],
  );
  const tail = readSegment(file, mid.offset, mid.seq, end);
  assert.ok(tail.ok);
  assert.deepEqual(tail.records, [{ s: 4, k: 'ev', p: ['/srv/c'], h: tail.records[0].h }]);
  // Nothing since the position: an empty, verified segment.
  const none = readSegment(file, end.offset, end.seq, end);
  assert.ok(none.ok && none.records.length === 0);
});

test('an edited, removed, inserted or truncated line, or another head, does not verify', async (t) => {
  const dir = tmp(t);
  const file = join(dir, 'journal.log');
  const w = new JournalWriter(file);
  w.watch(['/srv']);
  w.record(['/srv/a']);
  w.record(['/srv/b']);
  w.record(['/srv/c']);
  const end = await head(w);
  await w.close();
  const orig = lines(file);
  const tampered = (ls: string[], what: string): void => {
    writeFileSync(file, `${ls.join('\n')}\n`);
    const r = readSegment(file, 0, -1, end);
    assert.equal(r.ok, false, `${what} must not verify`);
  };
  tampered(
    orig.map((l) => l.replace('/srv/b', '/srv/x')),
    'an edited path',
  );
  tampered(
    orig.filter((l) => !l.includes('/srv/b')),
    'a removed line',
  );
  // A removed line with the later lines re-numbered and re-chained: the head still differs.
  const rechained: string[] = [];
  let prev = '0'.repeat(64);
  for (const l of orig.filter((x) => !x.includes('/srv/b'))) {
    const r = JSON.parse(l) as JournalRecord;
    const line = JSON.stringify({ ...r, s: rechained.length, h: prev });
    rechained.push(line);
    prev = (await import('node:crypto')).createHash('sha256').update(line).digest('hex');
  }
  tampered(rechained, 'a re-chained journal without a line');
  tampered([...orig.slice(0, 3), orig[2], ...orig.slice(3)], 'a duplicated line');
  tampered(orig.slice(0, -1), 'a truncated journal');
  writeFileSync(file, `${orig.join('\n')}\n`);
  assert.ok(readSegment(file, 0, -1, end).ok, 'the original verifies');
  assert.equal(readSegment(file, 0, -1, { ...end, head: 'f'.repeat(64) }).ok, false, 'another head');
});

test('a new writer starts a new epoch in a fresh file; the old head no longer verifies', async (t) => {
  const file = join(tmp(t), 'journal.log');
  const a = new JournalWriter(file);
  a.record(['/srv/a']);
  const endA = await head(a);
  await a.close();
  const b = new JournalWriter(file);
  const endB = await head(b);
  await b.close();
  assert.notEqual(a.epoch, b.epoch);
  assert.equal(readSegment(file, 0, -1, endA).ok, false);
  const r = readSegment(file, 0, -1, endB);
  assert.ok(r.ok);
  assert.deepEqual(
    r.records.map((x) => x.k),
    ['epoch'],
  );
});

test('the writer journals a path once between positions, and unresolved paths and overflow as gaps', async (t) => {
  const file = join(tmp(t), 'journal.log');
  const w = new JournalWriter(file);
  w.record(['/srv/a', '/srv/a', '/srv/b']);
  w.record(['/srv/a']);
  await w.position();
  w.record(['/srv/a', 'name-only']);
  w.record(Array.from({ length: MAX_PATHS + 5 }, (_, i) => `/srv/many/${i}`));
  const p = await w.position();
  await w.close();
  const recs = lines(file).map((l) => JSON.parse(l) as JournalRecord);
  const evs = recs.filter((r) => r.k === 'ev');
  assert.deepEqual(evs[0].k === 'ev' && evs[0].p, ['/srv/a', '/srv/b']);
  assert.deepEqual(evs[1].k === 'ev' && evs[1].p, ['/srv/a'], 'written again after a position');
  const gaps = recs.filter((r) => r.k === 'gap').map((r) => (r.k === 'gap' ? r.c : ''));
  assert.deepEqual(gaps, ['unresolved-path', 'journal-full']);
  assert.equal(evs[2].k === 'ev' && evs[2].p.length, MAX_PATHS - 1);
  assert.equal(p.seq, recs.length - 1);
});

test('a large journal is compacted at a check to what the next check reads, and still verifies', async (t) => {
  const file = join(tmp(t), 'journal.log');
  const w = new JournalWriter(file);
  const long = 'x'.repeat(120);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 60_000; i += 100)
      w.record(Array.from({ length: 100 }, (_, j) => `/srv/${round}/${long}/${i + j}`));
    await w.position();
  }
  assert.ok(statSync(file).size > COMPACT_BYTES, 'the journal grew past the compaction size');
  // A link planted where compaction used to write its copy: the target must stay untouched.
  const victim = join(dirname(file), 'victim');
  writeFileSync(victim, 'not yours\n');
  symlinkSync(victim, `${file}.tmp`);
  const from = await w.position();
  w.record(['/srv/after']);
  const rec = await w.checked(from.seq, from.offset, 'd'.repeat(64));
  assert.equal(readFileSync(victim, 'utf8'), 'not yours\n');
  assert.equal(w.compactError, null);
  assert.equal(rec.fromOffset, 0);
  assert.ok(lstatSync(`${file}.tmp`).isSymbolicLink(), 'the planted link is left alone');
  assert.deepEqual(
    readdirSync(dirname(file)).filter((n) => n.endsWith('.tmp') && n !== 'journal.log.tmp'),
    [],
    'no temporary file left behind',
  );
  assert.ok(statSync(file).size < 1000, `compacted to ${statSync(file).size} bytes`);
  w.record(['/srv/later']);
  const end = await w.position();
  await w.close();
  const seg = readSegment(file, rec.fromOffset, from.seq, end);
  assert.ok(seg.ok, seg.ok ? '' : seg.reason);
  assert.deepEqual(
    seg.records.map((r) => r.k),
    ['ev', 'check', 'ev'],
  );
  assert.equal(seg.records[1].s, rec.check);
});

/** A JournalAgent over a real writer in this process (as the agent's control socket answers). */
function agentOf(w: JournalWriter, trees: string[]): JournalAgent & { writer: JournalWriter } {
  return {
    writer: w,
    async position(): Promise<AgentJournal> {
      const p = await w.position();
      return { ...p, file: w.file, ready: w.ready, trees, synced: true, failed: w.failed };
    },
    checked: (from, off, digest) => w.checked(from, off, digest),
  };
}

/** Saves a check's state the way check-journal.ts does. */
async function saveCheck(stateDir: string, agent: JournalAgent, roots: string[], paths: string[] = []) {
  const pos = (await agent.position()) as AgentJournal;
  const st: SavedState = {
    epoch: pos.epoch,
    from: pos.seq,
    fromOffset: pos.offset,
    check: -1,
    version: 1,
    versionDigest: 'ab',
    mounts: mountsDigest(roots),
    store: '',
    paths: paths.map((p) => Buffer.from(p).toString('hex')),
  };
  const rec = await agent.checked(pos.seq, pos.offset, stateDigest(st));
  assert.ok(!('error' in rec));
  writeState(stateFile(stateDir), { ...st, check: rec.check, fromOffset: rec.fromOffset });
}

/** A state directory with a baseline root and a journal writer in it, for planCheck. */
function planDir(t: { after: (fn: () => void) => void }) {
  const dir = tmp(t);
  const root = join(dir, 'tree');
  mkdirSync(join(dir, 'baseline'), { recursive: true });
  mkdirSync(root);
  const w = new JournalWriter(join(dir, 'baseline', 'journal.log'));
  t.after(() => void w.close());
  return { dir, root, roots: [root], w };
}

test('planCheck: since-last only with the same epoch, a verified journal and state, no gap, covered scope', async (t) => {
  const { dir, root, roots, w } = planDir(t);
  const plan = (agent: JournalAgent | null) =>
    planCheck({ agent, stateDir: dir, roots, version: 1, versionDigest: 'ab' });
  const code = async (agent: JournalAgent | null) => {
    const p = await plan(agent);
    return p.mode === 'full' ? p.why.code : 'since-last';
  };
  assert.equal(await code(null), 'BW5103');
  const agent = agentOf(w, [dir]);
  assert.equal(await code(agent), 'BW5103', 'no watch record yet: the agent is starting');
  w.watch([dir]);
  assert.equal(await code(agentOf(w, ['/elsewhere'])), 'BW5111');
  assert.equal(await code(agent), 'BW5112', 'no earlier position');

  await saveCheck(dir, agent, roots, [`${root}/differed`]);
  w.record([`${root}/a`, '/outside/b']);
  const p = await plan(agent);
  assert.equal(p.mode, 'since-last');
  if (p.mode === 'since-last') {
    assert.deepEqual(
      p.paths.map((b) => b.toString()),
      [`${root}/a`, '/outside/b'],
    );
    assert.deepEqual(
      p.carried.map((b) => b.toString()),
      [`${root}/differed`],
    );
  }
  // The version changed (update): full.
  assert.equal(
    await planCheck({ agent, stateDir: dir, roots, version: 2, versionDigest: 'cd' }).then((x) =>
      x.mode === 'full' ? x.why.code : 'since-last',
    ),
    'BW5112',
  );
  // The saved state edited (a differing path dropped): full.
  const sf = stateFile(dir);
  const saved = JSON.parse(readFileSync(sf, 'utf8')) as SavedState;
  writeState(sf, { ...saved, paths: [] });
  assert.equal(await code(agent), 'BW5110');
  writeState(sf, saved);
  assert.equal(await code(agent), 'since-last');
  // Coverage dropped for a while, then came back: full.
  w.watch(['/elsewhere']);
  w.watch([dir]);
  assert.equal(await code(agent), 'BW5111');
  // A gap since the last check: full; after a new check position, since-last again.
  await saveCheck(dir, agent, roots);
  w.record([], [{ cause: 'fanotify helper-restart' }]);
  assert.equal(await code(agent), 'BW5109');
  await saveCheck(dir, agent, roots);
  assert.equal(await code(agent), 'since-last');
  // Another epoch (the agent restarted): full.
  const w2 = new JournalWriter(join(dir, 'baseline', 'journal2.log'));
  w2.watch([dir]);
  t.after(() => void w2.close());
  assert.equal(await code(agentOf(w2, [dir])), 'BW5108');
});

test('targets: subtree and parent inside the scope, nested ones dropped, excludes, root spelling, odd names', (t) => {
  const dir = tmp(t);
  const real = join(dir, 'real');
  mkdirSync(join(real, 'tree', 'sub'), { recursive: true });
  symlinkSync(real, join(dir, 'via'));
  const root = join(dir, 'via', 'tree'); // the baseline root as written, through a symlink
  const bad = Buffer.concat([Buffer.from(`${real}/tree/sub/bad`), Buffer.from([0xff])]);
  writeFileSync(bad, 'x');
  const show = (ts: ReturnType<typeof buildTargets>) =>
    ts.map((x) => `${x.subtree ? 'T' : 'E'} ${x.path.toString('latin1').slice(root.length) || '/'}`);
  const kernel = (p: string) => Buffer.from(`${real}/tree${p}`);
  const targets = buildTargets(
    [
      kernel('/sub/x'),
      kernel('/sub'),
      kernel('/skip.swp/y'),
      Buffer.from(`${real}/tree/sub/bad\ufffd`),
      Buffer.from(dir),
    ],
    [Buffer.from(`${root}/carried`)],
    [root],
    excludeMatcher(['*.swp']),
    (d) =>
      d.equals(Buffer.from(`${real}/tree/sub`)) ? [Buffer.from('bad\xff', 'latin1'), Buffer.from('x')] : [],
  );
  // The ancestor of the root (dir) makes the whole root a subtree target: everything else is in it.
  assert.deepEqual(show(targets), ['T /']);
  const narrow = buildTargets(
    [kernel('/sub/x'), kernel('/sub'), kernel('/skip.swp/y'), Buffer.from(`${real}/tree/sub/bad\ufffd`)],
    [Buffer.from(`${root}/carried`), Buffer.from(`${root}/sub/x`)],
    [root],
    excludeMatcher(['*.swp']),
    (d) =>
      d.equals(Buffer.from(`${real}/tree/sub`))
        ? [bad.subarray(bad.lastIndexOf(0x2f) + 1), Buffer.from('x')]
        : [],
  );
  assert.deepEqual(show(narrow), ['E /', 'E /carried', 'T /sub']);
  assert.deepEqual(
    resolveLossy(Buffer.from(`${real}/tree/sub/bad\ufffd`), () => [bad.subarray(bad.lastIndexOf(0x2f) + 1)]),
    [bad],
  );
  // No match on disk or in the baseline: the nearest exact ancestor.
  assert.deepEqual(
    resolveLossy(Buffer.from(`${real}/tree/sub/bad\ufffd`), () => []).map((b) => b.toString()),
    [`${real}/tree/sub`],
  );
});

test('planCheck after another check compacted the journal: moved lines are found, dropped ones say so', async (t) => {
  const { dir, root, roots, w } = planDir(t);
  w.watch([dir]);
  const agent = agentOf(w, [dir]);
  const plan = () => planCheck({ agent, stateDir: dir, roots, version: 1, versionDigest: 'ab' });
  // 60,000 new paths of ~330 bytes: past the compaction size, under MAX_PATHS (a gap).
  let round = 0;
  const fill = async () => {
    const long = `${round++}${'x'.repeat(300)}`;
    for (let i = 0; i < 60_000; i += 100)
      w.record(Array.from({ length: 100 }, (_, j) => `${root}/${long}/${i + j}`));
    await w.position();
  };
  const sf = stateFile(dir);

  // Check B starts; check A starts and finishes; the journal grows; B finishes and compacts:
  // every line after B's start moves to a new offset, none is lost.
  const early = await w.position();
  w.record([`${root}/before-a`]);
  await saveCheck(dir, agent, roots);
  const stateA = readFileSync(sf, 'utf8');
  w.record([`${root}/after-a`]);
  await fill();
  assert.ok(statSync(w.file).size > COMPACT_BYTES);
  const b = await w.checked(early.seq, early.offset, 'e'.repeat(64));
  assert.equal(b.fromOffset, 0, 'B compacted');
  writeFileSync(sf, stateA); // A's state, with its now stale byte offset
  const moved = await plan();
  assert.equal(moved.mode, 'since-last', moved.mode === 'full' ? moved.why.reason : '');
  if (moved.mode === 'since-last') assert.ok(moved.paths.some((p) => p.toString() === `${root}/after-a`));

  // Now the other order: A's position is older than the start of a check that compacts.
  const older = readFileSync(sf, 'utf8');
  await fill();
  const late = await w.position();
  w.record([`${root}/after-late`]);
  await w.checked(late.seq, late.offset, 'f'.repeat(64));
  writeFileSync(sf, older);
  const gone = await plan();
  assert.equal(gone.mode, 'full');
  if (gone.mode === 'full') {
    assert.equal(gone.why.code, 'BW5112', gone.why.reason);
    assert.match(
      gone.why.reason,
      /the journal now starts at line \d+, after the last check's line \d+: another check compacted it/,
    );
  }
});
