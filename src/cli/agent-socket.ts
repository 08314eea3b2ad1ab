// The agent's control socket as the baseline commands use it: whether it can be trusted, and a
// since-last check asked of the agent (src/app/baseline-delegate.ts). Node's built-ins and the
// control client only, so the quick since-last path (quick.ts) loads little.
//
// Whoever listens on `<state-dir>/agent.sock` is trusted only if the socket and its directory
// belong to root or to the user running the check and nobody else can write them: otherwise
// another user could have put their own program there and answer with a forged position or result.
import { existsSync, lstatSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { request, socketPath } from '../app/control.js';
import type { StoreLocation } from '../baseline/locations.js';

function mode(m: number): string {
  return (m & 0o7777).toString(8).padStart(4, '0');
}

/** Why the socket at `sock` (and its directory) cannot be trusted, or null. */
export function untrustedSocket(sock: string): string | null {
  const owners = [...new Set([0, process.geteuid?.() ?? 0])];
  const who = owners.join(' or ');
  const dir = dirname(sock);
  let d;
  try {
    d = statSync(dir);
  } catch (e) {
    return `cannot inspect ${dir}: ${(e as Error).message}`;
  }
  if (!owners.includes(d.uid))
    return `the directory ${dir} of the agent's socket is owned by uid ${d.uid}, not ${who}`;
  if (d.mode & 0o022)
    return `the directory ${dir} of the agent's socket is writable by group or others (mode ${mode(d.mode)}; chmod 0700 ${dir})`;
  let s;
  try {
    s = lstatSync(sock);
  } catch (e) {
    return `cannot inspect ${sock}: ${(e as Error).message}`;
  }
  if (s.isSymbolicLink()) return `the agent's socket ${sock} is a symbolic link`;
  if (!s.isSocket()) return `${sock} is not a socket`;
  if (!owners.includes(s.uid)) return `the agent's socket ${sock} is owned by uid ${s.uid}, not ${who}`;
  if (s.mode & 0o022)
    return `the agent's socket ${sock} is writable by group or others (mode ${mode(s.mode)}; the agent makes it 0600)`;
  return null;
}

/**
 * Whether this process already asked the agent for a since-last check and was turned down
 * (src/cli/quick.ts): the command's own path then checks itself without asking again.
 */
export const delegation: {
  declined: boolean;
  /** An answer with the result but no rendered output (an agent from before rendering). */
  answer?: Record<string, unknown>;
} = { declined: false };

/**
 * The agent's answer to a `baseline-check` request, or null when there is none to use. Its
 * warnings are the caller's to print, when it uses the answer (printWarnings).
 */
export async function askAgent(
  settings: StoreLocation,
  packages: boolean,
  render: 'json' | 'text' | undefined,
): Promise<Record<string, unknown> | null> {
  // The check the agent already ran for the quick path, handed to the command's path once.
  const kept = delegation.answer;
  if (kept) {
    delete delegation.answer;
    return kept;
  }
  const sock = socketPath(settings.stateDir);
  if (delegation.declined || !existsSync(sock) || untrustedSocket(sock)) return null;
  let r;
  try {
    r = await request(
      sock,
      {
        op: 'baseline-check',
        dbFile: settings.dbFile,
        pubFile: settings.pubFile,
        packages,
        ...(render ? { render } : {}),
      },
      30 * 60_000,
    );
  } catch {
    return null;
  }
  return r.ok ? r : null;
}

/** The warnings of the check the agent ran, in order. */
export function printWarnings(
  r: Record<string, unknown>,
  onWarning: (code: string, message: string) => void,
): void {
  for (const [code, message] of (r.warnings as [string, string][] | undefined) ?? [])
    onWarning(code, message);
}

/**
 * The same, rendered by the agent: what `baseline check` prints (JSON or text) and its exit bits.
 * Null as above; `delegation.declined` is then set so the command does not ask again.
 */
export async function renderedCheck(
  settings: StoreLocation,
  packages: boolean,
  json: boolean,
  onWarning: (code: string, message: string) => void,
): Promise<{ output: string; exit: number } | null> {
  const r = await askAgent(settings, packages, json ? 'json' : 'text');
  if (r && typeof r.output === 'string' && Number.isInteger(r.exit)) {
    printWarnings(r, onWarning);
    return { output: r.output, exit: r.exit as number };
  }
  // An agent from before rendered answers sends the result only: the command's path prints it.
  if (r && typeof r.result === 'string') delegation.answer = r;
  else delegation.declined = true;
  return null;
}
