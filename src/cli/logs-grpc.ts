// `bulwark logs --grpc HOST:PORT`: prints alerts streamed from a KubeArmor LogService (Bulwark's,
// KubeArmor's or kubearmor-relay) with the same formats and filters as the store reader. A live
// stream has no history: it runs until interrupted, --limit is reached or the server ends it.
import type { AlertFilterSpec } from '../alert/filter.js';
import { formatAlert, type AlertFormat } from '../alert/format.js';
import { watchGrpc } from '../api/grpc/client.js';

export async function logsFromGrpc(
  target: string,
  spec: AlertFilterSpec,
  format: AlertFormat,
  limit: number,
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
  const watch = await watchGrpc(target, { ...spec, limit }, (alert) => {
    pending += formatAlert(alert, format);
    setImmediate(flush);
  });
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
