// Turns one schema violation into a coded diagnostic with a message and a concrete fix: what the
// user should write instead, computed from the value they wrote.
import { showValue } from '../common/diagnostic.js';
import type { CodeName } from '../common/errors.js';
import { ACTIONS, PATH_MAX_LENGTH } from './schema.js';
import { closest } from './closest.js';
import { entryFix, fixPattern, fixType, requiredFix } from './validate-hints.js';
import type { Violation } from './validate-hints.js';

export type { Violation } from './validate-hints.js';

export interface Explained {
  code: CodeName;
  message: string;
  found?: string;
  fix: string;
}

/** `tags` → "tags"; `tags[]` (an entry of a list) → "each entry of tags". */
function labelOf(key: string): string {
  return key.endsWith('[]') ? `each entry of ${key.replace(/(\[\])+$/, '')}` : key;
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return `a ${typeof v}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  boolean: 'a boolean (true or false)',
  array: 'a list',
  object: 'a mapping',
};

function inSelector(field: string): boolean {
  return /(^|\.|\])(spec\.selector|spec\.nodeSelector)(\.|\[|$)/.test(field);
}

function codeFor(v: Violation, fallback: CodeName): CodeName {
  if (inSelector(v.field)) return 'POLICY_BAD_SELECTOR';
  if (v.key === 'severity') return 'POLICY_BAD_SEVERITY';
  if (v.key === 'action') return 'POLICY_BAD_ACTION';
  return fallback;
}

/** Explains one violation: code, message, found and fix. */
export function explain(v: Violation): Explained {
  const found = v.value === undefined ? undefined : showValue(v.value);
  switch (v.keyword) {
    case 'required': {
      const missing = String(v.params.missingProperty);
      const code: CodeName =
        missing === 'nodeSelector' ? 'POLICY_MISSING_NODE_SELECTOR' : 'POLICY_MISSING_FIELD';
      return { code, message: `required field "${missing}" is missing`, fix: requiredFix(missing) };
    }
    case 'type': {
      const expected = String(v.params.type);
      return {
        code: codeFor(v, 'POLICY_WRONG_TYPE'),
        message: `${labelOf(v.key)} must be ${TYPE_WORDS[expected] ?? expected}, found ${typeName(v.value)}`,
        found,
        fix: entryFix(v.key, v.value) ?? fixType(expected, v.value),
      };
    }
    case 'enum': {
      const allowed = (v.params.allowedValues as string[] | undefined) ?? [];
      const s = typeof v.value === 'string' ? v.value : String(v.value);
      const near = closest(s, allowed);
      if (v.key === 'action' && !inSelector(v.field)) {
        return {
          code: 'POLICY_BAD_ACTION',
          message: 'action must be Allow, Audit or Block (case-sensitive)',
          found,
          fix: near ? `write "${near}"` : `write one of ${ACTIONS.map((a) => `"${a}"`).join(', ')}`,
        };
      }
      if (v.value === 'namespace' && allowed.length === 1 && allowed[0] === 'label') {
        return {
          code: 'POLICY_BAD_SELECTOR',
          message: 'a KubeArmorPolicy selects pods by label only; it applies to its own namespace',
          found,
          fix: 'set metadata.namespace, or use a KubeArmorClusterPolicy to select namespaces',
        };
      }
      const label = labelOf(v.key);
      const want =
        allowed.length > 12
          ? 'a Linux x86_64 system call name'
          : `one of ${allowed.map((a) => `"${a}"`).join(', ')}`;
      return {
        code: codeFor(v, 'POLICY_BAD_VALUE'),
        message: `${label} must be ${want}`,
        found,
        fix: near ? `write "${near}"` : `write ${want}`,
      };
    }
    case 'pattern': {
      const p = fixPattern(v);
      return { code: p.code, message: p.message, found, fix: p.fix };
    }
    case 'maxLength': {
      const len = typeof v.value === 'string' ? v.value.length : 0;
      return {
        code: 'POLICY_TOO_LONG',
        message: `${labelOf(v.key)} is ${len} characters long; the CRD allows at most ${PATH_MAX_LENGTH}`,
        found,
        fix: `shorten it to ${PATH_MAX_LENGTH} characters or fewer, or cover it with a matchDirectories or matchPatterns rule`,
      };
    }
    case 'minimum':
    case 'maximum': {
      const n = typeof v.value === 'number' ? v.value : NaN;
      return {
        code: 'POLICY_BAD_SEVERITY',
        message: 'severity must be an integer from 1 to 10',
        found,
        fix: n > 10 ? 'write 10 (the highest severity)' : 'write an integer from 1 to 10, or remove severity',
      };
    }
    case 'maxItems':
      return {
        code: 'POLICY_BAD_VALUE',
        message: `${labelOf(v.key)} has more than ${String(v.params.limit)} entries`,
        found: Array.isArray(v.value) ? `${v.value.length} entries` : found,
        fix: `keep at most ${String(v.params.limit)} entries`,
      };
    default:
      return {
        code: 'POLICY_BAD_VALUE',
        message: `value violates the CRD schema (${v.keyword})`,
        found,
        fix: 'see the KubeArmor CRD for this field',
      };
  }
}
