// Checks protobuf/kubearmor.proto and protobuf/policy.proto against KubeArmor's wire schema, field
// by field. The tables below are transcribed from the upstream field tables
// (../shared/docs/kubearmor-compat.md §3.1 and §3.5); the .proto is parsed by @grpc/proto-loader,
// the same loader the server uses, so a typo in a number or type fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';

const dir = fileURLToPath(new URL('../../../protobuf/', import.meta.url));

interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}
interface MessageDescriptor {
  field: FieldDescriptor[];
  nestedType: { name: string; options?: { mapEntry?: boolean } | null }[];
}

function load(file: string): protoLoader.PackageDefinition {
  return protoLoader.loadSync(`${dir}${file}`, { keepCase: true });
}

function message(def: protoLoader.PackageDefinition, name: string): MessageDescriptor {
  const m = def[name] as protoLoader.MessageTypeDefinition<object, object> | undefined;
  assert.ok(m, `${name} not defined`);
  return m.type as unknown as MessageDescriptor;
}

/** Renders a field as the tables write it: `int32`, `string`, `repeated string`, `map<string,string>`, `Podowner`. */
function describe(m: MessageDescriptor, f: FieldDescriptor): string {
  if (f.type === 'TYPE_MESSAGE') {
    const short = f.typeName.split('.').pop() ?? '';
    const nested = m.nestedType.find((n) => n.name === short);
    if (nested?.options?.mapEntry) return 'map<string,string>';
    return f.label === 'LABEL_REPEATED' ? `repeated ${short}` : short;
  }
  if (f.type === 'TYPE_ENUM') return f.typeName.split('.').pop() ?? '';
  const scalar = f.type.replace('TYPE_', '').toLowerCase();
  return f.label === 'LABEL_REPEATED' ? `repeated ${scalar}` : scalar;
}

function assertFields(
  def: protoLoader.PackageDefinition,
  name: string,
  table: [number, string, string][],
): void {
  const m = message(def, name);
  const got = new Map(m.field.map((f) => [f.name, f]));
  for (const [num, field, type] of table) {
    const f = got.get(field);
    assert.ok(f, `${name}.${field} missing`);
    assert.equal(f.number, num, `${name}.${field} number`);
    assert.equal(describe(m, f), type, `${name}.${field} type`);
  }
  assert.deepEqual(
    [...got.keys()].sort(),
    table.map((t) => t[1]).sort(),
    `${name} has fields the table does not list (or lacks some)`,
  );
}

const S = 'string';
const I32 = 'int32';

// Alert, in the order of the upstream table.
const ALERT: [number, string, string][] = [
  [1, 'Timestamp', 'int64'],
  [2, 'UpdatedTime', S],
  [3, 'ClusterName', S],
  [4, 'HostName', S],
  [5, 'NamespaceName', S],
  [31, 'Owner', 'Podowner'],
  [6, 'PodName', S],
  [29, 'Labels', S],
  [7, 'ContainerID', S],
  [8, 'ContainerName', S],
  [24, 'ContainerImage', S],
  [27, 'HostPPID', I32],
  [9, 'HostPID', I32],
  [10, 'PPID', I32],
  [11, 'PID', I32],
  [12, 'UID', I32],
  [25, 'ParentProcessName', S],
  [26, 'ProcessName', S],
  [13, 'PolicyName', S],
  [14, 'Severity', S],
  [15, 'Tags', S],
  [30, 'ATags', 'repeated string'],
  [16, 'Message', S],
  [17, 'Type', S],
  [18, 'Source', S],
  [19, 'Operation', S],
  [20, 'Resource', S],
  [21, 'Data', S],
  [43, 'EventData', 'map<string,string>'],
  [28, 'Enforcer', S],
  [22, 'Action', S],
  [23, 'Result', S],
  [32, 'Cwd', S],
  [33, 'TTY', S],
  [34, 'MaxAlertsPerSec', I32],
  [35, 'DroppingAlertsInterval', I32],
  [36, 'ExecEvent', 'ExecEvent'],
  [37, 'KubeArmorVersion', S],
  [38, 'NodeID', S],
  [39, 'ProcessHash', S],
  [40, 'ParentHash', S],
  [41, 'ResourceHash', S],
  [42, 'HashAlgo', S],
  [44, 'UserName', S],
];

// Log, column by column as the upstream table lists it.
const LOG: [number, string, string][] = [
  [1, 'Timestamp', 'int64'],
  [2, 'UpdatedTime', S],
  [3, 'ClusterName', S],
  [4, 'HostName', S],
  [5, 'NamespaceName', S],
  [24, 'Owner', 'Podowner'],
  [6, 'PodName', S],
  [23, 'Labels', S],
  [7, 'ContainerID', S],
  [8, 'ContainerName', S],
  [19, 'ContainerImage', S],
  [20, 'ParentProcessName', S],
  [21, 'ProcessName', S],
  [22, 'HostPPID', I32],
  [9, 'HostPID', I32],
  [10, 'PPID', I32],
  [11, 'PID', I32],
  [12, 'UID', I32],
  [13, 'Type', S],
  [14, 'Source', S],
  [15, 'Operation', S],
  [16, 'Resource', S],
  [17, 'Data', S],
  [33, 'EventData', 'map<string,string>'],
  [18, 'Result', S],
  [25, 'Cwd', S],
  [26, 'TTY', S],
  [27, 'ExecEvent', 'ExecEvent'],
  [28, 'NodeID', S],
  [29, 'ProcessHash', S],
  [30, 'ParentHash', S],
  [31, 'ResourceHash', S],
  [32, 'HashAlgo', S],
  [34, 'UserName', S],
];

test('feeder.Alert matches KubeArmor field by field', () => {
  assertFields(load('kubearmor.proto'), 'feeder.Alert', ALERT);
});

test('feeder.Log matches KubeArmor field by field', () => {
  assertFields(load('kubearmor.proto'), 'feeder.Log', LOG);
});

test('feeder small messages match KubeArmor', () => {
  const def = load('kubearmor.proto');
  assertFields(def, 'feeder.NonceMessage', [[1, 'nonce', I32]]);
  assertFields(def, 'feeder.ReplyMessage', [[1, 'Retval', I32]]);
  assertFields(def, 'feeder.RequestMessage', [[1, 'Filter', S]]);
  assertFields(def, 'feeder.Podowner', [
    [1, 'Ref', S],
    [2, 'Name', S],
    [3, 'Namespace', S],
  ]);
  assertFields(def, 'feeder.ExecEvent', [
    [1, 'ExecID', S],
    [2, 'ExecutableName', S],
  ]);
  assertFields(def, 'feeder.Message', [
    [1, 'Timestamp', 'int64'],
    [2, 'UpdatedTime', S],
    [3, 'ClusterName', S],
    [4, 'HostName', S],
    [5, 'HostIP', S],
    [6, 'Type', S],
    [7, 'Level', S],
    [8, 'Message', S],
  ]);
});

function typeName(t: protoLoader.MessageTypeDefinition<object, object>): string {
  return (t.type as unknown as { name: string }).name;
}

test('feeder.LogService has KubeArmor methods, request and response types and streaming', () => {
  const svc = load('kubearmor.proto')['feeder.LogService'] as protoLoader.ServiceDefinition;
  const shape = Object.fromEntries(
    Object.entries(svc).map(([k, m]) => [
      k,
      `${m.path} ${m.requestStream ? 'stream ' : ''}${typeName(m.requestType)} -> ${m.responseStream ? 'stream ' : ''}${typeName(m.responseType)}`,
    ]),
  );
  assert.deepEqual(shape, {
    HealthCheck: '/feeder.LogService/HealthCheck NonceMessage -> ReplyMessage',
    WatchMessages: '/feeder.LogService/WatchMessages RequestMessage -> stream Message',
    WatchAlerts: '/feeder.LogService/WatchAlerts RequestMessage -> stream Alert',
    WatchLogs: '/feeder.LogService/WatchLogs RequestMessage -> stream Log',
  });
});

test('policy.PolicyService: envelope bytes, status codes and method paths', () => {
  const def = load('policy.proto');
  assertFields(def, 'policy.policy', [[1, 'policy', 'bytes']]);
  assertFields(def, 'policy.response', [[1, 'status', 'PolicyStatus']]);
  const status = def['policy.PolicyStatus'] as protoLoader.EnumTypeDefinition;
  const values = (status.type as unknown as { value: { name: string; number: number }[] }).value;
  assert.deepEqual(Object.fromEntries(values.map((v) => [v.name, v.number])), {
    Failure: 0,
    Applied: 1,
    Deleted: 2,
    Modified: 3,
    NotExist: 4,
    Invalid: 5,
    NotEnabled: 6,
  });
  const svc = def['policy.PolicyService'] as protoLoader.ServiceDefinition;
  assert.equal(svc.containerPolicy.path, '/policy.PolicyService/containerPolicy');
  assert.equal(svc.hostPolicy.path, '/policy.PolicyService/hostPolicy');
  assert.equal(svc.containerPolicy.responseStream, false);
});
