// BW2xxx: the BPF-LSM enforcer (bpf/, native/bpf-loader, src/sensor/bpf-*.ts).
// BW20xx are errors, BW21xx are warnings.
import { defineCodes } from './types.js';

export const bpfCodes = defineCodes({
  BPF_LOADER_MISSING: {
    code: 'BW2001',
    level: 'error',
    title: 'BPF-LSM loader not built',
    help: 'Run `npm run build:bpf` (needs clang, llvm, bpftool, libbpf-dev, libelf-dev, zlib1g-dev), or point BULWARK_BPF_LOADER at a bulwark-bpf binary.',
  },
  BPF_LOAD_FAILED: {
    code: 'BW2002',
    level: 'error',
    title: 'The BPF-LSM enforcer could not be loaded',
    help: 'The kernel refused the program or its hooks: `bulwark-bpf probe` says why (bpf must be in the lsm= boot parameter; some platforms refuse BPF trampolines). Landlock and fanotify remain available.',
  },
  BPF_PLAN_REJECTED: {
    code: 'BW2003',
    level: 'error',
    title: 'A rule set could not be applied to the BPF-LSM enforcer',
    help: 'The previous rule set stays in force. The message quotes the loader (for example more than 8 rules on one directory, or a glob it cannot compile); fix the policy or split the rules.',
  },
  BPF_RULE_NOT_ENFORCED: {
    code: 'BW2101',
    level: 'warning',
    title: 'A pattern rule is not enforced by BPF-LSM',
    help: 'The pattern has a shape the kernel matcher does not support (a glob inside a directory component). It is still detected by the other backends; rewrite it as a directory plus a leaf glob to have it prevented.',
  },
  BPF_PATH_PENDING: {
    code: 'BW2102',
    level: 'warning',
    title: 'A rule path does not exist yet',
    help: 'Its parent directory is missing, so the rule is keyed once the directory exists and the rule set is applied again. Creating the directory itself is already decided by the rule.',
  },
});
