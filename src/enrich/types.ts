// What the enrichment stage hands to the engine. AlertFields mirrors the attribution fields of
// the alert model (src/alert/types.ts, KubeArmor's Alert) with the same PascalCase keys, so the
// engine can spread it into an Alert; it is declared here because enrich is upstream of alert.
import type { Subject } from '../policy/types.js';
import type { SensorEvent } from '../sensor/types.js';
import type { CgroupContainer } from './cgroup.js';
import type { WorkloadInfo } from './workload.js';

export interface EnrichedProcess {
  /** Host pid and parent pid (0 when the parent is unknown). */
  hostPid: number;
  hostPpid: number;
  /** Pid and parent pid inside the workload's pid namespace (host processes: the host pids; a
   * container init's parent, outside the namespace: 0). */
  pid: number;
  ppid: number;
  uid: number;
  /** From /etc/passwd of the host; '' when the uid has no entry. */
  userName: string;
  /** Real path of the executable; '' when unknown. */
  exe: string;
  comm: string;
  /** argv joined with spaces (`touch file`); '' when unknown. */
  cmdline: string;
  /** KubeArmor's Source: exe path then the arguments (`/usr/bin/touch file`). */
  source: string;
  /** Parent's executable; '' when unknown. */
  parentExe: string;
  /** '' when unknown. */
  cwd: string;
  /** `pts/0`, `tty1`; null when none or unknown (see EnrichedEvent.missing). */
  tty: string | null;
  cgroupPath?: string;
}

/** The attribution fields of an Alert (same keys and types as src/alert/types.ts). */
export interface AlertFields {
  ClusterName: string;
  HostName: string;
  NodeID?: string;
  NamespaceName?: string;
  Owner?: { Ref: string; Name: string; Namespace: string };
  PodName?: string;
  Labels?: string;
  ContainerID?: string;
  ContainerName?: string;
  ContainerImage?: string;
  HostPID?: number;
  HostPPID?: number;
  PID?: number;
  PPID?: number;
  UID?: number;
  ProcessName?: string;
  ParentProcessName?: string;
  Source?: string;
  /** With a trailing slash, as KubeArmor prints it. */
  Cwd?: string;
  /** Without the slash (`pts0`), as KubeArmor prints it. */
  TTY?: string;
  /** Host processes only. */
  UserName?: string;
}

export interface EnrichedEvent {
  event: SensorEvent;
  /** Absent for gap events and for changes the kernel gave no pid for. */
  process?: EnrichedProcess;
  /** The container the process runs in, from its cgroup; null on the host. */
  container: CgroupContainer | null;
  /** Registered or runtime metadata of the container, when known yet. */
  workload?: WorkloadInfo;
  /** For decide(): the workload's namespace and labels, or the host. */
  subject: Subject;
  /** Throttling key: the container id, or `host`. */
  workloadKey: string;
  fields: AlertFields;
  /** True when every attribution field was found. */
  complete: boolean;
  /** Names of the fields that could not be filled (`ParentProcessName`, `workload`, ...). */
  missing: string[];
}
