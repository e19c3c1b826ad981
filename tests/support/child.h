/*
 * Processes a test starts and keeps running beside it (the daemon, an
 * emulator, a console): started with stdin from /dev/null and their output
 * in log files, handed to the reaper (reaper.h) at once, and stopped with
 * a signal and a deadline before SIGKILL. A child whose standard output is
 * a pipe can be read line by line against a deadline.
 *
 * Exit statuses are as a shell shows them: the exit code, or 128+signal.
 */
#ifndef VT_RIG_CHILD_H
#define VT_RIG_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Start argv[0] with stdin from /dev/null and stdout, stderr appended to
 * the given files (NULL: /dev/null), guarded by the reaper. The pid, or -1.
 */
pid_t vt_rig_spawn(char *const argv[], const char *out_path, const char *err_path);
/* Wait up to timeout_ms for a child to exit; reaped and released. Its status, or -1. */
int vt_rig_wait(pid_t pid, int timeout_ms);
/* Send `sig`, wait up to timeout_ms, then SIGKILL; reaped and released. Its status, or -1. */
int vt_rig_stop(pid_t pid, int sig, int timeout_ms);

/* A child with its log and, if asked for, its standard output on a pipe. */
struct vt_rig_child {
	const char *name;   /* for messages */
	pid_t pid;          /* 0 when not running */
	int status;         /* its status once reaped, else -1 */
	int out;            /* read end of its standard output, or -1 */
	char log[320];      /* its stderr (and stdout when not piped) */
	char line[1024];    /* the last line read from its standard output */
	char buf[4096];     /* standard output not yet split into lines */
	size_t blen;
};

/* Start argv as vt_rig_spawn does, stderr to `log`, stdout to a pipe when `pipe_out`. 0 or -1. */
int vt_rig_child_start(struct vt_rig_child *c, const char *name, char *const argv[],
                       const char *log, bool pipe_out);
/* The next line of its standard output into c->line; false at the deadline or its end. */
bool vt_rig_child_line(struct vt_rig_child *c, int timeout_ms);
/* Reap it if it has exited; true if it is no longer running. */
bool vt_rig_child_exited(struct vt_rig_child *c);
/* Wait up to timeout_ms for it to exit; its status, or -1 if it did not. */
int vt_rig_child_wait(struct vt_rig_child *c, int timeout_ms);
/* Send `sig`, wait up to timeout_ms, then SIGKILL; close its pipe. Its status (-1: never started). */
int vt_rig_child_stop(struct vt_rig_child *c, int sig, int timeout_ms);

#endif
