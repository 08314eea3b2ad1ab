// Keys written twice in one YAML mapping. YAML forbids them; a lenient decoder (as Kubernetes'
// can be) keeps the last value and silently drops the first. Different values: error BW1018;
// the same value: warning BW1108 (nothing is lost).
import { isMap, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';
import type { Diagnostic } from '../common/diagnostic.js';
import { codes } from '../common/errors.js';
import { joinField } from './field-path.js';
import type { Pos } from './field-path.js';

/** Bound on the mappings and sequences visited (the reader has the same limit). */
const MAX_VISITS = 1_000_000;

interface Duplicate {
  key: string;
  field: string;
  first: Pos;
  again: Pos;
  /** Both occurrences have the same value: nothing is lost whichever one is kept. */
  same: boolean;
}

/** Text of a value for comparison: scalars by value, collections by their source text. */
function valueText(n: unknown, text: string): string {
  if (isScalar(n)) return `s:${typeof n.value}:${String(n.value)}`;
  const r = (n as Node | null)?.range;
  return r ? `t:${text.slice(r[0], r[1]).trim()}` : 'null';
}

/** Keys written twice in one mapping, anywhere in the document (aliases not followed). */
export function duplicateKeys(doc: Document.Parsed, lc: LineCounter, text: string): Duplicate[] {
  const out: Duplicate[] = [];
  const stack: { node: unknown; field: string }[] = [{ node: doc.contents, field: '' }];
  let budget = MAX_VISITS;
  while (stack.length > 0 && budget-- > 0) {
    const { node, field } = stack.pop() as { node: unknown; field: string };
    if (isSeq(node)) node.items.forEach((item, i) => stack.push({ node: item, field: joinField(field, i) }));
    else if (isMap(node)) {
      const seen = new Map<string, { pos: Pos; value: string }>();
      for (const pair of node.items) {
        const k = pair.key;
        if (!isScalar(k) || !k.range) continue;
        const name = String(k.source ?? k.value);
        const at = lc.linePos(k.range[0]);
        const value = valueText(pair.value, text);
        const first = seen.get(name);
        const f = joinField(field, name);
        if (first)
          out.push({ key: name, field: f, first: first.pos, again: at, same: first.value === value });
        else seen.set(name, { pos: at, value });
        stack.push({ node: pair.value, field: f });
      }
    }
  }
  return out.sort((a, b) => a.again.line - b.again.line || a.again.col - b.again.col);
}

export function duplicateDiag(file: string, d: Duplicate, index: number): Diagnostic {
  const e = d.same ? codes.POLICY_REPEATED_KEY : codes.POLICY_DUPLICATE_KEY;
  const diag: Diagnostic = {
    code: e.code,
    level: e.level,
    file,
    line: d.again.line,
    col: d.again.col,
    field: d.field,
    message: d.same
      ? `key "${d.key}" is repeated with the same value as at line ${d.first.line}`
      : `key "${d.key}" is written twice in the same mapping with different values (first at line ` +
        `${d.first.line}); Kubernetes would keep only the last one, silently dropping the first`,
    found: d.key,
    fix: d.same
      ? `remove the repeated "${d.key}:" line (YAML forbids repeated keys)`
      : `merge the two "${d.key}:" entries into one (for lists, one list with all items), or remove one`,
    document: index,
  };
  return diag;
}
