/*
 * The state kept across restarts (docs/reliability.md, "A restart"): what a
 * crash, an upgrade or a power cut must not make the nurses re-enter or
 * re-acknowledge. Per bed: its infusion session (phase and since when,
 * weight, dose rate and dose delivered, the baseline, or the samples a
 * baseline phase has collected so far, back-to-baseline) and the alarms
 * that were active and acknowledged. One JSON document, versioned:
 *
 *   {"format":"vitalsd-state","version":1,"written":"2026-11-21T10:14:03.120Z",
 *    "beds":[{"bed":"chair-1","phase":"infusion","phase_since":"…","weight_kg":72,
 *             "dose_mg_per_kg_h":0.5,"dose_mg":12.4,"dose_at":"…","baseline":{"spo2":97},
 *             "samples":{},"back_at":null,"acknowledged":["spo2-low"]}]}
 *
 * Encoding and decoding are pure; io/statefile.c keeps the file.
 */
#ifndef VITALS_WIRE_STATE_H
#define VITALS_WIRE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "vitals/alarm/infusion.h"

#define VT_STATE_FORMAT "vitalsd-state"
#define VT_STATE_VERSION 1
/* Baseline samples kept per parameter: the most recent ones (an hour at one a second). */
#define VT_STATE_SAMPLES_MAX 3600
/* Acknowledged alarms kept per bed. */
#define VT_STATE_ACKED_MAX 32

/* One bed's state. */
struct vt_state_bed {
	char bed[128];
	struct vt_infusion inf;     /* its session (owns its samples once decoded) */
	char acked[VT_STATE_ACKED_MAX][64]; /* rules (or technical alarms) acknowledged and active */
	size_t n_acked;
};

/* The document for `beds` written at t (malloc'd), or NULL if memory ran out. */
char *vt_state_encode(const struct vt_state_bed *beds, size_t n, int64_t t);

/*
 * Read a document: the beds into *beds (malloc'd, n of them; release each
 * one's infusion, then free), when it was written into *written. 0, or -1
 * with err: not JSON, not a vitalsd state, a version this one does not
 * know, or a member that is not what it must be.
 */
int vt_state_decode(const char *text, size_t len, struct vt_state_bed **beds, size_t *n,
                    int64_t *written, char *err, size_t errlen);

/* Free what vt_state_decode made. */
void vt_state_beds_free(struct vt_state_bed **beds, size_t n);

#endif
