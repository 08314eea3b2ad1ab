// A gRPC client built straight from protobuf/*.proto with @grpc/grpc-js and @grpc/proto-loader,
// independent of the server's own loading and conversion code: what `karmor logs` or any other
// KubeArmor client sees is what these tests see.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const dir = fileURLToPath(new URL('../../protobuf/', import.meta.url));

type Ctor = grpc.ServiceClientConstructor;

function pick(root: grpc.GrpcObject, path: string): Ctor {
  let node: unknown = root;
  for (const p of path.split('.')) node = (node as Record<string, unknown>)[p];
  return node as Ctor;
}

const def = protoLoader.loadSync([`${dir}kubearmor.proto`, `${dir}policy.proto`, `${dir}health.proto`], {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
});
const root = grpc.loadPackageDefinition(def);

export type Msg = Record<string, unknown>;

export interface Clients {
  log: grpc.Client & Record<string, (...a: unknown[]) => unknown>;
  policy: grpc.Client & Record<string, (...a: unknown[]) => unknown>;
  close(): void;
}

/**
 * Clients of the LogService and PolicyService at `target`. Each call gets its own connection
 * (grpc-js otherwise shares one between clients of the same target, and a paused stream would
 * then hold back the other streams of that connection: HTTP/2 flow control).
 */
export function clients(target: string, creds = grpc.credentials.createInsecure()): Clients {
  const options = { 'grpc.use_local_subchannel_pool': 1 };
  const log = new (pick(root, 'feeder.LogService'))(target, creds, options) as Clients['log'];
  const policy = new (pick(root, 'policy.PolicyService'))(target, creds, options) as Clients['policy'];
  return {
    log,
    policy,
    close: () => {
      log.close();
      policy.close();
    },
  };
}

export function healthClient(
  target: string,
  creds = grpc.credentials.createInsecure(),
): grpc.Client & Record<string, (...a: unknown[]) => unknown> {
  return new (pick(root, 'grpc.health.v1.Health'))(target, creds) as grpc.Client &
    Record<string, (...a: unknown[]) => unknown>;
}

/** Calls a unary method and resolves to its response (or rejects with the gRPC error). */
export function unary(
  client: Record<string, (...a: unknown[]) => unknown>,
  method: string,
  req: Msg,
): Promise<Msg> {
  return new Promise((resolve, reject) => {
    client[method](req, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res)));
  });
}

/** Like unary() but also returns the trailing metadata. */
export function unaryWithTrailer(
  client: Record<string, (...a: unknown[]) => unknown>,
  method: string,
  req: Msg,
): Promise<{ res: Msg; trailer: grpc.Metadata }> {
  return new Promise((resolve, reject) => {
    let res: Msg | undefined;
    let trailer = new grpc.Metadata();
    const call = client[method](req, (err: grpc.ServiceError | null, r: Msg) => {
      if (err) reject(err);
      else res = r;
    }) as grpc.ClientUnaryCall;
    call.on('status', (s: grpc.StatusObject) => {
      trailer = s.metadata;
      if (res) resolve({ res, trailer });
    });
  });
}

export interface Collected {
  messages: Msg[];
  /** Resolves with the status when the stream ends (OK or error). */
  ended: Promise<grpc.StatusObject>;
  call: grpc.ClientReadableStream<Msg>;
}

/** Opens a server stream and collects what arrives. */
export function collect(
  client: Record<string, (...a: unknown[]) => unknown>,
  method: string,
  filter: string,
): Collected {
  const call = client[method]({ Filter: filter }) as grpc.ClientReadableStream<Msg>;
  const messages: Msg[] = [];
  call.on('data', (m: Msg) => messages.push(m));
  const ended = new Promise<grpc.StatusObject>((resolve) => {
    call.on('status', resolve);
    call.on('error', () => undefined);
  });
  return { messages, ended, call };
}

export async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
