// createSinks(config): the sink set the agent writes alerts to. write() pushes one alert to every
// sink's bounded queue (O(1) per sink, never blocks, never throws); stats() reports each sink and
// totals; flush() waits (bounded) until queues are empty; close() flushes and closes them all.
import { BulwarkError } from '../common/errors.js';
import type { Alert } from '../alert/types.js';
import { ALERT_FORMATS, type AlertFormat } from '../alert/format.js';
import { FileSink, type FileSinkOptions } from './file.js';
import { SinkRunner } from './queue.js';
import { StreamSink, type StreamSinkOptions } from './stdout.js';
import { StoreSink, type StoreSinkOptions } from './store-sink.js';
import { storePath } from './store.js';
import { SyslogSink, type SyslogSinkOptions } from './syslog.js';
import type {
  LatencyObserver,
  QueueOptions,
  SinkBackend,
  SinkEvent,
  SinkSetStats,
  SinkStats,
} from './types.js';

export interface SinksConfig {
  stdout?: StreamSinkOptions & { queue?: QueueOptions };
  file?: FileSinkOptions & { queue?: QueueOptions };
  syslog?: SyslogSinkOptions & { queue?: QueueOptions };
  /** The store; `stateDir` places it at `<stateDir>/alerts.db` unless `path` is given. */
  store?: Partial<StoreSinkOptions> & { stateDir?: string; queue?: QueueOptions };
  /** Extra backends (tests, fault injection, embedding). */
  custom?: { backend: SinkBackend; queue?: QueueOptions }[];
  /** Defaults for every queue. */
  queue?: QueueOptions;
  onEvent?: (e: SinkEvent) => void;
  onLatency?: LatencyObserver;
}

export interface SinkSet {
  /** Opens every sink now (optional; sinks otherwise open at their first alert). Never rejects. */
  open(): Promise<void>;
  /** Queues the alert on every sink. O(sinks), never blocks or throws. Returns how many sinks dropped it. */
  write(alert: Alert): number;
  stats(): SinkSetStats;
  /** Resolves true when every queue drained within timeoutMs. */
  flush(timeoutMs?: number): Promise<boolean>;
  close(timeoutMs?: number): Promise<void>;
  readonly names: readonly string[];
}

function checkFormat(where: string, f: AlertFormat | undefined): void {
  if (f !== undefined && !ALERT_FORMATS.includes(f)) {
    throw new BulwarkError(
      'SINK_CONFIG',
      `${where}.format must be one of ${ALERT_FORMATS.join(', ')}, not ${JSON.stringify(f)}`,
    );
  }
}

function checkQueue(where: string, q: QueueOptions | undefined): void {
  for (const k of ['capacity', 'batchSize', 'backoffMinMs', 'backoffMaxMs'] as const) {
    const v = q?.[k];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
      throw new BulwarkError(
        'SINK_CONFIG',
        `${where}.queue.${k} must be a positive integer, not ${JSON.stringify(v)}`,
      );
    }
  }
}

/** Builds the configured sinks; throws BW6007 on an invalid setting. Nothing is opened yet. */
export function createSinks(config: SinksConfig): SinkSet {
  const entries: { backend: SinkBackend; queue?: QueueOptions; batch?: number }[] = [];
  if (config.stdout) {
    checkFormat('stdout', config.stdout.format);
    entries.push({ backend: new StreamSink(config.stdout), queue: config.stdout.queue });
  }
  if (config.file) {
    checkFormat('file', config.file.format);
    if (!config.file.path) throw new BulwarkError('SINK_CONFIG', 'file.path is required');
    for (const k of ['maxBytes', 'maxFiles'] as const) {
      const v = config.file[k];
      if (v !== undefined && !(Number.isInteger(v) && v >= (k === 'maxFiles' ? 0 : 1))) {
        throw new BulwarkError(
          'SINK_CONFIG',
          `file.${k} must be a ${k === 'maxFiles' ? 'non-negative' : 'positive'} integer`,
        );
      }
    }
    entries.push({ backend: new FileSink(config.file), queue: config.file.queue });
  }
  if (config.syslog) {
    const s = config.syslog;
    if (!['udp', 'tcp', 'unix'].includes(s.transport)) {
      throw new BulwarkError(
        'SINK_CONFIG',
        `syslog.transport must be udp, tcp or unix, not ${JSON.stringify(s.transport)}`,
      );
    }
    if (s.transport === 'unix' && !s.path)
      throw new BulwarkError('SINK_CONFIG', 'syslog.path is required for the unix transport');
    entries.push({ backend: new SyslogSink(s), queue: s.queue });
  }
  if (config.store) {
    const s = config.store;
    const path = s.path ?? storePath(s.stateDir);
    entries.push({ backend: new StoreSink({ ...s, path }), queue: s.queue, batch: 1000 });
  }
  for (const c of config.custom ?? []) entries.push(c);

  checkQueue('queue', config.queue);
  const runners = entries.map((e) => {
    checkQueue(e.backend.name, e.queue);
    return new SinkRunner(e.backend, {
      ...(e.batch ? { batchSize: e.batch } : {}),
      ...config.queue,
      ...e.queue,
      onEvent: config.onEvent,
      onLatency: config.onLatency,
    });
  });
  const names = runners.map((r) => r.name);
  if (new Set(names).size !== names.length) {
    throw new BulwarkError(
      'SINK_CONFIG',
      `two sinks share a name (${names.join(', ')}); give custom sinks distinct names`,
    );
  }

  return {
    names,
    async open(): Promise<void> {
      await Promise.all(runners.map((r) => r.open()));
    },
    write(alert: Alert): number {
      let refused = 0;
      for (const r of runners) if (!r.push(alert)) refused++;
      return refused;
    },
    stats(): SinkSetStats {
      return sumStats(runners.map((r) => r.stats()));
    },
    async flush(timeoutMs = 5000): Promise<boolean> {
      const done = await Promise.all(runners.map((r) => r.flush(timeoutMs)));
      return done.every(Boolean);
    },
    async close(timeoutMs = 5000): Promise<void> {
      await Promise.all(runners.map((r) => r.close(timeoutMs)));
    },
  };
}

export function sumStats(sinks: SinkStats[]): SinkSetStats {
  const totals = {
    accepted: 0,
    delivered: 0,
    dropped: 0,
    queued: 0,
    droppedBy: {} as Record<string, number>,
  };
  for (const s of sinks) {
    totals.accepted += s.accepted;
    totals.delivered += s.delivered;
    totals.dropped += s.dropped;
    totals.queued += s.queued;
    for (const [k, v] of Object.entries(s.droppedBy)) totals.droppedBy[k] = (totals.droppedBy[k] ?? 0) + v;
  }
  return { sinks, totals };
}
