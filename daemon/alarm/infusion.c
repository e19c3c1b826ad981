/*
 * Infusion session bookkeeping for one bed. See infusion.h for why the
 * baseline is a median; the dose is integrated piecewise, so changing the
 * rate mid-infusion keeps what was already delivered.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/alarm/infusion.h"

void
vt_infusion_init(struct vt_infusion *s)
{
	memset(s, 0, sizeof(*s));
	s->weight_kg = s->rate_mg_per_kg_h = NAN;
	s->within_since = INT64_MIN;
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		s->baseline[p] = NAN;
}

void
vt_infusion_release(struct vt_infusion *s)
{
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		free(s->samples[p]);
		s->samples[p] = NULL;
		s->n_samples[p] = 0;
	}
}

static int
s_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Fix the baseline of every parameter from the samples collected. */
static void
s_fix_baseline(struct vt_infusion *s)
{
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		size_t n = s->n_samples[p];
		if (n == 0)
			continue;
		qsort(s->samples[p], n, sizeof(double), s_cmp_double);
		s->baseline[p] = n % 2 ? s->samples[p][n / 2]
		                       : (s->samples[p][n / 2 - 1] + s->samples[p][n / 2]) / 2.0;
	}
}

/* Bring the dose up to t at the rate in force. */
static void
s_accumulate(struct vt_infusion *s, int64_t t)
{
	if (s->active && s->phase == VT_PHASE_INFUSION && !isnan(s->weight_kg) &&
	    !isnan(s->rate_mg_per_kg_h) && t > s->dose_at)
		s->dose_mg += s->weight_kg * s->rate_mg_per_kg_h * (double)(t - s->dose_at) / 3600000.0;
	s->dose_at = t;
}

void
vt_infusion_set_phase(struct vt_infusion *s, enum vt_phase phase, double weight_kg,
                      double rate_mg_per_kg_h, int64_t t)
{
	s_accumulate(s, t);
	bool fresh = !s->active || (s->phase == VT_PHASE_ENDED && phase != VT_PHASE_ENDED);
	if (fresh) {
		vt_infusion_release(s);
		vt_infusion_init(s);
		s->active = true;
		s->dose_at = t;
	} else if (s->phase == VT_PHASE_BASELINE && phase != VT_PHASE_BASELINE) {
		s_fix_baseline(s);
	} else if (phase == VT_PHASE_BASELINE && s->phase != VT_PHASE_BASELINE) {
		/* Back to baseline mid-session: a new baseline is collected. */
		vt_infusion_release(s);
	}
	if (!isnan(weight_kg))
		s->weight_kg = weight_kg;
	if (!isnan(rate_mg_per_kg_h))
		s->rate_mg_per_kg_h = rate_mg_per_kg_h;
	if (phase != s->phase || fresh)
		s->phase_since = t;
	s->phase = phase;
	s->within = 0;
	s->within_since = INT64_MIN;
	s->back_reported = false;
	s->back_at = 0;
}

static bool
s_within(double v, double base, const struct vt_back_to_baseline *btb)
{
	double band = btb->band_percent ? fabs(base) * btb->band / 100.0 : btb->band;
	return fabs(v - base) <= band;
}

bool
vt_infusion_reading(struct vt_infusion *s, const struct vt_reading *r, vt_param_mask watched,
                    const struct vt_back_to_baseline *btb, int64_t t)
{
	if (!s->active)
		return false;
	if (s->phase == VT_PHASE_BASELINE) {
		for (int p = 0; p < VT_PARAM_COUNT; p++) {
			if (!(r->valid & VT_PARAM_BIT(p)) || s->n_samples[p] >= VT_BASELINE_MAX)
				continue;
			if (s->samples[p] == NULL) {
				s->samples[p] = malloc(VT_BASELINE_MAX * sizeof(double));
				if (s->samples[p] == NULL)
					continue;
			}
			s->samples[p][s->n_samples[p]++] = r->value[p];
		}
		return false;
	}
	if (s->phase != VT_PHASE_RECOVERY || s->back_reported)
		return false;

	vt_param_mask judged = 0;
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		vt_param_mask bit = VT_PARAM_BIT(p);
		if (!(watched & bit) || isnan(s->baseline[p]))
			continue;
		judged |= bit;
		if (!(r->reported & bit))
			continue;
		if ((r->valid & bit) && s_within(r->value[p], s->baseline[p], btb))
			s->within |= bit;
		else
			s->within &= ~bit;
	}
	if (judged == 0 || (s->within & judged) != judged) {
		s->within_since = INT64_MIN;
		return false;
	}
	if (s->within_since == INT64_MIN)
		s->within_since = t;
	if (t - s->within_since < btb->for_ms)
		return false;
	s->back_reported = true;
	s->back_at = t;
	return true;
}

double
vt_infusion_dose(const struct vt_infusion *s, int64_t t)
{
	if (!s->active || isnan(s->weight_kg) || isnan(s->rate_mg_per_kg_h))
		return s->active && s->dose_mg > 0 ? s->dose_mg : NAN;
	double dose = s->dose_mg;
	if (s->phase == VT_PHASE_INFUSION && t > s->dose_at)
		dose += s->weight_kg * s->rate_mg_per_kg_h * (double)(t - s->dose_at) / 3600000.0;
	return dose;
}
