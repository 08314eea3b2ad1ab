// Who is on the other end of a loopback TCP connection: Linux lists every socket of this network
// namespace in /proc/net/tcp{,6} with its owner uid. The client's socket is the entry whose local
// port is the peer's port and whose remote port is ours. Used to let only root (or the agent's own
// user) change policies over loopback TCP, where any local user could otherwise connect.
import { readFile } from 'node:fs/promises';

/** Splits `127.0.0.1:5432`, `::1:5432`, `[::1]:5432` or `::ffff:127.0.0.1:5432` into host and port. */
export function splitPeer(peer: string): { host: string; port: number } | null {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(peer);
  if (!m) return null;
  return { host: m[1], port: Number(m[2]) };
}

interface SocketEntry {
  localPort: number;
  remotePort: number;
  uid: number;
}

/** Parses /proc/net/tcp-format text (addresses as hex `ADDR:PORT`, uid in column 8). */
export function parseProcNetTcp(text: string): SocketEntry[] {
  const out: SocketEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8) continue;
    const local = cols[1].split(':');
    const remote = cols[2].split(':');
    const uid = Number(cols[7]);
    if (local.length !== 2 || remote.length !== 2 || !Number.isInteger(uid)) continue;
    out.push({ localPort: parseInt(local[1], 16), remotePort: parseInt(remote[1], 16), uid });
  }
  return out;
}

/**
 * The uid owning the client socket of a connection from `peerPort` to our `serverPort`, or null
 * when it cannot be found (connection gone, /proc unavailable).
 */
export async function peerUid(peerPort: number, serverPort: number): Promise<number | null> {
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const hit = parseProcNetTcp(text).find((e) => e.localPort === peerPort && e.remotePort === serverPort);
    if (hit) return hit.uid;
  }
  return null;
}
