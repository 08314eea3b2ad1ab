// SPDX-License-Identifier: GPL-2.0
/* Bulwark BPF-LSM enforcer. One decision function serves every file hook:
 *   1. pick the rule set: the caller's cgroup (a workload) or set 0 (the host), in the active
 *      generation (user space fills the other generation, then flips bw_state.gen: rule sets are
 *      swapped atomically for every hook that starts after the flip);
 *   2. for each end of the operation (rename and link have two), look up the name key of the
 *      target (parent inode + name hash: path rules, also for files that do not exist yet) and
 *      then the inode key of every level up the d_parent chain (dir rules, path rules on the
 *      file's inode); each match is an outcome with a rank chosen by the planner
 *      (src/sensor/bpf-plan.ts), and the highest rank wins;
 *   3. no match: allow, or the default posture when the set has Allow rules (whitelist);
 *   4. block returns -EACCES; block and audit are reported on the ring buffer.
 * Limits fail closed: a walk that does not reach the filesystem root within BW_WALK_MAX levels
 * blocks whatever a rule of the set could block (BW_EV_TRUNCATED_WALK). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bulwark_abi.h"

#include "maps.h"
#include "glob.h"
#include "walk.h"
#include "decide.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- hooks ------------------------------------------------------------------------------ */

/* Argument n of the hook as a plain number: global functions take scalars, and the verifier does
 * not turn a typed kernel pointer into one by a cast. */
static __always_inline __u64 arg(unsigned long long *c, int n)
{
	__u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), &c[n]);
	return v;
}

SEC("lsm/file_open")
int BPF_PROG(bw_file_open, struct file *file, int ret)
{
	if (ret)
		return ret;
	unsigned int mode = BPF_CORE_READ(file, f_mode);
	int op = (mode & FMODE_WRITE) ? BW_OP_WRITE : BW_OP_READ;
	return bw_decide(op, (__u64)BPF_CORE_READ(file, f_path.dentry), 0, BPF_CORE_READ(file, f_flags));
}

SEC("lsm/path_mknod")
int BPF_PROG(bw_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	if (ret)
		return ret;
	return bw_decide(BW_OP_CREATE, arg(ctx, 1), 0, 0);
}

SEC("lsm/path_mkdir")
int BPF_PROG(bw_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	if (ret)
		return ret;
	return bw_decide(BW_OP_MKDIR, arg(ctx, 1), 0, 0);
}

SEC("lsm/path_rmdir")
int BPF_PROG(bw_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return bw_decide(BW_OP_RMDIR, arg(ctx, 1), 0, 0);
}

SEC("lsm/path_unlink")
int BPF_PROG(bw_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return bw_decide(BW_OP_UNLINK, arg(ctx, 1), 0, 0);
}

SEC("lsm/path_symlink")
int BPF_PROG(bw_path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name,
	     int ret)
{
	if (ret)
		return ret;
	return bw_decide(BW_OP_SYMLINK, arg(ctx, 1), 0, 0);
}

SEC("lsm/path_link")
int BPF_PROG(bw_path_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	if (ret)
		return ret;
	return bw_decide(BW_OP_LINK, arg(ctx, 0), arg(ctx, 2), 0);
}

SEC("lsm/path_rename")
int BPF_PROG(bw_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	if (ret)
		return ret;
	return bw_decide(BW_OP_RENAME, arg(ctx, 1), arg(ctx, 3), 0);
}

SEC("lsm/path_truncate")
int BPF_PROG(bw_path_truncate, const struct path *path, int ret)
{
	if (ret)
		return ret;
	return bw_decide(BW_OP_TRUNCATE, (__u64)BPF_CORE_READ(path, dentry), 0, 0);
}

SEC("lsm/path_chmod")
int BPF_PROG(bw_path_chmod, const struct path *path, umode_t mode, int ret)
{
	if (ret)
		return ret;
	return bw_decide(BW_OP_CHMOD, (__u64)BPF_CORE_READ(path, dentry), 0, 0);
}

SEC("lsm/path_chown")
int BPF_PROG(bw_path_chown, const struct path *path, void *uid, void *gid, int ret)
{
	if (ret)
		return ret;
	return bw_decide(BW_OP_CHOWN, (__u64)BPF_CORE_READ(path, dentry), 0, 0);
}

/* Time changes reach only inode_setattr; mode, owner and size changes there are left to the path
 * hooks above (chmod, chown, truncate), so each operation is decided once.
 * Its arguments moved: (dentry, attr) up to Linux 6.2, (idmap, dentry, attr) since. The loader
 * reads the running kernel's BTF and sets bw_setattr_nargs; the other branch is dead code the
 * verifier never visits. */
const volatile __u32 bw_setattr_nargs = 2;

SEC("lsm/inode_setattr")
int bw_inode_setattr(unsigned long long *ctx)
{
	__u64 dentry, attr;
	int ret;
	if (bw_setattr_nargs == 3) {
		ret = (int)arg(ctx, 3);
		dentry = arg(ctx, 1);
		attr = arg(ctx, 2);
	} else {
		ret = (int)arg(ctx, 2);
		dentry = arg(ctx, 0);
		attr = arg(ctx, 1);
	}
	if (ret)
		return ret;
	struct iattr *ia = (void *)attr;
	unsigned int valid = BPF_CORE_READ(ia, ia_valid);
	if (valid & (ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_SIZE))
		return 0;
	if (!(valid & (ATTR_ATIME | ATTR_MTIME)))
		return 0;
	return bw_decide(BW_OP_UTIMES, dentry, 0, 0);
}

SEC("lsm/inode_setxattr")
int BPF_PROG(bw_inode_setxattr, struct user_namespace *mnt_userns, struct dentry *dentry,
	     const char *name, const void *value, size_t size, int flags, int ret)
{
	if (ret)
		return ret;
	return bw_decide(BW_OP_SETXATTR, arg(ctx, 1), 0, 0);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(bw_inode_removexattr, struct user_namespace *mnt_userns, struct dentry *dentry,
	     const char *name, int ret)
{
	if (ret)
		return ret;
	return bw_decide(BW_OP_REMOVEXATTR, arg(ctx, 1), 0, 0);
}

/* A program that does nothing, loaded by `bulwark-bpf probe` to learn whether BPF-LSM works. */
SEC("lsm/file_open")
int BPF_PROG(bw_probe, struct file *file, int ret)
{
	return ret;
}
