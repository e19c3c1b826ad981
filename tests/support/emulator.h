/*
 * vitals-emulate beside a test, playing a recording as a monitor would:
 * on a pty behind a link (--pty LINK) or on a TCP port (--tcp HOST:PORT),
 * started and waited for until its port is open.
 */
#ifndef VT_RIG_EMULATOR_H
#define VT_RIG_EMULATOR_H

#include "child.h"

/*
 * Start build/vitals-emulate with `args` (its own arguments,
 * NULL-terminated), stderr to `log`, standard output piped. With ready_ms
 * > 0, wait that long for the line it prints once its port is open (the
 * pty's slave path, or the host:port it listens on) into e->line. 0, or -1
 * (it could not start, or was not ready in time: the reason on stderr).
 * Stop it with vt_rig_child_stop(e, SIGTERM, ms): it removes its link.
 */
int vt_rig_emulate(struct vt_rig_child *e, const char *log, const char *const args[],
                   int ready_ms);

#endif
