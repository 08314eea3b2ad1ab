// One message on its way to stream clients. The producer only wraps the alert; conversion to the
// wire object and protobuf encoding happen on first use, in a client's pump, once for all clients
// (every client's stream writes the same bytes). grpc-js accepts the bytes because the LogService
// definition is served with a pass-through serializer (passThroughSerializers below).
import type * as grpc from '@grpc/grpc-js';
import type { WireObject } from './convert.js';

export class Outgoing {
  private bytes: Buffer | undefined;

  constructor(
    private readonly make: () => WireObject,
    private readonly encode: (w: WireObject) => Buffer,
  ) {}

  /** The encoded message, computed once. */
  get data(): Buffer {
    if (this.bytes === undefined) this.bytes = this.encode(this.make());
    return this.bytes;
  }
}

/**
 * The service definition with streaming responses that accept already-encoded Buffers as they are
 * (anything else is encoded by the original serializer). Returns the original encoders too.
 */
export function passThroughSerializers(service: grpc.ServiceDefinition): {
  service: grpc.ServiceDefinition;
  encoders: Record<string, (w: WireObject) => Buffer>;
} {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const encoders: Record<string, (w: WireObject) => Buffer> = {};
  for (const [name, m] of Object.entries(service)) {
    if (!m.responseStream) {
      out[name] = m;
      continue;
    }
    const encode = m.responseSerialize as (w: WireObject) => Buffer;
    encoders[name] = encode;
    out[name] = {
      ...m,
      responseSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : encode(v as WireObject)),
    };
  }
  return { service: out as grpc.ServiceDefinition, encoders };
}
