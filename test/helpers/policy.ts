// Builders for Policy objects in tests that exercise the compiler and decide() without YAML.
import type { Action, FileRule, Policy, PolicyKind, Selector, Subject } from '../../src/policy/types.js';

export type RuleSpec = Partial<Omit<FileRule, 'kind' | 'target'>> & {
  path?: string;
  dir?: string;
  pattern?: string;
};

let counter = 0;

export function rule(spec: RuleSpec, index = 0): FileRule {
  const kind = spec.path !== undefined ? 'path' : spec.dir !== undefined ? 'dir' : 'pattern';
  const target = spec.path ?? spec.dir ?? spec.pattern ?? '';
  const list = kind === 'path' ? 'matchPaths' : kind === 'dir' ? 'matchDirectories' : 'matchPatterns';
  return {
    kind,
    target,
    written: target,
    recursive: spec.recursive ?? false,
    readOnly: spec.readOnly ?? false,
    ownerOnly: spec.ownerOnly ?? false,
    pts: spec.pts,
    fromSource: spec.fromSource ?? [],
    action: spec.action ?? 'Block',
    severity: spec.severity ?? 0,
    tags: spec.tags ?? [],
    message: spec.message ?? '',
    field: `spec.file.${list}[${index}]`,
    index,
    pos: { file: 'test.yaml', line: 1, col: 1 },
  };
}

export interface PolicySpec {
  name?: string;
  kind?: PolicyKind;
  namespace?: string;
  labels?: Record<string, string>;
  selector?: Selector;
  action?: Action;
  rules: RuleSpec[];
}

export function policy(spec: PolicySpec): Policy {
  const kind = spec.kind ?? 'KubeArmorPolicy';
  const namespace = kind === 'KubeArmorPolicy' ? (spec.namespace ?? 'default') : undefined;
  const selector: Selector =
    spec.selector ??
    (kind === 'KubeArmorHostPolicy'
      ? { kind: 'host', matchLabels: { 'kubearmor.io/hostname': '*' } }
      : kind === 'KubeArmorClusterPolicy'
        ? { kind: 'cluster', matchLabels: {}, matchExpressions: [] }
        : {
            kind: 'workload',
            namespace: namespace ?? 'default',
            matchLabels: spec.labels ?? {},
            matchExpressions: [],
          });
  return {
    kind,
    name: spec.name ?? `p${++counter}`,
    namespace,
    selector,
    action: spec.action ?? 'Block',
    rules: spec.rules.map((r, i) => rule({ action: spec.action, ...r }, i)),
    unenforced: [],
    pos: { file: 'test.yaml', line: 1, col: 1 },
    document: 0,
  };
}

export function workload(namespace: string, labels: Record<string, string> = {}): Subject {
  return { kind: 'workload', namespace, labels };
}

export function host(hostname = 'node-1', labels: Record<string, string> = {}): Subject {
  return { kind: 'host', hostname, labels };
}
