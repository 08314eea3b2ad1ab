// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Catches the path arguments of file syscalls that failed with EACCES or EXDEV, at syscall exit,
 * from the caller's own memory. Landlock's audit record names only the parent directory of a
 * denied create/unlink/rename; the new name is in the syscall's arguments and nowhere else once
 * the call returned. A raw tracepoint (not BTF-typed, not an LSM program) works on kernels that
 * refuse BPF trampolines. Cost: one compare on every syscall exit; the work happens only on
 * failures. For a name relative to a directory (cwd or a dirfd) the directory's path is walked
 * here too, dentry by dentry and across mounts (CO-RE reads), because the caller may be gone by
 * the time user space could look at /proc. x86_64 syscall numbers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define NAME_MAX_LEN 4096
#define DEPTH 40 /* path components walked; deeper directories are marked incomplete */
#define COMP 256 /* NAME_MAX + 1 */

/* Variable-size record: header, then name1 (len1 bytes incl. NUL), then name2 (len2 bytes). */
struct bw_names_event {
	__u32 kind; /* 1 = names */
	__u32 tgid;
	__u32 tid;
	__s32 syscall;
	__s32 ret;
	__s32 dfd1;
	__s32 dfd2;
	__u32 len1; /* bytes incl. NUL, 0 = none */
	__u32 len2;
	__u32 pad;
	__u64 args[4];   /* a0..a3 as audit's SYSCALL record prints them: matches the two up */
	__u64 cgroup_id; /* cgroup v2 id of the caller (the workload's cgroup) */
	__u64 ktime;     /* CLOCK_MONOTONIC ns at syscall exit */
};

/* The directory a relative name was relative to, as components from the leaf up. Sent just
 * before the names record of the same thread. */
struct bw_dir_event {
	__u32 kind; /* 2 = directory */
	__u32 tid;
	__u32 side;     /* 1: name1's directory, 2: name2's; +4 when it is the thread's cwd */
	__u32 depth;    /* components in comp[] */
	__u32 complete; /* 1 when the walk reached the root */
	__u32 pad;
	char comp[DEPTH][COMP];
};

struct scratch {
	struct bw_names_event hdr;
	char buf[2 * NAME_MAX_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} names_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_dir_event);
} dir_scratch SEC(".maps");

/* The cwd last sent per thread: a burst of refused calls from one directory sends it once. */
struct cwd_key {
	void *dentry;
	void *mnt;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct cwd_key);
} cwd_sent SEC(".maps");

/* 16 MiB: a typical record is ~100 bytes, so bursts of many thousand denials fit. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} names_rb SEC(".maps");

/* Walks dentry/mount up to the root, one component per slot. */
static __always_inline void walk(struct bw_dir_event *d, struct dentry *dentry, struct vfsmount *vfsmnt)
{
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
	d->depth = 0;
	d->complete = 0;
	for (int i = 0; i < DEPTH + 8; i++) {
		struct dentry *root = BPF_CORE_READ(vfsmnt, mnt_root);
		if (dentry == root) {
			struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
			if (parent == mnt) {
				d->complete = 1;
				return;
			}
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = parent;
			vfsmnt = &parent->mnt;
			continue;
		}
		struct dentry *up = BPF_CORE_READ(dentry, d_parent);
		if (up == dentry) {
			d->complete = 1;
			return;
		}
		__u32 k = d->depth;
		if (k >= DEPTH) return;
		const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
		bpf_probe_read_kernel_str(d->comp[k], COMP, name);
		d->depth = k + 1;
		dentry = up;
	}
}

/* Sends the directory of a relative name: the cwd (dfd = AT_FDCWD) or the file behind dfd. */
static __always_inline void send_dir(__u32 tid, __u32 side, int dfd)
{
	__u32 zero = 0;
	struct bw_dir_event *d = bpf_map_lookup_elem(&dir_scratch, &zero);
	if (!d) return;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dentry *dentry;
	struct vfsmount *mnt;
	if (dfd == -100) {
		dentry = BPF_CORE_READ(task, fs, pwd.dentry);
		mnt = BPF_CORE_READ(task, fs, pwd.mnt);
		struct cwd_key now = {dentry, mnt};
		struct cwd_key *was = bpf_map_lookup_elem(&cwd_sent, &tid);
		if (was && was->dentry == now.dentry && was->mnt == now.mnt) return; /* user space has it */
		bpf_map_update_elem(&cwd_sent, &tid, &now, BPF_ANY);
	} else {
		struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
		unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
		if (dfd < 0 || (unsigned int)dfd >= max) return;
		struct file *f = NULL;
		bpf_probe_read_kernel(&f, sizeof f, &fds[dfd]);
		if (!f) return;
		dentry = BPF_CORE_READ(f, f_path.dentry);
		mnt = BPF_CORE_READ(f, f_path.mnt);
	}
	d->kind = 2;
	d->tid = tid;
	d->side = side | (dfd == -100 ? 4 : 0);
	walk(d, dentry, mnt);
	__u64 size = sizeof(*d) - sizeof(d->comp) + (__u64)d->depth * COMP;
	if (size > sizeof(*d)) size = sizeof(*d);
	bpf_ringbuf_output(&names_rb, d, size, 0);
}

SEC("raw_tracepoint/sys_exit")
int bw_names_exit(struct bpf_raw_tracepoint_args *ctx)
{
	long ret = (long)ctx->args[1];
	if (ret != -13 && ret != -18) return 0;
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long nr = BPF_CORE_READ(regs, orig_ax);
	long a0 = BPF_CORE_READ(regs, di), a1 = BPF_CORE_READ(regs, si), a2 = BPF_CORE_READ(regs, dx),
	     a3 = BPF_CORE_READ(regs, r10);
	long p1 = 0, p2 = 0;
	int d1 = -100, d2 = -100; /* AT_FDCWD */
	switch (nr) {
	case 2: case 85: case 133: case 83: case 87: case 84: case 76: /* open creat mknod mkdir unlink rmdir truncate */
		p1 = a0; break;
	case 257: case 437: case 259: case 258: case 263: /* openat openat2 mknodat mkdirat unlinkat */
		d1 = (int)a0; p1 = a1; break;
	case 88: /* symlink(target, linkpath) */
		p1 = a1; break;
	case 266: /* symlinkat(target, newdirfd, linkpath) */
		d1 = (int)a1; p1 = a2; break;
	case 86: case 82: /* link, rename (old, new) */
		p1 = a0; p2 = a1; break;
	case 265: case 264: case 316: /* linkat, renameat, renameat2 */
		d1 = (int)a0; p1 = a1; d2 = (int)a2; p2 = a3; break;
	default:
		return 0;
	}
	__u32 zero = 0;
	struct scratch *sc = bpf_map_lookup_elem(&names_scratch, &zero);
	if (!sc) return 0;
	struct bw_names_event *e = &sc->hdr;
	__u64 id = bpf_get_current_pid_tgid();
	e->kind = 1;
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->syscall = (int)nr;
	e->ret = (int)ret;
	e->dfd1 = d1;
	e->dfd2 = d2;
	e->args[0] = a0;
	e->args[1] = a1;
	e->args[2] = a2;
	e->args[3] = a3;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->ktime = bpf_ktime_get_ns();
	long n1 = p1 ? bpf_probe_read_user_str(sc->buf, NAME_MAX_LEN, (void *)p1) : 0;
	if (n1 < 0) n1 = 0;
	if (n1 > NAME_MAX_LEN) n1 = NAME_MAX_LEN;
	long n2 = p2 ? bpf_probe_read_user_str(sc->buf + n1, NAME_MAX_LEN, (void *)p2) : 0;
	if (n2 < 0) n2 = 0;
	if (n2 > NAME_MAX_LEN) n2 = NAME_MAX_LEN;
	e->len1 = n1;
	e->len2 = n2;
	/* Directories first: the consumer attaches them to the names record of the same thread. */
	if (n1 > 0 && sc->buf[0] != '/') send_dir(e->tid, 1, d1);
	if (n2 > 0 && n1 < NAME_MAX_LEN && sc->buf[n1 & (NAME_MAX_LEN - 1)] != '/') send_dir(e->tid, 2, d2);
	__u64 size = sizeof *e + n1 + n2;
	if (size > sizeof *sc) size = sizeof *sc;
	bpf_ringbuf_output(&names_rb, sc, size, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
