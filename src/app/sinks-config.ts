// Maps the agent configuration's sink settings onto the sinks stage's SinksConfig.
import { BulwarkError } from '../common/errors.js';
import type { AgentConfig } from '../config/index.js';
import type { SinksConfig, SyslogSinkOptions } from '../sinks/index.js';

/** `udp://HOST:PORT`, `tcp://HOST:PORT` or `unix:/path` → syslog transport options. */
export function syslogTarget(
  target: string,
): Pick<SyslogSinkOptions, 'transport' | 'host' | 'port' | 'path'> {
  if (target.startsWith('unix:')) return { transport: 'unix', path: target.slice(5) };
  const m = /^(udp|tcp):\/\/(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target);
  if (!m) {
    throw new BulwarkError(
      'SINK_CONFIG',
      `sinks.syslog.target must be udp://HOST:PORT, tcp://HOST:PORT or unix:/path, not ${JSON.stringify(target)}`,
    );
  }
  return { transport: m[1] as 'udp' | 'tcp', host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) };
}

export function sinksConfig(cfg: AgentConfig): SinksConfig {
  const s = cfg.sinks;
  const out: SinksConfig = { queue: { capacity: s.queueCapacity } };
  if (s.stdout.enabled) out.stdout = { format: s.stdout.format };
  if (s.file.enabled)
    out.file = { path: s.file.path, format: s.file.format, maxBytes: s.file.maxBytes, maxFiles: s.file.keep };
  if (s.syslog.enabled)
    out.syslog = {
      ...syslogTarget(s.syslog.target),
      appName: s.syslog.appName,
      facility: s.syslog.facility as SyslogSinkOptions['facility'],
    };
  if (s.store.enabled)
    out.store = { stateDir: cfg.stateDir, maxRows: s.store.maxRows, maxAgeSec: s.store.maxAgeDays * 86_400 };
  return out;
}
