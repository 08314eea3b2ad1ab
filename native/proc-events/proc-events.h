/* Shared by proc-events.c (proc connector mode, JSON output) and proc-events-bpf.c (BPF mode). */
#ifndef PROC_EVENTS_H
#define PROC_EVENTS_H
#include <stddef.h>

/* Writes s[0..n) as a JSON string, quotes included. */
void json_str(const char *s, size_t n);
/* CLOCK_REALTIME - CLOCK_MONOTONIC, ns (moves kernel monotonic stamps to wall-clock time). */
long long realtime_offset(void);
long long now_ns(void);
/* Runs the BPF mode until stdout closes. Returns -1 when BPF cannot be used (nothing printed
 * yet: the caller falls back to the proc connector), else the exit status. */
int run_bpf(void);

#endif
