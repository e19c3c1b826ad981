/*
 * vitalsctl against a real daemon (a pty monitor on loopback ports): every
 * command, its human and --json output and its exit status; usage errors;
 * a daemon that is not there or does not answer (69, within the timeout);
 * and a table of malformed requests sent with raw ZeroMQ sockets, each of
 * which must get an error reply while the daemon goes on answering.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "support/support.h"

#define RULES                                                                                 \
	"  - name: spo2-low\n    parameter: spo2\n    below: 90\n    clear_at: 92\n"             \
	"    priority: high\n"
#define ALERT_ID "chair-1/spo2-low/1"
#define WAIT_MS 15000

static struct vt_rig_bed bed;
static struct vt_rig_daemon daemon_;

static void
s_setup(void)
{
	cr_assert_eq(vt_rig_bed_start(&bed, &daemon_, "vitalsctl", RULES), 0, "vitalsd did not start");
}

static void
s_teardown(void)
{
	vt_rig_bed_stop(&bed, &daemon_);
}

TestSuite(vitalsctl, .init = s_setup, .fini = s_teardown, .timeout = 90);

/* Run vitalsctl with `--connect ENDPOINT` and the NULL-terminated arguments. */
static int
s_ctl(struct vt_rig_output *r, const char *endpoint, ...)
{
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)vt_rig_build("vitalsctl");
	if (endpoint != NULL) {
		argv[n++] = "--connect";
		argv[n++] = (char *)endpoint;
	}
	va_list ap;
	va_start(ap, endpoint);
	for (const char *a; n < 31 && (a = va_arg(ap, const char *)) != NULL;)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	cr_assert_geq(vt_rig_run(argv, r), 0, "cannot run vitalsctl");
	return r->status;
}

/* The daemon's snapshot, parsed. */
static json_t *
s_snapshot(void)
{
	char *reply = vt_rig_request(daemon_.ctl, "{\"cmd\":\"snapshot\"}", 5000);
	cr_assert_not_null(reply, "no snapshot reply");
	json_t *o = json_loads(reply, 0, NULL);
	cr_assert_not_null(o, "snapshot is not JSON: %s", reply);
	free(reply);
	return o;
}

/* The active alert `id` in a snapshot, or NULL. */
static json_t *
s_alert(json_t *snap, const char *id)
{
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(snap, "alerts"), i, a)
	{
		if (strcmp(json_string_value(json_object_get(a, "id")), id) == 0)
			return a;
	}
	return NULL;
}

/* Feed low SpO2 until the alert is active (the daemon may be slow under sanitizers). */
static void
s_raise(void)
{
	int64_t deadline = vt_rig_now_ms() + WAIT_MS;
	for (;;) {
		vt_rig_pty_masimo(&bed.pty, 85, 97);
		json_t *snap = s_snapshot();
		bool raised = s_alert(snap, ALERT_ID) != NULL;
		json_decref(snap);
		if (raised)
			return;
		cr_assert_lt(vt_rig_now_ms(), deadline, "the alert was never raised");
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
}

Test(vitalsctl, ping)
{
	struct vt_rig_output r;
	cr_assert_eq(s_ctl(&r, daemon_.ctl, "ping", NULL), 0, "%s", r.err);
	cr_expect(strstr(r.out, "vitalsd 0.1.0 is up") != NULL, "ping says: %s", r.out);
	vt_rig_output_free(&r);

	cr_assert_eq(s_ctl(&r, daemon_.ctl, "--json", "ping", NULL), 0, "%s", r.err);
	json_t *o = json_loads(r.out, 0, NULL);
	cr_assert_not_null(o, "--json ping is not one JSON object: %s", r.out);
	cr_expect(json_is_true(json_object_get(o, "ok")));
	cr_expect_str_eq(json_string_value(json_object_get(o, "version")), "0.1.0");
	cr_expect(json_is_string(json_object_get(o, "instance")));
	json_decref(o);
	vt_rig_output_free(&r);
}

Test(vitalsctl, snapshot_lists_the_bed_and_the_alert)
{
	s_raise();
	struct vt_rig_output r;
	cr_assert_eq(s_ctl(&r, daemon_.ctl, "snapshot", NULL), 0, "%s", r.err);
	/* The bed table: a header, then chair-1 with its port, values and phase. */
	cr_expect(strstr(r.out, "BED") && strstr(r.out, "PORT") && strstr(r.out, "SpO2") &&
	              strstr(r.out, "FLAGS"),
	          "no bed table header:\n%s", r.out);
	cr_expect(strstr(r.out, "chair-1  connected") != NULL, "no chair-1 row:\n%s", r.out);
	cr_expect(strstr(r.out, "85") != NULL, "the SpO2 value is missing:\n%s", r.out);
	/* The alerts: priority, id, state and text. */
	cr_expect(strstr(r.out, "1 active alert") != NULL, "%s", r.out);
	const char *row = strstr(r.out, "high");
	cr_expect(row && strstr(row, ALERT_ID) && strstr(row, "active") &&
	              strstr(row, "SpO2 85 % below 90 %"),
	          "no alert row:\n%s", r.out);
	vt_rig_output_free(&r);

	cr_assert_eq(s_ctl(&r, daemon_.ctl, "--json", "snapshot", NULL), 0, "%s", r.err);
	json_t *o = json_loads(r.out, 0, NULL);
	cr_assert_not_null(o, "--json snapshot is not JSON: %s", r.out);
	cr_expect_not_null(s_alert(o, ALERT_ID));
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(o, "ports"), "chair-1")),
	                 "connected");
	json_decref(o);
	vt_rig_output_free(&r);
}

Test(vitalsctl, ack_then_the_snapshot_shows_it_acknowledged)
{
	s_raise();
	struct vt_rig_output r;
	cr_assert_eq(s_ctl(&r, daemon_.ctl, "ack", ALERT_ID, "--by", "station-2", NULL), 0, "%s",
	             r.err);
	cr_expect_str_eq(r.out, ALERT_ID " acknowledged\n");
	vt_rig_output_free(&r);

	json_t *snap = s_snapshot();
	json_t *a = s_alert(snap, ALERT_ID);
	cr_assert_not_null(a, "the alert went away when acknowledged");
	cr_expect(json_is_true(json_object_get(a, "acknowledged")));
	cr_expect_str_eq(json_string_value(json_object_get(a, "by")), "station-2");
	json_decref(snap);

	cr_assert_eq(s_ctl(&r, daemon_.ctl, "snapshot", NULL), 0);
	cr_expect(strstr(r.out, "acknowledged by station-2") != NULL, "%s", r.out);
	vt_rig_output_free(&r);
}

Test(vitalsctl, ack_of_a_bed_acknowledges_all_its_alerts)
{
	s_raise();
	struct vt_rig_output r;
	cr_assert_eq(s_ctl(&r, daemon_.ctl, "ack", "chair-1", "--by", "station-3", NULL), 0, "%s",
	             r.err);
	cr_expect_str_eq(r.out, "chair-1: 1 alert acknowledged: " ALERT_ID "\n");
	vt_rig_output_free(&r);
	json_t *snap = s_snapshot();
	json_t *a = s_alert(snap, ALERT_ID);
	cr_assert_not_null(a);
	cr_expect(json_is_true(json_object_get(a, "acknowledged")));
	cr_expect_str_eq(json_string_value(json_object_get(a, "by")), "station-3");
	json_decref(snap);
	/* Nothing left waiting: still ok, and says so. */
	cr_assert_eq(s_ctl(&r, daemon_.ctl, "ack", "chair-1", NULL), 0, "%s", r.err);
	cr_expect_str_eq(r.out, "chair-1: 0 alerts acknowledged\n");
	vt_rig_output_free(&r);
	cr_expect_eq(s_ctl(&r, daemon_.ctl, "ack", "chair-9", NULL), 1);
	cr_expect(strstr(r.err, "unknown bed \"chair-9\"") != NULL, "%s", r.err);
	vt_rig_output_free(&r);
}

Test(vitalsctl, ack_of_an_unknown_id_exits_1_with_the_error)
{
	struct vt_rig_output r;
	cr_expect_eq(s_ctl(&r, daemon_.ctl, "ack", "chair-1/nope/9", NULL), 1);
	cr_expect(strstr(r.err, "no active alert \"chair-1/nope/9\"") != NULL, "stderr: %s", r.err);
	cr_expect_str_eq(r.out, "");
	vt_rig_output_free(&r);

	/* --json prints the refusal as it came, and still exits 1. */
	cr_expect_eq(s_ctl(&r, daemon_.ctl, "--json", "ack", "chair-1/nope/9", NULL), 1);
	json_t *o = json_loads(r.out, 0, NULL);
	cr_assert_not_null(o, "%s", r.out);
	cr_expect(json_is_false(json_object_get(o, "ok")));
	json_decref(o);
	vt_rig_output_free(&r);
}

Test(vitalsctl, silence_pauses_the_bed)
{
	struct vt_rig_output r;
	cr_assert_eq(s_ctl(&r, daemon_.ctl, "silence", "chair-1", "2m", NULL), 0, "%s", r.err);
	cr_expect(strstr(r.out, "chair-1: audio paused until ") != NULL, "%s", r.out);
	vt_rig_output_free(&r);

	cr_assert_eq(s_ctl(&r, daemon_.ctl, "--json", "silence", "chair-1", "2m", "--by", "x", NULL),
	             0);
	json_t *o = json_loads(r.out, 0, NULL);
	cr_expect(json_is_string(json_object_get(o, "silenced_until")), "%s", r.out);
	json_decref(o);
	vt_rig_output_free(&r);

	json_t *snap = s_snapshot();
	cr_expect(json_is_string(json_object_get(json_object_get(snap, "silenced"), "chair-1")));
	json_decref(snap);

	cr_expect_eq(s_ctl(&r, daemon_.ctl, "silence", "chair-9", "2m", NULL), 1);
	cr_expect(strstr(r.err, "unknown bed \"chair-9\"") != NULL, "%s", r.err);
	vt_rig_output_free(&r);
}

Test(vitalsctl, phase_infusion_with_weight_and_dose)
{
	struct vt_rig_output r;
	cr_assert_eq(s_ctl(&r, daemon_.ctl, "phase", "chair-1", "infusion", "--weight", "70", "--dose",
	                   "0.5", NULL),
	             0, "%s", r.err);
	cr_expect_str_eq(r.out, "chair-1: phase infusion\n");
	/* No baseline phase came first: done, and said. */
	cr_expect(strstr(r.err, "warning: chair-1 has no baseline yet") != NULL, "%s", r.err);
	vt_rig_output_free(&r);

	json_t *snap = s_snapshot();
	json_t *s = json_object_get(json_object_get(snap, "sessions"), "chair-1");
	cr_expect_str_eq(json_string_value(json_object_get(s, "phase")), "infusion");
	cr_expect_eq(json_number_value(json_object_get(s, "weight_kg")), 70);
	cr_expect_eq(json_number_value(json_object_get(s, "dose_mg_per_kg_h")), 0.5);
	json_decref(snap);

	/* The human snapshot shows the phase and a dose. */
	cr_assert_eq(s_ctl(&r, daemon_.ctl, "snapshot", NULL), 0);
	cr_expect(strstr(r.out, "infusion") && strstr(r.out, " mg"), "%s", r.out);
	vt_rig_output_free(&r);
}

Test(vitalsctl, bad_phase_and_bad_bed)
{
	struct vt_rig_output r;
	cr_expect_eq(s_ctl(&r, daemon_.ctl, "phase", "chair-1", "sleeping", NULL), 64);
	cr_expect(strstr(r.err, "unknown phase \"sleeping\"") != NULL, "%s", r.err);
	vt_rig_output_free(&r);
	cr_expect_eq(s_ctl(&r, daemon_.ctl, "phase", "chair-9", "baseline", NULL), 1);
	cr_expect(strstr(r.err, "unknown bed") != NULL, "%s", r.err);
	vt_rig_output_free(&r);
	/* Out of the daemon's range: its refusal comes back as 1. */
	cr_expect_eq(s_ctl(&r, daemon_.ctl, "phase", "chair-1", "infusion", "--weight", "9000", NULL),
	             1);
	cr_expect(strstr(r.err, "weight_kg") != NULL, "%s", r.err);
	vt_rig_output_free(&r);
}

Test(vitalsctl, reload)
{
	struct vt_rig_output r;
	cr_expect_eq(s_ctl(&r, daemon_.ctl, "reload", NULL), 0, "%s", r.err);
	cr_expect_str_eq(r.out, "configuration reloaded\n");
	vt_rig_output_free(&r);
	cr_expect_eq(s_ctl(&r, daemon_.ctl, "ping", NULL), 0);
	vt_rig_output_free(&r);
}

/* ---- the command line ---------------------------------------------------- */

Test(vitalsctl, usage_errors_exit_64)
{
	static const struct {
		const char *args[6];
		const char *says;
	} cases[] = {
	    {{NULL}, "no command given"},
	    {{"frobnicate", NULL}, "unknown command \"frobnicate\""},
	    {{"ack", NULL}, "usage: vitalsctl ack ID|BED"},
	    {{"ping", "extra", NULL}, "usage: vitalsctl ping"},
	    {{"silence", "chair-1", NULL}, "usage: vitalsctl silence BED DURATION"},
	    {{"silence", "chair-1", "soon", NULL}, "not a duration"},
	    {{"--timeout", "0", "ping", NULL}, "--timeout"},
	    {{"--timeout", "abc", "ping", NULL}, "--timeout"},
	    {{"ack", "x", "--weight", "70", NULL}, "apply to phase only"},
	    {{"--by", "me", "snapshot", NULL}, "--by does not apply to snapshot"},
	    {{"phase", "chair-1", "infusion", "--dose", "lots", NULL}, "--dose"},
	    {{"--bogus", "ping", NULL}, "unknown or incomplete option"},
	    {{"--connect", "not-an-endpoint", "ping", NULL}, "cannot connect to not-an-endpoint"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[10] = {(char *)vt_rig_build("vitalsctl")};
		int n = 1;
		for (int j = 0; cases[i].args[j]; j++)
			argv[n++] = (char *)cases[i].args[j];
		argv[n] = NULL;
		struct vt_rig_output r;
		vt_rig_run(argv, &r);
		cr_expect_eq(r.status, 64, "case %zu: exit %d (stderr %s)", i, r.status, r.err);
		cr_expect(strstr(r.err, cases[i].says) != NULL, "case %zu: stderr lacks \"%s\": %s", i,
		          cases[i].says, r.err);
		vt_rig_output_free(&r);
	}
	struct vt_rig_output r;
	cr_expect_eq(s_ctl(&r, NULL, "--help", NULL), 0);
	cr_expect(strstr(r.out, "usage: vitalsctl") && strstr(r.out, "exit status"), "%s", r.out);
	vt_rig_output_free(&r);
}

/* ---- no daemon --------------------------------------------------------------- */

Test(vitalsctl, nothing_listening_exits_69_within_the_timeout)
{
	char ep[64];
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", vt_rig_free_port());
	struct vt_rig_output r;
	int64_t t0 = vt_rig_now_ms();
	cr_expect_eq(s_ctl(&r, ep, "--timeout", "1", "ping", NULL), 69);
	int64_t took = vt_rig_now_ms() - t0;
	cr_expect_geq(took, 900, "gave up after %lld ms, before its timeout",
	              (long long)took);
	cr_expect_lt(took, 4000, "took %lld ms for a 1 s timeout", (long long)took);
	cr_expect(strstr(r.err, "cannot reach vitalsd at") != NULL, "%s", r.err);
	vt_rig_output_free(&r);
}

Test(vitalsctl, a_peer_that_never_answers_exits_69)
{
	/* Something accepts the request and sits on it. */
	void *zctx = zmq_ctx_new();
	void *router = zmq_socket(zctx, ZMQ_ROUTER);
	int zero = 0;
	zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof(zero));
	cr_assert_eq(zmq_bind(router, "tcp://127.0.0.1:*"), 0);
	char ep[128];
	size_t len = sizeof(ep);
	zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &len);
	struct vt_rig_output r;
	int64_t t0 = vt_rig_now_ms();
	cr_expect_eq(s_ctl(&r, ep, "--timeout", "500ms", "snapshot", NULL), 69);
	cr_expect_lt(vt_rig_now_ms() - t0, 4000);
	cr_expect(strstr(r.err, "no reply from vitalsd") != NULL, "%s", r.err);
	vt_rig_output_free(&r);
	zmq_close(router);
	zmq_ctx_term(zctx);
}

/* ---- malformed requests ------------------------------------------------------ */

/* The reply to `body` sent through a REQ socket, parsed; asserts it came. */
static json_t *
s_raw_req(void *zctx, const void *body, size_t len)
{
	void *s = zmq_socket(zctx, ZMQ_REQ);
	int zero = 0, tmo = 5000;
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
	zmq_setsockopt(s, ZMQ_SNDTIMEO, &tmo, sizeof(tmo));
	cr_assert_eq(zmq_connect(s, daemon_.ctl), 0);
	cr_assert_geq(zmq_send(s, body, len, 0), 0);
	char buf[4096];
	int n = zmq_recv(s, buf, sizeof(buf) - 1, 0);
	zmq_close(s);
	cr_assert_geq(n, 0, "no reply to %.60s", (const char *)body);
	buf[n < (int)sizeof(buf) - 1 ? n : (int)sizeof(buf) - 1] = '\0';
	json_t *o = json_loads(buf, 0, NULL);
	cr_assert_not_null(o, "the reply is not JSON: %s", buf);
	return o;
}

static void
s_expect_error(json_t *o, const char *says, const char *what)
{
	cr_expect(json_is_false(json_object_get(o, "ok")), "%s: not refused", what);
	const char *e = json_string_value(json_object_get(o, "error"));
	cr_expect(e != NULL && *e, "%s: no error text", what);
	cr_expect(e && strstr(e, says), "%s: error \"%s\" lacks \"%s\"", what, e ? e : "", says);
	cr_expect_eq(json_object_size(o), 2, "%s: an error reply is ok and error only", what);
}

static void
s_expect_ping(void *zctx)
{
	json_t *o = s_raw_req(zctx, "{\"cmd\":\"ping\"}", 14);
	cr_expect(json_is_true(json_object_get(o, "ok")), "the daemon stopped answering ping");
	json_decref(o);
}

Test(vitalsctl, malformed_requests_get_error_replies)
{
	static char big[10 * 1024 + 1], huge[900 * 1024 + 1];
	memset(big, ' ', sizeof(big) - 1);
	memcpy(big, "{\"cmd\":\"ping\"}", 14);
	memset(huge, '[', sizeof(huge) - 1);
	static const struct {
		const char *what;
		const char *body;
		size_t len;      /* 0: strlen(body) */
		const char *says;
	} cases[] = {
	    {"not JSON", "hello", 0, "not JSON"},
	    {"truncated JSON", "{\"cmd\":", 0, "not JSON"},
	    {"JSON array", "[\"ping\"]", 0, "a request is a JSON object"},
	    {"JSON string", "\"ping\"", 0, "not JSON"},
	    {"empty object", "{}", 0, "missing \"cmd\""},
	    {"cmd not a string", "{\"cmd\":5}", 0, "missing \"cmd\""},
	    {"unknown cmd", "{\"cmd\":\"launch\"}", 0, "unknown command \"launch\""},
	    {"unknown member", "{\"cmd\":\"ping\",\"verbose\":true}", 0, "unknown member \"verbose\""},
	    {"ack without id", "{\"cmd\":\"ack\"}", 0, "give \"id\" (one alert) or \"bed\""},
	    {"ack with both", "{\"cmd\":\"ack\",\"id\":\"a/b/1\",\"bed\":\"a\"}", 0,
	     "give \"id\" (one alert) or \"bed\""},
	    {"ack of an empty bed", "{\"cmd\":\"ack\",\"bed\":\"\"}", 0, "\"bed\" must not be empty"},
	    {"ack id a number", "{\"cmd\":\"ack\",\"id\":3}", 0, "\"id\" must be a string"},
	    {"ack id empty", "{\"cmd\":\"ack\",\"id\":\"\"}", 0, "must not be empty"},
	    {"by a number", "{\"cmd\":\"ack\",\"id\":\"x\",\"by\":1}", 0, "\"by\" must be a string"},
	    {"silence without for", "{\"cmd\":\"silence\",\"bed\":\"chair-1\"}", 0, "missing \"for\""},
	    {"silence bad for", "{\"cmd\":\"silence\",\"bed\":\"chair-1\",\"for\":\"soon\"}", 0,
	     "\"for\""},
	    {"silence too long", "{\"cmd\":\"silence\",\"bed\":\"chair-1\",\"for\":\"2h\"}", 0,
	     "at most 1h"},
	    {"silence unknown bed", "{\"cmd\":\"silence\",\"bed\":\"x\",\"for\":\"1m\"}", 0,
	     "unknown bed"},
	    {"phase without phase", "{\"cmd\":\"phase\",\"bed\":\"chair-1\"}", 0, "missing \"phase\""},
	    {"phase unknown", "{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"nap\"}", 0,
	     "unknown phase"},
	    {"weight a string",
	     "{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"infusion\",\"weight_kg\":\"70\"}", 0,
	     "\"weight_kg\" must be a number"},
	    {"dose negative",
	     "{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"infusion\",\"dose_mg_per_kg_h\":-1}",
	     0, "\"dose_mg_per_kg_h\" must be a number"},
	    {"duplicate member", "{\"cmd\":\"ping\",\"cmd\":\"reload\"}", 0, "not JSON"},
	    {"invalid UTF-8", "{\"cmd\":\"\xff\xfe\"}", 0, "not JSON"},
	    {"NUL inside", "{\"cmd\":\"ping\"}\0trailing", 23, "not JSON"},
	    {"oversized 10 KiB", big, sizeof(big) - 1, "request too large"},
	    {"900 KiB of [", huge, sizeof(huge) - 1, "request too large"},
	    {"empty frame", "", 0, "not JSON"},
	};
	void *zctx = zmq_ctx_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].body);
		json_t *o = s_raw_req(zctx, cases[i].body, len);
		s_expect_error(o, cases[i].says, cases[i].what);
		json_decref(o);
	}
	s_expect_ping(zctx);
	zmq_ctx_term(zctx);
}

/* Send `n` frames through a DEALER; the frames of the reply. */
static int
s_dealer(void *zctx, const char *const *frames, int n, char out[][512], int max)
{
	void *s = zmq_socket(zctx, ZMQ_DEALER);
	int zero = 0, tmo = 5000;
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
	cr_assert_eq(zmq_connect(s, daemon_.ctl), 0);
	for (int i = 0; i < n; i++)
		cr_assert_geq(zmq_send(s, frames[i], strlen(frames[i]), i + 1 < n ? ZMQ_SNDMORE : 0), 0);
	int got = 0;
	int more = 1;
	while (more && got < max) {
		int len = zmq_recv(s, out[got], 511, 0);
		cr_assert_geq(len, 0, "no reply frame");
		out[got][len < 511 ? len : 511] = '\0';
		got++;
		size_t ml = sizeof(more);
		zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
	}
	zmq_close(s);
	return got;
}

Test(vitalsctl, dealer_clients_and_too_many_frames)
{
	void *zctx = zmq_ctx_new();
	char out[16][512];
	/* A DEALER that frames like REQ ([empty, body]) and one that sends the body alone. */
	const char *req_like[] = {"", "{\"cmd\":\"ping\"}"};
	int n = s_dealer(zctx, req_like, 2, out, 16);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(out[0], "");
	cr_expect(strstr(out[1], "\"ok\":true"), "%s", out[1]);
	const char *bare[] = {"{\"cmd\":\"ping\"}"};
	n = s_dealer(zctx, bare, 1, out, 16);
	cr_assert_eq(n, 1);
	cr_expect(strstr(out[0], "\"ok\":true"), "%s", out[0]);

	/* Twelve frames: refused, and the refusal is the last frame of the reply. */
	const char *many[12];
	for (int i = 0; i < 11; i++)
		many[i] = "x";
	many[11] = "{\"cmd\":\"ping\"}";
	n = s_dealer(zctx, many, 12, out, 16);
	cr_assert_geq(n, 1);
	json_t *o = json_loads(out[n - 1], 0, NULL);
	cr_assert_not_null(o, "last frame is not JSON: %s", out[n - 1]);
	s_expect_error(o, "too many message frames", "12 frames");
	json_decref(o);

	s_expect_ping(zctx);
	zmq_ctx_term(zctx);
}
