// The local HTTP API: /metrics (Prometheus text format), /healthz (the process answers) and
// /readyz (the agent says it is ready: policies loaded, sensor attached). Loopback or a unix socket
// by default; HTTPS (optionally with client certificates) when configured.
import { chmodSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { BulwarkError } from '../common/errors.js';
import { loadTls, type ListenAddress, type TlsFiles } from './listen.js';
import type { Metrics } from './metrics.js';
import type { ReadinessCheck } from './types.js';
import { clearStaleSocket, removeSocket } from './unix-socket.js';

export interface HttpEndpointOptions {
  address: ListenAddress;
  tls?: TlsFiles;
  socketMode: number;
}

export interface HttpHandle {
  /** `http://127.0.0.1:PORT`, `https://…` or `unix:/path`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export function readiness(check: ReadinessCheck | undefined): { ready: boolean; reason?: string } {
  if (!check) return { ready: true };
  try {
    const r = check();
    return typeof r === 'boolean' ? { ready: r, reason: r ? undefined : 'the agent is not ready' } : r;
  } catch (e) {
    return { ready: false, reason: `readiness check failed: ${(e as Error).message}` };
  }
}

export function buildHttp(
  metrics: Metrics,
  ready: ReadinessCheck | undefined,
  tls?: TlsFiles,
): FastifyInstance {
  const m = tls ? loadTls(tls, 'HTTP') : undefined;
  const app = Fastify({
    logger: false,
    ...(m
      ? {
          https: {
            cert: m.cert,
            key: m.key,
            ca: m.clientCa,
            requestCert: Boolean(m.clientCa),
            rejectUnauthorized: Boolean(m.clientCa),
          },
        }
      : {}),
  }) as unknown as FastifyInstance;
  app.get('/metrics', async (_req, reply) => {
    const body = await metrics.render();
    return reply.type(metrics.contentType).send(body);
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = readiness(ready);
    return reply
      .code(r.ready ? 200 : 503)
      .send(r.ready ? { status: 'ready' } : { status: 'not ready', reason: r.reason });
  });
  return app;
}

export async function startHttp(
  o: HttpEndpointOptions,
  metrics: Metrics,
  ready: ReadinessCheck | undefined,
): Promise<HttpHandle> {
  const app = buildHttp(metrics, ready, o.tls);
  const a = o.address;
  try {
    if (a.kind === 'unix') {
      await clearStaleSocket(a.path);
      await app.listen({ path: a.path });
      chmodSync(a.path, o.socketMode);
    } else {
      await app.listen({ host: a.host, port: a.port });
    }
  } catch (e) {
    await app.close().catch(() => undefined);
    throw new BulwarkError('API_BIND_FAILED', `HTTP: cannot listen on ${a.text}: ${(e as Error).message}`, {
      address: a.text,
    });
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const scheme = o.tls ? 'https' : 'http';
  const host = a.kind === 'tcp' && a.host.includes(':') ? `[${a.host}]` : a.kind === 'tcp' ? a.host : '';
  return {
    url: a.kind === 'unix' ? a.text : `${scheme}://${host}:${port}`,
    port,
    close: async () => {
      await app.close();
      if (a.kind === 'unix') removeSocket(a.path);
    },
  };
}
