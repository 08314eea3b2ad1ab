// `bulwark policy check PATH...` (implemented in the policy reader change).
import type { Command } from 'commander';

export function registerPolicyCheck(policy: Command): void {
  policy.command('check').description('Validate policy files and directories').argument('<path...>');
}
