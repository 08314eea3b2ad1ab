/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fanotify-bare [--pidfd] [--rest US] PATH: the "bare listener" of bench/kernel.ts. One fanotify
 * group with the helper's reporting flags (DFID_NAME | FID | TARGET_FID, plus PIDFD with --pidfd)
 * and the helper's event mask, one FAN_MARK_FILESYSTEM mark on PATH's filesystem; it reads every
 * event (256 KiB buffer), closes the pidfds and does nothing else. Without --rest it sleeps in a
 * blocking read (woken by every event); with --rest it reads like the helper: after a read that
 * emptied the queue it sleeps US microseconds before reading again. Its cost next to "no Bulwark"
 * is what the kernel's fanotify costs the workload before any processing of ours.
 * Prints "ready" on stdout once marked; on SIGTERM prints the events read and the count of each
 * event mask on stderr, and exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <time.h>
#include <unistd.h>

#ifndef FAN_REPORT_PIDFD
#define FAN_REPORT_PIDFD 0x80
#endif
#ifndef FAN_REPORT_TARGET_FID
#define FAN_REPORT_TARGET_FID 0x1000
#endif
#ifndef FAN_RENAME
#define FAN_RENAME 0x10000000
#endif
#ifndef FAN_EVENT_INFO_TYPE_PIDFD
#define FAN_EVENT_INFO_TYPE_PIDFD 4
#endif

#define MASK (FAN_CREATE | FAN_DELETE | FAN_MODIFY | FAN_CLOSE_WRITE | FAN_RENAME | FAN_ATTRIB | \
	      FAN_DELETE_SELF | FAN_MOVE_SELF | FAN_ONDIR)

/* --split: directory-entry events (names needed) in one group, content and attribute events of
 * files in a second group that reports the file's own handle only (no parent, no name). */
#define MASK_NAMES (FAN_CREATE | FAN_DELETE | FAN_RENAME | FAN_DELETE_SELF | FAN_MOVE_SELF | FAN_ONDIR)
#define MASK_FILES (FAN_MODIFY | FAN_CLOSE_WRITE | FAN_ATTRIB | FAN_ONDIR)

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s, stop = 1; }

int main(int argc, char **argv)
{
	int pidfd = 0, split = 0, a = 1;
	long rest_us = -1;
	for (; a < argc - 1; a++) {
		if (!strcmp(argv[a], "--pidfd")) pidfd = 1;
		else if (!strcmp(argv[a], "--split")) split = 1;
		else if (!strcmp(argv[a], "--rest") && a + 1 < argc - 1) rest_us = atol(argv[++a]);
		else break;
	}
	if (a != argc - 1) {
		fprintf(stderr, "usage: fanotify-bare [--pidfd] [--split] [--rest US] PATH\n");
		return 2;
	}
	unsigned flags = FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_REPORT_TARGET_FID |
			 FAN_CLOEXEC | (pidfd ? FAN_REPORT_PIDFD : 0);
	if (rest_us >= 0) flags |= FAN_NONBLOCK;
	int fds[2] = {-1, -1}, nfd = split ? 2 : 1;
	fds[0] = fanotify_init(flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (fds[0] < 0 ||
	    fanotify_mark(fds[0], FAN_MARK_ADD | FAN_MARK_FILESYSTEM, split ? MASK_NAMES : MASK, AT_FDCWD, argv[a]) < 0) {
		perror("fanotify");
		return 1;
	}
	if (split) {
		unsigned f2 = FAN_CLASS_NOTIF | FAN_REPORT_FID | FAN_CLOEXEC | FAN_NONBLOCK | (pidfd ? FAN_REPORT_PIDFD : 0);
		fds[1] = fanotify_init(f2, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
		if (fds[1] < 0 || fanotify_mark(fds[1], FAN_MARK_ADD | FAN_MARK_FILESYSTEM, MASK_FILES, AT_FDCWD, argv[a]) < 0) {
			perror("fanotify (second group)");
			return 1;
		}
	}
	struct sigaction sa = {.sa_handler = on_term}; /* no SA_RESTART: SIGTERM ends the read */
	sigaction(SIGTERM, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	static char buf[256 * 1024] __attribute__((aligned(8)));
	unsigned long long events = 0, counts[32] = {0};
	uint64_t masks[32];
	int nmask = 0, resting = 0;
	while (!stop) {
		if (resting) {
			struct timespec ts = {0, rest_us * 1000};
			nanosleep(&ts, NULL);
		}
		struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
		/* A timeout, not -1: a SIGTERM that lands before poll() would otherwise leave it waiting. */
		if ((rest_us >= 0 || split) && poll(p, nfd, 100) <= 0) continue;
		resting = rest_us > 0;
		for (int g = 0; g < nfd; g++) {
		if (split && !(p[g].revents & POLLIN)) continue;
		ssize_t n = read(fds[g], buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN) continue;
			perror("read");
			return 1;
		}
		resting = resting && (size_t)n <= sizeof buf - 4096;
		const struct fanotify_event_metadata *m = (const void *)buf;
		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			events++;
			int k = 0;
			while (k < nmask && masks[k] != m->mask) k++;
			if (k == nmask && nmask < 32) masks[nmask++] = m->mask;
			if (k < nmask) counts[k]++;
			const char *q = (const char *)(m + 1), *end = (const char *)m + m->event_len;
			while (pidfd && q + sizeof(struct fanotify_event_info_header) <= end) {
				const struct fanotify_event_info_header *ih = (const void *)q;
				if (ih->len == 0) break;
				if (ih->info_type == FAN_EVENT_INFO_TYPE_PIDFD) {
					int pfd = *(const int *)(q + sizeof *ih);
					if (pfd >= 0) close(pfd);
				}
				q += ih->len;
			}
		}
		}
	}
	fprintf(stderr, "fanotify-bare: %llu events\n", events);
	for (int k = 0; k < nmask; k++) fprintf(stderr, "  mask 0x%llx: %llu\n", (unsigned long long)masks[k], counts[k]);
	return 0;
}
