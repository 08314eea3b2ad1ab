// The sensor stage's contract: typed events that every backend (Landlock audit stream, fanotify,
// BPF-LSM ring buffer, replay files) produces, and the SensorBackend interface the agent drives.
// Times are wall-clock nanoseconds since the epoch, carried as decimal strings (`timeNs`) because
// a JS number cannot hold them exactly.
import type { Operation, RuleSet } from '../policy/types.js';

/** The acting process, as far as the backend could tell. */
export interface ProcessInfo {
  /** Host pid and parent pid. */
  pid: number;
  ppid: number;
  uid: number;
  /** Real path of the executable (`/usr/bin/touch`); '' when unknown. */
  exe: string;
  /** Task comm (15 chars). */
  comm: string;
  /** Full command line, arguments separated by spaces, when known. */
  cmdline?: string;
  cwd?: string;
  /** Controlling terminal (`pts/0`) or null when none; undefined when unknown. */
  tty?: string | null;
  /** cgroup v2 id (inode of the cgroup directory) as a decimal string, when known. */
  cgroupId?: string;
  /** cgroup path as in /proc/PID/cgroup (v2 line), when known. */
  cgroupPath?: string;
  /** True when the process had exited before it could be inspected. */
  gone?: boolean;
}

/** Which backend produced an event; also the alert's `Enforcer` source. */
export type SensorSource = 'landlock' | 'bpf-lsm' | 'fanotify' | 'replay';

interface EventBase {
  source: SensorSource;
  /** Wall-clock time of the event, nanoseconds since the epoch, as a decimal string. */
  timeNs: string;
}

/** An operation the kernel refused (Landlock or BPF-LSM). */
export interface DenialEvent extends EventBase {
  kind: 'denial';
  op: Operation;
  path: string;
  secondPath?: string;
  /** Syscall name as KubeArmor prints it (`SYS_OPENAT`), when known. */
  syscall?: string;
  /** Raw open flags, when the operation was an open. */
  flags?: number;
  /** errno returned to the caller (13 = EACCES). */
  errno: number;
  proc: ProcessInfo;
  /** Rule id the enforcer matched, when it knows (BPF-LSM). */
  ruleId?: number;
  /** Landlock access rights that refused it (`fs.make_reg`), when the source is Landlock. */
  blockers?: string[];
  /** Landlock domain id (hex), as in the audit record. */
  domain?: string;
  /** Pid that created the Landlock domain (the sandbox launcher = the workload's first pid). */
  domainPid?: number;
  /** True when only the parent directory of the target is known (path is that directory). */
  pathIsParent?: boolean;
}

/** A change that happened (fanotify notification), not prevented. */
export interface ChangeEvent extends EventBase {
  kind: 'change';
  op: Operation;
  path: string;
  secondPath?: string;
  /** Raw fanotify mask bits, for debugging. */
  mask: number;
  /**
   * When the kernel reports a class of operations rather than one (fanotify ATTRIB covers chmod,
   * chown, xattr and time changes and link-count changes), every operation it may have been;
   * `op` is the first of them. Undefined when `op` is exact.
   */
  opCandidates?: Operation[];
  /** True when the directory could not be resolved and `path` is the entry name alone. */
  pathPartial?: boolean;
  /** Undefined when the kernel gave no pid; proc.gone when it exited before inspection. */
  proc?: ProcessInfo;
}

/** Events may have been lost: overflow, read error, helper restart. Never silent. */
export interface GapEvent extends EventBase {
  kind: 'gap';
  cause: 'overflow' | 'read-error' | 'helper-restart' | 'audit-lost' | 'ringbuf-lost';
  /** Filesystem (mount point) affected, when known. */
  filesystem?: string;
  /** How many records were lost, when the kernel says. */
  lost?: number;
  detail?: string;
}

export type SensorEvent = DenialEvent | ChangeEvent | GapEvent;

export interface SensorStats {
  backend: string;
  events: number;
  batches: number;
  gaps: number;
  /** Records the kernel reported lost (audit `lost`, ring buffer drops, overflows). */
  lost: number;
  /** Restarts of the native component since open(). */
  restarts: number;
}

/**
 * A source of kernel events (and, for enforcing backends, the place where a rule set is applied).
 * Lifecycle: open() → applyRuleSet() any number of times → close(). Batches are delivered on the
 * JS thread in kernel order per source; the callback must not throw.
 */
export interface SensorBackend {
  readonly name: string;
  open(): Promise<void>;
  applyRuleSet(ruleSet: RuleSet): Promise<void>;
  onBatch(listener: (events: SensorEvent[]) => void): void;
  stats(): SensorStats;
  close(): Promise<void>;
}
