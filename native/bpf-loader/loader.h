/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark-bpf: static libbpf loader and driver of the BPF-LSM enforcer (see docs/bpf-lsm.md).
 * Runs as a command, not a daemon: enforcement lives in the pinned links and maps. */
#ifndef BW_LOADER_H
#define BW_LOADER_H
#include <stdint.h>
#include <linux/types.h>
#include "bulwark_abi.h"

#define BW_PIN_DIR_DEFAULT "/sys/fs/bpf/bulwark"

/* Exit codes (documented in docs/bpf-lsm.md). */
#define BW_EXIT_OK 0
#define BW_EXIT_USAGE 64
#define BW_EXIT_UNAVAILABLE 69 /* BPF-LSM cannot be loaded on this kernel */
#define BW_EXIT_NOT_LOADED 70  /* nothing pinned */
#define BW_EXIT_PLAN 65        /* the plan is malformed or does not fit */
#define BW_EXIT_IO 74

extern const char *bw_pin_dir;

int bw_cmd_probe(void);
int bw_cmd_load(int replace);
int bw_cmd_release(void);
int bw_cmd_apply(const char *plan_path);
int bw_cmd_watch(const char *out_path, int timeout_ms);
int bw_cmd_stats(void);

/* Pinned map fd by name (bw_rules_map ...), or -1 with errno set. */
int bw_map_fd(const char *name);
/* Kernel dev_t (MAJOR << 20 | MINOR) from a stat st_dev. */
uint32_t bw_kdev(uint64_t st_dev);
/* FNV-1a 64 of a name, as the BPF side computes it; never 0. */
uint64_t bw_name_hash(const char *s);
/* Mount point for a kernel dev_t ("" when unknown); valid until the next call. */
const char *bw_mount_of(uint32_t kdev);

/* Adds a rule entry to a key of the inactive generation (plan.c); -1 when the key is full. */
int bw_add_entry(struct bw_key *k, struct bw_entry *e, const char *what);
/* Extra keys of a dir rule (aliases.c): mount roots below it, hard links of files below it. */
int bw_add_mount_aliases(uint32_t set, const char *dir, struct bw_entry *e);
int bw_add_hardlinks(uint32_t set, const char *dir, struct bw_entry *e);
extern long bw_naliases, bw_nhardlinks;
#endif
