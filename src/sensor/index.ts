// The sensor stage: kernel events (Landlock denials from audit, fanotify changes, replay files)
// behind one SensorBackend interface, the Landlock plan and coverage table for a workload, the
// sandbox launcher, and the host probe.
export * from './types.js';
export { LandlockAuditBackend, type LandlockAuditOptions } from './landlock-audit.js';
export {
  FanotifyBackend,
  type FanotifyOptions,
  watchedTrees,
  literalPrefix,
  markedDevices,
  hostSpelling,
} from './fanotify.js';
export { ReplayBackend, recordEvents, type ReplayOptions } from './replay.js';
export type { HelperBackendOptions } from './helper-backend.js';
export {
  planLandlock,
  formatCoverage,
  coverageText,
  planArgs,
  unenforceable,
  hostFs,
  type LandlockPlan,
  type LandlockGrant,
  type CoverageEntry,
  type CoverageStatus,
  type PlanInput,
  type PlanFs,
} from './landlock-plan.js';
export { planForSubject } from './workload-plan.js';
export { LL, rightNames, supportedRights, OP_RIGHTS } from './landlock-rights.js';
export {
  spawnSandboxed,
  sandboxCommand,
  type SandboxOptions,
  type SandboxStatus,
  type SandboxedProcess,
} from './sandbox.js';
export { decodeDenial, parseFields } from './audit-decode.js';
export { decodeChange, ATTRIB_OPS } from './change-decode.js';
export { decodeOpenFlags, syscallName } from './syscalls.js';
export { probeHost, landlockAbi, type ProbeReport } from './probe.js';
export { nativeDir, nativeBinary } from './native-path.js';
