/*
 * The station's views of a bed beyond its numbers, through the console
 * model fed with hand-written messages as the daemon sends them: the
 * half-hour trend as a sparkline (dips kept, gaps as spaces, one scale for
 * every bed), the last blood pressure with its age (the measurement's) and
 * once it is no longer current, back at baseline
 * (said, restored by a snapshot, over with the next phase), and the alarm
 * review of the history (how long, who acknowledged and when, how it
 * ended, the worst value).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vitals/base/timefmt.h"
#include "vitals/console/history.h"
#include "vitals/console/model.h"
#include "vitals/console/views.h"

/* A daemon clock reading: 2026-11-21T10:00:00Z plus `s` seconds. */
#define T0 1795255200000LL
#define AT(s) (T0 + (int64_t)(s) * 1000)

static uint64_t s_seq;

static void
s_init(void)
{
	setenv("TZ", "UTC", 1); /* the local clock the views write */
	tzset();
	s_seq = 0;
}

/* A message of the daemon (members after "time"), at daemon time `at`. */
static void
s_msg(struct vt_console *m, int64_t at, const char *fmt, ...)
{
	char time[VT_TIME_BUFSZ], rest[2048], body[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rest, sizeof(rest), fmt, ap);
	va_end(ap);
	int n = snprintf(body, sizeof(body), "{\"v\":1,\"seq\":%llu,\"time\":\"%s\",\"instance\":\"i1\",%s}",
	                 (unsigned long long)++s_seq, vt_time_format(at, time), rest);
	cr_assert_eq(vt_console_message(m, body, (size_t)n, 0), 1, "%s", body);
}

static void
s_vitals(struct vt_console *m, int64_t at, double spo2, double pr)
{
	char v[64];
	if (spo2 < 0)
		snprintf(v, sizeof(v), "\"spo2\":null,\"pr\":null");
	else
		snprintf(v, sizeof(v), "\"spo2\":%g,\"pr\":%g", spo2, pr);
	s_msg(m, at, "\"type\":\"vitals\",\"bed\":\"chair-1\",\"values\":{%s},\"flags\":[]", v);
}

/* The columns of a sparkline: each a block's height 0-7, or -1 for a space. */
static size_t
s_columns(const char *spark, int *cols, size_t max)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)spark; *p && n < max;) {
		if (*p == ' ') {
			cols[n++] = -1;
			p++;
		} else {
			cr_assert(p[0] == 0xe2 && p[1] == 0x96 && p[2] >= 0x81 && p[2] <= 0x88,
			          "not a block: %s", spark);
			cols[n++] = p[2] - 0x81;
			p += 3;
		}
	}
	return n;
}

Test(console_views, a_sparkline_of_the_last_half_hour, .init = s_init)
{
	struct vt_console *m = vt_console_new(0);
	/* 40 minutes: 97 % throughout but a dip to 82 % at minute 20 and no value from
	 * minute 30 to 35 (the sensor off); the first 10 minutes fall out of the window. */
	for (int s = 0; s < 40 * 60; s += 2) {
		double spo2 = s >= 20 * 60 && s < 20 * 60 + 20 ? 82 : s >= 30 * 60 && s < 35 * 60 ? -1 : 97;
		s_vitals(m, AT(s), spo2, 60 + s / 60);
	}
	const struct vt_trend *t = vt_console_trend(m, "chair-1");
	cr_assert_not_null(t);
	int64_t now = AT(40 * 60);
	char spark[VT_CONSOLE_SPARK_BYTES(30)];
	vt_console_sparkline(t, VT_SPO2, now, 30 * 60 * 1000, 30, false, spark, sizeof(spark));
	int cols[64];
	cr_assert_eq(s_columns(spark, cols, 64), 30, "one character a minute: %s", spark);
	/* Minute 20 of the day is column 10 of the window; 97 % on 80-100 is height 6. */
	cr_expect_eq(cols[0], 6, "%s", spark);
	cr_expect_eq(cols[10], 0, "the 20-second dip is the column's worst: %s", spark);
	cr_expect_eq(cols[11], 6, "%s", spark);
	for (int c = 20; c < 25; c++)
		cr_expect_eq(cols[c], -1, "minute %d had no value: a space, not a made-up value: %s",
		             c + 10, spark);
	cr_expect_eq(cols[29], 6);

	/* Pulse rises: its heights rise on the pulse scale, the same for every bed. */
	vt_console_sparkline(t, VT_PR, now, 30 * 60 * 1000, 6, false, spark, sizeof(spark));
	cr_assert_eq(s_columns(spark, cols, 64), 6);
	for (int c = 1, last = cols[0]; c < 6; c++) /* (minutes 30-35 had no pulse either) */
		if (cols[c] >= 0) {
			cr_expect_geq(cols[c], last, "%s", spark);
			last = cols[c];
		}
	cr_expect_gt(cols[5], cols[0], "%s", spark);
	/* No trend at all: spaces. */
	vt_console_sparkline(NULL, VT_SPO2, now, 30 * 60 * 1000, 4, false, spark, sizeof(spark));
	cr_expect_str_eq(spark, "    ");
	/* Too little room: whole characters only, and always a string. */
	char small[8];
	vt_console_sparkline(t, VT_SPO2, now, 30 * 60 * 1000, 30, false, small, sizeof(small));
	cr_expect_eq(strlen(small), 6, "two blocks of three bytes: %zu", strlen(small));
	/* Without UTF-8: one byte a column, the same heights. */
	vt_console_sparkline(t, VT_SPO2, now, 30 * 60 * 1000, 30, true, spark, sizeof(spark));
	cr_expect_eq(strlen(spark), 30);
	cr_expect_eq(spark[0], '*', "height 6: %s", spark);
	cr_expect_eq(spark[10], '_', "the dip: %s", spark);
	cr_expect_eq(spark[20], ' ');
	vt_console_free(&m);
}

Test(console_views, the_last_blood_pressure_with_its_age, .init = s_init)
{
	struct vt_console *m = vt_console_new(0);
	const struct vt_console_bed *b;
	char text[96];
	s_vitals(m, AT(0), 97, 70);
	b = vt_console_bed_named(m, "chair-1");
	cr_expect_str_eq(vt_console_spot_text(b, AT(0), text, sizeof(text)), "", "no cuff, nothing");
	s_msg(m, AT(300),
	      "\"type\":\"vitals\",\"bed\":\"chair-1\",\"values\":{\"spo2\":97,\"nibp_sys\":128,"
	      "\"nibp_dia\":84,\"nibp_map\":100},\"measured\":{\"nibp_sys\":\"2026-11-21T10:01:00Z\","
	      "\"nibp_dia\":\"2026-11-21T10:01:00Z\",\"nibp_map\":\"2026-11-21T10:01:00Z\"},"
	      "\"age_s\":{\"nibp_sys\":240},\"flags\":[]");
	b = vt_console_bed_named(m, "chair-1");
	cr_expect_str_eq(vt_console_spot_text(b, AT(300), text, sizeof(text)),
	                 "NIBP 128/84 (100) 4 min ago");
	cr_expect_str_eq(vt_console_spot_text(b, AT(60 + 40), text, sizeof(text)),
	                 "NIBP 128/84 (100) 40 s ago");
	/* A snapshot carries the measurement time too. */
	const char *snap = "{\"ok\":true,\"seq\":9,\"instance\":\"i1\",\"alerts\":[],"
	                   "\"vitals\":{\"chair-1\":{\"nibp_sys\":131,\"nibp_dia\":80}},"
	                   "\"measured\":{\"chair-1\":{\"nibp_sys\":\"2026-11-21T10:10:00Z\","
	                   "\"nibp_dia\":\"2026-11-21T10:10:00Z\"}},\"sessions\":{}}";
	char err[128];
	cr_assert_eq(vt_console_snapshot(m, snap, strlen(snap), 0, err, sizeof(err)), 0, "%s", err);
	b = vt_console_bed_named(m, "chair-1");
	cr_expect_str_eq(vt_console_spot_text(b, AT(3600 + 600), text, sizeof(text)),
	                 "NIBP 131/80 1 h 0 min ago");
	vt_console_free(&m);
}

/*
 * The age is the measurement's, never the message's: a vitals message of
 * now carrying a cuff reading of 12 minutes ago says 12 min ago, and says
 * so again a minute later in the next one. Once the daemon stops giving it
 * (nibp_stale_after passed: null, no `measured`), the last reading stays,
 * marked as no longer current, its age still growing; a new measurement
 * makes it current again, and a continuous value never counts as one.
 */
Test(console_views, a_blood_pressure_ages_from_its_measurement_and_goes_stale, .init = s_init)
{
	struct vt_console *m = vt_console_new(0);
	char text[96];
	struct vt_console_spot spot;
	const char *bp = "\"type\":\"vitals\",\"bed\":\"chair-1\",\"values\":{\"spo2\":97,"
	                 "\"nibp_sys\":128,\"nibp_dia\":84,\"nibp_map\":100},\"measured\":{"
	                 "\"nibp_sys\":\"2026-11-21T10:00:00Z\",\"nibp_dia\":\"2026-11-21T10:00:00Z\","
	                 "\"nibp_map\":\"2026-11-21T10:00:00Z\"},\"flags\":[]";
	s_msg(m, AT(12 * 60), "%s", bp);
	const struct vt_console_bed *b = vt_console_bed_named(m, "chair-1");
	cr_assert(vt_console_spot(b, AT(12 * 60), &spot));
	cr_expect(spot.current);
	cr_expect_str_eq(spot.value, "128/84 (100)");
	cr_expect_str_eq(spot.age, "12 min ago", "the message is of now; the reading of 10:00");
	cr_expect_eq(spot.measured, AT(0));
	s_msg(m, AT(13 * 60), "%s", bp);
	b = vt_console_bed_named(m, "chair-1");
	cr_expect_str_eq(vt_console_spot_text(b, AT(13 * 60 + 5), text, sizeof(text)),
	                 "NIBP 128/84 (100) 13 min ago");

	/* nibp_stale_after (20 min) passed: the daemon gives null and no time. */
	const char *stale = "\"type\":\"vitals\",\"bed\":\"chair-1\",\"values\":{\"spo2\":97,"
	                    "\"nibp_sys\":null,\"nibp_dia\":null,\"nibp_map\":null},\"flags\":[]";
	s_msg(m, AT(20 * 60), "%s", stale);
	s_msg(m, AT(24 * 60), "%s", stale);
	b = vt_console_bed_named(m, "chair-1");
	cr_assert(vt_console_spot(b, AT(24 * 60), &spot), "the last reading is kept");
	cr_expect_not(spot.current, "and no longer current");
	cr_expect_str_eq(spot.value, "128/84 (100)");
	cr_expect_str_eq(spot.age, "24 min ago");
	cr_expect_str_eq(vt_console_spot_text(b, AT(24 * 60), text, sizeof(text)),
	                 "NIBP --- (last 128/84 (100) 24 min ago)");
	char value[16];
	cr_expect_str_eq(vt_console_format_value(&b->values[1], value, sizeof(value)), "---",
	                 "the value itself is none");

	/* A new measurement is current again. */
	s_msg(m, AT(25 * 60),
	      "\"type\":\"vitals\",\"bed\":\"chair-1\",\"values\":{\"spo2\":97,\"nibp_sys\":141,"
	      "\"nibp_dia\":92,\"nibp_map\":108},\"measured\":{\"nibp_sys\":\"2026-11-21T10:24:30Z\","
	      "\"nibp_dia\":\"2026-11-21T10:24:30Z\",\"nibp_map\":\"2026-11-21T10:24:30Z\"},\"flags\":[]");
	b = vt_console_bed_named(m, "chair-1");
	cr_expect_str_eq(vt_console_spot_text(b, AT(25 * 60), text, sizeof(text)),
	                 "NIBP 141/92 (108) 30 s ago");
	/* A monitor that sends the parameter as a continuous value: no spot reading left over. */
	s_msg(m, AT(26 * 60),
	      "\"type\":\"vitals\",\"bed\":\"chair-1\",\"values\":{\"nibp_sys\":140},\"flags\":[]");
	s_msg(m, AT(27 * 60),
	      "\"type\":\"vitals\",\"bed\":\"chair-1\",\"values\":{\"nibp_sys\":null},\"flags\":[]");
	b = vt_console_bed_named(m, "chair-1");
	cr_expect_not(vt_console_spot(b, AT(27 * 60), &spot), "nothing to show: %s", spot.value);
	vt_console_free(&m);
}

static void
s_session(struct vt_console *m, int64_t at, const char *event, const char *phase,
          const char *baseline)
{
	s_msg(m, at,
	      "\"type\":\"session\",\"bed\":\"chair-1\",\"event\":\"%s\",\"phase\":\"%s\","
	      "\"phase_since\":\"2026-11-21T10:00:00Z\",\"baseline\":%s",
	      event, phase, baseline);
}

Test(console_views, back_at_baseline_is_said_kept_and_over, .init = s_init)
{
	struct vt_console *m = vt_console_new(0);
	char text[96];
	s_session(m, AT(0), "phase", "infusion", "{}");
	const struct vt_console_bed *b = vt_console_bed_named(m, "chair-1");
	cr_expect_not(vt_console_has_baseline(b), "infusion without a baseline");
	s_session(m, AT(60), "phase", "recovery", "{\"spo2\":97,\"pr\":72}");
	b = vt_console_bed_named(m, "chair-1");
	cr_expect(vt_console_has_baseline(b));
	cr_expect_str_eq(vt_console_baseline_text(b, text, sizeof(text)), "");
	s_session(m, AT(600), "back-to-baseline", "recovery", "{\"spo2\":97,\"pr\":72}");
	s_session(m, AT(660), "update", "recovery", "{\"spo2\":97,\"pr\":72}");
	b = vt_console_bed_named(m, "chair-1");
	cr_expect_str_eq(vt_console_baseline_text(b, text, sizeof(text)),
	                 "BACK AT BASELINE since 10:10:00", "kept by the periodic update");

	/* A console that joins late learns it from the snapshot. */
	struct vt_console *late = vt_console_new(0);
	const char *snap = "{\"ok\":true,\"seq\":9,\"instance\":\"i1\",\"alerts\":[],"
	                   "\"vitals\":{\"chair-1\":{}},\"sessions\":{\"chair-1\":{\"phase\":"
	                   "\"recovery\",\"phase_since\":\"2026-11-21T10:01:00Z\",\"baseline\":"
	                   "{\"pr\":72},\"back_at_baseline\":\"2026-11-21T10:10:00Z\"}}}";
	char err[128];
	cr_assert_eq(vt_console_snapshot(late, snap, strlen(snap), 0, err, sizeof(err)), 0, "%s", err);
	b = vt_console_bed_named(late, "chair-1");
	cr_expect_str_eq(vt_console_baseline_text(b, text, sizeof(text)),
	                 "BACK AT BASELINE since 10:10:00");
	vt_console_free(&late);

	/* The next phase ends it. */
	s_session(m, AT(700), "phase", "ended", "{\"spo2\":97,\"pr\":72}");
	b = vt_console_bed_named(m, "chair-1");
	cr_expect_str_eq(vt_console_baseline_text(b, text, sizeof(text)), "");
	vt_console_free(&m);
}

static void
s_alert(struct vt_console *m, int64_t at, const char *event, double value, double worst,
        const char *extra)
{
	s_msg(m, at,
	      "\"type\":\"alert\",\"bed\":\"chair-1\",\"id\":\"chair-1/spo2-low/1\",\"event\":\"%s\","
	      "\"rule\":\"spo2-low\",\"kind\":\"physiological\",\"priority\":\"high\","
	      "\"parameter\":\"spo2\",\"value\":%g,\"worst\":%g,\"limit\":90,"
	      "\"onset\":\"2026-11-21T10:00:00Z\",\"acknowledged\":%s,\"silenced_until\":null,"
	      "\"text\":\"SpO2 %g %% below 90 %%\"%s",
	      event, value, worst, extra && strstr(extra, "by") ? "true" : "false", value,
	      extra ? extra : "");
}

Test(console_views, the_alarm_review, .init = s_init)
{
	struct vt_console *m = vt_console_new(0);
	s_alert(m, AT(15), "raised", 86, 86, NULL);
	s_alert(m, AT(20), "updated", 81, 81, NULL);
	const struct vt_console_alert *a = vt_console_alert_by_id(m, "chair-1/spo2-low/1");
	cr_assert_not_null(a);
	cr_expect(a->has_worst);
	cr_expect_eq(a->worst, 81, "the daemon's worst");

	const struct vt_history *h = vt_console_history(m);
	struct vt_console_review r;
	vt_console_review_entry(vt_history_at(h, 0), AT(83), &r);
	cr_expect_str_eq(r.when, "10:00:00");
	cr_expect_str_eq(r.priority, "HIGH");
	cr_expect_str_eq(r.duration, "1:23+", "still active");
	cr_expect_str_eq(r.ack, "NOT ACKNOWLEDGED");
	cr_expect_str_eq(r.end, "active");

	s_alert(m, AT(32), "acknowledged", 84, 81, ",\"by\":\"station-2\"");
	s_alert(m, AT(90), "cleared", 93, 81, ",\"by\":\"-\"");
	vt_console_review_entry(vt_history_at(h, 0), AT(300), &r);
	cr_expect_str_eq(r.duration, "1:30");
	cr_expect_str_eq(r.ack, "ACK station-2 after 0:32");
	cr_expect_str_eq(r.end, "cleared 10:01:30");
	cr_expect_str_eq(r.text, "SpO2 86 % below 90 %; worst 81 %");
	vt_console_free(&m);
}
