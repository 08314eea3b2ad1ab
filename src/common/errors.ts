// The one error catalogue. Every code Bulwark prints is declared in an area file under codes/ and
// merged here; tests check that codes are unique, well formed and documented in docs/errors.md
// (regenerate it with `npm run gen:errors`).
import { apiCodes } from './codes/api.js';
import { generalCodes } from './codes/general.js';
import { policyCodes } from './codes/policy.js';
import { sensorCodes } from './codes/sensor.js';
import { alertCodes } from './codes/alert.js';
import { baselineCodes } from './codes/baseline.js';
import { configCodes } from './codes/config.js';
import { agentCodes } from './codes/agent.js';
import { bpfCodes } from './codes/bpf.js';
import type { CodeEntry } from './codes/types.js';

export type { CodeEntry, CodeLevel } from './codes/types.js';

/** Area catalogues, in code order. Add a new area file here. */
export const codeAreas = {
  general: generalCodes,
  policy: policyCodes,
  bpf: bpfCodes,
  sensor: sensorCodes,
  config: configCodes,
  alert: alertCodes,
  api: apiCodes,
  baseline: baselineCodes,
  agent: agentCodes,
} as const;

export const codes = {
  ...generalCodes,
  ...policyCodes,
  ...bpfCodes,
  ...sensorCodes,
  ...configCodes,
  ...alertCodes,
  ...apiCodes,
  ...baselineCodes,
  ...agentCodes,
} as const;

export type CodeName = keyof typeof codes;

/** Every entry, sorted by code. */
export function allCodes(): CodeEntry[] {
  return Object.values(codes as Record<string, CodeEntry>).sort((a, b) => a.code.localeCompare(b.code));
}

/**
 * An error with a stable code. Thrown for conditions the user can act on (bad flags, missing
 * files); the CLI prints `error CODE message` and the catalogue's help.
 */
export class BulwarkError extends Error {
  readonly code: string;
  readonly entry: CodeEntry;
  readonly detail?: Record<string, unknown>;

  constructor(name: CodeName, message: string, detail?: Record<string, unknown>) {
    super(message);
    const entry = codes[name];
    this.name = 'BulwarkError';
    this.code = entry.code;
    this.entry = entry;
    this.detail = detail;
  }
}

export function isBulwarkError(e: unknown): e is BulwarkError {
  return e instanceof BulwarkError;
}
