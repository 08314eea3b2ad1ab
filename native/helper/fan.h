/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_FAN_H
#define BW_FAN_H
/* Creates the fanotify group; returns its fd or -1. */
int bw_fan_open(int unlimited_queue);
/* Adds a FAN_MARK_FILESYSTEM mark on the filesystem holding path (once per filesystem). */
int bw_fan_mark(const char *path);
/* Flags every mark as stale; bw_fan_mark keeps a stale one, bw_fan_prune removes the rest. */
void bw_fan_clear(void);
void bw_fan_prune(void);
/* Only events under these prefixes are sent (none = everything). */
void bw_fan_filter_add(const char *prefix);
void bw_fan_filter_clear(void);
/* Reads and emits every queued event (non-blocking). Returns 1 when it read events and left
 * the queue empty (the caller then rests, BW_FAN_REST_US), 0 when there was nothing to read. */
int bw_fan_read(void);
/*
 * After a read that emptied the queue, the helper leaves the fanotify fd out of its poll for this
 * long. Events queued meanwhile then wake nobody: a reader asleep on the group's wait queue is
 * woken (a cross-CPU wake-up and a context switch, paid on the writer's CPU) by every event, and
 * reads them one at a time. Resting lets a burst build up, so it is read in large batches, and the
 * kernel merges the events of one object while they wait (CREATE + MODIFY + CLOSE_WRITE of a new
 * file become one event). Cost: an event may wait this long before it is read, on top of the
 * processing; an idle helper (nothing read in its last round) still wakes on the first event.
 * At 1 ms and the default 16,384-event queue, a writer would need 16M events/s to overflow it
 * during a rest.
 */
#ifndef BW_FAN_REST_US
#define BW_FAN_REST_US 1000
#endif
/* Housekeeping between poll rounds: (re)fills the directory cache of the watched trees. */
void bw_fan_tick(void);
/* Logs what was read and why events were suppressed (on exit). */
void bw_fan_summary(void);
#endif
