// Starts the gRPC endpoints: feeder.LogService + policy.PolicyService + grpc.health.v1.Health on the
// main address (127.0.0.1:32767 by default, like KubeArmor's -gRPC), and Health alone on the health
// address (127.0.0.1:32766). Exposure rules (listen.ts) are checked by the caller before this runs.
import { chmodSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { BulwarkError } from '../../common/errors.js';
import { grpcTarget, loadTls, type ListenAddress, type TlsFiles } from '../listen.js';
import type { Metrics } from '../metrics.js';
import { peerUid, splitPeer } from '../peer-uid.js';
import type { AlertSource, ApiLogger, PolicyStore } from '../types.js';
import { clearStaleSocket, removeSocket } from '../unix-socket.js';
import type { WireObject } from './convert.js';
import { healthHandlers, type ServingStatus } from './health-service.js';
import { LogHub, type Identity } from './log-service.js';
import { policyHandlers, type Authorize } from './policy-service.js';
import { wireSchema } from './proto.js';

export interface GrpcEndpointOptions {
  address: ListenAddress;
  health: ListenAddress | null;
  tls?: TlsFiles;
  policyService: boolean;
  bufferSize: number;
  maxClients: number;
  writer: 'pipelined' | 'stream';
  /** Uids allowed to change policies over loopback TCP. */
  policyUids: number[];
  /** Mode of unix sockets created (default 0o600: the agent's user only). */
  socketMode: number;
}

export interface GrpcDeps {
  alerts: AlertSource;
  policies?: PolicyStore;
  metrics: Metrics;
  identity: Identity;
  ready: () => boolean;
  logger?: ApiLogger;
}

export interface GrpcHandle {
  /** Where it listens: `127.0.0.1:32767` (actual port when 0 was asked) or `unix:/path`. */
  address: string;
  port: number;
  healthAddress?: string;
  healthPort?: number;
  hub: LogHub;
  close(): Promise<void>;
}

const SERVER_OPTIONS: grpc.ServerOptions = {
  // A client that vanished without closing is noticed within ~15 s and its buffer freed.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
};

function credentials(tls: TlsFiles | undefined, what: string): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const m = loadTls(tls, what);
  return grpc.ServerCredentials.createSsl(
    m.clientCa ?? null,
    [{ private_key: m.key, cert_chain: m.cert }],
    Boolean(m.clientCa),
  );
}

async function bind(
  server: grpc.Server,
  addr: ListenAddress,
  creds: grpc.ServerCredentials,
  what: string,
  mode: number,
): Promise<number> {
  if (addr.kind === 'unix') await clearStaleSocket(addr.path);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(grpcTarget(addr), creds, (err, p) => (err ? reject(err) : resolve(p)));
  }).catch((e: Error) => {
    throw new BulwarkError('API_BIND_FAILED', `${what}: cannot listen on ${addr.text}: ${e.message}`, {
      address: addr.text,
    });
  });
  if (addr.kind === 'unix') chmodSync(addr.path, mode);
  return port;
}

function authorizer(o: GrpcEndpointOptions, boundPort: number): Authorize {
  const addr = o.address;
  return async (call: grpc.ServerUnaryCall<WireObject, WireObject>) => {
    if (addr.kind === 'unix') return null; // the socket's file mode decided who could connect
    if (o.tls?.clientCa) {
      return call.getAuthContext().sslPeerCertificate ? null : 'no verified client certificate';
    }
    if (!addr.loopback) return 'policy changes are not accepted on this address';
    const peer = splitPeer(call.getPeer());
    if (!peer) return `cannot tell who the client ${call.getPeer()} is`;
    const uid = await peerUid(peer.port, boundPort);
    if (uid === null) return `cannot find the user of the client connection ${call.getPeer()}`;
    if (!o.policyUids.includes(uid))
      return `uid ${uid} may not change policies (allowed: ${o.policyUids.join(', ')})`;
    return null;
  };
}

function shutdown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 2000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startGrpc(o: GrpcEndpointOptions, deps: GrpcDeps): Promise<GrpcHandle> {
  const schema = wireSchema();
  const creds = credentials(o.tls, 'gRPC');
  const policyEnabled = o.policyService && deps.policies !== undefined;
  const statuses = (): Record<string, ServingStatus> => ({
    '': deps.ready() ? 'SERVING' : 'NOT_SERVING',
    'feeder.LogService': 'SERVING',
    'policy.PolicyService': policyEnabled ? 'SERVING' : 'NOT_SERVING',
    'grpc.health.v1.Health': 'SERVING',
  });
  const hub = new LogHub(deps.alerts, schema, deps.metrics, {
    bufferSize: o.bufferSize,
    maxClients: o.maxClients,
    writer: o.writer,
    identity: deps.identity,
  });
  const server = new grpc.Server(SERVER_OPTIONS);
  server.addService(hub.service, hub.handlers());
  server.addService(schema.health, healthHandlers(statuses));
  // The authorizer needs the bound port (for port 0), known only after bind; handlers run later.
  let boundPort = 0;
  server.addService(
    schema.policyService,
    policyHandlers({
      store: policyEnabled ? deps.policies : undefined,
      authorize: (call) => authorizer(o, boundPort)(call),
      metrics: deps.metrics,
      logger: deps.logger,
      changed: (text) => hub.message('INFO', text),
    }),
  );
  const servers: grpc.Server[] = [server];
  const closeAll = async (): Promise<void> => {
    hub.close();
    await Promise.all(servers.map(shutdown));
    for (const a of [o.address, o.health]) {
      if (a?.kind === 'unix') removeSocket(a.path);
    }
  };
  try {
    boundPort = await bind(server, o.address, creds, 'gRPC', o.socketMode);
    let healthPort: number | undefined;
    if (o.health) {
      const hs = new grpc.Server();
      hs.addService(schema.health, healthHandlers(statuses));
      servers.push(hs);
      healthPort = await bind(hs, o.health, credentials(o.tls, 'gRPC health'), 'gRPC health', o.socketMode);
    }
    return {
      address: o.address.kind === 'unix' ? o.address.text : grpcTarget(o.address, boundPort),
      port: boundPort,
      healthAddress: o.health
        ? o.health.kind === 'unix'
          ? o.health.text
          : grpcTarget(o.health, healthPort)
        : undefined,
      healthPort,
      hub,
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
