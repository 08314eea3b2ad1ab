// Reads YAML (and JSON, which is YAML) text into plain values with the position of every node,
// keyed by field path (`spec.file.matchPaths[0].path`). Parsing follows what `kubectl apply` does
// with a manifest: YAML 1.1 scalars (yes/no/on/off are booleans, 0755 is octal), timestamps kept
// as the string written, `<<` merge keys resolved. Never throws for bad input: syntax problems
// come back as BW1001 diagnostics.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node } from 'yaml';
import type { Diagnostic } from '../common/diagnostic.js';
import { codes } from '../common/errors.js';
import { duplicateDiag, duplicateKeys } from './duplicate-keys.js';
import { joinField } from './field-path.js';
import type { Pos, PosMap } from './field-path.js';

export { joinField } from './field-path.js';
export type { NodeInfo, Pos, PosMap } from './field-path.js';

export interface RawDocument {
  /** 0-based index of the document in its file. */
  index: number;
  /** Plain value: objects, arrays, strings, numbers, booleans, null. */
  value: unknown;
  positions: PosMap;
}

export interface ReadResult {
  documents: RawDocument[];
  errors: Diagnostic[];
  /** Keys repeated with the same value (BW1108). */
  warnings: Diagnostic[];
}

/** Limits that keep hostile input (alias bombs, deep nesting) from exhausting the process. */
const MAX_NODES = 1_000_000;
const MAX_DEPTH = 200;

class LimitError extends Error {}

interface Ctx {
  doc: Document.Parsed;
  lc: LineCounter;
  positions: PosMap;
  nodes: number;
}

function posOf(ctx: Ctx, node: Node | null | undefined, fallback: Pos): Pos {
  const off = node?.range?.[0];
  if (typeof off !== 'number') return fallback;
  return ctx.lc.linePos(off);
}

function setValue(obj: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty: a key named "__proto__" must stay an ordinary key.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function convert(ctx: Ctx, node: unknown, field: string, depth: number, at: Pos, keyPos?: Pos): unknown {
  if (++ctx.nodes > MAX_NODES) throw new LimitError('the document expands to more than 1,000,000 nodes');
  if (depth > MAX_DEPTH) throw new LimitError(`the document nests deeper than ${MAX_DEPTH} levels`);
  if (node === null || node === undefined) {
    ctx.positions.set(field, { pos: at, keyPos, empty: true });
    return null;
  }
  const n = node as Node;
  const pos = posOf(ctx, n, at);
  if (isAlias(n)) {
    const target = n.resolve(ctx.doc);
    const v = target ? convert(ctx, target, field, depth + 1, pos, keyPos) : null;
    ctx.positions.set(field, { pos, keyPos });
    return v;
  }
  if (isScalar(n)) {
    const quoted = n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE';
    const empty = n.value === null && (n.source === '' || n.source === undefined);
    ctx.positions.set(field, { pos: empty && keyPos ? keyPos : pos, keyPos, quoted, empty });
    const v = n.value;
    if (v instanceof Date) return n.source; // kubectl keeps timestamps as strings
    if (typeof v === 'bigint') return Number(v);
    if (v instanceof Uint8Array) return n.source;
    return v;
  }
  ctx.positions.set(field, { pos, keyPos });
  if (isSeq(n)) {
    return n.items.map((item, i) => convert(ctx, item, joinField(field, i), depth + 1, pos));
  }
  if (isMap(n)) {
    const obj: Record<string, unknown> = {};
    const merges: unknown[] = [];
    for (const pair of n.items) {
      const k = pair.key as Node | null;
      const kPos = posOf(ctx, k, pos);
      if (k !== null && !isScalar(k) && !isAlias(k)) {
        throw new SyntaxAt('a mapping key must be a plain value, not a list or mapping', kPos);
      }
      const kv = k === null ? null : isAlias(k) ? k.resolve(ctx.doc) : k;
      const keyValue: unknown = kv && isScalar(kv) ? kv.value : null;
      if (typeof keyValue === 'symbol' || (keyValue === '<<' && kv && isScalar(kv) && kv.type === 'PLAIN')) {
        merges.push(convert(ctx, pair.value, `${field}<<`, depth + 1, kPos, kPos));
        continue;
      }
      // Keys are names: a plain `y:` or `on:` stays the text written, not a YAML 1.1 boolean.
      const key =
        typeof keyValue === 'string'
          ? keyValue
          : kv && isScalar(kv) && kv.source !== undefined
            ? String(kv.source)
            : String(keyValue);
      setValue(obj, key, convert(ctx, pair.value, joinField(field, key), depth + 1, kPos, kPos));
    }
    // `<<: *base` (or a list of them): entries not written in this mapping come from the bases.
    for (const m of merges.flat()) {
      if (m && typeof m === 'object' && !Array.isArray(m)) {
        for (const [k, v] of Object.entries(m)) if (!Object.hasOwn(obj, k)) setValue(obj, k, v);
      }
    }
    return obj;
  }
  return null;
}

class SyntaxAt extends Error {
  constructor(
    message: string,
    readonly pos: Pos,
  ) {
    super(message);
  }
}

/** First line of a yaml error message, without the " at line X, column Y:" tail. */
function cleanMessage(msg: string): string {
  const first = msg.split('\n')[0] ?? msg;
  return first.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
}

function syntaxDiag(file: string, pos: Pos, message: string, document: number, found?: string): Diagnostic {
  const e = codes.POLICY_YAML_SYNTAX;
  return {
    code: e.code,
    level: e.level,
    file,
    line: pos.line,
    col: pos.col,
    field: '',
    message: `YAML syntax error: ${message}`,
    ...(found !== undefined ? { found } : {}),
    fix: 'correct the YAML at this position (indentation, quotes, brackets, one value per key)',
    document,
  };
}

/**
 * Splits text into documents and converts each to a plain value with positions. If any document
 * has a syntax error the result carries only the syntax errors (the file is rejected whole).
 */
export function readDocuments(text: string, file: string): ReadResult {
  const lc = new LineCounter();
  const errors: Diagnostic[] = [];
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, {
      lineCounter: lc,
      prettyErrors: true,
      version: '1.1',
      // go-yaml v2 (behind kubectl) has no base-60 numbers: `12:30` stays a string.
      customTags: (tags) =>
        tags.filter((t) => typeof t === 'string' || !('format' in t && t.format === 'TIME')),
      merge: true,
      uniqueKeys: false, // repeated keys are reported below, with both positions
      strict: true,
    }) as Document.Parsed[];
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return {
      documents: [],
      errors: [syntaxDiag(file, { line: 1, col: 1 }, cleanMessage(msg), 0)],
      warnings: [],
    };
  }
  if (!Array.isArray(docs)) docs = [docs as Document.Parsed];
  const warnings: Diagnostic[] = [];
  docs.forEach((doc, index) => {
    for (const err of doc.errors) {
      const lp = err.linePos?.[0] ?? lc.linePos(err.pos[0]);
      errors.push(syntaxDiag(file, { line: lp.line, col: lp.col }, cleanMessage(err.message), index));
    }
  });
  if (errors.length === 0) {
    docs.forEach((doc, index) => {
      for (const d of duplicateKeys(doc, lc, text))
        (d.same ? warnings : errors).push(duplicateDiag(file, d, index));
    });
  }
  if (errors.length > 0) return { documents: [], errors, warnings };
  const documents: RawDocument[] = [];
  docs.forEach((doc, index) => {
    const ctx: Ctx = { doc, lc, positions: new Map(), nodes: 0 };
    const start = lc.linePos(doc.range[0]);
    try {
      const value = convert(ctx, doc.contents, '', 0, start);
      documents.push({ index, value, positions: ctx.positions });
    } catch (e) {
      if (e instanceof SyntaxAt) errors.push(syntaxDiag(file, e.pos, e.message, index));
      else if (e instanceof LimitError || e instanceof RangeError) {
        errors.push(syntaxDiag(file, start, e.message, index));
      } else throw e;
    }
  });
  return errors.length > 0 ? { documents: [], errors, warnings } : { documents, errors, warnings };
}
