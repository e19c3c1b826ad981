/*
 * `vitalsd --replay` as a user runs it: the real binary, the shipped
 * scenarios played into numerics CSV files, and every kind of bad input,
 * which must give a clear error, a non-zero exit and no output at all.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support/support.h"

static int
s_replay(struct vt_rig_output *r, const char *config, const char *a, const char *b)
{
	char *argv[8];
	int n = 0;
	argv[n++] = (char *)vt_rig_build("vitalsd");
	argv[n++] = "-c";
	argv[n++] = (char *)config;
	argv[n++] = "--replay";
	argv[n++] = (char *)a;
	if (b)
		argv[n++] = (char *)b;
	argv[n] = NULL;
	return vt_rig_run(argv, r);
}

#define CFG "tests/data/replay.yaml"

struct bad_case {
	const char *spec;
	const char *spec2;
	int status;
	const char *stderr_has;
};

/* "BED=" and the CSV of a shipped scenario, in one of 8 rotating buffers. */
static const char *
s_bed(const char *bed, const char *scenario)
{
	static char bufs[8][4200];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof(bufs[0]), "%s=%s", bed, vt_rig_scenario_csv(scenario));
	return b;
}

Test(replay, bad_input_is_refused_with_nothing_written)
{
	const char *good = vt_rig_scenario_csv("scenarios/bradycardia.yaml");
	char good1[4200], good2[4200], bad9[4200];
	snprintf(good1, sizeof(good1), "chair-1=%s", good);
	snprintf(good2, sizeof(good2), "chair-1=%s", vt_rig_scenario_csv("scenarios/desaturation.yaml"));
	snprintf(bad9, sizeof(bad9), "chair-9=%s", good);
	const struct bad_case bad_cases[] = {
	    {"chair-1=tests/data/bad/missing-t.csv", NULL, 65,
	     "tests/data/bad/missing-t.csv:1:1: no \"t\" column in the header"},
	    {"chair-1=tests/data/bad/bad-number.csv", NULL, 65,
	     "tests/data/bad/bad-number.csv:4:3: spo2: expected a number or an empty field, got \"9?\""},
	    {"chair-1=tests/data/bad/backwards.csv", NULL, 65,
	     "tests/data/bad/backwards.csv:5:1: time goes backwards: t=4 after t=5"},
	    {"chair-1=tests/data/bad/bad-flag.csv", NULL, 65,
	     "tests/data/bad/bad-flag.csv:3:18: flags: unknown device condition \"probe-of\""},
	    /* A good bed before a bad one: still nothing written. */
	    {good1, "chair-2=tests/data/bad/backwards.csv", 65, "backwards.csv:5:1: time goes backwards"},
	    {"chair-1=tests/data/nonexistent.csv", NULL, 66,
	     "tests/data/nonexistent.csv: cannot read: No such file or directory"},
	    {bad9, NULL, 64, "no monitor for bed \"chair-9\""},
	    {good1, good2, 64, "bed \"chair-1\" is listed twice"},
	    {good, NULL, 64, "expected BED=RECORDING"},
	};
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct vt_rig_output r;
		s_replay(&r, CFG, c->spec, c->spec2);
		cr_expect_eq(r.status, c->status, "%s: exit %d, stderr: %s", c->spec, r.status, r.err);
		cr_expect(strstr(r.err, c->stderr_has) != NULL, "%s: stderr lacks <%s>: %s", c->spec,
		          c->stderr_has, r.err);
		cr_expect_eq(r.out_len, 0, "%s: wrote %zu bytes of output", c->spec, r.out_len);
		vt_rig_output_free(&r);
	}
}

Test(replay, output_is_deterministic_gapless_and_ordered)
{
	struct vt_rig_output a, b;
	const char *one = s_bed("chair-1", "scenarios/desaturation.yaml");
	const char *two = s_bed("chair-2", "scenarios/bradycardia.yaml");
	s_replay(&a, CFG, one, two);
	s_replay(&b, CFG, one, two);
	cr_assert_eq(a.status, 0, "stderr: %s", a.err);
	cr_expect_eq(a.out_len, b.out_len);
	cr_expect(memcmp(a.out, b.out, a.out_len) == 0, "two runs differ");

	/* Every line a JSON object with topic, seq 1, 2, 3..., times never going back. */
	json_int_t seq = 0;
	char prev_time[64] = "";
	int raised = 0, cleared = 0, beds_seen = 0;
	char *save = NULL;
	for (char *line = strtok_r(a.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t e;
		json_t *o = json_loads(line, 0, &e);
		cr_assert_not_null(o, "not JSON: %s", line);
		cr_assert_eq(json_integer_value(json_object_get(o, "seq")), ++seq);
		cr_assert_eq(json_integer_value(json_object_get(o, "v")), 1);
		const char *topic = json_string_value(json_object_get(o, "topic"));
		const char *time = json_string_value(json_object_get(o, "time"));
		cr_assert_not_null(topic);
		cr_assert_not_null(time);
		cr_assert(strcmp(time, prev_time) >= 0, "time went back at seq %lld", (long long)seq);
		snprintf(prev_time, sizeof(prev_time), "%s", time);
		const char *ev = json_string_value(json_object_get(o, "event"));
		if (ev && strcmp(ev, "raised") == 0)
			raised++;
		if (ev && strcmp(ev, "cleared") == 0)
			cleared++;
		if (strcmp(topic, "status.chair-2") == 0)
			beds_seen++;
		json_decref(o);
	}
	cr_expect_gt(raised, 0, "a desaturation and a bradycardia raise alarms");
	cr_expect_gt(cleared, 0);
	cr_expect_geq(beds_seen, 1);
	vt_rig_output_free(&a);
	vt_rig_output_free(&b);
}

Test(replay, clock_start_shifts_virtual_time)
{
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", CFG, "--replay",
	                (char *)s_bed("chair-1", "scenarios/bradycardia.yaml"), "--clock-start",
	                "2026-11-21T10:00:00Z", NULL};
	struct vt_rig_output r;
	vt_rig_run(argv, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "\"time\":\"2026-11-21T10:00:00.000Z\"") != NULL);
	cr_expect(strstr(r.out, "1970-01-01") == NULL);
	vt_rig_output_free(&r);
}

/*
 * A session file written by hand: a Masimo line a second from `from` to
 * `to` (seconds after the start), SpO2 85 from 20 s to 60 s and 97 else,
 * in format 2 with a phase set at 5 s. `start` is the header's start (ms
 * after T), `continues` the previous file or NULL.
 */
static void
s_session_file(const char *dir, const char *name, int start_s, int from, int to,
               const char *continues, char *path, size_t len)
{
	char *text = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&text, &size);
	fprintf(fp, "# vitalsd session recording\n# format: 2\n# version: 0.1.0\n# bed: chair-1\n"
	            "# port: /dev/vitals-test-1\n# protocol: masimo-ascii\n# baud: 9600\n"
	            "# start: 2026-11-21T10:00:%02d.000Z\n", start_s);
	if (continues)
		fprintf(fp, "# continues: %s\n", continues);
	else
		fprintf(fp, "0 open\n");
	for (int s = from; s < to; s++) {
		char line[256];
		int n = vt_rig_masimo_line(line, sizeof(line), s >= 20 && s < 60 ? 85 : 97, 72);
		fprintf(fp, "%d data", (s - start_s) * 1000);
		for (int i = 0; i < n; i++)
			fprintf(fp, "%s%02x", i % 4 ? "" : " ", (unsigned char)line[i]);
		fprintf(fp, "\n");
		if (s == 5)
			fprintf(fp, "%d control {\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"baseline\","
			            "\"by\":\"nurse-a\"}\n", (s - start_s) * 1000);
	}
	fclose(fp);
	cr_assert_eq(vt_rig_write_file(dir, name, text, path, len), 0);
	free(text);
}

/* A recording the recorder rotated into two files replays as the whole of it. */
Test(replay, a_bed_given_its_files_in_order_plays_them_as_one)
{
	char dir[128];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "replay"), 0);
	char whole[256], a[256], b[256], spec_w[300], spec_a[300], spec_b[300];
	s_session_file(dir, "whole.vsr", 0, 0, 90, NULL, whole, sizeof(whole));
	s_session_file(dir, "a.vsr", 0, 0, 40, NULL, a, sizeof(a));
	s_session_file(dir, "b.vsr", 40, 40, 90, "a.vsr", b, sizeof(b));
	snprintf(spec_w, sizeof(spec_w), "chair-1=%s", whole);
	snprintf(spec_a, sizeof(spec_a), "chair-1=%s", a);
	snprintf(spec_b, sizeof(spec_b), "chair-1=%s", b);

	struct vt_rig_output rw, rs, rbad;
	cr_assert_eq(s_replay(&rw, CFG, spec_w, NULL), 0, "%s", rw.err);
	cr_assert_eq(s_replay(&rs, CFG, spec_a, spec_b), 0, "%s", rs.err);
	cr_assert(strstr(rw.out, "\"event\":\"raised\"") != NULL, "the SpO2 dip alarms");
	cr_assert(strstr(rw.out, "\"by\":\"nurse-a\"") != NULL, "the recorded phase is set");
	cr_assert_str_eq(rs.out, rw.out, "two files of one recording replay as the whole");

	/* In the wrong order they are refused, with nothing written. */
	s_replay(&rbad, CFG, spec_b, spec_a);
	cr_assert_eq(rbad.status, 64, "%s", rbad.err);
	cr_assert(strstr(rbad.err, "give bed \"chair-1\"'s files in the order they were written"),
	          "%s", rbad.err);
	cr_assert_eq(rbad.out_len, 0);
	vt_rig_output_free(&rw);
	vt_rig_output_free(&rs);
	vt_rig_output_free(&rbad);
	vt_rig_rmtree(dir);
}

/*
 * Inputs that never end (a character device, a pipe fed without end, a
 * file that grows as it is read) are read up to limits.replay_input_size
 * and refused there, in seconds and with bounded memory; they used to grow
 * the replay by gigabytes a minute.
 */
Test(replay, an_endless_input_is_refused_at_the_input_bound)
{
	char dir[64], cfg[160], fifo[160], spec[200];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "replay-endless"), 0);
	char *base = vt_rig_slurp(vt_rig_root(CFG), NULL);
	cr_assert_not_null(base);
	size_t blen = strlen(base) + 64;
	char *text = malloc(blen);
	snprintf(text, blen, "%slimits: {replay_input_size: 1MiB}\n", base);
	cr_assert_eq(vt_rig_write_file(dir, "small.yaml", text, cfg, sizeof(cfg)), 0);
	free(text);
	free(base);

	struct {
		const char *config, *spec;
	} cases[] = {
	    /* the default bound (256 MiB) on a device read as CSV */
	    {vt_rig_root(CFG), "chair-1=/dev/zero"},
	    /* 1 MiB, on a device read as a raw capture, and on a pipe that never ends */
	    {cfg, "chair-1=/dev/urandom"},
	    {cfg, NULL},
	    /* and on a regular file that grows as fast as it is read */
	    {cfg, NULL},
	};
	char growing[160], spec2[200];
	snprintf(fifo, sizeof(fifo), "%s/endless.bin", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	snprintf(spec, sizeof(spec), "chair-1=%s", fifo);
	cases[2].spec = spec;
	snprintf(growing, sizeof(growing), "%s/growing.bin", dir);
	snprintf(spec2, sizeof(spec2), "chair-1=%s", growing);
	cases[3].spec = spec2;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t feeder = -1;
		if (i == 2 || i == 3) {
			char *yes[] = {"/bin/sh", "-c", "exec yes >> \"$0\"", i == 2 ? fifo : growing, NULL};
			feeder = vt_rig_spawn(yes, NULL, NULL);
			cr_assert_gt(feeder, 0);
		}
		/* The file has grown past the bound before it is read, and goes on growing: on
		 * a busy machine the replay could otherwise read to its end before the writer
		 * had written 1 MiB, and end there like any finished file. */
		struct stat gst;
		for (int64_t end = vt_rig_now_ms() + 30000;
		     i == 3 && (stat(growing, &gst) != 0 || gst.st_size <= (1 << 20)) &&
		     vt_rig_now_ms() < end;)
			vt_rig_sleep_ms(10);
		char errpath[160];
		snprintf(errpath, sizeof(errpath), "%s/err-%zu", dir, i);
		char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", (char *)cases[i].config,
		                "--replay", (char *)cases[i].spec, NULL};
		pid_t pid = vt_rig_spawn(argv, "/dev/null", errpath);
		cr_assert_gt(pid, 0);
		int status = vt_rig_wait(pid, 30000);
		if (status < 0)
			vt_rig_stop(pid, SIGKILL, 1000);
		if (feeder > 0)
			vt_rig_stop(feeder, SIGKILL, 1000);
		char *err = vt_rig_slurp(errpath, NULL);
		cr_expect_eq(status, 65, "case %zu (%s): status %d; %s", i, cases[i].spec, status,
		             err ? err : "");
		cr_expect(err && strstr(err, "(limits.replay_input_size)"), "case %zu: %s", i,
		          err ? err : "");
		const char *first = err ? strstr(err, "(limits.replay_input_size)") : NULL;
		cr_expect(first == NULL || strstr(first + 1, "(limits.replay_input_size)") == NULL,
		          "case %zu: said more than once: %s", i, err);
		free(err);
	}
	vt_rig_rmtree(dir);
}

/*
 * A blood pressure in a numerics CSV: three cuff measurements in the
 * baseline phase, diastolic 80, 70 and 70 (the two 70s equal in every
 * pressure), each repeated by the monitor in the rows after it, then an
 * infusion. `with_time` gives the file its nibp_time column. The text,
 * malloc'd.
 */
static char *
s_cuff_csv(bool with_time)
{
	static const struct {
		int from, to, measured, sys, dia, map;
	} cuffs[] = {
	    {60, 64, 58, 114, 80, 91}, /* shown 2 s after the cuff measured, repeated 4 s */
	    {240, 243, 240, 113, 70, 84},
	    {420, 423, 420, 113, 70, 84}, /* a new measurement, equal to the last */
	};
	char *text = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&text, &size);
	fprintf(fp, "t,hr,nibp_sys,nibp_dia,nibp_map%s\n0,70,,,%s\n", with_time ? ",nibp_time" : "",
	        with_time ? "," : "");
	for (size_t i = 0; i < sizeof(cuffs) / sizeof(cuffs[0]); i++)
		for (int t = cuffs[i].from; t <= cuffs[i].to; t++) {
			fprintf(fp, "%d,70,%d,%d,%d", t, cuffs[i].sys, cuffs[i].dia, cuffs[i].map);
			if (with_time)
				fprintf(fp, ",%d", cuffs[i].measured);
			fprintf(fp, "\n");
		}
	fprintf(fp, "600,70,,,%s\n", with_time ? "," : "");
	fclose(fp);
	return text;
}

/*
 * Replay the CSV `text` (such as s_cuff_csv's) on chair-1, baseline from
 * 0 s and infusion from 500 s, with a `for: 2` rule; its temporary
 * directory (to remove) in `dir`.
 */
static void
s_cuff_replay(const char *text, char *dir, size_t dir_len, struct vt_rig_output *r)
{
	char csv[256], cfg[256], spec[300];
	cr_assert_eq(vt_rig_tmpdir(dir, dir_len, "replay-cuff"), 0);
	cr_assert_eq(vt_rig_write_file(dir, "cuff.csv", text, csv, sizeof(csv)), 0);
	cr_assert_eq(vt_rig_write_file(dir, "cuff.yaml",
	                               "publish: tcp://127.0.0.1:5556\n"
	                               "monitors:\n"
	                               "  - {bed: chair-1, port: /dev/null, protocol: masimo-ascii}\n"
	                               "rules:\n"
	                               "  - {name: dia-low, parameter: nibp_dia, below: 72, for: 2}\n",
	                               cfg, sizeof(cfg)),
	             0);
	snprintf(spec, sizeof(spec), "chair-1=%s", csv);
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", cfg, "--replay", spec,
	                "--phase", "chair-1@0=baseline:70", "--phase", "chair-1@500=infusion:70:0.5",
	                NULL};
	vt_rig_run(argv, r);
	cr_assert_eq(r->status, 0, "%s", r->err);
}

/* The baseline of `p` in the last session message of the replay output, or NAN. */
static double
s_last_baseline(const char *out, const char *p)
{
	double v = NAN;
	char *copy = strdup(out), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "{\"topic\":\"session.", 18) != 0)
			continue;
		json_t *o = json_loads(line, 0, NULL);
		json_t *b = json_object_get(json_object_get(o, "baseline"), p);
		if (b != NULL)
			v = json_number_value(b);
		json_decref(o);
	}
	free(copy);
	return v;
}

/* The time of the first `raised` of `rule` in the replay output, or "" (static). */
static const char *
s_raised_at(const char *out, const char *rule)
{
	static char at[40];
	at[0] = '\0';
	char *copy = strdup(out), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line && !at[0];
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "{\"topic\":\"alert.", 16) != 0)
			continue;
		json_t *o = json_loads(line, 0, NULL);
		const char *r = json_string_value(json_object_get(o, "rule"));
		const char *ev = json_string_value(json_object_get(o, "event"));
		const char *t = json_string_value(json_object_get(o, "time"));
		if (r && ev && t && strcmp(r, rule) == 0 && strcmp(ev, "raised") == 0)
			snprintf(at, sizeof(at), "%s", t);
		json_decref(o);
	}
	free(copy);
	return at;
}

/*
 * Two cuff measurements equal in every pressure, taken three minutes apart,
 * are two measurements when the CSV says when each was taken, as they are
 * live, where the monitor stamps each: the baseline is the median of the
 * three (70, not 75) and `for: 2` sees two low diastolic pressures in a
 * row. The monitor repeating a measurement in the rows after it (the same
 * nibp_time) adds none, and the measurement keeps its own time.
 */
Test(replay, equal_cuff_measurements_at_their_own_times_are_two)
{
	char dir[128];
	struct vt_rig_output r;
	char *text = s_cuff_csv(true);
	s_cuff_replay(text, dir, sizeof(dir), &r);
	free(text);
	cr_expect_eq(s_last_baseline(r.out, "nibp_dia"), 70, "median of 80, 70, 70");
	cr_expect_eq(s_last_baseline(r.out, "nibp_sys"), 113, "median of 114, 113, 113");
	cr_expect_eq(s_last_baseline(r.out, "nibp_map"), 84, "median of 91, 84, 84");
	cr_expect_str_eq(s_raised_at(r.out, "dia-low"), "1970-01-01T00:07:00.000Z",
	                 "two low measurements in a row raise `for: 2`, at the second");
	cr_expect(strstr(r.out, "\"measured\":{\"nibp_sys\":\"1970-01-01T00:00:58.000Z\"") != NULL,
	          "the first measurement keeps its own time, 2 s before its row");
	vt_rig_output_free(&r);
	vt_rig_rmtree(dir);
}

/*
 * A CSV without nibp_time (the real multiparameter recordings, files
 * written before the column) keeps the rule it always had: a pressure
 * equal to the last in the row right after it is the last measurement
 * repeated (here the monitor shows each for a few rows, and the file has
 * no row between them). Documented in docs/replay.md; this shows what the
 * column changes.
 */
Test(replay, without_nibp_time_an_equal_cuff_reading_is_a_repeat)
{
	char dir[128];
	struct vt_rig_output r;
	char *text = s_cuff_csv(false);
	s_cuff_replay(text, dir, sizeof(dir), &r);
	free(text);
	cr_expect_eq(s_last_baseline(r.out, "nibp_dia"), 75, "median of 80 and 70");
	cr_expect_str_eq(s_raised_at(r.out, "dia-low"), "", "one low measurement only");
	vt_rig_output_free(&r);
	vt_rig_rmtree(dir);
}

/*
 * A CSV without nibp_time written as the real recordings are: a pressure
 * only in the row where the cuff completed, empty fields in the rows
 * between. A pressure after an empty field is a measurement of its own,
 * even equal to the last: the two diastolic 70s are two, as nibp_time
 * would say (docs/replay.md, "Without it").
 */
Test(replay, without_nibp_time_a_pressure_after_an_empty_field_is_a_new_measurement)
{
	const char *text = "t,hr,nibp_sys,nibp_dia,nibp_map\n"
	                   "0,70,,,\n"
	                   "60,70,114,80,91\n"
	                   "120,70,,,\n"
	                   "240,70,113,70,84\n"
	                   "300,70,,,\n"
	                   "420,70,113,70,84\n"
	                   "480,70,,,\n"
	                   "600,70,,,\n";
	char dir[128];
	struct vt_rig_output r;
	s_cuff_replay(text, dir, sizeof(dir), &r);
	cr_expect_eq(s_last_baseline(r.out, "nibp_dia"), 70, "median of 80, 70, 70");
	cr_expect_eq(s_last_baseline(r.out, "nibp_sys"), 113, "median of 114, 113, 113");
	cr_expect_eq(s_last_baseline(r.out, "nibp_map"), 84, "median of 91, 84, 84");
	cr_expect_str_eq(s_raised_at(r.out, "dia-low"), "1970-01-01T00:07:00.000Z",
	                 "two low measurements in a row raise `for: 2`, at the second");
	cr_expect(strstr(r.out, "\"measured\":{\"nibp_sys\":\"1970-01-01T00:07:00.000Z\"") != NULL,
	          "the second 113 is measured at its own row");
	vt_rig_output_free(&r);
	vt_rig_rmtree(dir);
}

/*
 * The same readings in a dense file: a pressure in every row, the monitor
 * showing its last measurement until the next. Equal values in consecutive
 * rows are that measurement repeated, however long: the 70s are one, and
 * the baseline is the median of 80 and 70.
 */
Test(replay, without_nibp_time_a_pressure_repeated_row_after_row_is_one_measurement)
{
	char *text = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&text, &size);
	fprintf(fp, "t,hr,nibp_sys,nibp_dia,nibp_map\n0,70,,,\n");
	for (int t = 60; t <= 480; t += 60)
		fprintf(fp, t < 240 ? "%d,70,114,80,91\n" : "%d,70,113,70,84\n", t);
	fprintf(fp, "600,70,,,\n");
	fclose(fp);
	char dir[128];
	struct vt_rig_output r;
	s_cuff_replay(text, dir, sizeof(dir), &r);
	free(text);
	cr_expect_eq(s_last_baseline(r.out, "nibp_dia"), 75, "median of 80 and 70");
	cr_expect_eq(s_last_baseline(r.out, "nibp_sys"), 113.5, "median of 114 and 113");
	cr_expect_str_eq(s_raised_at(r.out, "dia-low"), "", "one low measurement only");
	cr_expect(strstr(r.out, "\"measured\":{\"nibp_sys\":\"1970-01-01T00:07:00.000Z\"") == NULL,
	          "the 113 of 07:00 is the one of 04:00 shown again");
	vt_rig_output_free(&r);
	vt_rig_rmtree(dir);
}
