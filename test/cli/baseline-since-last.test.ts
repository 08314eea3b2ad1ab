// `baseline check --since-last` without a running agent: a full check runs, and both the text
// and the JSON say so and why (BW5103), also when a dead agent left its socket file behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

test('check --since-last with no agent running runs a full check and says why', async (t) => {
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

  const text = await bw(env, ['check', '--since-last', '--no-packages']);
  assert.equal(text.code, 4, text.stderr);
  assert.match(
    text.stdout,
    /^Mode: full check \(BW5103: no agent is running \(no socket .*agent\.sock\)\)$/m,
  );
  assert.match(text.stderr, /^bulwark: warning BW5103 full check ran: no agent is running/m);
  assert.match(text.stdout, /Summary: 0 added, 0 removed, 1 changed/);

  // A socket file left by an agent that died: nobody answers, same outcome.
  execFileSync('python3', [
    '-c',
    'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])',
    join(state, 'agent.sock'),
  ]);
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
