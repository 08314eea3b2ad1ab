/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_AUDIT_H
#define BW_AUDIT_H
#include <stdint.h>
/* Opens the read-only multicast listener (and enables audit when off, remembering to restore
 * it). Returns the multicast fd, or -1. */
int bw_audit_open(void);
/* Reads every pending record (non-blocking), joins them by serial, emits complete events. */
void bw_audit_read(void);
/* Emits events whose records stopped arriving (called every poll round). */
void bw_audit_tick(void);
/* Polls the kernel's audit status: `lost` increments become gaps; returns the status frame data. */
void bw_audit_status(uint32_t *enabled, uint64_t *lost, uint32_t *backlog);
/* Restores the audit enabled state if this helper changed it. Idempotent. */
void bw_audit_close(void);
/* Reads the lost counter every 50 ms while Landlock events arrive. */
void bw_audit_poll_lost(void);
/* Probe: reads the audit status without changing anything. Returns 0 on success. */
int bw_audit_get(uint32_t *enabled, uint32_t *pid, uint64_t *lost, uint32_t *backlog_limit);
extern int bw_audit_enabled_by_us;
#endif
