// The baseline stage's public API, for the CLI and the agent (scheduled checks → drift alerts).
export { initBaseline, checkBaseline, updateBaseline, verifyBaseline, resolveScope } from './engine.js';
export type {
  CheckResult,
  CheckCounts,
  InitResult,
  UpdateResult,
  VerifyResult,
  RunOptions,
} from './engine.js';
export { driftAlert, driftAlerts, driftData } from './alerts.js';
export { loadSettings, type BaselineSettings } from './config.js';
export { keygen } from './signing.js';
export { keptPool } from './scan.js';
export type { WorkerPool } from './worker-pool.js';
export type { Change, Entry, Attribute, DigestAlgo, PackageClass } from './types.js';
