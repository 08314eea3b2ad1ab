// The document being checked (file, index, List prefix, positions) and how diagnostics about
// one of its fields are built and located.
import type { Diagnostic } from '../common/diagnostic.js';
import { codes } from '../common/errors.js';
import type { CodeName } from '../common/errors.js';
import type { Pos, PosMap } from './field-path.js';

/** Where the document being validated lives. */
export interface DocContext {
  file: string;
  /** 0-based index of the YAML document in its file. */
  document: number;
  /** Field path of the policy inside the document: '' or `items[3]` for `kind: List`. */
  prefix: string;
  positions: PosMap;
}

export function absField(prefix: string, field: string): string {
  if (!prefix) return field;
  if (!field) return prefix;
  return field.startsWith('[') ? `${prefix}${field}` : `${prefix}.${field}`;
}

export function parentField(field: string): string {
  const m = /(\.[^.[\]]+|\[[^[\]]*\]|\["(?:[^"\\]|\\.)*"\])$/.exec(field);
  return m ? field.slice(0, m.index) : '';
}

/** Position of a field's value (or key), falling back to the nearest written ancestor. */
export function positionOf(ctx: DocContext, field: string, key = false): Pos {
  let f = absField(ctx.prefix, field);
  for (let guard = 0; guard < 64; guard++) {
    const info = ctx.positions.get(f);
    if (info) return key && info.keyPos ? info.keyPos : info.pos;
    if (!f) break;
    f = parentField(f);
  }
  return { line: 1, col: 1 };
}

export function makeDiag(
  ctx: DocContext,
  name: CodeName,
  field: string,
  pos: Pos,
  message: string,
  extra: { found?: string; fix?: string } = {},
): Diagnostic {
  const e = codes[name];
  const d: Diagnostic = {
    code: e.code,
    level: e.level,
    file: ctx.file,
    line: pos.line,
    col: pos.col,
    field: absField(ctx.prefix, field),
    message,
  };
  if (extra.found !== undefined) d.found = extra.found;
  if (extra.fix !== undefined) d.fix = extra.fix;
  d.document = ctx.document;
  return d;
}
