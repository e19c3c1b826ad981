/*
 * The console. First its model, with explicit times and hand-written
 * messages: joining late through a snapshot, seq gaps and a new daemon
 * instance asking for a resync, loss of contact after three heartbeat
 * intervals, alarms in order of urgency. Then the real program: run in a
 * tmux terminal against a real daemon fed from a pty, it must show the
 * alarm, acknowledge it with `a`, pause and set phases from the keyboard,
 * wrap an alarm's text on a narrow terminal rather than cut it,
 * and say CONNECTION LOST when the daemon is killed; and off a terminal it
 * must fall back to one line per event. Every wait polls the screen (or
 * the daemon) against a deadline.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/base/timefmt.h"
#include "vitals/console/layout.h"
#include "vitals/console/model.h"

/* ---- the model ------------------------------------------------------------- */

/* A daemon clock reading: 2026-11-21T10:00:00Z plus `s` seconds. */
#define T0 1795255200000LL
#define AT(s) (T0 + (int64_t)(s) * 1000)

/* Feed one message built from a format; the model's verdict. */
static int
s_feed(struct vt_console *m, int64_t now, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return vt_console_message(m, buf, strlen(buf), now);
}

static const char *
s_t(int64_t ms)
{
	static char bufs[4][VT_TIME_BUFSZ];
	static int i;
	return vt_time_format(ms, bufs[i++ % 4]);
}

static int
s_vitals(struct vt_console *m, int64_t now, const char *inst, int seq, const char *bed, int spo2)
{
	return s_feed(m, now,
	              "{\"v\":1,\"type\":\"vitals\",\"seq\":%d,\"time\":\"%s\",\"instance\":\"%s\","
	              "\"bed\":\"%s\",\"values\":{\"spo2\":%d,\"pr\":80,\"pi\":null},\"flags\":[\"low-perfusion\"]}",
	              seq, s_t(AT(seq)), inst, bed, spo2);
}

static int
s_alert(struct vt_console *m, int64_t now, const char *inst, int seq, const char *id,
        const char *event, const char *prio, const char *kind, bool ack)
{
	char bed[64];
	snprintf(bed, sizeof(bed), "%.*s", (int)strcspn(id, "/"), id);
	return s_feed(m, now,
	              "{\"v\":1,\"type\":\"alert\",\"seq\":%d,\"time\":\"%s\",\"instance\":\"%s\","
	              "\"bed\":\"%s\",\"id\":\"%s\",\"event\":\"%s\",\"rule\":\"r\",\"kind\":\"%s\","
	              "\"priority\":\"%s\",\"parameter\":\"spo2\",\"value\":85,\"limit\":90,"
	              "\"onset\":\"%s\",\"acknowledged\":%s,\"silenced_until\":null,%s"
	              "\"text\":\"SpO2 85 %% below 90 %%\"}",
	              seq, s_t(AT(seq)), inst, bed, id, event, kind, prio, s_t(AT(seq)),
	              ack ? "true" : "false", ack ? "\"by\":\"nurse\"," : "");
}

static int
s_heartbeat(struct vt_console *m, int64_t now, const char *inst, int seq, int interval)
{
	return s_feed(m, now,
	              "{\"v\":1,\"type\":\"heartbeat\",\"seq\":%d,\"time\":\"%s\",\"instance\":\"%s\","
	              "\"active_alarms\":0,\"interval_ms\":%d}",
	              seq, s_t(AT(seq)), inst, interval);
}

/* A snapshot reply: seq, alerts (a JSON array text) and chair-1's SpO2. */
static int
s_snapshot(struct vt_console *m, int64_t now, int seq, const char *alerts, int spo2)
{
	char buf[4096], err[256];
	snprintf(buf, sizeof(buf),
	         "{\"ok\":true,\"seq\":%d,\"alerts\":%s,"
	         "\"vitals\":{\"chair-1\":{\"spo2\":%d,\"pr\":80},\"chair-2\":{}},"
	         "\"ports\":{\"chair-1\":\"connected\",\"chair-2\":\"lost\"},"
	         "\"sessions\":{\"chair-1\":{\"phase\":null,\"phase_since\":null,"
	         "\"time_in_phase_s\":null,\"weight_kg\":null,\"dose_mg_per_kg_h\":null,"
	         "\"dose_mg\":null,\"baseline\":{}}},"
	         "\"silenced\":{\"chair-1\":null,\"chair-2\":\"%s\"}}",
	         seq, alerts, spo2, s_t(AT(600)));
	return vt_console_snapshot(m, buf, strlen(buf), now, err, sizeof(err));
}

static double
s_spo2(const struct vt_console *m, const char *bed)
{
	const struct vt_console_bed *b = vt_console_bed_named(m, bed);
	cr_assert_not_null(b, "no bed %s", bed);
	for (size_t i = 0; i < b->n_values; i++)
		if (strcmp(b->values[i].name, "spo2") == 0)
			return b->values[i].valid ? b->values[i].value : NAN;
	return NAN;
}

/* A model synchronised at `seq` of instance "A" by an empty snapshot. */
static struct vt_console *
s_synced(int seq)
{
	struct vt_console *m = vt_console_new(0);
	cr_assert(vt_console_wants_snapshot(m, 0));
	vt_console_snapshot_sent(m, 0);
	cr_assert_eq(s_heartbeat(m, 0, "A", seq, 1000), 1);
	cr_assert_eq(s_snapshot(m, 0, seq, "[]", 97), 0);
	cr_assert_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED);
	return m;
}

Test(console_model, joins_late_snapshot_then_the_kept_updates)
{
	struct vt_console *m = vt_console_new(0);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_UNSYNCED);
	cr_expect(vt_console_wants_snapshot(m, 0), "a new console asks for a snapshot at once");
	vt_console_snapshot_sent(m, 0);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCING);
	cr_expect_not(vt_console_wants_snapshot(m, 0), "one request at a time");

	/* Updates before the reply: shown at once, and kept. */
	cr_expect_eq(s_vitals(m, 10, "A", 10, "chair-1", 95), 1);
	cr_expect_eq(s_alert(m, 20, "A", 11, "chair-1/spo2-low/1", "raised", "high", "physiological",
	                     false),
	             1);
	cr_expect_eq(s_vitals(m, 30, "A", 12, "chair-1", 88), 1);
	cr_expect_eq(s_spo2(m, "chair-1"), 88);
	cr_expect_eq(vt_console_alert_count(m), 1);

	/* The snapshot was taken after 11: it replaces the view, then 12 is applied on top. */
	char alerts[1024];
	snprintf(alerts, sizeof(alerts),
	         "[{\"v\":1,\"type\":\"alert\",\"seq\":11,\"instance\":\"A\",\"bed\":\"chair-1\","
	         "\"id\":\"chair-1/spo2-low/1\",\"event\":\"raised\",\"kind\":\"physiological\","
	         "\"priority\":\"high\",\"onset\":\"%s\",\"acknowledged\":false,\"text\":\"t\"}]",
	         s_t(AT(11)));
	cr_assert_eq(s_snapshot(m, 40, 11, alerts, 91), 0);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED);
	cr_expect_eq(vt_console_seq(m), 12);
	cr_expect_str_eq(vt_console_instance(m), "A");
	cr_expect_eq(s_spo2(m, "chair-1"), 88, "the kept update newer than the snapshot is applied");
	cr_expect_eq(vt_console_bed_count(m), 2);
	cr_expect_str_eq(vt_console_bed_at(m, 0)->name, "chair-1");
	cr_expect_str_eq(vt_console_bed_at(m, 1)->name, "chair-2");
	cr_expect_str_eq(vt_console_bed_at(m, 1)->port, "lost");
	cr_expect_str_eq(vt_console_bed_at(m, 0)->flags, "low-perfusion");
	cr_expect_eq(vt_console_bed_at(m, 1)->silenced_until, AT(600));
	cr_expect_eq(vt_console_alert_count(m), 1);
	cr_expect_eq(vt_console_snapshots(m), 1);

	/* Then live: the next seq applies, a repeat or an older one is ignored. */
	cr_expect_eq(s_vitals(m, 50, "A", 13, "chair-1", 86), 1);
	cr_expect_eq(vt_console_seq(m), 13);
	cr_expect_eq(s_vitals(m, 60, "A", 13, "chair-1", 99), 0);
	cr_expect_eq(s_vitals(m, 60, "A", 12, "chair-1", 99), 0);
	cr_expect_eq(s_spo2(m, "chair-1"), 86);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED);
	vt_console_free(&m);
	cr_expect_null(m);
}

Test(console_model, a_snapshot_brings_the_device_flags)
{
	struct vt_console *m = vt_console_new(0);
	vt_console_snapshot_sent(m, 0);
	const char reply[] = "{\"ok\":true,\"seq\":4,\"alerts\":[],\"vitals\":{\"chair-1\":{\"spo2\":null}},"
	                     "\"ports\":{\"chair-1\":\"connected\"},\"sessions\":{},"
	                     "\"flags\":{\"chair-1\":[\"sensor-off\",\"low-perfusion\"]}}";
	char err[128];
	cr_assert_eq(vt_console_snapshot(m, reply, strlen(reply), 0, err, sizeof(err)), 0, "%s", err);
	const struct vt_console_bed *b = vt_console_bed_named(m, "chair-1");
	cr_assert_not_null(b);
	cr_expect_str_eq(b->flags, "sensor-off low-perfusion");
	/* The next vitals message replaces them. */
	cr_assert_eq(s_vitals(m, 0, "A", 5, "chair-1", 95), 1);
	cr_expect_str_eq(b->flags, "low-perfusion");
	vt_console_free(&m);
}

Test(console_model, kept_updates_older_than_the_snapshot_are_dropped)
{
	struct vt_console *m = vt_console_new(0);
	vt_console_snapshot_sent(m, 0);
	s_vitals(m, 0, "A", 5, "chair-1", 80);
	s_vitals(m, 0, "A", 6, "chair-1", 81);
	cr_assert_eq(s_snapshot(m, 0, 8, "[]", 90), 0);
	cr_expect_eq(s_spo2(m, "chair-1"), 90);
	cr_expect_eq(vt_console_seq(m), 8);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED);
	cr_expect_eq(s_vitals(m, 0, "A", 9, "chair-1", 92), 1);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED);
	vt_console_free(&m);
}

Test(console_model, a_gap_between_snapshot_and_kept_updates_asks_again)
{
	struct vt_console *m = vt_console_new(0);
	vt_console_snapshot_sent(m, 0);
	s_vitals(m, 0, "A", 20, "chair-1", 80);
	s_vitals(m, 0, "A", 21, "chair-1", 81);
	/* 18 and 19 were published before our subscription was connected. */
	cr_assert_eq(s_snapshot(m, 100, 17, "[]", 90), 0);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_UNSYNCED);
	cr_expect(vt_console_wants_snapshot(m, 100));
	cr_expect(strstr(vt_console_sync_reason(m), "missed") != NULL, "%s",
	          vt_console_sync_reason(m));
	cr_expect_eq(s_spo2(m, "chair-1"), 81, "what was heard is still shown");
	vt_console_free(&m);
}

Test(console_model, a_seq_gap_while_synchronised_resyncs)
{
	struct vt_console *m = s_synced(5);
	cr_expect_eq(s_vitals(m, 10, "A", 6, "chair-1", 95), 1);
	cr_expect_not(vt_console_wants_snapshot(m, 10));
	/* 7 and 8 lost on the way. */
	cr_expect_eq(s_vitals(m, 20, "A", 9, "chair-1", 93), 1);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_UNSYNCED);
	cr_expect_str_eq(vt_console_sync_reason(m), "missed 2 messages");
	cr_expect(vt_console_wants_snapshot(m, 20), "a resync is asked for at once");
	cr_expect_eq(s_spo2(m, "chair-1"), 93, "the message after the gap is still shown");
	vt_console_snapshot_sent(m, 20);
	s_vitals(m, 30, "A", 10, "chair-1", 94);
	cr_assert_eq(s_snapshot(m, 40, 9, "[]", 93), 0);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED);
	cr_expect_eq(vt_console_seq(m), 10);
	cr_expect_eq(s_spo2(m, "chair-1"), 94);
	cr_expect_eq(vt_console_snapshots(m), 2);
	vt_console_free(&m);
}

Test(console_model, a_new_instance_resyncs)
{
	struct vt_console *m = s_synced(100);
	cr_expect_eq(s_alert(m, 5, "A", 101, "chair-1/spo2-low/4", "raised", "high", "physiological",
	                     false),
	             1);
	/* The daemon restarted: seq starts again and the instance is new. */
	cr_expect_eq(s_heartbeat(m, 10, "B", 1, 1000), 1);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_UNSYNCED);
	cr_expect_str_eq(vt_console_sync_reason(m), "the daemon restarted");
	cr_expect(vt_console_wants_snapshot(m, 10));
	vt_console_snapshot_sent(m, 10);
	cr_expect_eq(s_heartbeat(m, 20, "B", 2, 1000), 1);
	/* The new daemon's snapshot: the old instance's alarm is gone. */
	cr_assert_eq(s_snapshot(m, 30, 1, "[]", 97), 0);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED);
	cr_expect_str_eq(vt_console_instance(m), "B");
	cr_expect_eq(vt_console_seq(m), 2);
	cr_expect_eq(vt_console_alert_count(m), 0);
	cr_expect_eq(s_heartbeat(m, 40, "B", 3, 1000), 1);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED);
	vt_console_free(&m);
}

Test(console_model, a_snapshot_naming_its_instance_drops_other_instances_messages)
{
	struct vt_console *m = vt_console_new(0);
	vt_console_snapshot_sent(m, 0);
	s_vitals(m, 0, "A", 7, "chair-1", 70);
	s_vitals(m, 0, "B", 2, "chair-1", 96);
	char err[128];
	const char *snap = "{\"ok\":true,\"seq\":1,\"instance\":\"B\",\"alerts\":[],"
	                   "\"vitals\":{\"chair-1\":{\"spo2\":95}},\"ports\":{},\"sessions\":{}}";
	cr_assert_eq(vt_console_snapshot(m, snap, strlen(snap), 0, err, sizeof(err)), 0);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED);
	cr_expect_eq(vt_console_seq(m), 2);
	cr_expect_eq(s_spo2(m, "chair-1"), 96);
	vt_console_free(&m);
}

Test(console_model, contact_is_lost_after_three_heartbeat_intervals)
{
	struct vt_console *m = s_synced(1);
	/* The daemon says it beats every 500 ms; last heard at 1000. */
	cr_assert_eq(s_heartbeat(m, 1000, "A", 2, 500), 1);
	cr_expect_eq(vt_console_interval_ms(m), 500);
	cr_expect_eq(vt_console_next_deadline(m), 2500);
	cr_expect_not(vt_console_tick(m, 2499));
	cr_expect_not(vt_console_lost(m));
	cr_expect(vt_console_tick(m, 2500), "the state changes at 3 intervals");
	cr_expect(vt_console_lost(m));
	cr_expect_eq(vt_console_silence_ms(m, 2500), 1500);
	cr_expect_not(vt_console_tick(m, 9000), "no change while still lost");
	cr_expect(vt_console_lost(m));
	/* Messages resume: contact is back, and the view must be resynchronised. */
	cr_expect_eq(s_heartbeat(m, 9500, "A", 3, 500), 1);
	cr_expect_not(vt_console_lost(m));
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_UNSYNCED);
	cr_expect_str_eq(vt_console_sync_reason(m), "contact restored");
	cr_expect(vt_console_wants_snapshot(m, 9500));
	vt_console_free(&m);
}

Test(console_model, contact_before_any_heartbeat_and_unreadable_messages)
{
	/* Before a heartbeat has told the interval, one second is assumed. */
	struct vt_console *m = vt_console_new(0);
	cr_expect_not(vt_console_tick(m, 2999));
	cr_expect(vt_console_tick(m, 3000), "a console that never hears anything says so");
	cr_expect(vt_console_lost(m));
	vt_console_free(&m);

	/* An unreadable message is ignored, but it proves the daemon is there. */
	m = vt_console_new(0);
	cr_expect_eq(vt_console_message(m, "garbage", 7, 2000), -1);
	cr_expect_eq(s_feed(m, 2000, "{\"type\":\"vitals\",\"instance\":\"A\"}"), -1, "no seq");
	cr_expect_not(vt_console_tick(m, 4999));
	cr_expect(vt_console_tick(m, 5000));
	/* A longer interval from a heartbeat moves the deadline. */
	s_heartbeat(m, 6000, "A", 1, 2000);
	cr_expect_not(vt_console_lost(m));
	cr_expect_not(vt_console_tick(m, 11999));
	cr_expect(vt_console_tick(m, 12000));
	vt_console_free(&m);
}

Test(console_model, alarms_most_urgent_first_through_their_life)
{
	struct vt_console *m = s_synced(1);
	s_alert(m, 0, "A", 2, "chair-2/signal-quality/1", "raised", "low", "technical", false);
	s_alert(m, 0, "A", 3, "chair-1/spo2-low/1", "raised", "high", "physiological", false);
	s_alert(m, 0, "A", 4, "chair-1/pr-high/1", "raised", "medium", "physiological", false);
	cr_assert_eq(vt_console_alert_count(m), 3);
	cr_expect_str_eq(vt_console_alert_at(m, 0)->id, "chair-1/spo2-low/1");
	cr_expect_str_eq(vt_console_alert_at(m, 1)->id, "chair-1/pr-high/1");
	cr_expect_str_eq(vt_console_alert_at(m, 2)->id, "chair-2/signal-quality/1");
	cr_expect(vt_console_alert_at(m, 2)->technical);
	cr_expect_eq(vt_console_alert_at(m, 2)->priority, VT_CONSOLE_LOW);
	cr_expect_not_null(vt_console_bed_named(m, "chair-2"), "a bed heard of by its alert");

	/* Acknowledged: stays, with who; an unacknowledged one of the same priority goes first. */
	s_alert(m, 0, "A", 5, "chair-1/spo2-low/1", "acknowledged", "high", "physiological", true);
	const struct vt_console_alert *a = vt_console_alert_by_id(m, "chair-1/spo2-low/1");
	cr_assert_not_null(a);
	cr_expect(a->acknowledged);
	cr_expect_str_eq(a->by, "nurse");
	cr_expect_eq(a->value, 85);
	cr_expect_eq(a->limit, 90);
	cr_expect_eq(a->onset, AT(5), "onset as the latest object says");
	s_alert(m, 0, "A", 6, "chair-1/pr-high/1", "escalated", "high", "physiological", false);
	cr_expect_str_eq(vt_console_alert_at(m, 0)->id, "chair-1/pr-high/1");
	cr_expect_str_eq(vt_console_alert_at(m, 1)->id, "chair-1/spo2-low/1");

	/* A priority this console does not know is treated as high. */
	s_alert(m, 0, "A", 7, "chair-3/x/1", "raised", "critical", "physiological", false);
	cr_expect_eq(vt_console_alert_by_id(m, "chair-3/x/1")->priority, VT_CONSOLE_HIGH);

	s_alert(m, 0, "A", 8, "chair-1/spo2-low/1", "cleared", "high", "physiological", true);
	cr_expect_null(vt_console_alert_by_id(m, "chair-1/spo2-low/1"));
	cr_expect_eq(vt_console_alert_count(m), 3);
	cr_expect_eq(vt_console_seq(m), 8);
	vt_console_free(&m);
}

Test(console_model, a_tiered_alarm_falls_and_rises_in_place)
{
	/* One alarm whose priority follows the depth: the list re-sorts, and
	 * what sounds follows the priority and the acknowledgement. */
	struct vt_console *m = s_synced(1);
	s_alert(m, 0, "A", 2, "chair-1/pr-high/1", "raised", "medium", "physiological", false);
	s_alert(m, 0, "A", 3, "chair-1/spo2-low/1", "raised", "high", "physiological", false);
	s_alert(m, 0, "A", 4, "chair-1/spo2-low/1", "acknowledged", "high", "physiological", true);
	cr_expect_eq(vt_console_sounding(m, AT(4), NULL), VT_CONSOLE_MEDIUM);
	s_alert(m, 0, "A", 5, "chair-1/spo2-low/1", "deescalated", "low", "physiological", true);
	cr_assert_eq(vt_console_alert_count(m), 2, "the same alarm, not a new one");
	cr_expect_eq(vt_console_alert_by_id(m, "chair-1/spo2-low/1")->priority, VT_CONSOLE_LOW);
	cr_expect_str_eq(vt_console_alert_at(m, 1)->id, "chair-1/spo2-low/1", "now after medium");
	/* Worse than when acknowledged: the daemon says it is unacknowledged, and it sounds. */
	s_alert(m, 0, "A", 6, "chair-1/spo2-low/1", "escalated", "high", "physiological", false);
	cr_expect_str_eq(vt_console_alert_at(m, 0)->id, "chair-1/spo2-low/1");
	cr_expect_eq(vt_console_sounding(m, AT(6), NULL), VT_CONSOLE_HIGH);
	vt_console_free(&m);
}

Test(console_model, a_failed_snapshot_is_retried_later)
{
	struct vt_console *m = vt_console_new(0);
	vt_console_snapshot_sent(m, 0);
	vt_console_snapshot_failed(m, 5000);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_UNSYNCED);
	cr_expect_not(vt_console_wants_snapshot(m, 5000 + VT_CONSOLE_RETRY_MS - 1));
	cr_expect(vt_console_wants_snapshot(m, 5000 + VT_CONSOLE_RETRY_MS));
	cr_expect_leq(vt_console_next_deadline(m), 5000 + VT_CONSOLE_RETRY_MS);

	/* A refusal is a failure too, with the daemon's words. */
	vt_console_snapshot_sent(m, 8000);
	char err[128];
	const char *no = "{\"ok\":false,\"error\":\"busy\"}";
	cr_expect_eq(vt_console_snapshot(m, no, strlen(no), 8000, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "busy");
	cr_expect_not(vt_console_wants_snapshot(m, 8000));
	cr_expect_eq(vt_console_snapshot(m, "[", 1, 8000, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "not a snapshot reply");
	/* A refusal without words still gets a reason on the screen (found by fuzz_console). */
	const char *mute = "{\"ok\":false,\"error\":\"\"}";
	cr_expect_eq(vt_console_snapshot(m, mute, strlen(mute), 8000, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "not a snapshot reply");
	vt_console_free(&m);
}

Test(console_model, sessions_dose_and_the_daemon_clock)
{
	struct vt_console *m = vt_console_new(0);
	cr_expect_eq(vt_console_daemon_time(m, 0), 0, "unknown before anything is heard");
	vt_console_snapshot_sent(m, 0);
	char snap[1024], err[128];
	snprintf(snap, sizeof(snap),
	         "{\"ok\":true,\"seq\":3,\"alerts\":[],\"vitals\":{\"chair-1\":{}},\"ports\":{},"
	         "\"sessions\":{\"chair-1\":{\"phase\":\"infusion\",\"phase_since\":\"%s\","
	         "\"time_in_phase_s\":600,\"weight_kg\":70,\"dose_mg_per_kg_h\":0.5,\"dose_mg\":5.8,"
	         "\"baseline\":{\"spo2\":97}}}}",
	         s_t(AT(0)));
	cr_assert_eq(vt_console_snapshot(m, snap, strlen(snap), 1000, err, sizeof(err)), 0, "%s", err);
	/* The snapshot has no clock of its own: the phase clock gives it. */
	cr_expect_eq(vt_console_daemon_time(m, 1000), AT(600));
	cr_expect_eq(vt_console_daemon_time(m, 61000), AT(660));
	const struct vt_console_bed *b = vt_console_bed_named(m, "chair-1");
	cr_assert_not_null(b);
	cr_expect_str_eq(b->phase, "infusion");
	cr_expect_eq(b->phase_since, AT(0));
	cr_expect_eq(b->weight_kg, 70);
	cr_expect_eq(b->baseline, VT_PARAM_BIT(VT_SPO2));
	cr_expect_eq(b->baseline_value[VT_SPO2], 97);
	/* 70 kg at 0.5 mg/kg/h is 35 mg an hour, counted on from the snapshot. */
	cr_expect_float_eq(vt_console_dose(b, AT(600)), 5.8, 1e-9);
	cr_expect_float_eq(vt_console_dose(b, AT(600 + 3600)), 40.8, 1e-9);

	/* A session message sets the phase and the clock; recovery stops the dose. */
	cr_expect_eq(s_feed(m, 2000,
	                    "{\"v\":1,\"type\":\"session\",\"seq\":4,\"time\":\"%s\",\"instance\":\"A\","
	                    "\"bed\":\"chair-1\",\"event\":\"phase\",\"phase\":\"recovery\","
	                    "\"phase_since\":\"%s\",\"time_in_phase_s\":0,\"weight_kg\":70,"
	                    "\"dose_mg_per_kg_h\":0.5,\"dose_mg\":20,\"baseline\":{}}",
	                    s_t(AT(2000)), s_t(AT(2000))),
	             1);
	cr_expect_eq(vt_console_daemon_time(m, 2000), AT(2000));
	b = vt_console_bed_named(m, "chair-1");
	cr_expect_str_eq(b->phase, "recovery");
	cr_expect_eq(b->baseline, 0, "a session without a baseline has none");
	cr_expect_float_eq(vt_console_dose(b, AT(9000)), 20, 1e-9);

	vt_console_set_silenced(m, "chair-1", AT(2120));
	cr_expect_eq(vt_console_bed_named(m, "chair-1")->silenced_until, AT(2120));
	vt_console_free(&m);
}

Test(console_model, what_sounds_is_the_most_urgent_unanswered_alarm)
{
	struct vt_console *m = s_synced(10);
	size_t n = 99;
	cr_expect_eq(vt_console_sounding(m, AT(11), &n), -1, "nothing active, nothing sounds");
	cr_expect_eq(n, 0);
	cr_assert_eq(s_alert(m, 0, "A", 11, "chair-1/pr-low/1", "raised", "medium", "physiological", false), 1);
	cr_assert_eq(s_alert(m, 0, "A", 12, "chair-2/spo2-low/1", "raised", "high", "physiological", false), 1);
	cr_expect_eq(vt_console_sounding(m, AT(12), &n), VT_CONSOLE_HIGH);
	cr_expect_eq(n, 2);
	/* Acknowledged: the high one goes quiet, the medium one still sounds. */
	cr_assert_eq(s_alert(m, 0, "A", 13, "chair-2/spo2-low/1", "acknowledged", "high", "physiological", true), 1);
	cr_expect_eq(vt_console_sounding(m, AT(13), &n), VT_CONSOLE_MEDIUM);
	cr_expect_eq(n, 1);
	/* Paused until AT(100): quiet until then, sounding again after. */
	char body[1024];
	snprintf(body, sizeof(body),
	         "{\"v\":1,\"type\":\"alert\",\"seq\":14,\"time\":\"%s\",\"instance\":\"A\","
	         "\"bed\":\"chair-1\",\"id\":\"chair-1/pr-low/1\",\"event\":\"silenced\",\"rule\":\"r\","
	         "\"kind\":\"physiological\",\"priority\":\"medium\",\"parameter\":\"pr\",\"value\":40,"
	         "\"limit\":50,\"onset\":\"%s\",\"acknowledged\":false,\"silenced_until\":\"%s\","
	         "\"text\":\"PR 40 bpm below 50 bpm\"}",
	         s_t(AT(14)), s_t(AT(11)), s_t(AT(100)));
	cr_assert_eq(vt_console_message(m, body, strlen(body), 0), 1);
	cr_expect_eq(vt_console_sounding(m, AT(50), &n), -1, "paused");
	cr_expect_eq(n, 0);
	cr_expect_eq(vt_console_sounding(m, AT(100), NULL), VT_CONSOLE_MEDIUM, "the pause is over");
	vt_console_free(&m);
}

Test(console_model, formatting)
{
	char buf[32];
	struct vt_console_value v = {.name = "spo2", .valid = true, .value = 97};
	cr_expect_str_eq(vt_console_format_value(&v, buf, sizeof(buf)), "97");
	v.value = 3.6;
	cr_expect_str_eq(vt_console_format_value(&v, buf, sizeof(buf)), "3.6");
	v.value = 0.25;
	cr_expect_str_eq(vt_console_format_value(&v, buf, sizeof(buf)), "0.25");
	v.valid = false;
	cr_expect_str_eq(vt_console_format_value(&v, buf, sizeof(buf)), "---");
	cr_expect_str_eq(vt_console_format_elapsed(59999, buf, sizeof(buf)), "0:59");
	cr_expect_str_eq(vt_console_format_elapsed(3661000, buf, sizeof(buf)), "1:01:01");
	cr_expect_str_eq(vt_console_format_elapsed(-1, buf, sizeof(buf)), "--");
	cr_expect_str_eq(vt_console_priority_name(VT_CONSOLE_MEDIUM), "medium");
}

/* ---- fitting alarms to the screen ---------------------------------------------- */

/* The rows of `text` wrapped at `width`, joined again with one space each. */
static void
s_check_wrap(const char *text, size_t width, size_t want_rows, bool spaces_between)
{
	struct vt_console_span rows[16];
	size_t n = vt_console_wrap(text, width, rows, 16);
	cr_assert_eq(n, want_rows, "\"%s\" at %zu: %zu rows, expected %zu", text, width, n, want_rows);
	char joined[512] = "";
	for (size_t i = 0; i < n; i++) {
		cr_expect_leq(rows[i].len, width, "row %zu of \"%s\" is %zu wide", i, text, rows[i].len);
		cr_expect(rows[i].len == 0 || (text[rows[i].off] != ' ' &&
		                               text[rows[i].off + rows[i].len - 1] != ' '),
		          "row %zu of \"%s\" starts or ends with a space", i, text);
		cr_expect(((unsigned char)text[rows[i].off] & 0xC0) != 0x80,
		          "row %zu of \"%s\" starts inside a UTF-8 sequence", i, text);
		size_t l = strlen(joined);
		snprintf(joined + l, sizeof(joined) - l, "%s%.*s", i && spaces_between ? " " : "",
		         (int)rows[i].len, text + rows[i].off);
	}
	cr_expect_str_eq(joined, text, "wrapping lost or changed text");
}

Test(console_layout, wraps_an_alarm_text_at_spaces_and_loses_nothing)
{
	const char *text = "HR 131 bpm above 120 bpm (baseline 92 bpm) for 30 s";
	s_check_wrap(text, 80, 1, true);
	s_check_wrap(text, strlen(text), 1, true);
	s_check_wrap(text, strlen(text) - 1, 2, true);
	s_check_wrap(text, 15, 4, true);

	struct vt_console_span rows[4];
	cr_assert_eq(vt_console_wrap(text, 15, rows, 4), 4);
	cr_expect(strncmp(text + rows[0].off, "HR 131 bpm", rows[0].len) == 0 && rows[0].len == 10);
	cr_expect(strncmp(text + rows[1].off, "above 120 bpm", rows[1].len) == 0 && rows[1].len == 13);

	/* More rows than asked for: the count says so, only `max` are filled. */
	rows[1].len = 999;
	cr_expect_eq(vt_console_wrap(text, 15, rows, 1), 4);
	cr_expect_eq(rows[1].len, 999, "a span past max was written");
}

Test(console_layout, splits_long_words_never_inside_a_character)
{
	s_check_wrap("abcdefghijklmnopqrstuvwxyz", 10, 3, false);
	/* é is two bytes: a row of 3 bytes holds one, never a half. */
	s_check_wrap("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3, 4, false);
	struct vt_console_span rows[2];
	cr_expect_eq(vt_console_wrap("", 10, rows, 2), 1);
	cr_expect_eq(rows[0].len, 0);
	cr_expect_eq(vt_console_wrap("   ", 10, rows, 2), 1);
	cr_expect_eq(rows[0].len, 0);
	/* Runs of spaces at a break vanish; inside a row they stay. */
	cr_expect_eq(vt_console_wrap("ab  cd    ef", 6, rows, 2), 2);
	cr_expect_eq(rows[0].len, 6);
	cr_expect_eq(rows[1].off, 10);
	cr_expect_eq(rows[1].len, 2);
}

Test(console_layout, scrolls_so_the_selected_alarm_is_whole)
{
	const int h[] = {2, 3, 2, 4, 1};
	size_t n = sizeof(h) / sizeof(h[0]);
	cr_expect_eq(vt_console_scroll_first(h, n, n, 6), 0, "nothing selected: the top");
	cr_expect_eq(vt_console_scroll_first(h, n, 0, 6), 0);
	cr_expect_eq(vt_console_scroll_first(h, n, 1, 6), 0, "rows 0-4 hold entries 0 and 1");
	cr_expect_eq(vt_console_scroll_first(h, n, 2, 6), 1, "entries 1 and 2 take 5 of 6 rows");
	cr_expect_eq(vt_console_scroll_first(h, n, 3, 6), 2, "entries 2 and 3 take all 6");
	cr_expect_eq(vt_console_scroll_first(h, n, 4, 6), 3);
	cr_expect_eq(vt_console_scroll_first(h, n, 3, 3), 3, "taller than the room: it is first");
	for (int room = 1; room < 14; room++)
		for (size_t sel = 0; sel < n; sel++) {
			size_t first = vt_console_scroll_first(h, n, sel, room);
			int used = 0;
			for (size_t i = first; i <= sel; i++)
				used += h[i];
			cr_expect(first <= sel && (used <= room || first == sel),
			          "room %d, selected %zu: first %zu leaves it off the screen", room, sel, first);
		}
}

/* ---- the program in a terminal --------------------------------------------------- */

#define RULES                                                                                 \
	"  - name: spo2-low\n    parameter: spo2\n    below: 90\n    clear_at: 92\n"             \
	"    priority: high\n"
#define ALERT_ID "chair-1/spo2-low/1"
#define SCREEN_MS 15000

static struct vt_rig_bed bed;
static struct vt_rig_daemon daemon_;
static char tmux_sock[320];
static char tmux_path[256];

/* tmux from PATH, as posix_spawn wants a path. */
static const char *
s_tmux(void)
{
	if (tmux_path[0])
		return tmux_path;
	const char *path = getenv("PATH");
	char copy[4096];
	snprintf(copy, sizeof(copy), "%s", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(tmux_path, sizeof(tmux_path), "%s/tmux", dir);
		if (access(tmux_path, X_OK) == 0)
			return tmux_path;
	}
	tmux_path[0] = '\0';
	return NULL;
}

/* Run tmux on our server with the NULL-terminated arguments. */
static int
s_tmux_run(struct vt_rig_output *r, ...)
{
	char *argv[24] = {(char *)s_tmux(), "-S", tmux_sock};
	int n = 3;
	va_list ap;
	va_start(ap, r);
	for (const char *a; n < 23 && (a = va_arg(ap, const char *)) != NULL;)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	cr_assert_geq(vt_rig_run(argv, r), 0, "cannot run tmux");
	return r->status;
}

/* The screen, as text (with SGR escapes when `escapes`); malloc'd. */
static char *
s_screen(bool escapes)
{
	struct vt_rig_output r;
	if (escapes)
		s_tmux_run(&r, "capture-pane", "-p", "-e", "-t", "c", NULL);
	else
		s_tmux_run(&r, "capture-pane", "-p", "-t", "c", NULL);
	free(r.err);
	return r.out;
}

/* Poll the screen until `shows` accepts it (given `arg`); feed `spo2` to the
 * monitor meanwhile if > 0. `what` names the wait in the failure. */
static void
s_wait_screen_for(bool (*shows)(const char *screen, const char *arg), const char *arg, int spo2,
                  const char *what)
{
	int64_t deadline = vt_rig_now_ms() + SCREEN_MS;
	for (;;) {
		if (spo2 > 0)
			vt_rig_pty_masimo(&bed.pty, spo2, 97);
		char *screen = s_screen(false);
		bool found = shows(screen, arg);
		if (found || vt_rig_now_ms() > deadline) {
			cr_assert(found, "%s never appeared; the screen:\n%s", what, screen);
			free(screen);
			return;
		}
		free(screen);
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
}

static bool
s_has_text(const char *screen, const char *text)
{
	return strstr(screen, text) != NULL;
}

/* Poll the screen until it shows `text`; feed `spo2` to the monitor meanwhile if > 0. */
static void
s_wait_screen(const char *text, int spo2)
{
	char what[200];
	snprintf(what, sizeof(what), "\"%s\"", text);
	s_wait_screen_for(s_has_text, text, spo2, what);
}

/* Resize the terminal to `cols` x `rows`. */
static void
s_resize(const char *cols, const char *rows)
{
	struct vt_rig_output r;
	cr_assert_eq(s_tmux_run(&r, "resize-window", "-t", "c", "-x", cols, "-y", rows, NULL), 0,
	             "resize-window: %s", r.err);
	vt_rig_output_free(&r);
}

static void
s_keys(const char *keys)
{
	struct vt_rig_output r;
	cr_assert_eq(s_tmux_run(&r, "send-keys", "-t", "c", keys, NULL), 0, "send-keys: %s", r.err);
	vt_rig_output_free(&r);
}

/* The daemon's snapshot, parsed; NULL if it did not answer. */
static json_t *
s_daemon_snapshot(void)
{
	char *reply = vt_rig_request(daemon_.ctl, "{\"cmd\":\"snapshot\"}", 2000);
	json_t *o = reply ? json_loads(reply, 0, NULL) : NULL;
	free(reply);
	return o;
}

/* Poll the daemon until `check` accepts its snapshot. */
static void
s_wait_daemon(bool (*check)(json_t *), const char *what)
{
	int64_t deadline = vt_rig_now_ms() + SCREEN_MS;
	for (;;) {
		json_t *snap = s_daemon_snapshot();
		bool ok = snap && check(snap);
		json_decref(snap);
		if (ok)
			return;
		if (vt_rig_now_ms() > deadline) {
			char *screen = s_screen(false);
			cr_assert_fail("the daemon never showed %s; the console:\n%s", what, screen);
		}
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
}

/* Options the console of the next setup gets besides the endpoints. */
static const char *console_options = "";

static void
s_console_setup(void)
{
	if (s_tmux() == NULL)
		cr_skip_test("tmux is not installed (scripts/deps.sh installs it)");
	cr_assert_eq(vt_rig_bed_start(&bed, &daemon_, "console", RULES), 0, "vitalsd did not start");
	snprintf(tmux_sock, sizeof(tmux_sock), "%s/tmux.sock", daemon_.dir);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	         "exec %s --connect %s --control %s --by station-t %s 2>%s/console.err",
	         vt_rig_build("vitals-console"), daemon_.pub, daemon_.ctl, console_options,
	         daemon_.dir);
	struct vt_rig_output r;
	vt_rig_guard_tmux(tmux_sock);
	cr_assert_eq(s_tmux_run(&r, "-f", "/dev/null", "new-session", "-d", "-s", "c", "-x", "150",
	                        "-y", "40", cmd, NULL),
	             0, "tmux new-session: %s", r.err);
	vt_rig_output_free(&r);
	s_tmux_run(&r, "display-message", "-p", "-t", "c", "#{pane_pid}", NULL);
	if (atol(r.out) > 1)
		vt_rig_guard_pid((pid_t)atol(r.out));
	vt_rig_output_free(&r);
	s_wait_screen("synchronised", 0);
	s_wait_screen("chair-1", 0);
}

static void
s_console_teardown(void)
{
	if (tmux_sock[0]) {
		struct vt_rig_output r = {0};
		if (s_tmux())
			s_tmux_run(&r, "kill-server", NULL);
		vt_rig_output_free(&r);
		vt_rig_release_tmux(tmux_sock);
	}
	vt_rig_bed_stop(&bed, &daemon_);
}

static bool
s_acknowledged(json_t *snap)
{
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(snap, "alerts"), i, a)
	{
		if (strcmp(json_string_value(json_object_get(a, "id")), ALERT_ID) == 0)
			return json_is_true(json_object_get(a, "acknowledged"));
	}
	return false;
}

Test(console_screen, shows_the_alarm_in_red_and_acknowledges_it, .init = s_console_setup,
     .fini = s_console_teardown, .timeout = 120)
{
	s_wait_screen("SpO2 85 % below 90 %", 85);
	s_wait_screen("UNACKNOWLEDGED", 0);
	char *screen = s_screen(false);
	cr_expect(strstr(screen, ALERT_ID) != NULL, "the alarm's id is not shown:\n%s", screen);
	cr_expect(strstr(screen, "HIGH") != NULL, "%s", screen);
	free(screen);

	/* High priority is red: the row's SGR sets foreground 31. */
	screen = s_screen(true);
	const char *row = strstr(screen, "HIGH");
	cr_assert_not_null(row);
	const char *line = row;
	while (line > screen && line[-1] != '\n')
		line--;
	char *end = strchr(row, '\n');
	if (end)
		*end = '\0';
	cr_expect(strstr(line, "31m") != NULL || strstr(line, ";31") != NULL,
	          "the high alarm's row is not red: %s", line);
	free(screen);

	/* The cursor is on the alarm: `a` acknowledges it, at the daemon. */
	s_keys("a");
	s_wait_daemon(s_acknowledged, "the alert acknowledged");
	s_wait_screen("ACK by station-t", 0);
	s_wait_screen("acknowledge " ALERT_ID ": done", 0);
}

static bool
s_silenced(json_t *snap)
{
	return json_is_string(json_object_get(json_object_get(snap, "silenced"), "chair-1"));
}

static bool
s_in_baseline(json_t *snap)
{
	json_t *s = json_object_get(json_object_get(snap, "sessions"), "chair-1");
	const char *p = json_string_value(json_object_get(s, "phase"));
	return p && strcmp(p, "baseline") == 0;
}

static bool
s_in_infusion(json_t *snap)
{
	json_t *s = json_object_get(json_object_get(snap, "sessions"), "chair-1");
	const char *p = json_string_value(json_object_get(s, "phase"));
	return p && strcmp(p, "infusion") == 0 &&
	       json_number_value(json_object_get(s, "weight_kg")) == 72 &&
	       json_number_value(json_object_get(s, "dose_mg_per_kg_h")) == 0.5;
}

static bool
s_laid_out_for_90(const char *screen, const char *unused)
{
	size_t title = strcspn(screen, "\n"); /* the clock ends one column short of the edge */
	return title >= 85 && title <= 90 && strstr(screen, "chair-1") != NULL;
}

Test(console_screen, pauses_audio_sets_phases_and_follows_a_resize, .init = s_console_setup,
     .fini = s_console_teardown, .timeout = 120)
{
	/* Nothing selected and no alarm: the keys say what to do first. */
	s_keys("s");
	s_wait_screen("select a bed or an alarm", 0);
	s_keys("j"); /* the cursor onto chair-1 */
	s_keys("s");
	s_wait_daemon(s_silenced, "chair-1's audio paused");
	s_wait_screen("audio paused until", 0);
	s_wait_screen("paused 1:", 0);

	s_keys("p");
	s_wait_screen("chair-1 phase: b baseline", 0);
	s_keys("b");
	s_wait_daemon(s_in_baseline, "chair-1 in baseline");
	s_wait_screen("set chair-1 to baseline: done", 0);

	/* Enter takes the next phase, infusion, which asks weight and rate. */
	s_keys("p");
	s_wait_screen("(Enter: infusion", 0);
	s_keys("Enter");
	s_wait_screen("patient weight, kg", 0);
	s_keys("72");
	s_keys("Enter");
	s_wait_screen("rate, mg/kg/h [0.5]", 0);
	s_keys("Enter");
	s_wait_daemon(s_in_infusion, "chair-1 in infusion at 72 kg, 0.5 mg/kg/h");
	s_wait_screen("set chair-1 to infusion, 72 kg, 0.5 mg/kg/h: done", 0);
	s_wait_screen(" mg", 0);

	/* A smaller terminal: the screen is laid out again for its width. */
	s_resize("90", "24");
	s_wait_screen_for(s_laid_out_for_90, NULL, 0, "a screen laid out for 90 columns");

	/* Esc cancels a prompt without sending anything. */
	s_keys("p");
	s_wait_screen("chair-1 phase:", 0);
	s_keys("Escape");
	s_wait_screen("phase change cancelled", 0);
}

/* Whether the console has rung the terminal bell (tmux keeps the flag). */
static bool
s_bell_rang(void)
{
	struct vt_rig_output r;
	s_tmux_run(&r, "display-message", "-p", "-t", "c", "#{window_bell_flag}", NULL);
	bool rang = r.out && r.out[0] == '1';
	vt_rig_output_free(&r);
	return rang;
}

static bool
s_back_in_contact(const char *screen, const char *unused)
{
	return strstr(screen, "CONNECTION LOST") == NULL && strstr(screen, "synchronised") != NULL;
}

Test(console_screen, connection_lost_when_the_daemon_dies_and_back_when_it_returns,
     .init = s_console_setup, .fini = s_console_teardown, .timeout = 120)
{
	char *screen = s_screen(false);
	cr_expect(strstr(screen, "CONNECTION LOST") == NULL, "%s", screen);
	free(screen);
	cr_expect(!s_bell_rang(), "the bell rang before anything went wrong");
	vt_rig_child_stop(&daemon_.proc, SIGKILL, 5000);
	s_wait_screen("CONNECTION LOST", 0);
	s_wait_screen("alarms are NOT being received", 0);
	s_wait_screen("SOUNDING: CONNECTION LOST", 0);
	cr_expect(s_bell_rang(), "contact lost and no bell");

	/* The banner is full width and red (white on red). */
	screen = s_screen(true);
	cr_expect(strstr(screen, "41m") != NULL || strstr(screen, ";41") != NULL,
	          "no red background on the screen");
	free(screen);

	/* A new daemon on the same ports: contact back, the banner goes, the view resyncs. */
	cr_assert_eq(vt_rig_daemon_restart(&daemon_), 0);
	s_wait_screen_for(s_back_in_contact, NULL, 0, "contact back after the daemon returned");
}

/* The row of the screen holding `text`, from its start; NULL if none. */
static const char *
s_row_of(const char *screen, const char *text)
{
	const char *at = strstr(screen, text);
	if (at == NULL)
		return NULL;
	while (at > screen && at[-1] != '\n')
		at--;
	return at;
}

/* At 40 columns 15 are left for the text: it goes on over two rows, in one
 * column, with the state on the row below (the onset and id after it are
 * cut at the edge: they matter less). */
static bool
s_wrapped_for_40(const char *screen, const char *unused)
{
	const char *first = s_row_of(screen, "SpO2 85 % below");
	const char *second = first ? strchr(first, '\n') : NULL;
	const char *third = second ? strchr(second + 1, '\n') : NULL;
	if (third == NULL || strstr(screen, "SpO2 85 % below 90 %") != NULL)
		return false;
	size_t col = (size_t)(strstr(first, "SpO2") - first);
	return strlen(second + 1) > col + 4 && strncmp(second + 1 + col, "90 %", 4) == 0 &&
	       strlen(third + 1) > col + 14 && strncmp(third + 1 + col, "UNACKNOWLEDGED", 14) == 0;
}

/* "since HH:MM:SS (m:ss)" somewhere on the screen: when it began and for how long. */
static bool
s_matches_since(const char *screen)
{
	for (const char *p = strstr(screen, "since "); p != NULL; p = strstr(p + 1, "since ")) {
		int h, m, sec, dm, ds;
		if (sscanf(p, "since %d:%d:%d (%d:%d)", &h, &m, &sec, &dm, &ds) == 5)
			return true;
	}
	return false;
}

/* One row holds the whole alarm: text, onset, state and id. */
static bool
s_one_row(const char *screen, const char *unused)
{
	const char *row = s_row_of(screen, "SpO2 85 % below 90 %");
	size_t len = row ? strcspn(row, "\n") : 0;
	char line[512];
	snprintf(line, sizeof(line), "%.*s", (int)len, row ? row : "");
	return strstr(line, "since ") && strstr(line, "ACK by station-t") && strstr(line, ALERT_ID);
}

Test(console_screen, wraps_the_alarm_text_on_a_narrow_terminal, .init = s_console_setup,
     .fini = s_console_teardown, .timeout = 120)
{
	s_wait_screen("SpO2 85 % below 90 %", 85);
	s_resize("40", "24");
	s_wait_screen_for(s_wrapped_for_40, NULL, 0, "the alarm wrapped for 40 columns");

	/* Acknowledged from the narrow screen, the state says so in full. */
	s_keys("a");
	s_wait_daemon(s_acknowledged, "the alert acknowledged");
	s_wait_screen("ACK by station-t", 0);

	/* Wide again: back to one row per alarm, every column on it. */
	s_resize("150", "40");
	s_wait_screen_for(s_one_row, NULL, 0, "the alarm on one row at 150 columns");
}

Test(console_screen, sounds_the_bell_until_the_alarm_is_acknowledged, .init = s_console_setup,
     .fini = s_console_teardown, .timeout = 120)
{
	s_wait_screen("ALARMS (0 active)", 0);
	cr_expect(!s_bell_rang(), "the bell rang with no alarm");
	s_wait_screen("SpO2 85 % below 90 %", 85);
	s_wait_screen("SOUNDING: HIGH", 0);
	int64_t deadline = vt_rig_now_ms() + SCREEN_MS;
	while (!s_bell_rang() && vt_rig_now_ms() < deadline) {
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	cr_expect(s_bell_rang(), "a high alarm on the screen and no bell");
	s_keys("a");
	s_wait_daemon(s_acknowledged, "the alert acknowledged");
	s_wait_screen("quiet: every alarm acknowledged or paused", 0);
}

static void
s_quiet_console_setup(void)
{
	console_options = "--no-bell";
	s_console_setup();
}

Test(console_screen, no_bell_when_told_so, .init = s_quiet_console_setup,
     .fini = s_console_teardown, .timeout = 120)
{
	s_wait_screen("SpO2 85 % below 90 %", 85);
	s_wait_screen("SOUNDING: HIGH (bell off)", 0);
	cr_expect(!s_bell_rang(), "--no-bell and the bell rang");
}

/* ---- at 80 x 24, as a nurse uses it ------------------------------------------------- */

/* A Masimo line whose sensor reports a poor signal: four flags at once. */
static void
s_masimo_flags(int spo2)
{
	char line[256];
	int n = snprintf(line, sizeof(line),
	                 "11/21/26 10:00:00 SN=0000056661 SPO2=%03d%% BPM=097 PI=03.60%% "
	                 "SPCO=--.-%% SPMET=--.-%% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000454\r\n",
	                 spo2);
	cr_assert_eq(vt_rig_pty_write(&bed.pty, line, (size_t)n), 0);
}

/* The screen's last row (the keys). */
static bool
s_last_row_has(const char *screen, const char *text)
{
	size_t len = strlen(screen);
	while (len > 0 && screen[len - 1] == '\n')
		len--;
	const char *last = screen + len;
	while (last > screen && last[-1] != '\n')
		last--;
	return strstr(last, text) != NULL;
}

static bool
s_at_80x24(const char *screen, const char *text)
{
	size_t rows = 0, widest = 0;
	for (const char *p = screen; *p;) {
		size_t n = strcspn(p, "\n");
		widest = n > widest ? n : widest;
		rows++;
		p += n + (p[n] == '\n');
	}
	return rows <= 24 && widest <= 80 && strstr(screen, text) != NULL &&
	       s_last_row_has(screen, "? help");
}

Test(console_screen, at_80x24_everything_a_nurse_needs_stays_on_the_screen,
     .init = s_console_setup, .fini = s_console_teardown, .timeout = 120)
{
	s_resize("80", "24");
	/* An alarm, a poor signal: the alarm's text whole, the flags, the audio, the keys. */
	for (int64_t end = vt_rig_now_ms() + SCREEN_MS; vt_rig_now_ms() < end;) {
		s_masimo_flags(85);
		char *screen = s_screen(false);
		bool ready = strstr(screen, "SpO2 85 % below 90 %") && strstr(screen, "ambient-light");
		free(screen);
		if (ready)
			break;
		vt_rig_sleep_ms(100);
	}
	s_wait_screen_for(s_at_80x24, "SpO2 85 % below 90 %", 0, "the alarm at 80x24");
	char *screen = s_screen(false);
	cr_expect(strstr(screen, "low-perfusion") && strstr(screen, "ambient-light"),
	          "the flags are not all on the screen:\n%s", screen);
	const char *bed_row = s_row_of(screen, "chair-1  connected");
	cr_expect(strstr(screen, "AUDIO") && bed_row && strstr(bed_row, "  on"),
	          "the audio state is not shown:\n%s", screen);
	cr_expect(strstr(screen, "SpO2 [") != NULL, "no SpO2 trend line:\n%s", screen);
	cr_expect(s_matches_since(screen), "no time active beside the onset:\n%s", screen);
	free(screen);

	/* ? lists every key; any key closes it. */
	s_keys("?");
	s_wait_screen("A        acknowledge every alarm of the bed under the cursor", 0);
	s_wait_screen("q        quit (asks first while an alarm is active)", 0);
	s_keys("x");
	s_wait_screen("ALARMS (", 0);

	/* q with an alarm active asks; anything but y stays. */
	s_keys("q");
	s_wait_screen("quit anyway? y quits", 0);
	s_keys("n");
	s_wait_screen("still here", 0);

	/* h: the alarm history, with the alarm not acknowledged yet; h again: back. */
	s_keys("h");
	s_wait_screen("ALARM HISTORY", 0);
	s_wait_screen("NOT ACKNOWLEDGED", 0);
	s_keys("h");
	s_wait_screen("ALARMS (", 0);

	/* A on the bed: every alarm of it acknowledged, at the daemon. */
	s_keys("Home");
	s_keys("A");
	s_wait_daemon(s_acknowledged, "the alert acknowledged by A");
	s_wait_screen("acknowledge every alarm of chair-1: done", 0);
	s_keys("h");
	s_wait_screen("ACK station-t after", 0);
	s_keys("h");

	/* Infusion on a bed without a baseline: warned before, and by the daemon after. */
	s_keys("p");
	s_wait_screen("chair-1 phase:", 0);
	s_keys("i");
	s_wait_screen("WARNING: chair-1 has no baseline yet", 0);
	s_keys("Enter");
	s_keys("Enter");
	s_wait_screen("done; WARNING: chair-1 has no baseline", 0);
}

Test(console_screen, at_80x24_connection_lost_and_the_keys_stay_visible,
     .init = s_console_setup, .fini = s_console_teardown, .timeout = 120)
{
	s_resize("80", "24");
	s_wait_screen_for(s_at_80x24, "synchronised", 0, "the screen at 80x24");
	vt_rig_child_stop(&daemon_.proc, SIGKILL, 5000);
	s_wait_screen_for(s_at_80x24, "CONNECTION LOST", 0, "the banner at 80x24");
	/* Its message whole, over its rows, not cut at the edge. */
	s_wait_screen("alarms are NOT being", 0);
	s_wait_screen("received; what is shown below is old", 0);
}

/* ---- off a terminal ---------------------------------------------------------------- */

static void
s_plain_setup(void)
{
	cr_assert_eq(vt_rig_bed_start(&bed, &daemon_, "console", RULES), 0, "vitalsd did not start");
}

static void
s_plain_teardown(void)
{
	vt_rig_bed_stop(&bed, &daemon_);
}

Test(console_plain, one_line_per_event_when_stdout_is_not_a_terminal, .init = s_plain_setup,
     .fini = s_plain_teardown, .timeout = 60)
{
	char out[400];
	snprintf(out, sizeof(out), "%s/console.out", daemon_.dir);
	char *argv[] = {(char *)vt_rig_build("vitals-console"), "--connect", daemon_.pub, NULL};
	pid_t pid = vt_rig_spawn(argv, out, out);
	cr_assert_gt(pid, 0);

	/* Normal values until the console hears them (its subscription is up), then low. */
	int64_t deadline = vt_rig_now_ms() + SCREEN_MS;
	char *text = NULL;
	for (;;) {
		vt_rig_pty_masimo(&bed.pty, text && strstr(text, "spo2=95") ? 85 : 95, 97);
		free(text);
		text = vt_rig_slurp(out, NULL);
		if ((text && strstr(text, "ALARM RAISED") && strstr(text, "[" ALERT_ID "]")) ||
		    vt_rig_now_ms() > deadline)
			break;
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGTERM);
	int st;
	waitpid(pid, &st, 0);
	cr_expect(text && strstr(text, "ALARM RAISED"), "no alarm line:\n%s", text ? text : "");
	cr_expect(text && strstr(text, "vitals  spo2=85"), "no vitals line:\n%s", text ? text : "");
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTERM must end it with 0");
	free(text);
}
