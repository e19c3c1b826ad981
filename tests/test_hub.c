/*
 * vitals-hub: two real daemons behind a real hub, and what a station sees
 * through it. A subscriber on the hub hears every bed of both daemons;
 * vitalsctl on the hub acknowledges one daemon's alarm, pauses a bed's
 * audio and sets another's phase, and each daemon, asked directly, says
 * each request reached the daemon serving the bed and not the other;
 * stations that join late (the console model, through the hub's merged
 * snapshot) know every bed of every daemon and every alarm as it stands,
 * even while a daemon is down; one daemon killed makes only its beds lost
 * three of its heartbeats after it was last heard, and its restart brings
 * them back. Beside that: CURVE on both sides, the configuration's clash
 * check, and the merge of replies on its own. Every socket is on
 * 127.0.0.1; waits are for events against generous deadlines.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "support/support.h"
#include "vitals/base/version.h"
#include "vitals/console/client.h"
#include "vitals/console/model.h"
#include "vitals/hub/config.h"
#include "vitals/hub/merge.h"
#include "vitals/io/curve.h"

#define S_DEADLINE_MS 20000

/* The daemons' heartbeat: three of them is how long a silent daemon's beds take to be lost. */
#define S_HEARTBEAT_MS 500
/* How much later than three heartbeats a busy machine may show it (see the test). */
#define S_LATE_MS 2000

/*
 * A daemon with a bed of its own name on a pty (and `second`, a second bed
 * on a second pty, or NULL), heartbeat S_HEARTBEAT_MS, one SpO2 rule, and
 * `curve` (a curve section, or NULL for none).
 */
struct s_room {
	struct vt_rig_bed bed;
	struct vt_rig_pty second; /* master -1 without a second bed */
	struct vt_rig_daemon d;
	char name[32], name2[32];
};

static void
s_room_open(struct s_room *r, const char *bed, const char *second, const char *curve)
{
	snprintf(r->name, sizeof(r->name), "%s", bed);
	snprintf(r->name2, sizeof(r->name2), "%s", second ? second : "");
	r->second.master = -1;
	cr_assert_eq(vt_rig_bed_open(&r->bed, "hub", "masimo-ascii", NULL, false), 0);
	int n = snprintf(r->bed.monitors, sizeof(r->bed.monitors),
	                 "  - {bed: %s, port: %s, protocol: masimo-ascii, stale_after: 10m}\n", bed,
	                 r->bed.link);
	if (second != NULL) {
		char link[256];
		snprintf(link, sizeof(link), "%s/%s", r->bed.dir, second);
		cr_assert_eq(vt_rig_pty_open(&r->second, link), 0);
		snprintf(r->bed.monitors + n, sizeof(r->bed.monitors) - (size_t)n,
		         "  - {bed: %s, port: %s, protocol: masimo-ascii, stale_after: 10m}\n", second,
		         r->second.link);
	}
	char extra[1024];
	snprintf(extra, sizeof(extra), "heartbeat: %dms\n%s", S_HEARTBEAT_MS, curve ? curve : "");
	cr_assert_eq(vt_rig_daemon_start(&r->d, r->bed.dir, extra, r->bed.monitors,
	                                 "  - {name: low, parameter: spo2, below: 90}\n"),
	             0);
}

static void
s_room_start(struct s_room *r, const char *bed, const char *second)
{
	s_room_open(r, bed, second, NULL);
	cr_assert(vt_rig_daemon_port_is(&r->d, bed, "connected", S_DEADLINE_MS));
	if (second != NULL)
		cr_assert(vt_rig_daemon_port_is(&r->d, second, "connected", S_DEADLINE_MS));
}

/* One Masimo line into each of the room's beds. */
static void
s_room_feed(struct s_room *r, int spo2)
{
	vt_rig_pty_masimo(&r->bed.pty, spo2, 70);
	if (r->second.master >= 0)
		vt_rig_pty_masimo(&r->second, spo2, 71);
}

static void
s_room_stop(struct s_room *r)
{
	if (r->d.proc.pid > 0)
		vt_rig_daemon_stop(&r->d);
	vt_rig_pty_close(&r->second);
	vt_rig_bed_close(&r->bed);
}

/* The hub in front of both rooms, on two free ports; its child and endpoints. */
struct s_hub {
	struct vt_rig_child proc;
	char dir[128], config[256], pub[64], ctl[64];
};

/*
 * Start a hub on `text` (a hub file without its own endpoints, which are
 * added) in a directory of its own, and wait until it has bound them (it
 * logs so; no ping, which CURVE would need keys for).
 */
static void
s_hub_run(struct s_hub *h, const char *text)
{
	cr_assert_eq(vt_rig_tmpdir(h->dir, sizeof(h->dir), "hub"), 0);
	int pub = vt_rig_free_port(), ctl = vt_rig_free_port();
	cr_assert(pub > 0 && ctl > 0 && pub != ctl);
	snprintf(h->pub, sizeof(h->pub), "tcp://127.0.0.1:%d", pub);
	snprintf(h->ctl, sizeof(h->ctl), "tcp://127.0.0.1:%d", ctl);
	char full[4096];
	snprintf(full, sizeof(full), "publish: %s\ncontrol: %s\nrequest_timeout: 1s\n%s", h->pub,
	         h->ctl, text);
	cr_assert_eq(vt_rig_write_file(h->dir, "hub.yaml", full, h->config, sizeof(h->config)), 0);
	char log[320];
	snprintf(log, sizeof(log), "%s/hub.log", h->dir);
	char *argv[] = {(char *)vt_rig_build("vitals-hub"), "-c", h->config, NULL};
	cr_assert_eq(vt_rig_child_start(&h->proc, "vitals-hub", argv, log, false), 0);
	for (int64_t end = vt_rig_now_ms() + S_DEADLINE_MS;; vt_rig_sleep_ms(20)) {
		char *got = vt_rig_slurp(log, NULL);
		bool started = got != NULL && strstr(got, "vitals-hub " VT_VERSION " started") != NULL;
		if (!started && (vt_rig_child_exited(&h->proc) || vt_rig_now_ms() > end))
			cr_assert_fail("the hub did not start; its log:\n%s", got ? got : "(none)");
		free(got);
		if (started)
			return;
	}
}

/* The hub in front of both rooms (room a with its second bed), without CURVE. */
static void
s_hub_start(struct s_hub *h, struct s_room *a, struct s_room *b)
{
	char text[2048];
	snprintf(text, sizeof(text),
	         "daemons:\n"
	         "  - {name: room-a, publish: %s, control: %s, beds: [%s, %s]}\n"
	         "  - {name: room-b, publish: %s, control: %s, beds: [%s]}\n",
	         a->d.pub, a->d.ctl, a->name, a->name2, b->d.pub, b->d.ctl, b->name);
	s_hub_run(h, text);
	cr_assert(vt_rig_ping(h->ctl, S_DEADLINE_MS), "the hub does not answer");
}

/* The console model behind the hub (support/station.h), as a console at the station. */
static void
s_station_open(struct vt_rig_station *st, const struct s_hub *h, const struct vt_curve_keys *keys)
{
	cr_assert_eq(vt_rig_station_open(st, h->pub, h->ctl, keys), 0, "%s", st->problem);
}

/*
 * A station that joins now: its view comes from the hub's merged snapshot
 * (the live messages alone would not name a bed that says nothing, nor an
 * alert raised before it came). Back once it is synchronised and knows
 * every bed of `beds` (NULL-terminated).
 */
static void
s_late_joiner(struct vt_rig_station *st, const struct s_hub *h, const char *const *beds)
{
	s_station_open(st, h, NULL);
	for (const char *const *b = beds; *b != NULL; b++)
		cr_assert(vt_rig_station_until(st, *b, false, S_DEADLINE_MS),
		          "a late joiner does not know %s: %s", *b, st->problem);
}

/* An alert of a late joiner's view is there and acknowledged, or not. */
static void
s_expect_alert(struct vt_rig_station *st, const char *id, bool acknowledged)
{
	const struct vt_console_alert *a = vt_console_alert_by_id(st->m, id);
	cr_expect_not_null(a, "%s is not in the view", id);
	if (a != NULL)
		cr_expect_eq(a->acknowledged, acknowledged, "%s acknowledged: %d", id, a->acknowledged);
}

/* vitalsctl ARGS... --connect the hub (up to three arguments, NULL after the last): its output. */
static struct vt_rig_output
s_ctl(const struct s_hub *h, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = {(char *)vt_rig_build("vitalsctl"), "--connect", (char *)h->ctl, "--json",
	                (char *)a1, (char *)a2, (char *)a3, NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0);
	return r;
}

/* A daemon's own state, asked of it directly and not through the hub: its snapshot. */
static json_t *
s_daemon_state(const struct s_room *r)
{
	char *reply = vt_rig_request(r->d.ctl, "{\"cmd\":\"snapshot\"}", 5000);
	cr_assert_not_null(reply, "%s's daemon does not answer", r->name);
	json_t *o = json_loads(reply, 0, NULL);
	cr_assert_not_null(o, "%s", reply);
	free(reply);
	return o;
}

/* Alert `id` in a daemon's snapshot: acknowledged 1, active and not acknowledged 0, absent -1. */
static int
s_alert_state(json_t *snapshot, const char *id)
{
	size_t i;
	json_t *al;
	json_array_foreach(json_object_get(snapshot, "alerts"), i, al)
		if (strcmp(json_string_value(json_object_get(al, "id")), id) == 0)
			return json_is_true(json_object_get(al, "acknowledged"));
	return -1;
}

/* A member of a bed in a daemon's snapshot: snapshot[map][bed], or NULL. */
static json_t *
s_of_bed(json_t *snapshot, const char *map, const char *bed)
{
	return json_object_get(json_object_get(snapshot, map), bed);
}

/* Drain `sub`: the last time it heard a message of daemon instance `instance`. */
static void
s_last_heard(void *sub, const char *instance, int64_t *last)
{
	char topic[64], body[4096], needle[80];
	snprintf(needle, sizeof(needle), "\"instance\":\"%s\"", instance);
	while (vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 0) > 0)
		if (strstr(body, needle) != NULL)
			*last = vt_rig_now_ms();
}

Test(hub, two_daemons_one_station, .timeout = 180)
{
	struct s_room a, b;
	s_room_start(&a, "room-a-1", "room-a-2");
	s_room_start(&b, "room-b-1", NULL);
	struct s_hub h;
	s_hub_start(&h, &a, &b);
	static const char *const beds[] = {"room-a-1", "room-a-2", "room-b-1", NULL};

	/* A subscriber on the hub hears every bed of both daemons (everything: what it hears
	 * proves its subscription has reached both, so that no later event can pass it). */
	void *sub = vt_rig_sub(h.pub, "", 0);
	cr_assert_not_null(sub);
	bool seen[3] = {false};
	for (int64_t end = vt_rig_now_ms() + S_DEADLINE_MS;
	     !(seen[0] && seen[1] && seen[2]) && vt_rig_now_ms() < end;) {
		s_room_feed(&a, 97);
		s_room_feed(&b, 96);
		char topic[64], body[4096];
		while (vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 100) > 0)
			for (int i = 0; i < 3; i++)
				seen[i] = seen[i] || (strncmp(topic, "vitals.", 7) == 0 &&
				                      strcmp(topic + 7, beds[i]) == 0);
	}
	cr_assert(seen[0] && seen[1] && seen[2], "vitals through the hub: %d %d %d", seen[0],
	          seen[1], seen[2]);

	/* An alarm on each daemon: room-a-1 and room-b-1 low. */
	bool raised_a = false, raised_b = false;
	for (int64_t end = vt_rig_now_ms() + S_DEADLINE_MS;
	     !(raised_a && raised_b) && vt_rig_now_ms() < end;) {
		vt_rig_pty_masimo(&a.bed.pty, 85, 70);
		vt_rig_pty_masimo(&b.bed.pty, 85, 71);
		char topic[64], body[4096];
		while (vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 100) > 0) {
			bool r = strstr(body, "\"event\":\"raised\"") != NULL;
			raised_a = raised_a || (r && strcmp(topic, "alert.room-a-1") == 0);
			raised_b = raised_b || (r && strcmp(topic, "alert.room-b-1") == 0);
		}
	}
	cr_assert(raised_a && raised_b, "alarms through the hub: room-a-1 %d, room-b-1 %d", raised_a,
	          raised_b);

	/* room-b-1's, acknowledged through the hub by vitalsctl, lands on room-b's daemon and on
	 * no other: each daemon asked directly says so of its own alarm. */
	struct vt_rig_output r = s_ctl(&h, "ack", "room-b-1/low/1", NULL);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "\"ok\":true") != NULL, "%s", r.out);
	vt_rig_output_free(&r);
	cr_expect(vt_rig_wait_msg(sub, "alert.room-b-1", "\"acknowledged\"", S_DEADLINE_MS));
	/* A pause of room-b-1's audio and a phase of room-a-2 through the hub, likewise. */
	r = s_ctl(&h, "silence", "room-b-1", "1m");
	cr_expect(r.status == 0 && strstr(r.out, "\"ok\":true"), "%s%s", r.out, r.err);
	vt_rig_output_free(&r);
	r = s_ctl(&h, "phase", "room-a-2", "baseline");
	cr_expect(r.status == 0 && strstr(r.out, "\"ok\":true"), "%s%s", r.out, r.err);
	vt_rig_output_free(&r);
	json_t *own_a = s_daemon_state(&a), *own_b = s_daemon_state(&b);
	cr_expect_eq(s_alert_state(own_b, "room-b-1/low/1"), 1,
	             "room-b's own snapshot: room-b-1/low/1 not acknowledged");
	cr_expect_eq(s_alert_state(own_a, "room-a-1/low/1"), 0,
	             "room-a's own snapshot: room-a-1/low/1 should be active and not acknowledged");
	cr_expect(json_is_string(s_of_bed(own_b, "silenced", "room-b-1")), "room-b-1 not paused");
	cr_expect(json_is_null(s_of_bed(own_a, "silenced", "room-a-1")), "room-a-1 paused");
	const char *phase =
	    json_string_value(json_object_get(s_of_bed(own_a, "sessions", "room-a-2"), "phase"));
	cr_expect(phase != NULL && strcmp(phase, "baseline") == 0, "room-a-2's phase: %s",
	          phase ? phase : "none");
	cr_expect(json_is_null(json_object_get(s_of_bed(own_a, "sessions", "room-a-1"), "phase")),
	          "room-a-1 has a phase");
	char b_instance[64];
	snprintf(b_instance, sizeof(b_instance), "%s",
	         json_string_value(json_object_get(own_b, "instance")));
	json_decref(own_a);
	json_decref(own_b);
	/* An id of room-a's bed goes to room-a, which has no such alert. */
	char *wrong = vt_rig_request(h.ctl, "{\"cmd\":\"ack\",\"id\":\"room-a-1/low/7\"}", 5000);
	cr_assert_not_null(wrong);
	cr_expect(strstr(wrong, "no active alert") != NULL, "%s", wrong);
	free(wrong);
	char *unknown = vt_rig_request(h.ctl, "{\"cmd\":\"silence\",\"bed\":\"chair-9\",\"for\":\"1m\"}",
	                               5000);
	cr_assert_not_null(unknown);
	cr_expect(strstr(unknown, "unknown bed \\\"chair-9\\\"") != NULL, "%s", unknown);
	free(unknown);

	/* A station that joins now: every bed of every daemon, and each daemon's alarm as it
	 * stands (room-b-1's acknowledged, room-a-1's not). */
	struct vt_rig_station st;
	s_late_joiner(&st, &h, beds);
	cr_expect_eq(vt_console_bed_count(st.m), 3);
	cr_expect_str_eq(vt_rig_station_bed(&st, "room-a-2")->port, "connected");
	cr_expect_str_eq(vt_rig_station_bed(&st, "room-b-1")->port, "connected");
	s_expect_alert(&st, "room-a-1/low/1", false);
	s_expect_alert(&st, "room-b-1/low/1", true);
	cr_expect_eq(vt_console_alert_count(st.m), 2);
	cr_expect_str_eq(vt_rig_station_bed(&st, "room-a-2")->phase, "baseline");
	cr_expect_gt(vt_rig_station_bed(&st, "room-b-1")->silenced_until, 0,
	             "room-b-1's pause is not seen");
	cr_expect_eq(vt_rig_station_bed(&st, "room-a-1")->silenced_until, 0);

	/* vitalsctl snapshot on the hub: every bed, each under its daemon. */
	r = s_ctl(&h, "snapshot", NULL, NULL);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "\"room-a-2\"") && strstr(r.out, "\"room-b-1\"") &&
	          strstr(r.out, "\"name\":\"room-b\""), "%s", r.out);
	vt_rig_output_free(&r);

	/* The station runs for a second, as a console's loop does, and hears both heartbeats;
	 * `sub` beside it says when room-b was last heard. */
	int64_t last_b = 0;
	for (int64_t end = vt_rig_now_ms() + 1000; vt_rig_now_ms() < end;) {
		vt_rig_station_turn(&st);
		s_last_heard(sub, b_instance, &last_b);
	}
	cr_assert_gt(last_b, 0, "room-b (instance %s) not heard", b_instance);
	cr_expect_not(vt_rig_station_bed(&st, "room-b-1")->lost);

	/* room-b's daemon dies: its bed is lost three of its heartbeats after it was last heard,
	 * not sooner (no false CONNECTION LOST) and not much later, and only its bed. "Not much
	 * later" allows S_LATE_MS for a loop's turn and a loaded machine's scheduling (the suite
	 * runs under ASan on 2 shared cores too): a bound a busy machine misses would make the
	 * test flaky, not the hub better. */
	int64_t killed = vt_rig_now_ms();
	vt_rig_stop(b.d.proc.pid, SIGKILL, 5000);
	b.d.proc.pid = 0;
	int64_t lost_at = 0;
	for (int64_t end = killed + S_DEADLINE_MS; lost_at == 0 && vt_rig_now_ms() < end;) {
		vt_rig_station_turn(&st);
		s_last_heard(sub, b_instance, &last_b);
		if (vt_rig_station_bed(&st, "room-b-1")->lost)
			lost_at = vt_rig_now_ms();
	}
	cr_assert_gt(lost_at, 0, "room-b-1 not shown lost");
	cr_log_info("room-b-1 lost %lld ms after the kill, %lld ms after room-b was last heard "
	            "(heartbeat %d ms)", (long long)(lost_at - killed), (long long)(lost_at - last_b),
	            S_HEARTBEAT_MS);
	cr_expect_geq(lost_at - last_b, 3 * S_HEARTBEAT_MS - 100, "lost after %lld ms of silence",
	              (long long)(lost_at - last_b));
	cr_expect_leq(lost_at - last_b, 3 * S_HEARTBEAT_MS + S_LATE_MS, "lost after %lld ms of silence",
	              (long long)(lost_at - last_b));
	cr_expect_leq(lost_at - killed, 3 * S_HEARTBEAT_MS + S_LATE_MS, "lost %lld ms after the kill",
	              (long long)(lost_at - killed));
	cr_expect_not(vt_rig_station_bed(&st, "room-a-1")->lost, "room-a's beds are still heard");
	cr_expect_not(vt_rig_station_bed(&st, "room-a-2")->lost, "room-a's beds are still heard");
	cr_expect_not(vt_console_lost(st.m), "the hub and room-a are still heard");
	cr_expect_eq(vt_console_beds_lost(st.m), 1);
	/* vitalsctl on the hub says which daemon does not answer. */
	r = s_ctl(&h, "ping", NULL, NULL);
	cr_expect(strstr(r.out, "\"room-b\":{\"ok\":false") != NULL, "%s", r.out);
	vt_rig_output_free(&r);

	/* A station that joins while room-b is down still lists room-b's bed, as lost. */
	struct vt_rig_station down;
	static const char *const a_beds[] = {"room-a-1", "room-a-2", NULL};
	s_late_joiner(&down, &h, a_beds);
	cr_expect_eq(vt_console_bed_count(down.m), 3);
	const struct vt_console_bed *gone = vt_rig_station_bed(&down, "room-b-1");
	cr_expect(gone != NULL && gone->lost, "joined while room-b is down: its bed is not shown lost");
	cr_expect_eq(vt_console_beds_lost(down.m), 1);
	s_expect_alert(&down, "room-a-1/low/1", false);
	vt_rig_station_close(&down);

	/* It comes back: its bed is restored, and the view is synchronised again. */
	cr_assert_eq(vt_rig_daemon_restart(&b.d), 0);
	cr_assert(vt_rig_daemon_port_is(&b.d, "room-b-1", "connected", S_DEADLINE_MS));
	cr_assert(vt_rig_station_until(&st, "room-b-1", false, S_DEADLINE_MS), "room-b-1 not restored: %s",
	          vt_console_sync_reason(st.m));
	cr_expect_not(vt_rig_station_bed(&st, "room-a-1")->lost);
	cr_expect_eq(vt_console_beds_lost(st.m), 0);
	/* And a station that joins now sees every bed of both, none lost. */
	struct vt_rig_station after;
	s_late_joiner(&after, &h, beds);
	cr_expect_eq(vt_console_bed_count(after.m), 3);
	cr_expect_eq(vt_console_beds_lost(after.m), 0);
	s_expect_alert(&after, "room-a-1/low/1", false);
	vt_rig_station_close(&after);

	vt_rig_station_close(&st);
	zmq_close(sub);
	cr_expect_eq(vt_rig_child_stop(&h.proc, SIGTERM, 5000), 0, "the hub stops cleanly on SIGTERM");
	s_room_stop(&a);
	s_room_stop(&b);
	vt_rig_rmtree(h.dir);
}

/* Make DIR/NAME.key and DIR/NAME.pub. */
static void
s_keygen(const char *dir, const char *name)
{
	char prefix[256], err[256];
	snprintf(prefix, sizeof(prefix), "%s/%s", dir, name);
	cr_assert_eq(vt_curve_keygen(prefix, err, sizeof(err)), 0, "%s", err);
}

/* A client's keys for the hub: the hub's public key and client NAME's pair. */
static struct vt_curve_keys
s_keys(const char *dir, const char *hub, const char *name)
{
	struct vt_curve_keys k;
	char path[256], err[256];
	snprintf(path, sizeof(path), "%s/%s.pub", dir, hub);
	cr_assert_eq(vt_curve_read(path, k.server, NULL, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	cr_assert_eq(vt_curve_read(path, k.pub, k.sec, err, sizeof(err)), 0, "%s", err);
	return k;
}

/* A bed's SpO2 as the station shows it, or -1. */
static double
s_spo2(const struct vt_console_bed *b)
{
	for (size_t i = 0; b != NULL && i < b->n_values; i++)
		if (strcmp(b->values[i].name, "spo2") == 0 && b->values[i].valid)
			return b->values[i].value;
	return -1;
}

/* The count of messages `sub` receives within ms. */
static int
s_heard(void *sub, int ms)
{
	char topic[64], body[4096];
	int n = 0;
	for (int64_t end = vt_rig_now_ms() + ms; vt_rig_now_ms() < end;)
		n += vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 50) > 0;
	return n;
}

/*
 * CURVE on both sides with one allow-list: the daemon and the hub accept
 * the keys of one clients directory, which holds the hub's key and the
 * station's. The station, through the hub, hears the daemon and is
 * answered by it; a stranger's key and a plain client get nothing from the
 * hub; a hub whose key is not on the list gets nothing from the daemon.
 */
Test(hub, curve_on_both_sides_with_one_allow_list, .timeout = 120)
{
	char keys[128], clients[160], cmd[1024];
	cr_assert_eq(vt_rig_tmpdir(keys, sizeof(keys), "hubkeys"), 0);
	const char *names[] = {"room-a", "hub", "station-1", "stranger"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		s_keygen(keys, names[i]);
	snprintf(clients, sizeof(clients), "%s/clients", keys);
	snprintf(cmd, sizeof(cmd), "mkdir %s && cp %s/hub.pub %s/station-1.pub %s/", clients, keys,
	         keys, clients);
	cr_assert_eq(system(cmd), 0);
	char curve[512];
	snprintf(curve, sizeof(curve), "curve:\n  secret_key: %s/room-a.key\n  clients: %s\n", keys,
	         clients);
	struct s_room a;
	s_room_open(&a, "room-a-1", NULL, curve);

	struct s_hub h, rogue;
	char text[2048];
	snprintf(text, sizeof(text),
	         "curve: {secret_key: %s/%%s.key, clients: %s}\n"
	         "daemons:\n"
	         "  - {name: room-a, publish: %s, control: %s, server_key: %s/room-a.pub, "
	         "beds: [room-a-1]}\n",
	         keys, clients, a.d.pub, a.d.ctl, keys);
	char with[2048];
	snprintf(with, sizeof(with), text, "hub");
	s_hub_run(&h, with);

	/* The station through the hub: the console's own client code, with its keys. */
	struct vt_curve_keys station = s_keys(keys, "hub", "station-1");
	struct vt_rig_station st;
	s_station_open(&st, &h, &station);
	bool heard = false;
	for (int64_t end = vt_rig_now_ms() + S_DEADLINE_MS; !heard && vt_rig_now_ms() < end;) {
		vt_rig_pty_masimo(&a.bed.pty, 97, 70);
		heard = vt_rig_station_until(&st, "room-a-1", false, 300) &&
		        s_spo2(vt_rig_station_bed(&st, "room-a-1")) == 97;
	}
	cr_assert(heard, "no vitals of room-a-1 through a CURVE hub: %s", st.problem);
	/* A request through the hub reaches the daemon and is answered by it. */
	char *reply = NULL;
	cr_assert_eq(vt_client_request(st.snap, "{\"cmd\":\"ping\"}", 5000, &reply), VT_CLIENT_REPLY);
	cr_expect(strstr(reply, "\"hub\":true") && strstr(reply, "\"room-a\":{\"ok\":true"), "%s",
	          reply);
	free(reply);
	/* vitalsctl, given the same keys, the same. */
	char server_pub[256], station_key[256];
	snprintf(server_pub, sizeof(server_pub), "%s/hub.pub", keys);
	snprintf(station_key, sizeof(station_key), "%s/station-1.key", keys);
	char *ctl[] = {(char *)vt_rig_build("vitalsctl"), "--connect", h.ctl, "--server-key",
	               server_pub, "--key", station_key, "--json", "snapshot", NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(ctl, &r), 0);
	cr_expect(r.status == 0 && strstr(r.out, "\"room-a-1\"") && strstr(r.out, "\"instance\":\""),
	          "%s%s", r.out, r.err);
	vt_rig_output_free(&r);

	/* A stranger's key, and no key at all: nothing from the hub. */
	struct vt_curve_keys other = s_keys(keys, "hub", "stranger");
	char err[256];
	void *strange = vt_client_subscribe(vt_rig_zctx(), h.pub, &other, err, sizeof(err));
	void *plain = vt_rig_sub(h.pub, "", 0);
	cr_assert(strange != NULL && plain != NULL);
	cr_expect_eq(s_heard(strange, 1500), 0, "a stranger hears the hub");
	cr_expect_eq(s_heard(plain, 10), 0, "a plain client hears the hub");
	zmq_close(strange);
	zmq_close(plain);
	int bad = 0;
	struct vt_client *asks = vt_client_new(vt_rig_zctx(), h.ctl, &other, &bad, err, sizeof(err));
	cr_assert_not_null(asks, "%s", err);
	reply = NULL;
	cr_expect_neq(vt_client_request(asks, "{\"cmd\":\"ping\"}", 1000, &reply), VT_CLIENT_REPLY,
	              "a stranger is answered: %s", reply ? reply : "");
	free(reply);
	vt_client_free(&asks);

	/* A hub with a key the daemon does not list: the daemon says nothing to it. */
	snprintf(with, sizeof(with), text, "stranger");
	s_hub_run(&rogue, with);
	struct vt_curve_keys to_rogue = s_keys(keys, "stranger", "station-1");
	asks = vt_client_new(vt_rig_zctx(), rogue.ctl, &to_rogue, &bad, err, sizeof(err));
	cr_assert_not_null(asks, "%s", err);
	reply = NULL;
	cr_assert_eq(vt_client_request(asks, "{\"cmd\":\"ping\"}", 5000, &reply), VT_CLIENT_REPLY);
	cr_expect(strstr(reply, "\"room-a\":{\"ok\":false"), "the daemon answered a hub it does not "
	          "list: %s", reply);
	free(reply);
	vt_client_free(&asks);
	void *via_rogue = vt_client_subscribe(vt_rig_zctx(), rogue.pub, &to_rogue, err, sizeof(err));
	cr_assert_not_null(via_rogue, "%s", err);
	int n = 0;
	for (int k = 0; k < 10; k++) {
		vt_rig_pty_masimo(&a.bed.pty, 97, 70);
		n += s_heard(via_rogue, 150);
	}
	cr_expect_eq(n, 0, "the daemon published to a hub it does not list");
	zmq_close(via_rogue);

	vt_rig_station_close(&st);
	cr_expect_eq(vt_rig_child_stop(&rogue.proc, SIGTERM, 5000), 0);
	cr_expect_eq(vt_rig_child_stop(&h.proc, SIGTERM, 5000), 0);
	vt_rig_bed_stop(&a.bed, &a.d);
	vt_rig_rmtree(rogue.dir);
	vt_rig_rmtree(h.dir);
	vt_rig_rmtree(keys);
}

Test(hub, a_bed_served_by_two_daemons_is_a_startup_error)
{
	char dir[128], path[256];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "hub"), 0);
	cr_assert_eq(vt_rig_write_file(dir, "hub.yaml",
	                               "publish: tcp://127.0.0.1:5566\n"
	                               "control: tcp://127.0.0.1:5567\n"
	                               "daemons:\n"
	                               "  - name: room-a\n"
	                               "    publish: tcp://127.0.0.1:5556\n"
	                               "    control: tcp://127.0.0.1:5557\n"
	                               "    beds: [chair-1, chair-2]\n"
	                               "  - name: room-b\n"
	                               "    publish: tcp://127.0.0.1:5558\n"
	                               "    control: tcp://127.0.0.1:5559\n"
	                               "    beds: [chair-3, chair-2]\n",
	                               path, sizeof(path)),
	             0);
	char *check[] = {(char *)vt_rig_build("vitals-hub"), "-c", path, "-n", NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(check, &r), 0);
	cr_expect_eq(r.status, 78, "%s", r.err);
	char want[512];
	snprintf(want, sizeof(want), "%s:11:21: daemons[1].beds[1]: bed \"chair-2\" is served by "
	         "daemon \"room-a\" already (line 7)", path);
	cr_expect(strstr(r.err, want) != NULL, "want %s in:\n%s", want, r.err);
	vt_rig_output_free(&r);
	/* Started anyway, it refuses the same way and binds nothing. */
	char *run[] = {(char *)vt_rig_build("vitals-hub"), "-c", path, NULL};
	cr_assert_geq(vt_rig_run(run, &r), 0);
	cr_expect_eq(r.status, 78);
	cr_expect(strstr(r.err, "not starting") != NULL, "%s", r.err);
	vt_rig_output_free(&r);
	vt_rig_rmtree(dir);
}

/* Files the hub refuses, each with the one message it must give (FILE:LINE:COLUMN). */
Test(hub_config, what_is_refused_and_where)
{
	static const char daemons[] =
	    "daemons:\n"
	    "  - {name: a, publish: tcp://127.0.0.1:3, control: tcp://127.0.0.1:4, beds: [a-1]}\n"
	    "  - {name: b, publish: tcp://127.0.0.1:5, control: tcp://127.0.0.1:6, beds: [b-1]}\n";
	static const struct {
		const char *text, *want;
	} cases[] = {
	    /* Two daemons of one name (the daemons written before the hub's own endpoints). */
	    {"daemons:\n"
	     "  - {name: a, publish: tcp://127.0.0.1:3, control: tcp://127.0.0.1:4, beds: [a-1]}\n"
	     "  - {name: a, publish: tcp://127.0.0.1:5, control: tcp://127.0.0.1:6, beds: [b-1]}\n"
	     "publish: tcp://127.0.0.1:1\ncontrol: tcp://127.0.0.1:2\n",
	     "t.yaml:3:12: daemons[1].name: daemon \"a\" is named already on line 2"},
	    /* The daemon's rule: no plain endpoint beyond this machine. */
	    {"publish: tcp://0.0.0.0:1\ncontrol: tcp://127.0.0.1:2\n%s",
	     "t.yaml:1:10: publish: tcp://0.0.0.0:1 is reachable beyond this machine without CURVE"},
	    {"publish: tcp://127.0.0.1:1\ncontrol: [ipc:///run/x, tcp://eth0:2]\n%s",
	     "t.yaml:2:25: control[1]: tcp://eth0:2 is reachable beyond this machine"},
	    {"publish: tcp://127.0.0.1:1\ncontrol: tcp://127.0.0.1:2\nlimits: {control_connections: 0}\n%s",
	     "t.yaml:3:31: limits.control_connections: expected a whole number from 1 to 100000"},
	    {"publish: tcp://127.0.0.1:1\ncontrol: tcp://127.0.0.1:2\nlimits: {reload_timeout: 1s}\n%s",
	     "t.yaml:3:10: limits: unknown key \"reload_timeout\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), cases[i].text, daemons);
		struct vt_diag diag = {0};
		struct vt_hub_config *cfg = vt_hub_config_parse("t.yaml", text, strlen(text), &diag);
		cr_expect_null(cfg, "case %zu accepted", i);
		bool found = false;
		char line[1024], all[4096] = "";
		for (size_t e = 0; e < diag.count; e++) {
			vt_diag_format(&diag.entries[e], line, sizeof(line));
			found = found || strncmp(line, cases[i].want, strlen(cases[i].want)) == 0;
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s\n", line);
		}
		cr_expect(found, "case %zu: want %s in:\n%s", i, cases[i].want, all);
		vt_diag_clear(&diag);
		vt_hub_config_free(&cfg);
	}
}

/* What an absent limits section means, and the way out of the network rule. */
Test(hub_config, limits_and_an_insecure_network_said_aloud)
{
	static const char text[] =
	    "publish: tcp://0.0.0.0:1\ncontrol: tcp://127.0.0.1:2\nallow_insecure_network: true\n"
	    "daemons:\n"
	    "  - {name: a, publish: tcp://10.0.0.1:3, control: tcp://10.0.0.1:4, beds: [a-1]}\n";
	struct vt_diag diag = {0};
	struct vt_hub_config *cfg = vt_hub_config_parse("t.yaml", text, strlen(text), &diag);
	cr_assert_not_null(cfg, "%s", diag.count ? diag.entries[0].message : "?");
	cr_expect_eq(cfg->limits.publish_connections, 256);
	cr_expect_eq(cfg->limits.control_connections, 64);
	cr_expect_eq(cfg->limits.subscriber_queue, 1000);
	vt_hub_config_free(&cfg);
	static const char set[] = "publish: tcp://127.0.0.1:1\ncontrol: tcp://127.0.0.1:2\n"
	                          "limits: {subscriber_queue: 50, publish_connections: 3}\n"
	                          "daemons: [{name: a, publish: tcp://127.0.0.1:3, "
	                          "control: tcp://127.0.0.1:4, beds: [a-1]}]\n";
	cfg = vt_hub_config_parse("t.yaml", set, strlen(set), &diag);
	cr_assert_not_null(cfg, "%s", diag.count ? diag.entries[0].message : "?");
	cr_expect_eq(cfg->limits.publish_connections, 3);
	cr_expect_eq(cfg->limits.control_connections, 64);
	cr_expect_eq(cfg->limits.subscriber_queue, 50);
	vt_hub_config_free(&cfg);
	vt_diag_clear(&diag);
}

/* The configuration of the merge tests: two daemons, a bed each (one has two). */
static struct vt_hub_config *
s_two(void)
{
	static const char text[] = "publish: tcp://127.0.0.1:1\ncontrol: tcp://127.0.0.1:2\n"
	                           "daemons:\n"
	                           "  - {name: a, publish: tcp://127.0.0.1:3, control: tcp://127.0.0.1:4, "
	                           "beds: [a-1, a-2]}\n"
	                           "  - {name: b, publish: tcp://127.0.0.1:5, control: tcp://127.0.0.1:6, "
	                           "beds: [b-1]}\n";
	struct vt_diag diag = {0};
	struct vt_hub_config *cfg = vt_hub_config_parse("t.yaml", text, strlen(text), &diag);
	cr_assert_not_null(cfg, "%s", diag.count ? diag.entries[0].message : "?");
	return cfg;
}

Test(hub_merge, routes_by_bed_and_alert_id)
{
	struct vt_hub_config *cfg = s_two();
	struct vt_control_req req = {.cmd = VT_CMD_ACK};
	char err[128] = "";
	snprintf(req.id, sizeof(req.id), "b-1/spo2-low/3");
	cr_expect_eq(vt_hub_route(cfg, &req, err, sizeof(err)), 1);
	snprintf(req.id, sizeof(req.id), "x-1/spo2-low/3");
	cr_expect_eq(vt_hub_route(cfg, &req, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "no active alert \"x-1/spo2-low/3\"");
	req = (struct vt_control_req){.cmd = VT_CMD_PHASE};
	snprintf(req.bed, sizeof(req.bed), "a-2");
	cr_expect_eq(vt_hub_route(cfg, &req, err, sizeof(err)), 0);
	req.cmd = VT_CMD_WATCH;
	snprintf(req.bed, sizeof(req.bed), "b-2");
	cr_expect_eq(vt_hub_route(cfg, &req, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "unknown bed \"b-2\"");
	req.cmd = VT_CMD_SNAPSHOT;
	cr_expect_eq(vt_hub_route(cfg, &req, err, sizeof(err)), VT_HUB_ALL);
	vt_hub_config_free(&cfg);
}

Test(hub_merge, a_snapshot_of_every_daemon_with_its_own_stream)
{
	struct vt_hub_config *cfg = s_two();
	const char *replies[2] = {
	    "{\"ok\":true,\"seq\":40,\"instance\":\"AAA\",\"time\":\"2026-11-21T09:00:00.000Z\","
	    "\"alerts\":[{\"id\":\"a-1/low/1\",\"bed\":\"a-1\"}],\"vitals\":{\"a-1\":{\"spo2\":97},\"a-2\":{}},"
	    "\"ports\":{\"a-1\":\"connected\",\"a-2\":\"lost\"},\"novel\":{\"a-1\":5}}",
	    NULL};
	const char *why[2] = {NULL, "no answer within 1000 ms"};
	char *out = vt_hub_merge(cfg, VT_CMD_SNAPSHOT, replies, why, 0, "HUB", 3, NULL);
	cr_assert_not_null(out);
	json_t *o = json_loads(out, 0, NULL);
	cr_assert_not_null(o, "%s", out);
	json_t *src = json_object_get(o, "sources");
	cr_assert_eq(json_array_size(src), 2, "%s", out);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(src, 0), "instance")), "AAA");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(src, 0), "seq")), 40);
	cr_expect(json_is_null(json_object_get(json_array_get(src, 1), "instance")), "%s", out);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(src, 1), "error")),
	                 "no answer within 1000 ms");
	cr_expect_eq(json_array_size(json_object_get(json_array_get(src, 1), "beds")), 1);
	cr_expect_eq(json_array_size(json_object_get(o, "alerts")), 1);
	cr_expect_not_null(json_object_get(json_object_get(o, "vitals"), "a-2"));
	cr_expect_not_null(json_object_get(json_object_get(o, "novel"), "a-1"),
	                   "members the hub does not know pass through: %s", out);
	cr_expect_null(json_object_get(o, "seq"), "no stream of the hub's own: %s", out);
	json_decref(o);

	/* The console model takes it: a-1 heard, b-1 lost until its daemon speaks. */
	struct vt_console *m = vt_console_new(0);
	vt_console_snapshot_sent(m, 0);
	char err[128];
	cr_assert_eq(vt_console_snapshot(m, out, strlen(out), 0, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED);
	cr_expect_eq(vt_console_bed_count(m), 3);
	cr_expect(vt_console_bed_named(m, "b-1")->lost);
	cr_expect_not(vt_console_bed_named(m, "a-1")->lost);
	const char hb[] = "{\"v\":1,\"type\":\"heartbeat\",\"seq\":41,\"instance\":\"AAA\","
	                  "\"active_alarms\":1,\"interval_ms\":1000}";
	cr_expect_eq(vt_console_message(m, hb, strlen(hb), 500), 1);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_SYNCED, "%s", vt_console_sync_reason(m));
	/* A silent daemon A: its beds lost after three of its heartbeats, not before. */
	vt_console_tick(m, 3499);
	cr_expect_not(vt_console_bed_named(m, "a-1")->lost);
	const char hb2[] = "{\"v\":1,\"type\":\"heartbeat\",\"seq\":1,\"instance\":\"BBB\","
	                   "\"active_alarms\":0,\"interval_ms\":1000}";
	cr_expect_eq(vt_console_message(m, hb2, strlen(hb2), 3000), 1);
	cr_expect_eq(vt_console_sync_state(m), VT_CONSOLE_UNSYNCED, "B's new instance asks for a snapshot");
	vt_console_tick(m, 3500);
	cr_expect(vt_console_bed_named(m, "a-1")->lost);
	cr_expect_not(vt_console_lost(m), "B is heard");
	vt_console_free(&m);
	free(out);

	/* ping and reload: each daemon's answer under its name. */
	const char *pongs[2] = {"{\"ok\":true,\"version\":\"0.1.0\"}", "{\"ok\":false,\"error\":\"x\"}"};
	out = vt_hub_merge(cfg, VT_CMD_RELOAD, pongs, why, 0, "HUB", 3, json_pack("{s:i}", "x", 1));
	cr_expect(strstr(out, "\"ok\":false") && strstr(out, "\"error\":\"b: x\""), "%s", out);
	cr_expect(strstr(out, "\"x\":") == NULL, "the hub's counters are for a ping: %s", out);
	free(out);
	out = vt_hub_merge(cfg, VT_CMD_PING, pongs, why, 0, "HUB", 3,
	                   json_pack("{s:{s:i}}", "proxy", "messages_in", 7));
	cr_expect(strstr(out, "\"ok\":true") && strstr(out, "\"hub\":true") &&
	          strstr(out, "\"instance\":\"HUB\"") && strstr(out, "\"proxy\":{\"messages_in\":7}"),
	          "%s", out);
	free(out);
	vt_hub_config_free(&cfg);
}

/* Daemons' errors past the reply's bound are cut between two characters, never inside one. */
Test(hub_merge, a_long_error_is_cut_between_characters)
{
	struct vt_hub_config *cfg = s_two();
	static char why[2][1100];
	const char *replies[2] = {why[0], why[1]}, *none[2] = {NULL, NULL};
	for (int i = 0; i < 2; i++) {
		/* 500 times "é" (2 bytes): the second daemon's error crosses 1 KB mid-character. */
		int n = snprintf(why[i], sizeof(why[i]), "{\"ok\":false,\"error\":\"");
		for (int k = 0; k < 500; k++)
			n += snprintf(why[i] + n, sizeof(why[i]) - (size_t)n, "\xc3\xa9");
		snprintf(why[i] + n, sizeof(why[i]) - (size_t)n, "\"}");
	}
	char *out = vt_hub_merge(cfg, VT_CMD_RELOAD, replies, none, 0, "HUB", 3, NULL);
	cr_assert_not_null(out);
	json_t *o = json_loads(out, 0, NULL);
	cr_assert_not_null(o, "%s", out);
	cr_expect(json_is_false(json_object_get(o, "ok")));
	const char *e = json_string_value(json_object_get(o, "error"));
	cr_assert_not_null(e, "a failed reload without its error: %.200s", out);
	cr_expect_eq(strncmp(e, "a: \xc3\xa9", 5), 0, "%.40s", e);
	cr_expect(strlen(e) > 1000 && strlen(e) < 1024, "%zu bytes", strlen(e));
	json_decref(o);
	free(out);
	vt_hub_config_free(&cfg);
}

/* A daemon's answer that is not ok says why in `sources`, even when the daemon did not say. */
Test(hub_merge, a_bad_answer_is_said_so)
{
	struct vt_hub_config *cfg = s_two();
	const char *replies[2] = {"{\"ok\":false,\"error\":\"\"}", "<html>"};
	const char *none[2] = {NULL, NULL};
	char *out = vt_hub_merge(cfg, VT_CMD_SNAPSHOT, replies, none, 0, "HUB", 3, NULL);
	json_t *o = json_loads(out, 0, NULL);
	cr_assert_not_null(o, "%s", out);
	json_t *src = json_object_get(o, "sources");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(src, 0), "error")),
	                 "its answer is not ok and gives no reason");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(src, 1), "error")),
	                 "its answer is not a JSON object");
	json_decref(o);
	free(out);
	out = vt_hub_merge(cfg, VT_CMD_RELOAD, replies, none, 0, "HUB", 3, NULL);
	cr_expect(strstr(out, "\"error\":\"a: its answer is not ok and gives no reason; "
	                      "b: its answer is not a JSON object\"") != NULL, "%s", out);
	free(out);
	vt_hub_config_free(&cfg);
}
