// The "fix" half of a diagnostic: what to write instead, computed from the value written.
import type { CodeName } from '../common/errors.js';
import {
  CAPABILITY_PATTERN,
  DIR_PATTERN,
  EXECNAME_PATTERN,
  PATH_PATTERN,
  PROTOCOL_PATTERN,
} from './schema.js';
import { SYSCALL_PATH_PATTERN } from './schema.js';

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

export function fixType(expected: string, v: unknown): string {
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
export function entryFix(key: string, v: unknown): string | undefined {
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

export function fixPattern(v: Violation): { code: CodeName; message: string; fix: string } {
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

export function requiredFix(missing: string): string {
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
