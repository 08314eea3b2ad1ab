// SPDX-License-Identifier: Apache-2.0
/* `watch`: ring-buffer records → JSON lines (decoded by src/sensor/bpf-events.ts). Ends on
 * SIGTERM/SIGINT or the timeout with a stats line carrying the lost-event count. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loader.h"

static const char *OPS[] = { "read",  "write",   "create", "unlink",   "rmdir",
			     "mkdir", "rename",  "link",   "symlink",  "chmod",
			     "chown", "truncate", "setxattr", "removexattr", "utimes" };
static volatile sig_atomic_t stop;
static FILE *out;
static long long boot_to_epoch_ns;

static void on_signal(int s)
{
	(void)s;
	stop = 1;
}

static void json_str(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* leaf-first NUL-separated components → "/mount/point/a/b/leaf" */
static void json_path(FILE *f, uint32_t kdev, const char *buf, unsigned len)
{
	const char *comp[BW_WALK_MAX];
	int n = 0;
	for (unsigned i = 0; i < len && n < BW_WALK_MAX;) {
		comp[n++] = buf + i;
		i += strnlen(buf + i, len - i) + 1;
	}
	static char path[BW_PATH_BUF * 2];
	const char *mp = bw_mount_of(kdev);
	size_t o = snprintf(path, sizeof(path), "%s", strcmp(mp, "/") ? mp : "");
	for (int i = n - 1; i >= 0 && o < sizeof(path) - 1; i--)
		o += snprintf(path + o, sizeof(path) - o, "/%s", comp[i]);
	if (o == 0)
		snprintf(path, sizeof(path), "/");
	json_str(f, path, sizeof(path));
}

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct bw_event *e = data;
	if (size < __builtin_offsetof(struct bw_event, paths) || e->op != BW_MSG_DECISION ||
	    __builtin_offsetof(struct bw_event, paths) + e->path_len + e->path2_len > size)
		return 0;
	fprintf(out, "{\"kind\":\"decision\",\"timeNs\":\"%lld\",\"op\":\"%s\",\"verdict\":\"%s\","
		     "\"posture\":%s,\"errno\":%d,\"ruleId\":%u,\"set\":%u,\"pid\":%u,\"tid\":%u,"
		     "\"uid\":%u,\"tty\":%s,\"cgroupId\":\"%llu\",\"openFlags\":%u,\"exe\":{\"dev\":%u,"
		     "\"ino\":%llu},\"truncatedWalk\":%s,\"pathCut\":%s,\"secondEnd\":%s,\"comm\":",
		(long long)e->ktime_ns + boot_to_epoch_ns, e->fop < 15 ? OPS[e->fop] : "unknown",
		e->verdict == BW_V_BLOCK ? "block" : "audit", e->posture ? "true" : "false", -e->err,
		e->rule_id, e->set, e->pid, e->tid, e->uid, e->has_tty ? "true" : "false",
		(unsigned long long)e->cgroup_id, e->open_flags, e->exe_dev,
		(unsigned long long)e->exe_ino, (e->flags & BW_EV_TRUNCATED_WALK) ? "true" : "false",
		(e->flags & BW_EV_PATH_CUT) ? "true" : "false",
		(e->flags & BW_EV_SECOND_END) ? "true" : "false");
	json_str(out, e->comm, sizeof(e->comm));
	fprintf(out, ",\"path\":");
	json_path(out, e->dev, e->paths, e->path_len);
	if (e->path2_len) {
		fprintf(out, ",\"secondPath\":");
		json_path(out, e->dev, e->paths + e->path_len, e->path2_len);
	}
	fprintf(out, "}\n");
	fflush(out);
	return 0;
}

/* Sum of a per-CPU counter. */
static uint64_t counter(int fd, uint32_t idx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1], sum = 0;
	if (ncpu <= 0 || bpf_map_lookup_elem(fd, &idx, vals))
		return 0;
	for (int c = 0; c < ncpu; c++)
		sum += vals[c];
	return sum;
}

/* Losses not reported yet (by this reader or an earlier one, which may have been killed):
 * one `{"kind":"lost"}` line with the count, then the mark is moved. */
static void report_lost(int cfd)
{
	uint64_t lost = counter(cfd, BW_C_LOST), done = counter(cfd, BW_C_LOST_REPORTED);
	if (lost <= done)
		return;
	fprintf(out, "{\"kind\":\"lost\",\"lost\":%llu,\"total\":%llu}\n",
		(unsigned long long)(lost - done), (unsigned long long)lost);
	fflush(out);
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1];
	memset(vals, 0, sizeof(vals));
	vals[0] = lost;
	uint32_t idx = BW_C_LOST_REPORTED;
	bpf_map_update_elem(cfd, &idx, vals, BPF_ANY);
}

int bw_cmd_watch(const char *out_path, int timeout_ms)
{
	out = out_path ? fopen(out_path, "w") : stdout;
	if (!out) {
		fprintf(stderr, "bulwark-bpf watch: %s: %s\n", out_path, strerror(errno));
		return BW_EXIT_IO;
	}
	int fd = bw_map_fd("bw_events_rb");
	if (fd < 0) {
		fprintf(stderr, "bulwark-bpf watch: not loaded (no pins under %s)\n", bw_pin_dir);
		return BW_EXIT_NOT_LOADED;
	}
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	boot_to_epoch_ns = (rt.tv_sec - bt.tv_sec) * 1000000000LL + (rt.tv_nsec - bt.tv_nsec);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	struct ring_buffer *rb = ring_buffer__new(fd, on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "bulwark-bpf watch: ring buffer: %s\n", strerror(errno));
		return BW_EXIT_IO;
	}
	int cfd = bw_map_fd("bw_counter_map");
	fprintf(stderr, "bulwark-bpf: watching\n");
	long waited = 0;
	while (!stop && (timeout_ms < 0 || waited < timeout_ms)) {
		int n = ring_buffer__poll(rb, 100);
		if (n < 0 && n != -EINTR)
			break;
		waited += 100;
		/* events first, then the count of those that did not fit, once a second */
		if (waited % 1000 == 0 && cfd >= 0)
			report_lost(cfd);
	}
	ring_buffer__consume(rb);
	if (cfd >= 0)
		report_lost(cfd);
	ring_buffer__free(rb);
	fflush(out);
	if (out != stdout)
		fclose(out);
	/* the stats line goes to stdout even with --out, so callers see the lost count */
	return bw_cmd_stats();
}
