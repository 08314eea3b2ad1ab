// `baseline check --since-last` with a real agent (fanotify): the tree is mutated in every way the
// baseline tests know while the agent runs; the since-last check must run as such, re-read far
// fewer entries, and report exactly what a full check reports (also for a file written through a
// hard link outside the watched tree). After an agent restart the next
// --since-last must run full and say why (BW5108); after a gap (helper killed) too (BW5109).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import { execFileSync } from 'node:child_process';
import {
  bulwark,
  dirPolicy,
  removeDir,
  sleep,
  startAgent,
  tempDir,
  type TestAgent,
} from '../helpers/agent.js';
import { buildTree, mismatches, mutateTree, pathBuf } from '../helpers/baseline-tree.js';
import type { Change } from '../../src/baseline/types.js';

interface CheckJson {
  mode: string;
  note?: string;
  fullReason?: { code: string; reason: string };
  sinceLast?: { targets: number; paths: number; content: string };
  stats: { entries: number };
  counts: Record<string, number>;
  exit: number;
  changes: { kind: Change['kind']; path: string | { b64: string }; attributes: Change['attributes'] }[];
  problems: unknown[];
}

/** A key pair under dir/keys and a signed baseline of `tree` under dir/state. */
function baselineOf(dir: string, tree: string): { key: string; state: string } {
  const key = join(dir, 'keys', 'signing.key');
  const state = join(dir, 'state');
  assert.equal(bulwark(['baseline', 'keygen', '--key', key]).code, 0);
  const init = bulwark(['baseline', 'init', '--state-dir', state, '--key', key, '--no-packages', tree]);
  assert.equal(init.code, 0, init.stderr);
  return { key, state };
}

/** `baseline check --no-packages --json ARGS`, which must run (exit bits below 32). */
function checkWith(args: string[]): { j: CheckJson; stderr: string } {
  const r = bulwark(['baseline', 'check', '--no-packages', '--json', ...args]);
  assert.ok(r.code !== null && r.code < 32, `check failed (${r.code}): ${r.stderr}`);
  return { j: JSON.parse(r.stdout) as CheckJson, stderr: r.stderr };
}

function check(state: string, key: string, extra: string[] = []): { j: CheckJson; stderr: string } {
  return checkWith(['--state-dir', state, '--pubkey', key.replace(/\.key$/, '.pub'), ...extra]);
}

function asChanges(j: CheckJson): Change[] {
  return j.changes.map((c) => ({
    kind: c.kind,
    path: typeof c.path === 'string' ? Buffer.from(c.path) : Buffer.from(c.path.b64, 'base64'),
    attributes: c.attributes,
  }));
}

/** What a full check and a since-last check must agree on. */
function verdict(j: CheckJson): unknown {
  return { counts: j.counts, exit: j.exit, changes: j.changes, problems: j.problems };
}

test('check --since-last re-reads only what the agent journalled and reports what a full check reports', async (t) => {
  if (!needKernel(t, IS_ROOT, 'needs root (fanotify)')) return;
  const dir = tempDir('bw-e2e-since-');
  const tree = join(dir, 'tree');
  buildTree(tree);
  // A second name outside the watched tree: writes through it make no event for the tree's name.
  const outside = join(dir, 'outside-link');
  linkSync(join(tree, 'untouched/f2'), outside);
  const { key, state } = baselineOf(dir, tree);
  const policies = { 'audit.yaml': dirPolicy({ name: 'tree-audit', dir: tree, action: 'Audit' }) };
  const args = ['--set', `baseline.key=${key}`];
  let agent: TestAgent | null = await startAgent({ dir, args, policies });
  t.after(async () => {
    await agent?.stop();
    removeDir(dir);
  });

  // First check with the agent running: nothing to start from yet, so full, and it says why.
  let r = check(state, key, ['--since-last']);
  assert.equal(r.j.mode, 'full');
  assert.equal(r.j.fullReason?.code, 'BW5112');
  assert.match(r.stderr, /warning BW5112 full check ran: no earlier check/);
  const entries = r.j.stats.entries;

  const expected = mutateTree(tree);
  appendFileSync(outside, 'written through the outside name\n');
  expected.set(pathBuf(tree, 'untouched/f2').toString('hex'), {
    kind: 'changed',
    must: ['size', 'sha256', 'mtime', 'ctime'],
  });
  const since = check(state, key, ['--since-last']).j;
  assert.equal(since.mode, 'since-last', JSON.stringify(since.fullReason));
  assert.match(since.note ?? '', /run by the agent \(pid \d+\)/, 'the running agent did the check');
  const full = check(state, key).j;
  assert.equal(full.mode, 'full');
  assert.ok(!full.note?.includes('run by the agent'), 'a plain check runs in the CLI');
  assert.deepEqual(verdict(since), verdict(full), 'since-last and full checks report the same');
  assert.deepEqual(mismatches(asChanges(since), expected), []);
  assert.ok(
    since.stats.entries < entries / 2,
    `since-last re-read ${since.stats.entries} of ${entries} entries`,
  );

  // No change since: the differences of the last check are re-read and still reported.
  const again = check(state, key, ['--since-last']).j;
  assert.equal(again.mode, 'since-last');
  assert.deepEqual(verdict(again), verdict(full));
  // A check against another public key file is not the agent's baseline: the CLI runs it itself.
  const otherPub = join(dir, 'copy.pub');
  copyFileSync(key.replace(/\.key$/, '.pub'), otherPub);
  const own = checkWith(['--state-dir', state, '--pubkey', otherPub, '--since-last']);
  const ownJ = own.j;
  assert.equal(ownJ.mode, 'since-last', own.stderr);
  assert.ok(!ownJ.note?.includes('run by the agent'), ownJ.note);
  assert.deepEqual(verdict(ownJ), verdict(full));

  // A restart: changes made while no agent ran are in no journal, so the next check runs full.
  await agent.stop();
  agent = null;
  bulwark([
    'baseline',
    'check',
    '--state-dir',
    state,
    '--pubkey',
    key.replace(/\.key$/, '.pub'),
    '--no-packages',
  ]);
  agent = await startAgent({ dir, args, policies });
  r = check(state, key, ['--since-last']);
  assert.equal(r.j.mode, 'full');
  assert.equal(r.j.fullReason?.code, 'BW5108');
  assert.match(r.stderr, /warning BW5108 full check ran: the agent restarted since the last check/);
  assert.deepEqual(verdict(r.j), verdict(full));
  // ... and the one after that is a since-last check again.
  assert.equal(check(state, key, ['--since-last']).j.mode, 'since-last');

  // A gap (the fanotify helper killed and restarted): events may be lost, so full again (BW5109).
  const helper = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(agent.proc.pid)], {
    encoding: 'utf8',
  })
    .split('\n')
    .find((l) => /bulwark-helper run --fanotify/.test(l));
  assert.ok(helper, 'the fanotify helper runs as a child of the agent');
  process.kill(Number(helper.trim().split(/\s+/)[0]), 'SIGKILL');
  const deadline = Date.now() + 20_000;
  for (;;) {
    const st = JSON.parse(bulwark(['status', '--state-dir', state, '--json']).stdout) as {
      pipeline: { gaps: number };
    };
    if (st.pipeline.gaps > 0) break;
    assert.ok(Date.now() < deadline, 'the gap reaches the agent');
    await sleep(200);
  }
  r = check(state, key, ['--since-last']);
  assert.equal(r.j.mode, 'full');
  assert.equal(r.j.fullReason?.code, 'BW5109', JSON.stringify(r.j.fullReason));
  assert.match(r.j.fullReason?.reason ?? '', /helper-restart/);
  assert.deepEqual(verdict(r.j), verdict(full));

  // Another file system mounted inside the scope is not watched: full (BW5111), naming it.
  assert.equal(check(state, key, ['--since-last']).j.mode, 'since-last');
  const mnt = join(tree, 'dir1');
  execFileSync('mount', ['-t', 'tmpfs', 'bw-e2e', mnt]);
  try {
    r = check(state, key, ['--since-last']);
    assert.equal(r.j.fullReason?.code, 'BW5111', JSON.stringify(r.j.fullReason));
    assert.match(r.j.fullReason?.reason ?? '', new RegExp(`mounted at ${mnt} `));
  } finally {
    execFileSync('umount', [mnt]);
  }
});

test('a hard link made in a watched tree outside the baseline scope and written through is found', async (t) => {
  if (!needKernel(t, IS_ROOT, 'needs root (fanotify)')) return;
  const dir = tempDir('bw-e2e-since-link-');
  const tree = join(dir, 'tree');
  buildTree(tree);
  const { key, state } = baselineOf(dir, tree);
  // The agent watches all of dir; the baseline covers only dir/tree.
  const policies = { 'audit.yaml': dirPolicy({ name: 'dir-audit', dir, action: 'Audit' }) };
  const agent = await startAgent({ dir, args: ['--set', `baseline.key=${key}`], policies });
  t.after(async () => {
    await agent.stop();
    removeDir(dir);
  });
  assert.equal(check(state, key, ['--since-last']).j.fullReason?.code, 'BW5112');
  assert.equal(check(state, key, ['--since-last']).j.mode, 'since-last');

  // A new name for a baseline file, outside the scope, then a write through it only.
  const other = join(dir, 'elsewhere');
  linkSync(join(tree, 'untouched/f2'), other);
  appendFileSync(other, 'written through a name made after the last check\n');
  const since = check(state, key, ['--since-last']).j;
  assert.equal(since.mode, 'since-last', JSON.stringify(since.fullReason));
  const full = check(state, key).j;
  assert.ok(
    full.changes.some((c) => c.path === join(tree, 'untouched/f2')),
    `the full check sees it: ${JSON.stringify(full.changes.map((c) => c.path))}`,
  );
  assert.deepEqual(verdict(since), verdict(full), 'since-last and full checks report the same');

  // Only names of files with a link outside the scope are re-read every time (the saved state
  // lists them): f2 has one there; both names of f1 are in the scope.
  const saved = (): string[] =>
    (JSON.parse(readFileSync(join(state, 'baseline', 'since-last.json'), 'utf8')) as { links?: string[] })
      .links ?? [];
  const hex = (rel: string): string => pathBuf(tree, rel).toString('hex');
  assert.deepEqual(saved(), [hex('untouched/f2')]);
  // A write through one name of f1 is journalled under it, and leads the check to the other.
  appendFileSync(join(tree, 'untouched/f1-hardlink'), 'written through the second name\n');
  const since2 = check(state, key, ['--since-last']).j;
  assert.equal(since2.mode, 'since-last', JSON.stringify(since2.fullReason));
  assert.deepEqual(saved(), [hex('untouched/f2')]);
  const full2 = check(state, key).j;
  for (const name of ['untouched/f1', 'untouched/f1-hardlink'])
    assert.ok(
      full2.changes.some((c) => c.path === join(tree, name)),
      `${name} changed: ${JSON.stringify(full2.changes.map((c) => c.path))}`,
    );
  assert.deepEqual(verdict(since2), verdict(full2), 'since-last and full checks report the same');

  // The same check through the command's own parser (--workers is not a form the quick path
  // takes: the agent's result comes back whole and is printed here), and as text.
  const parsed = check(state, key, ['--since-last', '--workers', '1']).j;
  assert.equal(parsed.mode, 'since-last');
  assert.match(parsed.note ?? '', /run by the agent \(pid \d+\)/);
  assert.deepEqual(verdict(parsed), verdict(full2));
  const base = ['baseline', 'check', '--state-dir', state, '--pubkey', key.replace(/\.key$/, '.pub')];
  const text = bulwark([...base, '--no-packages', '--since-last']);
  assert.equal(text.code, full2.exit, text.stderr);
  assert.match(text.stdout, /run by the agent \(pid \d+\)/);
  for (const name of ['untouched/f1', 'untouched/f1-hardlink'])
    assert.ok(text.stdout.includes(join(tree, name)), `${name} in the text report:\n${text.stdout}`);

  // The state directory and key named by a configuration file: read, and the agent asked.
  const cfg = join(dir, 'bulwark.yaml');
  writeFileSync(cfg, `stateDir: ${JSON.stringify(state)}\nbaseline:\n  key: ${JSON.stringify(key)}\n`);
  const viaConfig = checkWith(['--config', cfg, '--since-last']);
  const vc = viaConfig.j;
  assert.equal(vc.mode, 'since-last', viaConfig.stderr);
  assert.match(vc.note ?? '', /run by the agent \(pid \d+\)/);
  assert.deepEqual(verdict(vc), verdict(full2));
});

test('hard-linked names under a directory that changed too are all re-read', async (t) => {
  if (!needKernel(t, IS_ROOT, 'needs root (fanotify)')) return;
  const dir = tempDir('bw-e2e-since-subtree-');
  const tree = join(dir, 'tree');
  buildTree(tree);
  // tree/dl/f and tree/g: one inode, both names in the scope, in different directories.
  mkdirSync(join(tree, 'dl'));
  writeFileSync(join(tree, 'dl/f'), 'one inode, two names\n');
  linkSync(join(tree, 'dl/f'), join(tree, 'g'));
  // More than the 32 MiB above which the agent hashes in the workers it keeps (engine.ts).
  writeFileSync(join(tree, 'big'), Buffer.alloc(40 << 20, 'b'));
  const { key, state } = baselineOf(dir, tree);
  const policies = { 'audit.yaml': dirPolicy({ name: 'tree-audit', dir: tree, action: 'Audit' }) };
  const agent = await startAgent({ dir, args: ['--set', `baseline.key=${key}`], policies });
  t.after(async () => {
    await agent.stop();
    removeDir(dir);
  });
  assert.equal(check(state, key, ['--since-last']).j.fullReason?.code, 'BW5112');
  const same = (what: string, must: string[]): void => {
    const since = check(state, key, ['--since-last']).j;
    assert.equal(since.mode, 'since-last', JSON.stringify(since.fullReason));
    const full = check(state, key).j;
    for (const p of must)
      assert.ok(
        full.changes.some((c) => c.path === join(tree, p)),
        `${what}: the full check reports ${p}: ${JSON.stringify(full.changes.map((c) => c.path))}`,
      );
    assert.deepEqual(verdict(since), verdict(full), `${what}: since-last and full checks report the same`);
  };

  // The directory changes (its subtree is re-read) and the file in it is written: g changed too.
  chmodSync(join(tree, 'dl'), 0o700);
  appendFileSync(join(tree, 'dl/f'), 'written under a changed directory\n');
  same('a write under a changed directory', ['dl', 'dl/f', 'g']);
  // The same in two steps: the directory first, then the write.
  chmodSync(join(tree, 'dl'), 0o750);
  same('the directory alone', ['dl']);
  appendFileSync(join(tree, 'dl/f'), 'and again\n');
  same('then a write', ['dl/f', 'g']);
  // A new name made in a changed directory for a file elsewhere in the scope: its link count.
  chmodSync(join(tree, 'dl'), 0o755);
  linkSync(join(tree, 'untouched/f2'), join(tree, 'dl/new-name'));
  same('a new link under a changed directory', ['dl', 'dl/new-name', 'untouched/f2']);
  // A check with that many bytes to re-read, twice (the second through the same workers).
  appendFileSync(join(tree, 'big'), 'more\n');
  same('a large file', ['big']);
  appendFileSync(join(tree, 'big'), 'and more\n');
  appendFileSync(join(tree, 'dl/f'), 'with a small one\n');
  same('a large file again, and a hard-linked one', ['big', 'dl/f', 'g']);
});
