// Field paths (`spec.file.matchPaths[0].path`) and the positions recorded for them: shared by
// the reader, the validator and the normaliser.

/** 1-based line and column. */
export interface Pos {
  line: number;
  col: number;
}

/** Where a value (and, for mapping entries, its key) was written. */
export interface NodeInfo {
  pos: Pos;
  keyPos?: Pos;
  /** The scalar was quoted ('…' or "…"): its text starts one column after pos. */
  quoted?: boolean;
  /** The value was written empty (`key:` with nothing after it). */
  empty?: boolean;
}

/** Positions of every node of one document, by field path ('' is the document itself). */
export type PosMap = Map<string, NodeInfo>;

/** Field path of a child: `a.b`, `a[3]`, `a["kubearmor.io/hostname"]`. */
export function joinField(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}
