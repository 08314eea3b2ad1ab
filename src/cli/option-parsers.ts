// Parsers shared by commands for repeatable options (`--label k=v`, `--labels k=v`).
import { BulwarkError } from '../common/errors.js';

/** commander argParser for repeatable options: collects every value in order. */
export function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** `--label k=v` values (repeated or comma-separated) → a label map; usage error otherwise. */
export function parseLabelOptions(pairs: string[], flag = '--label'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    for (const item of pair.split(',')) {
      const eq = item.indexOf('=');
      if (eq <= 0) throw new BulwarkError('CLI_USAGE', `${flag} expects key=value, got "${item}"`);
      out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
    }
  }
  return out;
}
