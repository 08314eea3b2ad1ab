// Turns one schema violation into a coded diagnostic with a message and a concrete fix: what the
// user should write instead, computed from the value they wrote.
import { showValue } from '../common/diagnostic.js';
import type { CodeName } from '../common/errors.js';
import {
  ACTIONS,
  DIR_PATTERN,
  PATH_MAX_LENGTH,
  PATH_PATTERN,
  PROTOCOL_PATTERN,
  CAPABILITY_PATTERN,
} from './schema.js';
import { EXECNAME_PATTERN, SYSCALL_PATH_PATTERN } from './schema.js';

/** A violation as the validator sees it, before positions are attached. */
export interface Violation {
  keyword: string;
  /** Field path of the offending value (for `required`: of the missing field). */
  field: string;
  /** Last key of the field path ('dir', 'severity', 'action', …). */
  key: string;
  value: unknown;
  params: Record<string, unknown>;
}

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

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

/** The closest candidate (case-insensitive equal, or within edit distance 2), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const exact = candidates.find((c) => c.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = levenshtein(lower, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function fixType(expected: string, v: unknown): string {
  if (expected === 'boolean') {
    if (typeof v === 'string' && /^(true|false)$/i.test(v.trim()))
      return `write ${v.trim().toLowerCase()} without quotes`;
    return 'write true or false';
  }
  if (expected === 'integer') {
    if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return `write ${v.trim()} without quotes`;
    return 'write a whole number';
  }
  if (expected === 'string') {
    if (typeof v === 'number' || typeof v === 'boolean') return `quote it: "${String(v)}"`;
    return 'write a single string value';
  }
  if (expected === 'array') {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      return `write it as a list: [${JSON.stringify(v)}]`;
    }
    return 'write a list (one "- " entry per item)';
  }
  return 'write a mapping ("key: value" entries, indented under this field)';
}

const ENTRY_KEYS: Record<string, string> = {
  'matchPaths[]': 'path',
  'matchDirectories[]': 'dir',
  'matchPatterns[]': 'pattern',
  'fromSource[]': 'path',
};

/** A rule written as a bare string (`- /etc/passwd`) instead of a mapping (`- path: /etc/passwd`). */
function entryFix(key: string, v: unknown): string | undefined {
  if (key === 'fromSource' && typeof v === 'string') return `write a list of mappings: [{path: ${v}}]`;
  if (key === 'severity') {
    return typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)
      ? `write ${v.trim()} without quotes`
      : 'write an integer from 1 to 10';
  }
  const field = ENTRY_KEYS[key];
  if (!field) return undefined;
  if (v === null) return `write "- ${field}: …" in this entry, or remove the empty "-"`;
  if (typeof v !== 'string') return undefined;
  return `write "- ${field}: ${v}" (each entry is a mapping)`;
}

function fixDir(v: string): { message: string; fix: string } {
  if (v === '') return { message: 'directory is empty', fix: 'write an absolute directory such as "/etc/"' };
  if (!v.startsWith('/')) {
    const abs = `/${v}${v.endsWith('/') ? '' : '/'}`;
    return {
      message: 'directory must be an absolute path',
      fix: `write "${abs}" (a directory starts and ends with "/")`,
    };
  }
  return { message: 'directory must end with "/"', fix: `write "${v}/" (a directory must end with "/")` };
}

function fixPath(v: string, isSource: boolean): { message: string; fix: string } {
  const what = isSource ? 'fromSource path' : 'path';
  if (v === '') {
    return {
      message: `${what} is empty`,
      fix: isSource
        ? 'write the absolute path of a program, e.g. "/usr/bin/cat"'
        : 'write an absolute file path such as "/etc/passwd"',
    };
  }
  if (!v.startsWith('/')) {
    return {
      message: `${what} must be absolute`,
      fix: `write "/${v.replace(/\/+$/, '')}" (an absolute path)`,
    };
  }
  if (/^\/+$/.test(v)) {
    return {
      message: `${what} must name a file, not "/"`,
      fix: 'for the whole file system use matchDirectories with dir: "/" and recursive: true',
    };
  }
  if (v.endsWith('/')) {
    const file = v.replace(/\/+$/, '');
    return {
      message: `${what} must not end with "/"`,
      fix: isSource
        ? `write "${file}" (the program itself)`
        : `write "${file}", or to cover the directory use matchDirectories with dir: "${v}"`,
    };
  }
  return { message: `${what} must be an absolute path on one line`, fix: 'remove line breaks from the path' };
}

function fixPattern(v: Violation): { code: CodeName; message: string; fix: string } {
  const value = typeof v.value === 'string' ? v.value : '';
  switch (v.params.pattern) {
    case DIR_PATTERN:
      return { code: 'POLICY_BAD_DIR', ...fixDir(value) };
    case PATH_PATTERN:
      return { code: 'POLICY_BAD_PATH', ...fixPath(value, /fromSource\[\d+\]\.path$/.test(v.field)) };
    case SYSCALL_PATH_PATTERN:
      return {
        code: 'POLICY_BAD_PATH',
        message: 'path must be absolute',
        fix: `write "/${value.replace(/^\/+/, '')}"`,
      };
    case EXECNAME_PATTERN:
      return {
        code: 'POLICY_BAD_VALUE',
        message: 'execname must be a file name without "/"',
        fix: 'write the program name only, or use path for a full path',
      };
    case PROTOCOL_PATTERN:
      return {
        code: 'POLICY_BAD_VALUE',
        message: 'unknown network protocol',
        fix: 'write one of tcp, udp, icmp, icmpv6, raw, sctp, all (or another CRD protocol)',
      };
    case CAPABILITY_PATTERN: {
      const bare = value.replace(/^cap_/i, '').toLowerCase();
      return {
        code: 'POLICY_BAD_VALUE',
        message: 'unknown capability',
        fix: `write the lower-case name without CAP_, e.g. "${bare || 'net_raw'}"`,
      };
    }
    default:
      return {
        code: 'POLICY_BAD_VALUE',
        message: `value does not match ${String(v.params.pattern)}`,
        fix: 'write a value matching the pattern',
      };
  }
}

function requiredFix(missing: string): string {
  switch (missing) {
    case 'path':
      return 'add path: /path/to/file (an absolute path)';
    case 'dir':
      return 'add dir: /path/to/dir/ (absolute, ending with "/")';
    case 'pattern':
      return 'add pattern: /path/*.ext (an AppArmor-style glob)';
    case 'nodeSelector':
      return 'add nodeSelector: {matchLabels: {kubearmor.io/hostname: "*"}} (every node) or name the hosts';
    case 'fromSource':
      return 'add fromSource: [{path: /usr/bin/program}] (host policies require it here)';
    default:
      return `add ${missing}`;
  }
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
