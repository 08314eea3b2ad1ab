// The request `karmor vm policy add|delete` sends over PolicyService: JSON
// {"type":"ADDED|MODIFIED|DELETED","object":{"metadata":{...},"spec":{...}}} (KubeArmor's
// K8sKubeArmorPolicyEvent / K8sKubeArmorHostPolicyEvent). The object has no apiVersion or kind:
// the method says which (containerPolicy → KubeArmorPolicy, hostPolicy → KubeArmorHostPolicy).
// karmor marshals Go structs, so the spec carries zero values for what the YAML left out
// ("severity": 0, "action": "", "process": {}, "creationTimestamp": null); those are removed here
// so the document validates exactly as the user's file would.
import { stringify } from 'yaml';
import type { Diagnostic } from '../common/diagnostic.js';
import { codes, type CodeName } from '../common/errors.js';
import type { PolicyRef, PolicyScope } from './types.js';

export type EnvelopeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Envelope {
  type: EnvelopeType;
  ref: PolicyRef;
  /** The policy as a YAML document, ready to validate and store (absent for DELETED). */
  yaml?: string;
}

export const ENVELOPE_FILE = '<grpc>';

/** Kubernetes object names (DNS subdomain): safe as a file name component. */
const NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function diag(name: CodeName, field: string, message: string, fix: string, found?: string): Diagnostic {
  const e = codes[name];
  return { code: e.code, level: e.level, file: ENVELOPE_FILE, line: 0, col: 0, field, message, fix, found };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Drops null, "", 0-severity, empty objects and empty lists, recursively (Go zero values). */
export function dropZeroValues(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) {
    const items = v.map((x) => dropZeroValues(x)).filter((x) => x !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = dropZeroValues(x, k);
      if (y !== undefined) out[k] = y;
    }
    // An empty selector is meaningful (the CRD requires the key): keep it for the validator.
    if (key === 'selector' || key === 'nodeSelector') return out;
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (v === null || v === '') return undefined;
  if (key === 'severity' && v === 0) return undefined;
  if (v === false && (key === 'readOnly' || key === 'ownerOnly' || key === 'recursive')) return undefined;
  return v;
}

export type EnvelopeResult = { ok: true; envelope: Envelope } | { ok: false; errors: Diagnostic[] };

export function parseEnvelope(bytes: Buffer | Uint8Array | string, scope: PolicyScope): EnvelopeResult {
  const fail = (d: Diagnostic): EnvelopeResult => ({ ok: false, errors: [d] });
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(
      diag(
        'API_POLICY_ENVELOPE',
        '',
        `policy envelope is not JSON: ${(e as Error).message}`,
        'send the JSON karmor vm policy builds',
      ),
    );
  }
  if (!isObject(raw))
    return fail(
      diag(
        'API_POLICY_ENVELOPE',
        '',
        'policy envelope is not a JSON object',
        'send {"type":...,"object":{...}}',
      ),
    );
  const type = raw.type;
  if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') {
    return fail(
      diag(
        'API_POLICY_ENVELOPE',
        'type',
        'type must be ADDED, MODIFIED or DELETED',
        'set "type" to ADDED, MODIFIED or DELETED',
        JSON.stringify(type),
      ),
    );
  }
  const object = raw.object;
  if (!isObject(object) || !isObject(object.metadata)) {
    return fail(
      diag(
        'API_POLICY_ENVELOPE',
        'object.metadata',
        'object.metadata is missing',
        'send {"object":{"metadata":{"name":...},"spec":{...}}}',
      ),
    );
  }
  const md = object.metadata;
  const name = md.name;
  if (typeof name !== 'string' || name === '') {
    return fail(
      diag(
        'POLICY_MISSING_NAME',
        'object.metadata.name',
        'the policy has no metadata.name',
        'give the policy a name',
      ),
    );
  }
  if (!NAME_RE.test(name)) {
    return fail(
      diag(
        'API_POLICY_NAME',
        'object.metadata.name',
        'metadata.name is not a Kubernetes object name',
        'use lowercase letters, digits, "-" and "."',
        JSON.stringify(name),
      ),
    );
  }
  let namespace: string | undefined;
  if (scope === 'container') {
    namespace = typeof md.namespace === 'string' && md.namespace !== '' ? md.namespace : 'default';
    if (!NAME_RE.test(namespace) || namespace.includes('.')) {
      return fail(
        diag(
          'API_POLICY_NAME',
          'object.metadata.namespace',
          'metadata.namespace is not a Kubernetes namespace name',
          'use lowercase letters, digits and "-"',
          JSON.stringify(namespace),
        ),
      );
    }
  }
  const ref: PolicyRef = { scope, name, namespace };
  if (type === 'DELETED') return { ok: true, envelope: { type, ref } };
  const metadata: Record<string, unknown> = { name };
  if (namespace !== undefined) metadata.namespace = namespace;
  for (const k of ['labels', 'annotations'] as const) {
    const v = dropZeroValues(md[k]);
    if (v !== undefined) metadata[k] = v;
  }
  const doc = {
    apiVersion: 'security.kubearmor.com/v1',
    kind: scope === 'host' ? 'KubeArmorHostPolicy' : 'KubeArmorPolicy',
    metadata,
    spec: dropZeroValues(object.spec) ?? {},
  };
  const header = `# Received through PolicyService (karmor vm policy ${type === 'ADDED' ? 'add' : 'update'}); managed by Bulwark.\n`;
  return { ok: true, envelope: { type, ref, yaml: header + stringify(doc) } };
}
