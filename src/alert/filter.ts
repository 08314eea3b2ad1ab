// `karmor logs` filter semantics (kubearmor-client log/log.go), applied to stored or streamed
// alerts: unanchored regular expressions, case-insensitive on NamespaceName, Operation, Type,
// ContainerName and PodName, case-sensitive on Resource and Source; labels kept when any given
// `k=v` equals one of the alert's labels exactly. Also `--since` parsing.
import type { Alert } from './types.js';
import { isLogType } from './types.js';
import { BulwarkError } from '../common/errors.js';

export interface AlertFilterSpec {
  namespace?: string;
  operation?: string;
  logType?: string;
  container?: string;
  pod?: string;
  resource?: string;
  source?: string;
  /** `k=v` strings; an alert passes if any equals one of its labels. */
  labels?: string[];
  /** Which stream: alerts (karmor `--logFilter policy`), logs (`system`), or both. */
  type?: 'alert' | 'log' | 'all';
}

export type AlertPredicate = (a: Alert) => boolean;

function compile(flag: string, pattern: string | undefined, flags: string): RegExp | undefined {
  if (pattern === undefined || pattern === '') return undefined;
  try {
    return new RegExp(pattern, flags);
  } catch (e) {
    throw new BulwarkError(
      'ALERT_BAD_FILTER',
      `--${flag} ${JSON.stringify(pattern)} is not a valid regular expression: ${(e as Error).message}`,
      {
        flag,
        pattern,
      },
    );
  }
}

/** Builds the predicate; throws BW6003/BW6005 on a bad regular expression or label. */
export function compileFilter(spec: AlertFilterSpec): AlertPredicate {
  const tests: [keyof Alert, RegExp][] = [];
  const add = (flag: string, key: keyof Alert, pattern: string | undefined, ci: boolean): void => {
    const re = compile(flag, pattern, ci ? 'i' : '');
    if (re) tests.push([key, re]);
  };
  add('namespace', 'NamespaceName', spec.namespace, true);
  add('operation', 'Operation', spec.operation, true);
  add('log-type', 'Type', spec.logType, true);
  add('container', 'ContainerName', spec.container, true);
  add('pod', 'PodName', spec.pod, true);
  add('resource', 'Resource', spec.resource, false);
  add('source', 'Source', spec.source, false);
  const labels = (spec.labels ?? []).flatMap((l) => l.split(',')).filter((l) => l !== '');
  for (const l of labels) {
    if (!/^[^=]+=.*$/.test(l)) {
      throw new BulwarkError(
        'ALERT_BAD_LABEL',
        `--labels ${JSON.stringify(l)} is not of the form key=value`,
        { label: l },
      );
    }
  }
  const type = spec.type ?? 'alert';
  return (a) => {
    if (type === 'alert' && isLogType(a.Type)) return false;
    if (type === 'log' && !isLogType(a.Type)) return false;
    for (const [key, re] of tests) {
      const v = a[key];
      if (!re.test(typeof v === 'string' ? v : v === undefined ? '' : String(v))) return false;
    }
    if (labels.length) {
      const mine = (a.Labels ?? '').split(',');
      if (!labels.some((l) => mine.includes(l))) return false;
    }
    return true;
  };
}

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since` as epoch microseconds: a duration before now (`90s`, `15m`, `2h`, `7d`), Unix seconds
 * (`1696316210`), or an ISO 8601 / RFC 3339 time (`2023-10-03T06:56:50Z`, `2023-10-03`).
 */
export function parseSince(text: string, nowMs: number = Date.now()): number {
  const t = text.trim();
  const d = DURATION_RE.exec(t);
  if (d) return Math.round((nowMs - Number(d[1]) * UNIT_MS[d[2]]) * 1000);
  if (/^\d{9,11}(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1_000_000);
  const ms = Date.parse(t);
  if (!Number.isNaN(ms) && /^\d{4}-\d{2}-\d{2}/.test(t)) {
    const frac = /\.(\d{4,9})/.exec(t);
    const extraUs = frac ? Number(frac[1].padEnd(6, '0').slice(3, 6)) : 0;
    return ms * 1000 + extraUs;
  }
  throw new BulwarkError(
    'ALERT_BAD_SINCE',
    `--since ${JSON.stringify(text)} is not a time: use a duration (30s, 15m, 2h, 7d), Unix seconds, or an ISO time (2023-10-03T06:56:50Z)`,
    { since: text },
  );
}
