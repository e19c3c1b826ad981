/*
 * The shipped configuration against every real recording, through the real
 * binary: each replays cleanly, and the events a clinician would check by
 * hand are there (or, for short excursions, are not).
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

Test(shipped, every_recording_replays)
{
	DIR *d = opendir(vt_rig_root("data/recordings"));
	cr_assert_not_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".csv") == NULL)
			continue;
		char path[512];
		snprintf(path, sizeof(path), "data/recordings/%s", e->d_name);
		struct vt_rig_output r;
		s_replay(&r, path);
		cr_expect_eq(r.status, 0, "%s: exit %d: %s", path, r.status, r.err);
		cr_expect_eq(r.err_len, 0, "%s: stderr: %s", path, r.err);
		cr_expect_gt(s_count(r.out, "\"type\":\"vitals\"", NULL), 0, "%s: no vitals", path);
		vt_rig_output_free(&r);
		n++;
	}
	closedir(d);
	cr_expect_eq(n, 66, "expected the 66 recordings, found %d", n);
}

Test(shipped, short_spo2_dip_raises_nothing)
{
	struct vt_rig_output r;
	s_replay(&r, "data/recordings/bidmc-22.csv");
	cr_assert_eq(r.status, 0);
	/* 89 then 88 %: 1 + 2 = 3 %·s below 90, short of the 10 that alarm. */
	cr_expect_eq(s_count(r.out, "\"rule\":\"spo2-low\"", NULL), 0);
	vt_rig_output_free(&r);
}

Test(shipped, real_tachycardia_raises_pr_high)
{
	struct vt_rig_output r;
	s_replay(&r, "data/recordings/bidmc-21.csv");
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
	s_replay(&r, "data/recordings/uw-100001-masimo.csv");
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
