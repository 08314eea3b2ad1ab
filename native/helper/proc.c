/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "out.h"
#include "proc.h"

#define CACHE 512
#define TTL_NS 100000000ull
static struct entry {
	uint64_t key, at;
	int32_t pid;
	struct bw_proc p;
} cache[CACHE];

static char cg2root[256];

static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0) return -1;
	buf[n] = 0;
	return n;
}

static void find_cg2root(void)
{
	static int done;
	if (done) return;
	done = 1;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f) return;
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		char *sep = strstr(line, " - cgroup2 ");
		if (!sep) continue;
		char mnt[256];
		if (sscanf(line, "%*d %*d %*s %*s %255s", mnt) == 1) {
			snprintf(cg2root, sizeof cg2root, "%s", mnt);
			break;
		}
	}
	fclose(f);
}

static void tty_name(unsigned tty_nr, char *out, size_t cap)
{
	unsigned maj = major(tty_nr), min = minor(tty_nr);
	if (maj >= 136 && maj <= 143)
		snprintf(out, cap, "pts/%u", (maj - 136) * 256 + min);
	else if (maj == 4 && min < 64)
		snprintf(out, cap, "tty%u", min);
	else if (maj == 4)
		snprintf(out, cap, "ttyS%u", min - 64);
	else
		snprintf(out, cap, "tty(%u:%u)", maj, min);
}

static void read_proc(int32_t pid, struct bw_proc *p)
{
	char path[64], buf[8192];
	ssize_t n;
	memset(p, 0, sizeof *p);
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if (read_file(path, buf, sizeof buf) < 0) {
		p->flags = BW_PROC_PID | BW_PROC_GONE;
		return;
	}
	char *s = strstr(buf, "\nPPid:");
	if (s) p->ppid = atoi(s + 6);
	s = strstr(buf, "\nUid:");
	if (s) p->uid = (uint32_t)strtoul(s + 5, NULL, 10);
	s = strncmp(buf, "Name:", 5) == 0 ? buf + 5 : NULL;
	if (s) {
		while (*s == '\t' || *s == ' ') s++;
		size_t l = strcspn(s, "\n");
		if (l > sizeof p->comm - 1) l = sizeof p->comm - 1;
		memcpy(p->comm, s, l);
	}
	snprintf(path, sizeof path, "/proc/%d/exe", pid);
	n = readlink(path, p->exe, sizeof p->exe - 1);
	if (n > 0) p->exe[n] = 0;
	snprintf(path, sizeof path, "/proc/%d/cwd", pid);
	n = readlink(path, p->cwd, sizeof p->cwd - 1);
	if (n > 0) p->cwd[n] = 0;
	snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
	n = read_file(path, p->cmdline, sizeof p->cmdline);
	if (n > 0) {
		while (n > 0 && p->cmdline[n - 1] == 0) n--;
		for (ssize_t i = 0; i < n; i++)
			if (p->cmdline[i] == 0) p->cmdline[i] = ' ';
		p->cmdline[n] = 0;
	}
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_file(path, buf, sizeof buf) > 0) {
		/* comm may hold spaces and parens: fields start after the last ')' */
		char *r = strrchr(buf, ')');
		unsigned tty_nr = 0;
		if (r && sscanf(r + 2, "%*c %*d %*d %*d %u", &tty_nr) == 1 && tty_nr) {
			tty_name(tty_nr, p->tty, sizeof p->tty);
			p->flags |= BW_PROC_TTY;
		}
	}
	snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
	if (read_file(path, buf, sizeof buf) > 0) {
		char *l = strstr(buf, "0::");
		if (l && (l == buf || l[-1] == '\n')) {
			size_t len = strcspn(l + 3, "\n");
			if (len > sizeof p->cgroup - 1) len = sizeof p->cgroup - 1;
			memcpy(p->cgroup, l + 3, len);
			find_cg2root();
			if (cg2root[0]) {
				char cp[1400];
				struct stat sb;
				snprintf(cp, sizeof cp, "%s%s", cg2root, p->cgroup);
				if (stat(cp, &sb) == 0) p->cgroup_id = sb.st_ino;
			}
		}
	}
	p->flags |= BW_PROC_PID | BW_PROC_INFO;
	if (!p->exe[0]) p->flags |= BW_PROC_GONE; /* zombie or exiting: exe link is gone */
}

const struct bw_proc *bw_proc_get(int32_t pid, int pidfd)
{
	static struct bw_proc gone;
	if (pidfd < 0) {
		memset(&gone, 0, sizeof gone);
		gone.flags = BW_PROC_PID | BW_PROC_GONE;
		return &gone;
	}
	struct stat sb;
	uint64_t key = fstat(pidfd, &sb) == 0 ? (uint64_t)sb.st_ino : 0;
	uint64_t now = bw_now_ns();
	struct entry *e = &cache[(key ^ (uint64_t)pid) % CACHE];
	if (key && e->key == key && e->pid == pid && now - e->at < TTL_NS) return &e->p;
	read_proc(pid, &e->p);
	/* Still alive after reading: what we read belongs to this process, not to a pid reuse. */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 && errno == ESRCH) {
		e->p.flags |= BW_PROC_GONE;
		e->key = 0;
		return &e->p;
	}
	e->key = key;
	e->pid = pid;
	e->at = now;
	return &e->p;
}
