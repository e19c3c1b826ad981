/*
 * An active alarm's value follows the latest sample everywhere a nurse or
 * a program looks (docs/alarms.md): the alert stream says so with an
 * `updated` event each time it moves, the snapshot's alert carries it, and
 * both carry the worst value and the value at onset beside it, and a
 * console shows it. A real daemon, a Masimo monitor on a pty, a
 * subscriber, snapshots, and the console model on the same sockets.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "vitals/console/model.h"

#include <zmq.h>

#define RULES                                                                                 \
	"  - name: spo2-low\n    parameter: spo2\n    below: 90\n    clear_at: 92\n"             \
	"    priority: high\n"
#define WAIT_MS 15000

static struct vt_rig_bed bed;
static struct vt_rig_daemon daemon_;
static void *sub;
static struct vt_rig_station station;

static void
s_setup(void)
{
	cr_assert_eq(vt_rig_bed_start(&bed, &daemon_, "alert-value", RULES), 0,
	             "vitalsd did not start");
}

static void
s_teardown(void)
{
	if (sub != NULL)
		zmq_close(sub);
	vt_rig_station_close(&station);
	vt_rig_bed_stop(&bed, &daemon_);
	vt_rig_zctx_term();
}

TestSuite(alert_value, .init = s_setup, .fini = s_teardown, .timeout = 60);

/* The next alert message whose event is `event`; its parsed body (the caller frees). */
static json_t *
s_next_alert(const char *event)
{
	char topic[128], body[8192];
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	while (vt_rig_now_ms() < end) {
		if (vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 500) < 0 ||
		    strncmp(topic, "alert.", 6) != 0)
			continue;
		json_t *o = json_loads(body, 0, NULL);
		const char *ev = json_string_value(json_object_get(o, "event"));
		if (ev != NULL && strcmp(ev, event) == 0)
			return o;
		json_decref(o);
	}
	cr_assert_fail("no `%s` alert within %d ms", event, WAIT_MS);
	return NULL;
}

static double
s_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_number(v), "\"%s\" is not a number", key);
	return json_number_value(v);
}

/* Turn the console's loop until its alert shows `value`; the alert, or NULL. */
static const struct vt_console_alert *
s_console_alert(double value)
{
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	while (vt_rig_now_ms() < end) {
		vt_rig_station_turn(&station);
		const struct vt_console_alert *al = vt_console_alert_by_id(station.m, "chair-1/spo2-low/1");
		if (al != NULL && al->has_value && al->value == value)
			return al;
	}
	return vt_console_alert_by_id(station.m, "chair-1/spo2-low/1");
}

Test(alert_value, follows_the_latest_sample_in_the_stream_the_snapshot_and_the_console)
{
	sub = vt_rig_sub(daemon_.pub, "", 0);
	cr_assert_not_null(sub);
	/* Raise only once the subscription is through: a heartbeat says it is. */
	cr_assert(vt_rig_wait_msg(sub, "heartbeat", NULL, WAIT_MS));
	/* A console at the station, synchronised before the alarm. */
	cr_assert_eq(vt_rig_station_open(&station, daemon_.pub, daemon_.ctl, NULL), 0, "%s",
	             station.problem);
	cr_assert(vt_rig_station_until(&station, "chair-1", false, WAIT_MS), "%s",
	          vt_console_sync_reason(station.m));
	vt_rig_pty_masimo(&bed.pty, 86, 80);
	json_t *raised = s_next_alert("raised");
	cr_expect_eq(s_num(raised, "value"), 86);
	cr_expect_eq(s_num(raised, "worst"), 86);
	cr_expect_eq(s_num(raised, "onset_value"), 86);
	json_decref(raised);

	vt_rig_pty_masimo(&bed.pty, 80, 80);
	json_t *up = s_next_alert("updated");
	cr_expect_eq(s_num(up, "value"), 80, "the stream carries the value now");
	cr_expect_eq(s_num(up, "worst"), 80);
	cr_expect_eq(s_num(up, "onset_value"), 86);
	cr_expect_str_eq(json_string_value(json_object_get(up, "text")), "SpO2 80 % below 90 %");
	json_decref(up);
	const struct vt_console_alert *al = s_console_alert(80);
	cr_assert_not_null(al, "the console has no alert");
	cr_expect_eq(al->value, 80, "the console shows the value at onset");
	cr_expect_str_eq(al->text, "SpO2 80 % below 90 %");

	vt_rig_pty_masimo(&bed.pty, 84, 80);
	json_decref(s_next_alert("updated"));
	char *reply = vt_rig_request(daemon_.ctl, "{\"cmd\":\"snapshot\"}", WAIT_MS);
	cr_assert_not_null(reply);
	json_t *snap = json_loads(reply, 0, NULL);
	free(reply);
	json_t *sa = json_array_get(json_object_get(snap, "alerts"), 0);
	cr_assert_not_null(sa, "no active alert in the snapshot");
	cr_expect_eq(s_num(sa, "value"), 84, "the snapshot carries the value now");
	cr_expect_eq(s_num(sa, "worst"), 80);
	cr_expect_eq(s_num(sa, "onset_value"), 86);
	cr_expect_str_eq(json_string_value(json_object_get(sa, "text")),
	                 "SpO2 84 % below 90 %, worst 80 %");
	json_decref(snap);
	al = s_console_alert(84);
	cr_assert_not_null(al, "the console has no alert");
	cr_expect_eq(al->value, 84, "the console does not show the value now");
	cr_expect_eq(al->worst, 80);
	cr_expect_str_eq(al->text, "SpO2 84 % below 90 %, worst 80 %");
}
