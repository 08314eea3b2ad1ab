// Kernel-test gate. A test that needs a kernel feature calls needKernel(t, ok, reason): when the
// feature is missing it skips, unless BULWARK_REQUIRE_KERNEL=1 (CI), where a skip is a failure.
import type { TestContext } from 'node:test';

export const REQUIRE_KERNEL = process.env.BULWARK_REQUIRE_KERNEL === '1';

/** Returns true when the test may go on; false after skipping. Throws under REQUIRE_KERNEL. */
export function needKernel(t: TestContext, ok: boolean, reason: string): boolean {
  if (ok) return true;
  if (REQUIRE_KERNEL)
    throw new Error(`required kernel feature missing (BULWARK_REQUIRE_KERNEL=1): ${reason}`);
  t.skip(reason);
  return false;
}

export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
