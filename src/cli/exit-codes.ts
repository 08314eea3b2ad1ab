// Exit codes shared by every subcommand; documented in `bulwark --help` and docs/cli.md.
// Subcommands with richer results (baseline check's bitmask) document theirs in their own help.
export const EXIT = {
  /** Success: inputs valid, command did what was asked. */
  OK: 0,
  /** The command ran and found a problem: invalid policy, failed check, agent not running. */
  FINDINGS: 1,
  /** Usage error: unknown option, missing argument, unreadable input path. */
  USAGE: 2,
  /** Runtime failure: the kernel refused, a store could not be opened, an internal error. */
  FAILURE: 3,
} as const;

export const EXIT_HELP = `Exit codes:
  0  success
  1  the command found a problem (invalid policy, failed check, agent not running)
  2  usage error (unknown option, missing argument, input path not found)
  3  runtime failure (kernel refused, store unavailable, internal error)
  baseline check uses a bitmask instead; see 'bulwark baseline check --help'.`;
