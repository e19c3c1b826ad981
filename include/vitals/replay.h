/*
 * Offline replay (docs/recording.md): recordings through the whole pipeline in
 * virtual time, every message that would be published written to a stream
 * as JSON Lines. Deterministic: identical inputs give identical bytes.
 */
#ifndef VITALS_REPLAY_H
#define VITALS_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vitals/base/sample.h"
#include "vitals/config/config.h"
#include "vitals/core.h"

/* A phase change applied during replay: --phase BED@SECONDS=PHASE[:KG[:MG_PER_KG_H]]. */
struct vt_replay_phase {
	int bed;
	int64_t t_ms;          /* since the clock start */
	enum vt_phase phase;
	double weight_kg;      /* NAN: unchanged */
	double dose_mg_per_kg_h;
};

/*
 * Parse a --phase argument against `cfg`. 0, or -1 with a message in err.
 */
int vt_replay_parse_phase(const struct vt_config *cfg, const char *arg,
                          struct vt_replay_phase *out, char *err, size_t errlen);

/*
 * Replay `specs` ("BED=RECORDING") against `cfg`, applying `phases` at
 * their times. A bed named in several specs of session files plays them
 * one after another (a recording the recorder rotated), in that order. Virtual time starts at *clock_start (ms since the epoch);
 * NULL means the default: 1970 for CSV and raw captures, the recorded time
 * for session files. Messages go to `out`, errors to `err`. Returns a
 * sysexits(3) code: 0, EX_USAGE for a bad spec, EX_NOINPUT for a missing
 * file, EX_DATAERR for a bad recording, EX_IOERR if `out` failed. On any
 * input error nothing is written to `out`.
 */
int vt_replay_run(const struct vt_config *cfg, char *const *specs, size_t n_specs,
                  const struct vt_replay_phase *phases, size_t n_phases,
                  const int64_t *clock_start, FILE *out, FILE *err);

/*
 * Where a replay's output goes when a program rather than a stream takes
 * it (vitals-evaluate): every message exactly as vt_replay_run would write
 * it, and, when `reading` is set, every reading of a bed just before the
 * core gets it, so the caller judges the same samples the engine judged.
 */
struct vt_replay_sink {
	vt_publish_fn message; /* every message, in seq order (JSON with its topic member) */
	void (*reading)(void *ctx, int bed, int64_t t, const struct vt_reading *r); /* or NULL */
	void *ctx;
};

/* vt_replay_run with the output going to `sink`; the same codes but EX_IOERR. */
int vt_replay_run_sink(const struct vt_config *cfg, char *const *specs, size_t n_specs,
                       const struct vt_replay_phase *phases, size_t n_phases,
                       const int64_t *clock_start, const struct vt_replay_sink *sink, FILE *err);

#endif
