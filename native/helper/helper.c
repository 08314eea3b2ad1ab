/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-helper: owns the kernel interfaces so Node does not need to.
 *
 *   bulwark-helper run [--audit] [--fanotify] [--unlimited-queue] [--no-names]
 *   bulwark-helper probe      one JSON object describing the kernel
 *   bulwark-helper layout     sizeof/offsetof of the ABI structs, as JSON (for the ABI test)
 *
 * `run` writes frames (native/include/bulwark_abi.h) to stdout and reads commands from stdin,
 * each terminated by NUL: "mark PATH", "filter PREFIX", "filter-clear", "clear", "status",
 * "quit". EOF on stdin, SIGTERM or SIGINT end it cleanly (audit state restored). One thread,
 * one poll loop; frames of a round go out in one write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "../include/bulwark_landlock.h"
#include "audit.h"
#include "fan.h"
#include "names.h"
#include "out.h"

int bw_probe(void);
int bw_audit_pending(void);

#define F(s, f) printf("\"%s.%s\":%zu,", #s, #f, offsetof(struct s, f))
#define S(s) printf("\"%s\":%zu,", #s, sizeof(struct s))

static int layout(void)
{
	printf("{");
	S(bw_hdr); F(bw_hdr, size); F(bw_hdr, op); F(bw_hdr, flags); F(bw_hdr, time_ns);
	S(bw_msg_hello); F(bw_msg_hello, abi); F(bw_msg_hello, pid); F(bw_msg_hello, landlock_abi); F(bw_msg_hello, features);
	S(bw_msg_change); F(bw_msg_change, mask); F(bw_msg_change, cgroup_id); F(bw_msg_change, pid);
	F(bw_msg_change, ppid); F(bw_msg_change, uid); F(bw_msg_change, proc_flags); F(bw_msg_change, file_mode);
	F(bw_msg_change, nlink); F(bw_msg_change, len);
	S(bw_audit_rec); F(bw_audit_rec, type); F(bw_audit_rec, len);
	S(bw_msg_audit); F(bw_msg_audit, serial); F(bw_msg_audit, nrec);
	S(bw_msg_gap); F(bw_msg_gap, lost); F(bw_msg_gap, cause); F(bw_msg_gap, fs_len); F(bw_msg_gap, detail_len);
	S(bw_msg_status); F(bw_msg_status, events); F(bw_msg_status, audit_lost); F(bw_msg_status, audit_enabled);
	F(bw_msg_status, audit_backlog); F(bw_msg_status, suppressed); F(bw_msg_status, overflows);
	S(bw_msg_log); F(bw_msg_log, level); F(bw_msg_log, len);
	printf("\"BW_ABI_VERSION\":%d,\"BW_MSG_HELLO\":%d,\"BW_MSG_CHANGE\":%d,\"BW_MSG_AUDIT\":%d,\"BW_MSG_GAP\":%d,"
	       "\"BW_MSG_STATUS\":%d,\"BW_MSG_LOG\":%d,\"BW_AUDIT_REC_ARGS\":%d,\"BW_CS_COUNT\":%d}\n",
	       BW_ABI_VERSION, BW_MSG_HELLO, BW_MSG_CHANGE, BW_MSG_AUDIT, BW_MSG_GAP, BW_MSG_STATUS, BW_MSG_LOG,
	       BW_AUDIT_REC_ARGS, BW_CS_COUNT);
	return 0;
}

static int audit_on, fan_on;

/* For intervals: unlike bw_now_ns (wall clock, for frame times), never steps back or forward. */
static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void status(void)
{
	uint32_t en = 0, backlog = 0;
	uint64_t lost = 0;
	if (audit_on) bw_audit_status(&en, &lost, &backlog);
	struct bw_msg_status *s = bw_frame(BW_MSG_STATUS, sizeof *s, 0);
	s->events = bw_stat_events;
	s->audit_lost = lost;
	s->audit_enabled = en;
	s->audit_backlog = backlog;
	s->suppressed = bw_stat_suppressed;
	s->overflows = bw_stat_gaps;
}

/* Returns 1 to quit. */
static int command(const char *c)
{
	if (!strncmp(c, "mark ", 5)) {
		if (fan_on) bw_fan_mark(c + 5);
	} else if (!strncmp(c, "filter ", 7)) {
		bw_fan_filter_add(c + 7);
	} else if (!strcmp(c, "filter-clear")) {
		bw_fan_filter_clear();
	} else if (!strcmp(c, "clear")) {
		if (fan_on) bw_fan_clear();
	} else if (!strcmp(c, "prune")) {
		if (fan_on) bw_fan_prune();
	} else if (!strcmp(c, "status")) {
		/* A status answer promises that every change queued before the request is already on
		 * the pipe (`baseline check --since-last` relies on it): read the fanotify queue first,
		 * even while resting (read pacing), so the status frame follows those events. */
		if (fan_on) bw_fan_read();
		status();
	} else if (!strcmp(c, "quit")) {
		return 1;
	} else if (*c) {
		bw_log(1, "unknown command: %.200s", c);
	}
	return 0;
}

static int run(int argc, char **argv)
{
	int unlimited = 0, names = 1;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--audit")) audit_on = 1;
		else if (!strcmp(argv[i], "--fanotify")) fan_on = 1;
		else if (!strcmp(argv[i], "--unlimited-queue")) unlimited = 1;
		else if (!strcmp(argv[i], "--no-names")) names = 0;
		else {
			fprintf(stderr, "bulwark-helper: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	int sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);

	uint32_t features = 0;
	int afd = -1, ffd = -1, nfd = -1;
	if (audit_on) {
		afd = bw_audit_open();
		if (afd >= 0) features |= BW_FEAT_AUDIT;
		if (bw_audit_enabled_by_us) features |= BW_FEAT_AUDIT_ENABLED_BY_US;
		if (afd >= 0 && names) {
			nfd = bw_names_open();
			if (nfd >= 0) features |= BW_FEAT_NAMES;
		}
	}
	if (fan_on) {
		ffd = bw_fan_open(unlimited);
		if (ffd >= 0) features |= BW_FEAT_FANOTIFY;
	}
	struct bw_msg_hello *h = bw_frame(BW_MSG_HELLO, sizeof *h, 0);
	h->abi = BW_ABI_VERSION;
	h->pid = (uint32_t)getpid();
	h->landlock_abi = (uint32_t)bw_landlock_abi();
	h->features = features;
	bw_flush();

	static char cmd[65536];
	size_t cmdlen = 0;
	uint64_t last_status = bw_now_ns();
	uint64_t fan_rest_until = 0; /* fanotify fd left out of poll until then (fan.h, BW_FAN_REST_US) */
	int quit = 0;
	while (!quit) {
		uint64_t now0 = mono_ns();
		int resting = fan_rest_until > now0;
		struct pollfd p[5] = {
			{.fd = 0, .events = POLLIN},  {.fd = afd, .events = POLLIN}, {.fd = resting ? -1 : ffd, .events = POLLIN},
			{.fd = nfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN},
		};
		uint64_t timeout_ns = (audit_on && bw_audit_pending()) ? 10000000ull : 1000000000ull;
		if (resting && fan_rest_until - now0 < timeout_ns) timeout_ns = fan_rest_until - now0;
		struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000ull), .tv_nsec = (long)(timeout_ns % 1000000000ull)};
		int r = ppoll(p, 5, &ts, NULL);
		if (r < 0 && errno != EINTR) break;
		if (p[4].revents) break;
		if (p[3].revents) bw_names_read();
		if (p[1].revents) bw_audit_read();
		if (audit_on) {
			bw_audit_poll_lost();
			bw_audit_tick();
		}
		if (p[2].revents && bw_fan_read()) fan_rest_until = mono_ns() + BW_FAN_REST_US * 1000ull;
		if (p[0].revents) {
			ssize_t n = read(0, cmd + cmdlen, sizeof cmd - cmdlen - 1);
			if (n <= 0) {
				quit = 1;
			} else {
				cmdlen += (size_t)n;
				char *start = cmd, *z;
				while ((z = memchr(start, 0, cmdlen - (size_t)(start - cmd)))) {
					if (command(start)) quit = 1;
					start = z + 1;
				}
				cmdlen -= (size_t)(start - cmd);
				memmove(cmd, start, cmdlen);
				if (cmdlen == sizeof cmd - 1) cmdlen = 0; /* an over-long command is dropped */
			}
		}
		if (fan_on) bw_fan_tick();
		uint64_t now = bw_now_ns();
		if (now - last_status > 1000000000ull) {
			status();
			last_status = now;
		}
		bw_flush();
	}
	if (audit_on) {
		bw_audit_read();
		for (int i = 0; i < 4 && bw_audit_pending(); i++) {
			usleep(10000);
			bw_audit_tick();
		}
	}
	if (fan_on) {
		bw_fan_read(); /* drain: a pending overflow is reported before exit */
		bw_fan_summary();
	}
	bw_names_close(); /* logs its counters */
	status();
	bw_flush();
	bw_audit_close();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run")) return run(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "probe")) return bw_probe();
	if (argc >= 2 && !strcmp(argv[1], "layout")) return layout();
	fprintf(stderr, "usage: bulwark-helper run [--audit] [--fanotify] [--unlimited-queue] [--no-names] | probe | layout\n");
	return 2;
}
