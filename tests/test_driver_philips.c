/*
 * Tests for the philips-mib driver (Philips IntelliVue Data Export) and the
 * protocol bytes it shares with the emulated monitor (intellivue.h):
 *
 *  - golden bytes: the host's messages against the byte layouts open
 *    implementations send to real monitors (VSCaptureMP's DataConstants,
 *    docs/drivers.md cites it), the FCS against its published check value;
 *  - the real captures (the MX800's Connect Indication, a real numerics
 *    poll result with no patient connected), skipped without them;
 *  - a whole session with the emulated monitor on a virtual clock
 *    (driver_talk.h), the monitor's bytes then fed again whole, byte by
 *    byte and in random chunks;
 *  - measurement states, units, technical alarms, the NIBP's measurement
 *    time, a bad FCS dropped and the next frame read, re-association
 *    after an abort or silence, release on disconnect, the LAN framing.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "vitals/drivers/driver.h"
#include "vitals/drivers/intellivue.h"

#define T0 INT64_C(1748000000000) /* 2025-05-23T11:33:20Z */
#define P(x) VT_PARAM_BIT(VT_##x)

static const struct vt_driver *
s_driver(void)
{
	const struct vt_driver *d = vt_driver_find("philips-mib");
	cr_assert_not_null(d);
	return d;
}

static void
s_expect_bytes(const uint8_t *got, size_t n, const uint8_t *want, size_t wn, const char *what)
{
	cr_assert_eq(n, wn, "%s: %zu bytes, expected %zu", what, n, wn);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(got[i], want[i], "%s: byte %zu is 0x%02X, expected 0x%02X", what, i,
		             got[i], want[i]);
}

/* ---- golden bytes ------------------------------------------------------------ */

/*
 * The association request with the extended poll profile and a minimum
 * poll period of 1000 ticks (125 ms), as VSCaptureMP sends it to real
 * monitors (aarq_msg_ext_poll2).
 */
static const uint8_t s_aarq_ext_poll2[] = {
    0x0D, 0xEC, 0x05, 0x08, 0x13, 0x01, 0x00, 0x16, 0x01, 0x02, 0x80, 0x00, 0x14, 0x02, 0x00, 0x02,
    0xC1, 0xDC, 0x31, 0x80, 0xA0, 0x80, 0x80, 0x01, 0x01, 0x00, 0x00, 0xA2, 0x80, 0xA0, 0x03, 0x00,
    0x00, 0x01, 0xA4, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0x06, 0x04, 0x52, 0x01, 0x00, 0x01, 0x30,
    0x80, 0x06, 0x02, 0x51, 0x01, 0x00, 0x00, 0x00, 0x00, 0x30, 0x80, 0x02, 0x01, 0x02, 0x06, 0x0C,
    0x2A, 0x86, 0x48, 0xCE, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x30, 0x80, 0x06, 0x0C,
    0x2A, 0x86, 0x48, 0xCE, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xA0, 0x80, 0x60, 0x80, 0xA1, 0x80, 0x06,
    0x0C, 0x2A, 0x86, 0x48, 0xCE, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0xBE,
    0x80, 0x28, 0x80, 0x06, 0x0C, 0x2A, 0x86, 0x48, 0xCE, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00, 0x01,
    0x01, 0x02, 0x01, 0x02, 0x81, 0x48, 0x80, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x2C, 0x00, 0x01, 0x00, 0x28, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xE8, 0x00, 0x00,
    0x09, 0xC4, 0x00, 0x00, 0x03, 0xE8, 0xFF, 0xFF, 0xFF, 0xFF, 0x60, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x0C, 0xF0, 0x01, 0x00, 0x08, 0x8C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

Test(philips_golden, association_request_is_the_known_layout)
{
	uint8_t out[512];
	size_t n = vt_iv_aarq(125, out, sizeof out); /* 125 ms = 1000 ticks */
	s_expect_bytes(out, n, s_aarq_ext_poll2, sizeof s_aarq_ext_poll2, "AARQ");
	/* The driver's own period goes into the same field. */
	n = vt_iv_aarq(1000, out, sizeof out);
	cr_assert_eq(n, sizeof s_aarq_ext_poll2);
	cr_expect(out[186] == 0x00 && out[187] == 0x00 && out[188] == 0x1F && out[189] == 0x40,
	          "1 s is 8000 ticks");
	cr_expect_eq(vt_iv_aarq(1000, out, 100), 0, "does not fit: nothing");
}

Test(philips_golden, polls_answers_and_release_are_the_known_layouts)
{
	/* ext_poll_request_msg: numerics, poll 1, invoke 1. */
	static const uint8_t poll[] = {0xE1, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x20, 0x00, 0x01,
	                               0x00, 0x07, 0x00, 0x1A, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00,
	                               0x00, 0x00, 0x00, 0x00, 0xF1, 0x3B, 0x00, 0x0C, 0x00, 0x01,
	                               0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	/* mds_create_resp_msg: invoke 1, relative time 0x000ABD00. */
	static const uint8_t mds[] = {0xE1, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x14, 0x00, 0x01,
	                              0x00, 0x01, 0x00, 0x0E, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00,
	                              0x00, 0x0A, 0xBD, 0x00, 0x0D, 0x06, 0x00, 0x00};
	/* rlrq_msg and rlrq_resp_msg. */
	static const uint8_t rlrq[] = {0x09, 0x18, 0xC1, 0x16, 0x61, 0x80, 0x30, 0x80, 0x02,
	                               0x01, 0x01, 0xA0, 0x80, 0x62, 0x80, 0x80, 0x01, 0x00,
	                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	uint8_t out[128];
	s_expect_bytes(out, vt_iv_ext_poll(1, 1, VT_IV_MOC_VMO_METRIC_NU, 0, out, sizeof out), poll,
	               sizeof poll, "numerics poll");
	s_expect_bytes(out, vt_iv_event_result(1, VT_IV_NOTI_MDS_CREAT, 0x000ABD00, out, sizeof out),
	               mds, sizeof mds, "MDS create result");
	s_expect_bytes(out, vt_iv_release_request(out, sizeof out), rlrq, sizeof rlrq, "RLRQ");
	size_t n = vt_iv_release_response(out, sizeof out);
	cr_assert_eq(n, sizeof rlrq);
	cr_expect(out[0] == VT_IV_SPDU_DN && out[13] == 0x63, "RLRE: DN around an ACSE 0x63");
}

Test(philips_golden, fcs_is_the_ppp_fcs_and_frames_escape)
{
	/* RFC 1662's check value: the complemented FCS of "123456789" is 0x906E. */
	cr_expect_eq((uint16_t)~vt_iv_fcs(0xFFFF, (const uint8_t *)"123456789", 9), 0x906E);
	/* A message with every byte that must be escaped. */
	const uint8_t msg[] = {0xC0, 0x01, 0xC1, 0x7D, 0x20};
	uint8_t f[64];
	size_t n = vt_iv_frame(msg, sizeof msg, f, sizeof f);
	cr_assert_gt(n, 0);
	cr_expect_eq(f[0], VT_IV_BOF);
	cr_expect_eq(f[n - 1], VT_IV_EOF);
	for (size_t i = 1; i + 1 < n; i++)
		cr_expect(f[i] != VT_IV_BOF && f[i] != VT_IV_EOF, "byte %zu unescaped", i);
	static const uint8_t body[] = {0x11, 0x01, 0x00, 0x05, 0x7D, 0xE0, 0x01, 0x7D, 0xE1, 0x7D,
	                               0x5D, 0x20};
	s_expect_bytes(f + 1, sizeof body, body, sizeof body, "escaped header and message");
	/* Unescaped, header + message + FCS leave the PPP residue. */
	uint8_t plain[32];
	size_t k = 0;
	for (size_t i = 1; i + 1 < n; i++)
		plain[k++] = f[i] == VT_IV_ESC ? (uint8_t)(f[++i] ^ 0x20) : f[i];
	cr_expect_eq(vt_iv_fcs(0xFFFF, plain, k), 0xF0B8);
	cr_expect_eq(vt_iv_frame(msg, sizeof msg, f, 8), 0, "does not fit: nothing");
}

Test(philips_golden, float_type_and_bcd_time)
{
	double v;
	cr_assert(vt_iv_float(0xFF00040D, &v)); /* 1037 x 10^-1 */
	cr_expect_float_eq(v, 103.7, 1e-9);
	cr_assert(vt_iv_float(0x00FFFFFF, &v)); /* mantissa -1 */
	cr_expect_float_eq(v, -1, 1e-9);
	cr_expect(!vt_iv_float(VT_IV_FLOAT_NAN, &v));
	cr_expect(!vt_iv_float(VT_IV_FLOAT_NRES, &v));
	cr_expect_eq(vt_iv_float_from(36.7, 1), 0xFF00016F);
	/* The capture's stamp: 2025-05-23 11:45:00.00. */
	const uint8_t bcd[8] = {0x20, 0x25, 0x05, 0x23, 0x11, 0x45, 0x00, 0x00};
	int64_t ms;
	cr_assert(vt_iv_abs_time(bcd, &ms));
	cr_expect_eq(ms, INT64_C(1748000700000));
	uint8_t back[8];
	vt_iv_abs_time_put(ms, back);
	cr_expect_arr_eq(back, bcd, 8);
	const uint8_t none[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
	cr_expect(!vt_iv_abs_time(none, &ms), "all 0xFF: the monitor does not say");
}

/* ---- real captures ------------------------------------------------------------ */

Test(philips_capture, mx800_connect_indication_says_who_and_where)
{
	uint8_t b[1024];
	size_t n = vt_rig_hexdump(vt_rig_capture("philips_mx800_connect_indication_koshsky.hexdump.txt"), b,
	                 sizeof b);
	cr_assert_eq(n, 460, "Ethernet, IPv4, UDP and 418 bytes");
	const uint8_t *msg = b + 42;
	struct vt_iv_msg m;
	const char *why;
	cr_assert_eq(vt_iv_read(msg, n - 42, NULL, &m, &why), 0, "%s", why);
	cr_expect_eq(m.kind, VT_IV_MSG_CONN_INDIC);
	cr_expect_str_eq(m.id.manufacturer, "Philips");
	cr_expect_str_eq(m.id.model, "866062");
	cr_expect_str_eq(m.id.serial, "DE351A4061");
	cr_expect_eq(m.id.data_port, 24105);
	/* As the hello of a LAN port: the driver names the device and associates. */
	const struct vt_driver *d = s_driver();
	void *st = calloc(1, d->state_size);
	struct vt_driver_opts o = {.datagram = true};
	d->reset(st, &o);
	struct vt_rig_collect c = {0};
	struct vt_tx tx = {0};
	struct vt_driver_sink sink = vt_rig_collect_sink(&c);
	sink.now = T0;
	sink.tx = &tx;
	d->connect(st, msg, n - 42, &sink);
	cr_assert_eq(c.ninfo, 1);
	cr_expect_str_eq(c.infos[0].model, "866062");
	cr_expect_str_eq(c.infos[0].serial, "DE351A4061");
	cr_assert_gt(tx.len, 2);
	cr_expect_eq((size_t)(tx.buf[0] << 8 | tx.buf[1]), tx.len - 2, "one datagram");
	cr_expect_eq(tx.buf[2], VT_IV_SPDU_CN, "the association request");
	free(st);
	vt_rig_collect_free(&c);
}

/*
 * The real poll result stops about 1 KB into the message, in its second
 * context. Keep the first context whole and the second's whole objects,
 * and set the lengths (and that context's object count) to what is left:
 * then it is a whole, real result.
 */
static size_t
s_whole_partial_result(uint8_t *b, size_t n, size_t *objects)
{
	/* e1 00 00 02 | RORLS type, len | linked id, invoke, cmd, len | MDS id (6) |
	 * action, len | poll no, rel time, abs time, type, group (a single poll) |
	 * context count, len | contexts: id, object count, len, objects */
	const size_t list = 4 + 4 + 8 + 6 + 4 + 2 + 4 + 8 + 4 + 2;
	size_t ctx1 = list + 4;
	size_t ctx2 = ctx1 + 6 + (size_t)(b[ctx1 + 4] << 8 | b[ctx1 + 5]);
	*objects = (size_t)(b[ctx1 + 2] << 8 | b[ctx1 + 3]);
	size_t at = ctx2 + 6, end = at, in2 = 0;
	while (at + 6 <= n) {
		size_t len = (size_t)(b[at + 4] << 8 | b[at + 5]);
		if (at + 6 + len > n)
			break;
		at += 6 + len;
		end = at;
		in2++;
	}
	*objects += in2;
	struct {
		size_t at, from;
	} lens[] = {{6, 8}, {14, 16}, {24, 26}, {list + 2, list + 4}, {ctx2 + 4, ctx2 + 6}};
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		size_t v = end - lens[i].from;
		b[lens[i].at] = (uint8_t)(v >> 8);
		b[lens[i].at + 1] = (uint8_t)v;
	}
	b[ctx2 + 2] = (uint8_t)(in2 >> 8);
	b[ctx2 + 3] = (uint8_t)in2;
	return end;
}

struct s_seen {
	struct vt_iv_obs obs[32];
	size_t n;
};

static void
s_on_obs(void *ctx, const struct vt_iv_obs *o)
{
	struct s_seen *s = ctx;
	if (s->n < 32)
		s->obs[s->n++] = *o;
}

Test(philips_capture, real_result_with_no_patient_gives_no_values)
{
	uint8_t b[2048];
	size_t n = vt_rig_hexdump(vt_rig_capture("philips_intellivue_ext_poll_result_partial_koshsky.txt"), b,
	                 sizeof b);
	/* The dump's offsets count the 42 bytes of Ethernet, IP and UDP headers
	 * in front; it stops at 0x3f9: 976 bytes of the message. */
	cr_assert_eq(n, 0x3fa - 42, "%zu bytes", n);
	size_t objects;
	n = s_whole_partial_result(b, n, &objects);
	cr_assert_geq(objects, 8, "%zu whole objects", objects);
	struct s_seen seen = {0};
	struct vt_iv_visitor v = {.obs = s_on_obs, .ctx = &seen};
	struct vt_iv_msg m;
	const char *why;
	cr_assert_eq(vt_iv_read(b, n, &v, &m, &why), 0, "%s", why);
	cr_expect_eq(m.kind, VT_IV_MSG_POLL_RESULT);
	cr_expect_eq(m.poll.action, VT_IV_ACT_POLL);
	cr_expect_eq(m.poll.code, VT_IV_MOC_VMO_METRIC_NU);
	cr_expect(m.poll.linked && !m.poll.last, "the first part of a linked result");
	bool hr = false, nibp = false, rr = false;
	for (size_t i = 0; i < seen.n; i++) {
		const struct vt_iv_obs *o = &seen.obs[i];
		cr_expect_eq(o->value, VT_IV_FLOAT_NAN, "0x%04X: no patient, no value", o->physio);
		cr_expect(o->state & VT_IV_MS_NOT_A_VALUE, "0x%04X: state 0x%04X", o->physio, o->state);
		hr |= o->physio == VT_IV_ECG_HR && o->unit == VT_IV_DIM_BPM;
		rr |= o->physio == VT_IV_RESP_RATE && o->unit == VT_IV_DIM_RPM;
		if (o->physio == VT_IV_NIBP_SYS) {
			nibp = true;
			cr_expect(o->has_abs, "the NIBP carries its time stamp");
			cr_expect_eq(o->abs_ms, INT64_C(1748000700000));
		}
	}
	cr_expect(hr && nibp && rr, "ECG HR, NIBP and RR are in it");

	/* Through the driver, once associated: every parameter reported, none a value. */
	const struct vt_driver *d = s_driver();
	void *st = calloc(1, d->state_size);
	d->reset(st, NULL);
	struct vt_rig_collect c = {0};
	struct vt_driver_sink sink = vt_rig_collect_sink(&c);
	struct vt_iv_identity id = {.model = "MX800"};
	uint8_t msg[512], frame[4096];
	size_t k = vt_iv_mds_create_event(1, &id, msg, sizeof msg);
	size_t f = vt_iv_frame(msg, k, frame, sizeof frame);
	f += vt_iv_frame(b, n, frame + f, sizeof frame - f);
	d->feed(st, frame, f, &sink);
	cr_assert_eq(c.count, 1);
	const struct vt_reading *r = &c.readings[0];
	cr_expect_eq(r->reported & (P(HR) | P(RR) | P(NIBP_SYS)), P(HR) | P(RR) | P(NIBP_SYS));
	cr_expect_eq(r->valid, 0, "no value from a monitor with no patient");
	free(st);
	vt_rig_collect_free(&c);
}

/* ---- a session with the emulated monitor ---------------------------------------- */

/* A session with the emulated monitor (its defaults), showing a steady patient. */
static void
s_talk(struct vt_rig_talk *t)
{
	cr_assert_eq(vt_rig_talk_start(t, "philips-mib", NULL, NULL, T0), 0);
	vt_rig_talk_patient(&t->shown);
}

Test(philips_session, associates_polls_and_reads_every_parameter)
{
	struct vt_rig_talk t;
	s_talk(&t);
	vt_rig_talk_run(&t, T0 + 2500);
	/* One cuff measurement completes at T0 + 3 s. */
	vt_reading_set(&t.shown, VT_NIBP_SYS, 131);
	vt_reading_set(&t.shown, VT_NIBP_DIA, 82);
	vt_reading_set(&t.shown, VT_NIBP_MAP, 98);
	vt_rig_talk_run(&t, T0 + 3500);
	t.shown.reported &= ~(P(NIBP_SYS) | P(NIBP_DIA) | P(NIBP_MAP));
	t.shown.valid &= ~(P(NIBP_SYS) | P(NIBP_DIA) | P(NIBP_MAP));
	vt_rig_talk_run(&t, T0 + 10500);

	cr_assert_eq(t.c.ninfo, 1, "the MDS create event named the monitor");
	cr_expect_str_eq(t.c.infos[0].model, "MX800");
	/* Polled every second from the association on. */
	cr_expect_geq(t.c.count, 10);
	const struct vt_reading *r = vt_rig_talk_last(&t);
	char buf[256];
	const vt_param_mask want = P(HR) | P(SPO2) | P(PR) | P(RR) | P(ETCO2) | P(TEMP) |
	                           P(NIBP_SYS) | P(NIBP_DIA) | P(NIBP_MAP);
	cr_expect_eq(r->valid, want, "%s", vt_rig_reading_str(r, buf, sizeof buf));
	cr_expect_float_eq(r->value[VT_HR], 72, 1e-9);
	cr_expect_float_eq(r->value[VT_SPO2], 97, 1e-9);
	cr_expect_float_eq(r->value[VT_PR], 73, 1e-9);
	cr_expect_float_eq(r->value[VT_RR], 14, 1e-9);
	cr_expect_float_eq(r->value[VT_ETCO2], 38, 1e-9);
	cr_expect_float_eq(r->value[VT_TEMP], 36.7, 1e-9);
	cr_expect_float_eq(r->value[VT_NIBP_SYS], 131, 1e-9);
	cr_expect_float_eq(r->value[VT_NIBP_MAP], 98, 1e-9);
	/* The last poll answered at T0 + 10 s: the cuff measured 7 s before. */
	cr_assert(r->timed & P(NIBP_SYS), "the NIBP carries its measurement time");
	cr_expect_eq(r->age_ms[VT_NIBP_SYS], 7000);
	cr_expect_eq(r->flags, 0);
	/* Two polls a period (alert monitor, numerics). */
	cr_expect_geq(t.host_messages, 10);
	vt_rig_talk_free(&t);
}

Test(philips_session, the_monitor_bytes_decode_alike_however_split)
{
	struct vt_rig_talk t;
	s_talk(&t);
	vt_reading_set(&t.shown, VT_NIBP_SYS, 120);
	vt_reading_set(&t.shown, VT_NIBP_DIA, 80);
	t.shown.flags = VT_FLAG_LEADS_OFF;
	vt_rig_talk_run(&t, T0 + 20500);
	struct vt_rig_collect c = {0};
	struct vt_driver_stats st;
	/* Fed again to a fresh driver: the MDS create event starts the polling phase. */
	cr_assert(vt_rig_feed_all(s_driver(), t.wire, t.wire_len, &c, &st),
	          "splitting the monitor's bytes changed the result");
	cr_expect_eq(c.count, t.c.count);
	cr_expect_eq(st.dropped, 0);
	cr_expect_eq(st.discarded, 0);
	cr_expect_eq(st.bytes, t.wire_len);
	for (size_t i = 0; i < c.count && i < t.c.count; i++)
		cr_expect(vt_rig_reading_equal(&c.readings[i], &t.c.readings[i]), "reading %zu", i);
	/* Mean pressure computed by the cuff (the monitor's): dia + (sys - dia) / 3. */
	cr_expect_float_eq(c.readings[c.count - 1].value[VT_NIBP_MAP], 93, 1e-9);
	cr_expect(c.readings[c.count - 1].flags & VT_FLAG_LEADS_OFF, "the lead-off INOP");
	vt_rig_collect_free(&c);
	vt_rig_talk_free(&t);
}

Test(philips_session, technical_alarms_become_flags)
{
	static const uint32_t flags[] = {VT_FLAG_LEADS_OFF, VT_FLAG_NIBP_FAILED,
	                                 VT_FLAG_CUFF_OVERPRESSURE, VT_FLAG_CO2_OCCLUSION,
	                                 VT_FLAG_SENSOR_FAULT};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		struct vt_rig_talk t;
		s_talk(&t);
		t.shown.flags = flags[i];
		vt_rig_talk_run(&t, T0 + 3500);
		cr_expect_eq(vt_rig_talk_last(&t)->flags, flags[i], "flag 0x%x", flags[i]);
		t.shown.flags = 0;
		vt_rig_talk_run(&t, T0 + 5500);
		cr_expect_eq(vt_rig_talk_last(&t)->flags, 0, "cleared with the INOP");
		vt_rig_talk_free(&t);
	}
	/* The SpO2 sensor's INOP is "disconnected": vitalsd cannot tell it from off. */
	struct vt_rig_talk t;
	s_talk(&t);
	t.shown.flags = VT_FLAG_SENSOR_OFF;
	vt_reading_set_missing(&t.shown, VT_SPO2);
	vt_rig_talk_run(&t, T0 + 3500);
	const struct vt_reading *r = vt_rig_talk_last(&t);
	cr_expect_eq(r->flags, VT_FLAG_NO_SENSOR);
	cr_expect(!(r->valid & P(SPO2)) && (r->reported & P(SPO2)), "SpO2 invalid, not a value");
	vt_rig_talk_free(&t);
}

Test(philips_session, a_failed_cuff_measurement_is_no_value)
{
	struct vt_rig_talk t;
	s_talk(&t);
	vt_reading_set_missing(&t.shown, VT_NIBP_SYS);
	vt_reading_set_missing(&t.shown, VT_NIBP_DIA);
	vt_reading_set_missing(&t.shown, VT_NIBP_MAP);
	t.shown.flags = VT_FLAG_NIBP_FAILED;
	vt_rig_talk_run(&t, T0 + 3500);
	const struct vt_reading *r = vt_rig_talk_last(&t);
	cr_expect_eq(r->flags, VT_FLAG_NIBP_FAILED);
	cr_expect(r->reported & P(NIBP_SYS), "the NIBP is on the screen");
	cr_expect(!(r->valid & (P(NIBP_SYS) | P(NIBP_DIA) | P(NIBP_MAP))), "and has no value");
	vt_rig_talk_free(&t);
}

/* A poll result with one numeric observation `o`, fed to an associated driver. */
static struct vt_reading
s_one(const struct vt_iv_obs *o)
{
	const struct vt_driver *d = s_driver();
	void *st = calloc(1, d->state_size);
	d->reset(st, NULL);
	struct vt_rig_collect c = {0};
	struct vt_driver_sink sink = vt_rig_collect_sink(&c);
	struct vt_iv_identity id = {.model = "MP50"};
	uint8_t msg[512], frame[2048];
	size_t k = vt_iv_mds_create_event(1, &id, msg, sizeof msg);
	size_t f = vt_iv_frame(msg, k, frame, sizeof frame);
	struct vt_iv_poll poll = {.poll_no = 1, .code = VT_IV_MOC_VMO_METRIC_NU};
	struct vt_iv_object obj = {.handle = 1, .n_obs = 1, .obs = {*o}};
	k = vt_iv_poll_result(1, &poll, &obj, 1, msg, sizeof msg);
	f += vt_iv_frame(msg, k, frame + f, sizeof frame - f);
	d->feed(st, frame, f, &sink);
	cr_assert_eq(c.count, 1);
	struct vt_reading r = c.readings[0];
	free(st);
	vt_rig_collect_free(&c);
	return r;
}

/* A monitor that puts a numeric in its alarm list's poll result: no reading, and no
 * crash (the driver read the numeric's time against a numerics poll it had not had). */
Test(philips_values, a_numeric_in_an_alarm_list_is_no_reading)
{
	const struct vt_driver *d = s_driver();
	void *st = calloc(1, d->state_size);
	d->reset(st, NULL);
	struct vt_rig_collect c = {0};
	struct vt_driver_sink sink = vt_rig_collect_sink(&c);
	struct vt_iv_identity id = {.model = "MP50"};
	uint8_t msg[512], frame[2048];
	size_t k = vt_iv_mds_create_event(1, &id, msg, sizeof msg);
	size_t f = vt_iv_frame(msg, k, frame, sizeof frame);
	struct vt_iv_poll poll = {.poll_no = 1, .code = VT_IV_MOC_VMO_AL_MON, .rel_time = 80000};
	struct vt_iv_object obj = {
	        .handle = 1,
	        .n_obs = 1,
	        .obs = {{.physio = VT_IV_NIBP_SYS, .unit = VT_IV_DIM_MMHG, .has_rel = true, .rel = 8000,
	                 .value = vt_iv_float_from(120, 0)}},
	};
	k = vt_iv_poll_result(1, &poll, &obj, 1, msg, sizeof msg);
	f += vt_iv_frame(msg, k, frame + f, sizeof frame - f);
	d->feed(st, frame, f, &sink);
	cr_expect_eq(c.count, 0, "a reading from an alarm list");
	free(st);
	vt_rig_collect_free(&c);
}

Test(philips_values, measurement_states_are_never_a_value)
{
	static const uint16_t states[] = {VT_IV_MS_INVALID, VT_IV_MS_QUESTIONABLE,
	                                  VT_IV_MS_UNAVAILABLE, VT_IV_MS_CALIBRATION,
	                                  VT_IV_MS_TEST_DATA, VT_IV_MS_DEMO_DATA};
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		struct vt_iv_obs o = {.physio = VT_IV_ECG_HR, .state = states[i], .unit = VT_IV_DIM_BPM,
		                      .value = vt_iv_float_from(80, 0)};
		struct vt_reading r = s_one(&o);
		cr_expect(r.reported & P(HR), "state 0x%04X: reported", states[i]);
		cr_expect(!(r.valid & P(HR)), "state 0x%04X: no value", states[i]);
		cr_expect_eq(r.flags, states[i] == VT_IV_MS_DEMO_DATA ? VT_FLAG_DEMO_DATA : 0u,
		             "state 0x%04X", states[i]);
	}
	struct vt_iv_obs ok = {.physio = VT_IV_ECG_HR, .unit = VT_IV_DIM_BPM,
	                       .value = vt_iv_float_from(80, 0)};
	cr_expect(s_one(&ok).valid & P(HR), "state 0: a value");
	struct vt_iv_obs nan = ok;
	nan.value = VT_IV_FLOAT_NAN;
	cr_expect(!(s_one(&nan).valid & P(HR)), "NaN in a valid state: no value");
	struct vt_iv_obs wild = ok;
	wild.value = vt_iv_float_from(999, 0);
	cr_expect(!(s_one(&wild).valid & P(HR)), "out of any human range: no value");
}

Test(philips_values, units_are_converted_or_refused)
{
	struct {
		uint16_t physio, unit;
		double v;
		enum vt_param p;
		bool ok;
		double want;
	} cases[] = {
	    {VT_IV_AWAY_CO2_ET, VT_IV_DIM_KPA, 5.0, VT_ETCO2, true, 37.5031},
	    {VT_IV_AWAY_CO2_ET, VT_IV_DIM_MMHG, 38, VT_ETCO2, true, 38},
	    {VT_IV_AWAY_CO2_ET, VT_IV_DIM_PERCENT, 5.0, VT_ETCO2, false, 0},
	    {VT_IV_TEMP, VT_IV_DIM_FAHR, 98.6, VT_TEMP, true, 37.0},
	    {VT_IV_TEMP_RECT, VT_IV_DIM_DEGC, 37.2, VT_TEMP, true, 37.2},
	    {VT_IV_NIBP_SYS, VT_IV_DIM_KPA, 16.0, VT_NIBP_SYS, true, 120.0099},
	    {VT_IV_ECG_HR, VT_IV_DIM_RPM, 70, VT_HR, false, 0},
	    {VT_IV_RESP_RATE, VT_IV_DIM_RPM, 12, VT_RR, true, 12},
	    {VT_IV_PERF_REL, VT_IV_DIM_NONE, 2.5, VT_PI, true, 2.5},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct vt_iv_obs o = {.physio = cases[i].physio, .unit = cases[i].unit,
		                      .value = vt_iv_float_from(cases[i].v, 2)};
		struct vt_reading r = s_one(&o);
		vt_param_mask bit = VT_PARAM_BIT(cases[i].p);
		cr_expect_eq((r.valid & bit) != 0, cases[i].ok, "case %zu", i);
		if (cases[i].ok)
			cr_expect_float_eq(r.value[cases[i].p], cases[i].want, 1e-3, "case %zu: %g", i,
			                   r.value[cases[i].p]);
	}
}

Test(philips_values, the_capnograph_breathing_rate_wins)
{
	const struct vt_driver *d = s_driver();
	void *st = calloc(1, d->state_size);
	d->reset(st, NULL);
	struct vt_rig_collect c = {0};
	struct vt_driver_sink sink = vt_rig_collect_sink(&c);
	struct vt_iv_identity id = {.model = "MP50"};
	uint8_t msg[512], frame[2048];
	size_t f = vt_iv_frame(msg, vt_iv_mds_create_event(1, &id, msg, sizeof msg), frame,
	                       sizeof frame);
	struct vt_iv_poll poll = {.poll_no = 1, .code = VT_IV_MOC_VMO_METRIC_NU};
	/* Impedance after the airway's, in one result; and before it. */
	struct vt_iv_object objs[2] = {
	    {.handle = 1, .n_obs = 1, .obs = {{.physio = VT_IV_AWAY_RESP_RATE, .unit = VT_IV_DIM_RPM,
	                                       .value = vt_iv_float_from(9, 0)}}},
	    {.handle = 2, .n_obs = 1, .obs = {{.physio = VT_IV_RESP_RATE, .unit = VT_IV_DIM_RPM,
	                                       .value = vt_iv_float_from(16, 0)}}},
	};
	size_t k = vt_iv_poll_result(1, &poll, objs, 2, msg, sizeof msg);
	f += vt_iv_frame(msg, k, frame + f, sizeof frame - f);
	struct vt_iv_object swapped[2] = {objs[1], objs[0]};
	k = vt_iv_poll_result(2, &poll, swapped, 2, msg, sizeof msg);
	f += vt_iv_frame(msg, k, frame + f, sizeof frame - f);
	d->feed(st, frame, f, &sink);
	cr_assert_eq(c.count, 2);
	cr_expect_float_eq(c.readings[0].value[VT_RR], 9, 1e-9);
	cr_expect_float_eq(c.readings[1].value[VT_RR], 9, 1e-9);
	free(st);
	vt_rig_collect_free(&c);
}

/* ---- a line and a monitor that misbehave ---------------------------------------- */

Test(philips_faults, a_bad_fcs_is_dropped_and_the_next_frame_read)
{
	struct vt_rig_talk t;
	s_talk(&t);
	vt_rig_talk_run(&t, T0 + 3500);
	size_t before = t.c.count;
	vt_rig_talk_misbehave(&t, VT_ENCODE_BAD_CHECK);
	vt_rig_talk_run(&t, T0 + 6500);
	struct vt_driver_stats st;
	t.driver->stats(t.dstate, &st);
	cr_expect_eq(st.checksum, 1);
	cr_expect_eq(st.dropped, 1);
	cr_expect_str_eq(st.why, "bad FCS");
	/* The spoiled frame was the alert monitor's answer; the numerics still came each second. */
	cr_expect_eq(t.c.count, before + 3);
	/* Noise between frames is skipped, not a frame. */
	uint8_t noise[] = {0x01, 0x7D, 0x33, VT_IV_EOF, 0x44};
	struct vt_driver_sink sink = vt_rig_collect_sink(&t.c);
	t.driver->feed(t.dstate, noise, sizeof noise, &sink);
	vt_rig_talk_run(&t, T0 + 7500);
	t.driver->stats(t.dstate, &st);
	cr_expect_eq(st.dropped, 1);
	cr_expect_eq(st.discarded, sizeof noise);
	cr_expect_eq(t.c.count, before + 4);
	vt_rig_talk_free(&t);
}

Test(philips_faults, an_abort_is_followed_by_a_new_association)
{
	struct vt_rig_talk t;
	s_talk(&t);
	vt_rig_talk_run(&t, T0 + 3500);
	size_t before = t.c.count;
	vt_rig_talk_misbehave(&t, VT_ENCODE_DROP);
	vt_rig_talk_run(&t, T0 + 4900);
	cr_expect_eq(t.c.count, before, "no polls while not associated");
	struct vt_driver_stats st;
	t.driver->stats(t.dstate, &st);
	cr_expect_str_eq(st.why, "the monitor aborted the association");
	vt_rig_talk_run(&t, T0 + 9500);
	cr_expect_eq(t.c.ninfo, 2, "associated again after the pause");
	cr_expect_geq(t.c.count, before + 3);
	vt_rig_talk_free(&t);
}

Test(philips_faults, a_silent_monitor_is_associated_again)
{
	struct vt_rig_talk t;
	s_talk(&t);
	vt_rig_talk_run(&t, T0 + 2500);
	size_t before = t.c.count;
	uint64_t sent = t.host_messages;
	t.mute = true; /* the cable is cut: polls go out, nothing comes back */
	vt_rig_talk_run(&t, T0 + 12500);
	cr_expect_eq(t.c.count, before);
	/* Polls every second until 10 s of silence, then association requests every 5 s. */
	cr_expect_geq(t.host_messages - sent, 9);
	struct vt_driver_stats st;
	t.driver->stats(t.dstate, &st);
	cr_expect_str_eq(st.why, "the monitor stopped answering polls");
	t.mute = false;
	vt_rig_talk_run(&t, T0 + 20500);
	cr_expect_eq(t.c.ninfo, 2, "associated again");
	cr_expect_geq(t.c.count, before + 2);
	vt_rig_talk_free(&t);
}

Test(philips_faults, an_unanswered_association_is_asked_again)
{
	struct vt_rig_talk t;
	s_talk(&t);
	vt_rig_talk_run(&t, T0 + 2500);
	/* Dropped, and the monitor no longer answers association requests. */
	vt_rig_talk_misbehave(&t, VT_ENCODE_DEAF);
	vt_rig_talk_misbehave(&t, VT_ENCODE_DROP);
	size_t before = t.c.count;
	vt_rig_talk_run(&t, T0 + 12500);
	cr_expect_eq(t.c.count, before, "no association, no readings");
	vt_rig_talk_misbehave(&t, VT_ENCODE_HEARING);
	vt_rig_talk_run(&t, T0 + 20500);
	cr_expect_eq(t.c.ninfo, 2, "answered at a retry");
	cr_expect_gt(t.c.count, before);
	vt_rig_talk_free(&t);
}

Test(philips_faults, the_association_is_released_on_disconnect)
{
	struct vt_rig_talk t;
	s_talk(&t);
	vt_rig_talk_run(&t, T0 + 2500);
	size_t wire = t.wire_len;
	vt_rig_talk_stop(&t);
	/* The monitor answered the release request with its response. */
	cr_assert_gt(t.wire_len, wire);
	cr_expect_eq(t.wire[wire], VT_IV_BOF);
	cr_expect_eq(t.wire[wire + 5], VT_IV_SPDU_DN, "release response");
	cr_expect_eq(t.driver->wake(t.dstate), INT64_MAX, "nothing more to do");
	vt_rig_talk_free(&t);
}

/* ---- the LAN framing ----------------------------------------------------------- */

Test(philips_lan, datagrams_carry_the_same_session)
{
	struct vt_driver_opts o = {.datagram = true, .poll_ms = 2000};
	struct vt_encode_config cfg;
	vt_encode_config_default(&cfg);
	cfg.datagram = true;
	cfg.data_port = 24105;
	struct vt_rig_talk t;
	cr_assert_eq(vt_rig_talk_start(&t, "philips-mib", &o, &cfg, T0), 0);
	vt_rig_talk_patient(&t.shown);
	vt_rig_talk_run(&t, T0 + 10500);
	/* The monitor announced itself first (a Connect Indication). */
	struct vt_iv_msg m;
	const char *why;
	cr_assert_gt(t.wire_len, 2);
	size_t first = (size_t)(t.wire[0] << 8 | t.wire[1]);
	cr_assert_eq(vt_iv_read(t.wire + 2, first, NULL, &m, &why), 0, "%s", why);
	cr_expect_eq(m.kind, VT_IV_MSG_CONN_INDIC);
	cr_expect_eq(m.id.data_port, 24105);
	/* Polled every 2 s from the association on. */
	cr_expect_eq(t.c.count, 6, "at 0, 2, ... 10 s: %zu", t.c.count);
	cr_expect_float_eq(vt_rig_talk_last(&t)->value[VT_ETCO2], 38, 1e-9);
	/* A datagram cut short is one dropped message; the next is read. */
	vt_rig_talk_misbehave(&t, VT_ENCODE_BAD_CHECK);
	vt_rig_talk_run(&t, T0 + 14500);
	struct vt_driver_stats st;
	t.driver->stats(t.dstate, &st);
	cr_expect_eq(st.dropped, 1);
	cr_expect_eq(t.c.count, 8, "the numerics at 12 and 14 s: %zu", t.c.count);
	/* However the stream is split, the same. */
	struct vt_rig_collect c = {0};
	const struct vt_driver *d = s_driver();
	for (int split = VT_RIG_WHOLE; split <= VT_RIG_RANDOM; split++) {
		void *s = calloc(1, d->state_size);
		d->reset(s, &o);
		struct vt_driver_sink sink = vt_rig_collect_sink(&c);
		uint32_t seed = 7;
		for (size_t at = 0; at < t.wire_len;) {
			size_t n = split == VT_RIG_WHOLE ? t.wire_len
			           : split == VT_RIG_BYTES ? 1
			                                  : 1 + vt_rig_rand(&seed) % 64;
			if (n > t.wire_len - at)
				n = t.wire_len - at;
			d->feed(s, t.wire + at, n, &sink);
			at += n;
		}
		cr_expect_eq(c.count, t.c.count, "split %d", split);
		vt_rig_collect_free(&c);
		free(s);
	}
	vt_rig_talk_free(&t);
}
