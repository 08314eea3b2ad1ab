// Public API of the sink stage: the fan-out, the individual sinks, the store and its location.
export { createSinks, sumStats, type SinkSet, type SinksConfig } from './fanout.js';
export { SinkRunner, RingQueue } from './queue.js';
export { StreamSink, type StreamSinkOptions } from './stdout.js';
export { FileSink, rotatedFiles, type FileSinkOptions } from './file.js';
export { SyslogSink, type SyslogSinkOptions, type SyslogTransport } from './syslog.js';
export {
  formatRfc5424,
  parseRfc5424,
  frame,
  syslogSeverity,
  SD_ID,
  FACILITIES,
  type Facility,
} from './rfc5424.js';
export { StoreSink, type StoreSinkOptions } from './store-sink.js';
export {
  AlertStore,
  openStore,
  readStoreSummary,
  toRow,
  storePath,
  STORE_FILE,
  DEFAULT_STATE_DIR,
  STORE_SCHEMA_VERSION,
  type StoreOptions,
  type StoredAlert,
  type StoreSummary,
  type StoreRow,
} from './store.js';
export { describeSinkEvent, type SinkEventLine } from './events.js';
export type {
  SinkBackend,
  SinkState,
  SinkStats,
  SinkSetStats,
  QueueOptions,
  SinkEvent,
  LatencyObserver,
} from './types.js';
