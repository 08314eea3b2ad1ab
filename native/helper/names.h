/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_NAMES_H
#define BW_NAMES_H
#include <stddef.h>
#include <stdint.h>
/* Loads names.bpf.o (next to the helper binary) and attaches it; returns the ring buffer's
 * epoll fd to poll, or -1 (then denials carry only what audit says). */
int bw_names_open(void);
/* Drains the ring buffer into the recent-names table. */
void bw_names_read(void);
/* Whether the BPF side catches this syscall at all (0 when it is not loaded). */
int bw_names_expected(int syscall);
/* Whether an unclaimed entry exists for (tgid, syscall, a0..a3). */
int bw_names_have(int32_t tgid, int syscall, const uint64_t *args, uint64_t entry_ns);
/* Formats and claims the newest entry for (tgid, syscall): "dirfd=N name=HEX ..."; returns the
 * length, 0 when none. */
size_t bw_names_take(int32_t tgid, int syscall, const uint64_t *args, uint64_t entry_ns, char *out, size_t cap);
/* Drops every unclaimed catch (after audit lost records). */
void bw_names_expire(void);
void bw_names_close(void);
#endif
