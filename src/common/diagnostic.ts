// A diagnostic is one coded finding about a user's input (a policy file, a config file), located
// precisely enough to be printed like a compiler message: `file:line:col level CODE message`.
import type { CodeLevel } from './codes/types.js';

export interface Diagnostic {
  /** Stable catalogue code, e.g. `BW1003`. */
  code: string;
  level: CodeLevel;
  /** Path of the input file as given by the user (or `<stdin>`, `<grpc>`). */
  file: string;
  /** 1-based line and column; 0 when the finding concerns the whole file. */
  line: number;
  col: number;
  /** Field path inside the document, e.g. `spec.file.matchDirectories[2].dir`; '' for the document. */
  field: string;
  /** What is wrong, in one sentence. */
  message: string;
  /** What was found (the offending value, shortened), if any. */
  found?: string;
  /** What to write instead. */
  fix?: string;
  /** 0-based index of the YAML document in a multi-document file, when relevant. */
  document?: number;
}

/** `file:line:col level CODE message` plus indented found/fix lines, as compilers print. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  const field = d.field ? ` (${d.field})` : '';
  let out = `${where} ${d.level} ${d.code} ${d.message}${field}`;
  if (d.found !== undefined) out += `\n    found: ${d.found}`;
  if (d.fix !== undefined) out += `\n    fix:   ${d.fix}`;
  return out;
}

/** Shorten a value for display in `found:` without losing its type. */
export function showValue(v: unknown, max = 80): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
