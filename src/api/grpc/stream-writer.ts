// Writes to a server stream with several messages in flight. grpc-js's ServerWritableStream is a
// Node Writable without _writev: it hands one message to HTTP/2, waits for that write to complete
// (one turn of the event loop) and only then takes the next — about one alert per loop turn, far
// too slow for an agent whose loop is busy with sensor batches. When the call is grpc-js's plain
// server call (no interceptors), messages go straight to its sendMessage, which serialises and
// queues on the HTTP/2 stream; up to MAX_IN_FLIGHT are outstanding, and HTTP/2 flow control still
// holds them back when the client does not read (their completions then stop, and the client's
// bounded buffer fills). Any other call shape falls back to the Writable.
import type * as grpc from '@grpc/grpc-js';
import type { WireObject } from './convert.js';
import type { Outgoing } from './outgoing.js';
import type { SubscriberSink } from './subscriber.js';

export const MAX_IN_FLIGHT = 128;

interface BaseCall {
  sendMessage(message: unknown, callback: () => void): void;
}

function baseCallOf(call: grpc.ServerWritableStream<WireObject, WireObject>): BaseCall | null {
  const inner = (call as unknown as { call?: unknown }).call;
  if (typeof inner !== 'object' || inner === null) return null;
  // Only the innermost call writes to HTTP/2 itself; interceptor wrappers allow one message at a time.
  if (inner.constructor?.name !== 'BaseServerInterceptingCall') return null;
  return typeof (inner as BaseCall).sendMessage === 'function' ? (inner as BaseCall) : null;
}

export function streamSink(
  call: grpc.ServerWritableStream<WireObject, WireObject>,
  mode: 'pipelined' | 'stream' = 'pipelined',
): SubscriberSink {
  const base = mode === 'pipelined' ? baseCallOf(call) : null;
  if (!base) {
    // The stream is typed for wire objects; the pass-through serializer takes the encoded bytes.
    const raw = call as unknown as { write(chunk: Buffer): boolean };
    return { write: (m: Outgoing) => raw.write(m.data), onceDrain: (cb) => call.once('drain', cb) };
  }
  let inFlight = 0;
  let waiter: (() => void) | null = null;
  const done = (): void => {
    inFlight--;
    if (waiter && inFlight <= MAX_IN_FLIGHT / 2) {
      const w = waiter;
      waiter = null;
      w();
    }
  };
  return {
    write: (m) => {
      inFlight++;
      base.sendMessage(m.data, done);
      return inFlight < MAX_IN_FLIGHT;
    },
    onceDrain: (cb) => {
      waiter = cb;
    },
  };
}
