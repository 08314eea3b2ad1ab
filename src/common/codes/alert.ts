// BW6xxx: alerts, sinks, the alert store and `bulwark logs`.
// BW60xx are errors, BW61xx are warnings the agent logs while it keeps running.
import { defineCodes } from './types.js';

export const alertCodes = defineCodes({
  ALERT_STORE_OPEN: {
    code: 'BW6001',
    level: 'error',
    title: 'Alert store cannot be opened',
    help: 'Check that the state directory exists and is writable (default /var/lib/bulwark; set it with --state-dir) and that the disk is not full.',
  },
  ALERT_STORE_MISSING: {
    code: 'BW6002',
    level: 'error',
    title: 'No alert store in the state directory',
    help: 'No agent has written alerts there yet. Pass the same --state-dir as the agent, or start the agent first.',
  },
  ALERT_STORE_SCHEMA: {
    code: 'BW6003',
    level: 'error',
    title: 'Alert store written by a newer Bulwark',
    help: 'Upgrade this Bulwark, or point --state-dir at another directory; the store is never downgraded.',
  },
  ALERT_BAD_FILTER: {
    code: 'BW6004',
    level: 'error',
    title: 'Invalid regular expression in a filter',
    help: 'Filters are unanchored regular expressions, as in karmor logs; escape special characters such as ( [ . * with a backslash.',
  },
  ALERT_BAD_LABEL: {
    code: 'BW6005',
    level: 'error',
    title: 'Invalid label filter',
    help: 'Write labels as key=value (repeat --labels or separate with commas); an alert passes when one of them matches exactly.',
  },
  ALERT_BAD_SINCE: {
    code: 'BW6006',
    level: 'error',
    title: 'Invalid --since time',
    help: 'Use a duration before now (30s, 15m, 2h, 7d), Unix seconds, or an ISO 8601 time such as 2023-10-03T06:56:50Z.',
  },
  SINK_CONFIG: {
    code: 'BW6007',
    level: 'error',
    title: 'Invalid sink configuration',
    help: 'Check the sink settings named in the message against docs/alerts.md, "Sinks".',
  },
  SINK_DROPPED: {
    code: 'BW6101',
    level: 'warning',
    title: 'A sink dropped alerts',
    help: 'The sink could not keep up (queue full) or failed; the drops are counted in `bulwark status`. Raise the queue capacity or fix the destination.',
  },
  SINK_FAILED: {
    code: 'BW6102',
    level: 'warning',
    title: 'A sink failed and is reconnecting',
    help: 'The destination refused a write (closed socket, disk full, read-only file). Alerts queue meanwhile and are dropped, counted, when the queue fills. A unix datagram syslog socket (EPROTOTYPE) cannot be used: use UDP to 127.0.0.1 or a stream socket.',
  },
  ALERT_THROTTLED: {
    code: 'BW6103',
    level: 'warning',
    title: 'Alerts of a workload are throttled',
    help: 'The workload exceeded the alert rate (default 10/s); its alerts are dropped and counted for the throttle interval (default 30 s). Tune alertThrottling in the agent config.',
  },
});
