/*
 * vitalsctl watch (docs/protocol.md "watch", docs/drivers.md): a port's
 * line as its driver sees it, read from the daemon. The trace itself
 * (daemon/wire/watch.c) splits bytes where the driver completed, dropped or
 * skipped something and changes nothing the driver does; end to end, a
 * live emulator with line noise shows frames beside their values and the
 * noisy line dropped with its reason.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "vitals/drivers/mllp.h"
#include "vitals/drivers/sniff.h"
#include "vitals/wire/watch.h"

struct count {
	size_t readings;
};

static void
s_count(void *ctx, const struct vt_reading *r)
{
	((struct count *)ctx)->readings++;
}

/* A line for `protocol` with its own state; free with s_line_free. */
static struct vt_line *
s_line(const char *protocol)
{
	const struct vt_driver *d = vt_driver_find(protocol);
	cr_assert_not_null(d);
	struct vt_line *l = calloc(1, sizeof(*l));
	vt_line_init(l, d, NULL, calloc(1, d->state_size), calloc(1, vt_driver_sniff_scratch_size()));
	return l;
}

static void
s_line_free(struct vt_line *l)
{
	free(l->state);
	free(l->scratch);
	free(l);
}

Test(watch, pieces_follow_the_driver_and_change_nothing)
{
	uint8_t buf[4096];
	size_t n = vt_rig_encode("nonin-df7", 3, buf, sizeof(buf));
	cr_assert_eq(n, 9 * 125);
	buf[125 + 7] ^= 0x01; /* the second packet's second frame: a bad checksum */

	struct vt_line *plain = s_line("nonin-df7"), *watched = s_line("nonin-df7");
	struct vt_watch *w = vt_watch_new();
	struct count c1 = {0}, c2 = {0};
	const struct vt_driver_sink k1 = {.reading = s_count, .ctx = &c1},
	                            k2 = {.reading = s_count, .ctx = &c2};
	bool j1 = false, j2 = false;
	for (size_t off = 0; off < n; off += 50) {
		size_t len = n - off < 50 ? n - off : 50;
		j1 |= vt_line_feed(plain, 1000 + (int64_t)off, buf + off, len, &k1);
		j2 |= vt_watch_feed(w, watched, 1000 + (int64_t)off, buf + off, len, &k2);
	}
	cr_expect_eq(c2.readings, c1.readings, "a watched port decodes what an unwatched one does");
	cr_expect_eq(c2.readings, 8);
	cr_expect_eq(j2, j1);
	cr_expect_eq(memcmp(&watched->stats, &plain->stats, sizeof(plain->stats)), 0,
	             "and counts the same");

	char *reply = vt_watch_reply(w, "chair-1", watched, 0);
	cr_assert_not_null(reply);
	json_t *o = json_loads(reply, 0, NULL);
	cr_assert_not_null(o, "%s", reply);
	cr_expect(json_is_false(json_object_get(o, "text")));
	cr_expect_str_eq(json_string_value(json_object_get(o, "protocol")), "nonin-df7");
	json_t *events = json_object_get(o, "events");
	size_t frames = 0, rejected = 0, bytes = 0, i;
	json_t *e;
	json_array_foreach(events, i, e) {
		const char *kind = json_string_value(json_object_get(e, "kind"));
		size_t len = (size_t)json_integer_value(json_object_get(e, "length"));
		bytes += len;
		if (strcmp(kind, "frame") == 0) {
			frames++;
			cr_expect_eq(len, 125, "a frame is one packet: %s", reply);
			cr_expect_eq(strlen(json_string_value(json_object_get(e, "bytes"))), 125 * 3 - 1,
			             "as hex");
			cr_expect_str_eq(json_string_value(json_object_get(e, "decoded")),
			                 "spo2 96 %, pr 71 bpm");
		} else {
			rejected++;
			cr_expect_not_null(json_string_value(json_object_get(e, "why")));
		}
	}
	cr_expect_eq(frames, 8);
	cr_expect_geq(rejected, 1, "the broken packet is shown, with why: %s", reply);
	cr_expect_eq(bytes, n, "every byte is in some piece");
	cr_expect_eq(json_integer_value(json_object_get(o, "next")), (json_int_t)json_array_size(events));
	size_t n_events = json_array_size(events);
	json_t *line = json_object_get(o, "line");
	cr_expect_geq(json_integer_value(json_object_get(line, "checksum_failures")), 1);
	json_decref(o);
	free(reply);

	/* Asked again after the last: nothing new; a note comes next. */
	vt_watch_note(w, 9000, "lost: hang-up");
	reply = vt_watch_reply(w, "chair-1", watched, n_events);
	o = json_loads(reply, 0, NULL);
	events = json_object_get(o, "events");
	cr_assert_eq(json_array_size(events), 1, "%s", reply);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(events, 0), "text")),
	                 "lost: hang-up");
	json_decref(o);
	free(reply);
	vt_watch_free(&w);
	cr_expect_null(w);
	s_line_free(plain);
	s_line_free(watched);
}

Test(watch, text_is_escaped_and_lines_keep_their_ends)
{
	struct vt_line *l = s_line("masimo-ascii");
	struct vt_watch *w = vt_watch_new();
	uint8_t buf[2048];
	size_t n = vt_rig_encode("masimo-ascii", 2, buf, sizeof(buf));
	static const uint8_t junk[] = {0x01, 'A', '\\', 0xff, '\r', '\n'};
	vt_watch_feed(w, l, 100, junk, sizeof(junk), NULL);
	vt_watch_feed(w, l, 200, buf, n, NULL);
	char *reply = vt_watch_reply(w, "chair-1", l, 0);
	json_t *o = json_loads(reply, 0, NULL);
	cr_expect(json_is_true(json_object_get(o, "text")));
	json_t *events = json_object_get(o, "events");
	cr_assert_geq(l->stats.frames, 1);
	cr_assert_eq(json_array_size(events), 1 + l->stats.frames, "the junk, then a frame a line: %s",
	             reply);
	json_t *first = json_array_get(events, 0), *second = json_array_get(events, 1);
	cr_expect_str_eq(json_string_value(json_object_get(first, "kind")), "discarded");
	cr_expect_str_eq(json_string_value(json_object_get(first, "bytes")), "\\x01A\\\\\\xff\\r\\n");
	cr_expect_str_eq(json_string_value(json_object_get(second, "kind")), "frame");
	const char *text = json_string_value(json_object_get(second, "bytes"));
	cr_expect(strstr(text, " SPO2=096% BPM=071 ") != NULL, "%s", text);
	cr_expect_str_eq(text + strlen(text) - 4, "\\r\\n", "the line end stays with its line");
	json_decref(o);
	free(reply);
	vt_watch_free(&w);
	s_line_free(l);
}

static void
s_alarm(void *ctx, const struct vt_device_alarm *da)
{
	*(struct vt_device_alarm *)ctx = *da;
}

Test(watch, a_monitors_own_alarm_is_shown_and_passed_on)
{
	struct vt_line *l = s_line("hl7-mllp");
	struct vt_watch *w = vt_watch_new();
	size_t len;
	char *msg = vt_rig_slurp(vt_rig_root("tests/data/hl7/pcd04-lead-off-start.hl7"), &len);
	cr_assert_not_null(msg);
	static uint8_t frame[4096];
	for (size_t i = 0; i < len; i++) /* the file has LF where the wire has CR */
		msg[i] = msg[i] == '\n' ? '\r' : msg[i];
	size_t n = vt_mllp_frame((const uint8_t *)msg, len, frame, sizeof frame);
	cr_assert_gt(n, 0);
	/* The alarm goes where it would have gone unwatched. */
	struct vt_device_alarm got = {0};
	const struct vt_driver_sink k = {.device_alarm = s_alarm, .ctx = &got};
	vt_watch_feed(w, l, 100, frame, n, &k);
	cr_expect_str_eq(got.code, "MDC_EVT_LEAD_OFF");
	cr_expect(got.active);
	char *reply = vt_watch_reply(w, "chair-1", l, 0);
	cr_expect(strstr(reply, "monitor alarm MDC_EVT_LEAD_OFF on") != NULL, "%s", reply);
	free(reply);
	free(msg);
	vt_watch_free(&w);
	s_line_free(l);
}

/* The clinical engineer's view of a live monitor with a noisy cable. */
Test(watch, vitalsctl_watch_shows_frames_and_drops_from_a_live_emulator, .timeout = 90)
{
	char dir[128], link[200], log[256];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "watch"), 0);
	snprintf(link, sizeof(link), "%s/chair-1", dir);
	snprintf(log, sizeof(log), "%s/emulate.log", dir);
	/* Noise every second of real time (speed 4: every 4 s of recording). */
	const char *args[] = {"--protocol", "masimo-ascii", "--pty", link, "--speed", "4", "--loop",
	                      "--noise-at", "4,8,12,16,20,24,28,32,36,40,44,48,52,56,60",
	                      "--noise-bytes", "24",
	                      vt_rig_scenario_csv("tests/data/scenarios/emulator.yaml"), NULL};
	struct vt_rig_child emu;
	cr_assert_eq(vt_rig_emulate(&emu, log, args, 10000), 0);
	char monitors[300];
	snprintf(monitors, sizeof(monitors), "  - {bed: chair-1, port: %s, protocol: masimo-ascii}\n",
	         link);
	struct vt_rig_daemon d;
	cr_assert_eq(vt_rig_daemon_start(&d, dir, NULL, monitors, NULL), 0);
	cr_assert(vt_rig_daemon_port_is(&d, "chair-1", "connected", 20000));

	char *argv[] = {(char *)vt_rig_build("vitalsctl"), "--connect", d.ctl, "--json", "watch",
	                "chair-1", "--for", "6s", NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	size_t frames = 0, dropped = 0, notes = 0;
	for (char *line = strtok(r.out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		json_t *e = json_loads(line, 0, NULL);
		cr_assert_not_null(e, "not JSON: %s", line);
		const char *kind = json_string_value(json_object_get(e, "kind"));
		if (strcmp(kind, "frame") == 0) {
			frames++;
			const char *said = json_string_value(json_object_get(e, "decoded"));
			cr_expect(strncmp(said, "spo2 ", 5) == 0, "%s", line);
		} else if (strcmp(kind, "dropped") == 0) {
			dropped++;
			cr_expect_str_eq(json_string_value(json_object_get(e, "why")),
			                 "a byte that is not printable text");
		} else if (strcmp(kind, "port") == 0) {
			notes++;
		}
		json_decref(e);
	}
	cr_expect_geq(frames, 8, "four lines a second for 6 s:\n%s", r.out);
	cr_expect_geq(dropped, 2, "noise once a second:\n%s", r.out);
	cr_expect_eq(notes, 1, "the watch's start");
	vt_rig_output_free(&r);

	/* People see the same as rows; a bed that is not there is an error. */
	char *argv2[] = {(char *)vt_rig_build("vitalsctl"), "--connect", d.ctl, "watch", "chair-1",
	                 "--count", "3", NULL};
	cr_assert_geq(vt_rig_run(argv2, &r), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strncmp(r.out, "watching chair-1 (masimo-ascii, shown as text); Ctrl-C to stop\n",
	                  63) == 0, "%s", r.out);
	cr_expect(strstr(r.out, "  frame   ") && strstr(r.out, "\"  -> spo2 "), "%s", r.out);
	vt_rig_output_free(&r);
	char *argv3[] = {(char *)vt_rig_build("vitalsctl"), "--connect", d.ctl, "watch", "chair-9",
	                 NULL};
	cr_assert_geq(vt_rig_run(argv3, &r), 0);
	cr_expect_eq(r.status, 1);
	cr_expect_str_eq(r.err, "vitalsctl: watch: unknown bed \"chair-9\"\n");
	vt_rig_output_free(&r);

	vt_rig_daemon_stop(&d);
	vt_rig_child_stop(&emu, SIGTERM, 5000);
	vt_rig_rmtree(dir);
}
