/* SPDX-License-Identifier: GPL-2.0 */
/* One end of an operation: the rule lookups up the parent chain, and the event path. Needs
 * maps.h and glob.h. */
#ifndef BW_WALK_H
#define BW_WALK_H

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

/* Chain keys: one step up from chain_d adds the parent's name to the hash ("leaf/parent/...")
 * and looks the result up under the grandparent's inode, so a rule whose directories did not
 * exist when it was applied still matches, exactly like a name key. */
static long chain__level(__u64 idx, void *ctx)
{
	struct bw_walk *w = ctx;
	__u32 zero = 0;
	struct dentry *d = (void *)w->chain_d;
	struct dentry *p = BPF_CORE_READ(d, d_parent);
	if (!p || p == d)
		return 1;
	struct dentry *pp = BPF_CORE_READ(p, d_parent);
	if (!pp || pp == p)
		return 1; /* p is the filesystem root: it has no name to add */
	struct inode *ppi = BPF_CORE_READ(pp, d_inode);
	struct bw_scratch *sc = bpf_map_lookup_elem(&bw_name_heap, &zero);
	if (!ppi || !sc)
		return 1;
	const unsigned char *nm = BPF_CORE_READ(p, d_name.name);
	bpf_probe_read_kernel_str(sc->name2, sizeof(sc->name2), nm);
	__u64 h = w->chain_h;
	h ^= '/';
	h *= FNV_PRIME;
	h = fnv__update(h, sc->name2);
	w->chain_h = h;
	w->chain_d = (__u64)p;
	struct bw_key k = { .set = w->set, .dev = w->dev, .ino = BPF_CORE_READ(ppi, i_ino),
			    .name = fnv__key(h) };
	bw_lookup(w, &k, 0);
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
		__u64 h = fnv__update(FNV_OFFSET, sc->name);
		struct bw_key k = { .set = w->set, .dev = w->dev, .ino = BPF_CORE_READ(pino, i_ino),
				    .name = fnv__key(h) };
		bw_lookup(w, &k, 0);
		w->chain_h = h;
	}
	/* bpf_loop wants its context on this frame's stack */
	struct bw_walk local = *w;
	bpf_loop(BW_WALK_MAX, walk__level, &local, 0);
	if ((local.set_flags & BW_SET_CHAINS) && parent && parent != d && pino) {
		local.chain_d = dentry;
		bpf_loop(BW_CHAIN_MAX, chain__level, &local, 0);
	}
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
	/* the first path ends before BW_PATH_BUF, the second one starts there at the latest */
	__u32 off = p->off;
	__u32 limit = p->second ? 2 * BW_PATH_BUF - BW_NAME_MAX : BW_PATH_BUF - BW_NAME_MAX;
	if (off > limit || off > 2 * BW_PATH_BUF - BW_NAME_MAX) {
		p->cut = 1;
		return 1;
	}
	const unsigned char *nm = BPF_CORE_READ(d, d_name.name);
	long n = bpf_probe_read_kernel_str(&ev->paths[off], BW_NAME_MAX, nm);
	if (n <= 0)
		return 1;
	p->off = off + n;
	p->dentry = (__u64)parent;
	return 0;
}

#endif
