/*
 * vitals-hl7 end to end: a real daemon with a monitor on a pty, the bridge,
 * and an interface engine played by tests/hl7_listen.py, an MLLP listener
 * that parses every message with Debian's python3-hl7 (not our reader) and
 * acknowledges it. Checked from what the listener parsed: the OBX codes,
 * units and values of the observations, the PCD-04 sequence of an alarm
 * (start, escalate, audio paused, acknowledged, end), resends after
 * refusals being the same message, and, with the listener stopped while
 * the daemon restarts, that every message arrives once it is back, in
 * order, the old run's alarm ended once and the new run's reported.
 *
 * The outage lasts a minute (VT_HL7_OUTAGE_MS: 60000), the bridge retrying
 * on the schedule of its defaults (1 s, doubled) capped at 5 s, so that the
 * minute is mostly retries at the cap, the steady state of any longer
 * outage, and the listener's return is noticed within 5 s: a minute of
 * observations waits in the queue and all of it arrives, in order. The
 * rest of the test is event-driven: every wait is for an event, with a
 * generous deadline; the monitor is fed a line every 250 ms as a device
 * would, which paces and never synchronises. Sockets bind 127.0.0.1.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include "support/support.h"

#define WAIT_MS 20000
#define PYTHON "/usr/bin/python3"
#define RULES                                                                                 \
	"  - {name: spo2-low, parameter: spo2, below: 90, priority: medium, escalate_after: 1s}\n"

struct rig {
	struct vt_rig_bed bed;
	struct vt_rig_daemon d;
	struct vt_rig_child engine, bridge;
	int port;               /* the engine's */
	int hold;               /* the engine's port held while it is down, or -1 */
	char config[320];
	json_t *got;            /* every message the engine parsed, in order */
	char parsed[320];       /* where the engine writes them */
	size_t taken;           /* bytes of it taken into got */
	int spo2;               /* what the monitor shows */
};

static struct rig r;

/* Is Debian's python3-hl7 there? */
static void
s_need_python_hl7(void)
{
	char *argv[] = {PYTHON, "-c", "import hl7.mllp", NULL};
	struct vt_rig_output out;
	if (vt_rig_run(argv, &out) != 0) {
		vt_rig_output_free(&out);
		cr_skip_test("python3-hl7 is missing (scripts/deps.sh installs it)");
	}
	vt_rig_output_free(&out);
}

/* Start the engine on r.port (a free one below the ephemeral range: see s_setup). */
static void
s_engine_start(const char *refuse)
{
	char port[16], log[320];
	snprintf(port, sizeof(port), "%d", r.port);
	snprintf(log, sizeof(log), "%s/engine.log", r.bed.dir);
	char script[4096];
	snprintf(script, sizeof(script), "%s", vt_rig_root("tests/hl7_listen.py"));
	snprintf(r.parsed, sizeof(r.parsed), "%s/parsed.jsonl", r.bed.dir);
	char *argv[] = {PYTHON, script, port, "--out", r.parsed, refuse ? "--refuse" : NULL,
	                (char *)refuse, NULL};
	cr_assert_eq(vt_rig_child_start(&r.engine, "hl7_listen.py", argv, log, true), 0);
	cr_assert(vt_rig_child_line(&r.engine, WAIT_MS), "the listener did not start; see %s", log);
	cr_assert_eq(sscanf(r.engine.line, "listening %d", &r.port), 1, "%s", r.engine.line);
}

/* The bridge's retries, unless a test says otherwise: quick, for the tests without an outage. */
#define QUICK_RETRY "retry: 100ms\nretry_max: 400ms\n"

/* Start the bridge with `retry` (its retry keys) and `extra` (more keys, or NULL). */
static void
s_bridge_start(const char *retry, const char *extra)
{
	char text[2048], log[320];
	snprintf(text, sizeof(text),
	         "publish: %s\ncontrol: %s\nengine: 127.0.0.1:%d\nqueue_dir: %s/q\ninterval: 1s\n"
	         "ack_timeout: 3s\n%ssending_facility: TEST\n"
	         "beds:\n  - {bed: chair-1, location: INF^1^CHAIR1, device: 00A0370000000001}\n%s",
	         r.d.pub, r.d.ctl, r.port, r.bed.dir, retry, extra ? extra : "");
	cr_assert_eq(vt_rig_write_file(r.bed.dir, "vitals-hl7.yaml", text, r.config, sizeof(r.config)),
	             0);
	snprintf(log, sizeof(log), "%s/vitals-hl7.log", r.bed.dir);
	char prog[4096];
	snprintf(prog, sizeof(prog), "%s", vt_rig_build("vitals-hl7"));
	char *check[] = {prog, "-c", r.config, "-n", NULL};
	struct vt_rig_output out;
	cr_assert_eq(vt_rig_run(check, &out), 0, "%s", out.err);
	vt_rig_output_free(&out);
	char *argv[] = {prog, "-c", r.config, "-v", NULL};
	cr_assert_eq(vt_rig_child_start(&r.bridge, "vitals-hl7", argv, log, false), 0);
	cr_assert(vt_rig_file_has(log, "following", WAIT_MS), "vitals-hl7 did not start; see %s", log);
}

static void
s_setup(void)
{
	memset(&r, 0, sizeof(r));
	r.engine.out = r.bridge.out = -1;
	r.hold = -1;
	s_need_python_hl7();
	/* Not a port of the ephemeral range, which any connection on the machine may take while
	 * the engine is down; vt_rig_free_port chooses below it. */
	r.port = vt_rig_free_port();
	cr_assert_gt(r.port, 0);
	cr_assert_eq(vt_rig_bed_start(&r.bed, &r.d, "hl7", RULES), 0, "vitalsd did not start");
	r.got = json_array();
	r.spo2 = 97;
}

static void
s_teardown(void)
{
	if (r.bridge.pid > 0)
		cr_expect_eq(vt_rig_child_stop(&r.bridge, SIGTERM, 5000), 0,
		             "vitals-hl7 stops cleanly on SIGTERM (and leaks nothing); see %s", r.bridge.log);
	if (r.engine.pid > 0)
		vt_rig_child_stop(&r.engine, SIGTERM, 5000);
	if (r.hold >= 0)
		close(r.hold);
	if (r.d.proc.pid > 0)
		vt_rig_bed_stop(&r.bed, &r.d);
	json_decref(r.got);
}

TestSuite(hl7_bridge, .init = s_setup, .fini = s_teardown, .timeout = 180);

/* A parsed message's alarm member `key` ("phase", ...), or "". */
static const char *
s_alarm(json_t *m, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(m, "alarm"), key));
	return s ? s : "";
}

static bool
s_is_r40(json_t *m)
{
	return strncmp(json_string_value(json_object_get(m, "type")), "ORU^R40", 7) == 0;
}

/* An OBX of a message by its code, or NULL. */
static json_t *
s_obx(json_t *m, const char *code)
{
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(m, "obx"), i, o)
		if (strcmp(json_string_value(json_object_get(o, "code")), code) == 0)
			return o;
	return NULL;
}

static const char *
s_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* The next message the engine parsed (kept in r.got), or NULL if none is new. */
static json_t *
s_next_parsed(void)
{
	size_t len;
	char *text = vt_rig_slurp(r.parsed, &len);
	char *nl = text != NULL && len > r.taken ? memchr(text + r.taken, '\n', len - r.taken) : NULL;
	if (nl == NULL) {
		free(text);
		return NULL;
	}
	json_t *m = json_loadb(text + r.taken, (size_t)(nl - text) - r.taken, 0, NULL);
	cr_assert_not_null(m, "the listener wrote: %.*s", (int)(nl - text - r.taken), text + r.taken);
	cr_assert_null(json_object_get(m, "error"), "python3-hl7 could not parse a message: %.*s",
	               (int)(nl - text - r.taken), text + r.taken);
	r.taken = (size_t)(nl + 1 - text);
	free(text);
	json_array_append_new(r.got, m);
	return m;
}

/*
 * Feed the monitor and collect what the engine parses until `until` holds
 * for a message, or the deadline. The message, or NULL.
 */
static json_t *
s_wait(bool (*until)(json_t *m, const void *arg), const void *arg, int timeout_ms)
{
	int64_t deadline = vt_rig_now_ms() + timeout_ms, next_line = 0;
	while (vt_rig_now_ms() < deadline) {
		if (vt_rig_now_ms() >= next_line) {
			cr_assert_eq(vt_rig_pty_masimo(&r.bed.pty, r.spo2, 72), 0);
			next_line = vt_rig_now_ms() + 250;
		}
		json_t *m = s_next_parsed();
		if (m == NULL) {
			vt_rig_sleep_ms(50);
			continue;
		}
		if (until(m, arg))
			return m;
	}
	return NULL;
}

static bool
s_r40_phase(json_t *m, const void *arg)
{
	return s_is_r40(m) && strcmp(s_alarm(m, "phase"), (const char *)arg) == 0;
}

static bool
s_r40_inactivation(json_t *m, const void *arg)
{
	return s_is_r40(m) && strcmp(s_alarm(m, "inactivation"), (const char *)arg) == 0;
}

/* An R01 whose SpO2 is `arg`. */
static bool
s_r01_spo2(json_t *m, const void *arg)
{
	json_t *o = s_is_r40(m) ? NULL : s_obx(m, "150456");
	return o != NULL && strcmp(s_str(o, "value"), (const char *)arg) == 0;
}

static bool
s_answered(json_t *m, const void *arg)
{
	return strcmp(s_str(m, "answered"), (const char *)arg) == 0;
}

/* An R40 start whose OBR-3 (the alarm) is not `arg`'s. */
static bool
s_r40_start_other_than(json_t *m, const void *arg)
{
	return s_r40_phase(m, "start") && strcmp(s_str(m, "obr3"), (const char *)arg) != 0;
}

static void
s_request(const char *json)
{
	char *reply = vt_rig_request(r.d.ctl, json, 5000);
	cr_assert(reply != NULL && strstr(reply, "\"ok\":true") != NULL, "%s: %s", json,
	          reply ? reply : "no reply");
	free(reply);
}

/* The alarm reports the engine got, for messages: "MSH-13 OBR-3 phase inactivation priority; ...". */
static const char *
s_reports(void)
{
	static char buf[4096];
	size_t used = 0, i;
	json_t *m;
	buf[0] = '\0';
	json_array_foreach(r.got, i, m)
		if (s_is_r40(m) && used < sizeof(buf))
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s %s %s %s %s; ",
			                         s_str(m, "sequence"), s_str(m, "obr3"), s_alarm(m, "phase"),
			                         s_alarm(m, "inactivation"), s_alarm(m, "priority"));
	return buf;
}

/* The messages the engine got are in order: each MSH-13 is the one before + 1. */
static void
s_check_order(size_t *dups)
{
	long long prev = 0;
	const char *prev_id = "";
	*dups = 0;
	size_t i;
	json_t *m;
	json_array_foreach(r.got, i, m)
	{
		long long seq = atoll(s_str(m, "sequence"));
		const char *id = s_str(m, "control_id");
		if (seq == prev) {
			/* Only a resend: the same message again (its ACK was lost or refused). */
			cr_expect_str_eq(id, prev_id, "message %zu repeats MSH-13 %lld with another MSH-10", i,
			                 seq);
			(*dups)++;
		} else {
			cr_expect_eq(seq, prev + 1, "message %zu: MSH-13 %lld after %lld", i, seq, prev);
		}
		prev = seq;
		prev_id = id;
	}
}

Test(hl7_bridge, observations_and_the_alarm_sequence)
{
	s_engine_start(NULL);
	s_bridge_start(QUICK_RETRY, NULL);
	json_t *m = s_wait(s_r01_spo2, "97", WAIT_MS);
	cr_assert_not_null(m, "no observations with SpO2 97 in %d ms", WAIT_MS);
	cr_expect_str_eq(s_str(m, "type"), "ORU^R01^ORU_R01");
	cr_expect_str_eq(s_str(m, "location"), "INF^1^CHAIR1");
	cr_expect_str_eq(s_str(m, "profile"), "IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO");
	static const char *const want[][4] = {
	    /* code, OBX-4, value, unit */
	    {"69965", "1.0.0.0", "", ""},
	    {"150456", "1.1.1.1", "97", "262688^MDC_DIM_PERCENT^MDC"},
	    {"149530", "1.1.1.2", "72", "264864^MDC_DIM_BEAT_PER_MIN^MDC"},
	    {"150488", "1.1.1.3", "3.6", "262688^MDC_DIM_PERCENT^MDC"}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		json_t *o = s_obx(m, want[i][0]);
		cr_assert_not_null(o, "no OBX %s", want[i][0]);
		cr_expect_str_eq(s_str(o, "sub"), want[i][1], "OBX-4 of %s", want[i][0]);
		cr_expect_str_eq(s_str(o, "value"), want[i][2], "OBX-5 of %s", want[i][0]);
		cr_expect_str_eq(s_str(o, "unit"), want[i][3], "OBX-6 of %s", want[i][0]);
		cr_expect_str_eq(s_str(o, "equipment"), "00A0370000000001^VITALSD", "OBX-18 of %s",
		                 want[i][0]);
	}

	/* The alarm: raised, escalated after 1 s, paused, acknowledged, cleared. */
	r.spo2 = 85;
	json_t *start = s_wait(s_r40_phase, "start", WAIT_MS);
	cr_assert_not_null(start, "no R40 start");
	cr_expect_str_eq(s_alarm(start, "priority"), "PM");
	cr_expect_str_eq(s_alarm(start, "state"), "active");
	cr_expect_str_eq(s_alarm(start, "inactivation"), "enabled");
	cr_expect_str_eq(s_alarm(start, "kind"), "SP");
	cr_expect_str_eq(s_alarm(start, "event"), "196674", "below its limit");
	cr_expect_str_eq(s_alarm(start, "source"), "150456");
	cr_expect_str_eq(s_alarm(start, "value"), "85");
	cr_expect_str_eq(s_str(start, "obr4"), "196616^MDC_EVT_ALARM^MDC");
	char uid[256];
	snprintf(uid, sizeof(uid), "%s", s_str(start, "obr3"));
	cr_expect(strstr(uid, "/chair-1/spo2-low/1^VITALSD") != NULL, "%s", uid);
	json_t *esc = s_wait(s_r40_phase, "escalate", WAIT_MS);
	cr_assert_not_null(esc, "no R40 escalate");
	cr_expect_str_eq(s_alarm(esc, "priority"), "PH");
	s_request("{\"cmd\":\"silence\",\"bed\":\"chair-1\",\"for\":\"1m\",\"by\":\"test\"}");
	cr_assert_not_null(s_wait(s_r40_inactivation, "audio-paused", WAIT_MS), "no R40 audio-paused");
	s_request("{\"cmd\":\"ack\",\"id\":\"chair-1/spo2-low/1\",\"by\":\"test\"}");
	json_t *ack = s_wait(s_r40_inactivation, "alert-acknowledged", WAIT_MS);
	cr_assert_not_null(ack, "no R40 acknowledged");
	cr_expect_str_eq(s_alarm(ack, "phase"), "update");
	r.spo2 = 96;
	json_t *end = s_wait(s_r40_phase, "end", WAIT_MS);
	cr_assert_not_null(end, "no R40 end");
	cr_expect_str_eq(s_alarm(end, "state"), "inactive");
	cr_assert_not_null(s_wait(s_r01_spo2, "96", WAIT_MS));

	/* Exactly these reports of the alarm, in this order, under one OBR-3. */
	static const char *const seq[] = {"start", "escalate", "update", "update", "end"};
	size_t n = 0, i;
	json_array_foreach(r.got, i, m)
	{
		if (!s_is_r40(m))
			continue;
		cr_assert_lt(n, 5, "more than five reports: %s", s_reports());
		cr_expect_str_eq(s_alarm(m, "phase"), seq[n], "report %zu", n);
		cr_expect_str_eq(s_str(m, "obr3"), uid);
		n++;
	}
	cr_expect_eq(n, 5);
	size_t dups;
	s_check_order(&dups);
	cr_expect_eq(dups, 0, "no resend while the engine answers");
}

/* The engine refuses twice: the third attempt is the same message, byte for byte where it counts. */
Test(hl7_bridge, a_refused_message_is_sent_again_unchanged)
{
	s_engine_start("2");
	s_bridge_start(QUICK_RETRY, "reject_after: 0\n");
	cr_assert_not_null(s_wait(s_answered, "AA", WAIT_MS), "no message accepted");
	cr_assert_eq(json_array_size(r.got), 3, "two refusals, then the same message accepted");
	json_t *a = json_array_get(r.got, 0), *b = json_array_get(r.got, 2);
	cr_expect_str_eq(s_str(a, "answered"), "AE");
	cr_expect_str_eq(s_str(json_array_get(r.got, 1), "answered"), "AE");
	cr_expect_str_eq(s_str(b, "answered"), "AA");
	static const char *const same[] = {"control_id", "sequence", "created"};
	for (size_t i = 0; i < 3; i++)
		cr_expect_str_eq(s_str(a, same[i]), s_str(b, same[i]), "%s differs on the resend",
		                 same[i]);
	cr_expect(vt_rig_file_has(r.bridge.log, "refused", 0), "the refusals are logged");
	size_t dups;
	s_check_order(&dups);
	cr_expect_eq(dups, 2);
}

/* Occurrences of `needle` in the bridge's log. */
static int
s_logged(const char *needle)
{
	char *log = vt_rig_slurp(r.bridge.log, NULL);
	int n = 0;
	for (const char *p = log; p != NULL && (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(log);
	return n;
}

static bool
s_never(json_t *m, const void *arg)
{
	return false;
}

/* Feed the monitor until the bridge has logged `needle` `count` times. */
static void
s_until_logged(const char *needle, int count)
{
	int64_t deadline = vt_rig_now_ms() + WAIT_MS;
	while (s_logged(needle) < count) {
		cr_assert_lt(vt_rig_now_ms(), deadline, "the bridge did not log \"%s\" %d times; see %s",
		             needle, count, r.bridge.log);
		s_wait(s_never, NULL, 250);
	}
}

/* An HL7 time as the bridge writes it (20261121090119.000+0000) in ms since the epoch, or -1. */
static int64_t
s_hl7_ms(const char *t)
{
	struct tm tm = {0};
	int ms = 0;
	if (sscanf(t, "%4d%2d%2d%2d%2d%2d.%3d+0000", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* An R01 made (MSH-7) at or after *arg, wall clock ms. */
static bool
s_r01_made_after(json_t *m, const void *arg)
{
	return !s_is_r40(m) && s_hl7_ms(s_str(m, "created")) >= *(const int64_t *)arg;
}

/*
 * The attempts of a link that fails every time, in `span` ms from its first:
 * the first at once, then after `first` ms, doubled each time up to `cap`
 * (hl7/link.c).
 */
static int
s_attempts(int64_t span, int64_t first, int64_t cap)
{
	int n = 0;
	for (int64_t t = 0, delay = first; t <= span; t += delay, delay = delay * 2 < cap ? delay * 2 : cap)
		n++;
	return n;
}

/*
 * The engine's port, held while the engine is down: bound and not
 * listening, so a connection to it is refused as by a stopped engine, and
 * nothing else on the machine can take the port for its minute.
 */
static void
s_hold_port(void)
{
	r.hold = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)r.port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1;
	setsockopt(r.hold, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(r.hold, (struct sockaddr *)&a, sizeof(a)), 0, "holding port %d", r.port);
}

/* The bridge's retries in this test: its defaults' first delay, a cap of 5 s. */
#define OUTAGE_RETRY_MS 1000
#define OUTAGE_RETRY_MAX_MS 5000

Test(hl7_bridge, an_outage_and_a_daemon_restart_lose_nothing)
{
	const char *env = getenv("VT_HL7_OUTAGE_MS");
	int64_t outage = env != NULL ? atoll(env) : 60000;
	char retry[64];
	snprintf(retry, sizeof(retry), "retry: %dms\nretry_max: %dms\n", OUTAGE_RETRY_MS,
	         OUTAGE_RETRY_MAX_MS);
	s_engine_start(NULL);
	s_bridge_start(retry, NULL);
	r.spo2 = 85;
	json_t *first = s_wait(s_r40_phase, "start", WAIT_MS);
	cr_assert_not_null(first, "no R40 start");
	/* "<run>/chair-1/spo2-low/1^VITALSD": the alarm, and its run's prefix. */
	char old1[256], old2[256], needle[300];
	snprintf(old1, sizeof(old1), "%.*s", (int)strcspn(s_str(first, "obr3"), "^"),
	         s_str(first, "obr3"));
	snprintf(old2, sizeof(old2), "%.*s2", (int)strlen(old1) - 1, old1);

	/* The engine goes away. */
	cr_assert_geq(vt_rig_child_stop(&r.engine, SIGTERM, 5000), 0);
	s_hold_port();
	int64_t down_at = vt_rig_now_ms(), down_wall = vt_rig_wall_ms();
	while (s_next_parsed() != NULL)
		; /* what it parsed before it went */
	size_t before = json_array_size(r.got);
	/* Meanwhile the alarm clears and comes back as /2 ... */
	r.spo2 = 96;
	snprintf(needle, sizeof(needle), "end %s of", old1);
	s_until_logged(needle, 1);
	r.spo2 = 84;
	snprintf(needle, sizeof(needle), "start %s of", old2);
	s_until_logged(needle, 1);
	/* ... and the daemon restarts: the bridge ends /2, and reports the new run's alarm. */
	int starts = s_logged("HL7: start ");
	cr_assert_eq(vt_rig_daemon_stop(&r.d), 0);
	cr_assert_eq(vt_rig_daemon_restart(&r.d), 0);
	snprintf(needle, sizeof(needle), "end %s of", old2);
	s_until_logged(needle, 1);
	s_until_logged("HL7: start ", starts + 1);
	/* And the bridge itself dies (SIGKILL: no clean stop) and starts again: its queue
	 * and its alarms come back from the disk; it reports none of them again. */
	cr_assert_eq(vt_rig_child_stop(&r.bridge, SIGKILL, 5000), 128 + SIGKILL);
	int follows = s_logged("following");
	char log[320], prog[4096];
	snprintf(log, sizeof(log), "%s", r.bridge.log);
	snprintf(prog, sizeof(prog), "%s", vt_rig_build("vitals-hl7"));
	char *argv[] = {prog, "-c", r.config, "-v", NULL};
	cr_assert_eq(vt_rig_child_start(&r.bridge, "vitals-hl7", argv, log, false), 0);
	s_until_logged("following", follows + 1);
	cr_expect(vt_rig_file_has(log, "messages queued in", 0));
	int64_t restarted = vt_rig_now_ms();
	int tries_before = s_logged("HL7: connect to ");
	/* Event-driven as far as the bridge goes; the outage's length is the parameter. */
	while (vt_rig_now_ms() - down_at < outage)
		s_wait(s_never, NULL, 250);
	cr_expect_eq(json_array_size(r.got), before, "nothing can arrive while the engine is down");
	/* The new bridge retried on its schedule all along: each attempt refused (-v logs every
	 * one), the delays doubling to the cap and staying there. */
	int64_t span = vt_rig_now_ms() - restarted;
	int tries = s_logged("HL7: connect to ") - tries_before;
	int scheduled = s_attempts(span, OUTAGE_RETRY_MS, OUTAGE_RETRY_MAX_MS);
	cr_log_info("%d attempts to reach the engine in the %lld ms after the bridge's restart "
	            "(the schedule: %d)", tries, (long long)span, scheduled);
	cr_expect(tries >= scheduled - 3 && tries <= scheduled + 1,
	          "%d attempts in %lld ms; the schedule (%d ms doubled to %d ms) makes %d", tries,
	          (long long)span, OUTAGE_RETRY_MS, OUTAGE_RETRY_MAX_MS, scheduled);

	/* The engine is back on the same port: everything arrives, in order. */
	close(r.hold);
	r.hold = -1;
	int64_t up_wall = vt_rig_wall_ms();
	s_engine_start(NULL);
	snprintf(needle, sizeof(needle), "%s^VITALSD", old1);
	json_t *m = s_wait(s_r40_start_other_than, needle, WAIT_MS * 2);
	while (m != NULL && strstr(s_str(m, "obr3"), old2) != NULL)
		m = s_wait(s_r40_start_other_than, needle, WAIT_MS);
	cr_assert_not_null(m, "the new run's alarm did not arrive");
	cr_assert_not_null(s_wait(s_r01_spo2, "84", WAIT_MS), "observations go on after it");
	/* Until an observation made after the engine's return: one message in flight at a time,
	 * in order, so everything queued before it has arrived. */
	cr_assert_not_null(s_wait(s_r01_made_after, &up_wall, WAIT_MS * 2),
	                   "the queue did not drain; see %s", r.bridge.log);
	/* The minute's observations waited in the queue: one a second (interval 1s), but for the
	 * few seconds of the bridge's and the daemon's restarts. */
	size_t i, made_down = 0;
	json_array_foreach(r.got, i, m)
	{
		int64_t made = s_hl7_ms(s_str(m, "created"));
		made_down += !s_is_r40(m) && made >= down_wall && made < up_wall;
	}
	cr_log_info("%zu observation messages made during the %lld ms outage arrived after it",
	            made_down, (long long)outage);
	if (outage >= 20000)
		cr_expect_geq(made_down, (size_t)(outage / 1000 - 10),
		              "%zu observations of a %lld ms outage", made_down, (long long)outage);
	cr_expect(vt_rig_file_has(r.bridge.log, "acknowledges again", 0),
	          "the engine's return is logged");

	size_t dups;
	s_check_order(&dups);
	cr_expect_leq(dups, 1, "at most the message in flight when the engine went, sent again");
	/* The alarms as the engine saw them: /1 start, end; /2 start, end (restart); new /1 start. */
	const char *phases[8], *alarms[8], *texts[8];
	size_t n = 0;
	const char *last_id = "";
	json_array_foreach(r.got, i, m)
	{
		if (!s_is_r40(m) || strcmp(s_str(m, "control_id"), last_id) == 0)
			continue;
		last_id = s_str(m, "control_id");
		cr_assert_lt(n, 8);
		phases[n] = s_alarm(m, "phase");
		alarms[n] = s_str(m, "obr3");
		texts[n] = s_alarm(m, "text");
		n++;
	}
	cr_assert_geq(n, 5, "%zu alarm reports: %s", n, s_reports());
	static const char *const want[] = {"start", "end", "start", "end", "start"};
	for (i = 5; i < n; i++) {
		cr_expect_str_eq(alarms[i], alarms[4], "after the new run's start, only its reports: %s",
		                 s_reports());
		cr_expect_str_neq(phases[i], "start", "reported twice: %s", s_reports());
	}
	for (i = 0; i < 5; i++)
		cr_expect_str_eq(phases[i], want[i], "report %zu", i);
	cr_expect_eq(strncmp(alarms[0], old1, strlen(old1)), 0, "%s", alarms[0]);
	cr_expect_str_eq(alarms[1], alarms[0]);
	cr_expect_eq(strncmp(alarms[2], old2, strlen(old2)), 0, "%s", alarms[2]);
	cr_expect_str_eq(alarms[3], alarms[2]);
	cr_expect(strstr(texts[3], "restart") != NULL, "ended by the restart: %s", texts[3]);
	cr_expect(strncmp(alarms[4], old1, 12) != 0 && strstr(alarms[4], "/chair-1/spo2-low/1^"),
	          "a new run's alarm is a new alarm: %s", alarms[4]);
}
