// Reads the configuration YAML into plain values plus the 1-based line/column of every field (key
// and value), so validation errors point at the exact spot. Field paths are written as users read
// them: `sinks.file.maxBytes`, `policies[2]`, `posture.namespaces["kube.system"]` (bracketed when
// a key is not a plain identifier-like word).
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node } from 'yaml';

export interface Pos {
  line: number;
  col: number;
}

export interface FieldPos {
  /** Where the value starts. */
  pos: Pos;
  /** Where the key starts (mapping entries only). */
  keyPos?: Pos;
}

export type PosMap = Map<string, FieldPos>;

export interface ReadProblem {
  kind: 'syntax' | 'not-mapping';
  pos: Pos;
  message: string;
}

export interface ReadResult {
  value: Record<string, unknown>;
  positions: PosMap;
  /** Fields written without a value (`key:` alone); they are left out of `value`. */
  nulls: string[];
  problems: ReadProblem[];
}

/** Appends a key or index to a field path. */
export function joinField(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent ? `${parent}.${key}` : key;
}

interface Ctx {
  lc: LineCounter;
  positions: PosMap;
  nulls: string[];
  doc: Document.Parsed;
  /** Alias expansions so far; bounded so a small file cannot expand into a huge one. */
  aliases: number;
  problems: ReadProblem[];
}

const MAX_ALIASES = 100;
const MAX_DEPTH = 64;

function posOf(ctx: Ctx, node: Node | null | undefined, fallback: Pos): Pos {
  const off = node?.range?.[0];
  if (off === undefined) return fallback;
  const p = ctx.lc.linePos(off);
  return { line: p.line, col: p.col };
}

function convert(ctx: Ctx, node: unknown, field: string, at: Pos, keyPos?: Pos, depth = 0): unknown {
  const pos = posOf(ctx, node as Node, at);
  if (isAlias(node)) {
    // `*name`: the anchored value, converted again (positions point at the alias).
    const target = node.resolve(ctx.doc);
    if (++ctx.aliases > MAX_ALIASES || depth > MAX_DEPTH || target === undefined) {
      ctx.problems.push({
        kind: 'syntax',
        pos,
        message:
          target === undefined ? `unknown alias *${node.source}` : 'too many or too deeply nested aliases',
      });
      return undefined;
    }
    return convert(ctx, target, field, pos, keyPos, depth + 1);
  }
  if (depth > MAX_DEPTH) {
    ctx.problems.push({ kind: 'syntax', pos, message: 'the document is nested too deeply' });
    return undefined;
  }
  ctx.positions.set(field, keyPos ? { pos, keyPos } : { pos });
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const kp = posOf(ctx, pair.key as Node, pos);
      const f = joinField(field, k);
      if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) {
        ctx.positions.set(f, { pos: kp, keyPos: kp });
        ctx.nulls.push(f);
        continue;
      }
      out[k] = convert(ctx, pair.value, f, kp, kp, depth + 1);
    }
    return out;
  }
  if (isSeq(node)) {
    return node.items.map((item, i) => convert(ctx, item, joinField(field, i), pos, undefined, depth + 1));
  }
  if (isScalar(node)) return node.value;
  return (node as { toJSON?: () => unknown } | null)?.toJSON?.() ?? node;
}

/** Parses one YAML document. Never throws: syntax problems come back located. */
export function readConfigYaml(text: string): ReadResult {
  const lc = new LineCounter();
  const result: ReadResult = { value: {}, positions: new Map(), nulls: [], problems: [] };
  const docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(docs)) {
    // An empty stream (comments only) is an empty configuration.
    return result;
  }
  for (const doc of docs) {
    for (const err of doc.errors) {
      const p = err.linePos?.[0] ?? lc.linePos(err.pos[0]);
      const message = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      result.problems.push({ kind: 'syntax', pos: { line: p.line, col: p.col }, message });
    }
  }
  if (result.problems.length > 0) return result;
  if (docs.length > 1) {
    const p = lc.linePos(docs[1].range[0]);
    result.problems.push({
      kind: 'not-mapping',
      pos: { line: p.line, col: p.col },
      message: 'the file holds several YAML documents; the configuration is one document',
    });
    return result;
  }
  const doc = docs[0];
  if (!doc || doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return result;
  }
  const ctx: Ctx = {
    lc,
    positions: result.positions,
    nulls: result.nulls,
    doc,
    aliases: 0,
    problems: result.problems,
  };
  if (!isMap(doc.contents)) {
    const p = posOf(ctx, doc.contents as Node, { line: 1, col: 1 });
    result.problems.push({
      kind: 'not-mapping',
      pos: p,
      message: `the top level is ${isSeq(doc.contents) ? 'a list' : 'a plain value'}, not a mapping of settings`,
    });
    return result;
  }
  const value = convert(ctx, doc.contents, '', { line: 1, col: 1 }) as Record<string, unknown>;
  if (result.problems.length === 0) result.value = value;
  return result;
}
