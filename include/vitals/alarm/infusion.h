/*
 * Infusion sessions: where each patient is in the infusion (baseline,
 * infusion, recovery, ended), the cumulative dose, the pre-infusion
 * baseline of every parameter, and whether the patient is back to that
 * baseline during recovery. Pure: time is an argument.
 *
 * Ketamine raises heart rate and blood pressure with a peak near the end
 * of a 40-minute infusion, so alarm limits relative to the patient's own
 * baseline catch what absolute limits miss, and the baseline must be the
 * patient's resting state: the median over the baseline phase, which a
 * cough or a moving finger cannot drag.
 */
#ifndef VITALS_INFUSION_H
#define VITALS_INFUSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/sample.h"
#include "vitals/config/config.h"

/* Baseline samples kept per parameter (three hours at one a second). */
#define VT_BASELINE_MAX 10800

struct vt_infusion {
	bool active;                 /* a session exists (a phase was ever set) */
	enum vt_phase phase;         /* current phase (when active) */
	int64_t phase_since;         /* when it began */
	double weight_kg;            /* NAN if not given */
	double rate_mg_per_kg_h;     /* NAN if not given */
	double dose_mg;              /* delivered up to dose_at */
	int64_t dose_at;             /* time dose_mg refers to */
	double *samples[VT_PARAM_COUNT]; /* baseline-phase values */
	size_t n_samples[VT_PARAM_COUNT];
	double baseline[VT_PARAM_COUNT]; /* NAN where none */
	vt_param_mask within;        /* parameters last seen within the band */
	int64_t within_since;        /* since when all were within; INT64_MIN: not */
	bool back_reported;          /* back-to-baseline already said this recovery */
	int64_t back_at;             /* when it was said; 0: not this recovery */
};

/* Criteria for back-to-baseline. */
struct vt_back_to_baseline {
	double band;         /* how far from baseline counts as "back" */
	bool band_percent;   /* band is a percentage of the baseline */
	int64_t for_ms;      /* how long every parameter must stay within */
};

void vt_infusion_init(struct vt_infusion *s);
void vt_infusion_release(struct vt_infusion *s);

/*
 * Enter `phase` at t. weight / rate (NAN: keep the previous) update the
 * dose calculation from t on. Entering baseline from no session or from
 * `ended` starts a new session; leaving baseline fixes the baseline.
 */
void vt_infusion_set_phase(struct vt_infusion *s, enum vt_phase phase, double weight_kg,
                           double rate_mg_per_kg_h, int64_t t);

/*
 * A reading at t. Collects baseline values; in recovery, returns true once
 * when every parameter in `watched` that has a baseline has stayed within
 * the band for the configured time.
 */
bool vt_infusion_reading(struct vt_infusion *s, const struct vt_reading *r, vt_param_mask watched,
                         const struct vt_back_to_baseline *btb, int64_t t);

/* Dose delivered up to t, mg (NAN when weight or rate was never given). */
double vt_infusion_dose(const struct vt_infusion *s, int64_t t);

#endif
