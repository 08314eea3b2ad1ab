// Shape of one entry of the error catalogue. Codes are stable: a retired code is never reused.

export type CodeLevel = 'error' | 'warning';

export interface CodeEntry {
  /** Stable code, printed to users and anchored in docs/errors.md, e.g. `BW1001`. */
  readonly code: string;
  /** Whether the condition rejects the input (`error`) or only informs (`warning`). */
  readonly level: CodeLevel;
  /** One-line title shown in docs and `--json` output. */
  readonly title: string;
  /** What to do about it, in general terms; diagnostics add a specific fix. */
  readonly help: string;
}

/** Helper so each area file can declare entries with literal keys and get type checking. */
export function defineCodes<K extends string>(entries: Record<K, CodeEntry>): Record<K, CodeEntry> {
  return entries;
}
