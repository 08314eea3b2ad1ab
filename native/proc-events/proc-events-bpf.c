/*
 * BPF mode of bulwark-proc-events: BTF tracepoints on sched_process_exec/fork/exit
 * (proc-events.bpf.c) capture each process in its own context, so no exec is ever missed or
 * snapshotted too late, whatever the load. Records arrive through a ring buffer and are printed
 * in the same JSON lines as the proc connector mode, plus `"mode":"bpf"` in the ready line.
 * cgroup ids are mapped to paths exactly: a cgroup2 id is also its kernfs file handle, so
 * open_by_handle_at() on the hierarchy's mount opens the directory (CAP_DAC_READ_SEARCH) and
 * /proc/self/fd names it; results are cached. Without that capability the hierarchy is scanned
 * instead (on a miss, at most every 10 ms).
 */
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "proc-events.h"
#include "proc-events-abi.h"
#include "proc-events.skel.h"

struct cg_entry {
	unsigned long long id;
	char *path;
};
static struct cg_entry *cgs;
static size_t ncg, capcg;
static char cg_root[64];
static size_t cg_root_len;
static long long last_scan;
static int cg_mount_fd = -1;

static void cg_add(unsigned long long id, const char *path);

static int scan_cb(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_D) return 0;
	const char *rel = fpath + cg_root_len;
	cg_add(sb->st_ino, *rel ? rel : "/");
	return 0;
}

static void cg_scan(void)
{
	for (size_t i = 0; i < ncg; i++) free(cgs[i].path);
	ncg = 0;
	if (cg_root_len) nftw(cg_root, scan_cb, 32, FTW_PHYS | FTW_MOUNT);
	last_scan = now_ns();
}

static void cg_add(unsigned long long id, const char *path)
{
	if (ncg == capcg) {
		size_t n = capcg ? capcg * 2 : 256;
		struct cg_entry *p = realloc(cgs, n * sizeof(*p));
		if (!p) return;
		cgs = p;
		capcg = n;
	}
	cgs[ncg].id = id;
	cgs[ncg].path = strdup(path);
	if (cgs[ncg].path) ncg++;
}

/* The directory whose kernfs id is `id`, opened through its file handle; NULL when gone. */
static const char *cg_by_handle(unsigned long long id)
{
	if (cg_mount_fd < 0) return NULL;
	struct {
		struct file_handle fh;
		unsigned long long id;
	} h;
	h.fh.handle_bytes = sizeof(h.id);
	h.fh.handle_type = 0xfe; /* FILEID_KERNFS */
	h.id = id;
	int fd = open_by_handle_at(cg_mount_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) return NULL;
	char link[64], buf[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);
	close(fd);
	if (n < (ssize_t)cg_root_len || strncmp(buf, cg_root, cg_root_len) != 0) return NULL;
	buf[n] = 0;
	cg_add(id, buf[cg_root_len] ? buf + cg_root_len : "/");
	return ncg ? cgs[ncg - 1].path : NULL;
}

static const char *cg_path(unsigned long long id)
{
	for (size_t i = 0; i < ncg; i++)
		if (cgs[i].id == id) return cgs[i].path;
	const char *p = cg_by_handle(id);
	if (p || now_ns() - last_scan < 10000000LL) return p;
	cg_scan();
	for (size_t i = 0; i < ncg; i++)
		if (cgs[i].id == id) return cgs[i].path;
	return NULL;
}

static void cg_init(void)
{
	const char *cands[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
	for (size_t i = 0; i < 2; i++) {
		struct statfs sf;
		if (statfs(cands[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
			snprintf(cg_root, sizeof(cg_root), "%s", cands[i]);
			cg_root_len = strlen(cg_root);
			cg_mount_fd = open(cg_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			break;
		}
	}
	cg_scan();
}

/* Prints slots (leaf first) as an absolute path; false when too deep to be complete. */
static int print_path(const char *key, char (*slots)[PE_SLOT], unsigned n, unsigned max)
{
	if (n > max) return 0;
	static char buf[PE_MAX_COMP * PE_SLOT + 2];
	size_t len = 0;
	for (int i = (int)n - 1; i >= 0; i--) {
		buf[len++] = '/';
		size_t l = strnlen(slots[i], PE_SLOT - 1);
		memcpy(buf + len, slots[i], l);
		len += l;
	}
	if (len == 0) buf[len++] = '/';
	printf(",\"%s\":", key);
	json_str(buf, len);
	return 1;
}

static void print_header(const char *ev, const struct pe_small *r, long long offset)
{
	printf("{\"ev\":\"%s\",\"pid\":%u,\"ts\":\"%lld\"", ev, r->pid, (long long)r->ts + offset);
}

static void print_ns(const struct pe_small *r)
{
	printf(",\"uid\":%u,\"ttyNr\":%u,\"pidns\":%u,\"mntns\":%u,\"nspid\":[%u", r->uid, r->tty_nr, r->pidns,
	       r->mntns, r->pid);
	for (unsigned i = 1; i < r->ns_level && i < 32; i++) printf(",0");
	if (r->ns_level > 0) printf(",%u", r->ns_pid);
	putchar(']');
}

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	long long offset = realtime_offset();
	const struct pe_small *h = data;
	if (size < sizeof(*h)) return 0;
	if (h->kind == PE_EXIT) {
		printf("{\"ev\":\"exit\",\"pid\":%u,\"ts\":\"%lld\",\"code\":%u}\n", h->pid, (long long)h->ts + offset,
		       h->exit_code);
		return 0;
	}
	if (h->kind == PE_FORK) {
		print_header("fork", h, offset);
		printf(",\"ppid\":%u", h->ppid);
		print_ns(h);
		fputs("}\n", stdout);
		return 0;
	}
	if (h->kind != PE_EXEC || size < sizeof(struct pe_record)) return 0;
	struct pe_record *r = data;
	print_header("exec", h, offset);
	printf(",\"ppid\":%u,\"start\":%llu", r->ppid, (unsigned long long)(r->start_boottime / 10000000ULL));
	print_ns(h);
	printf(",\"comm\":");
	json_str(r->comm, strnlen(r->comm, sizeof(r->comm)));
	if (!print_path("exe", r->exe, r->exe_n, PE_MAX_COMP)) {
		/* Deeper than the slots: the process is surely still running its first instructions. */
		char link[64], buf[4096];
		snprintf(link, sizeof(link), "/proc/%u/exe", r->pid);
		ssize_t n = readlink(link, buf, sizeof(buf));
		if (n > 0) {
			printf(",\"exe\":");
			json_str(buf, (size_t)n);
		}
	}
	print_path("cwd", r->cwd, r->cwd_n, PE_MAX_COMP);
	if (r->args_len) {
		size_t n = r->args_len < PE_ARGS ? r->args_len : PE_ARGS - 1;
		if (r->args[n - 1] == 0) n--;
		printf(",\"cmdline\":[");
		size_t start = 0;
		for (size_t i = 0; i <= n; i++) {
			if (i == n || r->args[i] == 0) {
				if (start) putchar(',');
				json_str(r->args + start, i - start);
				start = i + 1;
			}
		}
		putchar(']');
	}
	if (!print_path("cgroup", r->cg, r->cg_n, PE_CG_COMP)) {
		const char *cg = cg_path(r->cgroup_id); /* deeper than the slots: by id, if still there */
		if (cg) {
			printf(",\"cgroup\":");
			json_str(cg, strlen(cg));
		}
	}
	fputs("}\n", stdout);
	return 0;
}

static unsigned long long drops_total(int fd)
{
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0 || ncpu > 4096) return 0;
	unsigned long long vals[ncpu], sum = 0;
	__u32 k = 0;
	if (bpf_map_lookup_elem(fd, &k, vals) != 0) return 0;
	for (int i = 0; i < ncpu; i++) sum += vals[i];
	return sum;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int run_bpf(void)
{
	libbpf_set_print(getenv("BULWARK_PROC_EVENTS_DEBUG") ? NULL : silent);
	struct proc_events *skel = proc_events__open_and_load();
	if (!skel) return -1;
	if (proc_events__attach(skel) != 0) {
		proc_events__destroy(skel);
		return -1;
	}
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.pe_rb), on_record, NULL, NULL);
	if (!rb) {
		proc_events__destroy(skel);
		return -1;
	}
	cg_init();
	int drops_fd = bpf_map__fd(skel->maps.pe_drops);
	unsigned long long drops = 0;
	printf("{\"ev\":\"ready\",\"rt\":false,\"mode\":\"bpf\"}\n");
	fflush(stdout);
	int status = 0;
	for (;;) {
		int n = ring_buffer__poll(rb, 1000);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "bulwark-proc-events: ring buffer: %s\n", strerror(-n));
			status = 1;
			break;
		}
		unsigned long long d = drops_total(drops_fd);
		if (d != drops) {
			printf("{\"ev\":\"lost\",\"ts\":\"%lld\",\"count\":%llu}\n", now_ns(), d - drops);
			drops = d;
		}
		if (fflush(stdout) != 0 || ferror(stdout)) break;
	}
	ring_buffer__free(rb);
	proc_events__destroy(skel);
	return status;
}
