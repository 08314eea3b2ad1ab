// `bulwark policy explain` (implemented with decide()).
import type { Command } from 'commander';

export function registerPolicyExplain(policy: Command): void {
  policy.command('explain').description('Explain the decision for one file operation');
}
