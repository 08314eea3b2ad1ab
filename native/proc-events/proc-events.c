/*
 * bulwark-proc-events: reports every process exec, fork and exit, with what /proc says about it,
 * for the process cache (src/enrich/proc-events.ts). Two modes:
 *  - BPF (proc-events-bpf.c, proc-events.bpf.c; the default when it loads): BTF tracepoints
 *    capture each exec in the process's own context. Nothing is missed or read too late.
 *  - proc connector (this file; --no-bpf, or when BPF cannot load): netlink NETLINK_CONNECTOR,
 *    CN_IDX_PROC (needs CAP_NET_ADMIN); on each exec /proc/PID is read at once. That read races
 *    the process's exit: on a busy 2-CPU machine a normal-priority reader lost the exe of about
 *    1 `touch` in 4; a SCHED_FIFO one none of 300 on a quiet machine, but about a third of the
 *    execs of an exec storm (`while :; do sh -c :; done`) on a loaded one. So this mode asks for SCHED_FIFO priority 1 (`--rt 0` disables it; without
 *    CAP_SYS_NICE it runs normally and says so in the ready line); its work per event is bounded
 *    and it blocks between batches.
 *
 * Output: one JSON object per line on stdout, flushed after each batch of datagrams:
 *   {"ev":"ready","rt":B,"mode":"bpf"|"connector"}  attached; events from now on are seen
 *   {"ev":"fork","pid":P,"ppid":Q,"ts":"NS"}  a new process (it runs its parent's image); the
 *                                             BPF mode adds uid, ttyNr, pidns, mntns, nspid
 *   {"ev":"exec","pid":P,"ts":"NS","start":TICKS,"ppid":Q,"uid":U,"nspid":[P,..],"ttyNr":N,
 *    "pidns":I,"mntns":I,"exe":"..","cmdline":["a","b"],"cwd":"..","cgroup":"..","comm":".."}
 *                                             fields are missing when the process was gone
 *   {"ev":"exit","pid":P,"ts":"NS","code":C}
 *   {"ev":"lost","ts":"NS","count":N}         records lost (socket overflow, full ring buffer)
 *
 * Only whole processes are reported (thread events are skipped). `ts` (a decimal string: it
 * exceeds 2^53) is the kernel's own time of the event (proc_event.timestamp_ns, CLOCK_MONOTONIC)
 * moved to CLOCK_REALTIME nanoseconds, so an event of the process can be ordered against its exec
 * even though the snapshot is taken later.
 * Exit status: 0 on EOF of stdout (reader gone), 2 when the connector cannot be used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "proc-events.h"

#define RCVBUF (8 * 1024 * 1024)

static char scratch[65536];

long long now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long realtime_offset(void) {
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return now_ns() - ((long long)mono.tv_sec * 1000000000LL + mono.tv_nsec);
}

void json_str(const char *s, size_t n) {
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			putchar('\\');
			putchar(c);
		} else if (c < 0x20 || c == 0x7f) {
			printf("\\u%04x", c);
		} else {
			putchar(c);
		}
	}
	putchar('"');
}

/* Reads a whole small /proc file into scratch; returns length or -1. */
static ssize_t read_file(int dirfd, const char *name) {
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	ssize_t total = 0;
	for (;;) {
		ssize_t r = read(fd, scratch + total, sizeof(scratch) - 1 - total);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		total += r;
		if ((size_t)total >= sizeof(scratch) - 1) break;
	}
	close(fd);
	scratch[total] = 0;
	return total;
}

static void emit_link(int dirfd, const char *name, const char *key) {
	char buf[4096];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf));
	if (n < 0) return;
	printf(",\"%s\":", key);
	json_str(buf, (size_t)n);
}

/* `pid:[4026531836]` → 4026531836, printed as a number. */
static void emit_ns(int dirfd, const char *name, const char *key) {
	char buf[64];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
	if (n < 0) return;
	buf[n] = 0;
	char *lb = strchr(buf, '[');
	if (!lb) return;
	printf(",\"%s\":%llu", key, strtoull(lb + 1, NULL, 10));
}

static void emit_status(int dirfd) {
	if (read_file(dirfd, "status") < 0) return;
	char *line = scratch;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		if (nl) *nl = 0;
		if (!strncmp(line, "PPid:", 5)) {
			printf(",\"ppid\":%ld", strtol(line + 5, NULL, 10));
		} else if (!strncmp(line, "Uid:", 4)) {
			printf(",\"uid\":%lu", strtoul(line + 4, NULL, 10));
		} else if (!strncmp(line, "NSpid:", 6)) {
			printf(",\"nspid\":[");
			char *p = line + 6, *end;
			int first = 1;
			for (;;) {
				long v = strtol(p, &end, 10);
				if (end == p) break;
				printf(first ? "%ld" : ",%ld", v);
				first = 0;
				p = end;
			}
			putchar(']');
		}
		line = nl ? nl + 1 : NULL;
	}
}

/* /proc/PID/stat: comm is in parentheses (may hold spaces); fields after it are numbered from 3. */
static void emit_stat(int dirfd) {
	ssize_t n = read_file(dirfd, "stat");
	if (n < 0) return;
	char *open = strchr(scratch, '(');
	char *close_ = strrchr(scratch, ')');
	if (!open || !close_ || close_ < open) return;
	printf(",\"comm\":");
	json_str(open + 1, (size_t)(close_ - open - 1));
	char *p = close_ + 2; /* field 3: state */
	long long tty = 0;
	unsigned long long start = 0;
	for (int field = 3; p && *p && field <= 22; field++) {
		if (field == 7) tty = strtoll(p, NULL, 10);
		if (field == 22) start = strtoull(p, NULL, 10);
		p = strchr(p, ' ');
		if (p) p++;
	}
	printf(",\"ttyNr\":%lld,\"start\":%llu", tty, start);
}

static void emit_cmdline(int dirfd) {
	ssize_t n = read_file(dirfd, "cmdline");
	if (n <= 0) return;
	if (scratch[n - 1] == 0) n--; /* trailing NUL */
	printf(",\"cmdline\":[");
	size_t start = 0;
	for (ssize_t i = 0; i <= n; i++) {
		if (i == n || scratch[i] == 0) {
			if (start) putchar(',');
			json_str(scratch + start, (size_t)i - start);
			start = (size_t)i + 1;
		}
	}
	putchar(']');
}

/* The cgroup2 line (`0::/path`); on hybrid hosts other lines are v1 controllers. */
static void emit_cgroup(int dirfd) {
	if (read_file(dirfd, "cgroup") < 0) return;
	char *line = scratch;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		if (nl) *nl = 0;
		if (!strncmp(line, "0::", 3)) {
			printf(",\"cgroup\":");
			json_str(line + 3, strlen(line + 3));
			return;
		}
		line = nl ? nl + 1 : NULL;
	}
}

static void snapshot(const char *ev, int pid, long long ts) {
	char path[32];
	snprintf(path, sizeof(path), "/proc/%d", pid);
	printf("{\"ev\":\"%s\",\"pid\":%d,\"ts\":\"%lld\"", ev, pid, ts);
	int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd >= 0) {
		/* exe first: it is what a short-lived process loses first (with its mm). */
		emit_link(dirfd, "exe", "exe");
		emit_cmdline(dirfd);
		emit_link(dirfd, "cwd", "cwd");
		emit_stat(dirfd);
		emit_status(dirfd);
		emit_cgroup(dirfd);
		emit_ns(dirfd, "ns/pid", "pidns");
		emit_ns(dirfd, "ns/mnt", "mntns");
		close(dirfd);
	} else {
		printf(",\"gone\":true");
	}
	fputs("}\n", stdout);
}

static int subscribe(int sock, enum proc_cn_mcast_op op) {
	struct {
		struct nlmsghdr nl;
		struct cn_msg cn;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) msg;
	memset(&msg, 0, sizeof(msg));
	msg.nl.nlmsg_len = sizeof(msg);
	msg.nl.nlmsg_pid = getpid();
	msg.nl.nlmsg_type = NLMSG_DONE;
	msg.cn.id.idx = CN_IDX_PROC;
	msg.cn.id.val = CN_VAL_PROC;
	msg.cn.len = sizeof(enum proc_cn_mcast_op);
	msg.op = op;
	return send(sock, &msg, sizeof(msg), 0) < 0 ? -1 : 0;
}

static void handle(const struct proc_event *e, long long ts) {
	switch (e->what) {
	case PROC_EVENT_EXEC:
		if (e->event_data.exec.process_pid == e->event_data.exec.process_tgid)
			snapshot("exec", e->event_data.exec.process_tgid, ts);
		break;
	case PROC_EVENT_FORK:
		/* Cheap on purpose: the child runs its parent's image until it execs; the reader copies
		 * the parent's details. Snapshotting here would delay the next exec's snapshot. */
		if (e->event_data.fork.child_pid == e->event_data.fork.child_tgid)
			printf("{\"ev\":\"fork\",\"pid\":%d,\"ppid\":%d,\"ts\":\"%lld\"}\n",
			       e->event_data.fork.child_tgid, e->event_data.fork.parent_tgid, ts);
		break;
	case PROC_EVENT_EXIT:
		if (e->event_data.exit.process_pid == e->event_data.exit.process_tgid)
			printf("{\"ev\":\"exit\",\"pid\":%d,\"ts\":\"%lld\",\"code\":%u}\n",
			       e->event_data.exit.process_tgid, ts, e->event_data.exit.exit_code);
		break;
	default:
		break;
	}
}

int main(int argc, char **argv) {
	int forks = 1, rt = 1, bpf = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-fork")) forks = 0;
		else if (!strcmp(argv[i], "--no-bpf")) bpf = 0;
		else if (!strcmp(argv[i], "--rt") && i + 1 < argc) rt = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bulwark-proc-events [--no-bpf] [--no-fork] [--rt PRIORITY(0=off)]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_DFL);
	/* Never outlive the agent, even when it is killed and no event comes to fail a write. */
	pid_t parent = getppid();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent) return 0;
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
#ifdef PE_BPF
	if (bpf) {
		int r = run_bpf();
		if (r >= 0) return r;
	}
#else
	(void)bpf;
#endif
	int rt_ok = 0;
	if (rt > 0) {
		struct sched_param sp = {.sched_priority = rt};
		rt_ok = sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0;
	}

	int sock = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (sock < 0) {
		fprintf(stderr, "bulwark-proc-events: socket(NETLINK_CONNECTOR): %s\n", strerror(errno));
		return 2;
	}
	int sz = RCVBUF;
	if (setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0};
	if (bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "bulwark-proc-events: bind(CN_IDX_PROC): %s (needs CAP_NET_ADMIN)\n",
			strerror(errno));
		return 2;
	}
	if (subscribe(sock, PROC_CN_MCAST_LISTEN) < 0) {
		fprintf(stderr, "bulwark-proc-events: PROC_CN_MCAST_LISTEN: %s\n", strerror(errno));
		return 2;
	}
	printf("{\"ev\":\"ready\",\"rt\":%s,\"mode\":\"connector\"}\n", rt_ok ? "true" : "false");
	fflush(stdout);

	static char buf[1 << 16] __attribute__((aligned(NLMSG_ALIGNTO)));
	int flags = 0;
	for (;;) {
		ssize_t n = recv(sock, buf, sizeof(buf), flags);
		if (n < 0) {
			if (errno == EINTR) continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* Batch drained: flush and block for the next one. */
				if (fflush(stdout) != 0 || ferror(stdout)) return 0;
				flags = 0;
				continue;
			}
			if (errno == ENOBUFS) {
				printf("{\"ev\":\"lost\",\"ts\":\"%lld\"}\n", now_ns());
				continue;
			}
			fprintf(stderr, "bulwark-proc-events: recv: %s\n", strerror(errno));
			return 1;
		}
		long long offset = realtime_offset(); /* re-read per batch: follows clock steps */
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_ERROR || nh->nlmsg_type == NLMSG_NOOP) continue;
			struct cn_msg *cn = NLMSG_DATA(nh);
			if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC) continue;
			const struct proc_event *e = (const struct proc_event *)cn->data;
			if (!forks && e->what == PROC_EVENT_FORK) continue;
			handle(e, (long long)e->timestamp_ns + offset);
		}
		flags = MSG_DONTWAIT;
		if (ferror(stdout)) return 0;
	}
}
