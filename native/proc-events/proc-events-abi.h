/* Records shared by proc-events.bpf.c (kernel side) and proc-events.c (user side). */
#ifndef PROC_EVENTS_ABI_H
#define PROC_EVENTS_ABI_H

#define PE_EXEC 1
#define PE_FORK 2
#define PE_EXIT 3

#define PE_MAX_COMP 32 /* path components kept (power of two) */
#define PE_SLOT 128    /* bytes per component, NUL included */
#define PE_ARGS 4096   /* bytes of argv kept (power of two) */
#define PE_CG_COMP 16  /* cgroup path components kept (power of two) */

/* Header shared by every record; fork and exit records are only this. */
#define PE_HEADER                                                                                  \
	__u32 kind;                                                                                \
	__u32 pid;      /* tgid, host namespace */                                                 \
	__u32 ppid;                                                                                \
	__u32 uid;                                                                                 \
	__u32 tty_nr;                                                                              \
	__u32 ns_level; /* depth of the task's pid namespace (0 = host) */                         \
	__u32 ns_pid;   /* pid in the task's own pid namespace */                                  \
	__u32 exit_code;                                                                           \
	__u64 ts;       /* CLOCK_MONOTONIC ns */                                                   \
	__u64 start_boottime;                                                                      \
	__u64 cgroup_id;                                                                           \
	__u32 pidns;                                                                               \
	__u32 mntns;                                                                               \
	__u32 exe_n; /* path components, leaf first; > PE_MAX_COMP: too deep */                    \
	__u32 cwd_n;                                                                               \
	__u32 args_len;                                                                            \
	__u32 args_truncated;                                                                      \
	__u32 cg_n; /* cgroup path components, leaf first; > PE_CG_COMP: too deep */               \
	__u32 pad_;                                                                                \
	char comm[16];

struct pe_small {
	PE_HEADER
};

struct pe_record {
	PE_HEADER
	char exe[PE_MAX_COMP][PE_SLOT];
	char cwd[PE_MAX_COMP][PE_SLOT];
	char args[PE_ARGS];
	char cg[PE_CG_COMP][PE_SLOT];
};

#endif
