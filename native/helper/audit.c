/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel audit, read from the AUDIT_NLGRP_READLOG multicast group: read-only (CAP_AUDIT_READ), so
 * an audit daemon keeps its unicast stream. Records of one event share a serial ("audit(T:S):")
 * and end with AUDIT_EOE; Landlock's 1423/1424 records come first, then SYSCALL, CWD, PATH,
 * PROCTITLE. Only events holding a Landlock record are forwarded; the rest are dropped here.
 * Audit is enabled only when it is off, and switched off again when the last helper relying on
 * that exits (holders file in /run/bulwark, see below); a killed helper's duty passes to the next.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "names.h"
#include "out.h"

#ifndef AUDIT_NLGRP_READLOG
#define AUDIT_NLGRP_READLOG 1
#endif
#define AUDIT_LANDLOCK_ACCESS 1423
#define AUDIT_LANDLOCK_DOMAIN 1424
#define STATE_FILE "/run/bulwark/audit-enabled-by-helper"
/* The backlog limit found when audit was switched on (the kernel's default, 64, loses records
 * in bursts; while the helpers hold audit on it is raised to BACKLOG and restored after). */
#define BACKLOG_FILE "/run/bulwark/audit-backlog-limit"
#define BACKLOG 8192

int bw_audit_enabled_by_us;
static int mc_fd = -1;
static uint32_t seq = 1;

/* Sends one request on a fresh unicast socket and reads the reply of `want` type (0 = ack only). */
static int audit_request(uint16_t type, const void *data, size_t len, uint16_t want, void *reply, size_t rlen)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (fd < 0) return -errno;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	char buf[8192] __attribute__((aligned(8)));
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	memset(buf, 0, NLMSG_SPACE(len));
	nh->nlmsg_len = NLMSG_LENGTH(len);
	nh->nlmsg_type = type;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = seq++;
	if (len) memcpy(NLMSG_DATA(nh), data, len);
	if (sendto(fd, buf, nh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	int rc = -ETIMEDOUT, got = want == 0;
	for (int tries = 0; tries < 8; tries++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 500) <= 0) break;
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0) {
			rc = -errno;
			break;
		}
		int left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				rc = e->error;
				if (rc != 0 || got) goto out;
			} else if (h->nlmsg_type == want && reply) {
				size_t l = h->nlmsg_len - NLMSG_LENGTH(0);
				memcpy(reply, NLMSG_DATA(h), l < rlen ? l : rlen);
				got = 1;
				rc = 0;
				goto out; /* the ack may follow; not needed */
			}
		}
	}
out:
	close(fd);
	return rc;
}

int bw_audit_get(uint32_t *enabled, uint32_t *pid, uint64_t *lost, uint32_t *backlog_limit)
{
	struct audit_status st;
	memset(&st, 0, sizeof st);
	int rc = audit_request(AUDIT_GET, NULL, 0, AUDIT_GET, &st, sizeof st);
	if (rc < 0) return rc;
	if (enabled) *enabled = st.enabled;
	if (pid) *pid = st.pid;
	if (lost) *lost = st.lost;
	if (backlog_limit) *backlog_limit = st.backlog_limit;
	return 0;
}

static int audit_set_backlog(uint32_t limit)
{
	struct audit_status st;
	memset(&st, 0, sizeof st);
	st.mask = AUDIT_STATUS_BACKLOG_LIMIT;
	st.backlog_limit = limit;
	return audit_request(AUDIT_SET, &st, sizeof st, 0, NULL, 0);
}

static int audit_set_enabled(uint32_t on)
{
	struct audit_status st;
	memset(&st, 0, sizeof st);
	st.mask = AUDIT_STATUS_ENABLED;
	st.enabled = on;
	return audit_request(AUDIT_SET, &st, sizeof st, 0, NULL, 0);
}

static uint64_t last_lost;
static int have_lost;
static uint64_t last_landlock_ns, last_poll_ns;

/*
 * Who enabled audit. HOLDERS_FILE lists the pids of the helpers that rely on audit being on
 * because one of them switched it on; it is read and written under an flock. The last live
 * holder to exit switches audit off again. Audit that was on before any helper (an audit daemon,
 * the administrator) is never touched: then there is no holders file. Dead pids (a helper that
 * was killed) are pruned, so a restarted helper takes over their duty.
 */
#define MAXHOLD 64

static int holders_lock(void)
{
	mkdir("/run/bulwark", 0700);
	int fd = open("/run/bulwark/audit.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) flock(fd, LOCK_EX);
	return fd;
}

static void holders_unlock(int fd)
{
	if (fd >= 0) close(fd); /* releases the flock */
}

static int alive_helper(int pid)
{
	char p[64], comm[32] = "";
	snprintf(p, sizeof p, "/proc/%d/comm", pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return 0;
	ssize_t n = read(fd, comm, sizeof comm - 1);
	close(fd);
	comm[n > 0 ? n : 0] = 0;
	return strncmp(comm, "bulwark-helper", 14) == 0;
}

/* Reads the live holders other than us; returns -1 when there is no holders file. */
static int holders_read(int *pids)
{
	FILE *f = fopen(STATE_FILE, "re");
	if (!f) return -1;
	int n = 0, pid;
	while (n < MAXHOLD && fscanf(f, "%d", &pid) == 1)
		if (pid != getpid() && alive_helper(pid)) pids[n++] = pid;
	fclose(f);
	return n;
}

static void holders_write(const int *pids, int n, int add_self)
{
	FILE *f = fopen(STATE_FILE ".tmp", "we");
	if (!f) return;
	for (int i = 0; i < n; i++) fprintf(f, "%d\n", pids[i]);
	if (add_self) fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	rename(STATE_FILE ".tmp", STATE_FILE);
}

int bw_audit_open(void)
{
	uint32_t enabled = 0;
	uint64_t lost = 0;
	int rc = bw_audit_get(&enabled, NULL, &lost, NULL);
	if (rc < 0) {
		bw_log(2, "audit: AUDIT_GET failed: %s", strerror(-rc));
		return -1;
	}
	last_lost = lost;
	have_lost = 1;
	int lk = holders_lock();
	int pids[MAXHOLD];
	int n = holders_read(pids);
	if (enabled == 0) {
		rc = audit_set_enabled(1);
		if (rc < 0) {
			holders_unlock(lk);
			bw_log(2, "audit: cannot enable auditing: %s", strerror(-rc));
			return -1;
		}
		bw_audit_enabled_by_us = 1;
		holders_write(pids, n < 0 ? 0 : n, 1);
		uint32_t limit = 0;
		if (bw_audit_get(NULL, NULL, NULL, &limit) == 0 && limit < BACKLOG && audit_set_backlog(BACKLOG) == 0) {
			FILE *f = fopen(BACKLOG_FILE, "we");
			if (f) {
				fprintf(f, "%u\n", limit);
				fclose(f);
			}
		}
	} else if (n >= 0) {
		/* Switched on by another helper (alive, or killed before it could switch it off). */
		bw_audit_enabled_by_us = 1;
		holders_write(pids, n, 1);
	}
	holders_unlock(lk);
	mc_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
	if (mc_fd < 0) {
		bw_log(2, "audit: socket: %s", strerror(errno));
		return -1;
	}
	int sz = 16 << 20;
	if (setsockopt(mc_fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
		setsockopt(mc_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1)};
	if (bind(mc_fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		bw_log(2, "audit: cannot join the read-log multicast group: %s", strerror(errno));
		close(mc_fd);
		mc_fd = -1;
		return -1;
	}
	return mc_fd;
}

void bw_audit_close(void)
{
	if (bw_audit_enabled_by_us) {
		int lk = holders_lock();
		int pids[MAXHOLD];
		int n = holders_read(pids);
		if (n > 0) {
			holders_write(pids, n, 0);
		} else {
			uint32_t enabled = 0;
			if (bw_audit_get(&enabled, NULL, NULL, NULL) == 0 && enabled == 1) audit_set_enabled(0);
			FILE *f = fopen(BACKLOG_FILE, "re");
			unsigned limit;
			if (f && fscanf(f, "%u", &limit) == 1) audit_set_backlog(limit);
			if (f) fclose(f);
			unlink(BACKLOG_FILE);
			unlink(STATE_FILE);
		}
		holders_unlock(lk);
		bw_audit_enabled_by_us = 0;
	}
	if (mc_fd >= 0) close(mc_fd);
	mc_fd = -1;
}

/* ---- joining records by serial ---- */

#define MAXPEND 1024
struct pending {
	uint64_t serial;
	uint64_t first_ns, eoe_ns; /* eoe_ns: when the end-of-event arrived, 0 before */
	int landlock, eoe, nrec;
	int32_t pid;
	int syscall;
	uint64_t args[4]; /* a0..a3 of the SYSCALL record */
	uint64_t entry_ns; /* the event's audit timestamp: the syscall's entry, ms */
	char *buf; /* bw_audit_rec + text, padded to 8 */
	size_t len, cap;
};
static struct pending pend[MAXPEND];

void bw_audit_tick(void);

static struct pending *pending_for(uint64_t serial, uint64_t now)
{
	struct pending *free_slot = NULL, *oldest = NULL;
	for (int i = 0; i < MAXPEND; i++) {
		if (pend[i].serial == serial && pend[i].first_ns) return &pend[i];
		if (!pend[i].first_ns && !free_slot) free_slot = &pend[i];
		if (pend[i].first_ns && (!oldest || pend[i].first_ns < oldest->first_ns)) oldest = &pend[i];
	}
	if (!free_slot) {
		/* Table full: emit what is ready (reading the caught arguments first), and if nothing
		 * is, the oldest now rather than dropping it. */
		extern void bw_audit_emit(struct pending *);
		bw_names_read();
		bw_audit_tick();
		for (int i = 0; i < MAXPEND && !free_slot; i++)
			if (!pend[i].first_ns) free_slot = &pend[i];
		if (!free_slot) {
			bw_audit_emit(oldest);
			free_slot = oldest;
		}
	}
	free_slot->serial = serial;
	free_slot->first_ns = now;
	return free_slot;
}

static void add_record(struct pending *p, uint16_t type, const char *text, size_t len)
{
	size_t need = sizeof(struct bw_audit_rec) + ((len + 7) & ~(size_t)7);
	if (p->len + need > p->cap) {
		p->cap = (p->len + need) * 2;
		p->buf = realloc(p->buf, p->cap);
	}
	struct bw_audit_rec *r = (struct bw_audit_rec *)(p->buf + p->len);
	memset(r, 0, need);
	r->type = type;
	r->len = (uint32_t)len;
	memcpy(r + 1, text, len);
	p->len += need;
	p->nrec++;
}

static long field_num(const char *text, const char *key, int base)
{
	const char *s = strstr(text, key);
	return s ? strtol(s + strlen(key), NULL, base) : -1;
}

void bw_audit_emit(struct pending *p)
{
	if (p->landlock && p->pid > 0 && p->syscall >= 0) {
		/* Append the syscall's path arguments caught at syscall exit (names.c), if any. */
		char text[4 * 4096 * 2 + 256];
		size_t n = bw_names_take(p->pid, p->syscall, p->args, p->entry_ns, text, sizeof text);
		if (n) add_record(p, BW_AUDIT_REC_ARGS, text, n);
	}
	if (p->landlock) {
		struct bw_msg_audit *m = bw_frame(BW_MSG_AUDIT, sizeof *m, p->len);
		if (m) {
			m->serial = p->serial;
			m->nrec = (uint32_t)p->nrec;
			memcpy(m + 1, p->buf, p->len);
			bw_stat_events++;
		}
	}
	free(p->buf);
	memset(p, 0, sizeof *p);
}

void bw_audit_read(void)
{
	static char buf[65536] __attribute__((aligned(8)));
	/* A bounded batch per call: the main loop then reads the caught arguments and emits what is
	 * complete before more records pile up (poll returns at once while records wait). */
	for (int batch = 0; batch < 512; batch++) {
		ssize_t n = recv(mc_fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) return;
			if (errno == ENOBUFS) {
				bw_gap(BW_GAP_OVERFLOW, 0, "audit", "audit multicast socket buffer overflowed (ENOBUFS)");
				continue;
			}
			bw_gap(BW_GAP_READ_ERROR, 0, "audit", strerror(errno));
			return;
		}
		uint64_t now = bw_now_ns();
		/* One record per datagram. nlmsg_len is not trusted (older kernels left the header out
		 * of it); the datagram length is. */
		if ((size_t)n < NLMSG_HDRLEN) continue;
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		uint16_t type = h->nlmsg_type;
		if (type < 1300 || type >= 2100) continue;
		const char *text = buf + NLMSG_HDRLEN;
		size_t len = (size_t)n - NLMSG_HDRLEN;
		while (len && text[len - 1] == 0) len--;
		/* "audit(1795850346.155:2): ..." */
		const char *colon = memchr(text, ':', len < 40 ? len : 40);
		if (len < 6 || strncmp(text, "audit(", 6) != 0 || !colon) continue;
		uint64_t serial = strtoull(colon + 1, NULL, 10);
		struct pending *p = pending_for(serial, now);
		if (!p->entry_ns) {
			char *dot;
			uint64_t sec = strtoull(text + 6, &dot, 10);
			if (*dot == '.') p->entry_ns = sec * 1000000000ull + strtoull(dot + 1, NULL, 10) * 1000000ull;
		}
		if (type == AUDIT_EOE) {
			p->eoe = 1;
			p->eoe_ns = now;
			continue;
		}
		if (type == AUDIT_LANDLOCK_ACCESS || type == AUDIT_LANDLOCK_DOMAIN) {
			p->landlock = 1;
			last_landlock_ns = now;
		}
		if (type == AUDIT_SYSCALL) {
			char tmp[512];
			size_t l = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
			memcpy(tmp, text, l);
			tmp[l] = 0;
			p->syscall = (int)field_num(tmp, " syscall=", 10);
			p->pid = (int32_t)field_num(tmp, " pid=", 10);
			static const char *const an[4] = {" a0=", " a1=", " a2=", " a3="};
			for (int i = 0; i < 4; i++) {
				const char *a = strstr(tmp, an[i]);
				p->args[i] = a ? strtoull(a + 4, NULL, 16) : 0;
			}
		}
		add_record(p, type, text, len);
	}
}

/* An event is complete at its EOE; a denial waits up to 1 s more for its syscall arguments.
 * Events without EOE (records outside a syscall) are emitted 50 ms after their first record. */
void bw_audit_tick(void)
{
	/* In serial order, stopping at the first event not ready: a later event must not claim (or
	 * judge stale) the caught arguments of an earlier one that is still waiting. */
	uint64_t now = bw_now_ns();
	for (;;) {
		struct pending *p = NULL;
		for (int i = 0; i < MAXPEND; i++)
			if (pend[i].first_ns && (!p || pend[i].serial < p->serial)) p = &pend[i];
		if (!p) return;
		int ready;
		/* The catch is submitted at syscall exit, after the audit records: on a loaded host the
		 * caller can be preempted in between, so wait up to 1 s for calls that are caught (a
		 * catch that came later still would be claimed by the caller's next event). */
		if (p->eoe)
			ready = !p->landlock || p->pid <= 0 || !bw_names_expected(p->syscall) ||
				bw_names_have(p->pid, p->syscall, p->args, p->entry_ns) || now - p->eoe_ns > 1000000000ull;
		else
			ready = now - p->first_ns > 50000000ull;
		if (!ready) return;
		bw_audit_emit(p);
	}
}

int bw_audit_pending(void)
{
	for (int i = 0; i < MAXPEND; i++)
		if (pend[i].first_ns) return 1;
	return 0;
}

void bw_audit_status(uint32_t *enabled, uint64_t *lost, uint32_t *backlog)
{
	struct audit_status st;
	memset(&st, 0, sizeof st);
	if (audit_request(AUDIT_GET, NULL, 0, AUDIT_GET, &st, sizeof st) < 0) return;
	*enabled = st.enabled;
	*lost = st.lost;
	*backlog = st.backlog;
	if (have_lost && st.lost > last_lost) {
		char d[96];
		snprintf(d, sizeof d, "kernel audit lost %llu records (backlog limit %u)",
			 (unsigned long long)(st.lost - last_lost), st.backlog_limit);
		bw_gap(BW_GAP_AUDIT_LOST, st.lost - last_lost, "audit", d);
		/* The lost events' catches would be claimed by later events of the same caller with
		 * the same registers: drop every unclaimed catch now (names.c). */
		bw_names_expire();
	}
	last_lost = st.lost;
	have_lost = 1;
}

/* While denials flow, the lost counter is read every 50 ms (see bw_audit_status). */
void bw_audit_poll_lost(void)
{
	uint64_t now = bw_now_ns();
	if (!last_landlock_ns || now - last_landlock_ns > 2000000000ull || now - last_poll_ns < 50000000ull) return;
	last_poll_ns = now;
	uint32_t en, backlog;
	uint64_t lost;
	bw_audit_status(&en, &lost, &backlog);
}
