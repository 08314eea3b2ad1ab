// The agent's control socket: `<state-dir>/agent.sock`, a unix socket (mode 0600, root only)
// speaking JSON lines: one request object per line, one response object per line. `bulwark run`
// registers workloads through it and `bulwark status` reads the agent's state. Only local
// processes that can open the socket file can talk to it.
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

export const SOCKET_NAME = 'agent.sock';

export function socketPath(stateDir: string): string {
  return join(stateDir, SOCKET_NAME);
}

export type ControlRequest = { op: string } & Record<string, unknown>;
export type ControlResponse = { ok: boolean; error?: string } & Record<string, unknown>;
export type ControlHandler = (
  req: ControlRequest,
  peer: Socket,
) => Promise<ControlResponse> | ControlResponse;

/** True when an agent answers on the socket (a stale socket file does not count). */
export async function agentAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  if (!existsSync(path)) return false;
  try {
    const r = await request(path, { op: 'ping' }, timeoutMs);
    return r.ok;
  } catch {
    return false;
  }
}

/**
 * Listens on the socket. Refuses to start when another agent answers there; removes a stale
 * socket file left by an agent that died.
 */
export interface ControlServer {
  readonly server: Server;
  /** Stops listening and ends open connections (a `bulwark run` waiting on its workload). */
  close(): Promise<void>;
}

export async function listenControl(path: string, handler: ControlHandler): Promise<ControlServer> {
  if (await agentAnswers(path))
    throw new Error(`another agent is running with this state directory (${path})`);
  if (existsSync(path)) unlinkSync(path);
  const open = new Set<Socket>();
  const server = createServer((sock) => {
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void answer(line, sock, handler);
      }
    });
    sock.on('error', () => sock.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const sock of open) sock.destroy();
      }),
  };
}

async function answer(line: string, sock: Socket, handler: ControlHandler): Promise<void> {
  let res: ControlResponse;
  try {
    const req = JSON.parse(line) as ControlRequest;
    if (typeof req.op !== 'string') throw new Error('request without "op"');
    res = req.op === 'ping' ? { ok: true } : await handler(req, sock);
  } catch (e) {
    res = { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  if (!sock.destroyed) sock.write(`${JSON.stringify(res)}\n`);
}

/** One request, one response. Rejects when nothing listens or no answer comes in time. */
export function request(path: string, req: ControlRequest, timeoutMs = 5000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    // Chunks are kept as they come and only the newest is searched for the end of the line: an
    // answer can be a megabyte (a check's result), which string appends would copy over and over.
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from the agent at ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const nl = chunk.indexOf(0x0a);
      if (nl === -1) return;
      clearTimeout(timer);
      sock.end();
      chunks[chunks.length - 1] = chunk.subarray(0, nl);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ControlResponse);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // The agent went away (stopped, crashed) before answering: say so now, not at the timeout
    // (a since-last check waits up to 30 minutes). After an answer this rejects nothing.
    sock.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`the agent at ${path} closed the connection without an answer`));
    });
  });
}

/**
 * A long-lived connection: `bulwark run` keeps one open while its workload runs, so the agent
 * notices when the runner dies (the connection closes) even if no "exited" message arrives.
 */
export class ControlConnection {
  private readonly sock: Socket;
  private buf = '';
  private readonly waiting: ((r: ControlResponse) => void)[] = [];
  private closed = false;

  private constructor(sock: Socket) {
    this.sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) !== -1) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.waiting.shift()?.(JSON.parse(line) as ControlResponse);
      }
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w({ ok: false, error: 'the agent closed the connection' });
    });
    sock.on('error', () => undefined);
  }

  static open(path: string): Promise<ControlConnection> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(path);
      sock.once('connect', () => resolve(new ControlConnection(sock)));
      sock.once('error', reject);
    });
  }

  send(req: ControlRequest): Promise<ControlResponse> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'the agent closed the connection' });
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.sock.write(`${JSON.stringify(req)}\n`);
    });
  }

  close(): void {
    this.sock.end();
  }
}
