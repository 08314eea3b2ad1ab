// `bulwark logs --grpc HOST:PORT`: reads alerts from any feeder.LogService server — Bulwark's,
// a KubeArmor daemon's or kubearmor-relay — the way `karmor logs` does: HealthCheck with a random
// nonce first, then WatchAlerts("policy") for alerts, WatchLogs("system") for logs, or both with
// "all". Filtering is client-side with the store reader's predicate (karmor's semantics).
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { compileFilter, type AlertFilterSpec } from '../../alert/filter.js';
import type { Alert } from '../../alert/types.js';
import { BulwarkError } from '../../common/errors.js';
import { fromWire, type WireObject } from './convert.js';
import { wireSchema } from './proto.js';

export interface GrpcWatchFilters extends AlertFilterSpec {
  /** Stop after this many alerts have been delivered (0 or undefined: no limit). */
  limit?: number;
}

export interface GrpcClientTls {
  /** CA that signed the server's certificate (PEM file); without it the system roots are used. */
  ca?: string;
  /** Client certificate and key for servers that require mTLS. */
  cert?: string;
  key?: string;
}

export interface GrpcWatchOptions {
  tls?: GrpcClientTls;
  /** How long to wait for the server's HealthCheck answer (ms, default 5000). */
  connectTimeoutMs?: number;
}

export interface GrpcWatch {
  /** Resolves when every stream has ended (server closed it, limit reached or close()). */
  done: Promise<void>;
  close(): void;
}

type Unary = (
  req: WireObject,
  opts: grpc.CallOptions,
  cb: (e: grpc.ServiceError | null, r?: WireObject) => void,
) => void;
type ServerStream = (req: WireObject) => grpc.ClientReadableStream<WireObject>;

function clientError(target: string, why: string): BulwarkError {
  return new BulwarkError('API_GRPC_CLIENT', `${target}: ${why}`, { target });
}

function credentials(tls: GrpcClientTls | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const read = (f: string | undefined): Buffer | null => {
    if (!f) return null;
    try {
      return readFileSync(f);
    } catch (e) {
      throw new BulwarkError('API_TLS_FILE', `cannot read ${f}: ${(e as Error).message}`, { file: f });
    }
  };
  return grpc.credentials.createSsl(read(tls.ca), read(tls.key), read(tls.cert));
}

/** The streams karmor opens for a log type, with the filter value it sends. */
export function streamsFor(
  type: AlertFilterSpec['type'],
): [method: 'WatchAlerts' | 'WatchLogs', filter: string][] {
  if (type === 'log') return [['WatchLogs', 'system']];
  if (type === 'all')
    return [
      ['WatchAlerts', 'all'],
      ['WatchLogs', 'all'],
    ];
  return [['WatchAlerts', 'policy']];
}

export async function watchGrpc(
  target: string,
  filters: GrpcWatchFilters,
  onAlert: (alert: Alert) => void,
  options: GrpcWatchOptions = {},
): Promise<GrpcWatch> {
  const keep = compileFilter(filters);
  const { LogServiceClient } = wireSchema();
  const client = new LogServiceClient(target, credentials(options.tls)) as grpc.Client &
    Record<string, unknown>;
  const nonce = randomInt(0, 2 ** 31 - 1);
  try {
    const reply = await new Promise<WireObject>((resolve, reject) =>
      (client.HealthCheck as Unary).call(
        client,
        { nonce },
        { deadline: Date.now() + (options.connectTimeoutMs ?? 5000) },
        (e, r) => (e ? reject(e) : resolve(r ?? {})),
      ),
    );
    if (Number(reply.Retval ?? 0) !== nonce)
      throw new Error(`HealthCheck answered ${String(reply.Retval)} for nonce ${nonce}`);
  } catch (e) {
    client.close();
    const err = e as grpc.ServiceError;
    throw clientError(target, err.details || err.message);
  }
  const limit = filters.limit ?? 0;
  let delivered = 0;
  const calls: grpc.ClientReadableStream<WireObject>[] = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const c of calls) c.cancel();
    client.close();
  };
  const ends = streamsFor(filters.type).map(([method, filter]) => {
    const call = (client[method] as ServerStream).call(client, { Filter: filter });
    calls.push(call);
    return new Promise<void>((resolve, reject) => {
      call.on('data', (m: WireObject) => {
        if (closed) return;
        const alert = fromWire(m);
        if (!keep(alert)) return;
        onAlert(alert);
        if (limit > 0 && ++delivered >= limit) close();
      });
      call.on('error', (e: grpc.ServiceError) => {
        if (e.code === grpc.status.CANCELLED && closed) resolve();
        else reject(clientError(target, `${method}: ${e.details || e.message}`));
      });
      call.on('end', () => resolve());
    });
  });
  const done = Promise.all(ends).then(
    () => close(),
    (e: unknown) => {
      close();
      throw e;
    },
  );
  return { done, close };
}
