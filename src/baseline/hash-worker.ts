// Worker thread body: receives batches of paths, reads each entry and answers with one packed
// buffer per batch (transferred, not copied): for each path, u32 key length, key, u32 record
// length (0 when the path vanished), record (record.ts). Each worker owns one reused 1 MiB read
// buffer and its own handle on the native helper.
import { parentPort, workerData } from 'node:worker_threads';
import { loadNative } from './native.js';
import { readEntry, type ReadContext } from './read-entry.js';
import { encodeEntry } from './record.js';
import { unpackPaths } from './hash-worker-paths.js';
import type { DigestAlgo } from './types.js';

export interface WorkerInit {
  algos: DigestAlgo[];
  wantAttrs: boolean;
  bufferSize: number;
}

export interface BatchRequest {
  id: number;
  /** The first batch of a scan on a worker kept between scans: forget the last scan's links. */
  reset?: boolean;
  /** The paths, each as u32 length and bytes, in one transferred buffer (packPaths). */
  paths: Uint8Array;
}

export interface BatchReply {
  id: number;
  packed: Uint8Array;
  bytes: number;
}

const init = workerData as WorkerInit;
const ctx: ReadContext = {
  algos: init.algos,
  buf: Buffer.allocUnsafe(init.bufferSize),
  native: loadNative(),
  noatime: true,
  wantAttrs: init.wantAttrs,
  links: new Map(),
};

parentPort?.on('message', (req: BatchRequest) => {
  if (req.reset) ctx.links?.clear();
  const parts: Buffer[] = [];
  let bytes = 0;
  for (const path of unpackPaths(req.paths)) {
    const r = readEntry(path, ctx);
    bytes += r.bytes;
    const key = r.entry ? r.entry.key : Buffer.alloc(0);
    const rec = r.entry ? encodeEntry(r.entry) : Buffer.alloc(0);
    const h = Buffer.allocUnsafe(4);
    h.writeUInt32LE(key.length, 0);
    const h2 = Buffer.allocUnsafe(4);
    h2.writeUInt32LE(rec.length, 0);
    parts.push(h, key, h2, rec);
  }
  // A fresh ArrayBuffer of exactly this size (not the pooled slab), so it can be transferred.
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  const reply: BatchReply = { id: req.id, packed: out, bytes };
  parentPort?.postMessage(reply, [out.buffer]);
});
