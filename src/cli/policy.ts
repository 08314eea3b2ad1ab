// `bulwark policy ...`: check and explain KubeArmor policies offline.
import type { Command } from 'commander';
import { registerPolicyCheck } from './policy-check.js';
import { registerPolicyExplain } from './policy-explain.js';

export function registerPolicy(program: Command): void {
  const policy = program
    .command('policy')
    .description('Validate KubeArmor policies and explain the decisions they make');
  registerPolicyCheck(policy);
  registerPolicyExplain(policy);
}
