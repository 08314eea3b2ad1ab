/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Landlock UAPI pieces that Debian 12's <linux/landlock.h> predates (ABI 3+), taken from the
 * kernel's include/uapi/linux/landlock.h. Defined only when missing, so newer headers win.
 */
#ifndef BULWARK_LANDLOCK_H
#define BULWARK_LANDLOCK_H

#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13) /* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF
#define LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF (1U << 0) /* ABI 7 */
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON
#define LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1) /* ABI 7 */
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF
#define LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF (1U << 2) /* ABI 7 */
#endif

/* Rights valid on a non-directory (landlock_add_rule rejects directory rights on files). */
#define BW_LL_FILE_RIGHTS                                                                  \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | \
	 LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

static inline int bw_landlock_abi(void)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
}

/* Rights the running kernel knows, by ABI version. */
static inline unsigned long long bw_landlock_supported(int abi)
{
	unsigned long long all = (1ULL << 13) - 1; /* ABI 1: bits 0..12 */
	if (abi >= 2) all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3) all |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5) all |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return abi > 0 ? all : 0;
}

#endif
