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

/*
 * The descriptors `cfg`'s limits can take at once: every connection each
 * publish and control endpoint may hold, a port and a recording for each
 * monitor (and an HL7 listener's connections), and 64 for ZeroMQ, the
 * journal, signals and timers. The daemon checks its descriptor limit
 * against it at start; the unit's LimitNOFILE is set far above it.
 */
long vt_live_descriptors_needed(const struct vt_config *cfg);

#endif
