/*
 * The shipped configuration against the shipped scenarios and, where they
 * are, every real recording, through the real binary: each replays
 * cleanly, and the events a clinician would check by hand are there (or,
 * for short excursions and artefacts, are not).
 */
#include <criterion/criterion.h>
#include <dirent.h>
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
	const char *files[] = {"config/vitalsd.yaml", "config/demo.yaml"};
	for (size_t i = 0; i < 2; i++) {
		char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", (char *)files[i], "-n", NULL};
		struct vt_rig_output r;
		vt_rig_run(argv, &r);
		cr_expect_eq(r.status, 0, "%s: %s", files[i], r.err);
		cr_expect_str_eq(r.out, "configuration OK\n");
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
