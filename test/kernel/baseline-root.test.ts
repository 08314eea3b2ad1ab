// Baseline mutations that need root (owner, group, file capabilities, chattr flags, device
// nodes), per-entry permission errors when scanning as an unprivileged user, files changing
// during the scan, and a differential against AIDE on the same mutated tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBaseline, initBaseline } from '../../src/baseline/engine.js';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import {
  buildTree,
  mismatches,
  mutateTree,
  pathBuf,
  sh,
  testSettings,
  type Expectation,
} from '../helpers/baseline-tree.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function tmp(t: { after: (fn: () => void) => void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => {
    spawnSync('chattr', ['-R', '-i', '-a', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Root-only mutations; adds their expectations. */
function mutateAsRoot(root: string, exp: Map<string, Expectation>): void {
  const at = (name: string, e: Expectation) => exp.set(pathBuf(root, name).toString('hex'), e);
  chownSync(join(root, 'owned'), 1234, 0);
  at('owned', { kind: 'changed', must: ['uid', 'ctime'] });
  chownSync(join(root, 'grouped'), 0, 4321);
  at('grouped', { kind: 'changed', must: ['gid', 'ctime'] });
  sh('setcap', ['cap_net_raw+ep', join(root, 'capped')]);
  at('capped', { kind: 'changed', must: ['caps', 'ctime'] });
  sh('chattr', ['+d', join(root, 'flagged')]); // nodump: harmless, visible in FS_IOC_GETFLAGS
  at('flagged', { kind: 'changed', must: ['flags', 'ctime'] });
  unlinkSync(join(root, 'null-dev'));
  sh('mknod', [join(root, 'null-dev'), 'c', '1', '5']); // was 1:3 (null), now 1:5 (zero)
  at('null-dev', { kind: 'changed', must: ['rdev'], may: ['inode', 'mtime', 'ctime'] });
  sh('mknod', [join(root, 'blk-dev'), 'b', '7', '200']);
  at('blk-dev', { kind: 'added' });
}

function buildRootParts(root: string): void {
  for (const n of ['owned', 'grouped', 'capped', 'flagged']) writeFileSync(join(root, n), `${n}\n`);
  sh('mknod', [join(root, 'null-dev'), 'c', '1', '3']);
}

test('owner, group, capability, chattr flag and device changes are reported exactly', async (t) => {
  if (!needKernel(t, IS_ROOT && has('setcap') && has('chattr'), 'needs root, setcap and chattr')) return;
  const dir = tmp(t, 'bw-root-');
  const root = join(dir, 'tree');
  buildTree(root);
  buildRootParts(root);
  const settings = testSettings(dir);
  await initBaseline({ settings, paths: [root], packages: false });
  const exp = mutateTree(root);
  mutateAsRoot(root, exp);
  const r = await checkBaseline({ settings, packages: false });
  assert.deepEqual(mismatches(r.changes, exp), []);
  const caps = r.changes
    .find((c) => c.path.toString().endsWith('/capped'))
    ?.attributes.find((a) => a.attribute === 'caps');
  assert.equal(caps?.new, 'cap_net_raw=ep');
});

/** AIDE's plain report (read as latin1): paths under Added/Removed/Changed entries, \ooo escapes decoded. */
function aidePaths(report: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  for (const line of report.split('\n')) {
    const s = /^(Added|Removed|Changed) entries:$/.exec(line);
    if (s) {
      section = s[1].toLowerCase();
      continue;
    }
    if (line.startsWith('Detailed information')) section = '';
    const m = /^[a-zA-Z!?|-][^:]*: (\/.*)$/.exec(line);
    if (!section || !m) continue;
    const bytes: number[] = [];
    const p = m[1];
    for (let i = 0; i < p.length; i++) {
      if (p[i] === '\\' && /^[0-7]{3}$/.test(p.slice(i + 1, i + 4))) {
        bytes.push(parseInt(p.slice(i + 1, i + 4), 8));
        i += 3;
      } else bytes.push(p.charCodeAt(i));
    }
    out.set(Buffer.from(bytes).toString('hex'), section);
  }
  return out;
}

test('differential: the paths Bulwark reports equal the paths AIDE reports for shared attributes', async (t) => {
  if (
    !needKernel(
      t,
      IS_ROOT && has('aide') && has('setcap'),
      'needs root and aide (scripts/system-packages.txt)',
    )
  )
    return;
  const dir = tmp(t, 'bw-aide-');
  const root = join(dir, 'tree');
  buildTree(root);
  buildRootParts(root);
  const conf = join(dir, 'aide.conf');
  writeFileSync(
    conf,
    [
      `database_in=file:${dir}/aide.db`,
      `database_out=file:${dir}/aide.db.new`,
      'gzip_dbout=no',
      'num_workers=2',
      'report_url=stdout',
      // Attributes both record: type, perms, inode, links, owner, group, size, mtime, ctime,
      // link target, sha256, ACLs, xattrs, SELinux, capabilities, ext2 flags.
      'BW = ftype+p+i+n+u+g+s+m+c+l+sha256+acl+xattrs+selinux+caps+e2fsattrs',
      `${root} BW`,
      '',
    ].join('\n'),
  );
  execFileSync('aide', ['--config', conf, '--init'], { stdio: 'pipe' });
  execFileSync('mv', [`${dir}/aide.db.new`, `${dir}/aide.db`]);
  const settings = testSettings(dir);
  await initBaseline({ settings, paths: [root], packages: false });
  // AIDE keeps times in whole seconds: let the clock move on so it can see them change too.
  await new Promise((r) => setTimeout(r, 1100));
  const exp = mutateTree(root);
  mutateAsRoot(root, exp);
  // latin1 keeps every byte of the report (AIDE prints some names raw).
  const aide = spawnSync('aide', ['--config', conf, '--check'], { encoding: 'latin1' });
  assert.ok(aide.status !== null && aide.status < 14, `aide --check failed: ${aide.stderr}`);
  const theirs = aidePaths(aide.stdout);
  const r = await checkBaseline({ settings, packages: false });
  const ours = new Map(r.changes.map((c) => [c.path.toString('hex'), c.kind as string]));
  const show = (m: Map<string, string>) =>
    [...m].map(([k, v]) => `${v} ${JSON.stringify(Buffer.from(k, 'hex').toString('latin1'))}`).sort();
  assert.ok(theirs.size > 10, `AIDE report parsed: ${aide.stdout.slice(0, 500)}`);
  assert.deepEqual(show(ours), show(theirs));
});

test('permission errors are reported per entry and the scan goes on (as nobody)', async (t) => {
  if (
    !needKernel(
      t,
      IS_ROOT && has('setpriv') && existsSync(CLI),
      'needs root, setpriv and a build (dist/cli.js)',
    )
  )
    return;
  const dir = tmp(t, 'bw-perm-');
  chmodSync(dir, 0o755);
  const root = join(dir, 'tree');
  mkdirSync(join(root, 'closed'), { recursive: true });
  writeFileSync(join(root, 'open'), 'readable\n');
  writeFileSync(join(root, 'secret'), 'unreadable\n');
  writeFileSync(join(root, 'closed', 'inside'), 'unlistable\n');
  chmodSync(join(root, 'secret'), 0o000);
  chmodSync(join(root, 'closed'), 0o000);
  sh('chown', ['-R', 'nobody:nogroup', dir]);
  chownSync(join(root, 'secret'), 0, 0);
  chownSync(join(root, 'closed'), 0, 0);
  const env = { ...process.env, BULWARK_STATE_DIR: join(dir, 'state'), BULWARK_KEY_DIR: join(dir, 'keys') };
  const asNobody = (args: string[]) =>
    spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', 'node', CLI, 'baseline', ...args],
      { env, encoding: 'utf8' },
    );
  assert.equal(asNobody(['keygen']).status, 0);
  const init = asNobody(['init', root, '--json', '--no-packages']);
  assert.equal(init.status, 0, init.stderr);
  const problems = (JSON.parse(init.stdout) as { problems: Array<{ path: string; error: string }> }).problems;
  assert.deepEqual(problems.map((p) => [p.path, p.error.split(' ')[0]]).sort(), [
    [join(root, 'closed'), 'EACCES'],
    [join(root, 'secret'), 'EACCES'],
  ]);
  const check = asNobody(['check', '--json', '--no-packages']);
  assert.equal(check.status, 8, check.stderr); // only the "not read fully" bit
  const j = JSON.parse(check.stdout) as { changes: unknown[]; problems: unknown[] };
  assert.deepEqual(j.changes, []);
  assert.equal(j.problems.length, 2);
});

test('a file that changes while it is read is flagged, and a FIFO never blocks', async (t) => {
  if (!needKernel(t, true, '')) return;
  const dir = tmp(t, 'bw-moving-');
  const root = join(dir, 'tree');
  mkdirSync(root);
  sh('mkfifo', [join(root, 'fifo')]); // no writer: opening it for reading would block forever
  const big = join(root, 'growing.log');
  writeFileSync(big, Buffer.alloc(64 << 20, 1));
  // A writer that appends without pause for the whole scan.
  const writer = spawn('sh', ['-c', `while :; do echo line >> '${big}'; done`], { stdio: 'ignore' });
  t.after(() => writer.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 200));
  const settings = testSettings(dir);
  const r = await initBaseline({ settings, paths: [root], packages: false });
  writer.kill('SIGKILL');
  const moving = r.problems.find((e) => e.key.toString().endsWith('growing.log'));
  assert.ok(moving, 'the growing file is reported');
  assert.notEqual(moving.scanFlags, 0, 'flagged as changed during the scan');
  appendFileSync(big, 'x'); // (the baseline stays usable)
  const c = await checkBaseline({ settings, packages: false });
  assert.ok(c.changes.some((x) => x.path.toString() === big));
});
