/* SPDX-License-Identifier: Apache-2.0 */
/* Frame output: frames are appended to one buffer and written to stdout in batches. */
#ifndef BW_OUT_H
#define BW_OUT_H
#include <stddef.h>
#include <stdint.h>
#include "../include/bulwark_abi.h"

uint64_t bw_now_ns(void);
/* Reserves a frame of fixed part `fixed` plus `var` bytes; returns a zeroed pointer to it with
 * hdr.size/op/time_ns set. Flushes first when the buffer would overflow. */
void *bw_frame(uint16_t op, size_t fixed, size_t var);
/* Writes the buffered frames (blocking: a slow reader slows the helper; kernel queues overflow
 * and are reported as gaps, never silently). */
void bw_flush(void);
void bw_log(uint32_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bw_gap(uint32_t cause, uint64_t lost, const char *fs, const char *detail);
extern uint64_t bw_stat_events, bw_stat_suppressed, bw_stat_gaps;
#endif
