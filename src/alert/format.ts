// Renderings of an alert, as `karmor logs` prints them: JSON (Go encoding/json of the protobuf
// struct: PascalCase keys in declaration order, empty fields omitted except PPID and UID), pretty
// JSON (same, indented two spaces), and text (`== Alert / <time> ==` then `Key: value` lines).
import type { Alert } from './types.js';
import { isLogType } from './types.js';
import {
  ALERT_FIELDS,
  ALWAYS_PRESENT,
  EXEC_EVENT_FIELDS,
  LOG_FIELDS,
  OWNER_FIELDS,
  TEXT_FIRST_KEYS,
} from './fields.js';
import { headerTime } from './time.js';

export type AlertFormat = 'text' | 'json' | 'pretty-json';
export const ALERT_FORMATS: readonly AlertFormat[] = ['text', 'json', 'pretty-json'];

/** A JSON value as the wire object holds it. */
export type WireValue = string | number | string[] | Record<string, string>;
export type WireObject = Record<string, WireValue>;

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function nested(v: object, order: readonly string[]): Record<string, string> | undefined {
  const src = v as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const k of order) if (!isEmpty(src[k])) out[k] = String(src[k]);
  return Object.keys(out).length ? out : undefined;
}

function sortedMap(v: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(v).sort()) out[k] = v[k];
  return out;
}

/**
 * The object `karmor logs --json` prints for this alert: declaration order of the `Alert` or
 * `Log` message (by Type), empty values dropped, PPID and UID always present, nested Owner and
 * ExecEvent objects, EventData with sorted keys. Fields a `Log` does not have are dropped for logs.
 */
export function toWire(alert: Alert): WireObject {
  const src = alert as unknown as Record<string, unknown>;
  const order = isLogType(alert.Type) ? LOG_FIELDS : ALERT_FIELDS;
  const out: WireObject = {};
  for (const key of order) {
    const v = src[key];
    if (key === 'Owner' || key === 'ExecEvent') {
      const n =
        v && typeof v === 'object'
          ? nested(v, key === 'Owner' ? OWNER_FIELDS : EXEC_EVENT_FIELDS)
          : undefined;
      if (n) out[key] = n;
      continue;
    }
    if (ALWAYS_PRESENT.has(key)) {
      out[key] = typeof v === 'number' ? v : 0;
      continue;
    }
    if (isEmpty(v)) continue;
    if (key === 'EventData') out[key] = sortedMap(v as Record<string, string>);
    else if (key === 'ATags') out[key] = [...(v as string[])];
    else out[key] = v as string | number;
  }
  return out;
}

/** Go's encoding/json escapes <, >, & and U+2028/2029 in strings; do the same for byte equality. */
const GO_ESCAPED = /[<>&\u2028\u2029]/;
function goEscape(json: string): string {
  if (!GO_ESCAPED.test(json)) return json;
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Renderings already made, per alert object: the fan-out hands the same object to the file, store
 * and syslog sinks, which would otherwise each serialise it. Alerts are treated as immutable once
 * written to a sink.
 */
const jsonCache = new WeakMap<Alert, string>();

/** One compact JSON object (no trailing newline), as `karmor logs --json` prints it. */
export function formatJson(alert: Alert): string {
  let json = jsonCache.get(alert);
  if (json === undefined) {
    json = goEscape(JSON.stringify(toWire(alert)));
    jsonCache.set(alert, json);
  }
  return json;
}

/** Indented JSON (two spaces), as `karmor logs -o pretty-json` prints it. */
export function formatPrettyJson(alert: Alert): string {
  return goEscape(JSON.stringify(toWire(alert), null, 2));
}

/** Go `%v` of a value decoded from JSON: integers without decimals, `[a b]`, `map[k:v]`. */
function goValue(v: WireValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v); // JS never prints 1e9-sized integers with an exponent
  if (Array.isArray(v)) return `[${v.join(' ')}]`;
  return `map[${Object.keys(v)
    .sort()
    .map((k) => `${k}:${v[k]}`)
    .join(' ')}]`;
}

/** Which header word karmor prints: `Log` for ContainerLog/HostLog, `Alert` for everything else. */
export function headerKind(alert: Pick<Alert, 'Type'>): 'Alert' | 'Log' {
  return isLogType(alert.Type) ? 'Log' : 'Alert';
}

/**
 * The `karmor logs` text block, without a trailing newline: `== Alert / 2023-10-03 06:56:50.829165 ==`
 * then `Key: value` lines, first the fixed keys in karmor's order, then every other present key in
 * byte order (Timestamp and UpdatedTime included).
 */
export function formatText(alert: Alert): string {
  const wire = toWire(alert);
  const lines = [`== ${headerKind(alert)} / ${headerTime(alert.UpdatedTime ?? '')} ==`];
  const first = new Set<string>(TEXT_FIRST_KEYS);
  for (const key of TEXT_FIRST_KEYS) if (key in wire) lines.push(`${key}: ${goValue(wire[key])}`);
  const rest = Object.keys(wire)
    .filter((k) => !first.has(k))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const key of rest) lines.push(`${key}: ${goValue(wire[key])}`);
  return lines.join('\n');
}

/**
 * One alert in the given format, terminated for a stream: a JSON line, or a text / pretty block
 * followed by a blank line (karmor prints each block with Println).
 */
export function formatAlert(alert: Alert, format: AlertFormat): string {
  if (format === 'json') return `${formatJson(alert)}\n`;
  if (format === 'pretty-json') return `${formatPrettyJson(alert)}\n`;
  return `${formatText(alert)}\n\n`;
}
