/* SPDX-License-Identifier: Apache-2.0 */
/* Loader and consumer of names.bpf.c (see there for why). Runs on the helper's only thread. */
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "names.h"
#include "out.h"

struct bw_names_event {
	uint32_t kind; /* 1 */
	uint32_t tgid, tid;
	int32_t syscall, ret, dfd1, dfd2;
	uint32_t len1, len2, pad;
	uint64_t args[4];
	uint64_t cgroup_id;
	uint64_t ktime;
	char names[]; /* name1 (len1 bytes), then name2 (len2 bytes) */
};

#define DEPTH 40
#define COMP 256
struct bw_dir_event {
	uint32_t kind; /* 2 */
	uint32_t tid, side, depth, complete, pad;
	char comp[DEPTH][COMP];
};

/* The cwd of each thread as last walked by the kernel side (sent once until it changes). */
#define CWDS 4096
static struct {
	uint32_t tid;
	char *path;
} cwds[CWDS];

static void cwd_put(uint32_t tid, const char *path)
{
	unsigned k = tid % CWDS;
	free(cwds[k].path);
	cwds[k].tid = tid;
	cwds[k].path = strdup(path);
}

static const char *cwd_get(uint32_t tid)
{
	unsigned k = tid % CWDS;
	return cwds[k].tid == tid ? cwds[k].path : NULL;
}

/* Directory paths walked in the kernel, waiting for the names record of their thread. */
#define PENDING_DIRS 16
static struct {
	uint32_t tid, side;
	char path[PATH_MAX];
} pending_dirs[PENDING_DIRS];
static unsigned next_dir;

static void on_dir(const struct bw_dir_event *d, size_t size)
{
	if (size < offsetof(struct bw_dir_event, comp) || d->depth > DEPTH ||
	    size < offsetof(struct bw_dir_event, comp) + (size_t)d->depth * COMP || !d->complete)
		return; /* incomplete (deeper than DEPTH): /proc is asked instead */
	char path[PATH_MAX] = "";
	size_t o = 0;
	for (int i = (int)d->depth - 1; i >= 0; i--) {
		int n = snprintf(path + o, sizeof path - o, "/%.*s", COMP, d->comp[i]);
		if (n < 0 || (size_t)n >= sizeof path - o) return;
		o += (size_t)n;
	}
	if (!o) strcpy(path, "/");
	if (d->side & 4) {
		cwd_put(d->tid, path);
		return;
	}
	unsigned k = next_dir++ % PENDING_DIRS;
	pending_dirs[k].tid = d->tid;
	pending_dirs[k].side = d->side;
	memcpy(pending_dirs[k].path, path, o + 1 < sizeof path ? o + 1 : sizeof path);
}

/* The walked directory of (tid, side), claimed; NULL when none. */
static const char *take_dir(uint32_t tid, uint32_t side)
{
	for (unsigned i = 0; i < PENDING_DIRS; i++) {
		unsigned k = (next_dir - 1 - i) % PENDING_DIRS;
		if (pending_dirs[k].tid == tid && pending_dirs[k].side == side && pending_dirs[k].path[0]) {
			pending_dirs[k].tid = 0;
			return pending_dirs[k].path;
		}
	}
	return NULL;
}

/* Recent failed calls, oldest overwritten first. Strings are allocated to size. An entry
 * overwritten before its audit event arrived is counted; the event then carries no names. */
#define RECENT 65536 /* power of two */
static struct recent {
	uint64_t ns;
	uint32_t tgid;
	int32_t syscall, dfd1, dfd2, taken;
	uint64_t args[4];
	uint64_t cgroup_id;
	uint64_t exit_ns; /* CLOCK_REALTIME ns of the syscall's exit */
	uint32_t len1, len2;
	char *name1, *name2;
	char *dir1, *dir2; /* what dirfd pointed at, read from /proc at once; "" if gone */
} recent[RECENT];
static unsigned next_slot; /* where the next entry goes */
static unsigned oldest;    /* first entry that may still be claimed */
static uint64_t n_overwritten, n_stale, n_records, n_claimed, max_delay_ns;

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (!d) return NULL;
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

static void release(struct recent *r)
{
	if (r->ns && !r->taken) n_overwritten++;
	free(r->name1), free(r->name2), free(r->dir1), free(r->dir2);
	r->name1 = r->name2 = r->dir1 = r->dir2 = NULL;
}

static struct bpf_object *obj;
static struct bpf_link *tp_link;
static struct ring_buffer *rb;

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size >= sizeof(uint32_t) && *(const uint32_t *)data == 2) {
		on_dir(data, size);
		return 0;
	}
	const struct bw_names_event *e = data;
	if (size < sizeof *e || sizeof *e + (size_t)e->len1 + e->len2 > size) return 0;
	n_records++;
	{
		struct timespec m;
		clock_gettime(CLOCK_MONOTONIC, &m);
		uint64_t d = (uint64_t)m.tv_sec * 1000000000ull + (uint64_t)m.tv_nsec - e->ktime;
		if (d > max_delay_ns && d < 100000000000ull) max_delay_ns = d;
	}
	if (next_slot - oldest == RECENT) oldest++; /* the ring is full: the oldest goes */
	struct recent *r = &recent[next_slot++ % RECENT];
	release(r);
	r->ns = bw_now_ns();
	r->tgid = e->tgid;
	r->syscall = e->syscall;
	r->dfd1 = e->dfd1;
	r->dfd2 = e->dfd2;
	r->taken = 0;
	memcpy(r->args, e->args, sizeof r->args);
	r->cgroup_id = e->cgroup_id;
	struct timespec rt, mono;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	r->exit_ns = e->ktime + ((uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec) -
		     ((uint64_t)mono.tv_sec * 1000000000ull + (uint64_t)mono.tv_nsec);
	r->len1 = e->len1 > 4096 ? 4096 : e->len1;
	r->len2 = e->len2 > 4096 ? 4096 : e->len2;
	r->name1 = dupn(e->names, r->len1);
	r->name2 = dupn(e->names + e->len1, r->len2);
	/* Relative names need their directory: the caller's cwd or dirfd. The caller is usually
	 * still alive here (it is about to print its error); if not, the directory stays unknown. */
	for (int i = 0; i < 2; i++) {
		const char *name = i ? r->name2 : r->name1;
		uint32_t len = i ? r->len2 : r->len1;
		int dfd = i ? r->dfd2 : r->dfd1;
		char dir[4096] = "";
		const char *walked = NULL;
		if (len && name[0] != '/') walked = dfd == -100 ? cwd_get(e->tid) : take_dir(e->tid, (uint32_t)i + 1);
		if (walked) {
			snprintf(dir, sizeof dir, "%s", walked);
		} else if (len && name[0] != '/') {
			char link[64];
			if (dfd == -100)
				snprintf(link, sizeof link, "/proc/%u/cwd", e->tgid);
			else
				snprintf(link, sizeof link, "/proc/%u/fd/%d", e->tgid, dfd);
			ssize_t n = readlink(link, dir, sizeof dir - 1);
			dir[n > 0 ? n : 0] = 0;
		}
		if (i)
			r->dir2 = dupn(dir, strlen(dir));
		else
			r->dir1 = dupn(dir, strlen(dir));
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

/* Entries are in arrival order and audit events come in syscall order, so the match is the first
 * unclaimed entry of that caller from the oldest on. Claimed entries and entries older than 5 s
 * (a failure that was not a Landlock denial: ordinary EACCES) are skipped over for good. When
 * audit records are lost, the lost events' catches would shift onto later events of the same
 * caller: bw_names_expire() drops every unclaimed catch as soon as the loss is seen. (Timestamps
 * cannot pair them: audit's is the coarse entry time, and this clock does not agree with it to
 * the millisecond here.) entry_ns is kept for diagnostics. */
static struct recent *find(int32_t tgid, int syscall, const uint64_t *args, uint64_t entry_ns)
{
	(void)entry_ns;
	uint64_t now = bw_now_ns();
	while (oldest != next_slot) {
		struct recent *r = &recent[oldest % RECENT];
		if (!r->taken && now - r->ns < 5000000000ull) break;
		if (!r->taken) r->taken = 1; /* expired: nobody will claim it */
		oldest++;
	}
	for (unsigned i = oldest; i != next_slot; i++) {
		struct recent *r = &recent[i % RECENT];
		if (r->taken || (int32_t)r->tgid != tgid || r->syscall != syscall) continue;
		if (args && memcmp(args, r->args, sizeof r->args) != 0) continue;
		return r;
	}
	return NULL;
}

/* Whether the BPF side catches this syscall's arguments (the list in names.bpf.c). */
int bw_names_expected(int syscall)
{
	if (!rb) return 0;
	switch (syscall) {
	case 2: case 85: case 133: case 83: case 87: case 84: case 76: case 257: case 437: case 259:
	case 258: case 263: case 88: case 266: case 86: case 82: case 265: case 264: case 316:
		return 1;
	}
	return 0;
}

int bw_names_have(int32_t tgid, int syscall, const uint64_t *args, uint64_t entry_ns)
{
	bw_names_read();
	return find(tgid, syscall, args, entry_ns) != NULL;
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

size_t bw_names_take(int32_t tgid, int syscall, const uint64_t *args, uint64_t entry_ns, char *out, size_t cap)
{
	struct recent *r = find(tgid, syscall, args, entry_ns);
	if (!r || !r->name1 || !r->name2 || !r->dir1 || !r->dir2) return 0;
	n_claimed++;
	if (cap < 2 * (r->len1 + r->len2 + strlen(r->dir1) + strlen(r->dir2)) + 128) return 0;
	r->taken = 1;
	size_t o = (size_t)snprintf(out, cap, "cgroup=%llu dirfd=%d name=", (unsigned long long)r->cgroup_id, r->dfd1);
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

void bw_names_expire(void)
{
	bw_names_read();
	for (; oldest != next_slot; oldest++) {
		struct recent *r = &recent[oldest % RECENT];
		if (!r->taken) n_stale++;
		r->taken = 1;
	}
}

void bw_names_close(void)
{
	if (n_records)
		bw_log(n_overwritten || n_stale ? 1 : 0, "names: %llu calls caught, %llu claimed; %llu overwritten before their audit event arrived, %llu dropped after audit losses; longest delay from syscall exit to this process %llu ms",
		       (unsigned long long)n_records, (unsigned long long)n_claimed, (unsigned long long)n_overwritten, (unsigned long long)n_stale, (unsigned long long)(max_delay_ns / 1000000));
	for (int i = 0; i < RECENT; i++) {
		recent[i].taken = 1;
		release(&recent[i]);
	}
	if (rb) ring_buffer__free(rb);
	if (tp_link) bpf_link__destroy(tp_link);
	if (obj) bpf_object__close(obj);
	rb = NULL, tp_link = NULL, obj = NULL;
}
