/*
 * What a station remembers: a bed's half-hour trend and the alarm history,
 * first as modules on their own (slices, gaps, the window, a clock that
 * jumps; alarms through their life, worst values, who acknowledged), then
 * fed by the console model from hand-written messages: a message applied
 * twice around a snapshot changes nothing, an alarm that ended while
 * messages were missed or whose daemon restarted is closed, and trends
 * outlive the snapshots that rebuild the beds.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vitals/base/timefmt.h"
#include "vitals/console/history.h"
#include "vitals/console/model.h"
#include "vitals/console/trend.h"

/* A daemon clock reading: 2026-11-21T10:00:00Z plus `s` seconds. */
#define T0 1795255200000LL
#define AT(s) (T0 + (int64_t)(s) * 1000)

/* ---- trend --------------------------------------------------------------------- */

Test(console_trend, slices_keep_the_lowest_and_highest_value)
{
	static struct vt_trend t;
	vt_trend_clear(&t);
	vt_trend_add(&t, AT(0), VT_SPO2, 97);
	vt_trend_add(&t, AT(3), VT_SPO2, 88);
	vt_trend_add(&t, AT(9), VT_SPO2, 95);
	vt_trend_add(&t, AT(9), VT_PR, 70);
	vt_trend_add(&t, AT(10), VT_SPO2, 96);
	vt_trend_add(&t, AT(10), VT_PR, NAN); /* not a value: nothing */
	cr_assert_eq(vt_trend_count(&t), 2);
	const struct vt_trend_point *p = vt_trend_at(&t, 0);
	cr_expect_eq(p->t, AT(0));
	cr_expect_eq(p->has, VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_PR));
	cr_expect_eq(p->lo[VT_SPO2], 88);
	cr_expect_eq(p->hi[VT_SPO2], 97);
	cr_expect_eq(p->lo[VT_PR], 70);
	p = vt_trend_at(&t, 1);
	cr_expect_eq(p->t, AT(10));
	cr_expect_eq(p->has, VT_PARAM_BIT(VT_SPO2), "no pulse in the second slice");
	cr_expect_null(vt_trend_at(&t, 2));

	/* The same values again change nothing (a message applied twice). */
	vt_trend_add(&t, AT(3), VT_SPO2, 88);
	vt_trend_add(&t, AT(10), VT_SPO2, 96);
	cr_expect_eq(vt_trend_count(&t), 2);
	cr_expect_eq(vt_trend_at(&t, 0)->lo[VT_SPO2], 88);
}

Test(console_trend, gaps_stay_gaps_and_the_window_is_half_an_hour)
{
	static struct vt_trend t;
	vt_trend_clear(&t);
	vt_trend_add(&t, AT(0), VT_SPO2, 97);
	vt_trend_add(&t, AT(120), VT_SPO2, 96); /* two minutes without values */
	cr_assert_eq(vt_trend_count(&t), 2, "no points are made up for the gap");
	/* A late value for a slice inside the gap is dropped, not inserted. */
	vt_trend_add(&t, AT(60), VT_SPO2, 50);
	cr_expect_eq(vt_trend_count(&t), 2);

	/* An hour of values at one a second: only the last half hour is held. */
	vt_trend_clear(&t);
	for (int s = 0; s < 3600; s++)
		vt_trend_add(&t, AT(s), VT_PR, 60 + s % 7);
	cr_assert_eq(vt_trend_count(&t), VT_TREND_POINTS);
	cr_expect_eq(vt_trend_at(&t, VT_TREND_POINTS - 1)->t, AT(3590));
	cr_expect_eq(vt_trend_at(&t, 0)->t, AT(3600) - VT_TREND_WINDOW_MS);
	/* Time passes without values: the old slices expire. */
	vt_trend_expire(&t, AT(3600) + 20 * 60 * 1000);
	cr_expect_eq(vt_trend_count(&t), 10 * 60 / 10, "ten minutes of slices are still within the window");
	vt_trend_expire(&t, AT(3600) + VT_TREND_WINDOW_MS);
	cr_expect_eq(vt_trend_count(&t), 0);
}

Test(console_trend, a_clock_jump_starts_again_and_old_values_are_ignored)
{
	static struct vt_trend t;
	vt_trend_clear(&t);
	vt_trend_add(&t, AT(0), VT_SPO2, 97);
	vt_trend_add(&t, AT(0) - VT_TREND_WINDOW_MS - 10000, VT_SPO2, 80);
	cr_expect_eq(vt_trend_count(&t), 1, "a value older than the window is ignored");
	vt_trend_add(&t, AT(7200), VT_SPO2, 91);
	cr_assert_eq(vt_trend_count(&t), 1, "two hours on: the trend starts again");
	cr_expect_eq(vt_trend_at(&t, 0)->lo[VT_SPO2], 91);
}

/* ---- history on its own --------------------------------------------------------------- */

static struct vt_console_alert
s_a(const char *id, enum vt_console_priority prio, double value, bool ack, const char *by)
{
	struct vt_console_alert a = {0};
	snprintf(a.id, sizeof(a.id), "%s", id);
	snprintf(a.bed, sizeof(a.bed), "%.*s", (int)strcspn(id, "/"), id);
	snprintf(a.rule, sizeof(a.rule), "spo2-low");
	snprintf(a.parameter, sizeof(a.parameter), "spo2");
	snprintf(a.text, sizeof(a.text), "SpO2 %g %% below 90 %%", value);
	snprintf(a.by, sizeof(a.by), "%s", by);
	a.priority = prio;
	a.has_value = a.has_limit = true;
	a.value = value;
	a.limit = 90;
	a.onset = AT(0);
	a.acknowledged = ack;
	return a;
}

Test(console_history, an_alarm_through_its_life)
{
	struct vt_history *h = vt_history_new();
	cr_assert_not_null(h);
	struct vt_console_alert a = s_a("chair-1/spo2-low/1", VT_CONSOLE_MEDIUM, 88, false, "");
	vt_history_alert(h, "A", "raised", &a, AT(15));
	uint64_t v1 = vt_history_version(h);
	a = s_a("chair-1/spo2-low/1", VT_CONSOLE_HIGH, 84, false, "");
	vt_history_alert(h, "A", "escalated", &a, AT(60));
	a = s_a("chair-1/spo2-low/1", VT_CONSOLE_HIGH, 86, true, "nurse-anna");
	vt_history_alert(h, "A", "acknowledged", &a, AT(70));
	a = s_a("chair-1/spo2-low/1", VT_CONSOLE_HIGH, 93, true, "nurse-anna");
	snprintf(a.text, sizeof(a.text), "SpO2 back to 93 %%");
	vt_history_alert(h, "A", "cleared", &a, AT(100));

	cr_assert_eq(vt_history_count(h), 1);
	const struct vt_history_entry *e = vt_history_at(h, 0);
	cr_expect_str_eq(e->id, "chair-1/spo2-low/1");
	cr_expect_str_eq(e->bed, "chair-1");
	cr_expect_str_eq(e->text, "SpO2 88 % below 90 %", "the text as raised");
	cr_expect_str_eq(e->end_text, "SpO2 back to 93 %");
	cr_expect_eq(e->priority, VT_CONSOLE_HIGH, "the highest it reached");
	cr_expect(e->has_worst);
	cr_expect_eq(e->worst, 84, "the lowest value while active, not the one it cleared at");
	cr_expect(e->acknowledged);
	cr_expect_str_eq(e->by, "nurse-anna");
	cr_expect_eq(e->acked_at, AT(70));
	cr_expect_eq(e->end, VT_HISTORY_CLEARED);
	cr_expect_eq(e->ended, AT(100));
	cr_expect_str_eq(vt_history_end_name(e->end), "cleared");
	cr_expect_gt(e->version, v1);

	/* A late duplicate of an earlier event changes nothing. */
	uint64_t v = vt_history_version(h);
	a = s_a("chair-1/spo2-low/1", VT_CONSOLE_HIGH, 70, false, "");
	vt_history_alert(h, "A", "raised", &a, AT(15));
	cr_expect_eq(vt_history_version(h), v);
	cr_expect_eq(vt_history_at(h, 0)->worst, 84);
	/* A cleared alarm never heard of is not made up. */
	vt_history_alert(h, "A", "cleared", &a, AT(101));
	cr_expect_eq(vt_history_count(h), 1);
	/* The same id from another daemon run is another alarm. */
	a = s_a("chair-1/spo2-low/1", VT_CONSOLE_HIGH, 87, false, "");
	vt_history_alert(h, "B", "raised", &a, AT(200));
	cr_expect_eq(vt_history_count(h), 2);
	vt_history_free(&h);
	cr_expect_null(h);
}

Test(console_history, an_above_rule_keeps_its_highest_value)
{
	struct vt_history *h = vt_history_new();
	struct vt_console_alert a = s_a("chair-2/pr-high/1", VT_CONSOLE_MEDIUM, 125, false, "");
	a.limit = 120;
	vt_history_alert(h, "A", "raised", &a, AT(10));
	a.value = 139;
	vt_history_alert(h, "A", "silenced", &a, AT(20));
	a.value = 131;
	vt_history_alert(h, "A", "escalated", &a, AT(30));
	cr_expect_eq(vt_history_at(h, 0)->worst, 139);
	cr_expect(!vt_history_at(h, 0)->acknowledged);
	vt_history_free(&h);
}

Test(console_history, bounded_the_oldest_ended_alarm_goes_first)
{
	struct vt_history *h = vt_history_new();
	char id[64];
	struct vt_console_alert a = s_a("chair-1/spo2-low/1", VT_CONSOLE_HIGH, 85, false, "");
	vt_history_alert(h, "A", "raised", &a, AT(0)); /* stays active throughout */
	for (int i = 2; i < VT_HISTORY_MAX + 50; i++) {
		snprintf(id, sizeof(id), "chair-1/spo2-low/%d", i);
		a = s_a(id, VT_CONSOLE_HIGH, 85, false, "");
		vt_history_alert(h, "A", "raised", &a, AT(i));
		vt_history_alert(h, "A", "cleared", &a, AT(i));
	}
	cr_assert_eq(vt_history_count(h), VT_HISTORY_MAX);
	cr_expect_str_eq(vt_history_at(h, 0)->id, "chair-1/spo2-low/1", "the active alarm is kept");
	cr_expect_str_eq(vt_history_at(h, 1)->id, "chair-1/spo2-low/51");
	snprintf(id, sizeof(id), "chair-1/spo2-low/%d", VT_HISTORY_MAX + 49);
	cr_expect_str_eq(vt_history_at(h, VT_HISTORY_MAX - 1)->id, id);
	vt_history_free(&h);
}

/* ---- fed by the model ------------------------------------------------------------------ */

static int
s_feed(struct vt_console *m, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return vt_console_message(m, buf, strlen(buf), 0);
}

static const char *
s_t(int64_t ms)
{
	static char bufs[4][VT_TIME_BUFSZ];
	static int i;
	return vt_time_format(ms, bufs[i++ % 4]);
}

static void
s_vitals(struct vt_console *m, const char *inst, int seq, int spo2)
{
	cr_assert_eq(s_feed(m, "{\"v\":1,\"type\":\"vitals\",\"seq\":%d,\"time\":\"%s\",\"instance\":"
	                       "\"%s\",\"bed\":\"chair-1\",\"values\":{\"spo2\":%d,\"pr\":80},\"flags\":[]}",
	                    seq, s_t(AT(seq)), inst, spo2), 1);
}

static void
s_alert(struct vt_console *m, const char *inst, int seq, int n, const char *event, int value)
{
	cr_assert_eq(s_feed(m, "{\"v\":1,\"type\":\"alert\",\"seq\":%d,\"time\":\"%s\",\"instance\":"
	                       "\"%s\",\"bed\":\"chair-1\",\"id\":\"chair-1/spo2-low/%d\",\"event\":\"%s\","
	                       "\"rule\":\"spo2-low\",\"kind\":\"physiological\",\"priority\":\"high\","
	                       "\"parameter\":\"spo2\",\"value\":%d,\"limit\":90,\"onset\":\"%s\","
	                       "\"acknowledged\":false,\"silenced_until\":null,\"text\":\"low\"}",
	                    seq, s_t(AT(seq)), inst, n, event, value, s_t(AT(1))), 1);
}

static void
s_snapshot(struct vt_console *m, const char *inst, int seq, const char *alerts)
{
	char buf[4096], err[256];
	vt_console_snapshot_sent(m, 0);
	snprintf(buf, sizeof(buf),
	         "{\"ok\":true,\"seq\":%d,\"instance\":\"%s\",\"time\":\"%s\",\"alerts\":%s,"
	         "\"vitals\":{\"chair-1\":{\"spo2\":95,\"pr\":81}},\"ports\":{\"chair-1\":\"connected\"}}",
	         seq, inst, s_t(AT(seq)), alerts);
	cr_assert_eq(vt_console_snapshot(m, buf, strlen(buf), 0, err, sizeof(err)), 0, "%s", err);
}

Test(console_model_history, the_model_feeds_trend_history_and_the_age_of_values)
{
	struct vt_console *m = vt_console_new(0);
	s_vitals(m, "A", 1, 97);
	s_snapshot(m, "A", 0, "[]");
	cr_assert_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED);
	s_vitals(m, "A", 2, 85);
	s_alert(m, "A", 3, 1, "raised", 85);
	s_vitals(m, "A", 4, 83);
	s_alert(m, "A", 5, 1, "cleared", 93);

	const struct vt_console_bed *b = vt_console_bed_named(m, "chair-1");
	cr_assert_not_null(b);
	cr_expect_eq(b->vitals_time, AT(4), "the time of the latest values");
	const struct vt_trend *t = vt_console_trend(m, "chair-1");
	cr_assert_not_null(t);
	cr_assert_eq(vt_trend_count(t), 1);
	cr_expect_eq(vt_trend_at(t, 0)->lo[VT_SPO2], 83);
	cr_expect_eq(vt_trend_at(t, 0)->hi[VT_SPO2], 97, "the value kept before the snapshot counts");
	cr_expect_null(vt_console_trend(m, "chair-9"));

	const struct vt_history *h = vt_console_history(m);
	cr_assert_eq(vt_history_count(h), 1);
	cr_expect_eq(vt_history_at(h, 0)->end, VT_HISTORY_CLEARED);
	cr_expect_eq(vt_history_at(h, 0)->ended, AT(5));
	cr_expect_eq(vt_history_at(h, 0)->worst, 85);
	vt_console_free(&m);
}

Test(console_model_history, resyncs_close_what_ended_unseen_and_trends_survive)
{
	struct vt_console *m = vt_console_new(0);
	s_snapshot(m, "A", 0, "[]");
	s_vitals(m, "A", 1, 96);
	s_alert(m, "A", 2, 1, "raised", 86);
	/* Messages 3..9 are missed (the alarm cleared among them): a resync. */
	s_vitals(m, "A", 10, 95);
	cr_assert_eq(vt_console_sync_state(m), VT_CONSOLE_UNSYNCED);
	s_snapshot(m, "A", 10, "[]");
	const struct vt_history *h = vt_console_history(m);
	cr_assert_eq(vt_history_count(h), 1);
	cr_expect_eq(vt_history_at(h, 0)->end, VT_HISTORY_UNSEEN);
	cr_expect_str_eq(vt_history_end_name(VT_HISTORY_UNSEEN), "ended unseen");

	/* The trend kept its values across the snapshot, and the snapshot's own. */
	const struct vt_trend *t = vt_console_trend(m, "chair-1");
	cr_assert_not_null(t);
	cr_assert_eq(vt_trend_count(t), 2);
	cr_expect_eq(vt_trend_at(t, 0)->hi[VT_SPO2], 96);
	cr_expect_eq(vt_trend_at(t, 1)->lo[VT_SPO2], 95);

	/* An alarm active when the daemon restarts is closed as such. */
	s_alert(m, "A", 11, 2, "raised", 84);
	s_vitals(m, "B", 1, 95);
	s_snapshot(m, "B", 1, "[]");
	cr_assert_eq(vt_history_count(h), 2);
	cr_expect_eq(vt_history_at(h, 1)->end, VT_HISTORY_RESTARTED);
	cr_expect_str_eq(vt_history_at(h, 1)->instance, "A");
	vt_console_free(&m);
}
