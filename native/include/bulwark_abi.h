/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one contract between the native helper (native/helper) and Node (src/sensor/abi.ts).
 *
 * The helper writes a stream of frames to its stdout. Every frame starts with struct bw_hdr;
 * hdr.size is the whole frame in bytes (header, fixed part, variable strings, padding) and is
 * always a multiple of 8. Strings follow the fixed part back to back, without NUL, in the order
 * of the length array; they are raw bytes (file names are not UTF-8 by contract).
 * Frames are written in batches (one write(2) per poll round or per 64 KiB), never one per event.
 *
 * Rules: opcodes are never renumbered, retired values stay reserved; fields are only appended
 * (a reader takes hdr.size, not sizeof, to find the next frame). Little-endian, x86_64/aarch64.
 * `bulwark-helper layout` prints sizeof/offsetof of everything here; test/unit/sensor-abi.test.ts
 * checks src/sensor/abi.ts against it.
 */
#ifndef BULWARK_ABI_H
#define BULWARK_ABI_H

#include <stdint.h>

#define BW_ABI_VERSION 1

enum bw_msg_op {
	BW_MSG_HELLO = 1,  /* first frame: versions and what was opened */
	BW_MSG_CHANGE = 2, /* one fanotify event, path resolved, process attributed */
	BW_MSG_AUDIT = 3,  /* the audit records of one event (one serial), text as the kernel wrote it */
	BW_MSG_GAP = 4,    /* events may have been lost */
	BW_MSG_STATUS = 5, /* counters, periodically and on request */
	BW_MSG_LOG = 6,    /* a diagnostic line from the helper */
};

/* Common header; time_ns is CLOCK_REALTIME nanoseconds when the helper read the event. */
struct bw_hdr {
	uint32_t size;
	uint16_t op;
	uint16_t flags;
	uint64_t time_ns;
};

/* hello.features bits */
#define BW_FEAT_AUDIT 0x1        /* audit multicast group joined */
#define BW_FEAT_FANOTIFY 0x2     /* fanotify group created */
#define BW_FEAT_NAMES 0x4        /* syscall path arguments of denied calls are caught (BPF raw tracepoint) */
#define BW_FEAT_AUDIT_ENABLED_BY_US 0x8

struct bw_msg_hello {
	struct bw_hdr hdr;
	uint32_t abi;          /* BW_ABI_VERSION */
	uint32_t pid;          /* helper pid */
	uint32_t landlock_abi; /* 0 when Landlock is unavailable */
	uint32_t features;     /* BW_FEAT_* */
};

/* change.hdr.flags */
#define BW_CHG_PATH_PARTIAL 0x1 /* directory could not be resolved: path is the name only */
#define BW_CHG_STAT 0x2         /* file_mode and nlink are valid (statted at read time) */

/* change.proc_flags */
#define BW_PROC_PID 0x1  /* pid is valid */
#define BW_PROC_GONE 0x2 /* the process exited before it could be inspected */
#define BW_PROC_INFO 0x4 /* ppid, uid, exe, comm, ... were read from /proc */
#define BW_PROC_TTY 0x8  /* the process has a controlling terminal (string 6) */

/* Indexes into bw_msg_change.len[] (and the strings that follow, in this order). */
enum bw_change_str {
	BW_CS_PATH = 0,
	BW_CS_PATH2 = 1, /* rename: the new name */
	BW_CS_EXE = 2,
	BW_CS_COMM = 3,
	BW_CS_CMDLINE = 4, /* arguments separated by single spaces */
	BW_CS_CWD = 5,
	BW_CS_TTY = 6,     /* "pts/3", "tty1" */
	BW_CS_CGROUP = 7,  /* the cgroup v2 path ("0::" line of /proc/PID/cgroup) */
	BW_CS_COUNT = 8,
};

struct bw_msg_change {
	struct bw_hdr hdr;
	uint64_t mask;      /* fanotify mask bits (FAN_CREATE, FAN_ONDIR, ...) */
	uint64_t cgroup_id; /* inode of the cgroup v2 directory, 0 when unknown */
	int32_t pid;
	int32_t ppid;
	uint32_t uid;
	uint32_t proc_flags; /* BW_PROC_* */
	uint32_t file_mode;  /* st_mode of the object, when BW_CHG_STAT */
	uint32_t nlink;      /* st_nlink of the object, when BW_CHG_STAT */
	uint16_t len[BW_CS_COUNT];
};

/* One record inside an audit frame; text follows, padded to 8 bytes. */
struct bw_audit_rec {
	uint16_t type; /* 1423 LANDLOCK_ACCESS, 1424 LANDLOCK_DOMAIN, 1300 SYSCALL, 1327 PROCTITLE, 1307 CWD, 1302 PATH */
	uint16_t reserved;
	uint32_t len;
};

/* A record the helper adds to a denial's audit event: the path arguments of the denied syscall,
 * read from the caller's memory at syscall exit, as "dirfd=N name=HEX [dirfd2=N name2=HEX]". */
#define BW_AUDIT_REC_ARGS 9001

struct bw_msg_audit {
	struct bw_hdr hdr;
	uint64_t serial;
	uint32_t nrec;
	uint32_t reserved;
	/* struct bw_audit_rec + text, nrec times */
};

enum bw_gap_cause {
	BW_GAP_OVERFLOW = 1,   /* FAN_Q_OVERFLOW, or ENOBUFS on the audit socket */
	BW_GAP_READ_ERROR = 2, /* read(2)/recv(2) failed */
	BW_GAP_AUDIT_LOST = 3, /* the kernel's audit `lost` counter went up */
};

struct bw_msg_gap {
	struct bw_hdr hdr;
	uint64_t lost; /* records lost when known, else 0 */
	uint32_t cause; /* enum bw_gap_cause */
	uint16_t fs_len; /* filesystem (mount point or "audit") */
	uint16_t detail_len;
};

struct bw_msg_status {
	struct bw_hdr hdr;
	uint64_t events;     /* frames sent with events (change + audit) */
	uint64_t audit_lost; /* kernel audit `lost` counter, as last read */
	uint32_t audit_enabled;
	uint32_t audit_backlog;
	uint64_t suppressed; /* fanotify events carrying nothing to report (close-write only, own pid) */
	uint64_t overflows;  /* gap frames sent */
};

struct bw_msg_log {
	struct bw_hdr hdr;
	uint32_t level; /* 0 info, 1 warning, 2 error */
	uint32_t len;
};

#endif
