/*
 * vitals-evaluate: the grading on hand-made sequences with exact times
 * (events by the held-sample span, delays, false and duplicate alarms, the
 * bare threshold), the program end to end on recordings written here, and
 * the shipped configuration over the real recordings of $VITALS_DATA
 * (default ../shared/data beside the checkout; skipped when absent).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/tools/evaluate.h"

/* ---- the grading -------------------------------------------------------------- */

Test(evaluate, definitions_parse_and_print_back)
{
	struct vt_eval_def d;
	char err[256], buf[64];
	cr_assert_eq(vt_eval_def_parse("spo2<90/30s", &d, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(d.param, VT_SPO2);
	cr_expect_eq(d.direction, -1);
	cr_expect_eq(d.limit, 90);
	cr_expect_eq(d.min_ms, 30000);
	cr_expect_str_eq(vt_eval_def_format(&d, buf, sizeof(buf)), "spo2<90/30s");
	cr_assert_eq(vt_eval_def_parse("pr>120.5/2m", &d, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(d.direction, +1);
	cr_expect_eq(d.min_ms, 120000);
	cr_expect_str_eq(vt_eval_def_format(&d, buf, sizeof(buf)), "pr>120.5/2m");
	const char *bad[] = {"spo2", "spo2<90", "spo2<90/30", "sat<90/30s", "spo2<x/30s", "<90/1s",
	                     "spo2<90/-1s"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(vt_eval_def_parse(bad[i], &d, err, sizeof(err)), -1, "%s accepted", bad[i]);
}

static char *s_names[] = {"r-low", "r-crit", "p-high", "x-pi"};

/* Rules: two on SpO2 below, one on pulse above, one on PI (no definition watches it). */
static void
s_config(struct vt_config *cfg, struct vt_rule_config *rules)
{
	memset(cfg, 0, sizeof(*cfg));
	memset(rules, 0, 4 * sizeof(*rules));
	const enum vt_param params[] = {VT_SPO2, VT_SPO2, VT_PR, VT_PI};
	const int dirs[] = {-1, -1, +1, -1};
	for (int i = 0; i < 4; i++) {
		rules[i].name = s_names[i];
		rules[i].param = params[i];
		rules[i].direction = dirs[i];
	}
	cfg->rules = rules;
	cfg->n_rules = 4;
}

static void
s_spo2(struct vt_eval *e, int64_t t_s, double v)
{
	struct vt_reading r = {0};
	if (isnan(v))
		vt_reading_set_missing(&r, VT_SPO2);
	else
		vt_reading_set(&r, VT_SPO2, v);
	vt_eval_reading(e, t_s * 1000, &r);
}

static void
s_alert(struct vt_eval *e, const char *id, const char *rule, const char *event, int64_t t_s)
{
	vt_eval_alert(e, id, rule, event, t_s * 1000);
}

Test(evaluate, events_alarms_and_figures_with_exact_times)
{
	struct vt_config cfg;
	struct vt_rule_config rules[4];
	s_config(&cfg, rules);
	struct vt_eval *e = vt_eval_new(&cfg, vt_eval_default_defs, 3);
	cr_assert_not_null(e);
	vt_eval_begin(e);
	/* 30 samples below 90 after one above: the span from t=0 to t=30 is 30 s, an event. */
	s_spo2(e, 0, 95);
	for (int t = 1; t <= 30; t++)
		s_spo2(e, t, 89);
	s_alert(e, "chair-1/r-low/1", "r-low", "raised", 16);
	s_alert(e, "chair-1/r-crit/1", "r-crit", "raised", 20);
	s_alert(e, "chair-1/x-pi/1", "x-pi", "raised", 21);
	s_spo2(e, 31, 95);
	s_alert(e, "chair-1/r-low/1", "r-low", "cleared", 31);
	s_alert(e, "chair-1/r-crit/1", "r-crit", "cleared", 31);
	/* 29 samples after one above: 29 s, not sustained; an alarm during it is false. */
	for (int t = 32; t <= 39; t++)
		s_spo2(e, t, 95);
	for (int t = 40; t <= 68; t++)
		s_spo2(e, t, 89);
	s_alert(e, "chair-1/r-low/2", "r-low", "raised", 55);
	s_alert(e, "chair-1/p-high/1", "p-high", "raised", 56);
	s_spo2(e, 69, 95);
	s_alert(e, "chair-1/r-low/2", "r-low", "cleared", 69);
	/* A once-a-minute trend: one sample below stands for the minute before it. */
	s_spo2(e, 100, 95);
	s_spo2(e, 160, 88);
	s_alert(e, "chair-1/r-low/3", "r-low", "raised", 160);
	s_spo2(e, 220, 95);
	s_alert(e, "chair-1/r-low/3", "r-low", "cleared", 220);
	/* A sample with no value ends a run: two short ones, no event. */
	for (int t = 230; t <= 260; t++)
		s_spo2(e, t, t == 245 ? NAN : 89);
	vt_eval_end(e);

	cr_assert_eq(vt_eval_event_count(e), 2);
	const struct vt_eval_event *ev = vt_eval_event_at(e, 0);
	cr_expect_eq(ev->onset_ms, 1000);
	cr_expect_eq(ev->end_ms, 30000);
	cr_expect_eq(ev->worst, 89);
	cr_expect(ev->alarmed);
	cr_expect_eq(ev->delay_ms, 15000);
	cr_expect_str_eq(ev->alarm_id, "chair-1/r-low/1");
	ev = vt_eval_event_at(e, 1);
	cr_expect_eq(ev->onset_ms, 160000);
	cr_expect_eq(ev->delay_ms, 0);

	struct vt_eval_summary s;
	vt_eval_summarise(e, -1, &s);
	cr_expect_eq(s.events, 2);
	cr_expect_eq(s.alarmed, 2);
	cr_expect_eq(s.median_ms, 7500, "median of 15 s and 0 s: %lld", (long long)s.median_ms);
	cr_expect_eq(s.p90_ms, 15000);
	cr_expect_eq(s.max_ms, 15000);
	cr_expect_eq(s.alarms, 5, "x-pi is not graded: %zu", s.alarms);
	cr_expect_eq(s.false_alarms, 2, "r-low/2 and p-high/1: %zu", s.false_alarms);
	cr_expect_eq(s.duplicates, 1, "r-crit/1 while r-low/1 was on: %zu", s.duplicates);
	cr_expect_eq(s.bare, 5, "runs at 1, 40, 160, 230 and 246: %zu", s.bare);
	cr_expect(fabs(s.hours - 260.0 / 3600) < 1e-9);

	vt_eval_summarise(e, 0, &s); /* spo2<90/30s */
	cr_expect_eq(s.alarms, 4);
	cr_expect_eq(s.false_alarms, 1);
	cr_expect_eq(s.bare, 5);
	vt_eval_summarise(e, 1, &s); /* pr>120/30s */
	cr_expect_eq(s.events, 0);
	cr_expect_eq(s.alarms, 1);
	cr_expect_eq(s.false_alarms, 1);
	cr_expect_eq(s.median_ms, -1, "no delay without an alarmed event");

	struct vt_eval_rule_summary rs;
	vt_eval_rule(e, 0, &rs);
	cr_expect(rs.graded);
	cr_expect_eq(rs.alarms, 3);
	cr_expect_eq(rs.false_alarms, 1);
	cr_expect_eq(rs.first, 2);
	vt_eval_rule(e, 1, &rs);
	cr_expect_eq(rs.duplicates, 1);
	cr_expect_eq(rs.first, 0);
	vt_eval_rule(e, 3, &rs);
	cr_expect_not(rs.graded);
	cr_expect_eq(rs.alarms, 1);
	vt_eval_free(&e);
	cr_expect_null(e);
}

Test(evaluate, an_alarm_already_on_has_no_delay_and_a_missed_event_counts)
{
	struct vt_config cfg;
	struct vt_rule_config rules[4];
	s_config(&cfg, rules);
	struct vt_eval *e = vt_eval_new(&cfg, vt_eval_default_defs, 3);
	/* Recording 1: nothing happens. Recording 2: the alarm from an earlier
	 * dip is still on when the event begins and never clears. */
	vt_eval_begin(e);
	s_spo2(e, 0, 97);
	s_spo2(e, 60, 97);
	vt_eval_end(e);
	vt_eval_begin(e);
	s_spo2(e, 0, 88);
	s_alert(e, "chair-1/r-low/1", "r-low", "raised", 0);
	s_spo2(e, 1, 91);
	for (int t = 10; t <= 50; t++)
		s_spo2(e, t, 85);
	/* Pulse below 50 for 40 s: nothing watches it, so it is missed. */
	for (int t = 51; t <= 91; t++) {
		struct vt_reading r = {0};
		vt_reading_set(&r, VT_PR, 45);
		vt_eval_reading(e, t * 1000, &r);
	}
	vt_eval_end(e);
	struct vt_eval_summary s;
	vt_eval_summarise(e, -1, &s);
	cr_expect_eq(s.events, 2);
	cr_expect_eq(s.alarmed, 1);
	cr_expect_eq(s.max_ms, 0);
	cr_expect_eq(s.false_alarms, 0);
	cr_expect(fabs(s.hours - (60.0 + 91.0) / 3600) < 1e-9, "%g h", s.hours);
	const struct vt_eval_event *ev = vt_eval_event_at(e, 0);
	cr_expect_eq(ev->recording, 1);
	cr_expect_eq(ev->onset_ms, 10000);
	ev = vt_eval_event_at(e, 1);
	cr_expect_eq(ev->def, 2);
	cr_expect_not(ev->alarmed);
	const struct vt_eval_alarm *al = vt_eval_alarm_at(e, 0);
	cr_expect_eq(al->cleared_ms, INT64_MAX, "still on at the end of the recording");
	vt_eval_free(&e);
}

/* ---- the program ---------------------------------------------------------------- */

static char s_dir[64];

static void
s_write(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", s_dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static const char s_yaml[] = "publish: tcp://127.0.0.1:5556\n"
                             "monitors:\n"
                             "  - bed: chair-1\n"
                             "    port: /dev/null\n"
                             "    protocol: masimo-ascii\n"
                             "rules:\n"
                             "  - name: spo2-low\n"
                             "    parameter: spo2\n"
                             "    below: 90\n"
                             "    for: 10s\n"
                             "    clear_at: 92\n";

/* A recording of SpO2 at 1 Hz: `low` for seconds [from, to], 97 otherwise, 0..end. */
static void
s_recording(const char *name, int from, int to, int end, int low)
{
	char text[16384];
	size_t o = (size_t)snprintf(text, sizeof(text), "t,spo2,pr\n");
	for (int t = 0; t <= end; t++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%d,%d,80\n", t,
		                      t >= from && t <= to ? low : 97);
	s_write(name, text);
}

static void
s_setup(void)
{
	snprintf(s_dir, sizeof(s_dir), "/tmp/vt-evaluate-XXXXXX");
	cr_assert_not_null(mkdtemp(s_dir));
	s_write("eval.yaml", s_yaml);
	s_recording("a-desaturation.csv", 20, 79, 120, 85); /* 60 s at 85: an event */
	s_recording("b-short-dip.csv", 30, 34, 90, 85);     /* 5 s: bare threshold only */
	s_write("notes.txt", "not a recording\n");
}

static void
s_teardown(void)
{
	char *argv[] = {"/bin/rm", "-rf", s_dir, NULL};
	struct vt_rig_output r;
	vt_rig_run(argv, &r);
	vt_rig_output_free(&r);
}

/* Run vitals-evaluate -c eval.yaml with `extra` (NULL-terminated) and the folder. */
static int
s_evaluate(struct vt_rig_output *r, const char *const *extra)
{
	char cfg[128];
	snprintf(cfg, sizeof(cfg), "%s/eval.yaml", s_dir);
	char *argv[24] = {(char *)vt_rig_build("vitals-evaluate"), "-c", cfg};
	int n = 3;
	for (; extra && *extra && n < 22; extra++)
		argv[n++] = (char *)*extra;
	argv[n++] = s_dir;
	argv[n] = NULL;
	return vt_rig_run(argv, r);
}

Test(evaluate, program_grades_a_folder_and_checks_targets, .init = s_setup, .fini = s_teardown)
{
	struct vt_rig_output r;
	const char *json[] = {"--json", "--max-delay", "10s", "--max-false", "0", NULL};
	s_evaluate(&r, json);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	json_error_t jerr;
	json_t *o = json_loads(r.out, 0, &jerr);
	cr_assert_not_null(o, "%s: %s", jerr.text, r.out);
	cr_expect_eq(json_integer_value(json_object_get(o, "recordings")), 2, "the .txt is skipped");
	json_t *all = json_object_get(o, "all");
	cr_expect_eq(json_integer_value(json_object_get(all, "events")), 1);
	cr_expect_eq(json_integer_value(json_object_get(all, "alarmed")), 1);
	cr_expect_eq(json_real_value(json_object_get(all, "delay_max_s")), 10.0);
	cr_expect_eq(json_integer_value(json_object_get(all, "alarms")), 1);
	cr_expect_eq(json_integer_value(json_object_get(all, "false")), 0);
	cr_expect_eq(json_integer_value(json_object_get(all, "bare")), 2);
	cr_expect(json_is_true(json_object_get(o, "passed")));
	json_t *rules = json_object_get(o, "rules");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(rules, 0), "rule")),
	                 "spo2-low");
	json_decref(o);
	vt_rig_output_free(&r);

	/* A target missed: exit 1, and the table says which. */
	const char *strict[] = {"--max-delay", "9s", "--max-missed", "0", NULL};
	s_evaluate(&r, strict);
	cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.out, "longest delay") && strstr(r.out, "MISSED"), "%s", r.out);
	cr_expect(strstr(r.out, "missed events") && strstr(r.out, " met"), "%s", r.out);
	cr_expect(strstr(r.out, "spo2<90/30s") != NULL, "%s", r.out);
	vt_rig_output_free(&r);

	/* Own event definitions: the 5 s dip is an event of at least 5 s, and missed. */
	const char *own[] = {"--json", "--event", "spo2<90/5s", "--max-missed", "0", NULL};
	s_evaluate(&r, own);
	cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	o = json_loads(r.out, 0, NULL);
	all = json_object_get(o, "all");
	cr_expect_eq(json_integer_value(json_object_get(all, "events")), 2, "%s", r.out);
	cr_expect_eq(json_integer_value(json_object_get(all, "missed")), 1, "%s", r.out);
	json_decref(o);
	vt_rig_output_free(&r);
}

Test(evaluate, program_refuses_what_it_cannot_grade, .init = s_setup, .fini = s_teardown)
{
	struct vt_rig_output r;
	const char *bad_event[] = {"--event", "spo2<90", NULL};
	s_evaluate(&r, bad_event);
	cr_expect_eq(r.status, 64, "exit %d", r.status);
	cr_expect(strstr(r.err, "--event spo2<90") != NULL, "%s", r.err);
	vt_rig_output_free(&r);

	const char *bad_target[] = {"--max-delay", "soon", NULL};
	s_evaluate(&r, bad_target);
	cr_expect_eq(r.status, 64, "exit %d", r.status);
	vt_rig_output_free(&r);

	const char *bad_bed[] = {"--bed", "chair-9", NULL};
	s_evaluate(&r, bad_bed);
	cr_expect_eq(r.status, 64, "exit %d", r.status);
	cr_expect(strstr(r.err, "chair-9") != NULL, "%s", r.err);
	vt_rig_output_free(&r);

	char *missing[] = {(char *)vt_rig_build("vitals-evaluate"), "-c", "config/vitalsd.yaml",
	                   "/nonexistent/recording.csv", NULL};
	vt_rig_run(missing, &r);
	cr_expect_eq(r.status, 66, "exit %d", r.status);
	vt_rig_output_free(&r);

	s_write("bad.yaml", "publish: tcp://127.0.0.1:5556\nrules:\n  - name: x\n");
	char cfg[128];
	snprintf(cfg, sizeof(cfg), "%s/bad.yaml", s_dir);
	char *bad_cfg[] = {(char *)vt_rig_build("vitals-evaluate"), "-c", cfg, s_dir, NULL};
	vt_rig_run(bad_cfg, &r);
	cr_expect_eq(r.status, 78, "exit %d", r.status);
	cr_expect(strstr(r.err, "bad.yaml:3:") != NULL, "FILE:LINE:COLUMN: %s", r.err);
	vt_rig_output_free(&r);
}

/* ---- the real recordings ------------------------------------------------------ */

/* The targets for the shipped rules (docs/alarms.md, "The shipped rules"). */
#define TARGETS                                                                                  \
	"--max-missed", "0", "--max-median-delay", "8s", "--max-delay", "20s", "--max-duplicates",  \
	    "0", "--max-false", "5%"

/* Grade config/vitalsd.yaml on `paths` (NULL-terminated) with the targets; exit 0 or fail. */
static void
s_shipped(const char *what, const char *const *paths, size_t want_recordings)
{
	char *argv[80] = {(char *)vt_rig_build("vitals-evaluate"), "-c", "config/vitalsd.yaml",
	                  TARGETS};
	int n = 0;
	while (argv[n] != NULL)
		n++;
	for (; *paths && n < 78; paths++)
		argv[n++] = (char *)*paths;
	argv[n] = NULL;
	struct vt_rig_output r;
	vt_rig_run(argv, &r);
	printf("== %s\n%s", what, r.out); /* the table, for whoever reads the log */
	cr_expect_eq(r.status, 0, "%s: a target missed (exit %d): %s%s", what, r.status, r.out,
	             r.err);
	cr_expect_eq(r.err_len, 0, "%s", r.err);
	char count[32];
	snprintf(count, sizeof(count), " %zu recordings", want_recordings);
	cr_expect(strstr(r.out, count) != NULL, "%s: not %zu recordings: %s", what, want_recordings,
	          r.out);
	vt_rig_output_free(&r);
}

Test(evaluate, shipped_configuration_meets_the_targets_on_every_recording_and_each_half)
{
	const char *dir = vt_rig_recording("recordings");
	char base[1024];
	snprintf(base, sizeof(base), "%s", dir);
	const char *all[] = {base, NULL};
	s_shipped("every recording", all, 66);

	/* The halves of tests/data/evaluation-split.txt: tuned on, and held back. */
	char *split = vt_rig_slurp(vt_rig_root("tests/data/evaluation-split.txt"), NULL);
	cr_assert_not_null(split);
	static char paths[2][40][1100];
	const char *lists[2][41];
	size_t n[2] = {0, 0};
	char *save = NULL;
	for (char *line = strtok_r(split, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char set[8], name[64];
		if (line[0] == '#' || sscanf(line, "%7s %63s", set, name) != 2)
			continue;
		int h = strcmp(set, "held") == 0;
		cr_assert(h || strcmp(set, "tune") == 0, "bad line: %s", line);
		cr_assert_lt(n[h], 40);
		snprintf(paths[h][n[h]], sizeof(paths[h][0]), "%s/%s", base, name);
		lists[h][n[h]] = paths[h][n[h]];
		n[h]++;
	}
	free(split);
	cr_expect_eq(n[0] + n[1], 66, "every recording in one half");
	lists[0][n[0]] = lists[1][n[1]] = NULL;
	s_shipped("tuning half", lists[0], n[0]);
	s_shipped("held-back half", lists[1], n[1]);
}
