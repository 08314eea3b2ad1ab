// `landlock-audit` backend: denials of Landlock-sandboxed workloads, from the kernel audit stream
// (read-only multicast group). Landlock domains are fixed when a workload starts, so a new rule
// set changes nothing here; it applies to workloads started afterwards (sandbox.ts).
import type { RuleSet } from '../policy/types.js';
import { FEAT } from './abi.js';
import { HelperBackend, type HelperBackendOptions } from './helper-backend.js';

export interface LandlockAuditOptions extends HelperBackendOptions {
  /** Catch denied syscalls' path arguments with a BPF raw tracepoint (default true). */
  names?: boolean;
}

export class LandlockAuditBackend extends HelperBackend {
  readonly name = 'landlock-audit';

  constructor(opts: LandlockAuditOptions = {}) {
    super(['run', '--audit', ...(opts.names === false ? ['--no-names'] : [])], opts);
  }

  protected source(): 'landlock' {
    return 'landlock';
  }

  protected required(): { feature: number; code: 'SENSOR_AUDIT_UNAVAILABLE' } {
    return { feature: FEAT.audit, code: 'SENSOR_AUDIT_UNAVAILABLE' };
  }

  applyRuleSet(_ruleSet: RuleSet): Promise<void> {
    return Promise.resolve();
  }
}
