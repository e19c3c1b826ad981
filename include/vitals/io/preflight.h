/*
 * What a configuration names outside itself, checked before it is used, so
 * that `vitalsd -n` saying OK means the daemon will start with it:
 *
 *  - CURVE: the daemon's key file and every allowed client's .pub must be
 *    regular files, readable and well-formed;
 *  - ipc:// endpoints: the path must not be an existing file that is not a
 *    socket (ZeroMQ deletes whatever is there before it binds), nor a
 *    socket another process is listening on, and its directory must exist;
 *  - the state file's directory must be writable (a warning: the daemon
 *    runs without it, but infusion sessions will not survive a restart).
 *
 * Problems are FILE:LINE:COLUMN entries at the value that names the file
 * (a warning's message starts with "warning: ").
 */
#ifndef VITALS_IO_PREFLIGHT_H
#define VITALS_IO_PREFLIGHT_H

#include <stdbool.h>

#include "vitals/base/diag.h"
#include "vitals/config/config.h"

enum vt_preflight_part {
	VT_PREFLIGHT_KEYS = 1,      /* the CURVE key files */
	VT_PREFLIGHT_ENDPOINTS = 2, /* ipc:// paths */
	VT_PREFLIGHT_STATE = 4,     /* the state file's directory */
	VT_PREFLIGHT_ALL = 7
};

/*
 * Check the `parts` of cfg; errors into `errors`, what the daemon survives
 * into `warnings` (may be NULL). `starting`: the daemon is about to bind,
 * so an ipc:// socket another process listens on is an error (for -n, run
 * beside the daemon it checks, a warning).
 */
void vt_preflight(const struct vt_config *cfg, unsigned parts, bool starting,
                  struct vt_diag *errors, struct vt_diag *warnings);

#endif
