// Loads the wire schema from protobuf/*.proto at runtime (no generated code to drift). The files sit
// at the package root, three levels above this module both in src/ and in dist/.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_DIR = fileURLToPath(new URL('../../../protobuf/', import.meta.url));

/**
 * keepCase: KubeArmor's fields are PascalCase on the wire and in our Alert type alike.
 * longs: Number: Timestamp (int64, Unix seconds) fits a double exactly.
 * enums: String: PolicyStatus names (`Applied`) are easier to read than numbers; both encode.
 */
const LOAD_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: false,
};

export interface WireSchema {
  logService: grpc.ServiceDefinition;
  policyService: grpc.ServiceDefinition;
  health: grpc.ServiceDefinition;
  /** Client constructors, for `bulwark logs --grpc`. */
  LogServiceClient: grpc.ServiceClientConstructor;
  HealthClient: grpc.ServiceClientConstructor;
  /** Field name → kind, read from the loaded .proto, for feeder.Alert and feeder.Log. */
  alertFields: FieldKinds;
  logFields: FieldKinds;
}

export type FieldKind = 'string' | 'int' | 'repeated-string' | 'map' | 'message';
export type FieldKinds = ReadonlyMap<string, FieldKind>;

interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName: string;
}

function fieldKinds(def: protoLoader.PackageDefinition, message: string): FieldKinds {
  const t = (def[message] as protoLoader.MessageTypeDefinition<object, object>).type as unknown as {
    field: FieldDescriptor[];
    nestedType: { name: string; options?: { mapEntry?: boolean } | null }[];
  };
  const out = new Map<string, FieldKind>();
  for (const f of t.field) {
    let kind: FieldKind;
    if (f.type === 'TYPE_STRING') kind = f.label === 'LABEL_REPEATED' ? 'repeated-string' : 'string';
    else if (f.type === 'TYPE_MESSAGE') {
      const nested = t.nestedType.find((n) => n.name === f.typeName.split('.').pop());
      kind = nested?.options?.mapEntry ? 'map' : 'message';
    } else kind = 'int';
    out.set(f.name, kind);
  }
  return out;
}

let cached: WireSchema | undefined;

function lookup(root: grpc.GrpcObject, path: string): grpc.ServiceClientConstructor {
  let node: unknown = root;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'function') throw new Error(`${path} not found in ${PROTO_DIR}`);
  return node as grpc.ServiceClientConstructor;
}

export function wireSchema(): WireSchema {
  if (cached) return cached;
  const def = protoLoader.loadSync(
    ['kubearmor.proto', 'policy.proto', 'health.proto'].map((f) => `${PROTO_DIR}${f}`),
    LOAD_OPTIONS,
  );
  const root = grpc.loadPackageDefinition(def);
  const LogServiceClient = lookup(root, 'feeder.LogService');
  const HealthClient = lookup(root, 'grpc.health.v1.Health');
  cached = {
    logService: LogServiceClient.service,
    policyService: lookup(root, 'policy.PolicyService').service,
    health: HealthClient.service,
    LogServiceClient,
    HealthClient,
    alertFields: fieldKinds(def, 'feeder.Alert'),
    logFields: fieldKinds(def, 'feeder.Log'),
  };
  return cached;
}
