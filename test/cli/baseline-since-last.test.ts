// `baseline check --since-last` without a running agent: a full check runs, and both the text
// and the JSON say so and why (BW5103), also when a dead agent left its socket file behind.
// With a stand-in agent on the socket (a real journal writer in this process): a check whose
// position cannot be saved still reports its result and warns (BW5113), and a socket others can
// write is not trusted (BW5114).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenControl, socketPath, type ControlResponse } from '../../src/app/control.js';
import { JournalWriter, journalFile } from '../../src/baseline/journal.js';
import { stateFile } from '../../src/baseline/since-last.js';
import { makeSocket } from '../helpers/baseline-tree.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

function bw(
  env: NodeJS.ProcessEnv,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [CLI, 'baseline', ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A signed baseline of a 5-file tree in a temp dir, then one file changed. */
async function signedTreeWithOneChange(t: {
  after: (f: () => void) => void;
}): Promise<{ dir: string; tree: string; state: string; env: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-cli-since-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  for (let i = 0; i < 5; i++) writeFileSync(join(tree, `f${i}`), `file ${i}\n`);
  const state = join(dir, 'state');
  const env = { BULWARK_STATE_DIR: state, BULWARK_KEY_DIR: join(dir, 'keys') };
  assert.equal((await bw(env, ['keygen'])).code, 0);
  assert.equal((await bw(env, ['init', '--no-packages', tree])).code, 0);
  writeFileSync(join(tree, 'f1'), 'changed\n');
  return { dir, tree, state, env };
}

test('check --since-last with no agent running runs a full check and says why', async (t) => {
  const { state, env } = await signedTreeWithOneChange(t);

  const text = await bw(env, ['check', '--since-last', '--no-packages']);
  assert.equal(text.code, 4, text.stderr);
  assert.match(
    text.stdout,
    /^Mode: full check \(BW5103: no agent is running \(no socket .*agent\.sock\)\)$/m,
  );
  assert.match(text.stderr, /^bulwark: warning BW5103 full check ran: no agent is running/m);
  assert.match(text.stdout, /Summary: 0 added, 0 removed, 1 changed/);

  // A socket file left by an agent that died: nobody answers, same outcome.
  makeSocket(join(state, 'agent.sock'));
  const json = await bw(env, ['check', '--since-last', '--no-packages', '--json']);
  assert.equal(json.code, 4, json.stderr);
  const j = JSON.parse(json.stdout) as {
    mode: string;
    fullReason: { code: string; reason: string };
    note: string;
  };
  assert.equal(j.mode, 'full');
  assert.equal(j.fullReason.code, 'BW5103');
  assert.match(j.fullReason.reason, /^no agent is running \(no answer on .*agent\.sock/);
  assert.match(json.stderr, /warning BW5103 full check ran: no agent is running/);

  // A plain check never warns about the journal.
  const plain = await bw(env, ['check', '--no-packages']);
  assert.equal(plain.stderr, '');
  assert.match(plain.stdout, /^Mode: full check$/m);
});

test('a check whose position cannot be saved still reports its result, and says why (BW5113)', async (t) => {
  const { dir, state, env } = await signedTreeWithOneChange(t);

  // The agent's side, as src/app/journal-hook.ts answers, over a real journal and socket.
  const w = new JournalWriter(journalFile(state));
  w.watch([dir]);
  let refuse: string | null = null;
  const srv = await listenControl(socketPath(state), async (req): Promise<ControlResponse> => {
    if (req.op === 'journal')
      return {
        ok: true,
        journal: {
          ...(await w.position()),
          file: w.file,
          ready: true,
          trees: w.trees,
          synced: true,
          failed: null,
        },
      };
    // This agent only keeps the journal: a check it is asked to run, the CLI runs itself.
    if (req.op !== 'journal-check') return { ok: false, error: `unknown request "${req.op}"` };
    if (refuse) return { ok: false, error: refuse };
    return { ok: true, ...(await w.checked(Number(req.from), Number(req.fromOffset), String(req.digest))) };
  });
  t.after(async () => {
    await srv.close();
    await w.close();
  });
  const check = () => bw(env, ['check', '--since-last', '--no-packages']);
  const sf = stateFile(state);

  const first = await check();
  assert.equal(first.code, 4, first.stderr);
  assert.match(first.stderr, /warning BW5112 full check ran: no earlier check/);
  assert.ok(existsSync(sf), 'the position was saved');
  const second = await check();
  assert.equal(second.code, 4, second.stderr);
  assert.match(second.stdout, /^Mode: since-last check/m);
  assert.equal(second.stderr, '');

  // Fault: the state's name is taken by a directory, so the rename cannot land.
  rmSync(sf);
  mkdirSync(sf);
  const blocked = await check();
  assert.equal(blocked.code, 4, `the result stands: ${blocked.stderr}`);
  assert.match(blocked.stdout, /Summary: 0 added, 0 removed, 1 changed/);
  assert.match(
    blocked.stderr,
    /^bulwark: warning BW5113 check position not recorded: cannot save .*since-last\.json: .*; the next --since-last runs a full check$/m,
  );
  rmSync(sf, { recursive: true });

  // The agent does not record the check: the warning carries its reason.
  refuse = 'writing the journal: no space left on device';
  const unrecorded = await check();
  assert.equal(unrecorded.code, 4, unrecorded.stderr);
  assert.match(
    unrecorded.stderr,
    /warning BW5113 check position not recorded: the agent did not record the check in its journal \(writing the journal: no space left on device\)/,
  );
  assert.ok(!existsSync(sf), 'no state saved without its journal record');
  refuse = null;

  // A socket others can write: whoever answers there is not trusted.
  chmodSync(socketPath(state), 0o666);
  const open = await check();
  assert.equal(open.code, 4, open.stderr);
  assert.match(
    open.stdout,
    /^Mode: full check \(BW5114: the agent's control socket cannot be trusted: .*mode 0666/m,
  );
  assert.match(open.stderr, /warning BW5114 full check ran/);
  assert.match(open.stdout, /Summary: 0 added, 0 removed, 1 changed/);
  // A plain check (no --since-last) that would record the position says it did not, and why.
  const plain = await bw(env, ['check', '--no-packages']);
  assert.equal(plain.code, 4, plain.stderr);
  assert.match(
    plain.stderr,
    /warning BW5114 check position not recorded: the agent's control socket cannot be trusted: .*mode 0666/,
  );
});
