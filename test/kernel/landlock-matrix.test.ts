// The operation matrix on a real kernel: a readOnly Block policy on a temp tree, each operation
// run inside a Landlock-sandboxed shell (prevented ones fail with EACCES and give exactly one
// denial event with op, full path, flags and process; detect-only ones succeed and give a change
// event) and outside any sandbox (all succeed and give change events with the acting process).
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IS_ROOT, needKernel } from '../helpers/kernel.js';
import {
  auditEnabled,
  blockPolicy,
  landlockAbi,
  nativeBuilt,
  openSensors,
  otherHelpers,
  ownCgroupId,
  planFor,
  ruleSetFrom,
  runShell,
  tempTree,
  type Sensors,
} from '../helpers/sensor.js';
import { decodeOpenFlags, type LandlockPlan, type SensorEvent } from '../../src/sensor/index.js';
import type { Operation } from '../../src/policy/types.js';

const ready = IS_ROOT && nativeBuilt() && landlockAbi() >= 7;
const base = ready ? tempTree() : '/nonexistent';
const P = path.join(base, 'prot');
const O = path.join(base, 'out');

interface Case {
  name: string;
  cmd: string;
  prevented: boolean;
  op: Operation;
  path: string;
  second?: string;
  exe?: string;
  flags?: string;
  syscall?: string;
}

const CASES: Case[] = [
  {
    name: 'touch (new file)',
    cmd: `touch ${P}/new`,
    prevented: true,
    op: 'create',
    path: `${P}/new`,
    exe: '/usr/bin/touch',
    flags: 'O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK',
    syscall: 'SYS_OPENAT',
  },
  {
    name: 'echo >>',
    cmd: `echo x >> ${P}/f`,
    prevented: true,
    op: 'write',
    path: `${P}/f`,
    exe: '/usr/bin/dash',
    flags: 'O_WRONLY|O_CREAT|O_APPEND',
    syscall: 'SYS_OPENAT',
  },
  {
    name: 'rm',
    cmd: `rm ${P}/f`,
    prevented: true,
    op: 'unlink',
    path: `${P}/f`,
    exe: '/usr/bin/rm',
    syscall: 'SYS_UNLINKAT',
  },
  {
    name: 'mv out',
    cmd: `mv ${P}/f ${O}/`,
    prevented: true,
    op: 'rename',
    path: `${P}/f`,
    second: `${O}/f`,
    exe: '/usr/bin/mv',
  },
  {
    name: 'mv in',
    cmd: `mv ${O}/g ${P}/`,
    prevented: true,
    op: 'rename',
    path: `${O}/g`,
    second: `${P}/g`,
    exe: '/usr/bin/mv',
  },
  {
    name: 'mkdir',
    cmd: `mkdir ${P}/d`,
    prevented: true,
    op: 'mkdir',
    path: `${P}/d`,
    exe: '/usr/bin/mkdir',
    syscall: 'SYS_MKDIR',
  },
  {
    name: 'rmdir',
    cmd: `rmdir ${P}/sub`,
    prevented: true,
    op: 'rmdir',
    path: `${P}/sub`,
    exe: '/usr/bin/rmdir',
    syscall: 'SYS_RMDIR',
  },
  {
    name: 'ln',
    cmd: `ln ${P}/f ${P}/h`,
    prevented: true,
    op: 'link',
    path: `${P}/f`,
    second: `${P}/h`,
    exe: '/usr/bin/ln',
    syscall: 'SYS_LINKAT',
  },
  {
    name: 'ln -s',
    cmd: `ln -s f ${P}/s`,
    prevented: true,
    op: 'symlink',
    path: `${P}/s`,
    exe: '/usr/bin/ln',
    syscall: 'SYS_SYMLINKAT',
  },
  // truncate(1) opens the file for writing first; that open is what Landlock refuses.
  {
    name: 'truncate',
    cmd: `truncate -s0 ${P}/f`,
    prevented: true,
    op: 'write',
    path: `${P}/f`,
    exe: '/usr/bin/truncate',
    flags: 'O_WRONLY|O_CREAT|O_NONBLOCK',
  },
  {
    name: 'chmod',
    cmd: `chmod 600 ${P}/f`,
    prevented: false,
    op: 'chmod',
    path: `${P}/f`,
    exe: '/usr/bin/chmod',
  },
  {
    name: 'chown',
    cmd: `chown 1:1 ${P}/f`,
    prevented: false,
    op: 'chown',
    path: `${P}/f`,
    exe: '/usr/bin/chown',
  },
  {
    name: 'setfattr',
    cmd: `setfattr -n user.bw -v 1 ${P}/f`,
    prevented: false,
    op: 'setxattr',
    path: `${P}/f`,
    exe: '/usr/bin/setfattr',
  },
  {
    name: 'touch -d',
    cmd: `touch -d 2000-01-01 ${P}/f`,
    prevented: false,
    op: 'utimes',
    path: `${P}/f`,
    exe: '/usr/bin/touch',
  },
];

/** The change event(s) an operation gives outside the sandbox. */
function changeMatches(c: Case, e: SensorEvent): boolean {
  if (e.kind !== 'change') return false;
  if (c.op === 'truncate' || c.op === 'write') return e.op === 'write' && e.path === c.path;
  if (!c.prevented) return e.path === c.path && (e.opCandidates ?? [e.op]).includes(c.op);
  if (c.op === 'link') return e.op === 'link' && e.path === c.second;
  if (c.op === 'rename') return e.op === 'rename' && e.path === c.path && e.secondPath === c.second;
  return e.op === c.op && e.path === c.path;
}

let s: Sensors;
let plan: LandlockPlan;
let seq = 0;

/** Rebuilds the tree from outside, then waits until fanotify delivered a sentinel after it. */
async function reset(): Promise<number> {
  rmSync(P, { recursive: true, force: true });
  rmSync(O, { recursive: true, force: true });
  mkdirSync(`${P}/sub`, { recursive: true });
  mkdirSync(O, { recursive: true });
  writeFileSync(`${P}/f`, 'protected\n');
  writeFileSync(`${O}/g`, 'outside\n');
  const sentinel = `${P}/.sync-${++seq}`;
  writeFileSync(sentinel, '');
  const hit = await s.log.waitFor((e) => e.kind === 'change' && e.path === sentinel);
  assert.ok(hit, 'fanotify delivered the sentinel');
  rmSync(sentinel);
  await s.log.waitFor((e) => e.kind === 'change' && e.op === 'unlink' && e.path === sentinel);
  return s.log.mark();
}

describe('Landlock + audit + fanotify operation matrix', { concurrency: false }, () => {
  let auditBefore = '';
  let alone = false;
  before(async () => {
    if (!ready) return;
    alone = otherHelpers().length === 0;
    auditBefore = auditEnabled();
    mkdirSync(P, { recursive: true });
    const rs = ruleSetFrom(blockPolicy(P, { readOnly: true }));
    plan = planFor(rs);
    s = await openSensors(rs);
  });
  after(async () => {
    if (!ready) return;
    await s.close();
    rmSync(base, { recursive: true, force: true });
    // A running agent's helpers share the audit state: judge it only when these tests ran alone.
    if (alone && otherHelpers().length === 0)
      assert.equal(auditEnabled(), auditBefore, 'audit enabled state restored');
  });

  test('cat is allowed under readOnly, inside the sandbox', async (t) => {
    if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
    const m = await reset();
    const r = await runShell(`cat ${P}/f`, plan);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'protected\n');
    await new Promise((res) => setTimeout(res, 300));
    assert.deepEqual(
      s.log.since(m).filter((e) => e.kind === 'denial'),
      [],
    );
  });

  for (const c of CASES) {
    test(`inside the sandbox: ${c.name} is ${c.prevented ? 'prevented' : 'detected only'}`, async (t) => {
      if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
      const m = await reset();
      const r = await runShell(c.cmd, plan);
      if (c.prevented) {
        assert.notEqual(r.code, 0, `${c.cmd} should fail`);
        assert.match(r.stderr, /Permission denied/);
        const d = await s.log.waitFor((e) => e.kind === 'denial', m);
        assert.ok(d && d.kind === 'denial', 'a denial event arrived');
        await new Promise((res) => setTimeout(res, 300));
        const denials = s.log.since(m).filter((e) => e.kind === 'denial');
        assert.equal(denials.length, 1, `exactly one denial: ${JSON.stringify(denials)}`);
        assert.equal(d.op, c.op);
        assert.equal(d.path, c.path);
        if (c.second) assert.equal(d.secondPath, c.second);
        assert.equal(d.errno, 13);
        assert.equal(d.source, 'landlock');
        if (c.flags) assert.equal(decodeOpenFlags(d.flags ?? -1), c.flags);
        if (c.syscall) assert.equal(d.syscall, c.syscall);
        assert.equal(d.proc.exe, c.exe);
        assert.ok(d.proc.pid > 0 && d.proc.ppid > 0);
        assert.equal(d.proc.uid, 0);
        assert.ok(d.domainPid === r.pid, 'the domain belongs to the sandboxed workload');
        assert.equal(d.proc.cgroupId, ownCgroupId(), "the caller's cgroup (for workload attribution)");
      } else {
        assert.equal(r.code, 0, r.stderr);
        const ch = await s.log.waitFor((e) => changeMatches(c, e), m);
        assert.ok(ch && ch.kind === 'change', `a change event for ${c.name}`);
        await new Promise((res) => setTimeout(res, 200));
        const denials = s.log.since(m).filter((e) => e.kind === 'denial');
        // touch -d first tries to open the file for writing (refused), then sets the times.
        const allowed = c.name === 'touch -d' ? 1 : 0;
        assert.ok(denials.length <= allowed, JSON.stringify(denials));
        for (const d of denials) assert.ok(d.kind === 'denial' && d.op === 'write' && d.path === c.path);
      }
    });
  }

  for (const c of CASES) {
    test(`outside the sandbox: ${c.name} succeeds and is reported with the acting process`, async (t) => {
      if (!needKernel(t, ready, 'needs root, native build and Landlock ABI 7')) return;
      const m = await reset();
      // The shell stays alive a moment so operations it does itself are attributed in full.
      const r = await runShell(`${c.cmd} && sleep 0.3`, undefined);
      assert.equal(r.code, 0, r.stderr);
      const ch = await s.log.waitFor((e) => changeMatches(c, e), m);
      assert.ok(ch && ch.kind === 'change', `change event for ${c.name}: ${JSON.stringify(s.log.since(m))}`);
      assert.ok(ch.proc && ch.proc.pid > 0, 'the kernel gave the acting pid');
      // Short-lived tools may exit before the event is read: then the event says so.
      if (!ch.proc.gone) {
        assert.equal(ch.proc.exe, c.exe);
        assert.equal(ch.proc.uid, 0);
        assert.ok(ch.proc.ppid > 0);
      }
      if (c.exe === '/usr/bin/dash') assert.equal(ch.proc.gone, undefined, 'the shell was alive');
      assert.deepEqual(
        s.log.since(m).filter((e) => e.kind === 'denial'),
        [],
      );
    });
  }
});
