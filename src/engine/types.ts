// The engine's input: a kernel event after enrichment, with everything decide() and the alert
// need. The enrich stage produces it; the engine only reads it.
import type { ChangeEvent, DenialEvent } from '../sensor/types.js';
import type { Subject } from '../policy/types.js';

export interface ProcessFields {
  /** Pids in the host's pid namespace. */
  hostPid: number;
  hostPpid: number;
  /** Pids in the workload's pid namespace (equal to the host's when it has none of its own). */
  pid: number;
  ppid: number;
  uid: number;
  userName?: string;
  /** Real path of the executable. */
  exe: string;
  /** Real path of the parent's executable, '' when unknown. */
  parentExe: string;
  /** Full command line (`/usr/bin/touch file`). */
  cmdline: string;
  cwd?: string;
  tty?: string | null;
  /** True when exe, parent, command line and pids are all known. */
  complete: boolean;
}

export interface ContainerFields {
  /** 64-hex container id. */
  id: string;
  name: string;
  image: string;
  pod: string;
  namespace: string;
  labels: Record<string, string>;
  owner?: { ref: string; name: string; namespace: string };
}

export interface EngineEvent {
  event: DenialEvent | ChangeEvent;
  /** Who acted, for decide(): the workload or the host. */
  subject: Subject;
  process: ProcessFields;
  container?: ContainerFields;
  /** Owner uid of the file (or of its parent directory for creations), when known. */
  fileOwnerUid?: number;
  secondOwnerUid?: number;
}

/** Host identity carried by every alert. */
export interface HostFields {
  hostName: string;
  clusterName: string;
}
