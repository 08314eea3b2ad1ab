/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel side of pattern rules: a glob on one name. Needs maps.h. */
#ifndef BW_GLOB_H
#define BW_GLOB_H

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

#endif
