/*
 * Scenarios (emulator/scenario*.c, docs/scenarios.md): the file read into
 * exactly what it says, every mistake located as FILE:LINE:COLUMN, and the
 * patient played out deterministically with the monitor's ways of
 * reporting: averaging, whole percent, cuff cycles, breath by breath, and
 * each artefact. Then vitals-emulate --scenario as a user runs it.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "vitals/emulator/scenario.h"

/* Parse `text`, expecting success. */
static struct vt_scenario *
s_parse(const char *text)
{
	struct vt_diag d = {0};
	struct vt_scenario *s = vt_scn_parse("f.yaml", text, strlen(text), &d);
	if (s == NULL)
		vt_diag_print(&d, stderr);
	cr_assert_not_null(s, "the scenario did not parse (see above)");
	vt_diag_clear(&d);
	return s;
}

/* Play `s` with its seed; the rows. */
static struct vt_emu_row *
s_play(const struct vt_scenario *s, size_t *n)
{
	struct vt_emu_row *rows;
	cr_assert_eq(vt_scn_play(s, s->seed, &rows, n), 0);
	cr_assert_eq(*n, (size_t)((s->duration_ms + 999) / 1000));
	return rows;
}

static bool
s_has(const struct vt_emu_row *row, enum vt_param p)
{
	return (row->r.reported & row->r.valid & VT_PARAM_BIT(p)) != 0;
}

static double
s_val(const struct vt_emu_row *row, enum vt_param p)
{
	return s_has(row, p) ? row->r.value[p] : NAN;
}

/* A scenario without variability, so that its rows follow the course. */
#define EXACT "variability: {spo2: 0, hr: 0, pi: 0, rr: 0, etco2: 0, nibp_sys: 0, nibp_dia: 0, " \
              "temp: 0, beat: 0%, breath: 0%}\n"

/* ---- reading the file ------------------------------------------------------------ */

Test(scenario_file, every_construct_is_read_as_written)
{
	struct vt_scenario *s = s_parse(
	    "duration: 10m\n"
	    "seed: 42\n"
	    "baseline: {spo2: 96, hr: 80, nibp_sys: 130, nibp_dia: 80}\n"
	    "trends:\n"
	    "  hr:\n"
	    "    - hold: 1m\n"
	    "    - ramp: +20%\n"
	    "      over: 2m\n"
	    "    - step: -5\n"
	    "    - oscillate: 4\n"
	    "      period: 30s\n"
	    "      for: 1m\n"
	    "    - ramp: baseline\n"
	    "      over: 90s\n"
	    "  spo2:\n"
	    "    - step: 88\n"
	    "variability: {hr: 10%, beat: 5%}\n"
	    "device: {spo2_averaging: 4s, hr_averaging: 12, nibp_every: 2m, nibp_first: 30s}\n"
	    "artefacts:\n"
	    "  - {kind: probe-off, at: 2m, for: 30s}\n"
	    "  - {kind: motion, at: 4m, for: 10s}\n"
	    "  - {kind: low-perfusion, at: 5m, for: 1m, depth: 0.4}\n"
	    "  - {kind: cuff-failure, at: 6m}\n"
	    "  - {kind: leads-off, at: 7m, for: 20s}\n"
	    "phases:\n"
	    "  - {at: 0s, phase: baseline}\n"
	    "  - {at: 3m, phase: infusion, weight_kg: 70, dose_mg_per_kg_h: 0.5}\n");
	cr_expect_eq(s->duration_ms, 600000);
	cr_expect_eq(s->seed, 42);
	cr_expect_eq(s->baseline[VT_SPO2], 96);
	cr_expect_eq(s->baseline[VT_PI], 3, "a default");
	const struct vt_scn_trend *hr = &s->trend[VT_HR];
	cr_assert_eq(hr->n, 5);
	cr_expect_eq(hr->segments[0].kind, VT_SCN_HOLD);
	cr_expect_eq(hr->segments[0].ms, 60000);
	cr_expect_eq(hr->segments[1].kind, VT_SCN_RAMP);
	cr_expect_float_eq(hr->segments[1].to, 96, 1e-9, "+20%% of 80");
	cr_expect_eq(hr->segments[1].ms, 120000);
	cr_expect_eq(hr->segments[2].kind, VT_SCN_STEP);
	cr_expect_eq(hr->segments[2].to, 75, "a change is from the baseline");
	cr_expect_eq(hr->segments[3].kind, VT_SCN_OSCILLATE);
	cr_expect_eq(hr->segments[3].amplitude, 4);
	cr_expect_eq(hr->segments[3].period_ms, 30000);
	cr_expect_eq(hr->segments[3].ms, 60000);
	cr_expect_eq(hr->segments[4].to, 80);
	cr_expect_eq(s->trend[VT_SPO2].segments[0].to, 88);
	cr_expect(s->variability[VT_HR].percent);
	cr_expect_eq(s->variability[VT_HR].amount, 10);
	cr_expect_eq(s->variability[VT_SPO2].amount, 0.5, "a default");
	cr_expect_eq(s->beat_variability, 5);
	cr_expect_eq(s->breath_variability, 10, "a default");
	cr_expect_eq(s->device.spo2_averaging_ms, 4000);
	cr_expect_eq(s->device.hr_averaging, 12);
	cr_expect_eq(s->device.rr_averaging, 4, "a default");
	cr_expect_eq(s->device.nibp_every_ms, 120000);
	cr_expect_eq(s->device.nibp_first_ms, 30000);
	cr_expect_eq(s->device.nibp_takes_ms, 40000, "a default");
	cr_expect_eq(s->device.apnea_after_ms, 20000, "a default");
	cr_assert_eq(s->n_artefacts, 5);
	cr_expect_eq(s->artefacts[1].kind, VT_SCN_MOTION);
	cr_expect_eq(s->artefacts[1].depth, 8, "motion's default dip");
	cr_expect_eq(s->artefacts[2].depth, 0.4);
	cr_expect_eq(s->artefacts[3].kind, VT_SCN_CUFF_FAILURE);
	cr_expect_eq(s->artefacts[3].for_ms, 0);
	cr_assert_eq(s->n_marks, 2);
	cr_expect_eq(s->marks[1].phase, VT_PHASE_INFUSION);
	cr_expect_eq(s->marks[1].at_ms, 180000);
	cr_expect_eq(s->marks[1].weight_kg, 70);
	cr_expect_eq(s->marks[1].dose_mg_per_kg_h, 0.5);
	/* The course: the segments one after the other. */
	cr_expect_float_eq(vt_scn_course(s, VT_HR, 30000), 80, 1e-9);
	cr_expect_float_eq(vt_scn_course(s, VT_HR, 120000), 88, 1e-9, "half way up the ramp");
	cr_expect_float_eq(vt_scn_course(s, VT_HR, 180000), 75, 1e-9, "the step at the ramp's end");
	cr_expect_float_eq(vt_scn_course(s, VT_HR, 187500), 79, 1e-9, "a quarter of a swing");
	cr_expect_float_eq(vt_scn_course(s, VT_HR, 240000 + 45000), 77.5, 1e-9);
	cr_expect_float_eq(vt_scn_course(s, VT_HR, 599000), 80, 1e-9, "back at the baseline");
	cr_expect_float_eq(vt_scn_course(s, VT_PR, 120000), 88, 1e-9, "the pulse is the heart's");
	cr_expect_float_eq(vt_scn_course(s, VT_NIBP_MAP, 0), 80 + 50.0 / 3, 1e-9);
	vt_scn_free(&s);
	cr_expect_null(s);
}

struct bad_case {
	const char *name;
	const char *text;
	const char *want[6]; /* every diagnostic, in order */
};

#define D "duration: 5m\n"
#define KINDS "probe-off, motion, low-perfusion, cuff-failure or leads-off"

static const struct bad_case bad_cases[] = {
    {"empty file", "", {"f.yaml:1:1: missing required key \"duration\""}},
    {"not a mapping", "- duration\n",
     {"f.yaml:1:1: expected a scenario (a mapping with duration, baseline, trends, ...), got a "
      "list"}},
    {"duration too long", "duration: 25h\n",
     {"f.yaml:1:11: duration: expected a duration from 1 s to 24 h, got \"25h\""}},
    {"duration without a unit", "duration: 300\n",
     {"f.yaml:1:11: duration: a duration needs a unit: ms, s, m or h (for example 15s), got \"300\""}},
    {"misspelt section", D "baselin: {spo2: 97}\n",
     {"f.yaml:2:1: unknown key \"baselin\"; did you mean \"baseline\"?"}},
    {"a value out of range", D "baseline: {spo2: 101, hr: fast}\n",
     {"f.yaml:2:18: baseline.spo2: expected a value of spo2 from 0 to 100 %, got \"101\"",
      "f.yaml:2:27: baseline.hr: expected a value of hr from 0 to 350 bpm, got \"fast\""}},
    {"pr is not described", D "baseline: {pr: 70}\n",
     {"f.yaml:2:16: baseline.pr: pr is the pulse the oximeter counts from the heart's beats: "
      "describe the heart rate as hr"}},
    {"nibp_map is not described", D "trends:\n  nibp_map: [{hold: 1m}]\n",
     {"f.yaml:3:13: trends.nibp_map: nibp_map is what the cuff computes from nibp_sys and "
      "nibp_dia: describe those"}},
    {"a parameter no scenario has", D "trends:\n  spco: []\n",
     {"f.yaml:3:3: trends: unknown key \"spco\"; expected one of: spo2, hr, pi, rr, etco2, "
      "nibp_sys, nibp_dia, temp, pr, nibp_map"}},
    {"a segment of two kinds", D "trends:\n  hr:\n    - hold: 1m\n      step: 60\n",
     {"f.yaml:5:7: trends.hr[0].step: a segment is one of hold, ramp, step or oscillate; this one "
      "is already a hold"}},
    {"a segment of no kind", D "trends:\n  hr:\n    - over: 1m\n",
     {"f.yaml:4:7: trends.hr[0]: a segment needs one of hold, ramp, step or oscillate"}},
    {"a ramp without its time", D "trends:\n  hr: [{ramp: 60}]\n",
     {"f.yaml:3:8: trends.hr[0]: a segment with ramp needs \"over\""}},
    {"an oscillation needs period and for", D "trends:\n  hr: [{oscillate: 3, over: 1m}]\n",
     {"f.yaml:3:8: trends.hr[0]: a segment with oscillate needs \"period\"",
      "f.yaml:3:8: trends.hr[0]: a segment with oscillate needs \"for\"",
      "f.yaml:3:23: trends.hr[0].over: only a segment with ramp takes over"}},
    {"a target from the baseline out of range", D "trends:\n  spo2: [{ramp: +5%, over: 1m}]\n",
     {"f.yaml:3:17: trends.spo2[0].ramp: 102.9 is outside the range of spo2 (0 to 100 %) (from "
      "the baseline)"}},
    {"a target that is no value", D "trends:\n  hr: [{step: 88%}, {step: low}, {step: +x}]\n",
     {"f.yaml:3:15: trends.hr[0].step: expected a value such as 88, a change such as +12, -5 or "
      "+30%, or baseline, got \"88%\"",
      "f.yaml:3:28: trends.hr[1].step: expected a value such as 88, a change such as +12, -5 or "
      "+30%, or baseline, got \"low\"",
      "f.yaml:3:41: trends.hr[2].step: expected a value such as 88, a change such as +12, -5 or "
      "+30%, or baseline, got \"+x\""}},
    {"a swing wider than the range", D "trends:\n  spo2: [{oscillate: 60, period: 1m, for: 1m}]\n",
     {"f.yaml:3:22: trends.spo2[0].oscillate: 60 is more than half the range of spo2 (0 to 100 "
      "%)"}},
    {"a trend that is not a list", D "trends:\n  hr: 60\n",
     {"f.yaml:3:7: trends.hr: expected a list of segments, got \"60\""}},
    {"variability out of bounds", D "variability: {hr: 90, pi: 60%, beat: 3}\n",
     {"f.yaml:2:19: variability.hr: expected a standard deviation from 0 to 87.5 bpm, or a "
      "percentage of the value from 0% to 50%, got \"90\"",
      "f.yaml:2:27: variability.pi: expected a standard deviation from 0 to 25 %, or a percentage "
      "of the value from 0% to 50%, got \"60%\"",
      "f.yaml:2:38: variability.beat: expected a percentage of the beat interval from 0% to 30%, "
      "got \"3\""}},
    {"device settings out of bounds", D "device: {spo2_averaging: 40s, hr_averaging: 2.5}\n",
     {"f.yaml:2:26: device.spo2_averaging: expected a duration from 1 s to 30 s, got \"40s\"",
      "f.yaml:2:45: device.hr_averaging: expected a whole number from 1 to 32, got \"2.5\""}},
    {"a cuff faster than its measurement", D "device: {nibp_every: 30s}\n",
     {"f.yaml:2:9: device: a cuff measurement every 30 s cannot take 40 s; expected nibp_every "
      "of at least nibp_takes, or 0s for none"}},
    {"artefacts", D "artefacts:\n  - {kind: probe-of, at: 1m}\n  - {kind: probe-off, at: 1m}\n"
                    "  - {kind: leads-off, at: 1m, for: 10s, depth: 3}\n"
                    "  - {kind: motion, at: 6m, for: 5s, depth: 6}\n",
     {"f.yaml:3:12: artefacts[0].kind: expected " KINDS ", got \"probe-of\"",
      "f.yaml:4:5: artefacts[1]: probe-off needs \"for\" (how long it lasts)",
      "f.yaml:5:41: artefacts[2].depth: only motion (the SpO2 dip) and low-perfusion (the PI "
      "reached) take a depth",
      "f.yaml:6:24: artefacts[3].at: after the end of the scenario (duration 5 min)"}},
    {"a motion dip too deep", D "artefacts: [{kind: motion, at: 1m, for: 5s, depth: 60}]\n",
     {"f.yaml:2:52: artefacts[0].depth: expected a dip of SpO2 above 0 and up to 50 %, got 60"}},
    {"marks", D "phases:\n  - {at: 2m, phase: infusion, dose_mg_per_kg_h: 0.5}\n"
                "  - {at: 1m, phase: recovery}\n  - {at: 9m, phase: ended}\n"
                "  - {at: 4m, phase: sleeping}\n",
     {"f.yaml:3:31: phases[0].dose_mg_per_kg_h: a dose needs the patient's weight_kg beside it",
      "f.yaml:4:10: phases[1].at: marks go in time order; this one is not after phases[0]",
      "f.yaml:5:10: phases[2].at: after the end of the scenario (duration 5 min)",
      "f.yaml:6:10: phases[3].at: marks go in time order; this one is not after phases[2]",
      "f.yaml:6:21: phases[3].phase: expected baseline, infusion, recovery or ended, got "
      "\"sleeping\""}},
    {"a seed that is no number", D "seed: -1\n",
     {"f.yaml:2:7: seed: expected a whole number such as 7, got \"-1\""}},
    {"a second document", D "---\nduration: 1m\n",
     {"f.yaml:2:1: the file holds one YAML document; this is a second one"}},
    {"yaml syntax", D "trends:\n\thr: []\n",
     {"f.yaml:3:1: syntax error: found a tab; YAML indents with spaces, not tabs"}},
};

Test(scenario_file, every_mistake_is_located)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct vt_diag d = {0};
		struct vt_scenario *s = vt_scn_parse("f.yaml", c->text, strlen(c->text), &d);
		cr_expect_null(s, "%s: parsed", c->name);
		vt_scn_free(&s);
		size_t want = 0;
		while (want < 6 && c->want[want])
			want++;
		cr_expect_eq(d.count, want, "%s: %zu diagnostics, want %zu", c->name, d.count, want);
		for (size_t k = 0; k < d.count && k < want; k++) {
			char got[1024];
			vt_diag_format(&d.entries[k], got, sizeof(got));
			cr_expect_str_eq(got, c->want[k], "%s: got %s", c->name, got);
		}
		vt_diag_clear(&d);
	}
}

Test(scenario_file, bounds)
{
	/* One segment too many: said, and only the first ones are read. */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	fprintf(f, "duration: 1m\ntrends:\n  hr:\n");
	for (int i = 0; i <= VT_SCN_MAX_SEGMENTS; i++)
		fprintf(f, "    - hold: 1s\n");
	fclose(f);
	struct vt_diag d = {0};
	cr_expect_null(vt_scn_parse("f.yaml", text, len, &d));
	cr_assert_eq(d.count, 1);
	cr_expect_str_eq(d.entries[0].message, "trends.hr: 65 entries; at most 64 are supported");
	vt_diag_clear(&d);
	free(text);
	/* A file past the size bound is not parsed at all. */
	size_t big = VT_SCN_MAX_BYTES + 1;
	char *huge = malloc(big);
	memset(huge, '#', big);
	cr_expect_null(vt_scn_parse("f.yaml", huge, big, &d));
	cr_assert_eq(d.count, 1);
	cr_expect(strstr(d.entries[0].message, "too large") == d.entries[0].message);
	vt_diag_clear(&d);
	free(huge);
	cr_expect_null(vt_scn_load("/nonexistent/s.yaml", &d));
	cr_assert_eq(d.count, 1);
	cr_expect_str_eq(d.entries[0].message, "cannot read: No such file or directory");
	vt_diag_clear(&d);
}

/* ---- playing it ------------------------------------------------------------------------ */

Test(scenario_play, the_same_seed_gives_the_same_patient)
{
	struct vt_scenario *s = s_parse("duration: 10m\nseed: 9\n"
	                                "artefacts: [{kind: motion, at: 2m, for: 20s}]\n");
	size_t n, m, k;
	struct vt_emu_row *a = s_play(s, &n), *b = s_play(s, &m), *c;
	cr_assert_eq(vt_scn_play(s, 10, &c, &k), 0);
	cr_assert_eq(n, m);
	size_t differ = 0;
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(a[i].t_ms, (int64_t)i * 1000);
		cr_assert_eq(a[i].r.valid, b[i].r.valid, "row %zu", i);
		cr_assert_eq(a[i].r.flags, b[i].r.flags, "row %zu", i);
		for (int p = 0; p < VT_PARAM_COUNT; p++)
			if (s_has(&a[i], (enum vt_param)p))
				cr_assert_eq(a[i].r.value[p], b[i].r.value[p], "row %zu, %s", i,
				             vt_param_info((enum vt_param)p)->name);
		differ += a[i].r.value[VT_HR] != c[i].r.value[VT_HR];
	}
	cr_expect_gt(differ, n / 4, "another seed is another patient (%zu rows differ)", differ);
	free(a);
	free(b);
	free(c);
	vt_scn_free(&s);
}

Test(scenario_play, without_variability_the_rows_follow_the_course)
{
	struct vt_scenario *s = s_parse("duration: 3m\n" EXACT
	                                "device: {spo2_averaging: 1s}\n"
	                                "trends:\n"
	                                "  spo2: [{hold: 30s}, {ramp: 86, over: 60s}]\n"
	                                "  hr: [{hold: 30s}, {ramp: 108, over: 60s}]\n"
	                                "  temp: [{ramp: 38.3, over: 150s}]\n");
	size_t n;
	struct vt_emu_row *rows = s_play(s, &n);
	for (size_t i = 0; i < n; i++) {
		int64_t t = (int64_t)i * 1000;
		cr_assert_eq(s_val(&rows[i], VT_SPO2), round(vt_scn_course(s, VT_SPO2, t)), "t=%zu", i);
		cr_assert_float_eq(s_val(&rows[i], VT_TEMP), round(vt_scn_course(s, VT_TEMP, t) * 10) / 10,
		                   1e-9, "t=%zu", i);
		/* The ECG averages 8 beats: its rate lags a ramp by about 4 beats. */
		cr_assert_leq(fabs(s_val(&rows[i], VT_HR) - vt_scn_course(s, VT_HR, t - 3000)), 1.5,
		              "t=%zu: hr %g", i, s_val(&rows[i], VT_HR));
		cr_assert_eq(rows[i].r.flags, 0);
		cr_assert(rows[i].r.has_status);
	}
	free(rows);
	vt_scn_free(&s);
}

Test(scenario_play, spo2_is_averaged_and_in_whole_percent)
{
	struct vt_scenario *s = s_parse("duration: 2m\n"
	                                "trends:\n  spo2: [{hold: 60s}, {step: 87}]\n"
	                                "variability: {spo2: 1}\n");
	size_t n;
	struct vt_emu_row *rows = s_play(s, &n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(rows[i].r.value[VT_SPO2], floor(rows[i].r.value[VT_SPO2]), "row %zu", i);
	/* A step of 11 % shows as a slide over the 8 s the oximeter averages. */
	cr_expect_geq(rows[59].r.value[VT_SPO2], 95);
	cr_expect(rows[62].r.value[VT_SPO2] > 88 && rows[62].r.value[VT_SPO2] < 96, "%g",
	          rows[62].r.value[VT_SPO2]);
	cr_expect_leq(rows[68].r.value[VT_SPO2], 89);
	free(rows);
	vt_scn_free(&s);
}

Test(scenario_play, the_cuff_reports_only_when_a_measurement_completes)
{
	struct vt_scenario *s =
	    s_parse("duration: 20m\n"
	            "baseline: {nibp_sys: 120, nibp_dia: 75}\n"
	            "trends:\n  nibp_sys: [{hold: 5m}, {ramp: +30%, over: 5m}]\n"
	            "device: {nibp_every: 3m, nibp_first: 90s}\n"
	            "artefacts: [{kind: cuff-failure, at: 7m}, {kind: cuff-failure, at: 12m, for: 3m}]\n");
	size_t n, readings = 0;
	struct vt_emu_row *rows = s_play(s, &n);
	for (size_t i = 0; i < n; i++) {
		bool due = i >= 90 && (i - 90) % 180 == 0;
		bool reported = rows[i].r.reported & VT_PARAM_BIT(VT_NIBP_SYS);
		cr_assert_eq(reported, due, "row %zu", i);
		if (!due)
			continue;
		/* 7m: the next one (450 s) fails; 12m..15m: the one at 810 s. */
		bool failed = i == 450 || i == 810;
		cr_assert_eq(s_has(&rows[i], VT_NIBP_SYS), !failed, "row %zu", i);
		/* The monitor says the measurement failed until one succeeds. */
		cr_assert_eq(rows[i].r.flags & VT_FLAG_NIBP_FAILED, failed ? VT_FLAG_NIBP_FAILED : 0u,
		             "row %zu", i);
		if (i + 179 < n)
			cr_assert_eq(rows[i + 179].r.flags & VT_FLAG_NIBP_FAILED,
			             failed ? VT_FLAG_NIBP_FAILED : 0u, "row %zu", i + 179);
		cr_assert_eq(s_has(&rows[i], VT_NIBP_MAP), !failed, "row %zu", i);
		if (failed)
			continue;
		readings++;
		/* Stamped with when it completed, as a monitor stamps it. */
		for (int p = VT_NIBP_SYS; p <= VT_NIBP_MAP; p++) {
			cr_assert(rows[i].r.timed & VT_PARAM_BIT(p), "row %zu", i);
			cr_assert_eq(rows[i].r.stamp_ms[p], (int64_t)i * 1000, "row %zu", i);
			cr_assert_eq(rows[i].r.age_ms[p], 0, "row %zu", i);
		}
		double sys = s_val(&rows[i], VT_NIBP_SYS), dia = s_val(&rows[i], VT_NIBP_DIA);
		cr_expect_leq(fabs(s_val(&rows[i], VT_NIBP_MAP) - (dia + (sys - dia) / 3)), 1, "row %zu", i);
		/* Read halfway through a 40 s measurement: the course 20 s before. */
		cr_expect_leq(fabs(sys - vt_scn_course(s, VT_NIBP_SYS, (int64_t)i * 1000 - 20000)), 15,
		              "row %zu: %g", i, sys);
	}
	cr_expect_eq(readings, 5);
	free(rows);
	vt_scn_free(&s);
}

Test(scenario_play, etco2_comes_breath_by_breath_and_apnea_silences_it)
{
	struct vt_scenario *s = s_parse("duration: 4m\n" EXACT
	                                "baseline: {rr: 6, etco2: 40}\n"
	                                "trends:\n"
	                                "  etco2: [{ramp: 60, over: 2m}]\n"
	                                "  rr: [{hold: 2m}, {step: 0}, {hold: 1m}, {step: 12}]\n");
	size_t n, changes = 0;
	struct vt_emu_row *rows = s_play(s, &n);
	for (size_t i = 1; i < 120; i++) {
		cr_assert(s_has(&rows[i], VT_ETCO2), "row %zu", i);
		cr_assert_eq(s_val(&rows[i], VT_RR), 6, "row %zu", i);
		changes += s_val(&rows[i], VT_ETCO2) != s_val(&rows[i - 1], VT_ETCO2);
	}
	/* A breath every 10 s: the value climbs in 11 or 12 steps, never every second. */
	cr_expect(changes >= 10 && changes <= 12, "%zu changes", changes);
	/* No breath from 120 s: after 20 s without one, RR 0 and no EtCO2, until breathing resumes. */
	cr_expect(s_has(&rows[125], VT_ETCO2));
	cr_expect_lt(s_val(&rows[125], VT_RR), 6, "the rate falls as the breaths stop");
	for (size_t i = 131; i < 180; i++) {
		cr_assert_not(s_has(&rows[i], VT_ETCO2), "row %zu", i);
		cr_assert_eq(s_val(&rows[i], VT_RR), 0, "row %zu", i);
	}
	cr_expect(s_has(&rows[200], VT_ETCO2));
	cr_expect_gt(s_val(&rows[230], VT_RR), 6);
	free(rows);
	vt_scn_free(&s);
}

Test(scenario_play, artefacts_act_on_the_measurement)
{
	struct vt_scenario *s = s_parse("duration: 5m\n" EXACT
	                                "baseline: {spo2: 97, hr: 70, pi: 2.5}\n"
	                                "artefacts:\n"
	                                "  - {kind: probe-off, at: 30s, for: 20s}\n"
	                                "  - {kind: motion, at: 90s, for: 10s, depth: 10}\n"
	                                "  - {kind: low-perfusion, at: 150s, for: 30s, depth: 0.3}\n"
	                                "  - {kind: leads-off, at: 210s, for: 15s}\n");
	size_t n;
	struct vt_emu_row *rows = s_play(s, &n);
	for (size_t i = 0; i < n; i++) {
		const struct vt_emu_row *r = &rows[i];
		uint32_t want = 0;
		if (i >= 30 && i < 50)
			want = VT_FLAG_SENSOR_OFF;
		else if (i >= 50 && i < 54)
			want = VT_FLAG_PULSE_SEARCH; /* back on: the oximeter looks for the pulse */
		else if (i >= 90 && i < 100)
			want = VT_FLAG_ARTIFACT;
		else if (i >= 150 && i < 180)
			want = VT_FLAG_LOW_PERFUSION;
		else if (i >= 210 && i < 225)
			want = VT_FLAG_LEADS_OFF;
		cr_assert_eq(r->r.flags, want, "row %zu: flags %#x", i, r->r.flags);
		bool oximeter = want != VT_FLAG_SENSOR_OFF && want != VT_FLAG_PULSE_SEARCH;
		if (want == VT_FLAG_LEADS_OFF)
			want = 0; /* for the oximeter's values below */
		cr_assert_eq(s_has(r, VT_SPO2), oximeter, "row %zu", i);
		cr_assert_eq(s_has(r, VT_PR), oximeter, "row %zu", i);
		cr_assert_eq(s_has(r, VT_PI), oximeter, "row %zu", i);
		cr_assert(r->r.reported & VT_PARAM_BIT(VT_SPO2), "missing is reported, row %zu", i);
		cr_assert_eq(s_has(r, VT_HR), !(i >= 210 && i < 225), "row %zu", i);
		if (want == VT_FLAG_LOW_PERFUSION)
			cr_assert_eq(s_val(r, VT_PI), 0.3, "row %zu", i);
		if (oximeter && want == 0)
			cr_assert_eq(s_val(r, VT_SPO2), 97, "row %zu", i);
	}
	/* Motion: a false dip as deep as asked at its middle, the pulse thrown about. */
	cr_expect_eq(s_val(&rows[95], VT_SPO2), 87);
	int erratic = 0;
	for (size_t i = 90; i < 100; i++)
		erratic += fabs(s_val(&rows[i], VT_PR) - 70) >= 3;
	cr_expect_geq(erratic, 4, "the pulse during motion");
	free(rows);
	vt_scn_free(&s);
}

Test(scenario_play, the_wander_is_the_size_asked_for)
{
	struct vt_scenario *s = s_parse("duration: 2h\nvariability: {hr: 3, spo2: 0}\n");
	size_t n;
	struct vt_emu_row *rows = s_play(s, &n);
	double sum = 0, sq = 0;
	for (size_t i = 0; i < n; i++) {
		sum += rows[i].r.value[VT_HR];
		sq += rows[i].r.value[VT_HR] * rows[i].r.value[VT_HR];
		cr_assert_eq(rows[i].r.value[VT_SPO2], 98, "no SpO2 variability: row %zu", i);
	}
	double mean = sum / (double)n, sd = sqrt(sq / (double)n - mean * mean);
	cr_expect(fabs(mean - 72) < 1.5, "mean heart rate %g", mean);
	/* The wander's 3 bpm, the beats' own spread and the rounding on top. */
	cr_expect(sd > 2.2 && sd < 4.5, "SD of the heart rate %g", sd);
	free(rows);
	vt_scn_free(&s);
}

/* ---- vitals-emulate --scenario ------------------------------------------------------------ */

static int
s_emulate(struct vt_rig_output *r, const char *a, const char *b, const char *c, const char *d)
{
	char *argv[] = {(char *)vt_rig_build("vitals-emulate"), (char *)a, (char *)b, (char *)c,
	                (char *)d, NULL};
	return vt_rig_run(argv, r);
}

Test(scenario_program, writes_the_csv_and_the_phase_marks)
{
	struct vt_rig_output r;
	s_emulate(&r, "--scenario", "scenarios/ketamine-low-dose.yaml", "--csv", "-");
	cr_assert_eq(r.status, 0, "%s", r.err);
	static const char head[] =
	    "t,spo2,pr,hr,pi,rr,nibp_sys,nibp_dia,nibp_map,nibp_time,etco2,temp,flags\n0,";
	cr_expect(strncmp(r.out, head, strlen(head)) == 0, "%.80s", r.out);
	size_t lines = 0;
	for (const char *p = r.out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	cr_expect_eq(lines, 1 + 72 * 60);
	vt_rig_output_free(&r);
	s_emulate(&r, "--scenario", "scenarios/ketamine-low-dose.yaml", "--phases", "chair-2");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "--phase chair-2@0=baseline:72\n"
	                        "--phase chair-2@600=infusion:72:0.5\n"
	                        "--phase chair-2@3000=recovery\n"
	                        "--phase chair-2@4200=ended\n");
	vt_rig_output_free(&r);
}

Test(scenario_program, mistakes_get_their_exit_status)
{
	static const struct {
		const char *args[4];
		int status;
		const char *err;
	} cases[] = {
	    {{"--scenario", "tests/data/bad/scenario.yaml", "--csv", "-"}, 65,
	     "tests/data/bad/scenario.yaml:5:13: trends.spo2[0].ramp: 120 is outside the range of spo2"},
	    {{"--scenario", "/nonexistent.yaml", "--csv", "-"}, 66,
	     "/nonexistent.yaml: cannot read: No such file or directory"},
	    {{"--scenario", "scenarios/bradycardia.yaml", "--csv", "/nonexistent/out.csv"}, 73,
	     "--csv /nonexistent/out.csv: No such file or directory"},
	    {{"--csv", "-", "scenarios/bradycardia.yaml", NULL}, 64, "--csv needs --scenario FILE"},
	    {{"--scenario", "scenarios/bradycardia.yaml", "x.csv", NULL}, 64,
	     "no RECORDING besides it"},
	    {{"--scenario", "scenarios/bradycardia.yaml", NULL, NULL}, 64, "(or --csv OUT)"},
	    {{"--scenario", "scenarios/bradycardia.yaml", "--pty", "/tmp/vt-scenario-link"}, 64,
	     "--protocol is required to send its readings"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vt_rig_output r;
		s_emulate(&r, cases[i].args[0], cases[i].args[1], cases[i].args[2], cases[i].args[3]);
		cr_expect_eq(r.status, cases[i].status, "case %zu: exit %d: %s", i, r.status, r.err);
		cr_expect(strstr(r.err, cases[i].err) != NULL, "case %zu: stderr lacks <%s>: %s", i,
		          cases[i].err, r.err);
		vt_rig_output_free(&r);
	}
}
