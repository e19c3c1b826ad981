/*
 * The shipped configuration against the shipped scenarios and, where they
 * are, every real recording, through the real binary: each replays
 * cleanly, and the events a clinician would check by hand are there (or,
 * for short excursions and artefacts, are not). Its rules on blood
 * pressure, capnography and the rest are for multiparameter monitors: a
 * pulse oximeter's bed hears nothing of them, not even no-data.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"

static int
s_replay(struct vt_rig_output *r, const char *recording)
{
	char spec[512];
	snprintf(spec, sizeof(spec), "chair-1=%s", recording);
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", "config/vitalsd.yaml", "--replay",
	                spec, NULL};
	return vt_rig_run(argv, r);
}

/* Count lines of the output holding every needle. */
static int
s_count(const char *out, const char *a, const char *b)
{
	int n = 0;
	for (const char *line = out; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *copy = strndup(line, len);
		if (strstr(copy, a) && (b == NULL || strstr(copy, b)))
			n++;
		free(copy);
		line = end ? end + 1 : NULL;
	}
	return n;
}

Test(shipped, configurations_check_ok)
{
	/* Each says, as a note, which beds' monitors do not measure what rules watch. */
	const char *files[] = {"config/vitalsd.yaml", "config/demo.yaml"};
	const char *notes[] = {
	    ": note: chair-1, chair-2, chair-3 and chair-4 (masimo-ascii, nonin-df7, nellcor-ascii) "
	    "do not measure hr, rr, nibp_sys, nibp_dia, nibp_map, etco2 or temp: inactive there: "
	    "hr-high, hr-low, rr-low, rr-high and 11 more rules\n",
	    ": note: chair-1, chair-2 and chair-3 (nonin-df7, masimo-ascii, nellcor-ascii) do not "
	    "measure nibp_sys: inactive there: nibp-surge, nibp-sys-high, nibp-sys-low\n"};
	for (size_t i = 0; i < 2; i++) {
		char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", (char *)files[i], "-n", NULL};
		struct vt_rig_output r;
		vt_rig_run(argv, &r);
		cr_expect_eq(r.status, 0, "%s: %s", files[i], r.err);
		cr_expect_str_eq(r.out, "configuration OK\n");
		cr_expect(strstr(r.err, notes[i]) != NULL, "%s: no <%s> in:\n%s", files[i], notes[i],
		          r.err);
		cr_expect_eq(s_count(r.err, ": note: ", NULL), 1, "%s: %s", files[i], r.err);
		vt_rig_output_free(&r);
	}
}

/* Every file of `dir` ending in `suffix`, replayed with the shipped configuration. */
static int
s_replay_all(const char *dir, const char *suffix, bool scenarios)
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < strlen(suffix) || strcmp(e->d_name + len - strlen(suffix), suffix) != 0)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (scenarios) {
			char rel[600];
			snprintf(rel, sizeof(rel), "scenarios/%s", e->d_name);
			snprintf(path, sizeof(path), "%s", vt_rig_scenario_csv(rel));
		}
		struct vt_rig_output r;
		s_replay(&r, path);
		cr_expect_eq(r.status, 0, "%s: exit %d: %s", path, r.status, r.err);
		cr_expect_eq(r.err_len, 0, "%s: stderr: %s", path, r.err);
		cr_expect_gt(s_count(r.out, "\"type\":\"vitals\"", NULL), 0, "%s: no vitals", path);
		vt_rig_output_free(&r);
		n++;
	}
	closedir(d);
	return n;
}

Test(shipped, every_scenario_replays)
{
	int n = s_replay_all(vt_rig_root("scenarios"), ".yaml", true);
	cr_expect_geq(n, 5, "expected the 5 scenarios at least, found %d", n);
}

Test(shipped, every_real_recording_replays)
{
	int n = s_replay_all(vt_rig_recording("recordings"), ".csv", false);
	cr_expect_eq(n, 66, "expected the 66 recordings, found %d", n);
}

/*
 * When the shipped spo2-low rule should raise and clear on a CSV ("t,spo2,...")
 * of one reading a second: once the run below 90 % has gathered 10 %·s
 * (area: 10) or lasted 15 s (for: 15s), whichever comes first; cleared at
 * the first reading of 92 % or more (clear_at).
 */
struct course {
	int below90;   /* first second SpO2 is below 90 */
	int raised;    /* the second the rule should raise */
	int back92;    /* first second after that it is 92 or more */
};

static struct course
s_course(const char *csv)
{
	struct course c = {-1, -1, -1};
	double area = 0;
	FILE *fp = fopen(csv, "r");
	cr_assert_not_null(fp, "%s", csv);
	char line[512];
	cr_assert_not_null(fgets(line, sizeof(line), fp));
	cr_assert(strncmp(line, "t,spo2,", 7) == 0, "%s", line);
	while (fgets(line, sizeof(line), fp)) {
		int t, spo2;
		if (sscanf(line, "%d,%d,", &t, &spo2) != 2)
			continue;
		if (c.below90 < 0 && spo2 < 90)
			c.below90 = t;
		if (c.below90 >= 0 && c.raised < 0 && spo2 < 90) {
			area += 90 - spo2;
			if (area >= 10 || t - c.below90 >= 15)
				c.raised = t;
		}
		if (c.raised >= 0 && c.back92 < 0 && spo2 >= 92)
			c.back92 = t;
	}
	fclose(fp);
	return c;
}

Test(shipped, desaturation_scenario_raises_and_clears)
{
	const char *csv = vt_rig_scenario_csv("scenarios/desaturation.yaml");
	struct course c = s_course(csv);
	cr_assert(c.below90 > 0 && c.raised > c.below90 && c.back92 > c.raised,
	          "the scenario desaturates and recovers");
	struct vt_rig_output r;
	s_replay(&r, csv);
	cr_assert_eq(r.status, 0);
	char raised[64], cleared[64];
	snprintf(raised, sizeof(raised), "\"time\":\"1970-01-01T00:%02d:%02d.000Z\"",
	         c.raised / 60, c.raised % 60);
	snprintf(cleared, sizeof(cleared), "\"time\":\"1970-01-01T00:%02d:%02d.000Z\"",
	         c.back92 / 60, c.back92 % 60);
	cr_expect_eq(s_count(r.out, "\"id\":\"chair-1/spo2-low/1\",\"event\":\"raised\"", raised),
	             1, "want %s", raised);
	/* It goes below 85 % for more than 5 s: the same alarm at high priority. */
	cr_expect_eq(s_count(r.out, "\"id\":\"chair-1/spo2-low/1\",\"event\":\"escalated\"",
	                     "\"priority\":\"high\""),
	             1);
	cr_expect_eq(s_count(r.out, "\"id\":\"chair-1/spo2-low/1\",\"event\":\"cleared\"", cleared),
	             1, "want %s", cleared);
	/* Within the first two minutes: what `make demo` shows, ten times faster. */
	cr_expect_lt(c.raised, 120);
	vt_rig_output_free(&r);
}

Test(shipped, artefacts_scenario_raises_nothing_physiological)
{
	const char *configs[] = {"config/vitalsd.yaml", "config/demo.yaml"};
	char spec[4200];
	snprintf(spec, sizeof(spec), "chair-1=%s", vt_rig_scenario_csv("scenarios/artefacts.yaml"));
	for (size_t i = 0; i < 2; i++) {
		char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", (char *)configs[i], "--replay",
		                spec, NULL};
		struct vt_rig_output r;
		vt_rig_run(argv, &r);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_expect_eq(s_count(r.out, "\"kind\":\"physiological\"", NULL), 0, "%s", configs[i]);
		/* The probe and the signal are what it is about. */
		cr_expect_geq(s_count(r.out, "\"rule\":\"sensor-off\"", "\"raised\""), 3, "%s",
		              configs[i]);
		cr_expect_geq(s_count(r.out, "\"rule\":\"signal-quality\"", "\"raised\""), 3, "%s",
		              configs[i]);
		vt_rig_output_free(&r);
	}
}

Test(shipped, short_spo2_dip_raises_nothing)
{
	struct vt_rig_output r;
	s_replay(&r, vt_rig_recording("recordings/bidmc-22.csv"));
	cr_assert_eq(r.status, 0);
	/* 89 then 88 %: 1 + 2 = 3 %·s below 90, short of the 10 that alarm. */
	cr_expect_eq(s_count(r.out, "\"rule\":\"spo2-low\"", NULL), 0);
	vt_rig_output_free(&r);
}

Test(shipped, real_tachycardia_raises_pr_high)
{
	struct vt_rig_output r;
	s_replay(&r, vt_rig_recording("recordings/bidmc-21.csv"));
	cr_assert_eq(r.status, 0);
	/* PR first exceeds 120 at t=44 (121 bpm), then 122, 122, 123, 123: 1 + 2 + 2 + 3 + 3
	 * bpm·s above 120 reach the 10 that alarm at t=48. */
	cr_expect_eq(s_count(r.out, "\"id\":\"chair-1/pr-high/1\",\"event\":\"raised\"",
	                     "\"time\":\"1970-01-01T00:00:48.000Z\""),
	             1, "%s", r.out);
	vt_rig_output_free(&r);
}

Test(shipped, real_desaturation_raises_and_clears)
{
	struct vt_rig_output r;
	s_replay(&r, vt_rig_recording("recordings/uw-100001-masimo.csv"));
	cr_assert_eq(r.status, 0);
	/* SpO2 first below 90 at t=371, at 89: 1 %·s a second reach 10 at t=380, raised at medium. */
	cr_expect_eq(s_count(r.out, "\"id\":\"chair-1/spo2-low/1\",\"event\":\"raised\"",
	                     "\"time\":\"1970-01-01T00:06:20.000Z\""),
	             1);
	/* Below 85 for 5 s: the same alarm at high priority, not a second one. */
	cr_expect_eq(s_count(r.out, "\"id\":\"chair-1/spo2-low/1\",\"event\":\"escalated\"",
	                     "\"priority\":\"high\""),
	             1);
	cr_expect_eq(s_count(r.out, "\"event\":\"raised\"", "\"kind\":\"physiological\""), 1);
	/* The first value of 92 or more after that is 93 at t=877. */
	cr_expect_eq(s_count(r.out, "\"id\":\"chair-1/spo2-low/1\",\"event\":\"cleared\"",
	                     "\"time\":\"1970-01-01T00:14:37.000Z\""),
	             1);
	vt_rig_output_free(&r);
}

Test(shipped, broken_configuration_reports_every_error)
{
	char path[] = "/tmp/vt-broken-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	cr_assert_geq(fd, 0);
	const char *text = "publish: tcp://127.0.0.1:5556\n"
	                   "heartbeat: 1\n"
	                   "monitors:\n"
	                   "  - bed: chair-1\n"
	                   "    port: /dev/ttyUSB0\n"
	                   "    protocol: masimo\n"
	                   "rules:\n"
	                   "  - name: spo2-low\n"
	                   "    parameter: spo2\n"
	                   "    below: ninety\n";
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", path, "-n", NULL};
	struct vt_rig_output r;
	vt_rig_run(argv, &r);
	cr_expect_eq(r.status, 78);
	char want[3][512];
	snprintf(want[0], 512, "%s:2:12: ", path);
	snprintf(want[1], 512, "%s:6:15: ", path);
	snprintf(want[2], 512, "%s:10:12: ", path);
	for (int i = 0; i < 3; i++)
		cr_expect(strstr(r.out, want[i]) || strstr(r.err, want[i]), "missing <%s> in: %s%s",
		          want[i], r.out, r.err);
	vt_rig_output_free(&r);
	unlink(path);
}

/* ---- what a bed measures --------------------------------------------------------- */

/* The technical alerts raised in a replay's output that starts at the epoch,
 * "RULE PARAMETER@SECONDS" a line. */
static char *
s_technical(const char *out)
{
	size_t cap = 4096, o = 0;
	char *list = calloc(1, cap);
	cr_assert_not_null(list);
	for (const char *line = out; line && *line;) {
		const char *end = strchr(line, '\n');
		json_error_t err;
		json_t *m = json_loadb(line, end ? (size_t)(end - line) : strlen(line), 0, &err);
		cr_assert_not_null(m, "%s", err.text);
		const char *type = json_string_value(json_object_get(m, "type"));
		const char *kind = json_string_value(json_object_get(m, "kind"));
		const char *event = json_string_value(json_object_get(m, "event"));
		if (strcmp(type, "alert") == 0 && strcmp(kind, "technical") == 0 &&
		    strcmp(event, "raised") == 0) {
			const char *param = json_string_value(json_object_get(m, "parameter"));
			const char *time = json_string_value(json_object_get(m, "time"));
			/* "1970-01-01T00:MM:SS.mmmZ": within the replay's first hour. */
			int min = 0;
			double sec = 0;
			cr_assert_eq(sscanf(time, "1970-01-01T00:%d:%lfZ", &min, &sec), 2, "%s", time);
			o += (size_t)snprintf(list + o, cap - o, "%s %s@%d\n",
			                      json_string_value(json_object_get(m, "rule")),
			                      param ? param : "-", (int)(min * 60 + sec));
			cr_assert_lt(o, cap);
		}
		json_decref(m);
		line = end ? end + 1 : NULL;
	}
	return list;
}

/*
 * The numerics CSV `csv` as the monitor of `protocol` sends it (with the
 * monitor silent from 110 to 140 s if `mute`), written beside it as a
 * session recording, replayed on `bed` of `config` through the bed's
 * driver: the output in r.
 */
static void
s_replay_device(struct vt_rig_output *r, const char *config, const char *bed, const char *csv,
                const char *protocol, bool mute)
{
	char session[300], spec[400];
	snprintf(session, sizeof(session), "%s.%s.vsr", csv, protocol);
	char *emulate[] = {(char *)vt_rig_build("vitals-emulate"), (char *)csv, "--protocol",
	                   (char *)protocol, "--session", session, "--start-time",
	                   "1970-01-01T00:00:00Z", /* without `mute`, the arguments end here */
	                   mute ? "--mute-at" : NULL, "110", "--mute-for",
	                   "30", NULL};
	cr_assert_eq(vt_rig_run(emulate, r), 0);
	cr_assert_eq(r->status, 0, "%s", r->err);
	vt_rig_output_free(r);
	snprintf(spec, sizeof(spec), "%s=%s", bed, session);
	char *replay[] = {(char *)vt_rig_build("vitalsd"), "-c", (char *)config, "--replay", spec,
	                  NULL};
	cr_assert_eq(vt_rig_run(replay, r), 0);
	cr_assert_eq(r->status, 0, "%s", r->err);
}

/*
 * A pulse oximeter under the shipped file, through its driver: 21 minutes of
 * SpO2 and pulse rate (past the 10 s of stale_after and the cuff's 20
 * minutes of nibp_stale_after), SpO2 without a value from 60 to 100 s, and
 * the monitor silent from 110 to 140 s. What it raises is about SpO2 and
 * the link, nothing about the parameters that rules watch and it does not
 * measure.
 */
Test(shipped, an_oximeter_raises_no_data_only_for_what_it_measures)
{
	static const struct {
		const char *protocol, *bed, *want;
	} cases[] = {
	    {"masimo-ascii", "chair-1", "no-data spo2@69\ncomm-lost -@119\n"},
	    /* A Nonin holds the lost value for 10 s, saying the sensor is off. */
	    {"nonin-df7", "chair-2", "sensor-off -@60\nno-data spo2@80\ncomm-lost -@119\n"},
	    /* A Nellcor sends a line every 2 s. */
	    {"nellcor-ascii", "chair-3", "no-data spo2@68\ncomm-lost -@118\n"},
	};
	char dir[64], csv[256];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "shipped-measures"), 0);
	size_t cap = 32 * 1300, o = 0;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	o += (size_t)snprintf(text + o, cap - o, "t,spo2,pr\n");
	for (int t = 0; t < 1300; t++)
		o += (size_t)snprintf(text + o, cap - o, "%d,%s,72\n", t, t >= 60 && t < 100 ? "" : "97");
	cr_assert_eq(vt_rig_write_file(dir, "oximeter.csv", text, csv, sizeof(csv)), 0);
	free(text);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vt_rig_output r;
		s_replay_device(&r, "config/vitalsd.yaml", cases[i].bed, csv, cases[i].protocol, true);
		char *got = s_technical(r.out);
		cr_expect_str_eq(got, cases[i].want, "%s", cases[i].protocol);
		free(got);
		vt_rig_output_free(&r);
	}
	vt_rig_rmtree(dir);
}

/*
 * A multiparameter monitor (an Ivy 450C, which can carry every parameter the
 * shipped rules watch) on chair-4 of the shipped file: no respiratory rate,
 * cuff or temperature probe is fitted, and the capnograph shows EtCO2 for
 * 50 s, then is pulled out. Only its EtCO2 is awaited: no-data 10 s after
 * its last value (and apnea, 30 s after the last breath).
 */
Test(shipped, a_monitor_raises_no_data_for_a_module_it_loses)
{
	char dir[64], csv[256], cfg[256];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "shipped-module"), 0);
	size_t len;
	char *shipped = vt_rig_slurp(vt_rig_root("config/vitalsd.yaml"), &len);
	cr_assert_not_null(shipped);
	static const char was[] = "    port: tcp://192.0.2.40:4001\n    protocol: masimo-ascii\n";
	char *at = strstr(shipped, was);
	cr_assert_not_null(at, "chair-4 of config/vitalsd.yaml is not as this test knows it");
	size_t head = (size_t)(at - shipped);
	char *text = malloc(len + 64);
	cr_assert_not_null(text);
	snprintf(text, len + 64, "%.*s    port: tcp://192.0.2.40:4001\n    protocol: ivy-ansarb\n%s",
	         (int)head, shipped, at + strlen(was));
	cr_assert_eq(vt_rig_write_file(dir, "vitalsd.yaml", text, cfg, sizeof(cfg)), 0);
	free(text);
	free(shipped);

	char rows[8192];
	size_t o = (size_t)snprintf(rows, sizeof(rows), "t,spo2,pr,hr,etco2\n");
	for (int t = 0; t < 100; t++)
		o += (size_t)snprintf(rows + o, sizeof(rows) - o, "%d,97,72,72,%s\n", t,
		                      t < 50 ? "35" : "");
	cr_assert_eq(vt_rig_write_file(dir, "monitor.csv", rows, csv, sizeof(csv)), 0);
	struct vt_rig_output r;
	s_replay_device(&r, cfg, "chair-4", csv, "ivy-ansarb", false);
	char *got = s_technical(r.out);
	cr_expect_str_eq(got, "no-data etco2@59\n");
	free(got);
	cr_expect_eq(s_count(r.out, "\"id\":\"chair-4/apnea/1\",\"event\":\"raised\"",
	                     "\"time\":\"1970-01-01T00:01:19.000Z\""),
	             1, "%s", r.out);
	vt_rig_output_free(&r);
	vt_rig_rmtree(dir);
}
