/*
 * What happened at the station is in the recording (docs/recording.md,
 * format 2): a live daemon writes the commands it carried out for a bed
 * (phases with weight and dose, acknowledgements, audio pauses, each with
 * who), the alert and session messages it published, and the
 * configuration's checksum; and a replay of that recording carries the
 * commands out again at their times, so that it repeats the live alert
 * stream, acknowledgements included.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "support/support.h"
#include "vitals/wire/session.h"

#define WAIT_MS 20000

/* One alert or session event: the members a replay must repeat. */
struct event {
	char type[16], id[160], event[32], time[40], by[64], phase[16];
};

static void
s_event_of(json_t *o, struct event *e)
{
	memset(e, 0, sizeof(*e));
	const char *keys[] = {"type", "id", "event", "time", "by", "phase"};
	char *dst[] = {e->type, e->id, e->event, e->time, e->by, e->phase};
	size_t len[] = {sizeof(e->type), sizeof(e->id), sizeof(e->event), sizeof(e->time),
	                sizeof(e->by), sizeof(e->phase)};
	for (size_t i = 0; i < 6; i++) {
		const char *v = json_string_value(json_object_get(o, keys[i]));
		snprintf(dst[i], len[i], "%s", v ? v : "");
	}
}

static bool
s_same(const struct event *a, const struct event *b)
{
	return strcmp(a->type, b->type) == 0 && strcmp(a->id, b->id) == 0 &&
	       strcmp(a->event, b->event) == 0 && strcmp(a->time, b->time) == 0 &&
	       strcmp(a->by, b->by) == 0 && strcmp(a->phase, b->phase) == 0;
}

/* A control request that must succeed. */
static void
s_command(const struct vt_rig_daemon *d, const char *json)
{
	char *reply = vt_rig_request(d->ctl, json, WAIT_MS);
	cr_assert_not_null(reply, "no reply to %s", json);
	cr_assert(strstr(reply, "\"ok\":true") != NULL, "%s: %s", json, reply);
	free(reply);
}

/* Feed one SpO2 value until the subscription shows an event that contains `needle`. */
static void
s_feed_until(struct vt_rig_bed *bed, void *sub, int spo2, const char *topic, const char *needle)
{
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	do {
		cr_assert_eq(vt_rig_pty_masimo(&bed->pty, spo2, 72), 0);
		if (vt_rig_wait_msg(sub, topic, needle, 300))
			return;
	} while (vt_rig_now_ms() < end);
	cr_assert_fail("no %s with %s after SpO2 %d", topic, needle, spo2);
}

static void
s_sha256_hex(const char *text, size_t len, char hex[65])
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&ctx);
	sha256_update(&ctx, len, (const uint8_t *)text);
	sha256_digest(&ctx, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

Test(station_record, commands_and_alarms_are_recorded_and_replayed, .timeout = 120)
{
	struct vt_rig_bed bed;
	cr_assert_eq(vt_rig_bed_open(&bed, "station", "masimo-ascii", "stale_after: 10m", true), 0);
	struct vt_rig_daemon d;
	cr_assert_eq(vt_rig_daemon_start(&d, bed.dir, bed.extra, bed.monitors,
	                                 "  - {name: spo2-low, parameter: spo2, below: 90, "
	                                 "clear_at: 92, priority: high}\n"),
	             0);
	cr_assert(vt_rig_daemon_port_is(&d, "chair-1", "connected", WAIT_MS));
	void *sub = vt_rig_sub(d.pub, "", 0);
	cr_assert_not_null(sub);

	s_feed_until(&bed, sub, 97, "vitals.", "\"spo2\":97");
	s_command(&d, "{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"baseline\","
	              "\"weight_kg\":72,\"by\":\"nurse-a\"}");
	s_feed_until(&bed, sub, 97, "vitals.", "\"spo2\":97");
	s_command(&d, "{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"infusion\","
	              "\"dose_mg_per_kg_h\":0.5,\"by\":\"nurse-a\"}");
	s_feed_until(&bed, sub, 85, "alert.", "\"raised\"");
	s_feed_until(&bed, sub, 84, "alert.", "\"updated\"");
	s_command(&d, "{\"cmd\":\"ack\",\"id\":\"chair-1/spo2-low/1\",\"by\":\"station-2\"}");
	s_command(&d, "{\"cmd\":\"silence\",\"bed\":\"chair-1\",\"for\":\"2m\",\"by\":\"station-2\"}");
	/* A refused command is not recorded: it did nothing. */
	char *reply = vt_rig_request(d.ctl, "{\"cmd\":\"ack\",\"id\":\"chair-1/none/9\"}", WAIT_MS);
	cr_assert(reply && strstr(reply, "\"ok\":false"), "%s", reply ? reply : "no reply");
	free(reply);
	s_feed_until(&bed, sub, 95, "alert.", "\"cleared\"");
	s_command(&d, "{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"recovery\","
	              "\"by\":\"nurse-a\"}");
	s_feed_until(&bed, sub, 96, "vitals.", "\"spo2\":96");
	zmq_close(sub);
	cr_assert_eq(vt_rig_daemon_stop(&d), 0);

	/* The recording. */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "ls %s/chair-1/*.vsr", bed.rec);
	FILE *ls = popen(cmd, "r");
	char path[512] = "";
	cr_assert(fgets(path, sizeof(path), ls) != NULL, "no recording in %s", bed.rec);
	pclose(ls);
	path[strcspn(path, "\n")] = '\0';

	struct vt_diag diag = {0};
	struct vt_session_reader *sr = vt_session_open(path, &diag);
	cr_assert_not_null(sr);
	const struct vt_rec_info *info = vt_session_info(sr);
	cr_assert_eq(info->format, VT_SESSION_FORMAT);
	cr_assert_str_eq(info->config, d.config);
	size_t clen;
	char *ctext = vt_rig_slurp(d.config, &clen);
	char sha[65];
	s_sha256_hex(ctext, clen, sha);
	free(ctext);
	cr_assert_str_eq(info->config_sha256, sha, "the checksum of %s", d.config);

	static struct event recorded[64], replayed[64];
	size_t n_rec = 0, n_commands = 0;
	const char *commands[] = {"phase", "phase", "ack", "silence", "phase"};
	int rc;
	int64_t t;
	enum vt_rec_event ev;
	const uint8_t *data;
	size_t len;
	while ((rc = vt_session_next(sr, &t, &ev, &data, &len, &diag)) > 0) {
		if (!VT_REC_IS_JSON(ev))
			continue;
		json_t *o = json_loadb((const char *)data, len, 0, NULL);
		cr_assert_not_null(o);
		if (ev == VT_REC_CONTROL) {
			cr_assert_lt(n_commands, 5, "a command too many: %.*s", (int)len, data);
			const char *c = json_string_value(json_object_get(o, "cmd"));
			cr_assert_str_eq(c, commands[n_commands], "command %zu", n_commands);
			const char *by = json_string_value(json_object_get(o, "by"));
			cr_assert_str_eq(by, n_commands == 2 || n_commands == 3 ? "station-2" : "nurse-a");
			if (n_commands == 0)
				cr_assert_eq(json_number_value(json_object_get(o, "weight_kg")), 72);
			n_commands++;
		} else if (ev == VT_REC_ALERT || ev == VT_REC_SESSION) {
			cr_assert_lt(n_rec, 64);
			s_event_of(o, &recorded[n_rec]);
			cr_assert_str_neq(recorded[n_rec].event, "updated", "updated events are not kept");
			cr_assert_str_neq(recorded[n_rec].event, "update");
			n_rec++;
		}
		json_decref(o);
	}
	cr_assert_eq(rc, 0);
	cr_assert_eq(diag.count, 0);
	vt_session_close(&sr);
	cr_assert_eq(n_commands, 5, "every command carried out is recorded, once");
	const char *seen[] = {"raised", "acknowledged", "silenced", "cleared"};
	for (size_t k = 0; k < 4; k++) {
		bool found = false;
		for (size_t i = 0; i < n_rec && !found; i++)
			found = strcmp(recorded[i].event, seen[k]) == 0;
		cr_assert(found, "no recorded alert %s", seen[k]);
	}

	/* Replayed, the recording repeats the station's alert and session events. */
	char spec[600];
	snprintf(spec, sizeof(spec), "chair-1=%s", path);
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", d.config, "--replay", spec, NULL};
	struct vt_rig_output out;
	cr_assert_eq(vt_rig_run(argv, &out), 0, "replay: %s", out.err);
	size_t n_rep = 0;
	for (char *line = strtok(out.out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		json_t *o = json_loads(line, 0, NULL);
		cr_assert_not_null(o);
		const char *type = json_string_value(json_object_get(o, "type"));
		const char *event = json_string_value(json_object_get(o, "event"));
		if ((strcmp(type, "alert") == 0 && strcmp(event, "updated") != 0) ||
		    (strcmp(type, "session") == 0 && strcmp(event, "update") != 0)) {
			cr_assert_lt(n_rep, 64);
			s_event_of(o, &replayed[n_rep++]);
		}
		json_decref(o);
	}
	vt_rig_output_free(&out);
	bool same = n_rep == n_rec;
	for (size_t i = 0; same && i < n_rec; i++)
		same = s_same(&recorded[i], &replayed[i]);
	for (size_t i = 0; !same && i < (n_rec > n_rep ? n_rec : n_rep); i++)
		cr_log_error("%2zu recorded %s %s %s %s by %s | replayed %s %s %s %s by %s", i,
		             i < n_rec ? recorded[i].type : "-", recorded[i].event, recorded[i].id,
		             recorded[i].time, recorded[i].by, i < n_rep ? replayed[i].type : "-",
		             replayed[i].event, replayed[i].id, replayed[i].time, replayed[i].by);
	cr_assert(same, "the replay differs from what the station saw (above)");
	vt_rig_bed_close(&bed);
}
