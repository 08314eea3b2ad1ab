// The agent configuration: what `bulwark agent` reads from /etc/bulwark/bulwark.yaml (or --config),
// overlaid by command-line flags, on top of embedded defaults (defaults.ts). Every field of
// AgentConfig is always filled after loadConfig(); docs/config.md documents each one.

/** Default posture for operations not covered by an Allow rule in whitelist mode. */
export type ConfigPosture = 'audit' | 'block';

/** Which kernel mechanism the agent uses; `auto` probes in order bpf-lsm, landlock, fanotify. */
export type SensorChoice = 'auto' | 'bpf-lsm' | 'landlock' | 'fanotify' | 'replay' | 'none';
export const SENSOR_CHOICES: readonly SensorChoice[] = [
  'auto',
  'bpf-lsm',
  'landlock',
  'fanotify',
  'replay',
  'none',
];

/** `host`: a plain Linux host (workloads come from `bulwark run` and local runtimes); `kubernetes`: a node. */
export type AgentMode = 'host' | 'kubernetes';

/** Alert renderings, as src/alert/format.ts names them. */
export type ConfigAlertFormat = 'text' | 'json' | 'pretty-json';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface PostureSettings {
  workload: ConfigPosture;
  host: ConfigPosture;
  /** Per-namespace override of the workload posture (namespace → posture). */
  namespaces: Record<string, ConfigPosture>;
}

export interface ThrottleSettings {
  enabled: boolean;
  /** Alerts per second per workload before the throttle trips (KubeArmor default 10). */
  maxAlertsPerSec: number;
  /** Seconds alerts of a tripped workload are dropped, and counted (KubeArmor default 30). */
  throttleSec: number;
}

export interface StdoutSinkSettings {
  enabled: boolean;
  format: ConfigAlertFormat;
}

export interface FileSinkSettings {
  enabled: boolean;
  /** Absolute path; default `<stateDir>/alerts.log` (filled by loadConfig). */
  path: string;
  format: ConfigAlertFormat;
  /** Rotate before the file would grow past this many bytes. */
  maxBytes: number;
  /** Rotated files kept (`alerts.log.1` … `.N`). */
  keep: number;
}

export interface SyslogSinkSettings {
  enabled: boolean;
  /** `udp://HOST:PORT`, `tcp://HOST:PORT` or `unix:/path` (a stream socket). */
  target: string;
  /** Message format; RFC 5424 is the only one. */
  format: 'rfc5424';
  facility: string;
  appName: string;
}

export interface StoreSinkSettings {
  enabled: boolean;
  /** Alerts kept at most in `<stateDir>/alerts.db`; the oldest are pruned. */
  maxRows: number;
  /** Alerts older than this many days are pruned; 0 keeps them (up to maxRows). */
  maxAgeDays: number;
}

export interface SinkSettings {
  stdout: StdoutSinkSettings;
  file: FileSinkSettings;
  syslog: SyslogSinkSettings;
  store: StoreSinkSettings;
  /** Alerts each sink queues before it drops (and counts) new ones. */
  queueCapacity: number;
}

export interface ListenSettings {
  enabled: boolean;
  /** `HOST:PORT`, `[IPv6]:PORT` or `unix:/absolute/path.sock`. */
  listen: string;
}

export interface ApiSettings {
  /** KubeArmor-compatible LogService/PolicyService (karmor logs connects here). */
  grpc: ListenSettings;
  /** grpc.health.v1 and HTTP /healthz, /readyz. */
  health: ListenSettings;
  /** Prometheus /metrics. */
  http: ListenSettings;
}

export interface BaselineSettingsConfig {
  /** Re-check the baseline of the affected filesystem when the sensor reports lost events. */
  recheckOnGap: boolean;
  /** Extra roots to baseline, beyond the directories policies protect. */
  paths: string[];
  /** Globs excluded from the baseline. */
  exclude: string[];
  /** Digest algorithms (sha256, sha512, sha3-256, blake2b512). */
  digests: string[];
  /** Signing key file; '' means the default under /etc/bulwark/keys. */
  key: string;
  /** Baseline versions whose entries are kept. */
  keep: number;
}

export interface EnrichSettings {
  /** Process cache fed by the kernel's exec/exit notifications (proc connector). */
  processCache: boolean;
  /** Processes remembered at most (exited ones are evicted first by age). */
  processCacheSize: number;
  /** Ask container runtimes (podman, crictl, ctr) for names, images and labels. */
  runtimeMetadata: boolean;
}

export interface LogSettings {
  level: LogLevel;
}

export interface AgentConfig {
  mode: AgentMode;
  /** Agent state: alert store, rule-set state, status socket. Several agents need distinct ones. */
  stateDir: string;
  /** Directory of KubeArmor policy files, watched for changes. */
  policyDir: string;
  /** Extra policy files or directories loaded besides policyDir. */
  policies: string[];
  sensor: SensorChoice;
  /** Replay file read when sensor is `replay`. */
  replayFile: string;
  /** `ClusterName` of every alert (KubeArmor's -cluster, default `default`). */
  clusterName: string;
  /** `HostName` of every alert; default the machine's hostname. */
  nodeName: string;
  posture: PostureSettings;
  throttle: ThrottleSettings;
  sinks: SinkSettings;
  api: ApiSettings;
  baseline: BaselineSettingsConfig;
  enrich: EnrichSettings;
  log: LogSettings;
}

/** Values taken from the command line; undefined means "not given". */
export interface ConfigFlags {
  config?: string;
  policies?: string;
  stateDir?: string;
  sensor?: string;
  /** Events file for the replay sensor (replayFile). */
  replay?: string;
  clusterName?: string;
  nodeName?: string;
  /** Workload posture; `NS=audit|block` sets one namespace (repeatable via a list). */
  posture?: string | string[];
  hostPosture?: string;
  /** Generic `key.path=value` settings, applied after the named flags. */
  set?: string[];
}
