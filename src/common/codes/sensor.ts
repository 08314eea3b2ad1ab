// BW3xxx: the kernel layer (native helper, Landlock sandbox, audit, fanotify, probe).
// BW30xx are errors, BW31xx are warnings.
import { defineCodes } from './types.js';

export const sensorCodes = defineCodes({
  SENSOR_NATIVE_MISSING: {
    code: 'BW3001',
    level: 'error',
    title: 'Native helper not built',
    help: 'Run scripts/build-native.sh (needs gcc, clang and libbpf-dev), or point BULWARK_NATIVE_DIR at the folder holding bulwark-helper and bulwark-sandbox.',
  },
  SENSOR_HELPER_FAILED: {
    code: 'BW3002',
    level: 'error',
    title: 'Native helper failed to start',
    help: 'The helper needs root (CAP_AUDIT_READ, CAP_AUDIT_CONTROL, CAP_SYS_ADMIN for fanotify); the message quotes its error. `bulwark probe` shows what the kernel offers.',
  },
  SENSOR_LANDLOCK_UNAVAILABLE: {
    code: 'BW3003',
    level: 'error',
    title: 'Landlock is not available',
    help: 'The kernel lacks Landlock or it is not in the active LSM list (lsm= boot parameter). Run the workload without enforcement or use a kernel with Landlock (5.13+, ABI 7 for denial logging).',
  },
  SENSOR_SANDBOX_FAILED: {
    code: 'BW3004',
    level: 'error',
    title: 'Sandboxed workload could not be started',
    help: 'The sandbox launcher quoted the cause (cgroup not writable, program not found, Landlock refused the ruleset).',
  },
  SENSOR_AUDIT_UNAVAILABLE: {
    code: 'BW3005',
    level: 'error',
    title: 'Kernel audit cannot be read',
    help: 'Denial events need CONFIG_AUDIT and CAP_AUDIT_READ (root). Without them Landlock still prevents, but denials are not reported.',
  },
  SENSOR_FANOTIFY_UNAVAILABLE: {
    code: 'BW3006',
    level: 'error',
    title: 'fanotify cannot watch a policy path',
    help: 'Change events need fanotify with FID reporting (Linux 5.9+) and CAP_SYS_ADMIN; some filesystems (proc, some FUSE) do not support it.',
  },
  SENSOR_PLAN_PATH_SKIPPED: {
    code: 'BW3101',
    level: 'warning',
    title: 'Path left out of the Landlock ruleset',
    help: 'The path could not be opened (missing, or a symlink, which is never followed). Operations there are refused unless another grant covers them; check the path.',
  },
  SENSOR_DETECT_ONLY: {
    code: 'BW3102',
    level: 'warning',
    title: 'Rule is detected, not prevented, on this host',
    help: 'Landlock cannot express it (chmod, chown, xattr, times, fromSource, ownerOnly, patterns). Violations are reported as Audit (Block); `bulwark policy explain` lists the coverage per operation.',
  },
});
