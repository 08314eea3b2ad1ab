// BW1xxx: reading, validating and compiling KubeArmor policies.
// BW10xx are errors (the file is rejected whole), BW11xx are warnings (the file is accepted).
import { defineCodes } from './types.js';

export const policyCodes = defineCodes({
  POLICY_YAML_SYNTAX: {
    code: 'BW1001',
    level: 'error',
    title: 'YAML or JSON syntax error',
    help: 'Fix the syntax at the given line and column; a YAML linter shows the same position.',
  },
  POLICY_NOT_OBJECT: {
    code: 'BW1002',
    level: 'error',
    title: 'Document is not a mapping',
    help: 'A policy document must be a mapping with apiVersion, kind, metadata and spec.',
  },
  POLICY_MISSING_FIELD: {
    code: 'BW1003',
    level: 'error',
    title: 'Required field missing',
    help: 'Add the field named in the message; the CRD requires it.',
  },
  POLICY_WRONG_TYPE: {
    code: 'BW1004',
    level: 'error',
    title: 'Field has the wrong type',
    help: 'Write a value of the type named in the message (string, integer, boolean, list or mapping).',
  },
  POLICY_BAD_PATH: {
    code: 'BW1005',
    level: 'error',
    title: 'Invalid file path',
    help: 'A path must be absolute and must not end with "/" (CRD pattern ^\\/+.*[^\\/]$).',
  },
  POLICY_BAD_DIR: {
    code: 'BW1006',
    level: 'error',
    title: 'Invalid directory',
    help: 'A directory must be absolute and end with "/" (CRD pattern ^\\/$|^\\/.*\\/$).',
  },
  POLICY_TOO_LONG: {
    code: 'BW1007',
    level: 'error',
    title: 'Value too long',
    help: 'The CRD limits this value to 200 characters; use a directory or pattern rule instead.',
  },
  POLICY_BAD_ACTION: {
    code: 'BW1008',
    level: 'error',
    title: 'Invalid action',
    help: 'action must be one of Allow, Audit, Block (case-sensitive).',
  },
  POLICY_BAD_SEVERITY: {
    code: 'BW1009',
    level: 'error',
    title: 'Severity out of range',
    help: 'severity must be an integer from 1 to 10.',
  },
  POLICY_BAD_SELECTOR: {
    code: 'BW1010',
    level: 'error',
    title: 'Invalid selector',
    help: 'Check the selector shape for the policy kind (see docs/policy.md, "Selectors").',
  },
  POLICY_MISSING_NODE_SELECTOR: {
    code: 'BW1011',
    level: 'error',
    title: 'Host policy without nodeSelector',
    help: 'KubeArmorHostPolicy requires spec.nodeSelector.matchLabels; use kubearmor.io/hostname: "*" for every node.',
  },
  POLICY_BAD_VALUE: {
    code: 'BW1012',
    level: 'error',
    title: 'Invalid value',
    help: 'The value does not satisfy the CRD schema; the message says which constraint failed.',
  },
  POLICY_MISSING_NAME: {
    code: 'BW1013',
    level: 'error',
    title: 'Policy without metadata.name',
    help: 'Give every policy a metadata.name; alerts carry it as PolicyName.',
  },
  POLICY_BAD_PATTERN: {
    code: 'BW1014',
    level: 'error',
    title: 'Invalid glob pattern',
    help: 'Fix the glob: brackets and braces must be closed; see docs/policy.md, "Patterns".',
  },
  POLICY_DUPLICATE: {
    code: 'BW1015',
    level: 'error',
    title: 'Duplicate policy',
    help: 'Two documents define the same kind, namespace and name; rename or remove one.',
  },
  POLICY_NOTHING_FOUND: {
    code: 'BW1016',
    level: 'error',
    title: 'No policy files found',
    help: 'Point at .yaml, .yml or .json files, or at a directory that contains them.',
  },
  POLICY_BAD_API_VERSION: {
    code: 'BW1017',
    level: 'error',
    title: 'Unsupported apiVersion for a KubeArmor kind',
    help: 'Write apiVersion: security.kubearmor.com/v1.',
  },
  POLICY_DUPLICATE_KEY: {
    code: 'BW1018',
    level: 'error',
    title: 'Key written twice in one mapping',
    help: 'YAML forbids repeated keys; Kubernetes would keep only the last one and silently drop the rest. Merge them into one.',
  },
  POLICY_UNKNOWN_FIELD: {
    code: 'BW1101',
    level: 'warning',
    title: 'Unknown field ignored',
    help: 'The field is not part of the CRD schema; Kubernetes would prune it. Check its spelling.',
  },
  POLICY_NOT_ENFORCED: {
    code: 'BW1102',
    level: 'warning',
    title: 'Section not enforced by Bulwark',
    help: 'Bulwark enforces file rules; process, network, capabilities, syscalls, apparmor, presets and device sections are accepted but not enforced.',
  },
  POLICY_OTHER_KIND: {
    code: 'BW1103',
    level: 'warning',
    title: 'Document of another kind skipped',
    help: 'Only KubeArmorPolicy, KubeArmorHostPolicy and KubeArmorClusterPolicy documents are read; others are skipped.',
  },
  POLICY_NO_FILE_RULES: {
    code: 'BW1104',
    level: 'warning',
    title: 'Policy has no file rules',
    help: 'The policy is valid but gives Bulwark nothing to enforce.',
  },
  POLICY_EMPTY_DOCUMENT: {
    code: 'BW1105',
    level: 'warning',
    title: 'Empty document skipped',
    help: 'Remove the empty document (a stray "---").',
  },
  POLICY_IGNORED_ENTRY: {
    code: 'BW1106',
    level: 'warning',
    title: 'Entry without effect ignored',
    help: 'A selector expression without key or operator, or a fromSource entry without path, selects nothing; complete or remove it.',
  },
  POLICY_NULL_VALUE: {
    code: 'BW1107',
    level: 'warning',
    title: 'Field without a value ignored',
    help: 'A field written with no value ("readOnly:") is dropped, as Kubernetes does; give it a value or remove the line.',
  },
  POLICY_REPEATED_KEY: {
    code: 'BW1108',
    level: 'warning',
    title: 'Key repeated with the same value',
    help: 'YAML forbids repeated keys; this one repeats the same value, so nothing is lost. Remove the repetition.',
  },
  POLICY_PATTERN_UNMATCHABLE: {
    code: 'BW1109',
    level: 'warning',
    title: 'Pattern can match no path',
    help: 'Paths are absolute: a matchPatterns glob must start with "/" (or a wildcard) to match anything.',
  },
});
