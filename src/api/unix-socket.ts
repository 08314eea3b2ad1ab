// Unix socket housekeeping shared by the gRPC and HTTP endpoints.
import { lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * Removes a socket file left by a process that died. A socket that accepts a connection belongs
 * to a live server and is kept (binding then fails with EADDRINUSE); a path that is not a socket is
 * never removed.
 */
export async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) return;
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (!alive) unlinkSync(path);
}

/** Removes our own socket file on close; a missing file is fine. */
export function removeSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // already gone
  }
}
