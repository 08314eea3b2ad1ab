/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_PROC_H
#define BW_PROC_H
#include <stdint.h>
#include "../include/bulwark_abi.h"

/* What /proc says about the acting process. Strings are NUL-terminated. */
struct bw_proc {
	int32_t ppid;
	uint32_t uid;
	uint32_t flags; /* BW_PROC_* */
	uint64_t cgroup_id;
	char exe[4096], comm[32], cmdline[4096], cwd[4096], tty[32], cgroup[1024];
};

/* Fills *out for pid, using the pidfd to tell whether the process is still the same one.
 * pidfd < 0: the kernel could not give one (process already gone). Returns out. Cached per
 * process (keyed by the pidfs inode of the pidfd) for 100 ms: a process doing many changes is
 * read once, an exec is picked up on the next read. */
const struct bw_proc *bw_proc_get(int32_t pid, int pidfd);
#endif
