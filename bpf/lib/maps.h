/* SPDX-License-Identifier: GPL-2.0 */
/* Maps of the enforcer (types in bulwark_abi.h) and the per-hook state. */
#ifndef BW_MAPS_H
#define BW_MAPS_H

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
	char name[BW_NAME_MAX];  /* leaf name of the current end (glob patterns match it) */
	char name2[BW_NAME_MAX]; /* an ancestor's name, for chain keys */
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
	/* chain keys: FNV state over "leaf/parent/..." and the dentry reached */
	__u64 chain_h;
	__u64 chain_d;
};

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&bw_counter_map, &idx);
	if (v)
		*v += 1;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/* FNV-1a 64 state h continued over a NUL-terminated name (at most BW_NAME_MAX bytes). */
static __always_inline __u64 fnv__update(__u64 h, const char *s)
{
	for (int i = 0; i < BW_NAME_MAX; i++) {
		unsigned char ch = s[i];
		if (!ch)
			break;
		h ^= ch;
		h *= FNV_PRIME;
	}
	return h;
}

/* A hash as stored in keys: never 0 (0 marks an inode key). Same as fnv1a64() in
 * src/sensor/bpf-plan.ts and bw_name_hash() in the loader. */
static __always_inline __u64 fnv__key(__u64 h)
{
	return h ? h : 1;
}

#endif
