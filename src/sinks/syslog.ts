// Syslog sink: RFC 5424 messages (rfc5424.ts) over UDP (one datagram per alert), TCP, or a unix
// stream socket (RFC 6587 framing: octet counting on TCP, LF on unix sockets by default). A refused
// or closed connection fails the batch; the runner counts it and reconnects with backoff.
// Node.js cannot send to unix *datagram* sockets (such as systemd-journald's /dev/log); connecting
// to one fails with EPROTOTYPE, reported as BW6102 with that explanation.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIPv6, type Socket } from 'node:net';
import { hostname } from 'node:os';
import type { Alert } from '../alert/types.js';
import { type Facility, type Framing, formatRfc5424, frame } from './rfc5424.js';
import type { SinkBackend } from './types.js';

export type SyslogTransport = 'udp' | 'tcp' | 'unix';

export interface SyslogSinkOptions {
  transport: SyslogTransport;
  /** UDP/TCP destination. Default 127.0.0.1:514. */
  host?: string;
  port?: number;
  /** Unix socket path (transport unix). */
  path?: string;
  facility?: Facility;
  appName?: string;
  /** Stream framing. Default octet-counting for TCP, lf for unix. */
  framing?: Framing;
  /** Connection timeout, ms. Default 3000. */
  connectTimeoutMs?: number;
  name?: string;
}

export class SyslogSink implements SinkBackend {
  readonly name: string;
  private readonly opts: SyslogSinkOptions;
  private readonly framing: Framing;
  private readonly host = hostname();
  private udp: UdpSocket | undefined;
  private sock: Socket | undefined;
  private broken: (Error & { code?: string }) | undefined;

  constructor(opts: SyslogSinkOptions) {
    this.opts = opts;
    this.name = opts.name ?? `syslog-${opts.transport}`;
    this.framing = opts.framing ?? (opts.transport === 'tcp' ? 'octet-counting' : 'lf');
  }

  async open(): Promise<void> {
    this.broken = undefined;
    const { transport } = this.opts;
    if (transport === 'udp') {
      const host = this.opts.host ?? '127.0.0.1';
      const udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
      udp.on('error', (e) => (this.broken = e));
      await new Promise<void>((resolve, reject) => {
        const onErr = (e: Error): void => {
          udp.close();
          reject(e);
        };
        udp.once('error', onErr);
        udp.connect(this.opts.port ?? 514, host, () => {
          udp.off('error', onErr);
          resolve();
        });
      });
      this.udp = udp;
      return;
    }
    const sock =
      transport === 'unix'
        ? connect({ path: this.opts.path ?? '/dev/log' })
        : connect({ host: this.opts.host ?? '127.0.0.1', port: this.opts.port ?? 514 });
    sock.setTimeout(this.opts.connectTimeoutMs ?? 3000);
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: Error & { code?: string }): void => {
        sock.destroy();
        if (e.code === 'EPROTOTYPE' && transport === 'unix') {
          e.message =
            `${this.opts.path} is a datagram socket (like journald's /dev/log); Node.js writes only to ` +
            'unix stream sockets: send to a syslog daemon over UDP (127.0.0.1:514) or give it a stream socket';
        }
        reject(e);
      };
      sock.once('error', onErr);
      sock.once('timeout', () => onErr(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })));
      sock.once('connect', () => {
        sock.off('error', onErr);
        sock.removeAllListeners('timeout');
        sock.setTimeout(0);
        resolve();
      });
    });
    sock.on('error', (e) => (this.broken = e));
    sock.on('close', () => {
      this.broken ??= Object.assign(new Error('syslog server closed the connection'), { code: 'ECONNRESET' });
    });
    // The server never sends anything; discard whatever it does send.
    sock.on('data', () => undefined);
    this.sock = sock;
  }

  async write(batch: readonly Alert[]): Promise<void> {
    if (this.broken) throw this.broken;
    const fmt = { facility: this.opts.facility, appName: this.opts.appName, hostname: this.host };
    if (this.udp) {
      const udp = this.udp;
      await Promise.all(
        batch.map(
          (a) =>
            new Promise<void>((resolve, reject) =>
              udp.send(Buffer.from(formatRfc5424(a, fmt)), (e) => (e ? reject(e) : resolve())),
            ),
        ),
      );
      return;
    }
    const sock = this.sock;
    if (!sock || sock.destroyed) {
      throw Object.assign(new Error('syslog connection is closed'), { code: 'ECONNRESET' });
    }
    const buf = Buffer.concat(batch.map((a) => frame(formatRfc5424(a, fmt), this.framing)));
    await new Promise<void>((resolve, reject) => sock.write(buf, (e) => (e ? reject(e) : resolve())));
    if (this.broken) throw this.broken;
  }

  async close(): Promise<void> {
    const { udp, sock } = this;
    this.udp = undefined;
    this.sock = undefined;
    if (udp) await new Promise<void>((r) => udp.close(() => r())).catch(() => undefined);
    if (sock) {
      await new Promise<void>((r) => {
        if (sock.destroyed) return r();
        sock.once('close', () => r());
        sock.end();
        setTimeout(() => sock.destroy(), 1000).unref();
      });
    }
  }
}
