// feeder.LogService as KubeArmor serves it (logServer.go): HealthCheck echoes the nonce;
// WatchAlerts accepts Filter "all" or "policy" and WatchLogs "all" or "system" — any other value
// ends the call at once with OK and no data, as upstream does; the accepted values all receive the
// same stream (upstream stores the filter and never uses it). Alerts of Type ContainerLog/HostLog
// go to WatchLogs, every other Type to WatchAlerts. Unlike upstream, a client that reads too slowly
// is told how much it missed instead of losing it silently (see subscriber.ts).
import * as grpc from '@grpc/grpc-js';
import type { Alert } from '../../alert/types.js';
import type { AlertSource } from '../types.js';
import type { Metrics } from '../metrics.js';
import { streamOf, toWire, type WireObject } from './convert.js';
import type { WireSchema } from './proto.js';
import { Outgoing, passThroughSerializers } from './outgoing.js';
import { streamSink } from './stream-writer.js';
import { Subscriber } from './subscriber.js';
import { unixSeconds, updatedTime } from './time.js';

export interface Identity {
  clusterName: string;
  hostName: string;
  hostIP?: string;
}

export interface LogServiceOptions {
  /** Messages buffered per client before it starts missing them (KubeArmor: 1000). */
  bufferSize: number;
  /** Streaming clients at once; the next is refused with RESOURCE_EXHAUSTED. */
  maxClients: number;
  writer: 'pipelined' | 'stream';
  identity: Identity;
}

type StreamName = 'alerts' | 'logs' | 'messages';
const RPC: Record<StreamName, string> = {
  alerts: 'WatchAlerts',
  logs: 'WatchLogs',
  messages: 'WatchMessages',
};
const ACCEPTED: Record<'alerts' | 'logs', ReadonlySet<string>> = {
  alerts: new Set(['all', 'policy']),
  logs: new Set(['all', 'system']),
};

interface Client {
  sub: Subscriber;
  call: grpc.ServerWritableStream<WireObject, WireObject>;
}

/** Fans one AlertSource subscription out to every streaming client. */
export class LogHub {
  private readonly clients: Record<StreamName, Set<Client>> = {
    alerts: new Set(),
    logs: new Set(),
    messages: new Set(),
  };
  private unsubscribe: (() => void) | undefined;
  private stopQueueProbe: () => void;
  private readonly encoders: Record<StreamName, (w: WireObject) => Buffer>;
  /** feeder.LogService with pass-through serializers: serve this one (see outgoing.ts). */
  readonly service: grpc.ServiceDefinition;

  constructor(
    private readonly source: AlertSource,
    private readonly schema: WireSchema,
    private readonly metrics: Metrics,
    private readonly options: LogServiceOptions,
  ) {
    this.stopQueueProbe = metrics.watchQueue('grpc', () => this.depth());
    const { service, encoders } = passThroughSerializers(schema.logService);
    this.service = service;
    this.encoders = {
      alerts: encoders.WatchAlerts,
      logs: encoders.WatchLogs,
      messages: encoders.WatchMessages,
    };
  }

  private outgoing(stream: StreamName, make: () => WireObject): Outgoing {
    return new Outgoing(make, this.encoders[stream]);
  }

  /** Sum of every client's buffered messages. */
  depth(): number {
    let n = 0;
    for (const set of Object.values(this.clients)) for (const c of set) n += c.sub.depth;
    return n;
  }

  clientCount(): number {
    return this.clients.alerts.size + this.clients.logs.size + this.clients.messages.size;
  }

  /**
   * The producer path: wraps the alert and appends it to each client's buffer. Conversion and
   * encoding happen later, once, when the first client's pump sends it.
   */
  private readonly onAlert = (alert: Alert): void => {
    const stream = streamOf(alert.Type);
    const set = this.clients[stream];
    if (set.size === 0) return;
    const fields = stream === 'alerts' ? this.schema.alertFields : this.schema.logFields;
    const out = this.outgoing(stream, () => toWire(alert, fields));
    for (const c of set) c.sub.push(out);
  };

  /** Sends a debug/info line to WatchMessages clients (KubeArmor's `Message` stream). */
  message(level: 'INFO' | 'WARN' | 'ERROR' | 'DEBUG', text: string): void {
    if (this.clients.messages.size === 0) return;
    const now = Date.now();
    const { clusterName, hostName, hostIP } = this.options.identity;
    const msg: WireObject = {
      Timestamp: unixSeconds(now),
      UpdatedTime: updatedTime(now),
      ClusterName: clusterName,
      HostName: hostName,
      HostIP: hostIP ?? '',
      Type: 'Message',
      Level: level,
      Message: text,
    };
    const out = this.outgoing('messages', () => msg);
    for (const c of this.clients.messages) c.sub.push(out);
  }

  /** The SystemEvent a slow client receives in place of what it missed. */
  private notice(stream: StreamName, missed: number): Outgoing {
    return this.outgoing(stream, () => this.noticeWire(stream, missed));
  }

  private noticeWire(stream: StreamName, missed: number): WireObject {
    const now = Date.now();
    const { clusterName, hostName } = this.options.identity;
    const size = this.options.bufferSize;
    const what = stream === 'logs' ? 'logs' : stream === 'messages' ? 'messages' : 'alerts';
    const text = `${missed} ${what} were not sent to this client: its buffer of ${size} was full (the client reads too slowly)`;
    if (stream === 'messages') {
      return {
        Timestamp: unixSeconds(now),
        UpdatedTime: updatedTime(now),
        ClusterName: clusterName,
        HostName: hostName,
        Type: 'Message',
        Level: 'WARN',
        Message: text,
      };
    }
    const alert: Alert = {
      Timestamp: unixSeconds(now),
      UpdatedTime: updatedTime(now),
      ClusterName: clusterName,
      HostName: hostName,
      PPID: 0,
      UID: 0,
      Type: 'SystemEvent',
      Operation: 'MissedAlerts',
      Resource: RPC[stream],
      Data: `missed=${missed} buffer=${size} rpc=${RPC[stream]}`,
      Message: text,
      Enforcer: 'Bulwark',
      Result: 'Passed',
    };
    return toWire(alert, stream === 'logs' ? this.schema.logFields : this.schema.alertFields);
  }

  private attach(stream: StreamName, call: grpc.ServerWritableStream<WireObject, WireObject>): void {
    const rpc = RPC[stream];
    if (this.clientCount() >= this.options.maxClients) {
      this.metrics.drop('too-many-clients', 'grpc');
      call.emit('error', {
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: `${this.options.maxClients} streaming clients already connected`,
      });
      return;
    }
    const sub = new Subscriber(streamSink(call, this.options.writer), this.options.bufferSize, {
      notice: (missed) => this.notice(stream, missed),
      dropped: (n) => this.metrics.drop('slow-client', 'grpc', n),
      sent: (n) => this.metrics.grpcMessagesSent(rpc, n),
    });
    const client: Client = { sub, call };
    const set = this.clients[stream];
    set.add(client);
    this.metrics.grpcClientCount(rpc, set.size);
    if (stream !== 'messages' && !this.unsubscribe) this.unsubscribe = this.source.subscribe(this.onAlert);
    let gone = false;
    const detach = (): void => {
      if (gone) return;
      gone = true;
      sub.close();
      set.delete(client);
      this.metrics.grpcClientCount(rpc, set.size);
      if (this.clients.alerts.size === 0 && this.clients.logs.size === 0 && this.unsubscribe) {
        this.unsubscribe();
        this.unsubscribe = undefined;
      }
    };
    call.on('cancelled', detach);
    call.on('close', detach);
    call.on('error', detach);
    call.on('finish', detach);
  }

  handlers(): grpc.UntypedServiceImplementation {
    const watch =
      (stream: 'alerts' | 'logs') =>
      (call: grpc.ServerWritableStream<WireObject, WireObject>): void => {
        const filter = String(call.request?.Filter ?? '');
        if (!ACCEPTED[stream].has(filter)) {
          call.end();
          return;
        }
        this.attach(stream, call);
      };
    return {
      HealthCheck: (
        call: grpc.ServerUnaryCall<WireObject, WireObject>,
        cb: grpc.sendUnaryData<WireObject>,
      ): void => {
        cb(null, { Retval: Number(call.request?.nonce ?? 0) });
      },
      WatchMessages: (call: grpc.ServerWritableStream<WireObject, WireObject>): void =>
        this.attach('messages', call),
      WatchAlerts: watch('alerts'),
      WatchLogs: watch('logs'),
    };
  }

  /** Ends every stream (clients see a normal end) and drops the AlertSource subscription. */
  close(): void {
    for (const set of Object.values(this.clients)) {
      for (const c of [...set]) {
        c.sub.close();
        set.delete(c);
        try {
          c.call.end();
        } catch {
          // already gone
        }
      }
    }
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.stopQueueProbe();
  }
}
