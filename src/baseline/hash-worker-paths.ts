// The paths of a batch sent to a hash worker, packed into one buffer that is transferred rather
// than cloned path by path: per path, u32 length (little-endian) and its bytes. Apart from the
// worker's body (hash-worker.ts), so that the scanner can pack without running it.

/** Packs paths into one fresh buffer that can be transferred. */
export function packPaths(paths: Buffer[]): Uint8Array {
  let total = 0;
  for (const p of paths) total += 4 + p.length;
  const out = Buffer.from(new ArrayBuffer(total));
  let o = 0;
  for (const p of paths) {
    out.writeUInt32LE(p.length, o);
    o += 4 + p.copy(out, o + 4);
  }
  return new Uint8Array(out.buffer, 0, total);
}

/** The paths of a packed batch, as views into it (no copy). */
export function* unpackPaths(packed: Uint8Array): Generator<Buffer> {
  const b = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  for (let o = 0; o < b.length;) {
    const len = b.readUInt32LE(o);
    yield b.subarray(o + 4, o + 4 + len);
    o += 4 + len;
  }
}
