/*
 * What the kernel says about a process (CPU, memory, wake-ups,
 * descriptors) and the figures benchmarks print from it: the fault tests
 * hold the daemon to bounds with these, the benchmarks report them.
 */
#ifndef VT_RIG_ACCOUNTS_H
#define VT_RIG_ACCOUNTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vt_rig_proc {
	uint64_t cpu_ticks;      /* utime + stime, clock ticks */
	long rss_kb;             /* VmRSS */
	long hwm_kb;             /* VmHWM: peak RSS */
	long vol_ctxt;           /* voluntary context switches: wake-ups from sleep */
	long invol_ctxt;         /* involuntary ones (preempted) */
	int fds;                 /* open descriptors */
};
/* Read /proc/PID/{stat,status,fd}; 0 or -1. */
int vt_rig_proc(pid_t pid, struct vt_rig_proc *out);
/* Seconds per clock tick of cpu_ticks. */
double vt_rig_tick_s(void);
/* Bytes the kernel holds unsent on the established TCP (IPv4) connections from local `port`. */
long vt_rig_tcp_unsent(int port);

/* Sort v and give its 50th and 99th percentiles (nearest rank) and maximum. */
void vt_rig_percentiles(double *v, size_t n, double *p50, double *p99, double *max);
/* The machine, for reports: "N x MODEL". */
const char *vt_rig_machine(void);

#endif
