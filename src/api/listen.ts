// Listen addresses and the rule that guards them: loopback or a unix socket by default; any other
// address only with TLS configured explicitly, and policy changes over the network only with
// client certificates (mTLS). Checked before anything binds, so a bad configuration starts nothing.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { BulwarkError } from '../common/errors.js';

export type ListenAddress =
  | { kind: 'tcp'; host: string; port: number; loopback: boolean; text: string }
  | { kind: 'unix'; path: string; text: string };

/** PEM file paths. clientCa turns on mTLS: clients must present a certificate signed by it. */
export interface TlsFiles {
  cert: string;
  key: string;
  clientCa?: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
}

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`. Other names count as remote. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return isIP(h.slice(7)) === 4 && h.slice(7).startsWith('127.');
  return false;
}

/** Parses `HOST:PORT`, `[V6]:PORT`, `:PORT` (every interface) or `unix:/abs/path`. */
export function parseListenAddress(text: string, what: string): ListenAddress {
  const bad = (why: string): BulwarkError =>
    new BulwarkError('API_BAD_ADDRESS', `${what}: "${text}" ${why}`, { address: text, endpoint: what });
  if (text.startsWith('unix:')) {
    const path = text.slice(5).replace(/^\/\/(?=\/)/, '');
    if (!path.startsWith('/')) throw bad('must name an absolute socket path (unix:/run/bulwark/api.sock)');
    return { kind: 'unix', path, text };
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) throw bad('is not HOST:PORT, [IPV6]:PORT or unix:/path');
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port > 65535) throw bad('has a port above 65535');
  if (m[1] !== undefined && isIP(host) !== 6) throw bad('has an invalid IPv6 address in brackets');
  const h = host === '' ? '0.0.0.0' : host;
  return { kind: 'tcp', host: h, port, loopback: isLoopbackHost(h), text };
}

/** Host and port as a gRPC bind target (`[::1]:32767`, `unix:/path`). */
export function grpcTarget(a: ListenAddress, port?: number): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  const host = isIP(a.host) === 6 ? `[${a.host}]` : a.host;
  return `${host}:${port ?? a.port}`;
}

/**
 * Refuses insecure exposure: a non-loopback TCP address needs TLS, and when the endpoint accepts
 * policy changes it also needs a client CA (mTLS). Unix sockets and loopback pass; their access
 * control is the socket's file mode and, for policy changes over loopback TCP, the peer's uid.
 */
export function checkExposure(
  what: string,
  addr: ListenAddress,
  tls: TlsFiles | undefined,
  acceptsPolicyChanges: boolean,
): void {
  if (addr.kind === 'unix' || addr.loopback) return;
  if (!tls) {
    throw new BulwarkError(
      'API_INSECURE_BIND',
      `${what}: refusing to listen on ${addr.text} without TLS; it is not a loopback address`,
      { address: addr.text, endpoint: what },
    );
  }
  if (acceptsPolicyChanges && !tls.clientCa) {
    throw new BulwarkError(
      'API_POLICY_NEEDS_MTLS',
      `${what}: refusing to accept policy changes on ${addr.text} without client certificates (tls.clientCa is not set)`,
      { address: addr.text, endpoint: what },
    );
  }
}

function readPem(file: string, kind: 'certificate' | 'key', what: string): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new BulwarkError('API_TLS_FILE', `${what}: cannot read ${file}: ${(e as Error).message}`, { file });
  }
  const text = buf.toString('latin1');
  const ok =
    kind === 'certificate'
      ? text.includes('-----BEGIN CERTIFICATE-----')
      : /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text);
  if (!ok) throw new BulwarkError('API_TLS_FILE', `${what}: ${file} holds no PEM ${kind}`, { file });
  return buf;
}

export function loadTls(files: TlsFiles, what: string): TlsMaterial {
  return {
    cert: readPem(files.cert, 'certificate', what),
    key: readPem(files.key, 'key', what),
    clientCa: files.clientCa ? readPem(files.clientCa, 'certificate', what) : undefined,
  };
}
