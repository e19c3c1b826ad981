/*
 * Live mode: the event loop that runs the daemon against real ports and
 * sockets until SIGTERM. It takes ownership of `cfg` (a reload replaces it).
 */
#ifndef VITALS_LIVE_H
#define VITALS_LIVE_H

#include <stdbool.h>

#include "vitals/config/config.h"

/* Run until told to stop; returns the process exit code. */
int vt_live_run(const char *config_path, struct vt_config *cfg, bool verbose);

#endif
