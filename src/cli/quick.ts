// `bulwark baseline check --since-last` with a running agent, answered before the command tree
// is built: no commander, no command modules, no report code. The agent runs the check in its
// warm process and renders what the command prints (src/app/baseline-delegate.ts), so this
// process only starts, asks and prints; at 1,000 changed files that is most of the command's
// time (BENCHMARKS.md, since-last). Only the plain forms are taken here; anything else (another
// option, a configuration file that does not load, no agent, an agent that declines) goes to the
// command's own path, which parses, reports usage errors and checks itself, as without this file.
import { existsSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE } from '../config/defaults.js';
import { storeLocation, type StoreLocation } from '../baseline/locations.js';
import { renderedCheck } from './agent-socket.js';
import { warn } from './warn.js';

interface QuickFlags {
  json: boolean;
  packages: boolean;
  stateDir?: string;
  pubkey?: string;
  config?: string;
}

/**
 * The flags of `baseline check --since-last [--json] [--no-packages] [--state-dir D] [--pubkey F]
 * [--config F]`, else null.
 */
export function quickFlags(argv: readonly string[]): QuickFlags | null {
  if (argv[0] !== 'baseline' || argv[1] !== 'check') return null;
  const seen = new Set<string>();
  const out: QuickFlags = { json: false, packages: true };
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (seen.has(name)) return null;
    seen.add(name);
    if (name === '--since-last' || name === '--json' || name === '--no-packages') {
      if (eq > 0 && arg.startsWith('--')) return null;
      if (name === '--json') out.json = true;
      if (name === '--no-packages') out.packages = false;
      continue;
    }
    if (name !== '--state-dir' && name !== '--pubkey' && name !== '--config') return null;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('-'))) return null;
    if (name === '--state-dir') out.stateDir = value;
    else if (name === '--pubkey') out.pubkey = value;
    else out.config = value;
  }
  return seen.has('--since-last') ? out : null;
}

/**
 * The store and key the command would use. A configuration file can name another state directory
 * or key: then it is read as the command reads it (its loader is loaded only then; an invalid file
 * throws, and the command's path reports it).
 */
export async function quickLocation(where: Omit<QuickFlags, 'json' | 'packages'>): Promise<StoreLocation> {
  if (!where.config && !existsSync(DEFAULT_CONFIG_FILE)) return storeLocation(where);
  const { loadSettingsLazy } = await import('../baseline/settings.js');
  const { stateDir, dbFile, keyFile, pubFile } = await loadSettingsLazy({ defaults: true, ...where });
  return { stateDir, dbFile, keyFile, pubFile };
}

/** The exit bits of the check the agent ran and this process printed, or null (see above). */
export async function quickSinceLast(argv: readonly string[]): Promise<number | null> {
  const flags = quickFlags(argv);
  if (!flags) return null;
  try {
    const { json, packages, ...where } = flags;
    const r = await renderedCheck(await quickLocation(where), packages, json, warn);
    if (!r) return null;
    process.stdout.write(r.output);
    return r.exit;
  } catch {
    // Whatever went wrong here, the command's own path says it in its words.
    return null;
  }
}
