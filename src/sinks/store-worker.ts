// The store sink's worker thread: owns the SQLite connection so that transactions, pruning and
// WAL checkpoints never run on the agent's event loop. Protocol (structured clone):
//   in:  { id, op: 'insert', rows: PackedRows } | { id, op: 'close' }
//        (PackedRows: two flat strings per batch, see packRows in store.ts)
//   out: { id, ok: true, pruned } | { id, ok: false, code, message }; on startup { id: 0, ok }.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { AlertStore, unpackRows, type PackedRows, type StoreOptions } from './store.js';

type Request = { id: number; op: 'insert'; rows: PackedRows } | { id: number; op: 'close' };

const port = parentPort;
if (!port) throw new Error('store-worker must run in a worker thread');

function failure(id: number, e: unknown): { id: number; ok: false; code: string; message: string } {
  const code = (e as { code?: unknown }).code;
  return {
    id,
    ok: false,
    code: typeof code === 'string' ? code : 'error',
    message: e instanceof Error ? e.message : String(e),
  };
}

/**
 * Runs this thread (only) at a lower CPU priority: when the host is busy, the event loop that
 * reads the kernel's events and feeds every sink gets the CPU before SQLite commits do, which can
 * wait a few milliseconds without harm (the queue in front of the store absorbs them). On Linux a
 * thread's id is a valid `setpriority` target; raising one's own nice value needs no privilege.
 * Returns the nice value set, or undefined where this is not possible.
 */
function lowerThreadPriority(nice: number): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    setPriority(tid, nice);
    return nice;
  } catch {
    return undefined;
  }
}

const STORE_NICE = 5;

let store: AlertStore | undefined;
try {
  lowerThreadPriority(STORE_NICE);
  const data = workerData as { path: string; opts: StoreOptions };
  store = AlertStore.open(data.path, data.opts);
  port.postMessage({ id: 0, ok: true, pruned: 0 });
} catch (e) {
  port.postMessage(failure(0, e));
}

port.on('message', (m: Request) => {
  if (!store) return port.postMessage(failure(m.id, new Error('store is not open')));
  try {
    if (m.op === 'insert')
      port.postMessage({ id: m.id, ok: true, pruned: store.insertRows(unpackRows(m.rows)) });
    else {
      store.close();
      store = undefined;
      port.postMessage({ id: m.id, ok: true, pruned: 0 });
      port.close();
    }
  } catch (e) {
    port.postMessage(failure(m.id, e));
  }
});
