/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One fanotify group in notification mode reporting directory handle + name, object handle and a
 * pidfd (FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_REPORT_TARGET_FID |
 * FAN_REPORT_PIDFD), with one
 * FAN_MARK_FILESYSTEM mark per filesystem: no watch per directory.
 * Directory handles are resolved with open_by_handle_at + readlink(/proc/self/fd/N) and cached;
 * the cache is dropped whole when a directory is renamed, moved or deleted (rare; a partial
 * invalidation would have to know every cached descendant). FAN_Q_OVERFLOW becomes a gap frame.
 * Events of the helper itself, events carrying only FAN_CLOSE_WRITE after a write already
 * reported by FAN_MODIFY (see written_*), and self-deletion events (reported by the parent's
 * FAN_DELETE) are suppressed and counted. A FAN_CLOSE_WRITE with no reported write before it
 * (a change through a shared mmap makes no FAN_MODIFY) is reported as a write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fan.h"
#include "out.h"
#include "proc.h"

#ifndef FAN_RENAME
#define FAN_RENAME 0x10000000
#endif
#ifndef FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
#define FAN_EVENT_INFO_TYPE_OLD_DFID_NAME 10
#define FAN_EVENT_INFO_TYPE_NEW_DFID_NAME 12
#endif
#ifndef FAN_EVENT_INFO_TYPE_PIDFD
#define FAN_EVENT_INFO_TYPE_PIDFD 4
struct fanotify_event_info_pidfd {
	struct fanotify_event_info_header hdr;
	__s32 pidfd;
};
#endif
#ifndef FAN_NOPIDFD
#define FAN_NOPIDFD -1
#define FAN_EPIDFD -2
#endif

#define MASK (FAN_CREATE | FAN_DELETE | FAN_MODIFY | FAN_CLOSE_WRITE | FAN_RENAME | FAN_ATTRIB | \
	      FAN_DELETE_SELF | FAN_MOVE_SELF | FAN_ONDIR)

static int fan_fd = -1;
static int need_walk; /* the directory cache should be (re)filled from the watched trees */
static pid_t self_pid;
/* why events were not sent (bw_fan_summary) */
static uint64_t n_read, n_own, n_nothing, n_unresolved, n_filtered, n_overflow, n_closewrite;

/*
 * Files with a FAN_MODIFY reported and no FAN_CLOSE_WRITE since: a set of 64-bit hashes of the
 * object's fsid and file handle, open addressing with linear probing, no deletion markers needed
 * because entries are removed by backward-shift. Full (or a hash collision): a later close-write
 * is reported as a write it may not be, never the other way round.
 */
#define WRITTEN_SLOTS 8192 /* power of two; at most 3/4 used */
static uint64_t written[WRITTEN_SLOTS];
static unsigned n_written;

static uint64_t fid_hash(const __kernel_fsid_t *fsid, const struct file_handle *fh)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	const unsigned char *b = (const unsigned char *)fsid;
	for (size_t i = 0; i < sizeof *fsid; i++) h = (h ^ b[i]) * 1099511628211ull;
	h = (h ^ (unsigned)fh->handle_type) * 1099511628211ull;
	for (unsigned i = 0; i < fh->handle_bytes; i++) h = (h ^ fh->f_handle[i]) * 1099511628211ull;
	return h ? h : 1; /* 0 marks a free slot */
}

static void written_add(uint64_t k)
{
	if (n_written >= WRITTEN_SLOTS / 4 * 3) return;
	for (unsigned i = (unsigned)k & (WRITTEN_SLOTS - 1);; i = (i + 1) & (WRITTEN_SLOTS - 1)) {
		if (written[i] == k) return;
		if (!written[i]) {
			written[i] = k;
			n_written++;
			return;
		}
	}
}

/* Removes k; returns whether it was there. */
static int written_del(uint64_t k)
{
	unsigned i = (unsigned)k & (WRITTEN_SLOTS - 1);
	while (written[i] != k) {
		if (!written[i]) return 0;
		i = (i + 1) & (WRITTEN_SLOTS - 1);
	}
	/* backward-shift the entries after it that probed past i */
	for (unsigned j = (i + 1) & (WRITTEN_SLOTS - 1); written[j]; j = (j + 1) & (WRITTEN_SLOTS - 1)) {
		unsigned home = (unsigned)written[j] & (WRITTEN_SLOTS - 1);
		if (((j - home) & (WRITTEN_SLOTS - 1)) >= ((j - i) & (WRITTEN_SLOTS - 1))) {
			written[i] = written[j];
			i = j;
		}
	}
	written[i] = 0;
	n_written--;
	return 1;
}

#define MAXFS 64
#define MAXMOUNTS 64
static struct fsent {
	__kernel_fsid_t fsid;
	int mount_fd;
	int stale; /* set by bw_fan_clear, cleared by bw_fan_mark, removed by bw_fan_prune */
	char path[PATH_MAX];
	/* Other mounts of the same filesystem that watched trees are reached through (a bind mount):
	 * a handle resolved through mount_fd is named through the first mark's mount, which can be
	 * outside every watched tree; handle_path then tries these. */
	int more_fd[MAXMOUNTS];
	/* Set by bw_fan_clear, cleared when a new rule set still reaches a tree through that mount;
	 * bw_fan_prune closes the rest, so a mount no longer watched is not kept busy (umount EBUSY). */
	unsigned char more_stale[MAXMOUNTS];
	char *more_path[MAXMOUNTS];
	int nmore;
	/* The same for mount_fd's own mount: when a new rule set reaches the filesystem only through
	 * other mounts, one of those takes its place at prune (see promote_mount). */
	int first_stale;
} fss[MAXFS];
static int nfs;

#define MAXPREFIX 256
static char *prefixes[MAXPREFIX];
static size_t prefix_len[MAXPREFIX];
static int nprefix;

int bw_fan_open(int unlimited_queue)
{
	/* TARGET_FID: create/delete/rename also carry the child's handle, so a new entry can be
	 * statted (symlink, hard link) */
	unsigned flags = FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_REPORT_TARGET_FID |
			 FAN_REPORT_PIDFD | FAN_CLOEXEC | FAN_NONBLOCK;
	if (unlimited_queue) flags |= FAN_UNLIMITED_QUEUE;
	self_pid = getpid();
	fan_fd = fanotify_init(flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (fan_fd < 0) bw_log(2, "fanotify_init: %s", strerror(errno));
	return fan_fd;
}

static __kernel_fsid_t fsid_of(const char *path, int *ok)
{
	struct statfs sf;
	__kernel_fsid_t id;
	memset(&id, 0, sizeof id);
	*ok = statfs(path, &sf) == 0;
	if (*ok) memcpy(&id, &sf.f_fsid, sizeof id);
	return id;
}

/* The mount id of an open fd (statx), or -1. */
static long long mount_id(int fd)
{
	struct statx sx;
	if (fd < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID)) return -1;
	return (long long)sx.stx_mnt_id;
}

/* Keeps an fd on `path`'s mount when it is another mount of the filesystem than those kept. */
static void add_mount(struct fsent *f, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long long id = mount_id(fd);
	int known = id < 0 || id == mount_id(f->mount_fd);
	if (known) f->first_stale = 0;
	for (int m = 0; !known && m < f->nmore; m++)
		if (id == mount_id(f->more_fd[m])) {
			known = 1;
			f->more_stale[m] = 0;
		}
	if (!known && f->nmore == MAXMOUNTS)
		bw_log(2, "fanotify: more than %d other mounts of the filesystem of %s hold watched trees: a change "
			  "reached through %s may be named outside every watched tree and not reported",
		       MAXMOUNTS, f->path, path);
	if (known || f->nmore == MAXMOUNTS) {
		if (fd >= 0) close(fd);
		return;
	}
	f->more_stale[f->nmore] = 0;
	f->more_path[f->nmore] = strdup(path);
	f->more_fd[f->nmore++] = fd;
}

/* mount_fd's mount is no longer watched but another mount of the filesystem is: that one becomes
 * the first (its fd, its path) and the old fd is closed, so the old mount is not kept busy. */
static void promote_mount(struct fsent *f)
{
	if (!f->first_stale || f->nmore == 0) return;
	if (f->mount_fd >= 0) close(f->mount_fd);
	f->mount_fd = f->more_fd[0];
	snprintf(f->path, sizeof f->path, "%s", f->more_path[0] ? f->more_path[0] : "");
	free(f->more_path[0]);
	for (int m = 1; m < f->nmore; m++) {
		f->more_fd[m - 1] = f->more_fd[m];
		f->more_stale[m - 1] = f->more_stale[m];
		f->more_path[m - 1] = f->more_path[m];
	}
	f->nmore--;
	f->first_stale = 0;
}

int bw_fan_mark(const char *path)
{
	int ok;
	__kernel_fsid_t id = fsid_of(path, &ok);
	if (!ok) {
		bw_log(2, "fanotify: cannot statfs %s: %s", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < nfs; i++)
		if (!memcmp(&fss[i].fsid, &id, sizeof id)) {
			fss[i].stale = 0;
			add_mount(&fss[i], path);
			return 0;
		}
	if (nfs == MAXFS) {
		bw_log(2, "fanotify: cannot mark the filesystem of %s: more than %d filesystems", path, MAXFS);
		return -1;
	}
	if (fanotify_mark(fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, MASK, AT_FDCWD, path) < 0) {
		bw_log(2, "fanotify: cannot mark the filesystem of %s: %s", path, strerror(errno));
		return -1;
	}
	/* open_by_handle_at refuses an O_PATH mount fd (EBADF) */
	int mfd = open(path, O_RDONLY | O_CLOEXEC);
	fss[nfs].fsid = id;
	fss[nfs].mount_fd = mfd;
	fss[nfs].stale = 0;
	fss[nfs].first_stale = 0;
	fss[nfs].nmore = 0;
	snprintf(fss[nfs].path, sizeof fss[nfs].path, "%s", path);
	nfs++;
	return 0;
}

/*
 * A new rule set's marks replace the old ones without a moment unmarked: `clear` only flags the
 * current marks, `mark` keeps (or adds) the ones still needed, and `prune` removes the rest.
 * Removing first and marking again would lose every change made in between, with no gap.
 */
void bw_fan_clear(void)
{
	for (int i = 0; i < nfs; i++) {
		fss[i].stale = 1;
		fss[i].first_stale = 1;
		for (int m = 0; m < fss[i].nmore; m++) fss[i].more_stale[m] = 1;
	}
}

void bw_fan_prune(void)
{
	int k = 0;
	for (int i = 0; i < nfs; i++) {
		if (fss[i].stale) {
			/* Through the fd: the path may no longer be a mount point, or exist. */
			if (fss[i].mount_fd >= 0)
				fanotify_mark(fan_fd, FAN_MARK_REMOVE | FAN_MARK_FILESYSTEM, MASK, fss[i].mount_fd, NULL);
			else
				fanotify_mark(fan_fd, FAN_MARK_REMOVE | FAN_MARK_FILESYSTEM, MASK, AT_FDCWD, fss[i].path);
			if (fss[i].mount_fd >= 0) close(fss[i].mount_fd);
			for (int m = 0; m < fss[i].nmore; m++) {
				close(fss[i].more_fd[m]);
				free(fss[i].more_path[m]);
			}
		} else {
			struct fsent *f = &fss[i];
			int n = 0;
			for (int m = 0; m < f->nmore; m++) {
				if (f->more_stale[m]) {
					close(f->more_fd[m]);
					free(f->more_path[m]);
					continue;
				}
				f->more_fd[n] = f->more_fd[m];
				f->more_path[n] = f->more_path[m];
				f->more_stale[n++] = 0;
			}
			f->nmore = n;
			promote_mount(f);
			if (k != i) fss[k] = fss[i];
			k++;
		}
	}
	nfs = k;
}

void bw_fan_filter_add(const char *prefix)
{
	if (nprefix == MAXPREFIX) return;
	size_t l = strlen(prefix);
	while (l > 1 && prefix[l - 1] == '/') l--;
	prefixes[nprefix] = strndup(prefix, l);
	prefix_len[nprefix++] = l;
	need_walk = 1;
}

void bw_fan_filter_clear(void)
{
	for (int i = 0; i < nprefix; i++) free(prefixes[i]);
	nprefix = 0;
}

static int wanted(const char *p, size_t l)
{
	if (!nprefix) return 1;
	for (int i = 0; i < nprefix; i++) {
		size_t pl = prefix_len[i];
		if (pl == 1 && prefixes[i][0] == '/') return 1;
		if (l >= pl && !memcmp(p, prefixes[i], pl) && (l == pl || p[pl] == '/')) return 1;
		/* an event on an ancestor directory of a watched path (rename of a parent) */
		if (l < pl && !memcmp(p, prefixes[i], l) && prefixes[i][l] == '/') return 1;
	}
	return 0;
}

/* ---- directory handle → path cache ---- */

#define DCACHE 65536
static struct dent {
	uint32_t hash, hlen;
	__kernel_fsid_t fsid;
	unsigned char handle[MAX_HANDLE_SZ + 8];
	char *path;
} dcache[DCACHE];
static unsigned dcount;

static void dcache_clear(void)
{
	for (unsigned i = 0; i < DCACHE; i++) {
		free(dcache[i].path);
		dcache[i].path = NULL;
	}
	dcount = 0;
}

static uint32_t hash_bytes(const void *a, size_t n, uint32_t h)
{
	const unsigned char *p = a;
	for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
	return h;
}

static struct fsent *fs_for(const __kernel_fsid_t *fsid)
{
	for (int i = 0; i < nfs; i++)
		if (!memcmp(&fss[i].fsid, fsid, sizeof *fsid)) return &fss[i];
	return NULL;
}

static int mount_fd_for(const __kernel_fsid_t *fsid)
{
	struct fsent *f = fs_for(fsid);
	return f ? f->mount_fd : -1;
}

static ssize_t handle_path_via(int mfd, struct file_handle *fh, char *out, size_t cap);

/*
 * Path of the object a handle names, into out (cap bytes); returns the length or -1. Through the
 * filesystem's first marked mount, or, when that names it outside every watched tree, through
 * another mount of it that a watched tree is on (a bind mount).
 */
static ssize_t handle_path(const __kernel_fsid_t *fsid, struct file_handle *fh, char *out, size_t cap)
{
	struct fsent *f = fs_for(fsid);
	if (!f) return -1;
	ssize_t n = handle_path_via(f->mount_fd, fh, out, cap);
	if (n < 0 || wanted(out, (size_t)n)) return n;
	for (int m = 0; m < f->nmore; m++) {
		char alt[PATH_MAX];
		ssize_t k = handle_path_via(f->more_fd[m], fh, alt, sizeof alt);
		if (k > 0 && (size_t)k < cap && wanted(alt, (size_t)k)) {
			memcpy(out, alt, (size_t)k + 1);
			return k;
		}
	}
	return n;
}

static ssize_t handle_path_via(int mfd, struct file_handle *fh, char *out, size_t cap)
{
	if (mfd < 0) return -1;
	int fd = open_by_handle_at(mfd, fh, O_PATH | O_CLOEXEC);
	if (fd < 0) return -1;
	/* Deleted (no link left): /proc gives its old path with " (deleted)" appended, which is not a
	 * path. The link count decides, not the name: a directory may well be called "x (deleted)". */
	struct stat sb;
	if (fstat(fd, &sb) < 0 || sb.st_nlink == 0) {
		close(fd);
		return -1;
	}
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, out, cap - 1);
	close(fd);
	if (n <= 0 || (size_t)n >= cap - 1) return -1; /* error, or possibly truncated */
	out[n] = 0;
	return n;
}

static struct dent *dslot(const __kernel_fsid_t *fsid, const struct file_handle *fh, uint32_t *hash, size_t *hlen)
{
	size_t hl = sizeof *fh + fh->handle_bytes;
	if (hl > sizeof dcache[0].handle) return NULL;
	uint32_t h = hash_bytes(fh, hl, hash_bytes(fsid, sizeof *fsid, 2166136261u));
	*hash = h;
	*hlen = hl;
	return &dcache[h % DCACHE];
}

static void dcache_put(struct dent *d, const __kernel_fsid_t *fsid, const struct file_handle *fh, uint32_t h,
		       size_t hl, const char *path)
{
	free(d->path);
	d->path = strdup(path);
	d->hash = h;
	d->hlen = (uint32_t)hl;
	d->fsid = *fsid;
	memcpy(d->handle, fh, hl);
	dcount++;
}

static const char *dir_path(const __kernel_fsid_t *fsid, struct file_handle *fh)
{
	uint32_t h;
	size_t hl;
	struct dent *d = dslot(fsid, fh, &h, &hl);
	if (!d) return NULL;
	if (d->path && d->hash == h && d->hlen == hl && !memcmp(&d->fsid, fsid, sizeof *fsid) &&
	    !memcmp(d->handle, fh, hl))
		return d->path;
	static char buf[PATH_MAX];
	if (handle_path(fsid, fh, buf, sizeof buf) < 0) return NULL;
	dcache_put(d, fsid, fh, h, hl, buf);
	return d->path;
}

/*
 * Directories under the watched trees are entered in the cache up front (and again, at most once
 * a second, after a directory rename dropped the cache): a directory deleted before its events
 * were read can then still be named, so `rm -rf` of a protected subtree is reported in full.
 * Bounded to WALK_MAX directories per walk.
 */
#define WALK_MAX 50000
static int walk_count;
static __kernel_fsid_t walk_fsid;
static uint64_t last_walk;

static int walk_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)ftw;
	if (flag != FTW_D) return 0;
	if (++walk_count > WALK_MAX) return 1;
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} u;
	u.fh.handle_bytes = MAX_HANDLE_SZ;
	int mnt;
	if (name_to_handle_at(AT_FDCWD, path, &u.fh, &mnt, 0) < 0) return 0;
	uint32_t h;
	size_t hl;
	struct dent *d = dslot(&walk_fsid, &u.fh, &h, &hl);
	if (d) dcache_put(d, &walk_fsid, &u.fh, h, hl, path);
	return 0;
}

static void walk_trees(void)
{
	walk_count = 0;
	for (int i = 0; i < nprefix && walk_count <= WALK_MAX; i++) {
		int ok;
		walk_fsid = fsid_of(prefixes[i], &ok);
		if (ok) nftw(prefixes[i], walk_one, 32, FTW_PHYS | FTW_MOUNT);
	}
	need_walk = 0;
	last_walk = bw_now_ns();
}

/* A directory moved from `from` to `to`: cached paths at or under `from` move with it. */
static void dcache_rename(const char *from, const char *to)
{
	size_t fl = strlen(from);
	for (unsigned i = 0; i < DCACHE; i++) {
		char *p = dcache[i].path;
		if (!p || strncmp(p, from, fl) != 0 || (p[fl] != 0 && p[fl] != '/')) continue;
		size_t n = strlen(to) + strlen(p + fl) + 1;
		char *q = malloc(n);
		if (!q) continue;
		snprintf(q, n, "%s%s", to, p + fl);
		free(p);
		dcache[i].path = q;
	}
}

void bw_fan_tick(void)
{
	if (need_walk && bw_now_ns() - last_walk > 1000000000ull) walk_trees();
}

/* ---- events ---- */

struct fid_ref {
	__kernel_fsid_t *fsid;
	struct file_handle *fh;
	const char *name; /* NULL for a plain FID record */
};

/* dir + "/" + name into out (cap bytes, NUL-terminated, truncated); returns the length. Called
 * for every event: plain copies, no printf. */
static size_t join(char *out, size_t cap, const char *dir, const char *name, int *partial)
{
	size_t l = 0;
#define PUT(s, n)                                          \
	do {                                               \
		size_t k_ = (n) < cap - 1 - l ? (n) : cap - 1 - l; \
		memcpy(out + l, (s), k_);                  \
		l += k_;                                   \
	} while (0)
	if (!dir) {
		*partial = 1;
		if (name) PUT(name, strlen(name));
	} else {
		size_t dl = strlen(dir);
		PUT(dir, dl);
		if (name && *name && strcmp(name, ".")) {
			if (!(dl == 1 && dir[0] == '/')) PUT("/", 1);
			PUT(name, strlen(name));
		}
	}
#undef PUT
	out[l] = 0;
	return l;
}

static void emit(const struct fanotify_event_metadata *m, uint64_t mask, struct fid_ref *dfid,
		 struct fid_ref *obj, struct fid_ref *oldf, struct fid_ref *newf, int pidfd)
{
	static char p1[PATH_MAX * 2], p2[PATH_MAX * 2];
	int partial = 0;
	size_t l1 = 0, l2 = 0;
	if (mask & FAN_RENAME && oldf && newf) {
		const char *d1 = dir_path(oldf->fsid, oldf->fh), *d2 = dir_path(newf->fsid, newf->fh);
		if ((d1 == NULL) != (d2 == NULL)) {
			/* One side's directory is gone or unreachable (deleted before this event was read,
			 * or on another mount). Seen from the side that resolves, the entry left it (a
			 * delete) or arrived in it (a create): reported so, never dropped. */
			if (mask & FAN_ONDIR) dcache_clear(), need_walk = 1;
			mask &= ~(uint64_t)FAN_RENAME;
			if (d1) {
				mask |= FAN_DELETE;
				l1 = join(p1, sizeof p1, d1, oldf->name, &partial);
			} else {
				mask |= FAN_CREATE;
				l1 = join(p1, sizeof p1, d2, newf->name, &partial);
			}
		} else {
			l1 = join(p1, sizeof p1, d1, oldf->name, &partial);
			l2 = join(p2, sizeof p2, d2, newf->name, &partial);
			if (mask & FAN_ONDIR) {
				if (partial)
					dcache_clear(), need_walk = 1;
				else
					dcache_rename(p1, p2);
			}
		}
	} else if (dfid) {
		l1 = join(p1, sizeof p1, dir_path(dfid->fsid, dfid->fh), dfid->name, &partial);
	} else if (obj) {
		/* self events: the object itself */
		ssize_t n = handle_path(obj->fsid, obj->fh, p1, sizeof p1);
		if (n < 0) partial = 1, n = 0, p1[0] = 0;
		l1 = (size_t)n;
	}
	if (l1 >= sizeof p1) l1 = sizeof p1 - 1;
	if (l2 >= sizeof p2) l2 = sizeof p2 - 1;
	/* An unresolvable directory (deleted, or on an unmarked mount) cannot be placed under a
	 * watched tree: with a filter it is suppressed (counted), without one it is sent partial. */
	if ((partial && nprefix) || (!partial && !wanted(p1, l1) && !(l2 && wanted(p2, l2)))) {
		if (partial) n_unresolved++;
		else n_filtered++;
		bw_stat_suppressed++;
		return;
	}
	/* A directory made under a watched tree is named in the cache at once, so events in it can
	 * still be placed after it is deleted (before they are read), as for the directories the
	 * start-up walk entered. */
	if ((mask & FAN_CREATE) && (mask & FAN_ONDIR) && obj && !partial) {
		uint32_t h;
		size_t hl;
		struct dent *d = dslot(obj->fsid, obj->fh, &h, &hl);
		if (d) dcache_put(d, obj->fsid, obj->fh, h, hl, p1);
	}
	uint32_t file_mode = 0, nlink = 0, flags = partial ? BW_CHG_PATH_PARTIAL : 0;
	/* A new entry that its creator then opened for writing (merged MODIFY or CLOSE_WRITE: a
	 * symlink cannot be written, the write would be reported on its target) is a new file:
	 * no stat. Only a link(2) followed by a write by the same process before the event is
	 * read is then reported as create + write rather than link + write. */
	if ((mask & FAN_CREATE) && !(mask & (FAN_ONDIR | FAN_MODIFY | FAN_CLOSE_WRITE)) && obj) {
		/* tells a hard link (nlink > 1) and a symlink from a new file */
		int mfd = mount_fd_for(obj->fsid);
		int fd = mfd >= 0 ? open_by_handle_at(mfd, obj->fh, O_PATH | O_CLOEXEC) : -1;
		struct stat sb;
		if (fd >= 0 && fstat(fd, &sb) == 0) {
			file_mode = sb.st_mode;
			nlink = (uint32_t)sb.st_nlink;
			flags |= BW_CHG_STAT;
		}
		if (fd >= 0) close(fd);
	}
	const struct bw_proc *pr = NULL;
	if (m->pid > 0) pr = bw_proc_get(m->pid, pidfd);
	const char *strs[BW_CS_COUNT] = {p1, p2, "", "", "", "", "", ""};
	size_t lens[BW_CS_COUNT] = {l1, l2, 0, 0, 0, 0, 0, 0};
	if (pr && (pr->flags & BW_PROC_INFO)) {
		strs[BW_CS_EXE] = pr->exe, lens[BW_CS_EXE] = strlen(pr->exe);
		strs[BW_CS_COMM] = pr->comm, lens[BW_CS_COMM] = strlen(pr->comm);
		strs[BW_CS_CMDLINE] = pr->cmdline, lens[BW_CS_CMDLINE] = strlen(pr->cmdline);
		strs[BW_CS_CWD] = pr->cwd, lens[BW_CS_CWD] = strlen(pr->cwd);
		strs[BW_CS_TTY] = pr->tty, lens[BW_CS_TTY] = strlen(pr->tty);
		strs[BW_CS_CGROUP] = pr->cgroup, lens[BW_CS_CGROUP] = strlen(pr->cgroup);
	}
	size_t var = 0;
	for (int i = 0; i < BW_CS_COUNT; i++) {
		if (lens[i] > 65535) lens[i] = 65535;
		var += lens[i];
	}
	struct bw_msg_change *c = bw_frame(BW_MSG_CHANGE, sizeof *c, var);
	if (!c) return;
	c->hdr.flags = (uint16_t)flags;
	c->mask = mask;
	c->pid = m->pid;
	c->file_mode = file_mode;
	c->nlink = nlink;
	if (pr) {
		c->proc_flags = pr->flags;
		c->ppid = pr->ppid;
		c->uid = pr->uid;
		c->cgroup_id = pr->cgroup_id;
	}
	char *o = (char *)(c + 1);
	for (int i = 0; i < BW_CS_COUNT; i++) {
		c->len[i] = (uint16_t)lens[i];
		memcpy(o, strs[i], lens[i]);
		o += lens[i];
	}
	bw_stat_events++;
}

/*
 * The kernel queues one overflow event when its queue is full and queues no other while that one
 * waits to be read, so changes dropped later (while it is still queued) sit after it in the
 * stream. The gap frame is therefore sent when the queue has been drained after reading an
 * overflow event: every change lost since the previous gap frame happened before this one.
 */
static int overflow_seen;

void bw_fan_summary(void)
{
	bw_log(0, "fanotify: %llu events read, %llu overflow events, %llu close-write without a reported write (sent as writes); suppressed: %llu own, %llu close-write after a write or self-delete only, %llu unresolved, %llu outside the watched trees",
	       (unsigned long long)n_read, (unsigned long long)n_overflow, (unsigned long long)n_closewrite,
	       (unsigned long long)n_own, (unsigned long long)n_nothing, (unsigned long long)n_unresolved,
	       (unsigned long long)n_filtered);
}

static uint64_t overflow_since;

static void overflow_gap(void)
{
	char fsl[1024] = "";
	for (int i = 0; i < nfs; i++) {
		size_t l = strlen(fsl);
		snprintf(fsl + l, sizeof fsl - l, "%s%s", i ? "," : "", fss[i].path);
	}
	bw_gap(BW_GAP_OVERFLOW, 0, fsl, "fanotify queue overflow (FAN_Q_OVERFLOW): changes since the previous gap may be missing");
	overflow_seen = 0;
	overflow_since = 0;
}

/* The queue is empty when a read leaves more room than the largest event takes (metadata, three
 * info records with a handle and a name each, a pidfd record): the kernel stops filling the buffer
 * only when it is empty or the next event does not fit. */
#define READ_BUF (256 * 1024)
#define EVENT_MAX 4096

static void drained(void)
{
	if (overflow_seen) overflow_gap();
	if (need_walk && bw_now_ns() - last_walk > 1000000000ull) walk_trees();
}

int bw_fan_read(void)
{
	static char buf[READ_BUF] __attribute__((aligned(8)));
	if (fan_fd < 0) return 0; /* no group (fanotify failed to open): nothing to read */
	for (;;) {
		ssize_t n = read(fan_fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				drained();
				return 0;
			}
			bw_gap(BW_GAP_READ_ERROR, 0, nfs ? fss[0].path : "", strerror(errno));
			return 0;
		}
		size_t got = (size_t)n; /* FAN_EVENT_NEXT consumes n */
		const struct fanotify_event_metadata *m = (const void *)buf;
		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			n_read++;
			if (m->mask & FAN_Q_OVERFLOW) {
				n_overflow++;
				overflow_seen = 1;
				if (!overflow_since) overflow_since = bw_now_ns();
				continue;
			}
			struct fid_ref dfid = {0}, obj = {0}, oldf = {0}, newf = {0};
			int have_d = 0, have_o = 0, have_old = 0, have_new = 0, pidfd = -1;
			const char *p = (const char *)(m + 1), *end = (const char *)m + m->event_len;
			while (p + sizeof(struct fanotify_event_info_header) <= end) {
				const struct fanotify_event_info_header *ih = (const void *)p;
				if (ih->len == 0 || p + ih->len > end) break;
				if (ih->info_type == FAN_EVENT_INFO_TYPE_PIDFD) {
					pidfd = ((const struct fanotify_event_info_pidfd *)p)->pidfd;
				} else {
					struct fanotify_event_info_fid *fi = (void *)p;
					struct file_handle *fh = (struct file_handle *)fi->handle;
					struct fid_ref r = {(__kernel_fsid_t *)&fi->fsid, fh, NULL};
					if (ih->info_type != FAN_EVENT_INFO_TYPE_FID)
						r.name = (const char *)fh->f_handle + fh->handle_bytes;
					switch (ih->info_type) {
					case FAN_EVENT_INFO_TYPE_DFID_NAME: dfid = r, have_d = 1; break;
					case FAN_EVENT_INFO_TYPE_FID: obj = r, have_o = 1; break;
					case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME: oldf = r, have_old = 1; break;
					case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME: newf = r, have_new = 1; break;
					}
				}
				p += ih->len;
			}
			uint64_t mask = m->mask;
			/* Writes the kernel reports only at close: a file opened for writing and changed
			 * through a shared mmap makes FAN_CLOSE_WRITE without FAN_MODIFY. A close-write is
			 * reported as a write unless a FAN_MODIFY of the same file was reported since its
			 * last close-write (then the close only ends that write). An open for writing with
			 * no write at all (`touch` of an existing file) is reported as a write too, as
			 * KubeArmor reports the open. */
			if (have_o && !(mask & FAN_ONDIR) && m->pid != self_pid) {
				if (mask & FAN_MODIFY) {
					uint64_t k = fid_hash(obj.fsid, obj.fh);
					if (mask & FAN_CLOSE_WRITE) written_del(k);
					else written_add(k);
				} else if (mask & FAN_CLOSE_WRITE) {
					if (!written_del(fid_hash(obj.fsid, obj.fh))) mask |= FAN_MODIFY, n_closewrite++;
				}
			}
			/* A directory renamed: cached paths beneath it are rewritten (dcache_rename, in
			 * emit). A deleted one keeps its entry (a handle is never reused), so late events
			 * in it still resolve. */
			int own = m->pid == self_pid;
			/* DELETE_SELF comes with the ATTRIB of the last link going away, on an object with no
			 * name left: the parent's FAN_DELETE already reported it. Self events only invalidate. */
			int reportable = (mask & (FAN_CREATE | FAN_DELETE | FAN_MODIFY | FAN_RENAME | FAN_ATTRIB)) != 0 &&
					 !(mask & FAN_DELETE_SELF);
			if (own || !reportable) {
				bw_stat_suppressed++;
				if (own) n_own++;
				else n_nothing++;
			}
			else
				emit(m, mask, have_d ? &dfid : NULL, have_o ? &obj : NULL, have_old ? &oldf : NULL,
				     have_new ? &newf : NULL, pidfd);
			if (pidfd >= 0) close(pidfd);
		}
		/* Under a sustained flood the queue may never drain: report at least every 500 ms
		 * (the gap at the eventual drain still covers what is lost in between). */
		if (overflow_seen && bw_now_ns() - overflow_since > 500000000ull) {
			overflow_gap();
			overflow_seen = 1;
			overflow_since = bw_now_ns();
		}
		if (got <= sizeof buf - EVENT_MAX) {
			/* drained by this read: a further read would find at most the few events queued
			 * meanwhile; the caller rests instead (BW_FAN_REST_US) */
			drained();
			return got > 0;
		}
	}
}
