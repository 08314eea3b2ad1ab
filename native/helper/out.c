/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "out.h"

#define OUT_CAP (1u << 20)
static unsigned char outbuf[OUT_CAP];
static size_t outlen;
uint64_t bw_stat_events, bw_stat_suppressed, bw_stat_gaps;

uint64_t bw_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bw_flush(void)
{
	size_t off = 0;
	while (off < outlen) {
		ssize_t n = write(1, outbuf + off, outlen - off);
		if (n < 0) {
			if (errno == EINTR) continue;
			/* Node went away: nothing left to report to. */
			_exit(3);
		}
		off += (size_t)n;
	}
	outlen = 0;
}

void *bw_frame(uint16_t op, size_t fixed, size_t var)
{
	size_t size = (fixed + var + 7) & ~(size_t)7;
	if (size > OUT_CAP) return NULL;
	if (outlen + size > OUT_CAP) bw_flush();
	unsigned char *p = outbuf + outlen;
	memset(p, 0, size);
	struct bw_hdr *h = (struct bw_hdr *)p;
	h->size = (uint32_t)size;
	h->op = op;
	h->time_ns = bw_now_ns();
	outlen += size;
	return p;
}

void bw_log(uint32_t level, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0) return;
	if ((size_t)n >= sizeof text) n = sizeof text - 1;
	struct bw_msg_log *m = bw_frame(BW_MSG_LOG, sizeof *m, (size_t)n);
	m->level = level;
	m->len = (uint32_t)n;
	memcpy(m + 1, text, (size_t)n);
}

void bw_gap(uint32_t cause, uint64_t lost, const char *fs, const char *detail)
{
	size_t fl = fs ? strlen(fs) : 0, dl = detail ? strlen(detail) : 0;
	if (fl > 4096) fl = 4096;
	if (dl > 4096) dl = 4096;
	struct bw_msg_gap *g = bw_frame(BW_MSG_GAP, sizeof *g, fl + dl);
	g->lost = lost;
	g->cause = cause;
	g->fs_len = (uint16_t)fl;
	g->detail_len = (uint16_t)dl;
	memcpy((char *)(g + 1), fs ? fs : "", fl);
	memcpy((char *)(g + 1) + fl, detail ? detail : "", dl);
	bw_stat_gaps++;
}
