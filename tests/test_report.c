/*
 * vitals-report, the infusion record. Two halves:
 *
 *  - the record's arithmetic, fed by hand (interval medians, a cuff's
 *    measurements counted once, alarms built from the station's events,
 *    the summary, sessions found from the phases set);
 *  - the program on a recorded session (tests/data/report/chair-1.vsr,
 *    made by scripts/record-report-session.sh from a live daemon, an
 *    emulated monitor and a nurse's commands): the PDF opens (pdfinfo),
 *    its vitals table holds the medians of the recording's own values,
 *    decoded here by the bed's driver apart from the report (pdftotext),
 *    its alarm log names every alarm of the session, every page renders
 *    (pdftoppm), and the trend page matches its reviewed golden image
 *    (tests/golden/report/trends.png, make goldens-report) within the
 *    tolerance below.
 */
#include <criterion/criterion.h>
#include <cairo.h>
#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/base/timefmt.h"
#include "vitals/drivers/driver.h"
#include "vitals/report/find.h"
#include "vitals/report/output.h"
#include "vitals/report/record.h"
#include "vitals/wire/session.h"

#define SESSION "tests/data/report/chair-1.vsr"
#define CONFIG "tests/data/report/report.yaml"
#define GOLDEN "tests/golden/report/trends.png"

/*
 * The golden comparison's tolerance: a pixel differs when one of its
 * channels is more than S_PIXEL_THRESHOLD (of 255) away from the golden's,
 * and the page may have at most S_PIXEL_FRACTION of its pixels differ.
 * Enough for text drawn by another FreeType or cairo (antialiasing at the
 * edges of glyphs), far too little for a line, a band or a label that
 * moved.
 */
#define S_PIXEL_THRESHOLD 64
#define S_PIXEL_FRACTION 0.003

/* 2026-11-21T10:00:00.000Z */
#define T0 1795255200000LL

/* ---- the record, by hand ----------------------------------------------------- */

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

Test(report_record, interval_medians_minimum_and_phase)
{
	struct vt_record r;
	vt_record_init(&r, "chair-1", T0 + 30000, T0 + 179000, 5000);
	/* Before `from`: left out. */
	struct vt_reading early = s_reading(50, 200);
	vt_record_reading(&r, T0 + 1000, &early);
	/* 10:00:30-10:00:59: SpO2 90..99 and one without a value; PR 60 and 70 alternately. */
	for (int i = 0; i < 30; i++) {
		struct vt_reading rd = s_reading(i == 7 ? NAN : 90 + i % 10, i % 2 ? 70 : 60);
		vt_record_reading(&r, T0 + 30000 + i * 1000, &rd);
	}
	/* 10:01: nothing (a gap); 10:02: three readings. */
	double spo2[] = {95, 88, 97};
	for (int i = 0; i < 3; i++) {
		struct vt_reading rd = s_reading(spo2[i], 80 + i);
		vt_record_reading(&r, T0 + 120000 + i * 1000, &rd);
	}
	const char *baseline = "{\"cmd\":\"phase\",\"phase\":\"baseline\",\"by\":\"a\"}";
	const char *infusion = "{\"cmd\":\"phase\",\"phase\":\"infusion\",\"by\":\"a\"}";
	vt_record_station(&r, VT_REC_CONTROL, T0 + 40000, baseline, strlen(baseline));
	vt_record_station(&r, VT_REC_CONTROL, T0 + 125000, infusion, strlen(infusion));

	struct vt_record_row *rows;
	size_t n = vt_record_table(&r, 60000, &rows);
	cr_assert_eq(n, 3, "10:00, 10:01 and 10:02");
	cr_assert_eq(rows[0].t, T0);
	/* 29 SpO2 values: 90..99 three times less the 97 at i = 7: median 94. */
	cr_assert_float_eq(rows[0].median[VT_SPO2], 94, 1e-9);
	cr_assert_float_eq(rows[0].median[VT_PR], 65, 1e-9, "an even count: the mean of the middle two");
	cr_assert_float_eq(rows[0].spo2_min, 90, 1e-9);
	cr_assert_eq(rows[0].phase, -1, "no phase at 10:00:30");
	cr_assert_eq(rows[1].has, 0, "the gap has no value, not a zero");
	cr_assert(isnan(rows[1].median[VT_SPO2]));
	cr_assert_eq(rows[1].phase, VT_PHASE_BASELINE);
	cr_assert_float_eq(rows[2].median[VT_SPO2], 95, 1e-9);
	cr_assert_float_eq(rows[2].spo2_min, 88, 1e-9);
	cr_assert_eq(rows[2].phase, VT_PHASE_BASELINE, "the phase at the interval's start");
	free(rows);

	/* Gaps break the series: the missing value and the minute without readings. */
	const struct vt_record_series *s = &r.series[VT_SPO2];
	size_t nans = 0;
	for (size_t i = 0; i < s->n; i++)
		nans += isnan(s->p[i].v);
	cr_assert_eq(nans, 1);
	char buf[16];
	cr_assert_str_eq(vt_record_format(VT_SPO2, 94.5, buf, sizeof(buf)), "95");
	cr_assert_str_eq(vt_record_format(VT_PI, 3.649, buf, sizeof(buf)), "3.6");
	cr_assert_str_eq(vt_record_format(VT_PR, NAN, buf, sizeof(buf)), "-");
	vt_record_release(&r);
}

Test(report_record, a_cuff_measurement_counts_once)
{
	struct vt_record r;
	vt_record_init(&r, "chair-1", T0, T0 + 3600000, 10000);
	struct vt_reading rd = {0};
	vt_reading_set(&rd, VT_NIBP_SYS, 120);
	vt_reading_set(&rd, VT_NIBP_DIA, 80);
	/* The monitor repeats its last measurement every second for a minute. */
	for (int i = 0; i < 60; i++)
		vt_record_reading(&r, T0 + i * 1000, &rd);
	/* A new one 5 minutes later, then the same values again after a silence: two more. */
	vt_reading_set(&rd, VT_NIBP_SYS, 131);
	vt_record_reading(&r, T0 + 300000, &rd);
	vt_record_reading(&r, T0 + 301000, &rd);
	vt_record_reading(&r, T0 + 600000, &rd);
	cr_assert_eq(r.series[VT_NIBP_SYS].n, 3);
	cr_assert_eq(r.series[VT_NIBP_SYS].p[1].t, T0 + 300000);
	cr_assert_eq(r.series[VT_NIBP_SYS].p[2].t, T0 + 600000);
	/* A monitor that says when it measured: drawn then, and repeated, once. */
	vt_reading_set(&rd, VT_NIBP_SYS, 140);
	vt_reading_set_age(&rd, VT_NIBP_SYS, 90000, 810000);
	vt_record_reading(&r, T0 + 900000, &rd);
	vt_reading_set_age(&rd, VT_NIBP_SYS, 95000, 810000);
	vt_record_reading(&r, T0 + 905000, &rd);
	cr_assert_eq(r.series[VT_NIBP_SYS].n, 4);
	cr_assert_eq(r.series[VT_NIBP_SYS].p[3].t, T0 + 810000, "at its measurement time");
	/* One whose clock runs ten times as fast as ours (an emulator at 10x):
	 * a repeat a second later is 10 s older, still once; the next
	 * measurement, 3 min later on its clock (18 s on ours), is drawn. */
	vt_reading_set(&rd, VT_NIBP_SYS, 150);
	vt_reading_set_age(&rd, VT_NIBP_SYS, 2000, 5000000);
	vt_record_reading(&r, T0 + 910000, &rd);
	for (int i = 1; i <= 10; i++) {
		vt_reading_set_age(&rd, VT_NIBP_SYS, 2000 + i * 10000, 5000000);
		vt_record_reading(&r, T0 + 910000 + i * 1000, &rd);
	}
	vt_reading_set_age(&rd, VT_NIBP_SYS, 1000, 5180000);
	vt_record_reading(&r, T0 + 928000, &rd);
	cr_assert_eq(r.series[VT_NIBP_SYS].n, 6, "one point for each measurement");
	cr_assert_eq(r.series[VT_NIBP_SYS].p[4].t, T0 + 908000);
	cr_assert_eq(r.series[VT_NIBP_SYS].p[5].t, T0 + 927000);
	/* A port lost breaks continuous trends, never a cuff's points. */
	vt_record_gap(&r, T0 + 950000);
	cr_assert_eq(r.series[VT_NIBP_SYS].n, 6);
	struct vt_record_summary sum;
	vt_record_summarise(&r, &sum);
	cr_assert(sum.has_bp);
	cr_assert_float_eq(sum.sys_max, 150, 1e-9);
	cr_assert(vt_record_episodic(VT_NIBP_MAP));
	cr_assert_not(vt_record_episodic(VT_SPO2));
	vt_record_release(&r);
}

/* An alert event as the daemon publishes it, into the record. */
static void
s_alert(struct vt_record *r, const char *instance, const char *id, const char *event,
        const char *time, const char *priority, const char *extra)
{
	char json[1024];
	int n = snprintf(json, sizeof(json),
	                 "{\"type\":\"alert\",\"time\":\"%s\",\"instance\":\"%s\",\"id\":\"%s\","
	                 "\"event\":\"%s\",\"rule\":\"spo2-low\",\"kind\":\"physiological\","
	                 "\"priority\":\"%s\",\"parameter\":\"spo2\",\"value\":86,\"worst\":84,"
	                 "\"limit\":90,\"onset\":\"2026-11-21T10:00:50.000Z\",\"text\":\"SpO2 %s\"%s}",
	                 time, instance, id, event, priority, event, extra ? extra : "");
	cr_assert_eq(vt_record_station(r, VT_REC_ALERT, 0, json, (size_t)n), 0);
}

Test(report_record, alarms_from_the_station_events)
{
	struct vt_record r;
	vt_record_init(&r, "chair-1", T0 + 60000, T0 + 600000, 10000);
	s_alert(&r, "i1", "chair-1/spo2-low/1", "raised", "2026-11-21T10:01:05.000Z", "medium", NULL);
	s_alert(&r, "i1", "chair-1/spo2-low/1", "escalated", "2026-11-21T10:02:05.000Z", "high", NULL);
	s_alert(&r, "i1", "chair-1/spo2-low/1", "acknowledged", "2026-11-21T10:02:10.000Z", "high",
	        ",\"by\":\"station-2\"");
	s_alert(&r, "i1", "chair-1/spo2-low/1", "silenced", "2026-11-21T10:02:11.000Z", "high",
	        ",\"by\":\"station-3\",\"silenced_until\":\"2026-11-21T10:04:11.000Z\"");
	s_alert(&r, "i1", "chair-1/spo2-low/1", "cleared", "2026-11-21T10:03:00.000Z", "high", NULL);
	/* The daemon restarted: the same id is another alarm. */
	s_alert(&r, "i2", "chair-1/spo2-low/1", "raised", "2026-11-21T10:05:00.000Z", "low", NULL);
	/* Before the record and over before it began: left out by trim. */
	s_alert(&r, "i0", "chair-1/spo2-low/7", "raised", "2026-11-21T09:50:00.000Z", "low", NULL);
	s_alert(&r, "i0", "chair-1/spo2-low/7", "cleared", "2026-11-21T09:51:00.000Z", "low", NULL);
	/* A malformed one is ignored. */
	cr_assert_eq(vt_record_station(&r, VT_REC_ALERT, 0, "{\"id\":3}", 8), 0);
	cr_assert_eq(vt_record_station(&r, VT_REC_DATA, 0, "{}", 2), -1);
	vt_record_trim(&r);
	cr_assert_eq(r.n_alarms, 2);
	const struct vt_record_alarm *a = &r.alarms[0];
	cr_assert_str_eq(a->id, "chair-1/spo2-low/1");
	cr_assert_eq(a->priority, VT_PRIO_HIGH, "the highest priority it reached");
	cr_assert_eq(a->raised, T0 + 65000);
	cr_assert_eq(a->onset, T0 + 50000);
	cr_assert_eq(a->acked, T0 + 130000);
	cr_assert_str_eq(a->acked_by, "station-2");
	cr_assert_eq(a->silenced, T0 + 131000);
	cr_assert_str_eq(a->silenced_by, "station-3");
	cr_assert_eq(a->cleared, T0 + 180000);
	cr_assert(a->has_peak);
	cr_assert_float_eq(a->peak, 84, 1e-9);
	cr_assert_str_eq(r.alarms[1].instance, "i2");
	cr_assert_eq(r.alarms[1].cleared, 0, "still active at the end");
	struct vt_record_summary sum;
	vt_record_summarise(&r, &sum);
	cr_assert_eq(sum.alarms[VT_PRIO_HIGH], 1);
	cr_assert_eq(sum.alarms[VT_PRIO_LOW], 1);
	cr_assert_eq(sum.technical, 0);
	vt_record_release(&r);
}

Test(report_record, summary_below_90_and_back_to_baseline)
{
	struct vt_record r;
	vt_record_init(&r, "chair-1", T0, T0 + 600000, 5000);
	/* 97 for 10 s, 85 for 20 s, no value for 30 s (a gap, not counted), 89 then 92. */
	int64_t t = T0;
	for (int i = 0; i < 10; i++, t += 1000) {
		struct vt_reading rd = s_reading(97, 70);
		vt_record_reading(&r, t, &rd);
	}
	for (int i = 0; i < 20; i++, t += 1000) {
		struct vt_reading rd = s_reading(85 - (i == 12), 90 + i);
		vt_record_reading(&r, t, &rd);
	}
	t += 30000;
	struct vt_reading low = s_reading(89, 80), ok = s_reading(92, 80);
	vt_record_reading(&r, t, &low);
	vt_record_reading(&r, t + 2000, &ok);
	const char *recovery = "{\"cmd\":\"phase\",\"phase\":\"recovery\"}";
	vt_record_station(&r, VT_REC_CONTROL, T0 + 100000, recovery, strlen(recovery));
	const char *back = "{\"type\":\"session\",\"event\":\"back-to-baseline\","
	                   "\"time\":\"2026-11-21T10:03:20.000Z\",\"baseline\":{\"spo2\":97.5},"
	                   "\"dose_mg\":12.5}";
	vt_record_station(&r, VT_REC_SESSION, T0 + 200000, back, strlen(back));
	struct vt_record_summary s;
	vt_record_summarise(&r, &s);
	cr_assert(s.has_spo2);
	cr_assert_float_eq(s.spo2_min, 84, 1e-9);
	cr_assert_eq(s.spo2_min_t, T0 + 22000);
	/* 19 s from the first 85 to the last, then 2 s from 89 to 92; the gap is not counted. */
	cr_assert_eq(s.below90_ms, 21000, "%lld", (long long)s.below90_ms);
	cr_assert_eq(s.pulse_param, VT_PR);
	cr_assert_float_eq(s.pulse_max, 109, 1e-9);
	cr_assert_eq(s.recovery_t, T0 + 100000);
	cr_assert_eq(s.back_ms, 100000);
	cr_assert_float_eq(r.baseline[VT_SPO2], 97.5, 1e-9);
	cr_assert_float_eq(r.dose_mg, 12.5, 1e-9);
	cr_assert_not(s.has_bp);
	vt_record_release(&r);
}

/* ---- finding sessions ---------------------------------------------------------- */

/* A recording of `bed` starting at T0 + start_s with the given phase commands. */
static void
s_recording(const char *dir, const char *name, const char *bed, int start_s, const char *phases[],
            const int *at_s, size_t n, char *path, size_t len)
{
	char text[4096];
	size_t used = (size_t)snprintf(text, sizeof(text),
	                               "# vitalsd session recording\n# format: 2\n# version: 0.1.0\n"
	                               "# bed: %s\n# port: /dev/x\n# protocol: masimo-ascii\n"
	                               "# baud: 9600\n# start: 2026-11-21T10:%02d:%02d.000Z\n0 open\n",
	                               bed, start_s / 60, start_s % 60);
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		                         "%d control {\"cmd\":\"phase\",\"bed\":\"%s\",\"phase\":\"%s\","
		                         "\"by\":\"n\"}\n", (at_s[i] - start_s) * 1000, bed, phases[i]);
	snprintf(text + used, sizeof(text) - used, "%d close daemon stopping\n",
	         (at_s[n - 1] - start_s + 30) * 1000);
	cr_assert_eq(vt_rig_write_file(dir, name, text, path, len), 0);
}

Test(report_find, sessions_are_what_the_phases_marked)
{
	char dir[128], p1[256], p2[256], p3[256];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "find"), 0);
	const char *a[] = {"baseline", "infusion", "recovery", "ended", "baseline"};
	const int at_a[] = {10, 100, 400, 600, 900};
	const char *b[] = {"infusion", "ended"};
	const int at_b[] = {1300, 1500};
	/* Files given in any order; the second session runs on into the next file. */
	s_recording(dir, "b.vsr", "chair-1", 1200, b, at_b, 2, p2, sizeof(p2));
	s_recording(dir, "a.vsr", "chair-1", 0, a, at_a, 5, p1, sizeof(p1));
	char *paths[] = {p2, p1};
	struct vt_find f;
	struct vt_diag diag = {0};
	cr_assert_eq(vt_find_read(&f, paths, 2, &diag), 0);
	cr_assert_eq(f.n_files, 2);
	cr_assert_str_eq(f.files[0].path, p1, "in time order");
	cr_assert_eq(f.n_sessions, 2);
	cr_assert_eq(f.sessions[0].from, T0 + 10000);
	cr_assert_eq(f.sessions[0].to, T0 + 600000);
	cr_assert(f.sessions[0].ended);
	cr_assert_eq(f.sessions[0].phase_t[VT_PHASE_RECOVERY], T0 + 400000);
	cr_assert_eq(f.sessions[1].from, T0 + 900000);
	cr_assert_eq(f.sessions[1].to, T0 + 1500000);
	cr_assert_eq(f.sessions[1].phase_t[VT_PHASE_INFUSION], T0 + 1300000);
	const struct vt_find_file *over[2];
	cr_assert_eq(vt_find_overlapping(&f, T0 + 1250000, T0 + 1260000, over), 1);
	cr_assert_eq(over[0], &f.files[1]);
	vt_find_release(&f);

	/* A bed's folder, one of its files compressed by vitals-archive: both are read. */
	char bed_dir[200], cmd[1600];
	snprintf(bed_dir, sizeof(bed_dir), "%s/chair-1", dir);
	snprintf(cmd, sizeof(cmd), "mkdir %s && cp %s %s/ && gzip -c %s >%s/b.vsr.gz", bed_dir, p1,
	         bed_dir, p2, bed_dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(vt_find_bed(&f, dir, "chair-1", &diag), 0);
	cr_assert_eq(f.n_files, 2);
	cr_assert_eq(f.n_sessions, 2);
	vt_find_release(&f);
	cr_assert_eq(vt_find_bed(&f, dir, "chair-9", &diag), -2, "no recordings of it");
	vt_diag_clear(&diag);
	vt_find_release(&f);

	/* Another bed's file among them is refused, by name. */
	const char *c[] = {"baseline"};
	const int at_c[] = {5};
	s_recording(dir, "c.vsr", "chair-2", 0, c, at_c, 1, p3, sizeof(p3));
	char *mixed[] = {p1, p3};
	cr_assert_eq(vt_find_read(&f, mixed, 2, &diag), -1);
	cr_assert_geq(diag.count, 1);
	cr_assert(strstr(diag.entries[0].message, "not of \"chair-1\"") != NULL, "%s",
	          diag.entries[0].message);
	vt_diag_clear(&diag);
	vt_find_release(&f);
	vt_rig_rmtree(dir);
}

/* ---- the program on the recorded session ------------------------------------- */

static char s_dir[128];

static void
s_setup(void)
{
	cr_assert_eq(vt_rig_tmpdir(s_dir, sizeof(s_dir), "report"), 0);
}

static void
s_teardown(void)
{
	vt_rig_rmtree(s_dir);
}

static const char *
s_path(const char *name)
{
	static char buf[8][320];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", s_dir, name);
	return buf[k];
}

/* Run vitals-report with argv[1..] (NULL-terminated); its output in *out. */
static int
s_report(struct vt_rig_output *out, const char *const *args)
{
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)vt_rig_build("vitals-report");
	for (; args[n - 1] != NULL && n < 31; n++)
		argv[n] = (char *)args[n - 1];
	argv[n] = NULL;
	return vt_rig_run(argv, out);
}

/* A poppler tool on the PDF: its output (the caller frees it). */
static int
s_poppler(const char *tool, const char *const *args, struct vt_rig_output *out)
{
	char path[64], *argv[16];
	snprintf(path, sizeof(path), "/usr/bin/%s", tool);
	cr_assert_eq(access(path, X_OK), 0, "%s is missing (Debian's poppler-utils)", path);
	int n = 0;
	argv[n++] = path;
	for (; args[n - 1] != NULL && n < 15; n++)
		argv[n] = (char *)args[n - 1];
	argv[n] = NULL;
	return vt_rig_run(argv, out);
}

/* The session as this test reads it: the values the driver decodes, the phases set. */
struct sample {
	int64_t t;
	double spo2, pr, pi; /* NAN: none */
};
struct session {
	struct sample *s;
	size_t n, cap;
	int64_t phase_t[8];
	int phase[8];
	size_t n_phases;
	char raised[16][160]; /* every alarm's id */
	size_t n_raised;
	int64_t now;          /* the time of the bytes being fed */
};

static void
s_on_reading(void *ctx, const struct vt_reading *r)
{
	struct session *se = ctx;
	if (se->n == se->cap) {
		se->cap = se->cap ? se->cap * 2 : 1024;
		se->s = realloc(se->s, se->cap * sizeof(*se->s));
		cr_assert_not_null(se->s);
	}
	struct sample *s = &se->s[se->n++];
	s->t = se->now;
	s->spo2 = r->valid & VT_PARAM_BIT(VT_SPO2) ? r->value[VT_SPO2] : NAN;
	s->pr = r->valid & VT_PARAM_BIT(VT_PR) ? r->value[VT_PR] : NAN;
	s->pi = r->valid & VT_PARAM_BIT(VT_PI) ? r->value[VT_PI] : NAN;
}

/* Read the recording with the bed's driver alone, apart from the report. */
static void
s_read_session(struct session *se)
{
	memset(se, 0, sizeof(*se));
	struct vt_diag diag = {0};
	struct vt_session_reader *sr = vt_session_open(vt_rig_root(SESSION), &diag);
	cr_assert_not_null(sr);
	const struct vt_driver *drv = vt_driver_find(vt_session_info(sr)->protocol);
	cr_assert_not_null(drv);
	void *state = calloc(1, drv->state_size);
	const struct vt_driver_opts opts = {0};
	drv->reset(state, &opts);
	struct vt_driver_sink sink = {.reading = s_on_reading, .ctx = se};
	int64_t t;
	enum vt_rec_event ev;
	const uint8_t *data;
	size_t len;
	while (vt_session_next(sr, &t, &ev, &data, &len, &diag) > 0) {
		json_t *o = VT_REC_IS_JSON(ev) ? json_loadb((const char *)data, len, 0, NULL) : NULL;
		const char *cmd = json_string_value(json_object_get(o, "cmd"));
		const char *event = json_string_value(json_object_get(o, "event"));
		if (ev == VT_REC_OPEN) {
			drv->reset(state, &opts);
		} else if (ev == VT_REC_DATA) {
			se->now = sink.now = t;
			drv->feed(state, data, len, &sink);
		} else if (ev == VT_REC_CONTROL && cmd && strcmp(cmd, "phase") == 0) {
			cr_assert_lt(se->n_phases, 8);
			se->phase_t[se->n_phases] = t;
			se->phase[se->n_phases++] =
			    vt_phase_by_name(json_string_value(json_object_get(o, "phase")));
		} else if (ev == VT_REC_ALERT && event && strcmp(event, "raised") == 0) {
			cr_assert_lt(se->n_raised, 16);
			snprintf(se->raised[se->n_raised++], 160, "%s",
			         json_string_value(json_object_get(o, "id")));
		}
		json_decref(o);
	}
	cr_assert_eq(diag.count, 0);
	vt_session_close(&sr);
	free(state);
	cr_assert_geq(se->n_phases, 2, "the session is marked with phases");
	cr_assert_gt(se->n, 100);
}

static int
s_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of the values of `field` (0 spo2, 1 pr, 2 pi) in [from, to) and the session. */
static double
s_median(const struct session *se, int field, int64_t from, int64_t to, double *min)
{
	double *v = malloc(se->n * sizeof(*v));
	size_t k = 0;
	int64_t lo = se->phase_t[0], hi = se->phase_t[se->n_phases - 1];
	for (size_t i = 0; i < se->n; i++) {
		const struct sample *s = &se->s[i];
		double x = field == 0 ? s->spo2 : field == 1 ? s->pr : s->pi;
		if (s->t >= from && s->t < to && s->t >= lo && s->t <= hi && !isnan(x))
			v[k++] = x;
	}
	qsort(v, k, sizeof(*v), s_cmp);
	double m = k == 0 ? NAN : k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
	if (min)
		*min = k ? v[0] : NAN;
	free(v);
	return m;
}

/* The row the table must hold for the minute at `t`, as "HH:MM  phase  a  b  c  d". */
static void
s_expected_row(const struct session *se, int64_t t, char *time, char *phase, char vals[4][16])
{
	int64_t at = t < se->phase_t[0] ? se->phase_t[0] : t;
	int ph = -1;
	for (size_t i = 0; i < se->n_phases && se->phase_t[i] <= at; i++)
		ph = se->phase[i];
	snprintf(phase, 16, "%s", ph >= 0 ? vt_phase_name((enum vt_phase)ph) : "");
	char iso[VT_TIME_BUFSZ];
	vt_time_format(t, iso);
	snprintf(time, 8, "%.5s", iso + 11);
	double min;
	double spo2 = s_median(se, 0, t, t + 60000, &min);
	snprintf(vals[0], 16, "%.0f", round(spo2));
	snprintf(vals[1], 16, "%.0f", round(min));
	snprintf(vals[2], 16, "%.0f", round(s_median(se, 1, t, t + 60000, NULL)));
	snprintf(vals[3], 16, "%.1f", round(s_median(se, 2, t, t + 60000, NULL) * 10) / 10);
}

static bool
s_matches(const char *text, const char *pattern)
{
	regex_t re;
	cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE | REG_NOSUB), 0, "%s", pattern);
	bool yes = regexec(&re, text, 0, NULL, 0) == 0;
	regfree(&re);
	return yes;
}

/* The share of pixels of two same-sized PNGs that differ beyond the threshold. */
static double
s_png_difference(const char *a, const char *b)
{
	cairo_surface_t *x = cairo_image_surface_create_from_png(a);
	cairo_surface_t *y = cairo_image_surface_create_from_png(b);
	cr_assert_eq(cairo_surface_status(x), CAIRO_STATUS_SUCCESS, "%s does not load", a);
	cr_assert_eq(cairo_surface_status(y), CAIRO_STATUS_SUCCESS, "%s does not load", b);
	int w = cairo_image_surface_get_width(x), h = cairo_image_surface_get_height(x);
	cr_assert_eq(w, cairo_image_surface_get_width(y), "widths differ");
	cr_assert_eq(h, cairo_image_surface_get_height(y), "heights differ");
	cairo_surface_flush(x);
	cairo_surface_flush(y);
	const unsigned char *px = cairo_image_surface_get_data(x), *py = cairo_image_surface_get_data(y);
	int sx = cairo_image_surface_get_stride(x), sy = cairo_image_surface_get_stride(y);
	size_t differ = 0;
	for (int r = 0; r < h; r++)
		for (int c = 0; c < w; c++) {
			const unsigned char *p = px + r * sx + c * 4, *q = py + r * sy + c * 4;
			for (int k = 0; k < 3; k++)
				if (abs((int)p[k] - (int)q[k]) > S_PIXEL_THRESHOLD) {
					differ++;
					break;
				}
		}
	cairo_surface_destroy(x);
	cairo_surface_destroy(y);
	return (double)differ / ((double)w * h);
}

TestSuite(report, .init = s_setup, .fini = s_teardown, .timeout = 120);

Test(report, the_record_of_a_recorded_session)
{
	struct vt_rig_output out;
	const char *args[] = {"-c", CONFIG, SESSION, "--utc", "--interval", "1m",
	                      "-o", s_path("r.pdf"), "--png", s_path("page"),
	                      "--csv", s_path("r.csv"), NULL};
	cr_assert_eq(s_report(&out, args), 0, "vitals-report: %s", out.err);
	vt_rig_output_free(&out);

	/* The PDF opens: A4, and as many pages as PNGs were written. */
	const char *info[] = {s_path("r.pdf"), NULL};
	cr_assert_eq(s_poppler("pdfinfo", info, &out), 0, "pdfinfo: %s", out.err);
	cr_assert(s_matches(out.out, "^Page size: +595.2[0-9]* x 841.89 pts \\(A4\\)"), "%s", out.out);
	int pages = 0;
	const char *pl = strstr(out.out, "Pages:");
	cr_assert(pl && sscanf(pl, "Pages: %d", &pages) == 1 && pages >= 3, "%s", out.out);
	vt_rig_output_free(&out);
	char png[320];
	for (int i = 1; i <= pages; i++) {
		snprintf(png, sizeof(png), "%s-%d.png", s_path("page"), i);
		cr_assert_eq(access(png, R_OK), 0, "%s", png);
	}
	snprintf(png, sizeof(png), "%s-%d.png", s_path("page"), pages + 1);
	cr_assert_neq(access(png, R_OK), 0, "a PNG more than the PDF's pages");

	/* The table holds the medians of the recording's own values, minute by minute. */
	struct session se;
	s_read_session(&se);
	const char *text_args[] = {"-layout", s_path("r.pdf"), "-", NULL};
	cr_assert_eq(s_poppler("pdftotext", text_args, &out), 0, "pdftotext: %s", out.err);
	char *text = out.out;
	size_t csv_len;
	char *csv = vt_rig_slurp(s_path("r.csv"), &csv_len);
	cr_assert_not_null(csv);
	cr_assert(strncmp(csv, "time,local,phase,spo2,spo2_min,pr,pi\n", 37) == 0, "%.80s", csv);
	int64_t first = se.phase_t[0] / 60000 * 60000, last = se.phase_t[se.n_phases - 1];
	int rows = 0;
	for (int64_t t = first; t <= last; t += 60000, rows++) {
		char time[8], phase[16], v[4][16], re[256], line[256], iso[VT_TIME_BUFSZ];
		s_expected_row(&se, t, time, phase, v);
		snprintf(re, sizeof(re), "^ *%s +%s +%s +%s +%s +%s *$", time, phase, v[0], v[1], v[2],
		         v[3]);
		cr_assert(s_matches(text, re), "no table row /%s/ in the PDF's text:\n%s", re, text);
		vt_time_format(t, iso);
		snprintf(line, sizeof(line), "\n%s,%.10s %s:00,%s,%s,%s,%s,%s\n", iso, iso, time, phase,
		         v[0], v[1], v[2], v[3]);
		cr_assert(strstr(csv, line) != NULL, "no CSV row %s in:\n%s", line + 1, csv);
	}
	cr_assert_geq(rows, 6);
	free(csv);

	/* Every alarm of the session is in the log, on a line with its raising time. */
	cr_assert_geq(se.n_raised, 4);
	for (size_t i = 0; i < se.n_raised; i++) {
		char re[256];
		snprintf(re, sizeof(re), "%s +[0-9]{2}:[0-9]{2}:[0-9]{2} ", se.raised[i]);
		cr_assert(s_matches(text, re), "alarm %s is not in the log:\n%s", se.raised[i], text);
	}
	cr_assert(strstr(text, "by station-2") != NULL, "who acknowledged is not said");
	cr_assert(s_matches(text, "infusion +[0-9-]+ [0-9:]+ +nurse-a +72 kg +0.5 mg/kg/h"),
	          "the phases with weight and rate:\n%s", text);
	cr_assert(strstr(text, "Back to baseline") != NULL);
	vt_rig_output_free(&out);

	/* pdftoppm renders every page. */
	const char *ppm_args[] = {"-r", "30", "-png", s_path("r.pdf"), s_path("ppm"), NULL};
	cr_assert_eq(s_poppler("pdftoppm", ppm_args, &out), 0, "pdftoppm: %s", out.err);
	vt_rig_output_free(&out);
	for (int i = 1; i <= pages; i++) {
		char p[320];
		snprintf(p, sizeof(p), "%s-%d.png", s_path("ppm"), i);
		struct stat st;
		cr_assert(stat(p, &st) == 0 && st.st_size > 1000, "pdftoppm did not render page %d", i);
	}

	/* The trend page looks as reviewed. */
	snprintf(png, sizeof(png), "%s-2.png", s_path("page"));
	double diff = s_png_difference(png, vt_rig_root(GOLDEN));
	cr_log_info("trend page: %.4f %% of the pixels differ from %s", diff * 100, GOLDEN);
	cr_assert_leq(diff, S_PIXEL_FRACTION, "the trend page differs from %s in %.2f %% of its "
	              "pixels (tolerance %.2f %%): look at %s; if the change is meant, make "
	              "goldens-report", GOLDEN, diff * 100, S_PIXEL_FRACTION * 100, png);
	free(se.s);
}

/*
 * A multiparameter monitor's session that ends in the infusion phase, as
 * `make demo`'s fourth chair does: the dose is counted on from the phase's
 * start to the end of the record (the daemon records phase changes, not its
 * minute's updates), the baseline of ten parameters goes on a second line
 * rather than off the page, and the temperature keeps its tenth.
 */
Test(report, a_multiparameter_session_that_ends_in_the_infusion)
{
	struct vt_record r;
	vt_record_init(&r, "chair-4", T0, T0 + 30 * 60000, 10000);
	for (int64_t t = T0; t <= T0 + 30 * 60000; t += 10000) {
		struct vt_reading rd = {0};
		static const enum vt_param ps[] = {VT_SPO2, VT_PR, VT_HR, VT_PI, VT_RR, VT_ETCO2};
		static const double vs[] = {98, 70, 71, 3.2, 14, 38};
		for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
			vt_reading_set(&rd, ps[i], vs[i]);
		vt_reading_set(&rd, VT_TEMP, 36.7);
		vt_reading_set(&rd, VT_NIBP_SYS, 114);
		vt_reading_set(&rd, VT_NIBP_DIA, 70);
		vt_reading_set(&rd, VT_NIBP_MAP, 85);
		vt_record_reading(&r, t, &rd);
	}
	const char *infusion =
	    "{\"type\":\"session\",\"event\":\"phase\",\"time\":\"2026-11-21T10:10:00.000Z\","
	    "\"phase\":\"infusion\",\"weight_kg\":70,\"dose_mg_per_kg_h\":0.5,\"dose_mg\":0,"
	    "\"baseline\":{\"spo2\":98,\"pr\":70,\"hr\":71,\"pi\":3.2,\"rr\":14,\"nibp_sys\":114,"
	    "\"nibp_dia\":70,\"nibp_map\":85,\"etco2\":38,\"temp\":36.7}}";
	cr_assert_eq(vt_record_station(&r, VT_REC_SESSION, T0 + 600000, infusion, strlen(infusion)),
	             0);
	/* 35 mg an hour: 11.7 mg by the end, 20 min later; nothing before the phase began. */
	cr_expect_float_eq(vt_record_dose_at(&r, T0 + 30 * 60000), 35.0 / 3, 1e-9);
	cr_expect_float_eq(vt_record_dose_at(&r, T0), 0, 1e-9);
	struct vt_report_options o = {.paper = VT_PAPER_A4, .interval_ms = VT_REPORT_INTERVAL_MS};
	struct vt_report_doc *d = vt_report_doc_new(&r, &o);
	cr_assert_not_null(d);
	char err[256];
	cr_assert_eq(vt_report_pdf(d, s_path("m.pdf"), "m", err, sizeof(err)), 0, "%s", err);
	vt_report_doc_free(&d);
	struct vt_rig_output out;
	const char *text_args[] = {"-layout", "-f", "1", "-l", "1", s_path("m.pdf"), "-", NULL};
	cr_assert_eq(s_poppler("pdftotext", text_args, &out), 0, "pdftotext: %s", out.err);
	cr_expect(strstr(out.out, "dose given 11.7 mg") != NULL, "the dose:\n%s", out.out);
	cr_expect(s_matches(out.out, "Baseline +SpO2 98 %,.*\n +[^\n]*Temp 36\\.7 °C"),
	          "the whole baseline, on two lines:\n%s", out.out);
	vt_rig_output_free(&out);
	vt_record_release(&r);
}

/* The tolerance catches a real change: another paper's trend page fails it. */
Test(report, the_golden_comparison_sees_a_change)
{
	struct vt_rig_output out;
	const char *args[] = {"-c", CONFIG, SESSION, "--utc", "--interval", "1m", "--png",
	                      s_path("other"), "--from", "2026-12-07T00:17:30Z", NULL};
	cr_assert_eq(s_report(&out, args), 0, "%s", out.err);
	vt_rig_output_free(&out);
	char png[320];
	snprintf(png, sizeof(png), "%s-2.png", s_path("other"));
	cr_assert_gt(s_png_difference(png, vt_rig_root(GOLDEN)), S_PIXEL_FRACTION,
	             "a trend page of another time range passes for the golden one");
}

Test(report, letter_paper_and_a_time_range)
{
	struct vt_rig_output out;
	const char *args[] = {"-c", CONFIG, SESSION, "--utc", "--paper", "letter", "-o",
	                      s_path("l.pdf"), "--from", "2026-12-07T00:19:00Z", "--to",
	                      "2026-12-07T00:20:00Z", NULL};
	cr_assert_eq(s_report(&out, args), 0, "%s", out.err);
	vt_rig_output_free(&out);
	const char *info[] = {s_path("l.pdf"), NULL};
	cr_assert_eq(s_poppler("pdfinfo", info, &out), 0);
	cr_assert(s_matches(out.out, "^Page size: +612 x 792 pts \\(letter\\)"), "%s", out.out);
	vt_rig_output_free(&out);
	const char *text_args[] = {"-layout", s_path("l.pdf"), "-", NULL};
	cr_assert_eq(s_poppler("pdftotext", text_args, &out), 0);
	cr_assert(s_matches(out.out, "2026-12-07 00:19:00 +to 2026-12-07 00:20:00 +\\(1:00\\)"), "%s",
	          out.out);
	cr_assert(strstr(out.out, "chair-1/spo2-low/1") != NULL, "the alarm inside the range");
	cr_assert(strstr(out.out, "chair-1/comm-lost/1") == NULL, "an alarm outside it");
	vt_rig_output_free(&out);
}

/* A recording of the first format (no station events): the alarms come from a replay. */
Test(report, a_recording_without_station_events)
{
	size_t len;
	char *text = vt_rig_slurp(vt_rig_root(SESSION), &len);
	cr_assert_not_null(text);
	FILE *fp = fopen(s_path("old.vsr"), "w");
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		long off;
		char word[16];
		bool station = sscanf(line, "%ld %15s", &off, word) == 2 &&
		               (strcmp(word, "control") == 0 || strcmp(word, "alert") == 0 ||
		                strcmp(word, "session") == 0 || strcmp(word, "config") == 0);
		if (!station && strncmp(line, "# format:", 9) != 0 && strncmp(line, "# config", 8) != 0)
			fprintf(fp, "%s\n", line);
	}
	fclose(fp);
	free(text);
	struct vt_rig_output out;
	const char *args[] = {"-c", CONFIG, s_path("old.vsr"), "--utc", "-o", s_path("old.pdf"),
	                      NULL};
	cr_assert_eq(s_report(&out, args), 0, "%s", out.err);
	vt_rig_output_free(&out);
	const char *text_args[] = {"-layout", s_path("old.pdf"), "-", NULL};
	cr_assert_eq(s_poppler("pdftotext", text_args, &out), 0);
	cr_assert(strstr(out.out, "recomputed by replay") != NULL, "%s", out.out);
	cr_assert(strstr(out.out, "chair-1/spo2-low/1") != NULL, "the replay raises it again");
	cr_assert(strstr(out.out, "none set at the station") != NULL);
	vt_rig_output_free(&out);
}

Test(report, bad_input_gets_a_clear_error)
{
	/* A damaged line: its file, line and column; nothing written. */
	size_t len;
	char *text = vt_rig_slurp(vt_rig_root(SESSION), &len);
	char *at = strstr(text, "\n857 data 31\n");
	cr_assert_not_null(at);
	memcpy(at + 10, "zz", 2);
	cr_assert_eq(vt_rig_write_file(s_dir, "bad.vsr", text, NULL, 0), 0);
	free(text);
	struct {
		const char *args[12];
		int status;
		const char *err;
	} cases[] = {
	    {{"-c", CONFIG, "BAD", "-o", "OUT", NULL}, 65, "bad.vsr:12:10: 'z' is not a hex digit"},
	    {{"-c", CONFIG, SESSION, "--paper", "a5", NULL}, 64, "a4 or letter"},
	    {{"-c", CONFIG, SESSION, "--interval", "2s", NULL}, 64, "from 10s to 24h"},
	    {{"-c", CONFIG, SESSION, "--session", "2", NULL}, 64, "sessions 1 to 1"},
	    {{"-c", CONFIG, SESSION, "-o", "/nonexistent/r.pdf", NULL}, 73, "cannot write"},
	    {{"-c", CONFIG, "--bed", "chair-1", "--record-dir", "DIR", NULL}, 66,
	     "the recordings of chair-1"},
	    {{"-c", CONFIG, "--bed", "chair-1", SESSION, NULL}, 64, "not both"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[12];
		for (size_t k = 0; k < 12; k++) {
			const char *a = cases[i].args[k];
			args[k] = a == NULL         ? NULL
			          : !strcmp(a, "BAD") ? s_path("bad.vsr")
			          : !strcmp(a, "OUT") ? s_path("bad.pdf")
			          : !strcmp(a, "DIR") ? s_dir
			                              : a;
			if (a == NULL)
				break;
		}
		struct vt_rig_output out;
		int st = s_report(&out, args);
		cr_expect_eq(st, cases[i].status, "case %zu: exit %d: %s", i, st, out.err);
		cr_expect(strstr(out.err, cases[i].err) != NULL, "case %zu: stderr lacks <%s>: %s", i,
		          cases[i].err, out.err);
		vt_rig_output_free(&out);
	}
	cr_assert_neq(access(s_path("bad.pdf"), F_OK), 0, "a damaged recording gave a PDF");
}
