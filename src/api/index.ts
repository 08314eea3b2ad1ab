// Public surface of the API stage: startApi() mounts the gRPC endpoints (KubeArmor LogService,
// PolicyService, grpc.health.v1) and the local HTTP API (/metrics, /healthz, /readyz) for the agent.
// Every address and TLS setting is checked before anything listens: a configuration that would
// expose the agent insecurely starts nothing and throws a coded BulwarkError (BW70xx).
import { hostname } from 'node:os';
import { startGrpc, type GrpcHandle } from './grpc/server.js';
import type { Identity } from './grpc/log-service.js';
import { readiness, startHttp, type HttpHandle } from './http-server.js';
import { checkExposure, loadTls, parseListenAddress, type ListenAddress, type TlsFiles } from './listen.js';
import { Metrics } from './metrics.js';
import type { AlertSource, ApiLogger, PolicyStore, ReadinessCheck } from './types.js';

export type {
  AlertSource,
  ApiLogger,
  PolicyStore,
  PolicyRef,
  PolicyScope,
  PolicyPutResult,
  PolicyDeleteResult,
  ReadinessCheck,
} from './types.js';
export { Metrics, type BaselineResult, type MetricsOptions } from './metrics.js';
export type { TlsFiles } from './listen.js';
export type { GrpcHandle } from './grpc/server.js';
export type { HttpHandle } from './http-server.js';
export type { Identity } from './grpc/log-service.js';
export {
  watchGrpc,
  type GrpcWatch,
  type GrpcWatchFilters,
  type GrpcWatchOptions,
  type GrpcClientTls,
} from './grpc/client.js';

export const DEFAULT_GRPC_ADDRESS = '127.0.0.1:32767';
export const DEFAULT_HEALTH_ADDRESS = '127.0.0.1:32766';
export const DEFAULT_HTTP_ADDRESS = '127.0.0.1:9100';
/** KubeArmor's per-subscriber channel size. */
export const DEFAULT_BUFFER_SIZE = 1000;
/** Each client costs at most its buffer; the cap bounds the total. */
export const DEFAULT_MAX_CLIENTS = 64;

export interface GrpcApiOptions {
  /** HOST:PORT or unix:/path; default 127.0.0.1:32767. Port 0 picks a free port. */
  address?: string;
  /** grpc.health.v1 on its own address (default 127.0.0.1:32766); false: only on `address`. */
  healthAddress?: string | false;
  /** Required for non-loopback addresses; clientCa (mTLS) also for PolicyService there. */
  tls?: TlsFiles;
  /** Accept policy changes (PolicyService); default true. Needs deps.policies. */
  policyService?: boolean;
  /** Messages buffered per streaming client (default 1000). */
  bufferSize?: number;
  /** Streaming clients served at once (default 64); more are refused with RESOURCE_EXHAUSTED. */
  maxClients?: number;
  /**
   * How messages reach the socket: 'pipelined' (default, up to 128 in flight per client) or
   * 'stream' (grpc-js's Writable, one per event-loop turn). 'stream' exists for comparison
   * (bench/grpc.ts) and as a fallback.
   */
  writer?: 'pipelined' | 'stream';
  /** Uids allowed to change policies over loopback TCP; default root and the agent's own uid. */
  policyUids?: number[];
}

export interface HttpApiOptions {
  /** HOST:PORT or unix:/path; default 127.0.0.1:9100 (the agent configuration's default). */
  address?: string;
  tls?: TlsFiles;
}

export interface ApiOptions {
  /** false disables the gRPC endpoints. */
  grpc?: GrpcApiOptions | false;
  /** false disables the HTTP endpoint. */
  http?: HttpApiOptions | false;
  /** Mode of the unix sockets created (default 0o600). */
  socketMode?: number;
}

export interface ApiDeps {
  alerts: AlertSource;
  /** Where PolicyService stores policies; without it PolicyService answers NotEnabled. */
  policies?: PolicyStore;
  /** Created when not given; the agent usually creates it first and shares it with the sinks. */
  metrics?: Metrics;
  /** /readyz and the gRPC health status of "" follow it; default: always ready. */
  ready?: ReadinessCheck;
  /** ClusterName and HostName of the events the API emits itself (missed-alert notices). */
  identity?: Partial<Identity>;
  logger?: ApiLogger;
}

export interface ApiHandles {
  grpc?: GrpcHandle;
  http?: HttpHandle;
  metrics: Metrics;
  /** Stops every endpoint; streaming clients see their streams end. */
  close(): Promise<void>;
}

interface Plan {
  grpc?: { address: ListenAddress; health: ListenAddress | null; o: GrpcApiOptions; policy: boolean };
  http?: { address: ListenAddress; o: HttpApiOptions };
}

/** Validates the whole configuration without binding anything. Throws BulwarkError (BW70xx). */
export function planApi(options: ApiOptions, deps: Pick<ApiDeps, 'policies'>): Plan {
  const plan: Plan = {};
  if (options.grpc !== false) {
    const o = options.grpc ?? {};
    const address = parseListenAddress(o.address ?? DEFAULT_GRPC_ADDRESS, 'gRPC');
    const health =
      o.healthAddress === false
        ? null
        : parseListenAddress(o.healthAddress ?? DEFAULT_HEALTH_ADDRESS, 'gRPC health');
    const policy = (o.policyService ?? true) && deps.policies !== undefined;
    checkExposure('gRPC', address, o.tls, policy);
    if (health) checkExposure('gRPC health', health, o.tls, false);
    if (o.tls) loadTls(o.tls, 'gRPC');
    plan.grpc = { address, health, o, policy };
  }
  if (options.http !== false) {
    const o = options.http ?? {};
    const address = parseListenAddress(o.address ?? DEFAULT_HTTP_ADDRESS, 'HTTP');
    checkExposure('HTTP', address, o.tls, false);
    if (o.tls) loadTls(o.tls, 'HTTP');
    plan.http = { address, o };
  }
  return plan;
}

export async function startApi(options: ApiOptions, deps: ApiDeps): Promise<ApiHandles> {
  const plan = planApi(options, deps);
  const metrics = deps.metrics ?? new Metrics();
  const socketMode = options.socketMode ?? 0o600;
  const identity: Identity = {
    clusterName: deps.identity?.clusterName ?? 'default',
    hostName: deps.identity?.hostName ?? hostname(),
    hostIP: deps.identity?.hostIP,
  };
  const handles: ApiHandles = { metrics, close: async () => undefined };
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    if (plan.grpc) {
      const g = plan.grpc;
      handles.grpc = await startGrpc(
        {
          address: g.address,
          health: g.health,
          tls: g.o.tls,
          policyService: g.policy,
          bufferSize: g.o.bufferSize ?? DEFAULT_BUFFER_SIZE,
          maxClients: g.o.maxClients ?? DEFAULT_MAX_CLIENTS,
          writer: g.o.writer ?? 'pipelined',
          policyUids: g.o.policyUids ?? [...new Set([0, process.getuid?.() ?? 0])],
          socketMode,
        },
        {
          alerts: deps.alerts,
          policies: deps.policies,
          metrics,
          identity,
          ready: () => readiness(deps.ready).ready,
          logger: deps.logger,
        },
      );
      closers.push(handles.grpc.close);
    }
    if (plan.http) {
      handles.http = await startHttp(
        { address: plan.http.address, tls: plan.http.o.tls, socketMode },
        metrics,
        deps.ready,
      );
      closers.push(handles.http.close);
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  handles.close = closeAll;
  return handles;
}
export { DirectoryPolicyStore, policyFileName, type PolicyValidator } from './policy-store.js';
