// `bulwark logs --grpc HOST:PORT`: prints alerts streamed from a KubeArmor LogService (Bulwark's,
// KubeArmor's or kubearmor-relay) with the same formats and filters as the store reader. A live
// stream has no history: it runs until interrupted, --limit is reached or the server ends it.
import type { AlertFilterSpec } from '../alert/filter.js';
import { formatAlert, type AlertFormat } from '../alert/format.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { watchGrpc, type GrpcClientTls } from '../api/grpc/client.js';
import { BulwarkError } from '../common/errors.js';

/** TLS files in karmor's --tlsCertPath layout: ca.crt, and client.crt + client.key for mTLS. */
export function tlsFromDir(dir: string): GrpcClientTls {
  const f = (n: string): string | undefined => (existsSync(join(dir, n)) ? join(dir, n) : undefined);
  const ca = f('ca.crt');
  if (!ca)
    throw new BulwarkError('API_TLS_FILE', `--grpc-tls: ${join(dir, 'ca.crt')} not found`, {
      file: join(dir, 'ca.crt'),
    });
  return { ca, cert: f('client.crt'), key: f('client.key') };
}

export async function logsFromGrpc(
  target: string,
  spec: AlertFilterSpec,
  format: AlertFormat,
  limit: number,
  tlsDir?: string,
): Promise<void> {
  let stdoutClosed = false;
  let pending = '';
  let flushing = false;
  const flush = (): void => {
    if (flushing || stdoutClosed || pending === '') return;
    const chunk = pending;
    pending = '';
    flushing = true;
    // Writes are batched per turn of the event loop; a slow terminal only delays our own output.
    if (process.stdout.write(chunk)) {
      flushing = false;
    } else {
      process.stdout.once('drain', () => {
        flushing = false;
        flush();
      });
    }
  };
  const tls = tlsDir !== undefined ? tlsFromDir(tlsDir) : undefined;
  const watch = await watchGrpc(
    target,
    { ...spec, limit },
    (alert) => {
      pending += formatAlert(alert, format);
      setImmediate(flush);
    },
    { tls },
  );
  const stop = (): void => watch.close();
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') {
      stdoutClosed = true;
      stop();
    }
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await watch.done;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    flush();
  }
}
