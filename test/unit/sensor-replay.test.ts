// The replay backend (recorded SensorEvent JSON lines) and fanotify frame decoding.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { ChangeFrame } from '../../src/sensor/abi.js';
import { ATTRIB_OPS, decodeChange } from '../../src/sensor/change-decode.js';
import { ReplayBackend, recordEvents } from '../../src/sensor/replay.js';
import type { SensorEvent } from '../../src/sensor/types.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bw-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const denial: SensorEvent = {
  kind: 'denial',
  source: 'landlock',
  timeNs: '1',
  op: 'create',
  path: '/t/prot/new',
  errno: 13,
  proc: { pid: 5, ppid: 1, uid: 0, exe: '/usr/bin/touch', comm: 'touch' },
};

test('recorded events replay in order, in batches, with stats', async () => {
  const file = path.join(dir, 'events.jsonl');
  const events: SensorEvent[] = Array.from({ length: 1200 }, (_, i) => ({
    kind: 'change',
    source: 'fanotify',
    timeNs: String(i),
    op: 'write',
    path: `/t/f${i}`,
    mask: 2,
  }));
  await recordEvents(file, [
    denial,
    ...events,
    { kind: 'gap', source: 'fanotify', timeNs: '9', cause: 'overflow', lost: 3 },
  ]);
  const b = new ReplayBackend({ files: [file], batchSize: 500 });
  const got: SensorEvent[][] = [];
  await b.open();
  b.onBatch((evs) => got.push(evs));
  await b.done;
  const flat = got.flat();
  assert.equal(flat.length, 1202);
  assert.deepEqual(flat[0], denial);
  assert.equal(flat[1200].kind === 'change' && flat[1200].path, '/t/f1199');
  assert.equal(got.length, 3);
  assert.deepEqual(b.stats(), { backend: 'replay', events: 1201, batches: 3, gaps: 1, lost: 3, restarts: 0 });
  await b.close();
});

test('a malformed line becomes a read-error gap naming the file and line, and replay goes on', async () => {
  const file = path.join(dir, 'bad.jsonl');
  appendFileSync(file, `${JSON.stringify(denial)}\nnot json\n{"kind":"weird"}\n${JSON.stringify(denial)}\n`);
  const b = new ReplayBackend({ files: [file] });
  const got: SensorEvent[] = [];
  await b.open();
  b.onBatch((evs) => got.push(...evs));
  await b.done;
  assert.deepEqual(
    got.map((e) => e.kind),
    ['denial', 'gap', 'gap', 'denial'],
  );
  assert.ok(
    got[1].kind === 'gap' &&
      got[1].cause === 'read-error' &&
      got[1].detail === `${file}:2: not a SensorEvent JSON line`,
  );
});

function change(mask: number, extra: Partial<ChangeFrame> = {}): ChangeFrame {
  return {
    op: 'change',
    timeNs: 5n,
    flags: 0,
    mask: BigInt(mask),
    cgroupId: 7n,
    pid: 10,
    ppid: 1,
    uid: 0,
    procFlags: 0x5,
    fileMode: 0,
    nlink: 0,
    path: '/t/a',
    path2: '',
    exe: '/usr/bin/x',
    comm: 'x',
    cmdline: 'x a',
    cwd: '/t',
    tty: '',
    cgroup: '/',
    ...extra,
  };
}

test('fanotify masks become one event per operation', () => {
  assert.deepEqual(
    decodeChange(change(0x100 | 0x2 | 0x8)).map((e) => e.op),
    ['create', 'write'],
  );
  assert.deepEqual(
    decodeChange(change(0x40000100)).map((e) => e.op),
    ['mkdir'],
  );
  assert.deepEqual(
    decodeChange(change(0x40000200)).map((e) => e.op),
    ['rmdir'],
  );
  const [ren] = decodeChange(change(0x10000000, { path2: '/t/b' }));
  assert.equal(ren.op, 'rename');
  assert.equal(ren.secondPath, '/t/b');
  const [attr] = decodeChange(change(0x4));
  assert.deepEqual(attr.opCandidates, ATTRIB_OPS);
  assert.equal(decodeChange(change(0x100, { flags: 2, fileMode: 0o120777, nlink: 1 }))[0].op, 'symlink');
  assert.equal(decodeChange(change(0x100, { flags: 2, fileMode: 0o100644, nlink: 2 }))[0].op, 'link');
  const [w] = decodeChange(change(0x2, { procFlags: 0x5 | 0x8, tty: 'pts/1' }));
  assert.deepEqual(w.proc, {
    pid: 10,
    ppid: 1,
    uid: 0,
    exe: '/usr/bin/x',
    comm: 'x',
    cmdline: 'x a',
    cwd: '/t',
    tty: 'pts/1',
    cgroupId: '7',
    cgroupPath: '/',
  });
  const [gone] = decodeChange(change(0x2, { procFlags: 0x1 | 0x2 }));
  assert.equal(gone.proc?.gone, true);
});
