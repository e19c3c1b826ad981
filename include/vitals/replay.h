/*
 * Offline replay (DESIGN §6): recordings through the whole pipeline in
 * virtual time, every message that would be published written to a stream
 * as JSON Lines. Deterministic: identical inputs give identical bytes.
 */
#ifndef VITALS_REPLAY_H
#define VITALS_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vitals/config.h"

/*
 * Replay `specs` ("BED=RECORDING") against `cfg`. Virtual time starts at
 * *clock_start (ms since the epoch); NULL means the default: 1970 for CSV
 * and raw captures, the recorded time for session files. Messages go to `out`, errors to
 * `err`. Returns a sysexits(3) code: 0, EX_USAGE for a bad spec, EX_NOINPUT
 * for a missing file, EX_DATAERR for a bad recording, EX_IOERR if `out`
 * failed. On any input error nothing is written to `out`.
 */
int vt_replay_run(const struct vt_config *cfg, char *const *specs, size_t n_specs,
                  const int64_t *clock_start, FILE *out, FILE *err);

#endif
