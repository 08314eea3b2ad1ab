// Worker thread body: receives batches of paths, answers with one ReadResult per path in order.
// Each worker owns one reused 1 MiB read buffer and its own handle on the native helper.
import { parentPort, workerData } from 'node:worker_threads';
import { loadNative } from './native.js';
import { readEntry, type ReadContext } from './read-entry.js';
import type { DigestAlgo, Entry } from './types.js';

export interface WorkerInit {
  algos: DigestAlgo[];
  wantAttrs: boolean;
  bufferSize: number;
}

export interface BatchRequest {
  id: number;
  paths: Buffer[];
}

export interface BatchReply {
  id: number;
  entries: Array<Entry | null>;
  bytes: number;
}

const init = workerData as WorkerInit;
const ctx: ReadContext = {
  algos: init.algos,
  buf: Buffer.allocUnsafe(init.bufferSize),
  native: loadNative(),
  noatime: true,
  wantAttrs: init.wantAttrs,
};

parentPort?.on('message', (req: BatchRequest) => {
  const entries: Array<Entry | null> = [];
  let bytes = 0;
  for (const p of req.paths) {
    const r = readEntry(Buffer.from(p.buffer, p.byteOffset, p.byteLength), ctx);
    entries.push(r.entry);
    bytes += r.bytes;
  }
  const reply: BatchReply = { id: req.id, entries, bytes };
  parentPort?.postMessage(reply);
});
