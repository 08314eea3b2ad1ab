// `baseline check` talks to the running agent about its change journal over the control socket
// (src/app/journal-hook.ts); the baseline stage sees only the JournalAgent interface. The socket
// is used only when it can be trusted (agent-socket.ts), and the journal read is always
// journalFile(stateDir), whatever file the answer names.
import { existsSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { request, socketPath } from '../app/control.js';
import { journalFile } from '../baseline/journal.js';
import type { AgentJournal, JournalAgent } from '../baseline/since-last.js';
import type { CheckResult } from '../baseline/engine.js';
import type { BaselineSettings } from '../baseline/settings.js';
import { askAgent, printWarnings, untrustedSocket } from './agent-socket.js';
import { warn as printWarning } from './warn.js';

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
  const r = await askAgent(settings, packages, undefined);
  if (!r || typeof r.result !== 'string') return null;
  printWarnings(r, onWarning);
  return deserialize(Buffer.from(r.result, 'base64')) as CheckResult;
}
