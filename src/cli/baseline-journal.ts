// `baseline check` talks to the running agent about its change journal over the control socket
// (src/app/journal-hook.ts); the baseline stage sees only the JournalAgent interface.
import { existsSync } from 'node:fs';
import { request, socketPath } from '../app/control.js';
import type { AgentJournal, JournalAgent } from '../baseline/since-last.js';

/** The agent of this state directory, as a JournalAgent (it may turn out not to answer). */
export function agentJournal(stateDir: string): JournalAgent {
  const sock = socketPath(stateDir);
  return {
    async position() {
      if (!existsSync(sock)) return { unavailable: `no agent is running (no socket ${sock})` };
      try {
        // The agent waits up to 2 s for its sensor to confirm its queue was read.
        const r = await request(sock, { op: 'journal' }, 10_000);
        if (!r.ok)
          return {
            unavailable: `the agent did not give its journal position: ${r.error ?? 'unknown error'}`,
          };
        return r.journal as AgentJournal;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EACCES')
          return { unavailable: `the agent's socket ${sock} is not accessible to this user (run as root)` };
        return { unavailable: `no agent is running (no answer on ${sock}: ${(e as Error).message})` };
      }
    },
    async checked(from, fromOffset, digest) {
      try {
        const r = await request(sock, { op: 'journal-check', from, fromOffset, digest }, 10_000);
        if (!r.ok) return null;
        return { check: Number(r.check), fromOffset: Number(r.fromOffset) };
      } catch {
        return null;
      }
    },
  };
}
