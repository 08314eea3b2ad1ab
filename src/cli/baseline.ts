// `bulwark baseline ...`: record a signed baseline of the files in scope, compare the disk to it,
// accept changes into new signed versions, and verify it offline. See docs/baseline.md.
import type { Command } from 'commander';
import { registerBaselineCheck, registerBaselineUpdate } from './baseline-check.js';
import { registerBaselineInit, registerBaselineKeygen } from './baseline-init.js';
import { registerBaselineExport, registerBaselineShow, registerBaselineVerify } from './baseline-verify.js';

export function registerBaseline(program: Command): void {
  const baseline = program
    .command('baseline')
    .description('Signed file baseline: record, check, accept and verify (AIDE-like, with package awareness)')
    .addHelpText(
      'after',
      `
Typical use:
  bulwark baseline keygen                  # once: Ed25519 key pair in /etc/bulwark/keys
  bulwark baseline init /etc /usr/bin      # record and sign version 1
  bulwark baseline check                   # compare; exit status is a bitmask (see check --help)
  bulwark baseline update --accept-package-consistent --reason "apt upgrade"
  bulwark baseline verify --pubkey auditor.pub

Documentation: docs/baseline.md`,
    );
  registerBaselineKeygen(baseline);
  registerBaselineInit(baseline);
  registerBaselineCheck(baseline);
  registerBaselineUpdate(baseline);
  registerBaselineVerify(baseline);
  registerBaselineShow(baseline);
  registerBaselineExport(baseline);
}
