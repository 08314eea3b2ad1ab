// Public API of the alert stage: the model, its renderings, field builders, filters and throttle.
export type { Alert, AlertType, AlertAction, AlertOwner, AlertExecEvent } from './types.js';
export { isLogType, LOG_TYPES } from './types.js';
export {
  formatAlert,
  formatJson,
  formatPrettyJson,
  formatText,
  headerKind,
  toWire,
  ALERT_FORMATS,
  type AlertFormat,
  type WireObject,
} from './format.js';
export { ALERT_FIELDS, LOG_FIELDS, TEXT_FIRST_KEYS } from './fields.js';
export { updatedTime, unixSeconds, alertMicros, headerTime, type TimeInput } from './time.js';
export {
  openFlagNames,
  dataString,
  parseDataString,
  labelsString,
  parseLabels,
  type DataParts,
} from './data.js';
export { compileFilter, parseSince, type AlertFilterSpec, type AlertPredicate } from './filter.js';
export {
  AlertThrottle,
  thresholdAlert,
  workloadKey,
  type ThrottleOptions,
  type ThrottleDecision,
  type ThrottleStats,
} from './throttle.js';
