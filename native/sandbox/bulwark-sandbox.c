/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-sandbox: apply a Landlock ruleset to itself, then exec the workload.
 *
 *   bulwark-sandbox [--cgroup DIR] [--status-fd N] [--no-log] --handled MASK
 *                   [--allow MASK PATH]... -- PROGRAM [ARG]...
 *
 * MASK is a Landlock access-right mask (decimal or 0x hex). Rights the kernel does not know are
 * dropped from both the handled set and the grants (reported on the status fd). Each PATH is
 * opened with O_PATH|O_NOFOLLOW: a symlink is never followed, so a grant on the sibling /bin of a
 * merged-/usr system is not a grant on /usr/bin (symlinks are skipped). Directory rights are
 * removed from grants on non-directories. A missing PATH is skipped and reported.
 * Denials are logged to kernel audit for the exec'd program (LOG_NEW_EXEC_ON, ABI 7) unless
 * --no-log. With --cgroup, the process first moves itself into DIR (writes to cgroup.procs).
 * On success the status fd gets one JSON line, then is closed; on failure the exit code is 126
 * (setup failed) or 127 (exec failed) and stderr says why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../include/bulwark_landlock.h"

static void die(int code, const char *what, const char *arg)
{
	fprintf(stderr, "bulwark-sandbox: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "",
		strerror(errno));
	exit(code);
}

static unsigned long long parse_mask(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "bulwark-sandbox: bad mask '%s'\n", s);
		exit(126);
	}
	return v;
}

/* JSON string escaping for the status line (paths may hold any byte but NUL). */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

int main(int argc, char **argv)
{
	const char *cgroup = NULL;
	int status_fd = -1, log = 1, i;
	unsigned long long handled = 0;
	int abi = bw_landlock_abi();

	if (argc == 2 && strcmp(argv[1], "--abi") == 0) {
		printf("%d\n", abi);
		return 0;
	}
	/* First pass: options before "--"; --allow pairs are applied after the ruleset exists. */
	int first_allow = -1, cmd = -1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			cmd = i + 1;
			break;
		} else if (strcmp(argv[i], "--cgroup") == 0 && i + 1 < argc) {
			cgroup = argv[++i];
		} else if (strcmp(argv[i], "--status-fd") == 0 && i + 1 < argc) {
			status_fd = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--no-log") == 0) {
			log = 0;
		} else if (strcmp(argv[i], "--handled") == 0 && i + 1 < argc) {
			handled = parse_mask(argv[++i]);
		} else if (strcmp(argv[i], "--allow") == 0 && i + 2 < argc) {
			if (first_allow < 0) first_allow = i;
			i += 2;
		} else {
			fprintf(stderr, "bulwark-sandbox: unknown or incomplete option '%s'\n", argv[i]);
			return 126;
		}
	}
	if (cmd < 0 || cmd >= argc) {
		fprintf(stderr, "usage: bulwark-sandbox [--cgroup DIR] [--status-fd N] [--no-log] "
				"--handled MASK [--allow MASK PATH]... -- PROGRAM [ARG]...\n");
		return 126;
	}
	if (cgroup) {
		char p[4096];
		snprintf(p, sizeof p, "%s/cgroup.procs", cgroup);
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) die(126, "cannot join cgroup", cgroup);
		close(fd);
	}
	FILE *st = NULL;
	if (status_fd >= 0) {
		st = fdopen(status_fd, "w");
		if (!st) die(126, "bad --status-fd", NULL);
	}
	unsigned long long supported = bw_landlock_supported(abi);
	unsigned long long dropped = handled & ~supported;
	handled &= supported;
	if (st) fprintf(st, "{\"abi\":%d,\"handled\":%llu,\"dropped\":%llu,\"skipped\":[", abi, handled, dropped);
	int nrules = 0, nskipped = 0;
	if (handled) {
		if (abi == 0) die(126, "Landlock is not available", NULL);
		struct landlock_ruleset_attr attr = {.handled_access_fs = handled};
		int rfd = syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
		if (rfd < 0) die(126, "landlock_create_ruleset", NULL);
		for (i = first_allow; i >= 0 && i < cmd - 1; i++) {
			if (strcmp(argv[i], "--allow") != 0) continue;
			unsigned long long m = parse_mask(argv[i + 1]) & handled;
			const char *path = argv[i + 2];
			i += 2;
			const char *why = NULL;
			struct stat sb;
			int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				why = strerror(errno);
			else if (fstat(fd, &sb) < 0)
				why = strerror(errno);
			else if (S_ISLNK(sb.st_mode))
				why = "symlink (not followed)";
			if (!why) {
				if (!S_ISDIR(sb.st_mode)) m &= BW_LL_FILE_RIGHTS;
				if (m) {
					struct landlock_path_beneath_attr pb = {.allowed_access = m, .parent_fd = fd};
					if (syscall(__NR_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
						why = strerror(errno);
					else
						nrules++;
				}
			}
			if (fd >= 0) close(fd);
			if (why && st) {
				fprintf(st, "%s{\"path\":", nskipped ? "," : "");
				json_str(st, path);
				fprintf(st, ",\"reason\":");
				json_str(st, why);
				fputc('}', st);
			}
			if (why) nskipped++;
		}
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die(126, "PR_SET_NO_NEW_PRIVS", NULL);
		unsigned int flags = (log && abi >= 7) ? LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON : 0;
		if (syscall(__NR_landlock_restrict_self, rfd, flags) < 0) die(126, "landlock_restrict_self", NULL);
		close(rfd);
	}
	if (st) {
		fprintf(st, "],\"rules\":%d,\"pid\":%d}\n", nrules, (int)getpid());
		fclose(st);
	}
	execvp(argv[cmd], &argv[cmd]);
	fprintf(stderr, "bulwark-sandbox: cannot run %s: %s\n", argv[cmd], strerror(errno));
	return 127;
}
