/*
 * HL7 monitors pushing to a live vitalsd over MLLP, beyond what
 * tests/test_live.c runs with the emulator as the monitor: a message
 * transcribed from a vendor's manual and a real Mindray monitor's messages,
 * sent by an independent client (Debian's python3-hl7), acknowledged AA and
 * shown on the bed that their PV1-3 or OBX-18 names; a batch in one frame;
 * a message without its control id answered AE with the reason; a monitor
 * in demo mode (the demo-data alarm, never a value); a blood pressure that
 * keeps its own measurement time. Every socket is on 127.0.0.1, every wait
 * a poll against a generous deadline.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "support/support.h"
#include "vitals/base/timefmt.h"

#define WAIT_MS 15000
#define MAX_MSGS 4096

/* The test's daemon, its subscriber and everything published so far. */
static struct {
	struct vt_rig_daemon d;
	char dir[64];
	char addr[32];        /* the listener, 127.0.0.1:PORT */
	void *sub;
	json_t *m[MAX_MSGS];  /* every message, in order */
	size_t n;
	bool up;
} R;

static void
s_teardown(void)
{
	if (R.sub != NULL)
		zmq_close(R.sub);
	if (R.up)
		vt_rig_daemon_stop(&R.d);
	for (size_t i = 0; i < R.n; i++)
		json_decref(R.m[i]);
	if (R.dir[0] != '\0')
		vt_rig_rmtree(R.dir);
	memset(&R, 0, sizeof(R));
}

TestSuite(live_hl7, .fini = s_teardown, .timeout = 120);

/*
 * vitalsd with `beds` (pairs of bed and hl7_id, the id NULL for none; a
 * NULL bed ends them) on one mllp:// listener, subscribed to from the start.
 */
static void
s_start(const char *const *beds)
{
	cr_assert_eq(vt_rig_tmpdir(R.dir, sizeof(R.dir), "hl7"), 0);
	snprintf(R.addr, sizeof(R.addr), "127.0.0.1:%d", vt_rig_free_port());
	char monitors[2048] = "";
	size_t used = 0;
	for (size_t i = 0; beds[i] != NULL; i += 2) {
		used += (size_t)snprintf(monitors + used, sizeof(monitors) - used,
		                         "  - bed: %s\n    port: mllp://%s\n    protocol: hl7-mllp\n"
		                         "    stale_after: 30s\n    nibp_stale_after: 30m\n",
		                         beds[i], R.addr);
		if (beds[i + 1] != NULL)
			used += (size_t)snprintf(monitors + used, sizeof(monitors) - used,
			                         "    hl7_id: '%s'\n", beds[i + 1]);
	}
	cr_assert_eq(vt_rig_daemon_start(&R.d, R.dir, "heartbeat: 1s\n", monitors, NULL), 0);
	R.up = true;
	R.sub = vt_rig_sub(R.d.pub, "", 0);
	cr_assert_not_null(R.sub);
	/* The subscription is through once the first heartbeat arrives. */
	cr_assert(vt_rig_wait_msg(R.sub, "heartbeat", NULL, WAIT_MS), "no heartbeat");
}

/* Receive what is published for up to wait_ms (less if nothing more comes). */
static void
s_pump(int wait_ms)
{
	char topic[128];
	static char body[65536];
	while (R.n < MAX_MSGS && vt_rig_recv(R.sub, topic, sizeof(topic), body, sizeof(body),
	                                     wait_ms) >= 0) {
		json_t *o = json_loads(body, 0, NULL);
		cr_assert_not_null(o, "not JSON: %s", body);
		R.m[R.n++] = o;
		wait_ms = 0;
	}
}

static const char *
s_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "";
}

static bool
s_is(const json_t *o, const char *type, const char *bed)
{
	return strcmp(s_str(o, "type"), type) == 0 && (bed == NULL || strcmp(s_str(o, "bed"), bed) == 0);
}

/* A vitals message's value of `param`, NAN for null or absent. */
static double
s_val(const json_t *o, const char *param)
{
	const json_t *v = json_object_get(json_object_get(o, "values"), param);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The first vitals of `bed` from `from` on whose `param` is v; -1 after the deadline. */
static long
s_wait_value(size_t from, const char *bed, const char *param, double v)
{
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	for (size_t i = from;;) {
		for (; i < R.n; i++)
			if (s_is(R.m[i], "vitals", bed) && fabs(s_val(R.m[i], param) - v) < 1e-9)
				return (long)i;
		if (vt_rig_now_ms() > end)
			return -1;
		s_pump(100);
	}
}

/* The first alert of `bed` from `from` on with this rule and event; -1 after the deadline. */
static long
s_wait_alert(size_t from, const char *bed, const char *rule, const char *event)
{
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	for (size_t i = from;;) {
		for (; i < R.n; i++)
			if (s_is(R.m[i], "alert", bed) && strcmp(s_str(R.m[i], "rule"), rule) == 0 &&
			    strcmp(s_str(R.m[i], "event"), event) == 0)
				return (long)i;
		if (vt_rig_now_ms() > end)
			return -1;
		s_pump(100);
	}
}

/* How many vitals of `bed` in [from, to) show `param` at v. */
static int
s_count_value(size_t from, size_t to, const char *bed, const char *param, double v)
{
	int n = 0;
	for (size_t i = from; i < to && i < R.n; i++)
		n += s_is(R.m[i], "vitals", bed) && fabs(s_val(R.m[i], param) - v) < 1e-9;
	return n;
}

/* A file of tests/data/hl7/. */
static const char *
s_data(const char *name)
{
	static char bufs[4][512];
	static int next;
	char *b = bufs[next++ % 4];
	snprintf(b, sizeof(bufs[0]), "tests/data/hl7/%s", name);
	return vt_rig_root(b);
}

/* A milliseconds member of a message: its RFC 3339 `key` inside `obj` (or the message). */
static int64_t
s_time_of(const json_t *o, const char *obj, const char *key)
{
	const json_t *in = obj != NULL ? json_object_get(o, obj) : o;
	int64_t t = 0;
	cr_assert_eq(vt_time_parse(s_str(in, key), &t), 0, "%s.%s is not a time", obj ? obj : "",
	             key);
	return t;
}

/*
 * GE's manual documents what a B40 sends (tests/data/hl7/README.md): sent
 * by python3-hl7 with a message of another monitor, each goes to the bed
 * whose hl7_id it carries: the B40's id in OBX-18 for one, PV1-3 for the
 * other. The second one's cuff reading, measured five minutes before the
 * message, keeps that time.
 */
Test(live_hl7, a_documented_ge_message_gets_aa_and_its_values_on_the_bed_its_obx18_names)
{
	static const char *const beds[] = {"chair-4", "080019FFFE0B4020", "chair-5", "ICU^^12", NULL, NULL};
	s_start(beds);
	char out[512];
	const char *files[] = {s_data("ge-b40-manual-example.hl7"), s_data("pcd01-numerics.hl7"), NULL};
	vt_rig_hl7_send(R.addr, out, sizeof(out), files);
	cr_assert_str_eq(out, "004097134535 AA 004097134535\n42 AA 42\n");

	/* The B40's rows: HR, SpO2, the airway module's breathing rate, the first temperature. */
	static const struct {
		const char *param;
		double v;
	} ge[] = {{"hr", 80}, {"spo2", 100}, {"rr", 18}, {"temp", 37.1}};
	long last = 0;
	for (size_t k = 0; k < sizeof(ge) / sizeof(ge[0]); k++) {
		long i = s_wait_value(0, "chair-4", ge[k].param, ge[k].v);
		cr_assert_geq(i, 0, "chair-4 never showed %s %g", ge[k].param, ge[k].v);
		last = i > last ? i : last;
	}
	long five = s_wait_value(0, "chair-5", "nibp_sys", 128);
	cr_assert_geq(five, 0, "chair-5 never showed the cuff reading of its message");
	s_pump(1500);
	for (size_t i = 0; i < R.n; i++) {
		if (s_is(R.m[i], "vitals", "chair-4")) {
			cr_assert(isnan(s_val(R.m[i], "nibp_sys")) && isnan(s_val(R.m[i], "pr")) &&
			          isnan(s_val(R.m[i], "etco2")),
			          "chair-4 shows a value the B40's rows do not have");
			cr_assert(isnan(s_val(R.m[i], "hr")) || s_val(R.m[i], "hr") == 80,
			          "chair-4 shows another monitor's heart rate %g", s_val(R.m[i], "hr"));
			cr_assert(isnan(s_val(R.m[i], "rr")) || s_val(R.m[i], "rr") == 18,
			          "chair-4's breathing rate %g is not the first row's", s_val(R.m[i], "rr"));
		}
		if (s_is(R.m[i], "vitals", "chair-5"))
			cr_assert(isnan(s_val(R.m[i], "hr")) || s_val(R.m[i], "hr") == 72,
			          "chair-5 shows another monitor's heart rate %g", s_val(R.m[i], "hr"));
	}

	/* Measured at 09:55 by the monitor's clock, sent at 10:00: five minutes old on arrival. */
	const json_t *m = R.m[five];
	int64_t age = json_integer_value(json_object_get(json_object_get(m, "age_s"), "nibp_sys"));
	cr_expect(age >= 300 && age <= 302, "the cuff reading is %lld s old", (long long)age);
	int64_t measured = s_time_of(m, "measured", "nibp_sys"), at = s_time_of(m, NULL, "time");
	cr_expect(at - measured >= 300000 && at - measured <= 302000,
	          "measured %lld ms before the message that shows it", (long long)(at - measured));
}

/* An MLLP frame around `text`. */
static void
s_frame(int fd, const char *text)
{
	vt_rig_mllp_write(fd, "\x0b", 1);
	vt_rig_mllp_write(fd, text, strlen(text));
	vt_rig_mllp_write(fd, "\x1c\r", 2);
}

#define ORU(id, hr)                                                                        \
	"MSH|^~\\&|MON^0123456789ABCDEF^EUI-64|FAC|||20261121100000+0100||ORU^R01^ORU_R01|" id \
	"|P|2.6\rPV1||I|ICU^^12\r"                                                             \
	"OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.147842|" hr "|264864^^MDC|||||R\r"

/*
 * A gateway's batch (FHS/BHS, two messages, BTS/FTS) in one frame: each
 * message answered AA on the connection and read. Then a message without
 * its control id: AE, and the reason in MSA-3 and ERR-8.
 */
Test(live_hl7, a_batch_in_one_frame_and_a_message_without_its_id)
{
	static const char *const beds[] = {"chair-4", NULL, NULL};
	s_start(beds);
	int fd = vt_rig_mllp_connect(R.addr);
	s_frame(fd, "FHS|^~\\&|GW\rBHS|^~\\&|GW\r" ORU("B61", "61") ORU("B62", "62") "BTS|2\rFTS|1\r");
	char ack[2048];
	cr_assert_gt(vt_rig_mllp_read(fd, ack, sizeof(ack), WAIT_MS), 0, "no acknowledgement");
	cr_assert_not_null(strstr(ack, "\rMSA|AA|B61\r"), "%s", ack);
	cr_assert_gt(vt_rig_mllp_read(fd, ack, sizeof(ack), WAIT_MS), 0, "no second acknowledgement");
	cr_assert_not_null(strstr(ack, "\rMSA|AA|B62\r"), "%s", ack);
	cr_assert_geq(s_wait_value(0, "chair-4", "hr", 61), 0, "the first message of the batch");
	cr_assert_geq(s_wait_value(0, "chair-4", "hr", 62), 0, "the second message of the batch");

	s_frame(fd, "MSH|^~\\&|MON||||20261121100005+0100||ORU^R01^ORU_R01||P|2.6\rPV1||I|ICU^^12\r");
	cr_assert_gt(vt_rig_mllp_read(fd, ack, sizeof(ack), WAIT_MS), 0, "no answer to a bad message");
	cr_assert_not_null(strstr(ack, "\rMSA|AE||MSH-10"), "%s", ack);
	cr_assert_not_null(strstr(ack, "\rERR|"), "the reason is not in ERR: %s", ack);
	close(fd);
}

/*
 * A monitor switched to demo mode (every OBX-8 DEMO): the demo-data
 * technical alarm, and none of its values on the bed; back to patient data,
 * the alarm clears and the values come.
 */
Test(live_hl7, demo_mode_raises_demo_data_and_shows_no_value)
{
	static const char *const beds[] = {"chair-4", NULL, NULL};
	s_start(beds);
	char out[256];
	const char *patient[] = {s_data("pcd01-numerics.hl7"), NULL};
	const char *demo[] = {s_data("pcd01-demo-mode.hl7"), NULL};
	vt_rig_hl7_send(R.addr, out, sizeof(out), patient);
	cr_assert_geq(s_wait_value(0, "chair-4", "spo2", 97), 0);
	size_t from = R.n;
	vt_rig_hl7_send(R.addr, out, sizeof(out), demo);
	cr_assert_str_eq(out, "45 AA 45\n");
	long raised = s_wait_alert(from, "chair-4", "demo-data", "raised");
	cr_assert_geq(raised, 0, "no demo-data alarm");
	cr_assert_str_eq(s_str(R.m[raised], "kind"), "technical");
	s_pump(1500);
	size_t demo_end = R.n;
	vt_rig_hl7_send(R.addr, out, sizeof(out), patient);
	cr_assert_geq(s_wait_alert(demo_end, "chair-4", "demo-data", "cleared"), 0,
	              "demo-data did not clear with patient data");
	cr_assert_geq(s_wait_value(demo_end, "chair-4", "spo2", 97), 0, "no values after demo mode");
	/* Not one of the demo's values, ever. */
	static const struct {
		const char *param;
		double v;
	} demo_values[] = {{"hr", 60}, {"spo2", 100}, {"pr", 80}, {"nibp_sys", 166}, {"nibp_dia", 100}};
	for (size_t k = 0; k < sizeof(demo_values) / sizeof(demo_values[0]); k++)
		cr_expect_eq(s_count_value(0, R.n, "chair-4", demo_values[k].param, demo_values[k].v), 0,
		             "the demo's %s %g was shown", demo_values[k].param, demo_values[k].v);
	/* While in demo mode the bed shows no value at all. */
	for (size_t i = (size_t)raised; i < demo_end; i++)
		if (s_is(R.m[i], "vitals", "chair-4"))
			cr_expect(isnan(s_val(R.m[i], "spo2")) && isnan(s_val(R.m[i], "hr")),
			          "a value shown in demo mode");
}

/*
 * vitalsd with chair-4 the monitor whose hl7_id is `id`, sent the capture
 * `name` (read from the shared captures, never copied into the tree; the
 * test skipped without them) by python3-hl7: its acknowledgements must be
 * `acks`.
 */
static void
s_send_capture(const char *name, const char *id, const char *acks)
{
	const char *cap = vt_rig_capture(name);
	const char *const beds[] = {"chair-4", id, NULL, NULL};
	s_start(beds);
	char out[256];
	const char *files[] = {cap, NULL};
	vt_rig_hl7_send(R.addr, out, sizeof(out), files);
	cr_assert_str_eq(out, acks);
}

/* The real VS-900 in demo mode: the same. */
Test(live_hl7, a_real_mindray_in_demo_mode)
{
	s_send_capture("mindray_vs900_oru_r01_demo_mode_embedded_b.hl7", "00A0370098006640",
	               "13 AA 13\n");
	long raised = s_wait_alert(0, "chair-4", "demo-data", "raised");
	cr_assert_geq(raised, 0, "no demo-data alarm");
	s_pump(1500);
	/* Its SpO2 100, PR 80, NIBP 166/100: none of them the patient's. */
	cr_expect_eq(s_count_value(0, R.n, "chair-4", "spo2", 100), 0);
	cr_expect_eq(s_count_value(0, R.n, "chair-4", "pr", 80), 0);
	cr_expect_eq(s_count_value(0, R.n, "chair-4", "nibp_sys", 166), 0);
}

/*
 * A Mindray monitor's site data: its ECG lead-off alarm (PCD-04) becomes the
 * bed's technical alarm, marked as the monitor's own; its waveform message
 * is acknowledged and read as no values.
 */
Test(live_hl7, a_real_mindray_lead_off_alarm_is_the_monitors_own)
{
	s_send_capture("mindray_oru_r40_r01_panda666789.hl7", "HDU^507^3", "1 AA 1\n1227 AA 1227\n");
	long r = s_wait_alert(0, "chair-4", "monitor:MDC_EVT_LEAD_OFF", "raised");
	cr_assert_geq(r, 0, "the monitor's lead-off alarm was not raised");
	cr_expect_str_eq(s_str(R.m[r], "source"), "monitor");
	cr_expect_str_eq(s_str(R.m[r], "kind"), "technical");
	cr_expect_str_eq(s_str(R.m[r], "priority"), "low");
	s_pump(1500);
	for (size_t i = 0; i < R.n; i++)
		if (s_is(R.m[i], "vitals", "chair-4"))
			cr_expect(isnan(s_val(R.m[i], "hr")) && isnan(s_val(R.m[i], "spo2")),
			          "a waveform message gave a value");
}
