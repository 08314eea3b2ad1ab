// SPDX-License-Identifier: Apache-2.0
/* opsrun: runs file-operation cases in the VM and prints one verdict character per case.
 *
 *   opsrun --setup-cg DIR --test-cg DIR [--tty] [--name NAME] CASES
 *
 * CASES: one case a line, `id op uid owner owner2 path [path2]` (paths percent-encoded). For each
 * case, opsrun moves itself into the setup cgroup (a cgroup the plan exempts), prepares the file
 * state the operation needs (the target exists or not, owners and modes as the case says), moves
 * into the test cgroup, takes the case's uid, performs the operation, and restores root.
 * Output: `@@OPS NAME <chars>` lines, one character per case in order:
 *   A  the operation succeeded            D  it failed with EACCES (denied)
 *   X  it failed with another errno (then `@@OPSX NAME id op errno` says which)
 * The cgroup.procs files are opened before any case runs, so a rule set that blocks everything
 * cannot stop opsrun from leaving the test cgroup. With --tty the cases run with a controlling
 * terminal (a new session on a pseudo-terminal). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>

static int setup_fd = -1, test_fd = -1;

static void move_to(int fd)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%d\n", getpid());
	if (write(fd, b, n) != n) {
		perror("opsrun: cgroup.procs");
		exit(2);
	}
}

static void pct_decode(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '%' && p[1] && p[2]) {
			char hex[3] = { p[1], p[2], 0 };
			*o++ = (char)strtol(hex, NULL, 16);
			p += 2;
		} else
			*o++ = *p;
	}
	*o = 0;
}

static void mkdirs(const char *path)
{
	char buf[8192];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (mkdir(buf, 0777) == 0)
				chmod(buf, 0777);
			*p = '/';
		}
	}
}

static void parent_of(const char *path, char *out, size_t n)
{
	snprintf(out, n, "%s", path);
	char *s = strrchr(out, '/');
	if (s == out)
		out[1] = 0;
	else if (s)
		*s = 0;
}

static void remove_any(const char *path)
{
	if (unlink(path) && errno == EISDIR)
		rmdir(path);
	rmdir(path);
}

static void ensure_file(const char *path, int owner)
{
	struct stat st;
	char par[8192];
	mkdirs(path);
	parent_of(path, par, sizeof(par));
	chmod(par, 0777);
	if (!lstat(path, &st) && (S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && st.st_nlink > 1)))
		/* left by a symlink or link case: the operations here want a regular file with one
		 * name (decide() knows paths, the kernel also keys hard links) */
		unlink(path);
	if (lstat(path, &st)) {
		int fd = open(path, O_CREAT | O_WRONLY, 0666);
		if (fd >= 0) {
			if (write(fd, "x\n", 2) < 0)
				perror("opsrun: write");
			close(fd);
		}
		if (lstat(path, &st))
			return;
	}
	if (lchown(path, owner, owner))
		perror("opsrun: lchown");
	if (!S_ISLNK(st.st_mode))
		chmod(path, S_ISDIR(st.st_mode) ? 0777 : 0666);
}

static void ensure_absent_with_parent(const char *path, int parent_owner)
{
	char par[8192];
	mkdirs(path);
	remove_any(path);
	parent_of(path, par, sizeof(par));
	chown(par, parent_owner, parent_owner);
	chmod(par, 0777);
}

static int is_creation(const char *op)
{
	return !strcmp(op, "create") || !strcmp(op, "mkdir") || !strcmp(op, "symlink") ||
	       !strcmp(op, "mknod");
}

static void setup(const char *op, int owner, int owner2, const char *p1, const char *p2)
{
	if (is_creation(op)) {
		ensure_absent_with_parent(p1, owner);
		return;
	}
	if (!strcmp(op, "rmdir")) {
		char par[8192];
		mkdirs(p1);
		parent_of(p1, par, sizeof(par));
		chmod(par, 0777);
		mkdir(p1, 0777);
		chown(p1, owner, owner);
		chmod(p1, 0777);
		return;
	}
	ensure_file(p1, owner);
	if (!strcmp(op, "removexattr"))
		setxattr(p1, "trusted.bw", "1", 1, 0);
	if (p2)
		ensure_absent_with_parent(p2, owner2);
}

static int perform(const char *op, const char *p1, const char *p2, int owner)
{
	int fd, r = -1;
	if (!strcmp(op, "read")) {
		fd = open(p1, O_RDONLY);
		if (fd >= 0) {
			close(fd);
			r = 0;
		}
	} else if (!strcmp(op, "write") || !strcmp(op, "append")) {
		fd = open(p1, O_WRONLY | (op[0] == 'a' ? O_APPEND : 0));
		if (fd >= 0) {
			r = write(fd, "y", 1) == 1 ? 0 : -1;
			close(fd);
		}
	} else if (!strcmp(op, "create")) {
		fd = open(p1, O_CREAT | O_EXCL | O_WRONLY, 0666);
		if (fd >= 0) {
			close(fd);
			r = 0;
		}
	} else if (!strcmp(op, "mknod")) {
		r = mknod(p1, S_IFREG | 0666, 0);
	} else if (!strcmp(op, "unlink")) {
		r = unlink(p1);
	} else if (!strcmp(op, "rmdir")) {
		r = rmdir(p1);
	} else if (!strcmp(op, "mkdir")) {
		r = mkdir(p1, 0777);
	} else if (!strcmp(op, "rename")) {
		r = rename(p1, p2);
	} else if (!strcmp(op, "link")) {
		r = link(p1, p2);
	} else if (!strcmp(op, "symlink")) {
		r = symlink("target", p1);
	} else if (!strcmp(op, "chmod")) {
		/* the mode stays what setup made it: a directory must keep its search bit */
		struct stat st;
		r = chmod(p1, !stat(p1, &st) && S_ISDIR(st.st_mode) ? 0777 : 0666);
	} else if (!strcmp(op, "chown")) {
		r = chown(p1, owner, -1);
	} else if (!strcmp(op, "truncate")) {
		r = truncate(p1, 0);
	} else if (!strcmp(op, "setxattr")) {
		r = setxattr(p1, "trusted.bw", "2", 1, 0);
	} else if (!strcmp(op, "removexattr")) {
		r = removexattr(p1, "trusted.bw");
	} else if (!strcmp(op, "utimes")) {
		r = utimensat(AT_FDCWD, p1, NULL, 0);
	} else {
		errno = ENOSYS;
	}
	return r == 0 ? 0 : errno;
}

static void take_tty(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m)) {
		perror("opsrun: posix_openpt");
		exit(2);
	}
	if (setsid() < 0)
		perror("opsrun: setsid");
	int s = open(ptsname(m), O_RDWR);
	if (s < 0 || ioctl(s, TIOCSCTTY, 0)) {
		perror("opsrun: TIOCSCTTY");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	const char *setup_cg = NULL, *test_cg = NULL, *name = "ops", *cases = NULL;
	int tty = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--setup-cg") && i + 1 < argc)
			setup_cg = argv[++i];
		else if (!strcmp(argv[i], "--test-cg") && i + 1 < argc)
			test_cg = argv[++i];
		else if (!strcmp(argv[i], "--name") && i + 1 < argc)
			name = argv[++i];
		else if (!strcmp(argv[i], "--tty"))
			tty = 1;
		else
			cases = argv[i];
	}
	umask(0); /* files 0666, directories 0777: no DAC denial hides or fakes an LSM one */
	if (!setup_cg || !test_cg || !cases) {
		fprintf(stderr, "usage: opsrun --setup-cg DIR --test-cg DIR [--tty] [--name N] CASES\n");
		return 64;
	}
	char p[4096];
	snprintf(p, sizeof(p), "%s/cgroup.procs", setup_cg);
	setup_fd = open(p, O_WRONLY);
	snprintf(p, sizeof(p), "%s/cgroup.procs", test_cg);
	test_fd = open(p, O_WRONLY);
	if (setup_fd < 0 || test_fd < 0) {
		perror("opsrun: open cgroup.procs");
		return 2;
	}
	FILE *f = fopen(cases, "r");
	if (!f) {
		perror(cases);
		return 2;
	}
	if (tty)
		take_tty();
	static char line[16384], out[512];
	int nout = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char op[32], a[8192], b[8192];
		long id;
		int uid, owner, owner2;
		a[0] = b[0] = 0;
		int n = sscanf(line, "%ld %31s %d %d %d %8191s %8191s", &id, op, &uid, &owner, &owner2, a, b);
		if (n < 6)
			continue;
		pct_decode(a);
		pct_decode(b);
		const char *p2 = n >= 7 ? b : NULL;
		move_to(setup_fd);
		setup(op, owner, owner2, a, p2);
		move_to(test_fd);
		if (uid != 0 && setresuid(uid, uid, 0)) {
			perror("opsrun: setresuid");
			return 2;
		}
		int err = perform(op, a, p2, owner);
		if (uid != 0 && setresuid(0, 0, 0)) {
			perror("opsrun: setresuid back");
			return 2;
		}
		move_to(setup_fd);
		char c = err == 0 ? 'A' : err == EACCES ? 'D' : 'X';
		if (c == 'X')
			printf("@@OPSX %s %ld %s %d\n", name, id, op, err);
		out[nout++] = c;
		if (nout == 400) {
			printf("@@OPS %s %.*s\n", name, nout, out);
			fflush(stdout);
			nout = 0;
		}
	}
	if (nout)
		printf("@@OPS %s %.*s\n", name, nout, out);
	fflush(stdout);
	return 0;
}
