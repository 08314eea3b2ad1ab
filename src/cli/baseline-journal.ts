// `baseline check` talks to the running agent about its change journal over the control socket
// (src/app/journal-hook.ts); the baseline stage sees only the JournalAgent interface.
//
// Whoever listens on `<state-dir>/agent.sock` is trusted only if the socket and its directory
// belong to root or to the user running the check and nobody else can write them: otherwise
// another user could have put their own program there and answer with a forged position. The
// journal read is always journalFile(stateDir), whatever file the answer names.
import { existsSync, lstatSync, statSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { dirname } from 'node:path';
import { request, socketPath } from '../app/control.js';
import { journalFile } from '../baseline/journal.js';
import type { AgentJournal, JournalAgent } from '../baseline/since-last.js';
import type { CheckResult } from '../baseline/engine.js';
import type { BaselineSettings } from '../baseline/settings.js';
import { warn as printWarning } from './baseline-common.js';

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
 * The agent of this state directory, as a JournalAgent (it may turn out not to answer).
 * Warnings about recording a check go to `onWarning` (default: stderr).
 */
export function agentJournal(
  stateDir: string,
  onWarning: (code: string, message: string) => void = printWarning,
): JournalAgent {
  const sock = socketPath(stateDir);
  return {
    async position() {
      if (!existsSync(sock)) return { unavailable: `no agent is running (no socket ${sock})` };
      const bad = untrustedSocket(sock);
      if (bad) return { unavailable: `the agent's control socket cannot be trusted: ${bad}`, code: 'BW5114' };
      try {
        // The agent waits up to 2 s for its sensor to confirm its queue was read.
        const r = await request(sock, { op: 'journal' }, 10_000);
        if (!r.ok)
          return {
            unavailable: `the agent did not give its journal position: ${r.error ?? 'unknown error'}`,
          };
        if (typeof r.journal !== 'object' || r.journal === null)
          return { unavailable: 'the agent answered without a journal position' };
        // The journal is read where this state directory keeps it, never where the answer says.
        return { ...(r.journal as AgentJournal), file: journalFile(stateDir) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EACCES')
          return { unavailable: `the agent's socket ${sock} is not accessible to this user (run as root)` };
        return { unavailable: `no agent is running (no answer on ${sock}: ${(e as Error).message})` };
      }
    },
    async checked(from, fromOffset, digest) {
      try {
        const r = await request(sock, { op: 'journal-check', from, fromOffset, digest }, 10_000);
        if (!r.ok) return { error: r.error ?? 'it gave no reason' };
        const check = Number(r.check);
        const off = Number(r.fromOffset);
        if (!Number.isInteger(check) || !Number.isInteger(off))
          return { error: `it answered without a check line and offset (${JSON.stringify(r)})` };
        return { check, fromOffset: off };
      } catch (e) {
        return { error: `no answer on ${sock}: ${(e as Error).message}` };
      }
    },
    warn: onWarning,
  };
}

/**
 * A since-last check run by the agent of this state directory (src/app/baseline-delegate.ts),
 * or null when it is not: no agent or an untrusted socket, another baseline, an error, no answer.
 * The caller then checks in this process, which reports why a since-last check could not run or
 * what went wrong in its own words (a tampered store, a missing key).
 */
export async function delegatedCheck(
  settings: BaselineSettings,
  packages: boolean,
  onWarning: (code: string, message: string) => void = printWarning,
): Promise<CheckResult | null> {
  const sock = socketPath(settings.stateDir);
  if (!existsSync(sock) || untrustedSocket(sock)) return null;
  let r;
  try {
    r = await request(
      sock,
      { op: 'baseline-check', dbFile: settings.dbFile, pubFile: settings.pubFile, packages },
      30 * 60_000,
    );
  } catch {
    return null;
  }
  if (!r.ok || typeof r.result !== 'string') return null;
  for (const [code, message] of (r.warnings as [string, string][] | undefined) ?? [])
    onWarning(code, message);
  return deserialize(Buffer.from(r.result, 'base64')) as CheckResult;
}
