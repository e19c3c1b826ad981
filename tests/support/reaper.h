/*
 * Nothing outlives a test: every process a test starts, every tmux server
 * and every temporary directory is handed to a reaper, a small process of
 * its own that holds the other end of a pipe. When the test process ends
 * in any way (a failed assertion, a crash, a Criterion timeout's SIGKILL),
 * the pipe closes and the reaper kills and removes whatever is still
 * registered. It is used instead of PR_SET_PDEATHSIG, which reaches only
 * direct children and so never a tmux server, a process a tmux pane runs,
 * or a directory.
 *
 * The library registers and releases what it makes itself (vt_rig_spawn,
 * vt_rig_stop, vt_rig_tmpdir, vt_rig_rmtree); a test calls these only for
 * what it starts by other means.
 */
#ifndef VT_RIG_REAPER_H
#define VT_RIG_REAPER_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Kill `pid` (SIGKILL) if this process dies first. Its start time is
 * recorded with it, so a number the kernel has handed to a new process
 * since is left alone.
 */
void vt_rig_guard_pid(pid_t pid);
void vt_rig_release_pid(pid_t pid);
/* `tmux -S socket kill-server` if this process dies first. */
void vt_rig_guard_tmux(const char *socket);
void vt_rig_release_tmux(const char *socket);
/* Remove the tree (under /tmp/vt- only) if this process dies first, after the processes. */
void vt_rig_guard_dir(const char *dir);
void vt_rig_release_dir(const char *dir);

/* Make /tmp/vt-TAG-XXXXXX into `dir` and guard it; 0 or -1 (errno). */
int vt_rig_tmpdir(char *dir, size_t len, const char *tag);
/* Remove a tree made by vt_rig_tmpdir (refuses anything outside /tmp/vt-) and release it. */
void vt_rig_rmtree(const char *dir);

#endif
