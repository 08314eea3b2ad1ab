// The frame ABI: src/sensor/abi.ts's offsets against the C compiler's (bulwark-helper layout),
// and the decoder registry on hand-built frames, including split, unknown and short frames.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { CONSTANTS, LAYOUT, MSG, decodeFrames } from '../../src/sensor/abi.js';
import { nativeDir } from '../../src/sensor/native-path.js';

test('abi.ts layout equals the C layout printed by bulwark-helper layout', () => {
  // The helper is built by scripts/setup.sh before the tests; a missing build is a failure.
  const out = execFileSync(path.join(nativeDir(), 'bulwark-helper'), ['layout'], { encoding: 'utf8' });
  const c = JSON.parse(out) as Record<string, number>;
  const ts: Record<string, number> = { ...LAYOUT, ...CONSTANTS };
  assert.deepEqual(
    Object.keys(ts).sort(),
    Object.keys(c).sort(),
    'the same fields are described on both sides',
  );
  for (const [k, v] of Object.entries(c)) assert.equal(ts[k], v, k);
});

function frame(
  op: number,
  fixed: number,
  body: (b: Buffer) => void,
  variable: Buffer = Buffer.alloc(0),
): Buffer {
  const size = (fixed + variable.length + 7) & ~7;
  const b = Buffer.alloc(size);
  b.writeUInt32LE(size, LAYOUT['bw_hdr.size']);
  b.writeUInt16LE(op, LAYOUT['bw_hdr.op']);
  b.writeBigUInt64LE(1_700_000_000_000_000_000n, LAYOUT['bw_hdr.time_ns']);
  body(b);
  variable.copy(b, fixed);
  return b;
}

function changeFrame(
  p: string,
  p2 = '',
  proc = ['/usr/bin/touch', 'touch', 'touch x', '/w', '', '/'],
): Buffer {
  const strs = [p, p2, ...proc];
  const v = Buffer.concat(strs.map((s) => Buffer.from(s)));
  return frame(
    MSG.change,
    LAYOUT.bw_msg_change,
    (b) => {
      b.writeBigUInt64LE(0x100n, LAYOUT['bw_msg_change.mask']);
      b.writeInt32LE(42, LAYOUT['bw_msg_change.pid']);
      b.writeInt32LE(1, LAYOUT['bw_msg_change.ppid']);
      b.writeUInt32LE(0x5, LAYOUT['bw_msg_change.proc_flags']);
      strs.forEach((s, i) => b.writeUInt16LE(Buffer.byteLength(s), LAYOUT['bw_msg_change.len'] + 2 * i));
    },
    v,
  );
}

test('decodes change, audit and gap frames', () => {
  const rec = Buffer.from('audit(1.000:7): blockers=fs.make_reg path="/t"');
  const recHdr = Buffer.alloc(LAYOUT.bw_audit_rec);
  recHdr.writeUInt16LE(1423, LAYOUT['bw_audit_rec.type']);
  recHdr.writeUInt32LE(rec.length, LAYOUT['bw_audit_rec.len']);
  const recBuf = Buffer.concat([recHdr, rec, Buffer.alloc(((rec.length + 7) & ~7) - rec.length)]);
  const audit = frame(
    MSG.audit,
    LAYOUT.bw_msg_audit,
    (b) => {
      b.writeBigUInt64LE(7n, LAYOUT['bw_msg_audit.serial']);
      b.writeUInt32LE(1, LAYOUT['bw_msg_audit.nrec']);
    },
    recBuf,
  );
  const gap = frame(
    MSG.gap,
    LAYOUT.bw_msg_gap,
    (b) => {
      b.writeUInt32LE(1, LAYOUT['bw_msg_gap.cause']);
      b.writeUInt16LE(2, LAYOUT['bw_msg_gap.fs_len']);
      b.writeUInt16LE(3, LAYOUT['bw_msg_gap.detail_len']);
    },
    Buffer.from('/tabc'),
  );
  const r = decodeFrames(Buffer.concat([changeFrame('/a b\nc'), audit, gap]));
  assert.deepEqual(r.errors, []);
  assert.equal(r.frames.length, 3);
  const [c, a, g] = r.frames;
  assert.ok(c.op === 'change' && a.op === 'audit' && g.op === 'gap');
  assert.equal(c.path, '/a b\nc');
  assert.equal(c.exe, '/usr/bin/touch');
  assert.equal(c.cmdline, 'touch x');
  assert.equal(c.pid, 42);
  assert.equal(a.serial, 7n);
  assert.deepEqual(a.records, [{ type: 1423, text: rec.toString() }]);
  assert.equal(g.filesystem, '/t');
  assert.equal(g.detail, 'abc');
});

test('process strings are reused only when their lengths and bytes are the same', () => {
  // The decoder reuses the previous frame's process strings when the bytes repeat; the same
  // bytes split differently between exe and comm are a different process.
  const a = changeFrame('/a', '', ['/bin/ab', 'c', 'x', '/', '', '/']);
  const b = changeFrame('/b', '', ['/bin/a', 'bc', 'x', '/', '', '/']);
  const c = changeFrame('/c', '', ['/bin/a', 'bc', 'x', '/', '', '/']);
  const r = decodeFrames(Buffer.concat([a, b, c]));
  assert.deepEqual(r.errors, []);
  const [fa, fb, fc] = r.frames;
  assert.ok(fa.op === 'change' && fb.op === 'change' && fc.op === 'change');
  assert.deepEqual([fa.exe, fa.comm], ['/bin/ab', 'c']);
  assert.deepEqual([fb.exe, fb.comm, fb.path], ['/bin/a', 'bc', '/b']);
  assert.deepEqual([fc.exe, fc.comm, fc.cmdline, fc.path], ['/bin/a', 'bc', 'x', '/c']);
});

test('a frame split across reads waits for the rest', () => {
  const f = changeFrame('/x');
  const first = decodeFrames(f.subarray(0, 30));
  assert.equal(first.consumed, 0);
  assert.equal(first.frames.length, 0);
  const all = decodeFrames(Buffer.concat([f.subarray(0, 30), f.subarray(30)]));
  assert.equal(all.frames.length, 1);
  assert.equal(all.consumed, f.length);
});

test('unknown opcodes and short frames are reported and skipped, the stream goes on', () => {
  const unknown = frame(99, 16, () => undefined);
  const short = frame(MSG.change, 24, () => undefined);
  const r = decodeFrames(Buffer.concat([unknown, short, changeFrame('/ok')]));
  assert.deepEqual(
    r.errors.map((e) => e.kind),
    ['unknown_op', 'short_read'],
  );
  assert.equal(r.frames.length, 1);
});

test('a corrupt size drops the rest and says so', () => {
  const bad = Buffer.alloc(16);
  bad.writeUInt32LE(13, 0);
  const r = decodeFrames(Buffer.concat([bad, changeFrame('/lost')]));
  assert.equal(r.errors[0].kind, 'empty');
  assert.equal(r.frames.length, 0);
});
