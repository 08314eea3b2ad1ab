// Log lines for sink events, with their catalogue codes, so every owner of a SinkSet reports
// drops and failures the same way: BW6101 (dropped), BW6102 (failed, reconnecting).
import { codes } from '../common/errors.js';
import type { SinkEvent } from './types.js';

export interface SinkEventLine {
  /** `BW6101`, `BW6102`, or '' for a recovery (informational). */
  code: string;
  level: 'warning' | 'info';
  message: string;
}

export function describeSinkEvent(e: SinkEvent): SinkEventLine {
  switch (e.kind) {
    case 'dropped':
      return {
        code: codes.SINK_DROPPED.code,
        level: 'warning',
        message: `sink ${e.sink} dropped ${e.count} alert(s): ${e.cause} (counted; see bulwark status)`,
      };
    case 'failed':
      return {
        code: codes.SINK_FAILED.code,
        level: 'warning',
        message:
          `sink ${e.sink} failed (${e.code}: ${e.message})` +
          (e.dropped ? `; ${e.dropped} alert(s) of the failed batch counted as dropped` : '') +
          '; reconnecting with backoff',
      };
    case 'recovered':
      return { code: '', level: 'info', message: `sink ${e.sink} recovered after ${e.downMs} ms` };
  }
}
