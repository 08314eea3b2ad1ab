// `bulwark config check|show` through the built CLI (run `npm run build` first; npm test does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const example = join(repo, 'deploy/config/bulwark.yaml');

function bulwark(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, 'dist/cli.js'), ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('config check: the example is valid', () => {
  const r = bulwark('config', 'check', '--config', example);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, `${example}: ok\n`);
});

test('config check: located findings, exit 1, JSON form', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-cfg-cli-'));
  try {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'sensor: landlok\nthrottle:\n  maxAlertsPerSec: -1\n');
    const r = bulwark('config', 'check', '--config', file, '--set', 'api.grpc.listen=nowhere');
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      [
        `${file}:1:9 error BW4005 not one of the allowed values (auto, bpf-lsm, landlock, fanotify, replay, none) (sensor)`,
        '    found: "landlok"',
        '    fix:   write landlock',
        `${file}:3:20 error BW4006 out of range: must be 1 to 1000000 (throttle.maxAlertsPerSec)`,
        '    found: -1',
        '    fix:   use a whole number from 1 to 1000000',
        '<command line> error BW4007 --set api.grpc.listen: not in the expected format (api.grpc.listen)',
        '    found: "nowhere"',
        '    fix:   write HOST:PORT (127.0.0.1:32767), [IPv6]:PORT ([::1]:32767) or unix:/absolute/path.sock',
        `${file}: INVALID, 3 errors`,
        '',
      ].join('\n'),
    );
    const j = bulwark('config', 'check', '--config', file, '--json');
    assert.equal(j.code, 1);
    const doc = JSON.parse(j.stdout) as {
      ok: boolean;
      file: string;
      diagnostics: { code: string; line: number }[];
    };
    assert.equal(doc.ok, false);
    assert.equal(doc.file, file);
    assert.deepEqual(
      doc.diagnostics.map((d) => [d.code, d.line]),
      [
        ['BW4005', 1],
        ['BW4006', 3],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config show: flags over file over defaults', () => {
  const r = bulwark(
    'config',
    'show',
    '--config',
    example,
    '--state-dir',
    '/tmp/bw-show',
    '--posture',
    'block',
    '--set',
    'throttle.throttleSec=5',
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout) as {
    stateDir: string;
    posture: { workload: string; namespaces: Record<string, string> };
    throttle: { throttleSec: number; maxAlertsPerSec: number };
    sinks: { file: { path: string } };
  };
  assert.equal(c.stateDir, '/tmp/bw-show');
  assert.equal(c.posture.workload, 'block');
  assert.equal(c.posture.namespaces['wordpress-mysql'], 'block', 'from the file');
  assert.equal(c.throttle.throttleSec, 5);
  assert.equal(c.throttle.maxAlertsPerSec, 10, 'default');
  assert.equal(c.sinks.file.path, '/var/log/bulwark/alerts.log', 'the file names a path');
  const bad = bulwark('config', 'show', '--sensor', 'nope');
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /<command line> error BW4005 --sensor/);
});
