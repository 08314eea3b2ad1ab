// Field orders of KubeArmor's wire messages (protobuf/kubearmor.proto declaration order), which is
// the key order of Go's encoding/json and so of `karmor logs --json`, and the fixed key order of the
// `karmor logs` text format (kubearmor-client log/log.go). See docs/alerts.md.

/** `Alert` message fields in declaration order. */
export const ALERT_FIELDS = [
  'Timestamp',
  'UpdatedTime',
  'ClusterName',
  'HostName',
  'NamespaceName',
  'Owner',
  'PodName',
  'Labels',
  'ContainerID',
  'ContainerName',
  'ContainerImage',
  'HostPPID',
  'HostPID',
  'PPID',
  'PID',
  'UID',
  'ParentProcessName',
  'ProcessName',
  'PolicyName',
  'Severity',
  'Tags',
  'ATags',
  'Message',
  'Type',
  'Source',
  'Operation',
  'Resource',
  'Data',
  'EventData',
  'Enforcer',
  'Action',
  'Result',
  'Cwd',
  'TTY',
  'MaxAlertsPerSec',
  'DroppingAlertsInterval',
  'ExecEvent',
  'KubeArmorVersion',
  'NodeID',
  'ProcessHash',
  'ParentHash',
  'ResourceHash',
  'HashAlgo',
  'UserName',
] as const;

/** `Log` message fields in declaration order (no policy fields). */
export const LOG_FIELDS = [
  'Timestamp',
  'UpdatedTime',
  'ClusterName',
  'HostName',
  'NamespaceName',
  'Owner',
  'PodName',
  'Labels',
  'ContainerID',
  'ContainerName',
  'ContainerImage',
  'ParentProcessName',
  'ProcessName',
  'HostPPID',
  'HostPID',
  'PPID',
  'PID',
  'UID',
  'Type',
  'Source',
  'Operation',
  'Resource',
  'Data',
  'EventData',
  'Result',
  'Cwd',
  'TTY',
  'ExecEvent',
  'NodeID',
  'ProcessHash',
  'ParentHash',
  'ResourceHash',
  'HashAlgo',
  'UserName',
] as const;

/** Keys that Go's encoding/json prints even when zero (KubeArmor strips omitempty from them). */
export const ALWAYS_PRESENT = new Set<string>(['PPID', 'UID']);

/**
 * `karmor logs` text: these keys first, in this order, when present; then every other present key
 * in byte order.
 */
export const TEXT_FIRST_KEYS = [
  'ClusterName',
  'HostName',
  'NamespaceName',
  'PodName',
  'Labels',
  'ContainerName',
  'ContainerID',
  'ContainerImage',
  'Type',
  'PolicyName',
  'Severity',
  'Message',
  'Source',
  'Resource',
  'Operation',
  'Action',
  'Data',
  'EventData',
  'Enforcer',
  'Result',
] as const;

/** Field order of the nested `Podowner` and `ExecEvent` messages. */
export const OWNER_FIELDS = ['Ref', 'Name', 'Namespace'] as const;
export const EXEC_EVENT_FIELDS = ['ExecID', 'ExecutableName'] as const;
