/*
 * tmux on a private server socket: a real terminal for tests of full-screen
 * programs and of scripts that must end with their terminal. Whoever
 * starts a server guards it (vt_rig_guard_tmux).
 */
#ifndef VT_RIG_TMUX_H
#define VT_RIG_TMUX_H

#include "run.h"

/* tmux's path from PATH, or NULL when it is not installed. */
const char *vt_rig_tmux_path(void);

/* Run tmux -S sock with the NULL-terminated arguments: its exit status (r filled in), or -1. */
int vt_rig_tmux(const char *sock, struct vt_rig_output *r, ...);

/* The PID of the process in the first pane of the server at `sock`, or -1. */
long vt_rig_tmux_pane_pid(const char *sock);

#endif
