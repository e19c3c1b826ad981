/*
 * Infusion sessions: phases, the median baseline, the dose integral and
 * back-to-baseline, with times chosen so the arithmetic can be checked by
 * hand.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "vitals/alarm/infusion.h"

static struct vt_reading
s_reading(double spo2, double pr)
{
	struct vt_reading r = {0};
	if (isnan(spo2))
		vt_reading_set_missing(&r, VT_SPO2);
	else
		vt_reading_set(&r, VT_SPO2, spo2);
	vt_reading_set(&r, VT_PR, pr);
	return r;
}

static const struct vt_back_to_baseline btb = {.band = 10, .band_percent = true, .for_ms = 60000};
#define WATCHED (VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_PR))

Test(infusion, baseline_is_the_median_of_the_baseline_phase)
{
	struct vt_infusion s;
	vt_infusion_init(&s);
	vt_infusion_set_phase(&s, VT_PHASE_BASELINE, 70, NAN, 0);
	double prs[] = {80, 82, 200, 79, 81}; /* one artefact does not move a median */
	for (int i = 0; i < 5; i++) {
		struct vt_reading r = s_reading(i == 2 ? NAN : 97, prs[i]);
		vt_infusion_reading(&s, &r, WATCHED, &btb, i * 1000);
	}
	cr_expect(isnan(s.baseline[VT_PR]), "not fixed during the baseline phase");
	vt_infusion_set_phase(&s, VT_PHASE_INFUSION, NAN, 0.5, 10000);
	cr_expect_eq(s.baseline[VT_PR], 81);
	cr_expect_eq(s.baseline[VT_SPO2], 97, "missing values are not samples");
	cr_expect_eq(s.weight_kg, 70, "weight kept from the earlier command");
	vt_infusion_release(&s);
}

Test(infusion, dose_integrates_rate_times_weight_over_infusion_time)
{
	struct vt_infusion s;
	vt_infusion_init(&s);
	vt_infusion_set_phase(&s, VT_PHASE_BASELINE, 72, NAN, 0);
	cr_expect(isnan(vt_infusion_dose(&s, 1000)), "no rate: dose unknown");
	vt_infusion_set_phase(&s, VT_PHASE_INFUSION, 72, 0.5, 600000);
	/* 72 kg x 0.5 mg/kg/h x 40 min = 24 mg */
	cr_expect_float_eq(vt_infusion_dose(&s, 600000 + 40 * 60000), 24.0, 1e-9);
	/* The rate doubles after 20 min: 12 mg + 24 mg over the next 20 min. */
	vt_infusion_set_phase(&s, VT_PHASE_INFUSION, NAN, 1.0, 600000 + 20 * 60000);
	cr_expect_eq(s.phase_since, 600000, "same phase: time in phase continues");
	cr_expect_float_eq(vt_infusion_dose(&s, 600000 + 40 * 60000), 36.0, 1e-9);
	vt_infusion_set_phase(&s, VT_PHASE_RECOVERY, NAN, NAN, 600000 + 40 * 60000);
	cr_expect_float_eq(vt_infusion_dose(&s, 600000 + 90 * 60000), 36.0, 1e-9,
	                   "no dose during recovery");
	vt_infusion_set_phase(&s, VT_PHASE_ENDED, NAN, NAN, 600000 + 60 * 60000);
	vt_infusion_set_phase(&s, VT_PHASE_BASELINE, 60, NAN, 600000 + 70 * 60000);
	cr_expect(isnan(vt_infusion_dose(&s, 600000 + 71 * 60000)), "a new session starts at zero");
	cr_expect(isnan(s.baseline[VT_PR]));
	vt_infusion_release(&s);
}

Test(infusion, back_to_baseline_once_everything_stays_within_the_band)
{
	struct vt_infusion s;
	vt_infusion_init(&s);
	vt_infusion_set_phase(&s, VT_PHASE_BASELINE, NAN, NAN, 0);
	struct vt_reading r = s_reading(98, 60);
	vt_infusion_reading(&s, &r, WATCHED, &btb, 0);
	vt_infusion_set_phase(&s, VT_PHASE_INFUSION, NAN, NAN, 1000);
	r = s_reading(98, 90);
	cr_expect_not(vt_infusion_reading(&s, &r, WATCHED, &btb, 2000), "not in recovery");
	vt_infusion_set_phase(&s, VT_PHASE_RECOVERY, NAN, NAN, 10000);
	int said = 0;
	int64_t when = 0;
	for (int64_t t = 10000; t <= 200000; t += 1000) {
		/* PR comes down to 65 (within 10 % of 60) at 30 s, dips out once at 50 s. */
		double pr = t < 30000 ? 80 : (t == 50000 ? 70 : 65);
		r = s_reading(97, pr);
		if (vt_infusion_reading(&s, &r, WATCHED, &btb, t)) {
			said++;
			when = t;
		}
	}
	cr_expect_eq(said, 1, "said once");
	cr_expect_eq(when, 51000 + 60000, "60 s after the last time something was outside the band");
	cr_expect_eq(s.back_at, when, "remembered, for the snapshot");
	vt_infusion_set_phase(&s, VT_PHASE_ENDED, NAN, NAN, 300000);
	vt_infusion_set_phase(&s, VT_PHASE_BASELINE, NAN, NAN, 400000);
	cr_expect_eq(s.back_at, 0, "a new session forgets it");
	vt_infusion_release(&s);
}
