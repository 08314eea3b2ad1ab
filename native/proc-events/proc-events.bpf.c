// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Process lifecycle from inside the kernel, for the process cache: on every exec, fork and exit
 * of a whole process, one record with what /proc would show, captured synchronously in the
 * task's own context, so nothing is lost however short the process lives. BTF tracepoints
 * (tp_btf) attach through raw tracepoints, not trampolines: they load where BPF-LSM does not.
 * Paths (exe, cwd) are walked dentry by dentry up to the root of the task's mount tree, leaf
 * first, one name per slot; user space joins them. The cgroup2 path is walked the same way
 * through its kernfs nodes (the cgroup may be gone by the time user space reads the record);
 * its id is sent too, for paths deeper than the slots.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "proc-events-abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} pe_rb SEC(".maps");

/* Records the ring buffer had no room for; user space reports them as lost. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pe_drops SEC(".maps");

static __always_inline void count_drop(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&pe_drops, &k);
	if (v) __sync_fetch_and_add(v, 1);
}

struct walk_ctx {
	struct dentry *d;
	struct mount *m;
	char (*slots)[PE_SLOT];
	__u32 n;
	__u32 done;
};

/* One step up: a name into the next slot, or a crossing to the parent mount. 1 stops the loop. */
static long walk_step(__u32 i, struct walk_ctx *c)
{
	struct dentry *d = c->d;
	struct mount *m = c->m;
	struct dentry *root = BPF_CORE_READ(m, mnt.mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == root || d == parent) {
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);
		if (mp == m || !mp) {
			c->done = 1;
			return 1;
		}
		c->d = BPF_CORE_READ(m, mnt_mountpoint);
		c->m = mp;
		return 0;
	}
	if (c->n >= PE_MAX_COMP) return 1; /* too deep: done stays 0 */
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	bpf_probe_read_kernel_str(c->slots[c->n & (PE_MAX_COMP - 1)], PE_SLOT, name);
	c->n++;
	c->d = parent;
	return 0;
}

/* Walks path to the root of its mount tree, writing names leaf first (bpf_loop keeps the
 * verifier's work linear); returns the count, or PE_MAX_COMP + 1 when the path was deeper than
 * the slots (user space then treats it as unknown). */
static __always_inline __u32 walk_path(const struct path *path, char (*slots)[PE_SLOT])
{
	struct walk_ctx c = {};
	c.d = BPF_CORE_READ(path, dentry);
	struct vfsmount *vm = BPF_CORE_READ(path, mnt);
	c.m = container_of(vm, struct mount, mnt);
	c.slots = slots;
	bpf_loop(PE_MAX_COMP + 16, walk_step, &c, 0);
	return c.done ? c.n : PE_MAX_COMP + 1;
}

/* kernfs_node.parent was renamed __parent (Linux 6.15); CO-RE picks whichever exists. */
struct kernfs_node___new {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(struct kernfs_node___new, __parent))
		return BPF_CORE_READ((struct kernfs_node___new *)kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/* The task's cgroup2 directory names, leaf first, without the root; PE_CG_COMP + 1 if deeper. */
static __always_inline __u32 walk_cgroup(struct task_struct *t, char (*slots)[PE_SLOT])
{
	struct kernfs_node *kn = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn);
	for (__u32 n = 0; n <= PE_CG_COMP; n++) {
		if (!kn) return n;
		struct kernfs_node *parent = kn_parent(kn);
		if (!parent) return n; /* the root: no name of its own */
		if (n == PE_CG_COMP) return PE_CG_COMP + 1;
		bpf_probe_read_kernel_str(slots[n & (PE_CG_COMP - 1)], PE_SLOT, BPF_CORE_READ(kn, name));
		kn = parent;
	}
	return PE_CG_COMP + 1;
}

static __always_inline void fill_task(struct pe_record *r, struct task_struct *t)
{
	r->pid = BPF_CORE_READ(t, tgid);
	r->ppid = BPF_CORE_READ(t, real_parent, tgid);
	r->uid = BPF_CORE_READ(t, cred, uid.val);
	r->start_boottime = BPF_CORE_READ(t, start_boottime);
	struct pid *p = BPF_CORE_READ(t, thread_pid);
	unsigned int level = BPF_CORE_READ(p, level);
	if (level > 31) level = 31;
	r->ns_level = level;
	struct upid u = {};
	bpf_core_read(&u, sizeof(u), &p->numbers[level]);
	r->ns_pid = u.nr;
	r->pidns = BPF_CORE_READ(u.ns, ns.inum);
	r->mntns = BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	if (tty) {
		int major = BPF_CORE_READ(tty, driver, major);
		int minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		r->tty_nr = ((__u32)major << 8) | (minor & 0xff) | (((__u32)minor & ~0xffu) << 12);
	}
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(pe_exec, struct task_struct *t, pid_t old_pid, struct linux_binprm *bprm)
{
	struct pe_record *r = bpf_ringbuf_reserve(&pe_rb, sizeof(*r), 0);
	if (!r) {
		count_drop();
		return 0;
	}
	__builtin_memset(r, 0, offsetof(struct pe_record, exe));
	r->kind = PE_EXEC;
	r->ts = bpf_ktime_get_ns();
	fill_task(r, t);
	r->cgroup_id = bpf_get_current_cgroup_id();
	r->cg_n = walk_cgroup(t, r->cg);
	bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), t->comm);
	struct file *f = BPF_CORE_READ(bprm, file);
	r->exe_n = walk_path(&f->f_path, r->exe);
	r->cwd_n = walk_path(&t->fs->pwd, r->cwd);
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	unsigned long a0 = BPF_CORE_READ(mm, arg_start), a1 = BPF_CORE_READ(mm, arg_end);
	__u32 len = a1 > a0 ? (__u32)(a1 - a0) : 0;
	if (len > PE_ARGS - 1) {
		len = PE_ARGS - 1;
		r->args_truncated = 1;
	}
	/* The barrier keeps the compiler from dropping the mask the verifier needs to bound len. */
	asm volatile("" : "+r"(len));
	len &= PE_ARGS - 1;
	if (len && bpf_probe_read_user(r->args, len, (void *)a0) == 0) r->args_len = len;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* Fork and exit carry no strings: a small record (the same header). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(pe_fork, struct task_struct *parent, struct task_struct *child)
{
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid)) return 0; /* a thread */
	struct pe_small *r = bpf_ringbuf_reserve(&pe_rb, sizeof(*r), 0);
	if (!r) {
		count_drop();
		return 0;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->kind = PE_FORK;
	r->ts = bpf_ktime_get_ns();
	fill_task((struct pe_record *)r, child);
	r->ppid = BPF_CORE_READ(parent, tgid);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(pe_exit, struct task_struct *t)
{
	if (BPF_CORE_READ(t, pid) != BPF_CORE_READ(t, tgid)) return 0;
	struct pe_small *r = bpf_ringbuf_reserve(&pe_rb, sizeof(*r), 0);
	if (!r) {
		count_drop();
		return 0;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->kind = PE_EXIT;
	r->ts = bpf_ktime_get_ns();
	r->pid = BPF_CORE_READ(t, tgid);
	r->exit_code = BPF_CORE_READ(t, exit_code);
	bpf_ringbuf_submit(r, 0);
	return 0;
}
