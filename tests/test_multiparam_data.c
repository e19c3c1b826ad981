/*
 * The rules on multiparameter values against real recordings
 * ($VITALS_DATA/multiparameter, or ../shared/data beside the project; each
 * test skips, naming the file, when it is absent; nothing is copied into
 * the tree). The expected alarms are worked out here from the recording
 * itself by the rules' own definitions (docs/alarms.md), independently of
 * the engine, so the test holds whatever the recording holds.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/base/timefmt.h"
#include "vitals/replay.h"

/* $VITALS_DATA/multiparameter/NAME, or NULL (the test then skips). */
static const char *
s_data(const char *name)
{
	static char path[1024];
	const char *base = getenv("VITALS_DATA");
	if (base == NULL || base[0] == '\0')
		base = vt_rig_root("../shared/data");
	snprintf(path, sizeof(path), "%s/multiparameter/%s", base, name);
	return access(path, R_OK) == 0 ? path : NULL;
}

#define SKIP_WITHOUT(path, name)                                                           \
	do {                                                                               \
		if ((path) == NULL)                                                        \
			cr_skip_test("multiparameter/%s not found: set VITALS_DATA", name); \
	} while (0)

/* One column of the recording: (t, value) for each row with a value. */
struct series {
	double t[4096], v[4096];
	size_t n;
};

/* s_column, or with `empty`, every row: NAN where the field is empty. */
static void s_column_rows(const char *path, const char *name, bool empty, struct series *s);

static void
s_column(const char *path, const char *name, struct series *s)
{
	s_column_rows(path, name, false, s);
}

static void
s_column_rows(const char *path, const char *name, bool empty, struct series *s)
{
	char *text = vt_rig_slurp(path, NULL);
	cr_assert_not_null(text);
	char *save = NULL, *line = strtok_r(text, "\n", &save);
	int col = -1, i = 0;
	for (char *h = line, *f; (f = strsep(&h, ",")) != NULL; i++)
		if (strcmp(f, name) == 0)
			col = i;
	cr_assert_geq(col, 0, "no column %s in %s", name, path);
	s->n = 0;
	while ((line = strtok_r(NULL, "\n", &save)) != NULL && s->n < 4096) {
		char *f, *p = line;
		double t = strtod(line, NULL);
		for (i = 0; (f = strsep(&p, ",")) != NULL; i++)
			if (i == col && ((f[0] != '\0' && f[0] != '\r') || empty)) {
				s->t[s->n] = t;
				s->v[s->n++] = f[0] != '\0' && f[0] != '\r' ? strtod(f, NULL) : NAN;
			}
	}
	free(text);
}

/* Replay `recording` on chair-1 with `rules`; the JSON lines, malloc'd. */
static char *
s_replay(const char *recording, const char *rules)
{
	char text[2048];
	snprintf(text, sizeof(text),
	         "publish: tcp://127.0.0.1:5556\n"
	         "monitors:\n"
	         "  - {bed: chair-1, port: /dev/null, protocol: masimo-ascii, stale_after: 3m}\n"
	         "rules:\n%s",
	         rules);
	struct vt_diag diag = {0};
	struct vt_config *cfg = vt_config_parse("t.yaml", text, strlen(text), &diag);
	cr_assert_not_null(cfg);
	vt_diag_clear(&diag);
	char spec[1100];
	snprintf(spec, sizeof(spec), "chair-1=%s", recording);
	char *specs[] = {spec};
	char *out = NULL, *errs = NULL;
	size_t out_len = 0, err_len = 0;
	FILE *o = open_memstream(&out, &out_len), *e = open_memstream(&errs, &err_len);
	int rc = vt_replay_run(cfg, specs, 1, NULL, 0, NULL, o, e);
	fclose(o);
	fclose(e);
	cr_assert_eq(rc, 0, "%s", errs);
	free(errs);
	vt_config_free(&cfg);
	return out;
}

/* The seconds (since the clock start) of every `event` of `rule` in the replay output. */
static size_t
s_events(const char *out, const char *rule, const char *event, double *at, size_t cap)
{
	size_t n = 0;
	char *copy = strdup(out), *save = NULL;
	char want_rule[96];
	snprintf(want_rule, sizeof(want_rule), "\"rule\":\"%s\"", rule);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		static const char alert[] = "{\"topic\":\"alert.";
		if (strncmp(line, alert, sizeof(alert) - 1) != 0 || strstr(line, want_rule) == NULL)
			continue; /* most lines are vitals: not worth parsing */
		json_t *j = json_loads(line, 0, NULL);
		const char *r = json_string_value(json_object_get(j, "rule"));
		const char *ev = json_string_value(json_object_get(j, "event"));
		if (r && ev && strcmp(r, rule) == 0 && strcmp(ev, event) == 0 && n < cap) {
			int64_t ms;
			cr_assert_eq(vt_time_parse(json_string_value(json_object_get(j, "time")), &ms), 0);
			at[n++] = (double)ms / 1000.0;
		}
		json_decref(j);
	}
	free(copy);
	return n;
}

/*
 * MIMIC-II s00001: 32 hours, a cuff reading about every 10 minutes, two of
 * them hypertensive. A systolic rule raises once per high measurement, at
 * the row that carries it, and clears at the next normal one.
 */
Test(multiparam_data, each_high_measurement_raises_once)
{
	const char *path = s_data("mimic2-s00001.csv");
	SKIP_WITHOUT(path, "mimic2-s00001.csv");
	struct series sys;
	s_column(path, "nibp_sys", &sys);
	double want[16];
	size_t n_want = 0;
	for (size_t i = 0; i < sys.n; i++)
		if (sys.v[i] > 160 && (i == 0 || sys.v[i - 1] <= 160) && n_want < 16)
			want[n_want++] = sys.t[i];
	cr_assert_gt(n_want, 0, "the recording has high readings");

	char *out = s_replay(path, "  - {name: sys-high, parameter: nibp_sys, above: 160}\n");
	double at[16];
	size_t n = s_events(out, "sys-high", "raised", at, 16);
	cr_expect_eq(n, n_want, "%zu alarms for %zu runs of high measurements", n, n_want);
	for (size_t i = 0; i < n && i < n_want; i++)
		cr_expect_eq(at[i], want[i], "alarm %zu at %g s, the measurement at %g s", i, at[i],
		             want[i]);
	/* Held between measurements: the minute rows without a cuff reading clear nothing. */
	double cleared[16];
	size_t nc = s_events(out, "sys-high", "cleared", cleared, 16);
	for (size_t i = 0; i < nc && i < n; i++) {
		size_t k = 0;
		while (k < sys.n && sys.t[k] <= at[i])
			k++;
		cr_expect(k < sys.n && cleared[i] == sys.t[k], "cleared at %g s, next measurement %g s",
		          cleared[i], k < sys.n ? sys.t[k] : -1.0);
	}
	free(out);
}

/*
 * The measurement times of `p` the replay output shows (its "measured" in
 * the vitals messages), each once, in `at`; how many.
 */
static size_t
s_measured(const char *out, const char *p, double *at, size_t cap)
{
	char key[64];
	snprintf(key, sizeof(key), "\"%s\":\"", p);
	size_t n = 0, klen = strlen(key);
	static const char mark[] = "\"measured\":{";
	/* Line by line (a message is a line), searching only inside it: a search to
	 * the end of the whole output for every message is quadratic, hours under ASan. */
	for (const char *line = out, *eol; *line != '\0'; line = eol + (*eol != '\0')) {
		eol = line + strcspn(line, "\n");
		const char *m = memmem(line, (size_t)(eol - line), mark, sizeof(mark) - 1);
		const char *end = m ? memchr(m, '}', (size_t)(eol - m)) : NULL;
		const char *k = end ? memmem(m, (size_t)(end - m), key, klen) : NULL;
		if (k == NULL)
			continue;
		char stamp[40];
		k += strlen(key);
		size_t len = strcspn(k, "\"");
		cr_assert_lt(len, sizeof(stamp));
		memcpy(stamp, k, len);
		stamp[len] = '\0';
		int64_t ms;
		cr_assert_eq(vt_time_parse(stamp, &ms), 0, "%s", stamp);
		/* A measurement shows in the messages after it until the next: in
		 * time order, a new one is a new time. */
		if ((n == 0 || at[n - 1] != (double)ms / 1000.0) && n < cap)
			at[n++] = (double)ms / 1000.0;
	}
	return n;
}

/*
 * MIMIC-II s00001 holds each pressure only in the row where a cuff
 * measurement completed, about every 10 minutes, and two of them often
 * read the same. A value after an empty field is a measurement of its own
 * at its row, equal to the last or not; a value in the row right after
 * another is one too when it differs (the old rule, which only a repeat of
 * the same value in consecutive rows fails). Counted here from the file.
 */
Test(multiparam_data, every_cuff_reading_after_an_empty_field_is_a_measurement)
{
	const char *path = s_data("mimic2-s00001.csv");
	SKIP_WITHOUT(path, "mimic2-s00001.csv");
	char *out = s_replay(path, "");
	static const char *const pressures[] = {"nibp_sys", "nibp_dia", "nibp_map"};
	for (size_t k = 0; k < 3; k++) {
		static struct series col;
		s_column_rows(path, pressures[k], true, &col);
		static double after_empty[4096], at[4096];
		size_t n_after_empty = 0, n_changed = 0, n_equal_again = 0;
		double last = NAN;
		for (size_t i = 0; i < col.n; i++) {
			if (isnan(col.v[i]))
				continue;
			if (i == 0 || isnan(col.v[i - 1]))
				after_empty[n_after_empty++] = col.t[i];
			else if (col.v[i] != col.v[i - 1])
				n_changed++;
			n_equal_again += col.v[i] == last;
			last = col.v[i];
		}
		cr_assert_gt(n_equal_again, 0, "%s: the recording has equal readings in a row",
		             pressures[k]);
		size_t n = s_measured(out, pressures[k], at, 4096);
		cr_expect_eq(n, n_after_empty + n_changed,
		             "%s: %zu measurements, the file has %zu after an empty field and %zu "
		             "changing right after another",
		             pressures[k], n, n_after_empty, n_changed);
		size_t j = 0;
		for (size_t i = 0; i < n_after_empty; i++) {
			while (j < n && at[j] < after_empty[i])
				j++;
			cr_expect(j < n && at[j] == after_empty[i], "%s: no measurement at %g s",
			          pressures[k], after_empty[i]);
		}
	}
	free(out);
}

/* Runs of consecutive measurements beyond `limit` (below) of at least `len`. */
static size_t
s_runs_below(const struct series *s, double limit, size_t len)
{
	size_t runs = 0, cur = 0;
	for (size_t i = 0; i <= s->n; i++) {
		if (i < s->n && s->v[i] < limit) {
			cur++;
			continue;
		}
		runs += cur >= len;
		cur = 0;
	}
	return runs;
}

/*
 * MIMIC-II s25047: a deterioration, a cuff reading about every 2 minutes,
 * the mean pressure below 65 in many of them. With `for: 2` a run of two
 * low measurements in a row raises; a single low one does not.
 */
Test(multiparam_data, for_counts_consecutive_low_measurements)
{
	const char *path = s_data("mimic2-s25047.csv");
	SKIP_WITHOUT(path, "mimic2-s25047.csv");
	struct series map;
	s_column(path, "nibp_map", &map);
	size_t one = s_runs_below(&map, 65, 1), two = s_runs_below(&map, 65, 2);
	cr_assert_gt(one, two, "the recording has single low readings and runs of them");
	cr_assert_gt(two, 0);
	char *out = s_replay(path, "  - {name: map-1, parameter: nibp_map, below: 65}\n"
	                           "  - {name: map-2, parameter: nibp_map, below: 65, for: 2}\n");
	double at[64];
	cr_expect_eq(s_events(out, "map-1", "raised", at, 64), one);
	cr_expect_eq(s_events(out, "map-2", "raised", at, 64), two);
	free(out);
}

/*
 * The UW capnography recordings: healthy volunteers, breathing all along
 * (RR 8-20), with EtCO2 dips below 10 mmHg of a few seconds (artefacts) and
 * one 19-second dropout of the capnograph (no value at all). The shipped
 * apnea rule (30 s) raises nothing; a rule whose no_breath_for is shorter
 * than the longest time without a breath value does.
 */
Test(multiparam_data, real_breathing_raises_no_apnea)
{
	static const char *const files[] = {"uw-100001-capno.csv", "uw-100002-capno.csv",
	                                    "uw-100003-capno.csv", "uw-100004-capno.csv",
	                                    "uw-100005-capno.csv", "uw-100006-capno.csv"};
	size_t found = 0;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		const char *path = s_data(files[f]);
		if (path == NULL)
			continue;
		found++;
		struct series co2;
		s_column(path, "etco2", &co2);
		/* The longest time without a breath by the rule's definition: from the last
		 * value at or above 10 mmHg to the next one. */
		double longest = 0, last = co2.n ? co2.t[0] : 0;
		for (size_t i = 0; i < co2.n; i++)
			if (co2.v[i] >= 10) {
				if (co2.t[i] - last > longest)
					longest = co2.t[i] - last;
				last = co2.t[i];
			}
		cr_assert_lt(longest, 30, "%s: a real gap of %g s", files[f], longest);
		char *out = s_replay(path, "  - {name: apnea, parameter: etco2, no_breath_for: 30s}\n");
		double at[8];
		cr_expect_eq(s_events(out, "apnea", "raised", at, 8), 0, "%s", files[f]);
		free(out);
		if (longest >= 2) {
			char rule[128];
			snprintf(rule, sizeof(rule),
			         "  - {name: apnea, parameter: etco2, no_breath_for: %dms}\n",
			         (int)(longest * 1000) - 500);
			out = s_replay(path, rule);
			cr_expect_gt(s_events(out, "apnea", "raised", at, 8), 0,
			             "%s: %g s without a breath, a shorter delay must raise", files[f],
			             longest);
			free(out);
		}
	}
	if (found == 0)
		cr_skip_test("multiparameter/uw-*-capno.csv not found: set VITALS_DATA");
}
