// The alert model: KubeArmor's `Alert` and `Log` messages (protobuf/kubearmor.proto, see
// docs/alerts.md), with PascalCase keys exactly as KubeArmor's JSON and `karmor logs` print them.
// Everything after the engine (formatters, sinks, store, gRPC) speaks this type.

/** Alert `Type` values (KubeArmor), plus Bulwark's baseline drift type. */
export type AlertType =
  | 'MatchedPolicy'
  | 'MatchedHostPolicy'
  | 'MatchedNetworkPolicy'
  | 'SystemEvent'
  | 'ContainerLog'
  | 'HostLog'
  | 'BaselineDrift';

/** Types that KubeArmor streams as `Log` (WatchLogs); every other type is an `Alert`. */
export const LOG_TYPES: readonly AlertType[] = ['ContainerLog', 'HostLog'];

export function isLogType(type: string): boolean {
  return type === 'ContainerLog' || type === 'HostLog';
}

export type AlertAction = 'Allow' | 'Audit' | 'Block' | 'Audit (Allow)' | 'Audit (Block)';

export interface AlertOwner {
  Ref: string;
  Name: string;
  Namespace: string;
}

/** KubeArmor's `ExecEvent`: the exec that started the acting process. */
export interface AlertExecEvent {
  /** Decimal exec id. */
  ExecID?: string;
  /** Task comm at exec. */
  ExecutableName?: string;
}

/**
 * One alert or log. Optional fields are omitted from JSON when empty, as KubeArmor's protojson
 * does, except PPID and UID which are always present (KubeArmor marks them so).
 */
export interface Alert {
  /** Seconds since the epoch. */
  Timestamp: number;
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ` (microseconds, UTC). */
  UpdatedTime: string;
  ClusterName: string;
  HostName: string;
  NamespaceName?: string;
  Owner?: AlertOwner;
  PodName?: string;
  /** `k=v,k2=v2`, sorted by key. */
  Labels?: string;
  ContainerID?: string;
  ContainerName?: string;
  ContainerImage?: string;
  HostPPID?: number;
  HostPID?: number;
  PPID: number;
  PID?: number;
  UID: number;
  ParentProcessName?: string;
  ProcessName?: string;
  PolicyName?: string;
  /** Severity as a decimal string ("1".."10"), omitted when unset. */
  Severity?: string;
  /** Comma-separated tags; ATags is the same as a list. */
  Tags?: string;
  ATags?: string[];
  Message?: string;
  Type: AlertType;
  /** Command line of the acting process (`/usr/bin/touch file`). */
  Source?: string;
  /** `File`, `AlertThreshold`, ... */
  Operation: string;
  Resource?: string;
  /** `syscall=SYS_OPENAT flags=O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK`, `lsm=FILE_OPEN`, ... */
  Data?: string;
  /** `Data` parsed into a map with capitalised keys (`Syscall`, `Flags`), as KubeArmor sends it. */
  EventData?: Record<string, string>;
  /** `Landlock`, `BPFLSM`, `fanotify`, `Baseline`, ... */
  Enforcer?: string;
  Action?: AlertAction;
  /** `Permission denied` for prevented operations, `Passed` otherwise. */
  Result?: string;
  Cwd?: string;
  TTY?: string;
  /** Content hash of the resource and its algorithm, when known (KubeArmor fields). */
  ResourceHash?: string;
  HashAlgo?: string;
  /** Extra key/values KubeArmor carries in ExecEvent-less form (e.g. throttle settings). */
  MaxAlertsPerSec?: number;
  DroppingAlertsInterval?: number;
  ExecEvent?: AlertExecEvent;
  /** Version of the agent that produced the alert (KubeArmor's `KubeArmorVersion` field). */
  KubeArmorVersion?: string;
  /** Stable node identity (hash of /etc/machine-id). */
  NodeID?: string;
  ProcessHash?: string;
  ParentHash?: string;
  /** User name of UID (host alerts). */
  UserName?: string;
}
