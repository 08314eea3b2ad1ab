// Finds policy files: each argument is a file (read whatever its extension) or a directory
// (searched recursively for .yaml, .yml and .json files, sorted by path, hidden entries skipped).
// Problems come back as diagnostics, never as exceptions.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Diagnostic } from '../common/diagnostic.js';
import { codes } from '../common/errors.js';
import type { CodeName } from '../common/errors.js';

export const POLICY_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

export interface SourceList {
  /** Files to read, in the order given, each directory's files sorted; no duplicates. */
  files: string[];
  /** BW0002 (not found), BW0003 (unreadable), BW1016 (directory without policy files). */
  errors: Diagnostic[];
}

function diag(name: CodeName, file: string, message: string, fix: string): Diagnostic {
  const e = codes[name];
  return { code: e.code, level: e.level, file, line: 0, col: 0, field: '', message, fix };
}

export function isPolicyFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return POLICY_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

function errno(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
}

/** Walks a directory; `seen` holds real paths of directories visited (symlink loops). */
function walk(dir: string, out: string[], errors: Diagnostic[], seen: Set<string>): void {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    real = dir;
  }
  if (seen.has(real)) return;
  seen.add(real);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    errors.push(
      diag('FILE_UNREADABLE', dir, `cannot list directory (${errno(e) || 'error'})`, 'check its permissions'),
    );
    return;
  }
  names.sort();
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue; // dangling symlink or entry removed meanwhile: not a policy file
    }
    if (st.isDirectory()) walk(p, out, errors, seen);
    else if (st.isFile() && isPolicyFileName(name)) out.push(p);
  }
}

export function findPolicyFiles(paths: string[]): SourceList {
  const files: string[] = [];
  const errors: Diagnostic[] = [];
  const added = new Set<string>();
  const push = (f: string): void => {
    const key = resolve(f);
    if (!added.has(key)) {
      added.add(key);
      files.push(f);
    }
  };
  for (const path of paths) {
    let st;
    try {
      st = statSync(path);
    } catch (e) {
      const code = errno(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        errors.push(
          diag(
            'FILE_NOT_FOUND',
            path,
            'no such file or directory',
            'check the path; relative paths are resolved from the current directory',
          ),
        );
      } else {
        errors.push(
          diag('FILE_UNREADABLE', path, `cannot read (${code || 'error'})`, 'check its permissions'),
        );
      }
      continue;
    }
    if (st.isDirectory()) {
      const found: string[] = [];
      walk(path, found, errors, new Set());
      if (found.length === 0) {
        errors.push(
          diag(
            'POLICY_NOTHING_FOUND',
            path,
            'directory contains no .yaml, .yml or .json files',
            'point at policy files or at a directory that contains them',
          ),
        );
      }
      found.forEach(push);
    } else {
      push(path);
    }
  }
  return { files, errors };
}
