// Alert (our model, PascalCase like KubeArmor) → feeder.Alert / feeder.Log wire objects, and back
// for the client. Fields are copied by the names the loaded .proto declares, so a field added to
// both the Alert type and the schema flows through without code here.
import type { Alert, AlertType } from '../../alert/types.js';
import type { FieldKinds } from './proto.js';

export type WireObject = Record<string, unknown>;

/** Which stream carries an alert: KubeArmor sends ContainerLog/HostLog to WatchLogs, the rest to WatchAlerts. */
export function streamOf(type: AlertType | string): 'alerts' | 'logs' {
  return type === 'ContainerLog' || type === 'HostLog' ? 'logs' : 'alerts';
}

/**
 * KubeArmor's EventData: `Data` split on spaces into key=value pairs, keys capitalised
 * (`syscall=SYS_OPENAT flags=O_WRONLY` → {Syscall: 'SYS_OPENAT', Flags: 'O_WRONLY'}).
 */
export function parseData(data: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const token of data.split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq <= 0) continue;
    const key = token.slice(0, eq);
    out[key[0].toUpperCase() + key.slice(1)] = token.slice(eq + 1);
  }
  return out;
}

const INT32_MAX = 2 ** 31 - 1;

function toInt(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) return undefined;
  return Math.max(-INT32_MAX - 1, Math.min(INT32_MAX, Math.trunc(n)));
}

/** Builds the wire object for `fields` (the .proto's Alert or Log) from an alert. */
export function toWire(alert: Alert, fields: FieldKinds): WireObject {
  const src = alert as unknown as Record<string, unknown>;
  const out: WireObject = {};
  for (const [name, kind] of fields) {
    const v = src[name];
    if (v === undefined || v === null) continue;
    switch (kind) {
      case 'string':
        if (v !== '') out[name] = typeof v === 'string' ? v : String(v);
        break;
      case 'int': {
        // Timestamp is int64 in Unix seconds: keep it whole, do not clamp to int32.
        const n = name === 'Timestamp' ? Math.trunc(Number(v)) : toInt(v);
        if (n !== undefined && Number.isFinite(n)) out[name] = n;
        break;
      }
      case 'repeated-string':
        if (Array.isArray(v)) out[name] = v.map(String);
        break;
      case 'map':
      case 'message':
        if (typeof v === 'object') out[name] = v;
        break;
    }
  }
  if (fields.has('EventData') && out.EventData === undefined && alert.Data) {
    out.EventData = parseData(alert.Data);
  }
  if (fields.has('ATags') && out.ATags === undefined && alert.Tags) {
    out.ATags = alert.Tags.split(',').filter((t) => t !== '');
  }
  return out;
}

/**
 * A received feeder.Alert or feeder.Log back into an Alert. Absent proto3 fields are absent here
 * too, except PPID and UID which KubeArmor always renders (0 when unset).
 */
export function fromWire(msg: WireObject): Alert {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (k === 'EventData' && typeof v === 'object' && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  out.PPID = typeof msg.PPID === 'number' ? msg.PPID : 0;
  out.UID = typeof msg.UID === 'number' ? msg.UID : 0;
  if (typeof out.Timestamp !== 'number') out.Timestamp = Number(out.Timestamp ?? 0);
  return out as unknown as Alert;
}
