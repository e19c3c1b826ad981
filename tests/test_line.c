/*
 * Line diagnostics (docs/drivers.md, "Line diagnostics"): the counters of
 * what a port carried, the guess at which protocol undecodable bytes are,
 * and, end to end, a monitor speaking the wrong protocol raising
 * undecodable-data rather than comm-lost, with the bytes in the snapshot.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "support/support.h"
#include "vitals/base/timefmt.h"
#include "vitals/console/client.h"
#include "vitals/drivers/line.h"
#include "vitals/drivers/sniff.h"

Test(line, sniff_names_the_protocol_the_bytes_are_in)
{
	static const struct {
		const char *sent, *configured, *want;
	} cases[] = {
	    {"masimo-ascii", "nonin-df7", "masimo-ascii"},
	    {"nellcor-ascii", "masimo-ascii", "nellcor-ascii"},
	    {"nonin-df7", "masimo-ascii", "nonin-df7"},
	    {"nonin-df8", "nellcor-ascii", "nonin-df8"},
	};
	void *scratch = calloc(1, vt_driver_sniff_scratch_size());
	uint8_t buf[8192];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = vt_rig_encode(cases[i].sent, 5, buf, sizeof(buf));
		if (n > VT_LINE_RECENT) /* what a line keeps: its latest bytes */
			memmove(buf, buf + n - VT_LINE_RECENT, VT_LINE_RECENT), n = VT_LINE_RECENT;
		const struct vt_driver *d =
		    vt_driver_sniff(buf, n, vt_driver_find(cases[i].configured), scratch);
		cr_assert_not_null(d, "%s sent, nothing recognised", cases[i].sent);
		cr_expect_str_eq(d->name, cases[i].want, "%s sent", cases[i].sent);
	}
	/* Line noise looks like nothing, and the configured driver is never the answer. */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 151u + 7u);
	cr_expect_null(vt_driver_sniff(buf, 1024, NULL, scratch));
	size_t n = vt_rig_encode("masimo-ascii", 5, buf, sizeof(buf));
	const struct vt_driver *self = vt_driver_sniff(buf, n, vt_driver_find("masimo-ascii"), scratch);
	cr_expect(self == NULL || strcmp(self->name, "masimo-ascii") != 0);
	free(scratch);
}

Test(line, counters_of_a_good_and_of_a_wrong_stream)
{
	const struct vt_driver *df7 = vt_driver_find("nonin-df7");
	void *state = calloc(1, df7->state_size), *scratch = calloc(1, vt_driver_sniff_scratch_size());
	struct vt_line l;
	vt_line_init(&l, df7, NULL, state, scratch);
	uint8_t buf[8192];

	/* Its own protocol: frames, a last frame time, nothing undecoded. */
	size_t n = vt_rig_encode("nonin-df7", 3, buf, sizeof(buf));
	bool junk = false;
	for (size_t off = 0; off < n; off += 100)
		junk |= vt_line_feed(&l, 1000 + (int64_t)off, buf + off, n - off < 100 ? n - off : 100,
		                     NULL);
	cr_expect_not(junk);
	cr_expect_eq(l.stats.bytes, n);
	cr_expect_eq(l.stats.frames, 9, "three packets a second");
	cr_expect_gt(l.stats.last_frame, 1000);
	cr_expect_eq(l.stats.discarded + l.stats.dropped + l.stats.checksum, 0);

	/* A Masimo on the same port: bytes, none decoded, what they look like. */
	vt_line_reset(&l);
	cr_expect_eq(l.stats.bytes, 0, "counters start afresh with the connection");
	n = vt_rig_encode("masimo-ascii", 4, buf, sizeof(buf));
	junk = false;
	for (size_t off = 0; off < n; off += 64) /* a chunk a second */
		junk |= vt_line_feed(&l, 5000 + (int64_t)off * 1000, buf + off,
		                     n - off < 64 ? n - off : 64, NULL);
	cr_expect(junk);
	cr_expect_eq(l.stats.bytes, n);
	cr_expect_eq(l.stats.undecoded, n);
	cr_expect_eq(l.stats.frames, 0);
	cr_expect_eq(l.stats.last_frame, 0);
	cr_expect_gt(l.stats.discarded, n / 2, "hunting for sync through text");
	cr_expect_not_null(l.stats.why);
	cr_assert_not_null(l.stats.looks_like);
	cr_expect_str_eq(l.stats.looks_like, "masimo-ascii");

	/* Checksums: a good packet with one byte flipped in its third frame. */
	vt_line_reset(&l);
	n = vt_rig_encode("nonin-df7", 1, buf, sizeof(buf));
	buf[125 + 12] ^= 0x01;
	vt_line_feed(&l, 9000, buf, n, NULL);
	cr_expect_geq(l.stats.checksum, 1);
	cr_expect_geq(l.stats.dropped, 1);
	cr_expect_not_null(l.stats.why, "the latest reason is kept");
	free(state);
	free(scratch);
}

/* The first hour with a new monitor: a Masimo on a port configured nonin-df7. */
Test(line, wrong_protocol_raises_undecodable_data_within_stale_after, .timeout = 60)
{
	struct vt_rig_bed bed;
	cr_assert_eq(vt_rig_bed_open(&bed, "line", "nonin-df7", "stale_after: 2s", false), 0);
	struct vt_rig_daemon d;
	int64_t before = vt_client_wall_ms();
	cr_assert_eq(vt_rig_daemon_start(&d, bed.dir, bed.extra, bed.monitors, NULL), 0);
	int64_t after = vt_client_wall_ms(); /* it watches the bed from before it answers */
	void *sub = vt_rig_sub(d.pub, "", 0);
	char topic[128], body[4096], line[256];
	char raised[4096] = "";
	int64_t deadline = vt_rig_now_ms() + 30000;
	while (raised[0] == '\0' && vt_rig_now_ms() < deadline) {
		int len = vt_rig_masimo_line(line, sizeof(line), 97, 72);
		cr_assert_eq(vt_rig_pty_write(&bed.pty, line, (size_t)len), 0);
		int64_t until = vt_rig_now_ms() + 100;
		while (vt_rig_now_ms() < until &&
		       vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 50) >= 0) {
			cr_expect(strstr(body, "comm-lost") == NULL, "not comm-lost: %s", body);
			if (strcmp(topic, "alert.chair-1") == 0 && strstr(body, "undecodable-data"))
				snprintf(raised, sizeof(raised), "%s", body);
		}
	}
	cr_assert(raised[0] != '\0', "no undecodable-data alarm");
	json_t *a = json_loads(raised, 0, NULL);
	cr_expect_str_eq(json_string_value(json_object_get(a, "event")), "raised");
	cr_expect_str_eq(json_string_value(json_object_get(a, "kind")), "technical");
	const char *text = json_string_value(json_object_get(a, "text"));
	cr_expect(strstr(text, "cannot be decoded (wrong protocol or baud rate?)") != NULL, "%s", text);
	cr_expect(strstr(text, "it looks like masimo-ascii") != NULL, "%s", text);
	/* Raised stale_after from the start, however late the test saw it. */
	int64_t t_raised = 0;
	cr_assert_eq(vt_time_parse(json_string_value(json_object_get(a, "time")), &t_raised), 0);
	cr_expect_geq(t_raised, before + 2000);
	cr_expect_leq(t_raised, after + 2000, "raised %lld ms after the daemon answered",
	              (long long)(t_raised - after));
	json_decref(a);

	/* The counters show the bytes. */
	char *snap = vt_rig_request(d.ctl, "{\"cmd\":\"snapshot\"}", 5000);
	cr_assert_not_null(snap);
	json_t *s = json_loads(snap, 0, NULL);
	json_t *ln = json_object_get(json_object_get(s, "lines"), "chair-1");
	cr_assert_not_null(ln, "%s", snap);
	cr_expect_gt(json_integer_value(json_object_get(ln, "bytes")), 500);
	cr_expect_eq(json_integer_value(json_object_get(ln, "frames")), 0);
	cr_expect_gt(json_integer_value(json_object_get(ln, "discarded")), 500);
	cr_expect(json_is_null(json_object_get(ln, "last_frame")));
	cr_expect_str_eq(json_string_value(json_object_get(ln, "looks_like")), "masimo-ascii");
	json_decref(s);
	free(snap);

	/* vitalsctl lines shows the same, for people. */
	char *argv[] = {(char *)vt_rig_build("vitalsctl"), "--connect", d.ctl, "lines", NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strncmp(r.out, "BED      STATE      BYTES  FRAMES  DISCARDED  DROPPED  CHECKSUM  "
	                         "LAST FRAME  NOTE\nchair-1  connected  ", 93) == 0, "%s", r.out);
	cr_expect(strstr(r.out, "  0       ") != NULL, "no frames: %s", r.out);
	cr_expect(strstr(r.out, "never       looks like masimo-ascii\n") != NULL, "%s", r.out);
	vt_rig_output_free(&r);

	/* The log names the count once bytes have come for stale_after: a few more lines. */
	for (int i = 0; i < 5; i++) {
		int len = vt_rig_masimo_line(line, sizeof(line), 97, 72);
		cr_assert_eq(vt_rig_pty_write(&bed.pty, line, (size_t)len), 0);
		vt_rig_sleep_ms(100);
	}
	vt_rig_daemon_stop(&d);
	size_t loglen;
	char *log = vt_rig_slurp(d.proc.log, &loglen);
	cr_assert_not_null(log);
	cr_expect(strstr(log, "bytes received and none decoded as nonin-df7 (wrong protocol or baud "
	                      "rate?)") != NULL, "%s", log);
	free(log);
	zmq_close(sub);
	vt_rig_bed_close(&bed);
}
