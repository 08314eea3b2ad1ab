// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Catches the path arguments of file syscalls that failed with EACCES or EXDEV, at syscall exit,
 * from the caller's own memory. Landlock's audit record names only the parent directory of a
 * denied create/unlink/rename; the new name is in the syscall's arguments and nowhere else once
 * the call returned. A raw tracepoint (not BTF, not an LSM program) works on kernels that refuse
 * BPF trampolines. Cost: one compare on every syscall exit; the work happens only on failures.
 * x86_64 only: struct pt_regs offsets and syscall numbers below are the x86_64 ABI.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NAME_MAX_LEN 4096

/* Variable-size record: header, then name1 (len1 bytes incl. NUL), then name2 (len2 bytes). */
struct bw_names_event {
	__u32 tgid;
	__s32 syscall;
	__s32 ret;
	__s32 dfd1;
	__s32 dfd2;
	__u32 len1; /* bytes incl. NUL, 0 = none */
	__u32 len2;
	__u32 pad;
	__u64 args[4]; /* a0..a3 as audit's SYSCALL record prints them: matches the two up */
	__u64 cgroup_id; /* cgroup v2 id of the caller (the workload's cgroup) */
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

/* 16 MiB: a typical record is ~100 bytes, so bursts of many thousand denials fit. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} names_rb SEC(".maps");

/* x86_64 struct pt_regs offsets */
#define R_DI 112
#define R_SI 104
#define R_DX 96
#define R_R10 56
#define R_ORIG_AX 120

static __always_inline long reg(void *regs, int off)
{
	long v = 0;
	bpf_probe_read_kernel(&v, sizeof v, (char *)regs + off);
	return v;
}

SEC("raw_tracepoint/sys_exit")
int bw_names_exit(struct bpf_raw_tracepoint_args *ctx)
{
	long ret = (long)ctx->args[1];
	if (ret != -13 && ret != -18) return 0;
	void *regs = (void *)ctx->args[0];
	long nr = reg(regs, R_ORIG_AX);
	long a0 = reg(regs, R_DI), a1 = reg(regs, R_SI), a2 = reg(regs, R_DX), a3 = reg(regs, R_R10);
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
	e->tgid = bpf_get_current_pid_tgid() >> 32;
	e->syscall = (int)nr;
	e->ret = (int)ret;
	e->dfd1 = d1;
	e->dfd2 = d2;
	e->args[0] = a0;
	e->args[1] = a1;
	e->args[2] = a2;
	e->args[3] = a3;
	e->cgroup_id = bpf_get_current_cgroup_id();
	long n1 = p1 ? bpf_probe_read_user_str(sc->buf, NAME_MAX_LEN, (void *)p1) : 0;
	if (n1 < 0) n1 = 0;
	if (n1 > NAME_MAX_LEN) n1 = NAME_MAX_LEN;
	long n2 = p2 ? bpf_probe_read_user_str(sc->buf + n1, NAME_MAX_LEN, (void *)p2) : 0;
	if (n2 < 0) n2 = 0;
	if (n2 > NAME_MAX_LEN) n2 = NAME_MAX_LEN;
	e->len1 = n1;
	e->len2 = n2;
	__u64 size = sizeof *e + n1 + n2;
	if (size > sizeof *sc) size = sizeof *sc;
	bpf_ringbuf_output(&names_rb, sc, size, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
