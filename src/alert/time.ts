// Alert times. KubeArmor carries two: `Timestamp` (Unix seconds) and `UpdatedTime`, UTC with
// exactly six fractional digits (Go layout `2006-01-02T15:04:05.000000Z`). Sensor times are
// nanoseconds since the epoch as decimal strings, so conversions go through BigInt.

/** Either nanoseconds (decimal string or bigint) or a JS Date / epoch milliseconds number. */
export type TimeInput = string | bigint | number | Date;

function toMicros(t: TimeInput): bigint {
  if (typeof t === 'bigint') return t / 1000n;
  if (typeof t === 'string') return BigInt(t) / 1000n;
  const ms = typeof t === 'number' ? t : t.getTime();
  return BigInt(Math.round(ms * 1000));
}

/** Nanoseconds as decimal digits with a whole second or more: split as text, no BigInt. */
const NS_DIGITS = /^[1-9]\d{9,}$/;

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ` for a time (strings and bigints are nanoseconds). */
export function updatedTime(t: TimeInput): string {
  if (typeof t === 'string' && t.length <= 19 && NS_DIGITS.test(t)) {
    // The event path's common case (sensor times); 19 digits stay below 2^63 and the seconds part
    // (≤ 10 digits) is exact as a double.
    const iso = new Date(Number(t.slice(0, -9)) * 1000).toISOString();
    return `${iso.slice(0, 19)}.${t.slice(-9, -3)}Z`;
  }
  const us = toMicros(t);
  const secs = us / 1_000_000n;
  const frac = us % 1_000_000n;
  const iso = new Date(Number(secs) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return `${iso.slice(0, 19)}.${frac.toString().padStart(6, '0')}Z`;
}

/** Unix seconds (floor) for a time (strings and bigints are nanoseconds). */
export function unixSeconds(t: TimeInput): number {
  if (typeof t === 'string' && t.length <= 19 && NS_DIGITS.test(t)) return Number(t.slice(0, -9));
  return Number(toMicros(t) / 1_000_000n);
}

const UPDATED_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * Microseconds since the epoch of an `UpdatedTime` string; falls back to `Timestamp` seconds when
 * the string is missing or malformed. Used as the store's time key.
 */
export function alertMicros(a: { UpdatedTime?: string; Timestamp?: number }): number {
  const u = a.UpdatedTime;
  // Alerts of one second share their first 19 characters: reuse the last parse (the sinks call
  // this per alert).
  if (u !== undefined && u.length === 27 && u.startsWith(lastSecond) && SIX_DIGITS_Z.test(u.slice(19))) {
    return lastSecondMs * 1000 + Number(u.slice(20, 26));
  }
  const m = u ? UPDATED_RE.exec(u) : null;
  if (m) {
    const base = Date.parse(`${m[1]}Z`);
    if (!Number.isNaN(base)) {
      const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
      if (m[2]?.length === 6) {
        lastSecond = m[1];
        lastSecondMs = base;
      }
      return base * 1000 + Number(frac);
    }
  }
  return (a.Timestamp ?? 0) * 1_000_000;
}

const SIX_DIGITS_Z = /^\.\d{6}Z$/;
/** The seconds part of the last UpdatedTime parsed by alertMicros, and its epoch ms. */
let lastSecond = '\u0000';
let lastSecondMs = 0;

/** The `karmor logs` header time: UpdatedTime with `T` replaced by a space and `Z` removed. */
export function headerTime(updated: string): string {
  return updated.replaceAll('T', ' ').replaceAll('Z', '');
}
