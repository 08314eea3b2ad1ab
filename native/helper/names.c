/* SPDX-License-Identifier: Apache-2.0 */
/* Loader and consumer of names.bpf.c (see there for why). Runs on the helper's only thread. */
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "names.h"
#include "out.h"

struct bw_names_event {
	uint32_t tgid;
	int32_t syscall, ret, dfd1, dfd2;
	uint32_t len1, len2, pad;
	char name1[4096];
	char name2[4096];
};

#define RECENT 256
static struct recent {
	uint64_t ns;
	uint32_t tgid;
	int32_t syscall, dfd1, dfd2, taken;
	uint32_t len1, len2;
	char name1[4096], name2[4096];
	char dir1[4096], dir2[4096]; /* what dirfd pointed at, read from /proc at once; "" if gone */
} recent[RECENT];
static unsigned next_slot;

static struct bpf_object *obj;
static struct bpf_link *tp_link;
static struct ring_buffer *rb;

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct bw_names_event *e = data;
	if (size < sizeof *e) return 0;
	struct recent *r = &recent[next_slot++ % RECENT];
	r->ns = bw_now_ns();
	r->tgid = e->tgid;
	r->syscall = e->syscall;
	r->dfd1 = e->dfd1;
	r->dfd2 = e->dfd2;
	r->taken = 0;
	r->len1 = e->len1 > 4096 ? 4096 : e->len1;
	r->len2 = e->len2 > 4096 ? 4096 : e->len2;
	memcpy(r->name1, e->name1, r->len1);
	memcpy(r->name2, e->name2, r->len2);
	/* Relative names need their directory: the caller's cwd or dirfd. The caller is usually
	 * still alive here (it is about to print its error); if not, the directory stays unknown. */
	r->dir1[0] = r->dir2[0] = 0;
	for (int i = 0; i < 2; i++) {
		const char *name = i ? r->name2 : r->name1;
		uint32_t len = i ? r->len2 : r->len1;
		int dfd = i ? r->dfd2 : r->dfd1;
		char *dir = i ? r->dir2 : r->dir1;
		if (!len || name[0] == '/') continue;
		char link[64];
		if (dfd == -100)
			snprintf(link, sizeof link, "/proc/%u/cwd", e->tgid);
		else
			snprintf(link, sizeof link, "/proc/%u/fd/%d", e->tgid, dfd);
		ssize_t n = readlink(link, dir, 4095);
		dir[n > 0 ? n : 0] = 0;
	}
	return 0;
}

static int silent(enum libbpf_print_level l, const char *f, va_list a)
{
	(void)l, (void)f, (void)a;
	return 0;
}

int bw_names_open(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) return -1;
	exe[n] = 0;
	snprintf(path, sizeof path, "%s/names.bpf.o", dirname(exe));
	libbpf_set_print(silent);
	obj = bpf_object__open_file(path, NULL);
	if (!obj || libbpf_get_error(obj)) {
		bw_log(1, "names: cannot open %s", path);
		obj = NULL;
		return -1;
	}
	if (bpf_object__load(obj)) {
		bw_log(1, "names: BPF load failed (%s); denied creates report the parent directory only", strerror(errno));
		return -1;
	}
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "bw_names_exit");
	tp_link = prog ? bpf_program__attach_raw_tracepoint(prog, "sys_exit") : NULL;
	if (!tp_link || libbpf_get_error(tp_link)) {
		tp_link = NULL;
		bw_log(1, "names: cannot attach to raw tracepoint sys_exit (%s)", strerror(errno));
		return -1;
	}
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "names_rb")), on_event, NULL, NULL);
	if (!rb) return -1;
	return ring_buffer__epoll_fd(rb);
}

void bw_names_read(void)
{
	if (rb) ring_buffer__consume(rb);
}

static struct recent *find(int32_t tgid, int syscall)
{
	struct recent *best = NULL;
	uint64_t now = bw_now_ns();
	for (int i = 0; i < RECENT; i++) {
		struct recent *r = &recent[i];
		if (!r->ns || r->taken || (int32_t)r->tgid != tgid || r->syscall != syscall) continue;
		if (now - r->ns > 2000000000ull) continue;
		/* The oldest unclaimed one: audit events arrive in syscall order. */
		if (!best || r->ns < best->ns) best = r;
	}
	return best;
}

int bw_names_have(int32_t tgid, int syscall)
{
	bw_names_read();
	return find(tgid, syscall) != NULL;
}

static size_t hex(char *out, const char *s, size_t n)
{
	static const char d[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[(unsigned char)s[i] >> 4];
		out[2 * i + 1] = d[(unsigned char)s[i] & 15];
	}
	return 2 * n;
}

size_t bw_names_take(int32_t tgid, int syscall, char *out, size_t cap)
{
	struct recent *r = find(tgid, syscall);
	if (!r || cap < 2 * (r->len1 + r->len2 + strlen(r->dir1) + strlen(r->dir2)) + 128) return 0;
	r->taken = 1;
	size_t o = (size_t)snprintf(out, cap, "dirfd=%d name=", r->dfd1);
	o += hex(out + o, r->name1, r->len1 ? r->len1 - 1 : 0);
	if (r->dir1[0]) {
		o += (size_t)snprintf(out + o, cap - o, " dir=");
		o += hex(out + o, r->dir1, strlen(r->dir1));
	}
	if (r->dir2[0]) {
		o += (size_t)snprintf(out + o, cap - o, " dir2=");
		o += hex(out + o, r->dir2, strlen(r->dir2));
	}
	if (r->len2) {
		o += (size_t)snprintf(out + o, cap - o, " dirfd2=%d name2=", r->dfd2);
		o += hex(out + o, r->name2, r->len2 - 1);
	}
	return o;
}

void bw_names_close(void)
{
	if (rb) ring_buffer__free(rb);
	if (tp_link) bpf_link__destroy(tp_link);
	if (obj) bpf_object__close(obj);
	rb = NULL, tp_link = NULL, obj = NULL;
}
