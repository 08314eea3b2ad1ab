/* SPDX-License-Identifier: GPL-2.0 */
/* The decision for a whole operation (subject, both ends, posture, fail-closed limits) and
 * its ring-buffer event. Needs walk.h. */
#ifndef BW_DECIDE_H
#define BW_DECIDE_H

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
	__u32 end = p.off;
	if (d2) {
		struct path_walk p2 = { .dentry = d2, .off = p.off, .second = 1 };
		bpf_loop(BW_WALK_MAX, path__level, &p2, 0);
		ev->path2_len = p2.off - p.off;
		end = p2.off;
		cut |= p2.cut;
	}
	if (cut)
		ev->flags |= BW_EV_PATH_CUT;
	/* only the bytes used: a typical record is a few hundred bytes, not 8 KiB */
	__u64 size = __builtin_offsetof(struct bw_event, paths) + end;
	if (size > sizeof(*ev))
		size = sizeof(*ev);
	ev->size = size;
	if (bpf_ringbuf_output(&bw_events_rb, ev, size, 0))
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
	__u32 rule = w.best_rule;
	__u32 how = 0;
	if (d2) {
		/* the same state serves the second end (the stack is too small for two) */
		bw_decide_end(&w, d2, op);
		truncated |= !w.done;
		int posture2 = 0;
		int strict2 = resolve(&w, &posture2);
		/* the destination decides only when strictly stricter (as decide() does) */
		if (strict2 > strict) {
			strict = strict2;
			posture = posture2;
			rule = w.best_rule;
			how |= EMIT_SECOND;
		}
	}
	w.best_rule = rule;
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

#endif
