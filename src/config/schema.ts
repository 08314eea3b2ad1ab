// JSON schema of the configuration file (ajv). Every setting is optional in the file; defaults
// fill the rest. Unknown settings are refused (additionalProperties: false) so a misspelt key never
// silently falls back to a default. `x-fix` carries format advice for pattern failures.
import { SENSOR_CHOICES } from './types.js';

export type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const posture: Schema = { type: 'string', enum: ['audit', 'block'] };
const format: Schema = { type: 'string', enum: ['text', 'json', 'pretty-json'] };
const absPath: Schema = {
  type: 'string',
  pattern: '^/',
  'x-fix': 'write an absolute path, starting with /',
};
/** '' (meaning: the default) or an absolute path. */
const optAbsPath: Schema = {
  type: 'string',
  pattern: '^(/|$)',
  'x-fix': "write an absolute path, starting with /, or '' for the default",
};
const listen: Schema = {
  type: 'string',
  pattern: '^(unix:/.+|(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9_.-]+):[0-9]{1,5})$',
  'x-fix': 'write HOST:PORT (127.0.0.1:32767), [IPv6]:PORT ([::1]:32767) or unix:/absolute/path.sock',
};
const int = (minimum: number, maximum: number): Schema => ({ type: 'integer', minimum, maximum });
const obj = (properties: Record<string, Schema>): Schema => ({
  type: 'object',
  additionalProperties: false,
  properties,
});
const strList: Schema = { type: 'array', items: str };
const endpoint = obj({ enabled: bool, listen });

const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];

export const configSchema: Schema = obj({
  mode: { type: 'string', enum: ['host', 'kubernetes'] },
  stateDir: absPath,
  policyDir: absPath,
  policies: { type: 'array', items: absPath },
  sensor: { type: 'string', enum: [...SENSOR_CHOICES] },
  replayFile: optAbsPath,
  clusterName: { type: 'string', minLength: 1, maxLength: 253 },
  nodeName: { type: 'string', minLength: 1, maxLength: 253 },
  posture: obj({
    workload: posture,
    host: posture,
    namespaces: { type: 'object', propertyNames: { minLength: 1 }, additionalProperties: posture },
  }),
  throttle: obj({
    enabled: bool,
    maxAlertsPerSec: int(1, 1_000_000),
    throttleSec: int(1, 86_400),
  }),
  sinks: obj({
    stdout: obj({ enabled: bool, format }),
    file: obj({
      enabled: bool,
      path: optAbsPath,
      format,
      maxBytes: int(4096, Number.MAX_SAFE_INTEGER),
      keep: int(0, 1000),
    }),
    syslog: obj({
      enabled: bool,
      target: {
        type: 'string',
        pattern: '^((udp|tcp)://(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9_.-]+):[0-9]{1,5}|unix:/.+)$',
        'x-fix': 'write udp://127.0.0.1:514, tcp://HOST:PORT or unix:/run/syslog.sock (a stream socket)',
      },
      format: { type: 'string', enum: ['rfc5424'] },
      facility: { type: 'string', enum: FACILITIES },
      appName: { type: 'string', minLength: 1, maxLength: 48, pattern: '^[!-~]+$' },
    }),
    store: obj({
      enabled: bool,
      maxRows: int(1, 1_000_000_000),
      maxAgeDays: int(0, 36_500),
    }),
    queueCapacity: int(1, 10_000_000),
  }),
  api: obj({ grpc: endpoint, health: endpoint, http: endpoint }),
  baseline: obj({
    recheckOnGap: bool,
    paths: { type: 'array', items: absPath },
    exclude: strList,
    digests: {
      type: 'array',
      items: { type: 'string', enum: ['sha256', 'sha512', 'sha3-256', 'blake2b512'] },
    },
    key: optAbsPath,
    keep: int(1, 1000),
  }),
  enrich: obj({
    processCache: bool,
    processCacheSize: int(64, 10_000_000),
    runtimeMetadata: bool,
  }),
  log: obj({ level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'] } }),
});
