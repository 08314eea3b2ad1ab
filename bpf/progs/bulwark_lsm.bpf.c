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

char LICENSE[] SEC("license") = "GPL";

#define EACCES 13
#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define ATTR_MODE (1 << 0)
#define ATTR_UID (1 << 1)
#define ATTR_GID (1 << 2)
#define ATTR_SIZE (1 << 3)
#define ATTR_ATIME (1 << 4)
#define ATTR_MTIME (1 << 5)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144);
	__type(key, struct bw_key);
	__type(value, struct bw_value);
} bw_rules_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct bw_src_key);
	__type(value, __u8);
} bw_src_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct bw_cgroup_key);
	__type(value, __u32);
} bw_cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * BW_MAX_SETS);
	__type(key, __u32);
	__type(value, struct bw_set);
} bw_set_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * BW_MAX_PATTERNS);
	__type(key, __u32);
	__type(value, struct bw_pattern);
} bw_pattern_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_state);
} bw_state_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} bw_counter_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} bw_events_rb SEC(".maps");

/* Scratch space: the leaf name of the current end, and the event being assembled. */
struct bw_scratch {
	char name[BW_NAME_MAX];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_scratch);
} bw_name_heap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_event);
} bw_event_heap SEC(".maps");

/* One end's decision state (on the hook's stack). The subject fields are resolved once per hook.
 * Functions taking it are global (__noinline, not static) so that the verifier checks each of
 * them once, not once per call site and entry: that keeps the program far below the verifier's
 * complexity limit (and its load time short even when emulated). */
struct bw_walk {
	/* subject */
	__u32 set;      /* gen << 31 | index */
	__u32 set_index;
	__u32 set_flags;
	__u32 uid;
	__u64 exe_ino;
	__u32 exe_dev;
	__u8 has_tty;
	/* this end */
	__u8 op;
	__u8 done;      /* reached the filesystem root */
	__u8 pad;
	__u64 dentry;   /* current level (kernel pointer as a scalar: read with CO-RE probes) */
	__u32 dev;
	__u32 level;
	__u32 owner;    /* owner uid for ownerOnly: the file's, or the parent's for a new name */
	__u64 best_rank;
	__u32 best_rule;
	__u32 best_verdict;
};

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&bw_counter_map, &idx);
	if (v)
		*v += 1;
}

/* FNV-1a 64 of a NUL-terminated name (at most BW_NAME_MAX bytes); never 0. Same as
 * fnv1a64() in src/sensor/bpf-plan.ts. */
static __always_inline __u64 name__hash(const char *s)
{
	__u64 h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < BW_NAME_MAX; i++) {
		unsigned char ch = s[i];
		if (!ch)
			break;
		h ^= ch;
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

/* Shell glob on one name, over the loader's tokens (see struct bw_pattern). Iterative with one
 * backtrack point; each bpf_loop step advances or backtracks once. */
struct glob_state {
	__u32 pidx;  /* bw_pattern_map index; the name is in bw_name_heap */
	__u32 pad;
	__s32 p, t, star, mark;
	__u8 result; /* 0 undecided, 1 match, 2 no match */
};

static long glob__step(__u64 idx, void *ctx)
{
	struct glob_state *s = ctx;
	__u32 zero = 0;
	const struct bw_pattern *pt = bpf_map_lookup_elem(&bw_pattern_map, &s->pidx);
	const struct bw_scratch *sc = bpf_map_lookup_elem(&bw_name_heap, &zero);
	if (!pt || !sc) {
		s->result = 2;
		return 1;
	}
	int ntok = pt->ntok, p = s->p, t = s->t;
	unsigned char tc = sc->name[t & (BW_NAME_MAX - 1)];
	if (t >= BW_NAME_MAX - 1 || !tc) {
		/* end of the name: the rest of the pattern must be stars */
		if (p >= ntok) {
			s->result = 1;
			return 1;
		}
		if (pt->type[p & (BW_PATTERN_MAX - 1)] == BW_T_STAR) {
			s->p = p + 1;
			return 0;
		}
		s->result = 2;
		return 1;
	}
	if (p < ntok) {
		__u8 ty = pt->type[p & (BW_PATTERN_MAX - 1)];
		__u8 val = pt->val[p & (BW_PATTERN_MAX - 1)];
		int hit = 0;
		if (ty == BW_T_STAR) {
			s->star = p;
			s->mark = t;
			s->p = p + 1;
			return 0;
		}
		if (ty == BW_T_ANY)
			hit = 1;
		else if (ty == BW_T_LIT)
			hit = val == tc;
		else if (ty == BW_T_CLASS)
			hit = (pt->classes[val & (BW_MAX_CLASSES - 1)][(tc >> 3) & 31] >> (tc & 7)) & 1;
		if (hit) {
			s->p = p + 1;
			s->t = t + 1;
			return 0;
		}
	}
	if (s->star >= 0) {
		s->p = s->star + 1;
		s->mark += 1;
		s->t = s->mark;
		return 0;
	}
	s->result = 2;
	return 1;
}

static __always_inline int glob__match(__u32 pidx)
{
	struct glob_state s = { .pidx = pidx, .star = -1 };
	bpf_loop(8192, glob__step, &s, 0);
	/* undecided after the step budget: count as a match (fails closed for Block patterns) */
	return s.result != 2;
}

__noinline int bw_consider(struct bw_walk *w, struct bw_entry *e, int level)
{
	if (!w || !e)
		return 0;
	__u16 f = e->flags;
	level += e->level_bias;
	if (f & BW_F_PATH) {
		if (level != 0)
			return 0;
	} else if (f & BW_F_DIR) {
		if (level > 1 && !(f & BW_F_RECURSIVE))
			return 0;
	} else if (f & BW_F_PATTERN) {
		__u32 pidx = (w->set >> 31) * BW_MAX_PATTERNS + e->pattern_id;
		struct bw_pattern *pt = bpf_map_lookup_elem(&bw_pattern_map, &pidx);
		if (!pt || level < 1)
			return 0;
		if (pt->levels == BW_LEVELS_ANY2 ? level < 2 :
		    pt->levels != BW_LEVELS_ANY1 && level != pt->levels)
			return 0;
		if (!glob__match(pidx))
			return 0;
	} else {
		return 0;
	}
	if ((f & BW_F_NEED_TTY) && !w->has_tty)
		return 0;
	if (e->src_set) {
		struct bw_src_key sk = { .set = w->set, .src_set = e->src_set, .dev = w->exe_dev,
					 .ino = w->exe_ino };
		if (!bpf_map_lookup_elem(&bw_src_map, &sk))
			return 0;
	}
	int ro = f & BW_F_READONLY, own = f & BW_F_OWNER;
	int bad = (ro && w->op != BW_OP_READ) || (own && w->uid != w->owner);
	int violated = (f & BW_F_ALLOW) ? bad : (!(ro || own) || bad);
	__u8 verdict = violated ? e->verdict_violate : e->verdict_ok;
	__u64 rank = violated ? e->rank_violate : e->rank_ok;
	if (verdict != BW_V_NONE && rank > w->best_rank) {
		w->best_rank = rank;
		w->best_verdict = verdict;
		w->best_rule = e->rule_id;
	}
	return 0;
}

__noinline int bw_lookup(struct bw_walk *w, struct bw_key *k, int level)
{
	if (!w || !k)
		return 0;
	struct bw_key kk = *k; /* map keys must be on the stack */
	struct bw_value *v = bpf_map_lookup_elem(&bw_rules_map, &kk);
	if (!v)
		return 0;
	for (int i = 0; i < BW_ENTRIES_PER_KEY; i++) {
		if (i >= v->n)
			break;
		bw_consider(w, &v->e[i], level);
	}
	return 0;
}

static long walk__level(__u64 idx, void *ctx)
{
	struct bw_walk *w = ctx;
	struct dentry *d = (void *)w->dentry;
	struct inode *ino = BPF_CORE_READ(d, d_inode);
	if (ino) {
		struct bw_key k = { .set = w->set, .dev = w->dev, .ino = BPF_CORE_READ(ino, i_ino) };
		bw_lookup(w, &k, w->level);
	}
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d) {
		w->done = 1;
		return 1;
	}
	w->dentry = (__u64)parent;
	w->level += 1;
	return 0;
}

/* Decides one end. `d` is the target dentry (negative for a name being created). */
__noinline int bw_decide_end(struct bw_walk *w, __u64 dentry, int op)
{
	__u32 zero = 0;
	if (!w)
		return 0;
	struct dentry *d = (void *)dentry;
	w->dentry = dentry;
	w->op = op;
	w->level = 0;
	w->done = 0;
	w->best_rank = 0;
	w->best_rule = 0;
	w->best_verdict = BW_V_NONE;
	w->dev = BPF_CORE_READ(d, d_sb, s_dev);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	struct inode *ino = BPF_CORE_READ(d, d_inode);
	struct inode *pino = parent ? BPF_CORE_READ(parent, d_inode) : NULL;
	struct inode *oi = ino ? ino : pino;
	w->owner = oi ? BPF_CORE_READ(oi, i_uid.val) : (__u32)-1;

	struct bw_scratch *sc = bpf_map_lookup_elem(&bw_name_heap, &zero);
	if (!sc)
		return 0;
	sc->name[0] = 0;
	if (parent && parent != d && pino) {
		const unsigned char *nm = BPF_CORE_READ(d, d_name.name);
		bpf_probe_read_kernel_str(sc->name, sizeof(sc->name), nm);
		struct bw_key k = { .set = w->set, .dev = w->dev, .ino = BPF_CORE_READ(pino, i_ino),
				    .name = name__hash(sc->name) };
		bw_lookup(w, &k, 0);
	}
	/* bpf_loop wants its context on this frame's stack */
	struct bw_walk local = *w;
	bpf_loop(BW_WALK_MAX, walk__level, &local, 0);
	*w = local;
	return 0;
}

/* Leaf-first path components of `d`, NUL-terminated each, for the event. */
struct path_walk {
	__u64 dentry;
	__u32 off;
	__u8 second;
	__u8 cut;
};

static long path__level(__u64 idx, void *ctx)
{
	struct path_walk *p = ctx;
	__u32 zero = 0;
	struct dentry *d = (void *)p->dentry;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d)
		return 1;
	struct bw_event *ev = bpf_map_lookup_elem(&bw_event_heap, &zero);
	if (!ev)
		return 1;
	__u32 off = p->off;
	if (off > BW_PATH_BUF - BW_NAME_MAX) {
		p->cut = 1;
		return 1;
	}
	const unsigned char *nm = BPF_CORE_READ(d, d_name.name);
	long n;
	if (p->second)
		n = bpf_probe_read_kernel_str(&ev->path2[off], BW_NAME_MAX, nm);
	else
		n = bpf_probe_read_kernel_str(&ev->path[off], BW_NAME_MAX, nm);
	if (n <= 0)
		return 1;
	p->off = off + n;
	p->dentry = (__u64)parent;
	return 0;
}

/* emit() flags */
#define EMIT_SECOND (1 << 0)
#define EMIT_POSTURE (1 << 1)
#define EMIT_TRUNCATED (1 << 2)
#define EMIT_DENIED (1 << 3)

__noinline int bw_emit(struct bw_walk *w, __u64 d1, __u64 d2, __u32 how, __u32 open_flags)
{
	__u32 zero = 0;
	struct bw_event *ev = bpf_map_lookup_elem(&bw_event_heap, &zero);
	if (!ev || !w)
		return 0;
	ev->op = BW_MSG_DECISION;
	ev->flags = ((how & EMIT_TRUNCATED) ? BW_EV_TRUNCATED_WALK : 0) |
		    ((how & EMIT_SECOND) ? BW_EV_SECOND_END : 0);
	ev->size = sizeof(*ev);
	ev->ktime_ns = bpf_ktime_get_boot_ns();
	ev->cgroup_id = bpf_get_current_cgroup_id();
	__u64 pt = bpf_get_current_pid_tgid();
	ev->pid = pt >> 32;
	ev->tid = (__u32)pt;
	ev->uid = w->uid;
	ev->rule_id = w->best_rule;
	ev->fop = w->op;
	ev->verdict = (how & EMIT_DENIED) ? BW_V_BLOCK : BW_V_AUDIT;
	ev->posture = !!(how & EMIT_POSTURE);
	ev->has_tty = w->has_tty;
	ev->err = (how & EMIT_DENIED) ? -EACCES : 0;
	ev->open_flags = open_flags;
	struct dentry *dd = (void *)d1;
	ev->dev = BPF_CORE_READ(dd, d_sb, s_dev);
	ev->set = w->set_index;
	ev->exe_ino = w->exe_ino;
	ev->exe_dev = w->exe_dev;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	struct path_walk p = { .dentry = d1 };
	bpf_loop(BW_WALK_MAX, path__level, &p, 0);
	ev->path_len = p.off;
	__u8 cut = p.cut;
	ev->path2_len = 0;
	if (d2) {
		struct path_walk p2 = { .dentry = d2, .second = 1 };
		bpf_loop(BW_WALK_MAX, path__level, &p2, 0);
		ev->path2_len = p2.off;
		cut |= p2.cut;
	}
	if (cut)
		ev->flags |= BW_EV_PATH_CUT;
	if (bpf_ringbuf_output(&bw_events_rb, ev, sizeof(*ev), 0))
		count(BW_C_LOST);
	return 0;
}

/* Resolves who acts into w; 0 when the caller's rule set is empty (nothing to decide). */
__noinline int bw_subject(struct bw_walk *w)
{
	__u32 zero = 0;
	if (!w)
		return 0;
	struct bw_state *st = bpf_map_lookup_elem(&bw_state_map, &zero);
	if (!st)
		return 0;
	__u32 gen = st->gen & 1;
	struct bw_cgroup_key ck = { .gen = gen, .cgroup_id = bpf_get_current_cgroup_id() };
	__u32 *si = bpf_map_lookup_elem(&bw_cgroup_map, &ck);
	__u32 index = si ? *si : 0;
	if (index >= BW_MAX_SETS)
		return 0;
	__u32 slot = gen * BW_MAX_SETS + index;
	struct bw_set *s = bpf_map_lookup_elem(&bw_set_map, &slot);
	if (!s || !(s->flags & BW_SET_ACTIVE))
		return 0;
	w->set = (gen << 31) | index;
	w->set_index = index;
	w->set_flags = s->flags;
	w->uid = (__u32)bpf_get_current_uid_gid();
	struct task_struct *task = (void *)bpf_get_current_task();
	w->has_tty = BPF_CORE_READ(task, signal, tty) != NULL;
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	if (exe) {
		w->exe_ino = BPF_CORE_READ(exe, f_inode, i_ino);
		w->exe_dev = BPF_CORE_READ(exe, f_inode, i_sb, s_dev);
	}
	return 1;
}

/* Final verdict of one end: posture resolved, no match handled. Returns the strictness of
 * decide() (src/policy/decide.ts VERDICT_STRICTNESS): allow 0, posture-audit 1, audit 2,
 * posture-block 3, block 4; sets *posture when the default posture decided. */
static __always_inline int resolve(struct bw_walk *w, int *posture)
{
	__u32 v = w->best_verdict;
	*posture = 0;
	if (v == BW_V_NONE) {
		if (!(w->set_flags & BW_SET_WHITELIST))
			return 0;
		v = BW_V_POSTURE;
		w->best_rule = 0;
	}
	if (v == BW_V_POSTURE) {
		*posture = 1;
		return (w->set_flags & BW_SET_POSTURE_BLOCK) ? 3 : 1;
	}
	return v == BW_V_BLOCK ? 4 : v == BW_V_AUDIT ? 2 : 0;
}

/* The whole decision for an operation with one or two ends; returns 0 or -EACCES. */
__noinline int bw_decide(int op, __u64 d1, __u64 d2, __u32 open_flags)
{
	struct bw_walk w = {};
	if (!d1 || !bw_subject(&w))
		return 0;
	count(BW_C_DECISIONS);
	bw_decide_end(&w, d1, op);
	int truncated = !w.done;
	int posture = 0;
	int strict = resolve(&w, &posture);
	__u32 how = 0;
	if (d2) {
		struct bw_walk w2 = w;
		bw_decide_end(&w2, d2, op);
		truncated |= !w2.done;
		int posture2 = 0;
		int strict2 = resolve(&w2, &posture2);
		/* the destination decides only when strictly stricter (as decide() does) */
		if (strict2 > strict) {
			strict = strict2;
			posture = posture2;
			w.best_rule = w2.best_rule;
			how |= EMIT_SECOND;
		}
	}
	if (posture)
		how |= EMIT_POSTURE;
	int block = strict == 4 || strict == 3;
	int audit = strict == 2 || strict == 1;
	if (truncated && !block && (op != BW_OP_READ || (w.set_flags & BW_SET_READ_BLOCKABLE))) {
		count(BW_C_TRUNCATED);
		block = 1;
		w.best_rule = 0;
		how = EMIT_TRUNCATED;
	}
	if (block) {
		count(BW_C_DENIED);
		bw_emit(&w, d1, d2, how | EMIT_DENIED, open_flags);
		return -EACCES;
	}
	if (audit) {
		count(BW_C_AUDITED);
		bw_emit(&w, d1, d2, how, open_flags);
	}
	return 0;
}

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
