// The enrich stage: who did it. Process cache (proc connector helper + /proc), cgroup → container
// id, workload registry and runtime metadata, host identity, and createEnricher() tying them up.
export { createEnricher, enricherOptionsFromConfig } from './enricher.js';
export type { Enricher, EnricherOptions, EnricherStats } from './enricher.js';
export type { AlertFields, EnrichedEvent, EnrichedProcess } from './types.js';
export {
  BULWARK_CGROUP_PREFIX,
  CgroupIds,
  cgroup2Root,
  cgroupV2Line,
  containerFromCgroup,
  readCgroupPath,
} from './cgroup.js';
export type { CgroupContainer, ContainerRuntime } from './cgroup.js';
export { ProcessCache, procEventsHelperPath } from './process-cache.js';
export type { ProcessCacheOptions, ProcessCacheStats } from './process-cache.js';
export { readProc, ttyName } from './proc-read.js';
export type { ProcRecord } from './proc-read.js';
export { UNORCHESTRATED_NAMESPACE, WorkloadRegistry } from './workload.js';
export type { RegisterWorkload, WorkloadInfo, WorkloadOwner } from './workload.js';
export { RuntimeMetadata, parseCrictl, parseInspect, podOwner, which } from './runtime-metadata.js';
export type { CommandRunner, RuntimeMetadataOptions, RuntimeMetadataStats } from './runtime-metadata.js';
export { hostInfo, nodeIdFrom } from './host.js';
export type { HostInfo } from './host.js';
export { UserNames } from './users.js';
