/*
 * Tests of the HL7 bridge's follower (vitals/hl7/follow.h): which alarm
 * event becomes which PCD-04 report, when a bed's observations go out, and
 * what a snapshot changes after a gap, a restart of the bridge (its alarms
 * taken back from the state it wrote), a restart of the daemon (a new
 * instance) and, behind a hub, a restart of one daemon among several.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/hl7/follow.h"

#define I1 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define I2 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define I3 "cccccccccccccccccccccccccccccccc"

/* What the follower emitted, one entry a message. */
struct seen {
	char bed[64];
	bool alarm;
	enum vt_pcd_phase phase;
	char uid[200];
	enum vt_priority priority;
	bool ack, silenced;
	char text[256];
	int direction;
	double value;
	vt_param_mask valid;
	double spo2;
	int64_t time;
	char record[1024];
};

static struct seen s_seen[256];
static size_t s_n;

static void
s_emit(void *ctx, const struct vt_follow_out *o)
{
	cr_assert_lt(s_n, 256);
	struct seen *s = &s_seen[s_n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->bed, sizeof(s->bed), "%s", o->bed);
	s->alarm = o->alarm;
	if (o->alarm) {
		s->phase = o->event->phase;
		snprintf(s->uid, sizeof(s->uid), "%s", o->event->uid);
		s->priority = o->event->priority;
		s->ack = o->event->acknowledged;
		s->silenced = o->event->silenced;
		snprintf(s->text, sizeof(s->text), "%s", o->event->text);
		s->direction = o->event->direction;
		s->value = o->event->value;
		s->time = o->event->time;
		cr_assert_not_null(o->record, "an R40 carries its record");
		snprintf(s->record, sizeof(s->record), "%s", o->record);
	} else {
		s->valid = o->obs->valid;
		s->spo2 = o->obs->value[VT_SPO2];
		s->time = o->obs->time;
	}
}

static struct vt_follow *
s_new(int64_t interval)
{
	s_n = 0;
	struct vt_follow *f = vt_follow_new(interval, s_emit, NULL);
	cr_assert_not_null(f);
	return f;
}

static int
s_msg(struct vt_follow *f, const char *json, int64_t now)
{
	return vt_follow_message(f, json, strlen(json), now);
}

/* A snapshot reply; alerts and the rest as JSON text. */
static void
s_snap(struct vt_follow *f, const char *json, int64_t now)
{
	char err[256];
	cr_assert(vt_follow_wants_snapshot(f, now), "the follower asks for a snapshot");
	vt_follow_snapshot_sent(f, now);
	cr_assert(!vt_follow_wants_snapshot(f, now), "one request at a time");
	cr_assert_eq(vt_follow_snapshot(f, json, strlen(json), now, err, sizeof(err)), 0, "%s", err);
}

/* An alert message of instance `inst`. */
static void
s_alert(struct vt_follow *f, const char *inst, int seq, const char *id, const char *event,
        const char *priority, bool ack, const char *extra)
{
	char json[1024];
	snprintf(json, sizeof(json),
	         "{\"v\":1,\"type\":\"alert\",\"seq\":%d,\"time\":\"2026-11-21T10:00:%02d.000Z\","
	         "\"instance\":\"%s\",\"bed\":\"chair-1\",\"id\":\"%s\",\"event\":\"%s\","
	         "\"rule\":\"spo2-low\",\"kind\":\"physiological\",\"priority\":\"%s\","
	         "\"parameter\":\"spo2\",\"value\":86,\"worst\":85,\"limit\":90,"
	         "\"acknowledged\":%s,\"silenced_until\":null,\"text\":\"SpO2 86 %% below 90 %%\"%s}",
	         seq, seq % 60, inst, id, event, priority, ack ? "true" : "false", extra ? extra : "");
	cr_assert_eq(s_msg(f, json, 1000 + seq), 1, "applied: %s", json);
}

static void
s_heartbeat(struct vt_follow *f, const char *inst, int seq, int expect)
{
	char json[256];
	snprintf(json, sizeof(json), "{\"v\":1,\"type\":\"heartbeat\",\"seq\":%d,\"time\":"
	         "\"2026-11-21T10:00:00.000Z\",\"instance\":\"%s\",\"active_alarms\":0}", seq, inst);
	cr_assert_eq(s_msg(f, json, 1000 + seq), expect, "%s", json);
}

static const char *
s_empty_snapshot(const char *inst, int seq)
{
	static char json[512];
	snprintf(json, sizeof(json), "{\"ok\":true,\"seq\":%d,\"instance\":\"%s\",\"time\":"
	         "\"2026-11-21T10:00:00.000Z\",\"alerts\":[],\"vitals\":{},\"ports\":{}}", seq, inst);
	return json;
}

Test(follow, each_alarm_event_becomes_its_report)
{
	struct vt_follow *f = s_new(0);
	cr_expect(!vt_follow_synced(f));
	s_snap(f, s_empty_snapshot(I1, 10), 0);
	cr_expect(vt_follow_synced(f));
	s_alert(f, I1, 11, "chair-1/spo2-low/1", "raised", "medium", false, NULL);
	s_alert(f, I1, 12, "chair-1/spo2-low/1", "updated", "medium", false, NULL);
	s_alert(f, I1, 13, "chair-1/spo2-low/1", "escalated", "high", false, NULL);
	s_alert(f, I1, 14, "chair-1/spo2-low/1", "silenced", "high", false,
	        ",\"silenced_until\":\"2026-11-21T10:02:00.000Z\"");
	s_alert(f, I1, 15, "chair-1/spo2-low/1", "acknowledged", "high", true, ",\"by\":\"nurse\"");
	s_alert(f, I1, 16, "chair-1/spo2-low/1", "deescalated", "medium", true, NULL);
	s_alert(f, I1, 17, "chair-1/spo2-low/1", "updated", "medium", true, NULL);
	cr_expect_eq(vt_follow_active(f), 1);
	s_alert(f, I1, 18, "chair-1/spo2-low/1", "cleared", "medium", true, NULL);
	cr_expect_eq(vt_follow_active(f), 0);
	static const struct {
		enum vt_pcd_phase phase;
		enum vt_priority prio;
		bool ack, silenced;
	} want[] = {{VT_PCD_START, VT_PRIO_MEDIUM, false, false},
	            {VT_PCD_ESCALATE, VT_PRIO_HIGH, false, false},
	            {VT_PCD_UPDATE, VT_PRIO_HIGH, false, true},
	            {VT_PCD_UPDATE, VT_PRIO_HIGH, true, false},
	            {VT_PCD_DEESCALATE, VT_PRIO_MEDIUM, true, false},
	            {VT_PCD_END, VT_PRIO_MEDIUM, true, false}};
	cr_assert_eq(s_n, 6, "updated is not reported: %zu messages", s_n);
	for (size_t i = 0; i < s_n; i++) {
		cr_expect(s_seen[i].alarm);
		cr_expect_eq(s_seen[i].phase, want[i].phase, "report %zu: %s", i,
		             vt_pcd_phase_name(s_seen[i].phase));
		cr_expect_eq(s_seen[i].priority, want[i].prio, "report %zu", i);
		cr_expect_eq(s_seen[i].ack, want[i].ack, "report %zu", i);
		cr_expect_eq(s_seen[i].silenced, want[i].silenced, "report %zu", i);
		cr_expect_str_eq(s_seen[i].uid, "aaaaaaaaaaaa/chair-1/spo2-low/1");
		cr_expect_eq(s_seen[i].direction, -1, "below its limit (worst 85 < 90)");
		cr_expect_str_eq(s_seen[i].bed, "chair-1");
	}
	cr_expect_eq(s_seen[0].time, 1795255211000, "the event's own time");
	cr_expect(strstr(s_seen[5].record, "\"ended\":true") != NULL, "%s", s_seen[5].record);
	vt_follow_free(&f);
	cr_expect_null(f);
}

Test(follow, messages_wait_for_the_snapshot_and_a_gap_asks_again)
{
	struct vt_follow *f = s_new(0);
	/* Before the snapshot: kept; the snapshot covers seq <= 11. */
	s_heartbeat(f, I1, 11, 0);
	char raised[600];
	snprintf(raised, sizeof(raised),
	         "{\"v\":1,\"type\":\"alert\",\"seq\":12,\"time\":\"2026-11-21T10:00:12.000Z\","
	         "\"instance\":\"" I1 "\",\"bed\":\"chair-1\",\"id\":\"chair-1/pr-high/1\","
	         "\"event\":\"raised\",\"kind\":\"physiological\",\"priority\":\"low\","
	         "\"parameter\":\"pr\",\"value\":131,\"worst\":131,\"limit\":120,"
	         "\"acknowledged\":false,\"silenced_until\":null,\"text\":\"PR high\"}");
	cr_expect_eq(s_msg(f, raised, 1), 0);
	s_snap(f, s_empty_snapshot(I1, 11), 2);
	cr_assert_eq(s_n, 1, "the kept alert is applied after the snapshot");
	cr_expect_eq(s_seen[0].phase, VT_PCD_START);
	cr_expect_eq(s_seen[0].direction, 1);
	cr_expect_eq(s_msg(f, raised, 3), 0, "a duplicate is ignored");
	s_heartbeat(f, I1, 13, 1);
	/* seq 14 lost: a gap. */
	s_heartbeat(f, I1, 15, 0);
	cr_expect(!vt_follow_synced(f));
	cr_expect_eq(vt_follow_counts(f)->gaps, 1);
	cr_expect(!vt_follow_wants_snapshot(f, 4), "not at once after the last one");
	int64_t t = 2 + VT_FOLLOW_RETRY_MS;
	cr_expect_eq(vt_follow_next(f), t);
	cr_expect(vt_follow_wants_snapshot(f, t));
	vt_follow_snapshot_sent(f, t);
	vt_follow_snapshot_failed(f, t + 1);
	cr_expect(!vt_follow_wants_snapshot(f, t + 2), "a failed request waits before the next");
	t += 1 + VT_FOLLOW_RETRY_MS;
	cr_expect(vt_follow_wants_snapshot(f, t));
	cr_expect_eq(vt_follow_next(f), t);
	char err[128];
	vt_follow_snapshot_sent(f, t);
	cr_expect_eq(vt_follow_snapshot(f, "{\"ok\":false,\"error\":\"busy\"}", 27, t, err,
	                                 sizeof(err)), -1);
	cr_expect_str_eq(err, "busy");
	t += VT_FOLLOW_RETRY_MS;
	vt_follow_snapshot_sent(f, t);
	cr_expect_eq(vt_follow_snapshot(f, "nonsense", 8, t, err, sizeof(err)), -1);
	t += VT_FOLLOW_RETRY_MS;
	/* The alert is still active in the snapshot: nothing new to say. */
	char snap[1200];
	snprintf(snap, sizeof(snap), "{\"ok\":true,\"seq\":14,\"instance\":\"" I1 "\",\"time\":"
	         "\"2026-11-21T10:00:14.000Z\",\"alerts\":[%s],\"vitals\":{},\"ports\":{}}", raised);
	s_snap(f, snap, t);
	cr_expect_eq(s_n, 1, "no duplicate report");
	cr_expect(vt_follow_synced(f));
	s_heartbeat(f, I1, 16, 1);
	cr_expect_eq(s_msg(f, "{\"seq\":1}", 5), -1);
	cr_expect_eq(s_msg(f, "[]", 5), -1);
	cr_expect_eq(vt_follow_counts(f)->unreadable, 2);
	vt_follow_free(&f);
}

/* The bridge restarts: its alarms come back from its state; the snapshot says what changed. */
Test(follow, a_restarted_bridge_reports_only_what_changed)
{
	struct vt_follow *f = s_new(0);
	s_snap(f, s_empty_snapshot(I1, 0), 0);
	s_alert(f, I1, 1, "chair-1/spo2-low/1", "raised", "medium", false, NULL);
	s_alert(f, I1, 2, "chair-1/spo2-low/2", "raised", "medium", false, NULL);
	s_alert(f, I1, 3, "chair-1/spo2-low/3", "raised", "medium", false, NULL);
	char *saved = vt_follow_alarms(f);
	cr_assert_not_null(saved);
	vt_follow_free(&f);

	f = s_new(0);
	char err[128];
	cr_assert_eq(vt_follow_restore(f, saved, err, sizeof(err)), 0, "%s", err);
	free(saved);
	cr_expect_eq(vt_follow_active(f), 3);
	/* /1 unchanged, /2 acknowledged meanwhile, /3 cleared meanwhile, /4 raised meanwhile. */
	char snap[3000];
	snprintf(snap, sizeof(snap),
	         "{\"ok\":true,\"seq\":20,\"instance\":\"" I1 "\",\"time\":\"2026-11-21T10:05:00.000Z\","
	         "\"alerts\":["
	         "{\"seq\":1,\"instance\":\"" I1 "\",\"bed\":\"chair-1\",\"id\":\"chair-1/spo2-low/1\","
	         "\"event\":\"raised\",\"priority\":\"medium\",\"kind\":\"physiological\","
	         "\"parameter\":\"spo2\",\"acknowledged\":false,\"silenced_until\":null,\"text\":\"x\"},"
	         "{\"seq\":9,\"instance\":\"" I1 "\",\"bed\":\"chair-1\",\"id\":\"chair-1/spo2-low/2\","
	         "\"event\":\"acknowledged\",\"priority\":\"medium\",\"kind\":\"physiological\","
	         "\"parameter\":\"spo2\",\"acknowledged\":true,\"silenced_until\":null,\"text\":\"x\"},"
	         "{\"seq\":15,\"instance\":\"" I1 "\",\"bed\":\"chair-1\",\"id\":\"chair-1/comm-lost/1\","
	         "\"event\":\"raised\",\"priority\":\"medium\",\"kind\":\"technical\","
	         "\"parameter\":null,\"value\":null,\"limit\":null,\"acknowledged\":false,"
	         "\"silenced_until\":null,\"text\":\"No data\"}],"
	         "\"vitals\":{\"chair-1\":{}},\"ports\":{\"chair-1\":\"lost\"}}");
	s_snap(f, snap, 10);
	cr_assert_eq(s_n, 3, "%zu reports", s_n);
	cr_expect_eq(s_seen[0].phase, VT_PCD_UPDATE);
	cr_expect_str_eq(s_seen[0].uid, "aaaaaaaaaaaa/chair-1/spo2-low/2");
	cr_expect(s_seen[0].ack);
	cr_expect_eq(s_seen[1].phase, VT_PCD_END);
	cr_expect_str_eq(s_seen[1].uid, "aaaaaaaaaaaa/chair-1/spo2-low/3");
	cr_expect(strstr(s_seen[1].text, "not listening") != NULL, "%s", s_seen[1].text);
	cr_expect_eq(s_seen[1].time, 1795255500000, "at the snapshot's time");
	cr_expect_eq(s_seen[2].phase, VT_PCD_START);
	cr_expect_str_eq(s_seen[2].uid, "aaaaaaaaaaaa/chair-1/comm-lost/1");
	cr_expect_eq(vt_follow_active(f), 3);
	cr_expect_eq(vt_follow_counts(f)->restart_ends, 0);
	/* A corrupt state is refused, and leaves nothing kept. */
	cr_expect_eq(vt_follow_restore(f, "{\"not\":\"a list\"}", err, sizeof(err)), -1);
	cr_expect_eq(vt_follow_restore(f, "[{\"id\":\"x\"}]", err, sizeof(err)), -1);
	cr_expect_eq(vt_follow_active(f), 0);
	vt_follow_free(&f);
}

/* A record written beside a message applies again to another follower (a crash before the state). */
Test(follow, records_replay_the_reported_state)
{
	struct vt_follow *f = s_new(0);
	s_snap(f, s_empty_snapshot(I1, 0), 0);
	s_alert(f, I1, 1, "chair-1/spo2-low/1", "raised", "medium", false, NULL);
	s_alert(f, I1, 2, "chair-1/spo2-low/2", "raised", "medium", false, NULL);
	s_alert(f, I1, 3, "chair-1/spo2-low/1", "acknowledged", "medium", true, NULL);
	s_alert(f, I1, 4, "chair-1/spo2-low/2", "cleared", "medium", false, NULL);
	char *want = vt_follow_alarms(f);
	struct seen copy[8];
	size_t n = s_n;
	memcpy(copy, s_seen, n * sizeof(copy[0]));
	vt_follow_free(&f);
	f = s_new(0);
	char err[128];
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(vt_follow_replay(f, copy[i].record, err, sizeof(err)), 0, "%s", err);
	char *got = vt_follow_alarms(f);
	cr_expect_str_eq(got, want);
	cr_expect_eq(vt_follow_active(f), 1);
	cr_expect_eq(vt_follow_replay(f, "{", err, sizeof(err)), -1);
	free(want);
	free(got);
	vt_follow_free(&f);
}

/* The daemon restarts: its alarms of the old run end; the new run's are new. */
Test(follow, a_daemon_restart_ends_the_old_alarms_once)
{
	struct vt_follow *f = s_new(0);
	s_snap(f, s_empty_snapshot(I1, 0), 0);
	s_alert(f, I1, 1, "chair-1/spo2-low/1", "raised", "high", false, NULL);
	s_heartbeat(f, I1, 2, 1);
	/* The new run: its first heartbeat is kept, a snapshot asked for. */
	s_heartbeat(f, I2, 1, 0);
	cr_expect(vt_follow_wants_snapshot(f, 3000));
	char snap[1200];
	snprintf(snap, sizeof(snap),
	         "{\"ok\":true,\"seq\":3,\"instance\":\"" I2 "\",\"time\":\"2026-11-21T10:10:00.000Z\","
	         "\"alerts\":[{\"seq\":3,\"instance\":\"" I2 "\",\"bed\":\"chair-1\","
	         "\"id\":\"chair-1/spo2-low/1\",\"event\":\"raised\",\"priority\":\"medium\","
	         "\"kind\":\"physiological\",\"parameter\":\"spo2\",\"value\":88,\"worst\":88,"
	         "\"limit\":90,\"acknowledged\":false,\"silenced_until\":null,\"text\":\"again\"}],"
	         "\"vitals\":{},\"ports\":{}}");
	s_snap(f, snap, 3000);
	cr_assert_eq(s_n, 3);
	cr_expect_eq(s_seen[1].phase, VT_PCD_END);
	cr_expect_str_eq(s_seen[1].uid, "aaaaaaaaaaaa/chair-1/spo2-low/1");
	cr_expect(strstr(s_seen[1].text, "restart") != NULL, "%s", s_seen[1].text);
	cr_expect_eq(s_seen[2].phase, VT_PCD_START);
	cr_expect_str_eq(s_seen[2].uid, "bbbbbbbbbbbb/chair-1/spo2-low/1", "the same id, a new alarm");
	cr_expect_eq(vt_follow_counts(f)->restart_ends, 1);
	/* The new run's raise, heard after its snapshot, is not a second start. */
	s_alert(f, I2, 4, "chair-1/spo2-low/1", "raised", "medium", false, NULL);
	cr_expect_eq(s_n, 3);
	vt_follow_free(&f);
}

/* Behind a hub: one stream per daemon; one daemon's restart ends only its beds' alarms. */
Test(follow, several_daemons_behind_a_hub)
{
	struct vt_follow *f = s_new(0);
	s_snap(f, "{\"ok\":true,\"time\":\"2026-11-21T10:00:00.000Z\",\"alerts\":[],\"vitals\":{},"
	          "\"ports\":{},\"sources\":[{\"name\":\"a\",\"beds\":[\"chair-1\"],\"instance\":\"" I1
	          "\",\"seq\":5},{\"name\":\"b\",\"beds\":[\"chair-9\"],\"instance\":\"" I2
	          "\",\"seq\":7},{\"name\":\"c\",\"beds\":[\"chair-5\"],\"instance\":null,"
	          "\"seq\":null,\"error\":\"not connected\"}]}",
	       0);
	s_alert(f, I1, 6, "chair-1/spo2-low/1", "raised", "high", false, NULL);
	char json[600];
	snprintf(json, sizeof(json),
	         "{\"v\":1,\"type\":\"alert\",\"seq\":8,\"time\":\"2026-11-21T10:00:08.000Z\","
	         "\"instance\":\"" I2 "\",\"bed\":\"chair-9\",\"id\":\"chair-9/comm-lost/1\","
	         "\"event\":\"raised\",\"kind\":\"technical\",\"priority\":\"medium\","
	         "\"parameter\":null,\"value\":null,\"limit\":null,\"acknowledged\":false,"
	         "\"silenced_until\":null,\"text\":\"No data\"}");
	cr_expect_eq(s_msg(f, json, 10), 1, "each stream has its own seq");
	s_heartbeat(f, I1, 7, 1);
	cr_expect_eq(s_n, 2);
	/* Daemon a restarts as I3; b goes on. */
	s_heartbeat(f, I3, 1, 0);
	s_snap(f, "{\"ok\":true,\"time\":\"2026-11-21T10:01:00.000Z\",\"alerts\":[{\"seq\":8,"
	          "\"instance\":\"" I2 "\",\"bed\":\"chair-9\",\"id\":\"chair-9/comm-lost/1\","
	          "\"event\":\"raised\",\"kind\":\"technical\",\"priority\":\"medium\","
	          "\"acknowledged\":false,\"silenced_until\":null,\"text\":\"No data\"}],"
	          "\"vitals\":{},\"ports\":{},\"sources\":[{\"name\":\"a\",\"beds\":[\"chair-1\"],"
	          "\"instance\":\"" I3 "\",\"seq\":1},{\"name\":\"b\",\"beds\":[\"chair-9\"],"
	          "\"instance\":\"" I2 "\",\"seq\":8}]}",
	       VT_FOLLOW_RETRY_MS);
	cr_assert_eq(s_n, 3, "%zu", s_n);
	cr_expect_eq(s_seen[2].phase, VT_PCD_END);
	cr_expect_str_eq(s_seen[2].bed, "chair-1");
	cr_expect_eq(vt_follow_active(f), 1, "chair-9's alarm stays");
	s_heartbeat(f, I2, 9, 1);
	s_heartbeat(f, I3, 2, 1);
	vt_follow_free(&f);
}

static void
s_vitals(struct vt_follow *f, int seq, const char *bed, int spo2, int64_t now)
{
	char json[512];
	snprintf(json, sizeof(json), "{\"v\":1,\"type\":\"vitals\",\"seq\":%d,\"time\":"
	         "\"2026-11-21T10:00:00.000Z\",\"instance\":\"" I1 "\",\"bed\":\"%s\",\"values\":"
	         "{\"spo2\":%d,\"pr\":null,\"pi\":2.5,\"nibp_sys\":120},\"measured\":{\"nibp_sys\":"
	         "\"2026-11-21T09:58:00.000Z\"},\"flags\":[]}", seq, bed, spo2);
	cr_assert_eq(s_msg(f, json, now), 1);
}

Test(follow, observations_every_interval_on_the_clock_while_current)
{
	struct vt_follow *f = s_new(60000);
	cr_assert_eq(vt_follow_bed_interval(f, "chair-2", 0), 0);
	cr_assert_eq(vt_follow_bed_interval(f, "chair-3", 30000), 0);
	s_snap(f, s_empty_snapshot(I1, 0), 0);
	int64_t t0 = 1795255230000; /* 10:00:30 */
	s_vitals(f, 1, "chair-1", 97, t0);
	s_vitals(f, 2, "chair-2", 96, t0);
	s_vitals(f, 3, "chair-3", 95, t0);
	cr_expect_eq(vt_follow_next(f), t0 + 30000, "chair-1 at 10:01, chair-3 at 10:01 too");
	vt_follow_tick(f, t0 + 29999);
	cr_expect_eq(s_n, 0);
	s_vitals(f, 4, "chair-1", 94, t0 + 29000);
	s_vitals(f, 5, "chair-3", 93, t0 + 29000);
	vt_follow_tick(f, t0 + 30000);
	cr_assert_eq(s_n, 2, "chair-1 and chair-3, never chair-2");
	const struct seen *c1 = strcmp(s_seen[0].bed, "chair-1") == 0 ? &s_seen[0] : &s_seen[1];
	const struct seen *c3 = c1 == &s_seen[0] ? &s_seen[1] : &s_seen[0];
	cr_expect_str_eq(c1->bed, "chair-1");
	cr_expect_str_eq(c3->bed, "chair-3");
	cr_expect_eq(c1->spo2, 94);
	cr_expect_eq(c3->spo2, 93);
	cr_expect_eq(c1->valid,
	             VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_PI) | VT_PARAM_BIT(VT_NIBP_SYS),
	             "a null value is left out");
	cr_expect_eq(vt_follow_next(f), t0 + 60000, "chair-3 at 10:01:30");
	/* chair-3's values stop coming: stale at its next time, nothing sent. */
	vt_follow_tick(f, t0 + 60000);
	cr_expect_eq(s_n, 2);
	vt_follow_tick(f, t0 + 90000);
	cr_expect_eq(s_n, 2);
	vt_follow_free(&f);
}

Test(follow, a_snapshot_gives_the_connected_beds_values)
{
	struct vt_follow *f = s_new(1000);
	s_snap(f, "{\"ok\":true,\"seq\":0,\"instance\":\"" I1 "\",\"time\":"
	          "\"2026-11-21T10:00:00.000Z\",\"alerts\":[],\"vitals\":{\"chair-1\":{\"spo2\":91},"
	          "\"chair-2\":{\"spo2\":99}},\"ports\":{\"chair-1\":\"connected\",\"chair-2\":\"lost\"}}",
	       500);
	vt_follow_tick(f, 1000);
	cr_assert_eq(s_n, 1);
	cr_expect_str_eq(s_seen[0].bed, "chair-1");
	cr_expect_eq(s_seen[0].spo2, 91);
	cr_expect_eq(s_seen[0].time, 1795255200000);
	vt_follow_free(&f);
}
