// SPDX-License-Identifier: Apache-2.0
/* `apply PLAN`: resolve the plan's paths to (device, inode) keys in this mount namespace, fill the
 * inactive generation, flip bw_state.gen in one map update, then clear the old generation.
 *
 * Plan format (text, one record a line, fields separated by one space, the last field may hold
 * spaces; paths and globs are percent-encoded for '%', tab, newline and CR):
 *   bulwark-bpf-plan 1
 *   set IDX FLAGS RULES
 *   cgroup IDX PATH          a cgroup v2 directory (its inode number is the cgroup id)
 *   cgroup-id IDX ID
 *   src IDX SRCSET PATH      an executable (followed to the real file) of fromSource set SRCSET
 *   pattern ID LEVELS GLOB
 *   rule IDX KIND RULEID FLAGS VVIOL VOK RVIOL ROK SRCSET PATTERN PATH    KIND: inode | name
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libgen.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "loader.h"

static void pct_decode(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '%' && p[1] && p[2]) {
			char hex[3] = { p[1], p[2], 0 };
			*o++ = (char)strtol(hex, NULL, 16);
			p += 2;
		} else
			*o++ = *p;
	}
	*o = 0;
}

/* Glob text → tokens (struct bw_pattern); NULL or the reason it cannot be compiled. */
static const char *compile_glob(const char *g, struct bw_pattern *pt)
{
	int n = 0, nclass = 0;
	for (const char *p = g; *p; p++) {
		if (n >= BW_PATTERN_MAX)
			return "too long";
		if (*p == '*') {
			pt->type[n++] = BW_T_STAR;
		} else if (*p == '?') {
			pt->type[n++] = BW_T_ANY;
		} else if (*p == '[') {
			const char *q = p + 1;
			int neg = 0;
			if (*q == '!' || *q == '^') {
				neg = 1;
				q++;
			}
			if (nclass >= BW_MAX_CLASSES)
				return "more than 4 [...] classes";
			unsigned char *set = pt->classes[nclass];
			int first = 1;
			for (; *q && (first || *q != ']'); q++, first = 0) {
				unsigned char lo = *q, hi = *q;
				if (q[1] == '-' && q[2] && q[2] != ']') {
					hi = q[2];
					q += 2;
				}
				for (unsigned c = lo; c <= hi; c++)
					set[c >> 3] |= 1 << (c & 7);
			}
			if (*q != ']')
				return "unterminated [";
			if (neg)
				for (int i = 0; i < 32; i++)
					set[i] = ~set[i];
			set[0] &= ~1; /* never NUL */
			pt->type[n] = BW_T_CLASS;
			pt->val[n++] = nclass++;
			p = q;
		} else {
			if (*p == '\\' && p[1])
				p++;
			pt->type[n] = BW_T_LIT;
			pt->val[n++] = *p;
		}
	}
	pt->ntok = n;
	return NULL;
}

/* Paths whose appearance changes the keys (missing rule directories, pending paths): the
 * summary lists them so the caller can apply the plan again when they exist. */
static char *watch_json;
static size_t watch_len, watch_cap;
static int watch_n;

static void watch_add(const char *path)
{
	size_t need = watch_len + strlen(path) * 6 + 8;
	if (need > watch_cap) {
		watch_cap = need * 2;
		watch_json = realloc(watch_json, watch_cap);
	}
	char *o = watch_json + watch_len;
	o += sprintf(o, "%s\"", watch_n++ ? "," : "");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if (*c == '"' || *c == '\\')
			o += sprintf(o, "\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			o += sprintf(o, "\\u%04x", *c);
		else
			*o++ = *c;
	}
	*o++ = '"';
	*o = 0;
	watch_len = o - watch_json;
}

static int fd_rules, fd_src, fd_cg, fd_sets, fd_pat, fd_state;
static uint32_t ngen;
static long nkeys, nabsent, nchains;

int bw_add_entry(struct bw_key *k, struct bw_entry *e, const char *what)
{
	struct bw_value v;
	if (bpf_map_lookup_elem(fd_rules, k, &v)) {
		memset(&v, 0, sizeof(v));
		nkeys++;
	}
	for (uint32_t i = 0; i < v.n; i++)
		if (v.e[i].rule_id == e->rule_id && v.e[i].level_bias == e->level_bias &&
		    v.e[i].pattern_id == e->pattern_id)
			return 0;
	if (v.n >= BW_ENTRIES_PER_KEY) {
		fprintf(stderr, "bulwark-bpf apply: more than %d rules share the key of %s\n",
			BW_ENTRIES_PER_KEY, what);
		return -1;
	}
	v.e[v.n++] = *e;
	if (bpf_map_update_elem(fd_rules, k, &v, BPF_ANY)) {
		fprintf(stderr, "bulwark-bpf apply: map update for %s: %s\n", what, strerror(errno));
		return -1;
	}
	return 0;
}

static void clear_generation(uint32_t g)
{
	struct bw_key k, next;
	void *prev = NULL;
	/* collect first: deleting while iterating restarts the walk on some kernels */
	size_t cap = 1024, n = 0;
	struct bw_key *del = malloc(cap * sizeof(*del));
	while (!bpf_map_get_next_key(fd_rules, prev, &next)) {
		if ((next.set >> 31) == g) {
			if (n == cap)
				del = realloc(del, (cap *= 2) * sizeof(*del));
			del[n++] = next;
		}
		k = next;
		prev = &k;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd_rules, &del[i]);
	free(del);
	struct bw_src_key sk, snext;
	void *sprev = NULL;
	while (!bpf_map_get_next_key(fd_src, sprev, &snext)) {
		sk = snext;
		sprev = &sk;
		if ((snext.set >> 31) == g) {
			bpf_map_delete_elem(fd_src, &snext);
			sprev = NULL;
		}
	}
	struct bw_cgroup_key ck, cnext;
	void *cprev = NULL;
	while (!bpf_map_get_next_key(fd_cg, cprev, &cnext)) {
		ck = cnext;
		cprev = &ck;
		if (cnext.gen == g) {
			bpf_map_delete_elem(fd_cg, &cnext);
			cprev = NULL;
		}
	}
	struct bw_set zero = { 0 };
	for (uint32_t i = 0; i < BW_MAX_SETS; i++) {
		uint32_t idx = g * BW_MAX_SETS + i;
		bpf_map_update_elem(fd_sets, &idx, &zero, BPF_ANY);
	}
}

/* A name whose parent directory does not exist: key it under its deepest existing ancestor
 * with the hash of "leaf/parent/.../child-of-ancestor" (chain key, matched by chain__level in
 * bpf/lib/walk.h). Returns 1 when keyed, 0 when too many directories are missing, -1 on error. */
static int add_chain(uint32_t set, const char *path, struct bw_entry *e)
{
	char buf[8192];
	snprintf(buf, sizeof(buf), "%s", path);
	const char *comp[BW_CHAIN_MAX + 2];
	int n = 0;
	struct stat st;
	for (;;) {
		char *slash = strrchr(buf, '/');
		if (!slash)
			return 0;
		if (n == BW_CHAIN_MAX + 1)
			return 0;
		comp[n++] = slash + 1;
		*slash = 0;
		const char *anc = buf[0] ? buf : "/";
		if (!stat(anc, &st))
			break;
		if (!buf[0])
			return 0;
	}
	/* comp[0] is the leaf, comp[n-1] the child of the existing ancestor */
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < n; i++) {
		if (i) {
			h ^= '/';
			h *= 0x100000001b3ULL;
		}
		for (const char *c = comp[i]; *c; c++) {
			h ^= (unsigned char)*c;
			h *= 0x100000001b3ULL;
		}
	}
	struct bw_key k = { .set = set, .dev = bw_kdev(st.st_dev), .ino = st.st_ino, .name = h ? h : 1 };
	if (bw_add_entry(&k, e, path))
		return -1;
	uint32_t slot = (set >> 31) * BW_MAX_SETS + (set & 0x7fffffff);
	struct bw_set sv = { 0 };
	bpf_map_lookup_elem(fd_sets, &slot, &sv);
	sv.flags |= BW_SET_CHAINS;
	bpf_map_update_elem(fd_sets, &slot, &sv, BPF_ANY);
	nchains++;
	return 1;
}

int bw_cmd_apply(const char *plan_path)
{
	FILE *f = fopen(plan_path, "r");
	if (!f) {
		fprintf(stderr, "bulwark-bpf apply: %s: %s\n", plan_path, strerror(errno));
		return BW_EXIT_IO;
	}
	fd_rules = bw_map_fd("bw_rules_map");
	fd_src = bw_map_fd("bw_src_map");
	fd_cg = bw_map_fd("bw_cgroup_map");
	fd_sets = bw_map_fd("bw_set_map");
	fd_pat = bw_map_fd("bw_pattern_map");
	fd_state = bw_map_fd("bw_state_map");
	if (fd_rules < 0 || fd_src < 0 || fd_cg < 0 || fd_sets < 0 || fd_pat < 0 || fd_state < 0) {
		fprintf(stderr, "bulwark-bpf apply: not loaded (no pins under %s): run `bulwark-bpf load`\n",
			bw_pin_dir);
		fclose(f);
		return BW_EXIT_NOT_LOADED;
	}
	uint32_t zero = 0;
	struct bw_state st = { 0 };
	bpf_map_lookup_elem(fd_state, &zero, &st);
	uint32_t cur = st.gen & 1;
	ngen = cur ^ 1;
	clear_generation(ngen);

	static char line[16384];
	int lineno = 0, rc = 0, npending = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (lineno == 1) {
			if (strcmp(line, "bulwark-bpf-plan 1")) {
				fprintf(stderr, "bulwark-bpf apply: %s:1: not a plan (want 'bulwark-bpf-plan 1')\n",
					plan_path);
				rc = BW_EXIT_PLAN;
				break;
			}
			continue;
		}
		if (!line[0] || line[0] == '#')
			continue;
		char kind[32];
		int off = 0;
		if (sscanf(line, "%31s %n", kind, &off) != 1)
			continue;
		char *rest = line + off;
		if (!strcmp(kind, "set")) {
			unsigned idx, flags, rules;
			if (sscanf(rest, "%u %u %u", &idx, &flags, &rules) != 3 || idx >= BW_MAX_SETS)
				goto bad;
			uint32_t slot = ngen * BW_MAX_SETS + idx;
			struct bw_set s = { .flags = flags, .rules = rules };
			bpf_map_update_elem(fd_sets, &slot, &s, BPF_ANY);
		} else if (!strcmp(kind, "cgroup") || !strcmp(kind, "cgroup-id")) {
			unsigned idx;
			int o2 = 0;
			if (sscanf(rest, "%u %n", &idx, &o2) != 1 || idx >= BW_MAX_SETS)
				goto bad;
			struct bw_cgroup_key ck = { .gen = ngen };
			if (!strcmp(kind, "cgroup-id")) {
				ck.cgroup_id = strtoull(rest + o2, NULL, 10);
			} else {
				char *p = rest + o2;
				pct_decode(p);
				struct stat cs;
				if (stat(p, &cs)) {
					fprintf(stderr, "bulwark-bpf apply: %s:%d: cgroup %s: %s\n", plan_path,
						lineno, p, strerror(errno));
					continue;
				}
				ck.cgroup_id = cs.st_ino;
			}
			bpf_map_update_elem(fd_cg, &ck, &idx, BPF_ANY);
		} else if (!strcmp(kind, "src")) {
			unsigned idx, sset;
			int o2 = 0;
			if (sscanf(rest, "%u %u %n", &idx, &sset, &o2) != 2)
				goto bad;
			char *p = rest + o2;
			pct_decode(p);
			struct stat es;
			if (stat(p, &es)) {
				/* an executable that does not exist cannot run: nothing to key */
				nabsent++;
				continue;
			}
			struct bw_src_key sk = { .set = (ngen << 31) | idx, .src_set = sset,
						 .dev = bw_kdev(es.st_dev), .ino = es.st_ino };
			uint8_t one = 1;
			bpf_map_update_elem(fd_src, &sk, &one, BPF_ANY);
		} else if (!strcmp(kind, "pattern")) {
			unsigned id, levels;
			int o2 = 0;
			if (sscanf(rest, "%u %u %n", &id, &levels, &o2) != 2 || id >= BW_MAX_PATTERNS)
				goto bad;
			char *g = rest + o2;
			pct_decode(g);
			struct bw_pattern pt = { .levels = levels };
			const char *why = compile_glob(g, &pt);
			if (why) {
				fprintf(stderr, "bulwark-bpf apply: %s:%d: glob %s: %s\n", plan_path, lineno, g,
					why);
				rc = BW_EXIT_PLAN;
				break;
			}
			uint32_t slot = ngen * BW_MAX_PATTERNS + id;
			bpf_map_update_elem(fd_pat, &slot, &pt, BPF_ANY);
		} else if (!strcmp(kind, "rule")) {
			unsigned idx, rid, flags, vv, vo, sset, pat;
			unsigned long long rv, ro;
			char k2[16];
			int o2 = 0;
			if (sscanf(rest, "%u %15s %u %u %u %u %llu %llu %u %u %n", &idx, k2, &rid, &flags,
				   &vv, &vo, &rv, &ro, &sset, &pat, &o2) != 10)
				goto bad;
			char *p = rest + o2;
			pct_decode(p);
			struct bw_entry e = { .rule_id = rid, .rank_violate = rv, .rank_ok = ro,
					      .src_set = sset, .flags = flags, .verdict_violate = vv,
					      .verdict_ok = vo, .pattern_id = pat };
			uint32_t set = (ngen << 31) | idx;
			if (!strcmp(k2, "inode")) {
				struct stat rs;
				if (stat(p, &rs)) {
					nabsent++;
					if (flags & (BW_F_DIR | BW_F_PATTERN))
						watch_add(p);
					continue;
				}
				struct bw_key k = { .set = set, .dev = bw_kdev(rs.st_dev), .ino = rs.st_ino };
				if (bw_add_entry(&k, &e, p)) {
					rc = BW_EXIT_PLAN;
					break;
				}
				if ((flags & (BW_F_DIR | BW_F_PATTERN)) && S_ISDIR(rs.st_mode) &&
				    bw_add_mount_aliases(set, p, &e)) {
					rc = BW_EXIT_PLAN;
					break;
				}
				if ((flags & BW_F_DIR) && S_ISDIR(rs.st_mode) && bw_add_hardlinks(set, p, &e)) {
					rc = BW_EXIT_PLAN;
					break;
				}
			} else if (!strcmp(k2, "name")) {
				char *c1 = strdup(p), *c2 = strdup(p);
				char *parent = dirname(c1), *base = basename(c2);
				struct stat ps;
				if (!strcmp(p, "/") || !base[0] || !strcmp(base, "/")) {
					/* the root has no parent: its inode key covers it */
				} else if (stat(parent, &ps)) {
					int c = add_chain(set, p, &e);
					if (c < 0)
						rc = BW_EXIT_PLAN;
					else if (c == 0) {
						fprintf(stderr, "bulwark-bpf apply: pending: %s (more than %d missing directories)\n",
							p, BW_CHAIN_MAX);
						npending++;
						watch_add(p);
					}
				} else {
					struct bw_key k = { .set = set, .dev = bw_kdev(ps.st_dev),
							    .ino = ps.st_ino, .name = bw_name_hash(base) };
					if (bw_add_entry(&k, &e, p))
						rc = BW_EXIT_PLAN;
				}
				free(c1);
				free(c2);
				if (rc)
					break;
			} else
				goto bad;
		} else {
			goto bad;
		}
		continue;
	bad:
		fprintf(stderr, "bulwark-bpf apply: %s:%d: malformed record: %s\n", plan_path, lineno, line);
		rc = BW_EXIT_PLAN;
		break;
	}
	fclose(f);
	if (rc) {
		clear_generation(ngen);
		return rc;
	}
	st.gen = ngen;
	if (bpf_map_update_elem(fd_state, &zero, &st, BPF_ANY)) {
		fprintf(stderr, "bulwark-bpf apply: switching generation: %s\n", strerror(errno));
		return BW_EXIT_IO;
	}
	/* hooks that started before the switch finish within an RCU grace period */
	usleep(20000);
	clear_generation(cur);
	printf("{\"applied\":true,\"generation\":%u,\"keys\":%ld,\"absent\":%ld,\"pending\":%d,"
	       "\"chains\":%ld,\"mountAliases\":%ld,\"hardLinks\":%ld,\"watch\":[%s]}\n",
	       ngen, nkeys, nabsent, npending, nchains, bw_naliases, bw_nhardlinks,
	       watch_json ? watch_json : "");
	return 0;
}
