// Embedded defaults: a host-mode agent that audits, keeps its state under /var/lib/bulwark, reads
// policies from /etc/bulwark/policies and serves its APIs on loopback only. Sinks: the SQLite store
// is on; stdout, file and syslog are off. Rationale for stdout off: under systemd stdout goes to
// the journal, which would then hold a second, unbounded copy of every alert; `bulwark logs` reads
// the store, and `--set sinks.stdout.enabled=true` (or the config file) turns stdout on.
import { hostname } from 'node:os';
import type { AgentConfig } from './types.js';

export const DEFAULT_CONFIG_FILE = '/etc/bulwark/bulwark.yaml';
export const DEFAULT_STATE_DIR = '/var/lib/bulwark';
export const DEFAULT_POLICY_DIR = '/etc/bulwark/policies';
/** File sink path relative to stateDir when `sinks.file.path` is not set. */
export const DEFAULT_ALERT_LOG = 'alerts.log';

/** A fresh copy of the defaults (callers may mutate it). */
export function defaultConfig(host: string = hostname()): AgentConfig {
  return {
    mode: 'host',
    stateDir: DEFAULT_STATE_DIR,
    policyDir: DEFAULT_POLICY_DIR,
    policies: [],
    sensor: 'auto',
    replayFile: '',
    clusterName: 'default',
    nodeName: host,
    posture: { workload: 'audit', host: 'audit', namespaces: {} },
    throttle: { enabled: true, maxAlertsPerSec: 10, throttleSec: 30 },
    sinks: {
      stdout: { enabled: false, format: 'json' },
      file: { enabled: false, path: '', format: 'json', maxBytes: 50 * 1024 * 1024, keep: 5 },
      syslog: {
        enabled: false,
        target: 'udp://127.0.0.1:514',
        format: 'rfc5424',
        facility: 'local0',
        appName: 'bulwark',
      },
      store: { enabled: true, maxRows: 1_000_000, maxAgeDays: 7 },
      queueCapacity: 10_000,
    },
    api: {
      grpc: { enabled: true, listen: '127.0.0.1:32767' },
      health: { enabled: true, listen: '127.0.0.1:32766' },
      http: { enabled: true, listen: '127.0.0.1:9100' },
    },
    baseline: {
      recheckOnGap: true,
      paths: [],
      exclude: [],
      digests: ['sha256'],
      key: '',
      keep: 5,
    },
    enrich: { processCache: true, processCacheSize: 16_384, runtimeMetadata: true },
    log: { level: 'info' },
  };
}
