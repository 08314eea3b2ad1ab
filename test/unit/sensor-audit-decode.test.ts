// Decoding Landlock denials from audit records as this kernel writes them (texts recorded on the
// development machine), the syscall-argument record the helper adds, and open flags.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditFrame, AuditRecord } from '../../src/sensor/abi.js';
import { decodeDenial, parseFields } from '../../src/sensor/audit-decode.js';
import { decodeOpenFlags, syscallName } from '../../src/sensor/syscalls.js';

const hex = (s: string): string => Buffer.from(s).toString('hex').toUpperCase();

function frame(records: [number, string][]): AuditFrame {
  return {
    op: 'audit',
    timeNs: 0n,
    serial: 3n,
    records: records.map(([type, text]): AuditRecord => ({ type, text })),
  };
}

const SYSCALL_TOUCH =
  'audit(1795850346.167:3): arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c a1=7fff9a9a1aed a2=941 a3=1b6 items=0 ppid=8881 pid=8882 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="touch" exe="/usr/bin/touch" key=(null)';

test('touch of a new file: op create, full path from the argument record, flags, process', () => {
  const ev = decodeDenial(
    frame([
      [
        1423,
        'audit(1795850346.167:3): domain=117d1c378 blockers=fs.make_reg path="/tmp/t/prot" dev="vda" ino=2146996',
      ],
      [
        1424,
        'audit(1795850346.167:3): domain=117d1c378 status=allocated mode=enforcing pid=8881 uid=0 exe="/x/bulwark-sandbox" comm="bulwark-sandbox"',
      ],
      [1300, SYSCALL_TOUCH],
      [1327, `audit(1795850346.167:3): proctitle=${hex('touch\0new')}`],
      [9001, `dirfd=-100 name=${hex('new')} dir=${hex('/tmp/t/prot')}`],
    ]),
  );
  assert.ok(ev);
  assert.equal(ev.op, 'create');
  assert.equal(ev.path, '/tmp/t/prot/new');
  assert.equal(ev.pathIsParent, undefined);
  assert.equal(ev.syscall, 'SYS_OPENAT');
  assert.equal(decodeOpenFlags(ev.flags ?? 0), 'O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK');
  assert.equal(ev.errno, 13);
  assert.deepEqual(ev.proc, {
    pid: 8882,
    ppid: 8881,
    uid: 0,
    exe: '/usr/bin/touch',
    comm: 'touch',
    tty: null,
    cmdline: 'touch new',
    cwd: '/tmp/t/prot',
  });
  assert.equal(ev.domainPid, 8881);
  assert.equal(ev.domain, '117d1c378');
  assert.equal(ev.timeNs, '1795850346167000000');
});

test('without the argument record the event says it only knows the parent directory', () => {
  const ev = decodeDenial(
    frame([
      [1423, 'audit(1.000:3): domain=1 blockers=fs.make_reg path="/tmp/t/prot" dev="vda" ino=1'],
      [1300, SYSCALL_TOUCH],
    ]),
  );
  assert.equal(ev?.path, '/tmp/t/prot');
  assert.equal(ev?.pathIsParent, true);
});

test('write to an existing file: the record path is the file itself', () => {
  const ev = decodeDenial(
    frame([
      [1423, 'audit(1.000:4): domain=1 blockers=fs.write_file path="/tmp/t/prot/f" dev="vda" ino=2'],
      [
        1300,
        SYSCALL_TOUCH.replace('a2=941', 'a2=441').replace(
          'comm="touch" exe="/usr/bin/touch"',
          'comm="sh" exe="/usr/bin/dash"',
        ),
      ],
    ]),
  );
  assert.equal(ev?.op, 'write');
  assert.equal(ev?.path, '/tmp/t/prot/f');
  assert.equal(decodeOpenFlags(ev?.flags ?? 0), 'O_WRONLY|O_CREAT|O_APPEND');
  assert.equal(ev?.proc.exe, '/usr/bin/dash');
});

test('hex-encoded paths (spaces, newlines) are decoded', () => {
  const ev = decodeDenial(
    frame([
      [1423, `audit(1.000:5): domain=1 blockers=fs.write_file path=${hex('/t/a b\nc')} dev="vda" ino=2`],
    ]),
  );
  assert.equal(ev?.path, '/t/a b\nc');
});

const RENAME = (blockers: string, llPath: string, src: string, dst: string): AuditFrame =>
  frame([
    [1423, `audit(1.000:6): domain=1 blockers=${blockers} path="${llPath}" dev="vda" ino=1`],
    [
      1300,
      'audit(1.000:6): arch=c000003e syscall=316 success=no exit=-13 a0=ffffff9c a1=1 a2=ffffff9c a3=2 items=0 ppid=1 pid=2 uid=0 comm="mv" exe="/usr/bin/mv"',
    ],
    [
      9001,
      `dirfd=-100 name=${hex(src)} dir=${hex('/t/prot')} dir2=${hex('/t/prot')} dirfd2=-100 name2=${hex(dst)}`,
    ],
  ]);

test('mv out of the tree: the source side is the protected one', () => {
  const ev = decodeDenial(
    RENAME('fs.write_file,fs.remove_file,fs.make_reg,fs.refer', '/t/prot', 'f', '../out/f'),
  );
  assert.equal(ev?.op, 'rename');
  assert.equal(ev?.path, '/t/prot/f');
  assert.equal(ev?.secondPath, '/t/out/f');
});

test('mv into the tree: Landlock names the destination directory', () => {
  const ev = decodeDenial(RENAME('fs.make_reg,fs.refer', '/t/prot', '../out/g', 'g'));
  assert.equal(ev?.op, 'rename');
  assert.equal(ev?.path, '/t/out/g');
  assert.equal(ev?.secondPath, '/t/prot/g');
});

test('records without a Landlock access record are not denials', () => {
  assert.equal(decodeDenial(frame([[1300, SYSCALL_TOUCH]])), null);
});

test('field parsing and syscall names', () => {
  const f = parseFields('audit(1.0:2): a=1 b="x y" c=(null)');
  assert.equal(f.get('a'), '1');
  assert.equal(f.get('b'), 'x y');
  assert.equal(syscallName(257), 'SYS_OPENAT');
  assert.equal(syscallName(316), 'SYS_RENAMEAT2');
  assert.equal(syscallName(9999), 'SYS_9999');
  assert.equal(decodeOpenFlags(0), 'O_RDONLY');
  assert.equal(decodeOpenFlags(0o2 | 0o4010000 | 0o2000000), 'O_RDWR|O_CLOEXEC|O_SYNC');
  assert.equal(decodeOpenFlags(0o20200000 | 1), 'O_WRONLY|O_TMPFILE');
});
