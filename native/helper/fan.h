/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_FAN_H
#define BW_FAN_H
/* Creates the fanotify group; returns its fd or -1. */
int bw_fan_open(int unlimited_queue);
/* Adds a FAN_MARK_FILESYSTEM mark on the filesystem holding path (once per filesystem). */
int bw_fan_mark(const char *path);
/* Removes every mark. */
void bw_fan_clear(void);
/* Only events under these prefixes are sent (none = everything). */
void bw_fan_filter_add(const char *prefix);
void bw_fan_filter_clear(void);
/* Reads and emits every queued event (non-blocking). */
void bw_fan_read(void);
/* Housekeeping between poll rounds: (re)fills the directory cache of the watched trees. */
void bw_fan_tick(void);
/* Logs what was read and why events were suppressed (on exit). */
void bw_fan_summary(void);
#endif
