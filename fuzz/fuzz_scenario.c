/*
 * libFuzzer target for scenario files (emulator/scenario*.c): written by
 * hand, shared between people, and read by the emulator and the tests.
 * Each input is parsed twice and, when it is a scenario, played (its first
 * ten minutes, to keep the fuzzer fast) twice with its seed. The fuzzer
 * stops on any crash, sanitizer report, hang, or broken promise:
 *   - a parse returns a scenario or diagnostics, never both, never neither;
 *   - every diagnostic has a message, names the file, points inside the input;
 *   - a scenario that loaded is within its bounds: duration, segments,
 *     targets in their parameter's range, marks in order and in time;
 *   - playing gives a row a second, every value a device could show, the
 *     cuff only on its cycle, and the same rows for the same seed;
 *   - the same input gives the same diagnostics.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_yaml.h"
#include "vitals/emulator/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Played at most this long per input. */
#define PLAY_MS (10 * 60 * 1000)

static void
s_check_scenario(const struct vt_scenario *s)
{
	fuzz_check(s->duration_ms >= 1000 && s->duration_ms <= VT_SCN_MAX_DURATION_MS);
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		const struct vt_scn_trend *t = &s->trend[p];
		const struct vt_param_info *pi = vt_param_info((enum vt_param)p);
		fuzz_check(t->n <= VT_SCN_MAX_SEGMENTS);
		fuzz_check(t->n == 0 || (VT_SCN_DESCRIBED & VT_PARAM_BIT(p)));
		for (size_t i = 0; i < t->n; i++) {
			const struct vt_scn_segment *g = &t->segments[i];
			fuzz_check(g->ms >= 0 && g->ms <= VT_SCN_MAX_DURATION_MS);
			if (g->kind == VT_SCN_RAMP || g->kind == VT_SCN_STEP)
				fuzz_check(g->to >= pi->min && g->to <= pi->max);
			if (g->kind == VT_SCN_OSCILLATE)
				fuzz_check(g->period_ms > 0 && g->amplitude >= 0);
		}
		if (VT_SCN_DESCRIBED & VT_PARAM_BIT(p)) {
			fuzz_check(s->baseline[p] >= pi->min && s->baseline[p] <= pi->max);
			fuzz_check(s->variability[p].amount >= 0);
		}
	}
	fuzz_check(s->device.spo2_averaging_ms >= 1000 && s->device.hr_averaging >= 1);
	fuzz_check(s->device.rr_averaging >= 1 && s->device.apnea_after_ms > 0);
	fuzz_check(s->device.nibp_every_ms == 0 || s->device.nibp_every_ms >= s->device.nibp_takes_ms);
	fuzz_check(s->n_artefacts <= VT_SCN_MAX_ARTEFACTS && s->n_marks <= VT_SCN_MAX_MARKS);
	for (size_t i = 0; i < s->n_artefacts; i++)
		fuzz_check(s->artefacts[i].at_ms < s->duration_ms &&
		        (unsigned)s->artefacts[i].kind < VT_SCN_ARTEFACT_COUNT);
	for (size_t i = 0; i < s->n_marks; i++) {
		fuzz_check(s->marks[i].at_ms < s->duration_ms);
		fuzz_check(i == 0 || s->marks[i].at_ms > s->marks[i - 1].at_ms);
	}
}

static void
s_check_rows(const struct vt_scenario *s, const struct vt_emu_row *a, const struct vt_emu_row *b,
             size_t n)
{
	fuzz_check(n == (size_t)((s->duration_ms + 999) / 1000));
	for (size_t i = 0; i < n; i++) {
		const struct vt_reading *r = &a[i].r;
		fuzz_check(a[i].t_ms == (int64_t)i * 1000 && r->has_status);
		fuzz_check((r->reported & ~VT_SCN_REPORTED) == 0 && (r->valid & ~r->reported) == 0);
		fuzz_check(r->flags < (1u << VT_FLAG_COUNT));
		for (int p = 0; p < VT_PARAM_COUNT; p++) {
			if (!(r->valid & VT_PARAM_BIT(p)))
				continue;
			const struct vt_param_info *pi = vt_param_info((enum vt_param)p);
			fuzz_check(isfinite(r->value[p]) && r->value[p] >= pi->min && r->value[p] <= pi->max);
			fuzz_check(r->value[p] == b[i].r.value[p]);
		}
		fuzz_check(r->valid == b[i].r.valid && r->flags == b[i].r.flags);
		fuzz_check(!(r->valid & VT_PARAM_BIT(VT_SPO2)) || r->value[VT_SPO2] == floor(r->value[VT_SPO2]));
		bool cuff = (r->reported & VT_PARAM_BIT(VT_NIBP_SYS)) != 0;
		fuzz_check(!cuff || (s->device.nibp_every_ms > 0 && a[i].t_ms >= s->device.nibp_first_ms));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vt_diag d1 = {0}, d2 = {0};
	struct vt_scenario *s = vt_scn_parse("fuzz.yaml", (const char *)data, size, &d1);
	fuzz_check((s == NULL) != (d1.count == 0));
	fuzz_yaml_check_diag(&d1, "fuzz.yaml", data, size);
	if (s != NULL) {
		s_check_scenario(s);
		struct vt_scenario short_one = *s;
		if (short_one.duration_ms > PLAY_MS)
			short_one.duration_ms = PLAY_MS;
		struct vt_emu_row *a, *b;
		size_t na, nb;
		fuzz_check(vt_scn_play(&short_one, s->seed, &a, &na) == 0);
		fuzz_check(vt_scn_play(&short_one, s->seed, &b, &nb) == 0 && na == nb);
		s_check_rows(&short_one, a, b, na);
		free(a);
		free(b);
	}
	struct vt_scenario *again = vt_scn_parse("fuzz.yaml", (const char *)data, size, &d2);
	fuzz_check((again == NULL) == (s == NULL));
	fuzz_yaml_same_diag(&d1, &d2);
	vt_scn_free(&again);
	vt_scn_free(&s);
	vt_diag_clear(&d1);
	vt_diag_clear(&d2);
	return 0;
}
