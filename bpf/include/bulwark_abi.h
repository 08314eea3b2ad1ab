/* SPDX-License-Identifier: Apache-2.0 */
/* Bulwark BPF-LSM ABI: the one contract between bpf/progs/bulwark_lsm.bpf.c, the loader
 * (native/bpf-loader) and the TypeScript side (src/sensor/bpf-abi.ts mirrors the event record).
 * Numbers here are never renumbered; retired values stay reserved.
 *
 * Rules live in one hash map keyed by (rule set, device, inode[, name hash]):
 *   inode key  {set, dev, ino, 0}            a directory or file that exists
 *   name key   {set, dev, parent ino, hash}  a name in a directory: path rules (also for files
 *                                            that do not exist yet) and the directory itself
 *   chain key  {set, dev, ancestor ino, hash of "leaf/parent/.../child-of-ancestor"}: the same
 *              for a path whose parent directories do not exist yet (up to BW_CHAIN_MAX of them)
 * A hook walks from the target dentry up its d_parent chain (at most BW_WALK_MAX levels) and looks
 * each level up once, so the cost follows the path depth, never the number of rules. */
#ifndef BULWARK_ABI_H
#define BULWARK_ABI_H

#define BW_WALK_MAX 256       /* levels walked up from the target; beyond: fail closed */
#define BW_ENTRIES_PER_KEY 8  /* rules sharing one key; the planner rejects more */
#define BW_MAX_SETS 1024      /* rule sets (host = 0, workloads 1..) per generation */
#define BW_PATH_BUF 4096      /* event path bytes (leaf-first components, NUL-separated) */
#define BW_NAME_MAX 256
#define BW_PATTERN_MAX 128    /* bytes of one glob component */
#define BW_MAX_PATTERNS 4096
#define BW_CHAIN_MAX 8        /* missing directories a pending path may have below its ancestor */

/* Operations: same order as OPERATIONS in src/policy/types.ts. */
enum bw_op {
	BW_OP_READ = 0,
	BW_OP_WRITE = 1,
	BW_OP_CREATE = 2,
	BW_OP_UNLINK = 3,
	BW_OP_RMDIR = 4,
	BW_OP_MKDIR = 5,
	BW_OP_RENAME = 6,
	BW_OP_LINK = 7,
	BW_OP_SYMLINK = 8,
	BW_OP_CHMOD = 9,
	BW_OP_CHOWN = 10,
	BW_OP_TRUNCATE = 11,
	BW_OP_SETXATTR = 12,
	BW_OP_REMOVEXATTR = 13,
	BW_OP_UTIMES = 14,
};

/* What a matching rule makes of an operation (chosen by the planner per rule and outcome). */
enum bw_verdict {
	BW_V_NONE = 0,    /* no effect: the match does not count */
	BW_V_ALLOW = 1,
	BW_V_AUDIT = 2,   /* allowed, reported */
	BW_V_BLOCK = 3,   /* -EACCES, reported */
	BW_V_POSTURE = 4, /* the rule set's default posture (audit or block) */
};

/* bw_entry.flags */
#define BW_F_PATH      (1 << 0) /* path rule: matches only the target itself (level 0) */
#define BW_F_DIR       (1 << 1) /* dir rule: the directory itself and its children */
#define BW_F_RECURSIVE (1 << 2) /* dir rule: any depth below */
#define BW_F_READONLY  (1 << 3)
#define BW_F_OWNER     (1 << 4) /* ownerOnly */
#define BW_F_NEED_TTY  (1 << 5) /* pts: false — applies only to callers with a terminal */
#define BW_F_ALLOW     (1 << 6) /* Allow rule: "violated" means outside what it permits */
#define BW_F_PATTERN   (1 << 7) /* glob: bw_entry.pattern_id, anchored at this directory */

struct bw_entry {
	__u64 rank_violate;  /* precedence of this rule's outcome; the highest rank wins */
	__u64 rank_ok;
	__u32 rule_id;
	__u32 src_set;       /* fromSource set id, 0 = any executable */
	__u16 flags;
	__u8 verdict_violate;
	__u8 verdict_ok;
	__s8 level_bias;     /* added to the walk level (aliases on mount roots below a dir rule) */
	__u8 pad;
	__u16 pattern_id;
};

struct bw_value {
	__u32 n;
	__u32 pad;
	struct bw_entry e[BW_ENTRIES_PER_KEY];
};

struct bw_key {
	__u32 set;   /* generation << 31 | rule set index */
	__u32 dev;   /* kernel dev_t of the filesystem (MAJOR << 20 | MINOR) */
	__u64 ino;   /* inode, or the parent's inode for a name key */
	__u64 name;  /* 0 for an inode key; FNV-1a 64 of the name (never 0) for a name key */
};

struct bw_src_key {
	__u32 set;
	__u32 src_set;
	__u32 dev;
	__u32 pad;
	__u64 ino;   /* executable inode (the real file behind /proc/PID/exe) */
};

struct bw_cgroup_key {
	__u32 gen;
	__u32 pad;
	__u64 cgroup_id; /* cgroup v2 id (inode of the cgroup directory) */
};

/* Per rule set, per generation (array index gen * BW_MAX_SETS + set). */
#define BW_SET_ACTIVE         (1 << 0) /* has rules or a whitelist: walk at all */
#define BW_SET_WHITELIST      (1 << 1) /* has Allow rules: unmatched operations get the posture */
#define BW_SET_POSTURE_BLOCK  (1 << 2) /* posture is block (else audit) */
#define BW_SET_READ_BLOCKABLE (1 << 3) /* some rule can block a read (for fail-closed limits) */
#define BW_SET_CHAINS         (1 << 4) /* has chain keys: paths below directories that are missing */
struct bw_set {
	__u32 flags;
	__u32 rules;
};

/* Glob of a pattern rule, matched against the leaf name below the anchor directory. The loader
 * compiles the glob text into tokens so that the kernel never parses it:
 *   BW_T_LIT c, BW_T_ANY (?), BW_T_STAR (*), BW_T_CLASS k (`[...]`/`[!...]` -> bitmap k). */
#define BW_T_LIT 0
#define BW_T_ANY 1
#define BW_T_STAR 2
#define BW_T_CLASS 3
#define BW_MAX_CLASSES 4
#define BW_LEVELS_ANY1 0xff
#define BW_LEVELS_ANY2 0xfe
struct bw_pattern {
	__u8 levels;  /* components below the anchor (1..); BW_LEVELS_ANY1/ANY2: any depth >= 1/2 */
	__u8 ntok;
	__u8 pad[2];
	__u8 type[BW_PATTERN_MAX];
	__u8 val[BW_PATTERN_MAX];
	__u8 classes[BW_MAX_CLASSES][32]; /* 256-bit sets of bytes */
};

struct bw_state {
	__u32 gen;     /* active generation (0 or 1); flipped by one map update */
	__u32 pad;
};

/* Counters (per-CPU array, index = enum bw_counter). */
enum bw_counter {
	BW_C_DECISIONS = 0,
	BW_C_DENIED = 1,
	BW_C_AUDITED = 2,
	BW_C_LOST = 3,      /* events not written: ring buffer full */
	BW_C_TRUNCATED = 4, /* walks that hit BW_WALK_MAX (decided closed) */
	BW_C_LOST_REPORTED = 5, /* written by user space (CPU 0 slot): lost events already reported */
	BW_C_MAX = 8,
};

/* Ring-buffer records: common header first. */
enum bw_msg_op {
	BW_MSG_DECISION = 1,
};

#define BW_EV_TRUNCATED_WALK (1 << 0) /* decided closed: the walk hit BW_WALK_MAX */
#define BW_EV_PATH_CUT       (1 << 1) /* the path bytes in the record are incomplete */
#define BW_EV_SECOND_END     (1 << 2) /* rename/link: the destination decided */

struct bw_event {
	__u16 op;        /* enum bw_msg_op */
	__u16 flags;     /* BW_EV_* */
	__u32 size;      /* bytes of this record */
	__u64 ktime_ns;  /* bpf_ktime_get_boot_ns */
	__u64 cgroup_id;
	__u32 pid;       /* thread group id (host) */
	__u32 tid;
	__u32 uid;
	__u32 rule_id;   /* 0: default posture or a fail-closed limit */
	__u8 fop;        /* enum bw_op */
	__u8 verdict;    /* BW_V_AUDIT or BW_V_BLOCK (posture resolved) */
	__u8 posture;    /* 1 when the verdict came from the default posture */
	__u8 has_tty;
	__s32 err;       /* value returned to the caller: 0 or -13 */
	__u32 open_flags;
	__u32 dev;       /* filesystem of the path (kernel dev_t) */
	__u32 set;       /* rule set index */
	__u64 exe_ino;
	__u32 exe_dev;
	__u16 path_len;  /* bytes of the path at paths[0] */
	__u16 path2_len; /* bytes of the rename/link destination, right after it */
	char comm[16];
	/* components of the path(s), leaf first, each NUL-terminated; the record is cut after
	 * path_len + path2_len bytes (records are variable-sized: size says how long) */
	char paths[2 * BW_PATH_BUF];
};

#endif
