/*
 * The live daemon end to end, as a clinic runs it: vitals-emulate plays a
 * recording out of a pty (or a TCP port, as a serial device server does),
 * vitalsd reads it with a configuration written here (loopback ports found
 * free, links and recordings in a temporary directory), and a ZeroMQ SUB
 * socket in this file receives what a console would. Every wait is a poll
 * against a generous deadline for an event (a message, a line from a
 * process, its exit), so a loaded machine makes the tests slower, not
 * wrong; every process is stopped and reaped in the teardown, and handed to
 * the reaper (support/reaper.h) in case the test process dies first.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "support/support.h"
#include "vitals/base/timefmt.h"
#include "vitals/drivers/intellivue.h"
#include "vitals/io/publisher.h"
#include "vitals/io/recorder.h"
#include "vitals/wire/csv.h"

/* The deadline for anything a test waits for: far beyond what it needs. */
#define WAIT_MS 20000
/* Heartbeats this often: a new subscriber knows soon that it is through. */
#define HEARTBEAT "200ms"

/* ---- processes ------------------------------------------------------------- */

/* Whether p's log has a line containing `what`; *t (if not NULL) gets its "t=" seconds. */
static bool
s_log_has(const struct vt_rig_child *p, const char *what, double *t)
{
	FILE *fp = fopen(p->log, "r");
	if (fp == NULL)
		return false;
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof(line), fp))
		if (strstr(line, what) != NULL) {
			found = true;
			const char *eq = strstr(line, "t=");
			if (t != NULL)
				*t = eq ? strtod(eq + 2, NULL) : NAN;
		}
	fclose(fp);
	return found;
}

/* ---- messages -------------------------------------------------------------- */

struct msg {
	json_t *o;         /* the object */
	int64_t at;        /* CLOCK_MONOTONIC ms when it was received */
	int64_t wall;      /* CLOCK_REALTIME ms when it was received */
	int64_t time;      /* its "time", ms since the epoch */
	int64_t seq;       /* its "seq" */
};

/* ---- the rig: a temporary directory, the daemon, emulators, a subscriber ---- */

#define MAX_EMU 4

static struct {
	char dir[64];
	char monitors[2048];    /* the configuration's monitors: list */
	char rules[2048];       /* and rules: list */
	struct vt_rig_daemon daemon;
	struct vt_rig_child emu[MAX_EMU]; /* line: the first each printed (slave path, address) */
	void *sub;              /* the subscriber that reads everything */
	void *slow;             /* one that never reads, or NULL */
	struct msg *m;          /* every message received, in order */
	size_t n, cap;
} R;

static void
s_setup(void)
{
	memset(&R, 0, sizeof(R));
	R.daemon.proc.out = -1;
	for (int i = 0; i < MAX_EMU; i++)
		R.emu[i].out = -1;
	cr_assert_eq(vt_rig_tmpdir(R.dir, sizeof(R.dir), "e2e"), 0);
}

static void
s_forget_messages(void)
{
	for (size_t i = 0; i < R.n; i++)
		json_decref(R.m[i].o);
	R.n = 0;
}

/* Stop every process and close the subscriber; the directory stays. */
static void
s_stop_all(void)
{
	vt_rig_daemon_stop(&R.daemon);
	for (int i = 0; i < MAX_EMU; i++)
		vt_rig_child_stop(&R.emu[i], SIGTERM, 10000);
	if (R.sub != NULL)
		zmq_close(R.sub);
	if (R.slow != NULL)
		zmq_close(R.slow);
	R.sub = R.slow = NULL;
	s_forget_messages();
}

static void
s_teardown(void)
{
	s_stop_all();
	free(R.m);
	vt_rig_zctx_term();
	vt_rig_rmtree(R.dir);
}

/* Long enough for the alarm test to play its excerpt three times at 2x. */
TestSuite(live, .init = s_setup, .fini = s_teardown, .timeout = 300);

/* A path in the rig's directory, in one of 8 rotating buffers. */
static const char *
s_path(const char *fmt, ...)
{
	static char bufs[8][256];
	static int next;
	char *b = bufs[next++ % 8];
	int n = snprintf(b, sizeof(bufs[0]), "%s/", R.dir);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b + n, sizeof(bufs[0]) - (size_t)n, fmt, ap);
	va_end(ap);
	return b;
}

/* A monitor on the pty link `bed` in the rig's directory. */
static void
s_monitor(const char *bed, const char *protocol, const char *stale_after)
{
	size_t used = strlen(R.monitors);
	snprintf(R.monitors + used, sizeof(R.monitors) - used,
	         "  - bed: %s\n    port: %s\n    protocol: %s\n    stale_after: %s\n", bed,
	         s_path("%s", bed), protocol, stale_after);
}

/* A monitor on a TCP device server. */
static void
s_monitor_tcp(const char *bed, const char *protocol, const char *addr, const char *stale_after)
{
	size_t used = strlen(R.monitors);
	snprintf(R.monitors + used, sizeof(R.monitors) - used,
	         "  - bed: %s\n    port: tcp://%s\n    protocol: %s\n    stale_after: %s\n", bed,
	         addr, protocol, stale_after);
}

/* A limit rule: `dir` is "below" or "above"; for_ is a duration. */
static void
s_rule(const char *name, const char *param, const char *dir, double limit, const char *for_,
       double clear_at)
{
	size_t used = strlen(R.rules);
	snprintf(R.rules + used, sizeof(R.rules) - used,
	         "  - name: %s\n    parameter: %s\n    %s: %g\n    for: %s\n    clear_at: %g\n", name,
	         param, dir, limit, for_, clear_at);
}

/* The configuration's top-level lines besides the endpoints. */
static const char *
s_extra(bool record)
{
	static char extra[256];
	snprintf(extra, sizeof(extra), "heartbeat: %s\n", HEARTBEAT);
	if (record)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "record_dir: %s\n",
		         s_path("record"));
	return extra;
}

/* Receive what is waiting on the subscriber (at most `wait_ms` for the first); how many. */
static size_t
s_pump(int wait_ms)
{
	size_t got = 0;
	for (;;) {
		zmq_pollitem_t it = {.socket = R.sub, .events = ZMQ_POLLIN};
		int rc = zmq_poll(&it, 1, got == 0 ? wait_ms : 0);
		if (rc <= 0)
			return got;
		char topic[256];
		static char body[1 << 16];
		int tn = zmq_recv(R.sub, topic, sizeof(topic) - 1, 0);
		int more = 0;
		size_t ml = sizeof(more);
		zmq_getsockopt(R.sub, ZMQ_RCVMORE, &more, &ml);
		cr_assert(tn >= 0 && more, "a message of two frames");
		int bn = zmq_recv(R.sub, body, sizeof(body) - 1, 0);
		cr_assert(bn >= 0 && bn < (int)sizeof(body));
		body[bn] = '\0';
		json_error_t jerr;
		json_t *o = json_loads(body, 0, &jerr);
		cr_assert_not_null(o, "not JSON: %s", body);
		if (R.n == R.cap) {
			R.cap = R.cap ? R.cap * 2 : 1024;
			R.m = realloc(R.m, R.cap * sizeof(*R.m));
			cr_assert_not_null(R.m);
		}
		struct msg *m = &R.m[R.n++];
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		m->o = o;
		m->at = vt_rig_now_ms();
		m->wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		m->seq = json_integer_value(json_object_get(o, "seq"));
		const char *t = json_string_value(json_object_get(o, "time"));
		cr_assert(t && vt_time_parse(t, &m->time) == 0, "bad time in %s", body);
		got++;
	}
}

static const char *
s_str(const struct msg *m, const char *key)
{
	const char *s = json_string_value(json_object_get(m->o, key));
	return s ? s : "";
}

static bool
s_is(const struct msg *m, const char *type, const char *bed)
{
	return strcmp(s_str(m, "type"), type) == 0 && (bed == NULL || strcmp(s_str(m, "bed"), bed) == 0);
}

/* A vitals message's value of `param`, or NAN when null or absent. */
static double
s_val(const struct msg *m, const char *param)
{
	json_t *v = json_object_get(json_object_get(m->o, "values"), param);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* What a wait looks for: a message from index `from` on that matches. */
struct want {
	const char *type, *bed;
	const char *key, *value;   /* a string member that must be equal, or NULL */
	const char *key2, *value2;
	bool valid_spo2;           /* vitals whose spo2 has a value */
	bool null_spo2;            /* vitals whose spo2 has none */
};

static bool
s_matches(const struct msg *m, const struct want *w)
{
	if (!s_is(m, w->type, w->bed))
		return false;
	if (w->key && strcmp(s_str(m, w->key), w->value) != 0)
		return false;
	if (w->key2 && strcmp(s_str(m, w->key2), w->value2) != 0)
		return false;
	if (w->valid_spo2 && isnan(s_val(m, "spo2")))
		return false;
	if (w->null_spo2 && !isnan(s_val(m, "spo2")))
		return false;
	return true;
}

/* Index of the first message at or after `from` matching w, waiting up to timeout_ms; -1. */
static long
s_wait_msg(size_t from, const struct want *w, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	for (size_t i = from;;) {
		for (; i < R.n; i++)
			if (s_matches(&R.m[i], w))
				return (long)i;
		int64_t left = end - vt_rig_now_ms();
		if (left <= 0)
			return -1;
		s_pump(left < 50 ? (int)left : 50);
		cr_assert(R.daemon.proc.pid == 0 || !vt_rig_child_exited(&R.daemon.proc),
		          "vitalsd exited (status %d) while waiting for %s %s; log %s", R.daemon.proc.status,
		          w->type, w->value ? w->value : "", R.daemon.proc.log);
	}
}

/* Keep receiving for `ms` (traffic the test measures, not synchronisation). */
static void
s_collect(int ms)
{
	int64_t end = vt_rig_now_ms() + ms;
	for (int64_t left; (left = end - vt_rig_now_ms()) > 0;)
		s_pump(left < 50 ? (int)left : 50);
}

/* Wait until a process's log has `what`, receiving meanwhile; its "t=" in *t. */
static bool
s_wait_log(const struct vt_rig_child *p, const char *what, double *t, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	while (!s_log_has(p, what, t)) {
		if (vt_rig_now_ms() > end)
			return false;
		s_pump(20);
	}
	return true;
}

/*
 * Start vitalsd on the rig's configuration and subscribe: back when a
 * heartbeat has come through (so everything published from then on is
 * seen).
 */
static void
s_start_daemon(bool record)
{
	cr_assert_eq(vt_rig_daemon_start(&R.daemon, R.dir, s_extra(record), R.monitors, R.rules), 0,
	             "vitalsd did not start");
	R.sub = vt_rig_sub(R.daemon.pub, "", 0);
	cr_assert_not_null(R.sub);
	struct want hb = {.type = "heartbeat"};
	cr_assert_geq(s_wait_msg(R.n, &hb, WAIT_MS), 0, "no heartbeat from vitalsd; its log is %s",
	              R.daemon.proc.log);
}

/* Start emulator `i`: `flag where` says where it sends (--pty LINK, --tcp, --mllp). */
static void
s_emulate_v(int i, const char *flag, const char *where, const char *protocol, const char *speed,
            const char *csv, va_list ap)
{
	const char *args[40];
	int n = 0;
	args[n++] = "--protocol";
	args[n++] = protocol;
	args[n++] = flag;
	args[n++] = where;
	args[n++] = "--speed";
	args[n++] = speed;
	for (const char *a; n < 37 && (a = va_arg(ap, const char *)) != NULL;)
		args[n++] = a;
	args[n++] = csv;
	args[n] = NULL;
	cr_assert_eq(vt_rig_emulate(&R.emu[i], s_path("emulate-%d.log", i), args, WAIT_MS), 0,
	             "the emulator printed no port; its log is %s", R.emu[i].log);
}

/*
 * Start emulator `i` playing `csv` as `protocol` on the pty link `bed` (or,
 * with bed NULL, a TCP port of 127.0.0.1), with extra arguments
 * (NULL-terminated). Back when it has printed its slave path or address.
 */
static void
s_emulate(int i, const char *bed, const char *protocol, const char *speed, const char *csv, ...)
{
	va_list ap;
	va_start(ap, csv);
	s_emulate_v(i, bed ? "--pty" : "--tcp", bed ? s_path("%s", bed) : "127.0.0.1:0", protocol,
	            speed, csv, ap);
	va_end(ap);
}

/* The same with the emulator sending through `flag where` (an HL7 monitor: --mllp HOST:PORT). */
static void
s_emulate_to(int i, const char *flag, const char *where, const char *protocol, const char *speed,
             const char *csv, ...)
{
	va_list ap;
	va_start(ap, csv);
	s_emulate_v(i, flag, where, protocol, speed, csv, ap);
	va_end(ap);
}

/* ---- recordings ------------------------------------------------------------- */

/* The emulator fixture: 40 s of a desaturation (tests/data/scenarios/emulator.yaml). */
static const char *
s_fixture(void)
{
	return vt_rig_scenario_csv("tests/data/scenarios/emulator.yaml");
}

struct row {
	double t, spo2, pr, pi;
};

/* Rows of a numerics CSV; how many. A value the row lacks is NAN. */
static size_t
s_rows(const char *path, struct row *rows, size_t max)
{
	struct vt_diag diag = {0};
	struct vt_csv_file *f = vt_csv_file_open(path, &diag);
	cr_assert_not_null(f, "%s", path);
	size_t n = 0;
	int64_t t;
	struct vt_reading r;
	while (n < max && vt_csv_file_next(f, &t, &r, &diag) == 1) {
		struct row *w = &rows[n++];
		w->t = (double)t / 1000;
		w->spo2 = (r.valid & VT_PARAM_BIT(VT_SPO2)) ? r.value[VT_SPO2] : NAN;
		w->pr = (r.valid & VT_PARAM_BIT(VT_PR)) ? r.value[VT_PR] : NAN;
		w->pi = (r.valid & VT_PARAM_BIT(VT_PI)) ? r.value[VT_PI] : NAN;
	}
	vt_csv_file_close(&f);
	cr_assert_eq(diag.count, 0, "%s: not a clean CSV", path);
	return n;
}

/*
 * A synthetic recording for traffic tests: every row differs from the one
 * before (the pulse rate counts 60..99 and round again, PI steps by 0.01),
 * so every reading the daemon decodes is a vitals message, and a lost
 * reading shows as a skipped step. Values stay normal: nothing alarms.
 */
static const char *
s_ramp(int rows)
{
	const char *path = s_path("ramp.csv");
	FILE *fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "t,spo2,pr,hr,pi,rr\n");
	for (int t = 0; t < rows; t++)
		fprintf(fp, "%d,%d,%d,,%.2f,\n", t, 95 + t % 4, 60 + t % 40, 1.0 + (t % 300) / 100.0);
	fclose(fp);
	return path;
}

/* ---- alert sequences -------------------------------------------------------- */

struct alert {
	char id[96], rule[48], event[16], kind[16];
	double value;
	int64_t time;
	char time_s[32];
};

static void
s_alert_of(json_t *o, struct alert *a)
{
	snprintf(a->id, sizeof(a->id), "%s", json_string_value(json_object_get(o, "id")));
	snprintf(a->rule, sizeof(a->rule), "%s", json_string_value(json_object_get(o, "rule")));
	snprintf(a->event, sizeof(a->event), "%s", json_string_value(json_object_get(o, "event")));
	snprintf(a->kind, sizeof(a->kind), "%s", json_string_value(json_object_get(o, "kind")));
	json_t *v = json_object_get(o, "value");
	a->value = json_is_number(v) ? json_number_value(v) : NAN;
	const char *t = json_string_value(json_object_get(o, "time"));
	snprintf(a->time_s, sizeof(a->time_s), "%s", t ? t : "");
	cr_assert(t && vt_time_parse(t, &a->time) == 0);
}

/* The alerts the subscriber received (of `kind`, or all), in order; how many. */
static size_t
s_live_alerts(const char *kind, struct alert *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < R.n && n < max; i++)
		if (s_is(&R.m[i], "alert", NULL) && (kind == NULL || strcmp(s_str(&R.m[i], "kind"), kind) == 0))
			s_alert_of(R.m[i].o, &out[n++]);
	return n;
}

/* Run `vitalsd -c config --replay spec` and collect its alerts (of `kind`, or all). */
static size_t
s_replay_alerts(const char *config, const char *spec, const char *kind, struct alert *out,
                size_t max)
{
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", (char *)config, "--replay",
	                (char *)spec, NULL};
	struct vt_rig_output r;
	cr_assert_eq(vt_rig_run(argv, &r), 0, "replay failed: %s", r.err);
	size_t n = 0;
	for (char *save = NULL, *line = strtok_r(r.out, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, NULL);
		cr_assert_not_null(o, "replay wrote a line that is not JSON: %s", line);
		const char *k = json_string_value(json_object_get(o, "kind"));
		if (strcmp(json_string_value(json_object_get(o, "type")), "alert") == 0 &&
		    (kind == NULL || (k && strcmp(k, kind) == 0)))
			s_alert_of(o, &out[n++]);
		json_decref(o);
	}
	vt_rig_output_free(&r);
	return n;
}

static void
s_print_alerts(const char *title, const struct alert *a, size_t n)
{
	fprintf(stderr, "%s (%zu):\n", title, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "  %s %-28s %-8s %g\n", a[i].time_s, a[i].id, a[i].event, a[i].value);
}

/* The subscriber saw every message from its first on: seq gapless and in order. */
static void
s_assert_gapless(void)
{
	for (size_t i = 1; i < R.n; i++)
		cr_assert_eq(R.m[i].seq, R.m[i - 1].seq + 1, "seq %lld follows %lld",
		             (long long)R.m[i].seq, (long long)R.m[i - 1].seq);
}

/* ---- (a) vitals flow -------------------------------------------------------- */

/* Every vitals message of `bed` with values shows a row of the recording; how many distinct. */
static int
s_check_vitals(const char *bed, const struct row *rows, size_t n_rows, bool with_pi)
{
	bool seen[256] = {false};
	int distinct = 0, with_values = 0;
	for (size_t i = 0; i < R.n; i++) {
		if (!s_is(&R.m[i], "vitals", bed) || isnan(s_val(&R.m[i], "spo2")))
			continue;
		double spo2 = s_val(&R.m[i], "spo2"), pr = s_val(&R.m[i], "pr"),
		       pi = s_val(&R.m[i], "pi");
		size_t k = 0;
		while (k < n_rows && !(rows[k].spo2 == spo2 && rows[k].pr == pr &&
		                       (!with_pi || fabs(rows[k].pi - pi) < 0.005)))
			k++;
		cr_assert_lt(k, n_rows, "%s: vitals spo2=%g pr=%g pi=%g (seq %lld) is no row of the "
		             "recording", bed, spo2, pr, pi, (long long)R.m[i].seq);
		with_values++;
		if (k < 256 && !seen[k]) {
			seen[k] = true;
			distinct++;
		}
	}
	cr_assert_geq(with_values, 1, "%s: no vitals with values", bed);
	return distinct;
}

Test(live, vitals_flow_from_masimo_and_nonin_df7)
{
	/*
	 * The monitors come up after the daemon, so its lost-contact clock
	 * runs from its own start: stale_after leaves a loaded machine ample
	 * time to start the emulators before that counts as comm-lost.
	 */
	s_monitor("chair-1", "masimo-ascii", "15s");
	s_monitor("chair-2", "nonin-df7", "15s");
	s_start_daemon(false);
	size_t from = R.n;
	s_emulate(0, "chair-1", "masimo-ascii", "4", s_fixture(), "--loop", NULL);
	s_emulate(1, "chair-2", "nonin-df7", "4", s_fixture(), "--loop", NULL);

	const char *beds[] = {"chair-1", "chair-2"};
	for (int b = 0; b < 2; b++) {
		struct want up = {.type = "status", .bed = beds[b], .key = "state", .value = "connected"};
		long i = s_wait_msg(from, &up, WAIT_MS);
		cr_assert_geq(i, 0, "%s: no status connected", beds[b]);
		cr_assert_str_eq(s_str(&R.m[i], "port"), s_path("%s", beds[b]));
	}
	/* Several rows' worth: the recording's values change every few rows. */
	struct want v1 = {.type = "vitals", .bed = "chair-1", .valid_spo2 = true};
	struct want v2 = {.type = "vitals", .bed = "chair-2", .valid_spo2 = true};
	long i1 = s_wait_msg(from, &v1, WAIT_MS), i2 = s_wait_msg(from, &v2, WAIT_MS);
	cr_assert(i1 >= 0 && i2 >= 0, "no vitals with values");
	s_collect(3000);

	static struct row rows[64];
	size_t n = s_rows(s_fixture(), rows, 64);
	cr_assert_eq(n, 40);
	int d1 = s_check_vitals("chair-1", rows, n, true);
	int d2 = s_check_vitals("chair-2", rows, n, false);
	cr_assert_geq(d1, 3, "chair-1 (Masimo) showed only %d distinct rows", d1);
	cr_assert_geq(d2, 3, "chair-2 (Nonin DF#7) showed only %d distinct rows", d2);
	s_assert_gapless();
	/* Nothing alarmed: the rows are valid and the ports stayed up. */
	for (size_t i = 0; i < R.n; i++)
		cr_assert(!s_is(&R.m[i], "alert", NULL), "unexpected alert %s", s_str(&R.m[i], "id"));
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

/* ---- (f) a subscriber that never reads -------------------------------------- */

/*
 * How many messages to send so that a subscriber that never reads must lose
 * some: the daemon queues VT_PUB_HWM for it, then the kernel holds what the
 * TCP send buffer can take (it grows up to tcp_wmem's maximum; messages are
 * some 200 bytes), and the subscriber's own buffers, kept small, hold a few.
 * Twice the TCP part, for the framing and the receive side.
 */
static size_t
s_flood_messages(void)
{
	long wmem_max = 4 << 20;
	FILE *fp = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
	if (fp != NULL) {
		long lo, def, max;
		if (fscanf(fp, "%ld %ld %ld", &lo, &def, &max) == 3 && max > 0)
			wmem_max = max;
		fclose(fp);
	}
	return VT_PUB_HWM + 2 * (size_t)(wmem_max / 200) + 5000;
}

Test(live, a_subscriber_that_never_reads_slows_nobody)
{
	/* Two Masimo monitors at 4000x: each row is a new line and a vitals message. */
	s_monitor("chair-1", "masimo-ascii", "5s");
	s_monitor("chair-2", "masimo-ascii", "5s");
	s_start_daemon(false);
	void *slow = R.slow = vt_rig_sub(R.daemon.pub, "", 10);
	int small = 4096;
	zmq_setsockopt(slow, ZMQ_RCVBUF, &small, sizeof(small));
	/* Two heartbeats: the slow subscriber, connected meanwhile on loopback, is through too. */
	struct want hb = {.type = "heartbeat"};
	long h = s_wait_msg(R.n, &hb, WAIT_MS);
	cr_assert_geq(s_wait_msg((size_t)h + 1, &hb, WAIT_MS), 0);

	const char *ramp = s_ramp(4000);
	s_emulate(0, "chair-1", "masimo-ascii", "4000", ramp, "--loop", NULL);
	s_emulate(1, "chair-2", "masimo-ascii", "4000", ramp, "--loop", NULL);
	struct want v = {.type = "vitals", .bed = "chair-2", .valid_spo2 = true};
	long first = s_wait_msg(0, &v, WAIT_MS);
	cr_assert_geq(first, 0);
	int64_t t0 = vt_rig_now_ms();
	size_t flood = s_flood_messages();
	while (R.n - (size_t)first < flood && vt_rig_now_ms() - t0 < 60000)
		s_pump(50);
	int64_t t1 = vt_rig_now_ms();
	size_t got = R.n - (size_t)first;
	int64_t worst = 0;
	for (size_t i = (size_t)first; i < R.n; i++)
		if (R.m[i].wall - R.m[i].time > worst)
			worst = R.m[i].wall - R.m[i].time;
	cr_log_info("normal subscriber: %zu messages in %lld ms (%.0f/s), at most %lld ms late", got,
	            (long long)(t1 - t0), (double)got * 1000.0 / (double)(t1 - t0), (long long)worst);
	cr_assert_geq(got, flood, "only %zu messages of %zu in 60 s", got, flood);
	s_assert_gapless();
	/* Received as they were published, not caught up later. */
	cr_assert_leq(worst, 1000, "a message reached the reading subscriber %lld ms late",
	              (long long)worst);

	/* Now look at the other one: it has the start, then a gap where ZeroMQ dropped for it. */
	vt_rig_child_stop(&R.emu[0], SIGTERM, 10000);
	vt_rig_child_stop(&R.emu[1], SIGTERM, 10000);
	int64_t target = R.m[R.n - 1].seq, prev = 0, first_seq = 0, gaps = 0, n = 0;
	while (prev < target) {
		zmq_pollitem_t it = {.socket = slow, .events = ZMQ_POLLIN};
		cr_assert_gt(zmq_poll(&it, 1, WAIT_MS), 0, "the slow subscriber got nothing after seq %lld",
		             (long long)prev);
		char topic[256];
		static char body[1 << 16];
		if (zmq_recv(slow, topic, sizeof(topic), ZMQ_DONTWAIT) < 0)
			continue;
		int bn = zmq_recv(slow, body, sizeof(body) - 1, 0);
		cr_assert_geq(bn, 0);
		body[bn] = '\0';
		json_t *o = json_loads(body, 0, NULL);
		int64_t seq = json_integer_value(json_object_get(o, "seq"));
		json_decref(o);
		gaps += prev && seq != prev + 1;
		first_seq = first_seq ? first_seq : seq;
		prev = seq;
		n++;
	}
	cr_log_info("slow subscriber: %lld messages from seq %lld, %lld gaps", (long long)n,
	            (long long)first_seq, (long long)gaps);
	cr_assert_leq(first_seq, R.m[first].seq, "the slow subscriber was not there from the start");
	cr_assert_geq(gaps, 1, "nothing was dropped for the subscriber that never read (%lld queued)",
	              (long long)n);
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

/* ---- (b) alarms at the same samples as --replay ----------------------------- */

/*
 * At 2x, the 11 s of normal values that open the excerpt are 5.5 s of real
 * time for the daemon to start in, and the samples are 500 ms apart. A
 * delay ends half a sample from either side, so a sample may come 250 ms
 * early or late (a loaded machine's scheduling) and still fall on the same
 * side of it. At 5x that margin was 100 ms, which a CPU-quota stall on a
 * busy CI machine can exceed.
 */
#define EXCERPT_SPEED 2
#define S_STRING(x) #x
#define S_DIGITS(x) S_STRING(x) /* the emulator's --speed argument */

/* The rules for the excerpt, with the delay as the recording's clock counts it. */
static void
s_excerpt_rules(int for_ms)
{
	char for_[32];
	snprintf(for_, sizeof(for_), "%dms", for_ms);
	R.rules[0] = '\0';
	/* A run's samples are 1 s apart: a 2.5 s delay raises on the 4th, half a row from either side. */
	s_rule("spo2-low", "spo2", "below", 90, for_, 92);
	s_rule("pr-high", "pr", "above", 85, "0s", 80);
	s_rule("pr-low", "pr", "below", 62, "0s", 63);
}

/*
 * Whether the subscriber saw the whole alert stream: gapless from its first
 * message, and every alert instance's first event is `raised`, numbered
 * from 1 per rule (a missed raise would show as a clear, or a later N).
 */
static bool
s_saw_every_alert(const struct alert *a, size_t n)
{
	for (size_t i = 1; i < R.n; i++)
		if (R.m[i].seq != R.m[i - 1].seq + 1)
			return false;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		int max_n = 0;
		for (size_t j = 0; j < i; j++) {
			seen |= strcmp(a[j].id, a[i].id) == 0;
			if (strcmp(a[j].rule, a[i].rule) == 0)
				max_n = atoi(strrchr(a[j].id, '/') + 1) > max_n ? atoi(strrchr(a[j].id, '/') + 1)
				                                                : max_n;
		}
		if (!seen && (strcmp(a[i].event, "raised") != 0 || atoi(strrchr(a[i].id, '/') + 1) != max_n + 1))
			return false;
	}
	return true;
}

Test(live, alarms_raise_and_clear_at_the_samples_replay_finds)
{
	const char *csv = vt_rig_scenario_csv("tests/data/scenarios/live.yaml");
	char spec[512];
	snprintf(spec, sizeof(spec), "chair-1=%s", csv);
	s_monitor("chair-1", "masimo-ascii", "3s");

	/* Replay on the recording's clock. */
	static struct alert want[64], got[64];
	s_excerpt_rules(2500);
	const char *replay_cfg = s_path("replay.yaml");
	vt_rig_config(replay_cfg, 5556, 5557, s_extra(false), R.monitors, R.rules);
	size_t n_want = s_replay_alerts(replay_cfg, spec, "physiological", want, 64);
	cr_assert_geq(n_want, 6, "the excerpt should alarm several times");

	/* Live at EXCERPT_SPEED: the delay is that much shorter on the daemon's clock. */
	s_excerpt_rules(2500 / EXCERPT_SPEED);
	size_t n_got = 0;
	double attached = NAN;
	for (int attempt = 0;; attempt++) {
		/* The emulator first, so the daemon opens the pty at once. */
		s_emulate(0, "chair-1", "masimo-ascii", S_DIGITS(EXCERPT_SPEED), csv, NULL);
		s_start_daemon(false);
		cr_assert_geq(vt_rig_child_wait(&R.emu[0], 90000), 0, "the emulator did not finish");
		struct want lost = {.type = "status", .bed = "chair-1", .key = "state", .value = "lost"};
		cr_assert_geq(s_wait_msg(0, &lost, WAIT_MS), 0, "no status lost at the end of the recording");
		n_got = s_live_alerts("physiological", got, 64);
		cr_assert(s_log_has(&R.emu[0], "reader attached", &attached));
		/* A machine too busy to start the daemon within the normal lead-in: once more. */
		if (attached < 10.5 && s_saw_every_alert(got, n_got))
			break;
		cr_log_warn("attempt %d: the daemon attached at t=%.3f s of the recording%s", attempt,
		            attached, s_saw_every_alert(got, n_got) ? "" : ", and missed alerts");
		cr_assert_lt(attempt, 2, "three attempts without a clean start");
		s_stop_all();
		unlink(s_path("vitalsd.log"));
		unlink(s_path("emulate-0.log"));
	}
	bool same = n_got == n_want;
	for (size_t i = 0; same && i < n_got; i++)
		same = strcmp(got[i].rule, want[i].rule) == 0 && strcmp(got[i].event, want[i].event) == 0 &&
		       got[i].value == want[i].value;
	if (!same) {
		s_print_alerts("replay", want, n_want);
		s_print_alerts("live", got, n_got);
	}
	cr_assert(same, "the live daemon's alerts differ from the replay's (see above)");
	/* The same samples: times relative to the first alert, scaled by the speed. */
	for (size_t i = 0; i < n_got; i++) {
		double live_s = (double)(got[i].time - got[0].time) * EXCERPT_SPEED / 1000.0;
		double replay_s = (double)(want[i].time - want[0].time) / 1000.0;
		cr_log_info("%-8s %-8s replay %5.1f s, live %6.2f s", got[i].rule, got[i].event, replay_s,
		            live_s);
		cr_assert(fabs(live_s - replay_s) < 0.5, "%s %s: replay at +%.1f s, live at +%.2f s",
		          got[i].rule, got[i].event, replay_s, live_s);
	}
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

/* ---- (c) unplug and re-plug ------------------------------------------------- */

Test(live, unplug_raises_comm_lost_and_replug_clears_it)
{
	s_monitor("chair-1", "masimo-ascii", "2s");
	s_start_daemon(false);
	s_emulate(0, "chair-1", "masimo-ascii", "4", s_fixture(), "--loop", NULL);
	struct want up = {.type = "status", .bed = "chair-1", .key = "state", .value = "connected"};
	struct want values = {.type = "vitals", .bed = "chair-1", .valid_spo2 = true};
	cr_assert_geq(s_wait_msg(0, &up, WAIT_MS), 0, "no status connected");
	cr_assert_geq(s_wait_msg(0, &values, WAIT_MS), 0, "no vitals");

	/* Pull the cable: the pty hangs up and its link goes. */
	size_t from = R.n;
	int64_t t_unplug = vt_rig_now_ms();
	kill(R.emu[0].pid, SIGUSR1);
	struct want lost = {.type = "status", .bed = "chair-1", .key = "state", .value = "lost"};
	struct want raised = {.type = "alert", .bed = "chair-1", .key = "rule", .value = "comm-lost",
	                      .key2 = "event", .value2 = "raised"};
	cr_assert_geq(s_wait_msg(from, &lost, WAIT_MS), 0, "no status lost");
	long r = s_wait_msg(from, &raised, WAIT_MS);
	cr_assert_geq(r, 0, "no comm-lost");
	/* Due stale_after (2 s) after the last reading; the rest is slack for a busy machine. */
	cr_assert_leq(R.m[r].at - t_unplug, 2000 + 1500, "comm-lost came %lld ms after the unplug",
	              (long long)(R.m[r].at - t_unplug));
	cr_assert_str_eq(s_str(&R.m[r], "kind"), "technical");
	/* Values from a monitor we cannot hear are not shown as current. */
	struct want blank = {.type = "vitals", .bed = "chair-1", .null_spo2 = true};
	cr_assert_geq(s_wait_msg((size_t)r, &blank, WAIT_MS), 0, "vitals not blanked");

	/* Plug it back: a new pty behind the same link. */
	from = R.n;
	int64_t t_replug = vt_rig_now_ms();
	kill(R.emu[0].pid, SIGUSR2);
	struct want cleared = {.type = "alert", .bed = "chair-1", .key = "rule", .value = "comm-lost",
	                       .key2 = "event", .value2 = "cleared"};
	long c = s_wait_msg(from, &cleared, WAIT_MS);
	long v = s_wait_msg(from, &values, WAIT_MS);
	cr_assert(c >= 0 && v >= 0, "no clear or no data after the replug");
	/* The port is retried at most 2 s apart; then a reading within 250 ms at 4x. */
	cr_assert_leq(R.m[c].at - t_replug, 2000 + 2000, "comm-lost cleared %lld ms after the replug",
	              (long long)(R.m[c].at - t_replug));
	cr_assert_leq(R.m[v].at - t_replug, 2000 + 2000, "data again %lld ms after the replug",
	              (long long)(R.m[v].at - t_replug));
	cr_assert_eq(strcmp(s_str(&R.m[c], "id"), s_str(&R.m[r], "id")), 0, "the same alarm clears");
	cr_assert_geq(s_wait_msg(from, &up, WAIT_MS), 0, "no status connected after the replug");
	s_assert_gapless();
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

/* ---- (d) a serial device server on TCP -------------------------------------- */

/*
 * Emulator `i`'s connection dropped (SIGUSR1) and made again (SIGUSR2):
 * `bed` is lost, then connected. Returns where to look for what follows.
 */
static size_t
s_drop_connection(int i, const char *bed)
{
	size_t from = R.n;
	kill(R.emu[i].pid, SIGUSR1);
	struct want lost = {.type = "status", .bed = bed, .key = "state", .value = "lost"};
	cr_assert_geq(s_wait_msg(from, &lost, WAIT_MS), 0, "%s: no status lost", bed);
	from = R.n;
	kill(R.emu[i].pid, SIGUSR2);
	struct want up = {.type = "status", .bed = bed, .key = "state", .value = "connected"};
	cr_assert_geq(s_wait_msg(from, &up, WAIT_MS), 0, "%s: no status connected again", bed);
	return from;
}

Test(live, reads_a_monitor_behind_a_tcp_device_server)
{
	/* The emulator listens on a free port and says which. */
	s_emulate(0, NULL, "nonin-df7", "4", s_fixture(), "--loop", NULL);
	cr_assert(strncmp(R.emu[0].line, "127.0.0.1:", 10) == 0, "address: %s", R.emu[0].line);
	s_monitor_tcp("chair-1", "nonin-df7", R.emu[0].line, "2s");
	s_start_daemon(false);
	struct want values = {.type = "vitals", .bed = "chair-1", .valid_spo2 = true};
	cr_assert_geq(s_wait_msg(0, &values, WAIT_MS), 0, "no vitals over TCP");
	s_collect(1500);
	static struct row rows[64];
	size_t n = s_rows(s_fixture(), rows, 64);
	cr_assert_geq(s_check_vitals("chair-1", rows, n, false), 2);
	char *reply = vt_rig_request(R.daemon.ctl, "{\"cmd\":\"snapshot\"}", 5000);
	cr_assert_not_null(reply, "no snapshot");
	json_t *snap = json_loads(reply, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(snap, "ports"), "chair-1")),
	                 "connected");
	json_decref(snap);
	free(reply);

	/* The server drops the connection and listens again: the daemon reconnects. */
	size_t from = s_drop_connection(0, "chair-1");
	cr_assert_geq(s_wait_msg(from, &values, WAIT_MS), 0, "no vitals after reconnecting");
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

/* ---- (e) line noise --------------------------------------------------------- */

/*
 * Rows of the ramp lost in a bed's vitals: each reading changes the pulse
 * rate by one step, so a skipped step is a lost reading. Every value must
 * be one the ramp holds (no reading made of noise).
 */
static int
s_ramp_skips(const char *bed, int *rows_seen)
{
	double last = NAN;
	int skipped = 0;
	*rows_seen = 0;
	for (size_t i = 0; i < R.n; i++) {
		if (!s_is(&R.m[i], "vitals", bed))
			continue;
		double pr = s_val(&R.m[i], "pr"), spo2 = s_val(&R.m[i], "spo2");
		cr_assert(pr >= 60 && pr <= 99 && pr == floor(pr), "%s: pulse %g is not the ramp's", bed, pr);
		cr_assert(spo2 >= 95 && spo2 <= 98, "%s: SpO2 %g is not the ramp's", bed, spo2);
		if (pr == last)
			continue; /* a refresh */
		if (!isnan(last))
			skipped += ((int)(pr - last) + 40) % 40 - 1;
		last = pr;
		(*rows_seen)++;
	}
	return skipped;
}

Test(live, line_noise_loses_only_the_frames_it_touches)
{
	s_monitor("chair-1", "masimo-ascii", "3s");
	s_monitor("chair-2", "nonin-df7", "3s");
	/* No delay: one reading made of noise would raise at once. */
	s_rule("spo2-low", "spo2", "below", 90, "0s", 92);
	s_rule("pr-high", "pr", "above", 110, "0s", 105);
	s_rule("pr-low", "pr", "below", 50, "0s", 55);
	const char *ramp = s_ramp(200);
	/*
	 * The emulators first, so the daemon is reading long before the noise
	 * at t=60 s (6 s of real time: a loaded machine may be slow to start it).
	 */
	s_emulate(0, "chair-1", "masimo-ascii", "10", ramp, "--loop", "--noise-at", "60",
	          "--noise-bytes", "4096", NULL);
	s_emulate(1, "chair-2", "nonin-df7", "10", ramp, "--loop", "--noise-at", "60",
	          "--noise-bytes", "4096", NULL);
	s_start_daemon(false);
	for (int i = 0; i < 2; i++) {
		double attached = NAN;
		cr_assert(s_wait_log(&R.emu[i], "reader attached", &attached, WAIT_MS));
		cr_assert_lt(attached, 55, "the daemon attached only at t=%.1f s", attached);
		cr_assert(s_wait_log(&R.emu[i], "noise: 4096 random bytes", NULL, WAIT_MS),
		          "no noise in %s", R.emu[i].log);
		cr_assert(!s_log_has(&R.emu[i], "dropped", NULL), "the noise did not fit the line");
	}
	s_collect(3000); /* 30 rows more */
	cr_assert(!vt_rig_child_exited(&R.daemon.proc), "vitalsd died of the noise");
	for (size_t i = 0; i < R.n; i++)
		cr_assert(!s_is(&R.m[i], "alert", NULL), "false alarm from line noise: %s %s",
		          s_str(&R.m[i], "id"), s_str(&R.m[i], "event"));
	s_assert_gapless();
	const char *beds[] = {"chair-1", "chair-2"};
	for (int b = 0; b < 2; b++) {
		int rows = 0, skipped = s_ramp_skips(beds[b], &rows);
		cr_log_info("%s: %d rows, %d lost to the noise", beds[b], rows, skipped);
		/* The noise falls on one line (one packet) and delays the rest, which follow. */
		cr_assert_leq(skipped, 1, "%s: %d rows lost", beds[b], skipped);
		cr_assert_geq(rows, 30, "%s: only %d rows", beds[b], rows);
	}
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

/* ---- (g) SIGTERM -------------------------------------------------------------- */

/*
 * The bed's session files under record_dir; how many (the first in *path).
 * The recorder begins a new file at UTC midnight: a test that checks for
 * one file and ran across midnight is skipped (`since` is when it began).
 */
static int
s_session_file(const char *bed, char *path, size_t len, time_t since)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "ls %s/%s/*.vsr 2>/dev/null", s_path("record"), bed);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	int n = 0;
	char line[512];
	while (fgets(line, sizeof(line), p))
		if (n++ == 0)
			snprintf(path, len, "%.*s", (int)strcspn(line, "\n"), line);
	pclose(p);
	if (n > 1 && since / 86400 != time(NULL) / 86400)
		cr_skip_test("the test ran across UTC midnight, where the recorder begins a new file");
	return n;
}

Test(live, sigterm_exits_0_with_the_recording_closed)
{
	time_t began = time(NULL);
	s_monitor("chair-1", "masimo-ascii", "3s");
	s_start_daemon(true);
	s_emulate(0, "chair-1", "masimo-ascii", "4", s_fixture(), "--loop", NULL);
	struct want values = {.type = "vitals", .bed = "chair-1", .valid_spo2 = true};
	long v = s_wait_msg(0, &values, WAIT_MS);
	cr_assert_geq(v, 0, "no vitals");
	cr_assert_geq(s_wait_msg((size_t)v + 1, &values, WAIT_MS), 0, "no second vitals");

	int64_t t0 = vt_rig_now_ms();
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status after SIGTERM");
	cr_assert_lt(vt_rig_now_ms() - t0, 5000, "vitalsd took %lld ms to stop",
	             (long long)(vt_rig_now_ms() - t0));

	char path[512];
	cr_assert_eq(s_session_file("chair-1", path, sizeof(path), began), 1, "one session file");
	size_t len = 0;
	char *text = vt_rig_slurp(path, &len);
	cr_assert(text && len > 0 && text[len - 1] == '\n', "the file ends with a whole line");
	text[len - 1] = '\0';
	const char *last = strrchr(text, '\n');
	last = last ? last + 1 : text;
	char tail[64];
	long off;
	cr_assert(sscanf(last, "%ld %63[^\n]", &off, tail) == 2 && strcmp(tail, "close daemon stopping") == 0,
	          "last line: %s", last);
	free(text);

	/* And it reads back cleanly: open, data, close. */
	struct vt_diag diag = {0};
	struct vt_session_reader *sr = vt_session_open(path, &diag);
	cr_assert_not_null(sr);
	int64_t t;
	enum vt_rec_event ev, first = VT_REC_CLOSE, final = VT_REC_OPEN;
	const uint8_t *data;
	size_t dlen, n = 0, n_data = 0;
	while (vt_session_next(sr, &t, &ev, &data, &dlen, &diag) > 0) {
		first = n++ == 0 ? ev : first;
		n_data += ev == VT_REC_DATA;
		final = ev;
	}
	cr_assert_eq(diag.count, 0, "the session file has errors");
	cr_assert_eq(first, VT_REC_OPEN);
	cr_assert_eq(final, VT_REC_CLOSE);
	cr_assert_gt(n_data, 0);
	vt_session_close(&sr);
	vt_diag_clear(&diag);
}

/* ---- (h) a live recording replays to the same alerts ------------------------- */

/* Index of the k-th message from `from` on that matches w (k >= 1); -1 at the deadline. */
static long
s_wait_nth(size_t from, const struct want *w, int k, int timeout_ms)
{
	long i = (long)from - 1;
	int64_t end = vt_rig_now_ms() + timeout_ms;
	while (k-- > 0)
		if ((i = s_wait_msg((size_t)(i + 1), w, (int)(end - vt_rig_now_ms()))) < 0)
			return -1;
	return i;
}

Test(live, a_live_recording_replays_to_the_same_alerts)
{
	s_monitor("chair-1", "nonin-df7", "2s");
	/* At 8x the fixture's 40 s loop in 5 s: each rule raises and clears once a loop. */
	s_rule("spo2-low", "spo2", "below", 83, "1s", 84);
	s_rule("pr-low", "pr", "below", 64, "500ms", 65);
	struct want phys = {.type = "alert", .bed = "chair-1", .key = "kind", .value = "physiological"};
	static struct alert got[256], want[256];
	time_t began = time(NULL);
	for (int attempt = 0;; attempt++) {
		/* The emulator first: the daemon's port is open from its first instant. */
		s_emulate(0, "chair-1", "nonin-df7", "8", s_fixture(), "--loop", NULL);
		s_start_daemon(true);
		cr_assert_geq(s_wait_nth(0, &phys, 3, WAIT_MS), 0, "no alarms from the recording");
		size_t n = s_live_alerts(NULL, got, 256);
		if (s_saw_every_alert(got, n))
			break;
		cr_log_warn("attempt %d: the subscriber came in after the first alert", attempt);
		cr_assert_lt(attempt, 2, "three attempts without a clean start");
		s_stop_all();
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", s_path("record"));
		cr_assert_eq(system(cmd), 0);
	}

	/* The cable pulled and put back. */
	size_t from = R.n;
	struct want lost_raised = {.type = "alert", .key = "rule", .value = "comm-lost",
	                           .key2 = "event", .value2 = "raised"};
	struct want lost_cleared = {.type = "alert", .key = "rule", .value = "comm-lost",
	                            .key2 = "event", .value2 = "cleared"};
	kill(R.emu[0].pid, SIGUSR1);
	cr_assert_geq(s_wait_msg(from, &lost_raised, WAIT_MS), 0, "no comm-lost after the unplug");
	kill(R.emu[0].pid, SIGUSR2);
	cr_assert_geq(s_wait_msg(from, &lost_cleared, WAIT_MS), 0, "no clear after the replug");
	cr_assert_geq(s_wait_nth(R.n, &phys, 2, WAIT_MS), 0, "no alarms after the replug");

	/*
	 * The daemon frozen past stale_after (a paused VM, a stalled disk): when
	 * it runs again, the timer and the buffered bytes are ready together.
	 * comm-lost belongs at its deadline, before the late bytes clear it, as
	 * the replay of the recording has it.
	 */
	from = R.n;
	kill(R.daemon.proc.pid, SIGSTOP);
	s_collect(3000); /* the length of the fault, not a synchronisation */
	kill(R.daemon.proc.pid, SIGCONT);
	cr_assert_geq(s_wait_msg(from, &lost_raised, WAIT_MS), 0, "no comm-lost for the frozen time");
	cr_assert_geq(s_wait_msg(from, &lost_cleared, WAIT_MS), 0, "no clear after the freeze");
	cr_assert_geq(s_wait_nth(R.n, &phys, 2, WAIT_MS), 0, "no alarms after the freeze");

	/* The monitor goes for good; once comm-lost is out, nothing more can happen. */
	from = R.n;
	vt_rig_child_stop(&R.emu[0], SIGTERM, 10000);
	long last = s_wait_msg(from, &lost_raised, WAIT_MS);
	cr_assert_geq(last, 0, "no comm-lost at the end");
	struct want hb = {.type = "heartbeat"};
	cr_assert_geq(s_wait_msg((size_t)last + 1, &hb, WAIT_MS), 0);
	s_assert_gapless();
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");

	char path[512], spec[600];
	cr_assert_eq(s_session_file("chair-1", path, sizeof(path), began), 1, "one session file");
	snprintf(spec, sizeof(spec), "chair-1=%s", path);
	size_t n_want = s_replay_alerts(R.daemon.config, spec, NULL, want, 256);
	size_t n_got = s_live_alerts(NULL, got, 256);
	bool same = n_got == n_want;
	for (size_t i = 0; same && i < n_got; i++)
		same = strcmp(got[i].id, want[i].id) == 0 && strcmp(got[i].event, want[i].event) == 0 &&
		       strcmp(got[i].time_s, want[i].time_s) == 0 &&
		       (got[i].value == want[i].value || (isnan(got[i].value) && isnan(want[i].value)));
	if (!same) {
		s_print_alerts("replay of the session", want, n_want);
		s_print_alerts("live", got, n_got);
	}
	cr_assert(same, "the replay of %s differs from the live alerts (see above)", path);
	cr_log_info("%zu alerts, identical in id, event, value and time", n_got);
}

/* ---- (h) a multiparameter monitor: Ivy 450C ANSAR-B on a pty ------------------ */

/*
 * A synthetic multiparameter recording: every row differs (the heart rate
 * counts 60..99 and round again) and ties every other value to it, so a
 * vitals message made of one ANSAR-B message can be checked as a whole,
 * and a message made of noise cannot pass. Values stay normal.
 */
static const char *
s_multi_ramp(int rows)
{
	const char *path = s_path("multi-ramp.csv");
	FILE *fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "t,spo2,pr,hr,rr,etco2,nibp_sys,nibp_dia,nibp_map,temp\n");
	for (int t = 0; t < rows; t++) {
		int hr = 60 + t % 40;
		fprintf(fp, "%d,%d,%d,%d,%d,%d,%d,%d,%d,36.%d\n", t, 95 + hr % 4, hr, hr, 10 + hr % 10,
		        30 + hr % 10, hr + 50, hr + 10, hr + 23, hr % 10);
	}
	fclose(fp);
	return path;
}

/*
 * A vitals message of a multi ramp: every value consistent with its heart
 * rate, the blood pressure with the heart rate of its own row or, when
 * `cuff_lag`, of the row before (a monitor that shows each cuff cycle
 * before its result: ge-dri; every row of the ramp is a measurement).
 */
static bool
s_multi_ramp_cuff_row(const struct msg *m, bool cuff_lag)
{
	double hr = s_val(m, "hr");
	if (isnan(hr))
		return false;
	int h = (int)hr;
	cr_assert(hr == h && h >= 60 && h <= 99, "heart rate %g is not the ramp's", hr);
	cr_assert_eq(s_val(m, "pr"), h);
	cr_assert_eq(s_val(m, "spo2"), 95 + h % 4);
	cr_assert_eq(s_val(m, "rr"), 10 + h % 10);
	cr_assert_eq(s_val(m, "etco2"), 30 + h % 10);
	double sys = s_val(m, "nibp_sys");
	if (cuff_lag && isnan(sys) && isnan(s_val(m, "nibp_dia")) && isnan(s_val(m, "nibp_map")))
		return true; /* the first cycle, still running */
	cr_assert(!isnan(sys), "no blood pressure with heart rate %d", h);
	int c = (int)sys - 50;
	cr_assert(c == h || (cuff_lag && c == (h == 60 ? 99 : h - 1)),
	          "blood pressure %g with heart rate %d", sys, h);
	cr_assert_eq(s_val(m, "nibp_dia"), c + 10);
	cr_assert_eq(s_val(m, "nibp_map"), c + 23);
	cr_assert(fabs(s_val(m, "temp") - (36 + (h % 10) / 10.0)) < 1e-9, "temp %g", s_val(m, "temp"));
	return true;
}

static bool
s_multi_ramp_row(const struct msg *m)
{
	return s_multi_ramp_cuff_row(m, false);
}

/* How many vitals messages of `bed` so far are multi ramp rows (each checked whole). */
static int
s_multi_ramp_rows(const char *bed, bool cuff_lag)
{
	int rows = 0;
	for (size_t i = 0; i < R.n; i++)
		if (s_is(&R.m[i], "vitals", bed) && s_multi_ramp_cuff_row(&R.m[i], cuff_lag))
			rows++;
	return rows;
}

/* No alert at all so far (normal values, faults that must cost nothing). */
static void
s_assert_no_alert(void)
{
	for (size_t i = 0; i < R.n; i++)
		cr_assert(!s_is(&R.m[i], "alert", NULL), "false alarm: %s %s", s_str(&R.m[i], "id"),
		          s_str(&R.m[i], "event"));
}

/*
 * Emulator `i` stops sending with its line or connection still up
 * (SIGSTOP): comm-lost on `bed` within stale_after_ms and some slack, then,
 * going on again, comm-lost clears and values come.
 */
static void
s_silent_monitor(int i, const char *bed, int stale_after_ms)
{
	size_t from = R.n;
	int64_t t_stop = vt_rig_now_ms();
	kill(R.emu[i].pid, SIGSTOP);
	struct want raised = {.type = "alert", .bed = bed, .key = "rule", .value = "comm-lost",
	                      .key2 = "event", .value2 = "raised"};
	long r = s_wait_msg(from, &raised, WAIT_MS);
	kill(R.emu[i].pid, SIGCONT);
	cr_assert_geq(r, 0, "no comm-lost from a silent monitor");
	cr_assert_leq(R.m[r].at - t_stop, stale_after_ms + 1500,
	              "comm-lost %lld ms after the silence began", (long long)(R.m[r].at - t_stop));
	struct want cleared = {.type = "alert", .bed = bed, .key = "rule", .value = "comm-lost",
	                       .key2 = "event", .value2 = "cleared"};
	struct want values = {.type = "vitals", .bed = bed, .valid_spo2 = true};
	cr_assert_geq(s_wait_msg((size_t)r, &cleared, WAIT_MS), 0, "comm-lost did not clear");
	cr_assert_geq(s_wait_msg((size_t)r, &values, WAIT_MS), 0, "no vitals after the silence");
}

Test(live, ivy_ansarb_values_noise_and_a_silent_monitor)
{
	s_monitor("chair-1", "ivy-ansarb", "2s");
	s_rule("hr-high", "hr", "above", 110, "0s", 105);
	s_rule("etco2-low", "etco2", "below", 25, "0s", 28);
	s_rule("nibp-sys-high", "nibp_sys", "above", 160, "0s", 150);
	/* Noise at t=20.3 s of the recording (5 s into the run at 4x), when the
	 * message of t=20 s is a third on the line: it is cut, and dropped. */
	s_emulate(0, "chair-1", "ivy-ansarb", "4", s_multi_ramp(200), "--loop", "--noise-at", "20.3",
	          "--noise-bytes", "2048", NULL);
	s_start_daemon(false);
	struct want values = {.type = "vitals", .bed = "chair-1", .valid_spo2 = true};
	cr_assert_geq(s_wait_msg(0, &values, WAIT_MS), 0, "no vitals from the Ivy monitor");
	cr_assert(s_wait_log(&R.emu[0], "noise: 2048 random bytes", NULL, WAIT_MS), "no noise");
	s_collect(3000);
	int rows = 0, skipped = 0, last = -1;
	for (size_t i = 0; i < R.n; i++) {
		if (!s_is(&R.m[i], "vitals", "chair-1") || !s_multi_ramp_row(&R.m[i]))
			continue;
		int h = (int)s_val(&R.m[i], "hr");
		if (h == last)
			continue; /* a refresh */
		if (last >= 0)
			skipped += (h - last + 40) % 40 - 1;
		last = h;
		rows++;
	}
	cr_log_info("ivy: %d rows, %d lost to the noise", rows, skipped);
	cr_assert_geq(rows, 10);
	/* The noise cuts the message it falls into; the next one decodes. */
	cr_assert_leq(skipped, 2, "%d rows lost", skipped);
	/* The driver dropped the message the noise cut, and skipped the noise. */
	char *snap = vt_rig_request(R.daemon.ctl, "{\"cmd\":\"snapshot\"}", 5000);
	cr_assert_not_null(snap);
	json_t *s = json_loads(snap, 0, NULL);
	json_t *ln = json_object_get(json_object_get(s, "lines"), "chair-1");
	cr_assert_not_null(ln, "%s", snap);
	cr_expect_geq(json_integer_value(json_object_get(ln, "dropped")), 1, "%s", snap);
	cr_expect_geq(json_integer_value(json_object_get(ln, "discarded")), 1, "%s", snap);
	json_decref(s);
	free(snap);
	s_assert_no_alert();
	s_silent_monitor(0, "chair-1", 2000);
	s_assert_gapless();
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

/* ---- (i) HL7 monitors over MLLP, vitalsd listening ----------------------------- */

/* A monitor that pushes HL7 to vitalsd's listener at addr (HOST:PORT); hl7_id may be NULL. */
static void
s_monitor_mllp(const char *bed, const char *addr, const char *hl7_id, const char *stale_after)
{
	size_t used = strlen(R.monitors);
	used += (size_t)snprintf(R.monitors + used, sizeof(R.monitors) - used,
	                         "  - bed: %s\n    port: mllp://%s\n    protocol: hl7-mllp\n"
	                         "    stale_after: %s\n", bed, addr, stale_after);
	if (hl7_id != NULL)
		snprintf(R.monitors + used, sizeof(R.monitors) - used, "    hl7_id: '%s'\n", hl7_id);
}

/* Emulator `i` as an HL7 monitor pushing `csv` to addr, with extra arguments (NULL-ended). */
#define s_emulate_mllp(i, addr, speed, ...) s_emulate_to(i, "--mllp", addr, "hl7-mllp", speed, __VA_ARGS__)

/* How many lines of p's log contain `what`. */
static int
s_log_count(const struct vt_rig_child *p, const char *what)
{
	FILE *fp = fopen(p->log, "r");
	if (fp == NULL)
		return 0;
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof(line), fp))
		n += strstr(line, what) != NULL;
	fclose(fp);
	return n;
}

Test(live, hl7_monitor_values_acks_bad_frames_bursts_and_silence)
{
	char addr[32];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", vt_rig_free_port());
	s_monitor_mllp("chair-4", addr, NULL, "3s");
	s_rule("hr-high", "hr", "above", 110, "0s", 105);
	s_rule("etco2-low", "etco2", "below", 25, "0s", 28);
	s_start_daemon(false);
	/* A message every 5 s of recording, one a second at 5x; every frame in three pieces. */
	s_emulate_mllp(0, addr, "5", s_multi_ramp(400), "--loop", "--partial", "--bad-at", "12",
	               "--burst-at", "22", NULL);
	struct want values = {.type = "vitals", .bed = "chair-4", .valid_spo2 = true};
	cr_assert_geq(s_wait_msg(0, &values, WAIT_MS), 0, "no vitals from the HL7 monitor");
	cr_assert(s_wait_log(&R.emu[0], "ack AE for (none): not an HL7 message", NULL, WAIT_MS),
	          "the frame that is not HL7 got no AE; see %s", R.emu[0].log);
	cr_assert(s_wait_log(&R.emu[0], "sent a burst of 5", NULL, WAIT_MS));
	s_collect(2500);
	int rows = 0;
	for (size_t i = 0; i < R.n; i++)
		rows += s_is(&R.m[i], "vitals", "chair-4") && s_multi_ramp_row(&R.m[i]);
	cr_assert_geq(rows, 5, "only %d vitals messages with values", rows);
	/* Every message acknowledged AA, the burst's five included. */
	int sent = s_log_count(&R.emu[0], "sent message"), aa = s_log_count(&R.emu[0], "ack AA for");
	cr_assert_geq(aa, sent + 5 - 1, "%d AA for %d messages and a burst of 5", aa, sent);
	s_assert_no_alert();
	/* Silent with its connection still open: comm-lost, then back. */
	s_silent_monitor(0, "chair-4", 3000);

	/* The monitor drops its connection: the bed is lost, then back when it reconnects. */
	s_drop_connection(0, "chair-4");
	s_assert_gapless();
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

/* Two monitors on one listener, told apart by their beds in PV1-3. */
Test(live, hl7_beds_sharing_a_listener)
{
	char addr[32];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", vt_rig_free_port());
	s_monitor_mllp("chair-4", addr, "ICU^^4", "3s");
	s_monitor_mllp("chair-5", addr, "ICU^^5", "3s");
	s_start_daemon(false);
	const char *steady = s_path("steady.csv");
	FILE *fp = fopen(steady, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "t,spo2,pr,hr\n0,99,50,50\n1,99,50,50\n");
	fclose(fp);
	s_emulate_mllp(0, addr, "5", s_multi_ramp(100), "--loop", "--hl7-bed", "ICU^^4", NULL);
	s_emulate_mllp(1, addr, "5", steady, "--loop", "--hl7-bed", "ICU^^5", NULL);
	struct want four = {.type = "vitals", .bed = "chair-4", .valid_spo2 = true};
	struct want five = {.type = "vitals", .bed = "chair-5", .valid_spo2 = true};
	cr_assert_geq(s_wait_msg(0, &four, WAIT_MS), 0, "no vitals for chair-4");
	cr_assert_geq(s_wait_msg(0, &five, WAIT_MS), 0, "no vitals for chair-5");
	s_collect(1500);
	for (size_t i = 0; i < R.n; i++) {
		if (s_is(&R.m[i], "vitals", "chair-4"))
			s_multi_ramp_row(&R.m[i]);
		if (s_is(&R.m[i], "vitals", "chair-5") && !isnan(s_val(&R.m[i], "hr")))
			cr_assert_eq(s_val(&R.m[i], "hr"), 50, "chair-5 shows another bed's values");
	}
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

/* The first vitals of `bed` whose `param` is `v`; -1 after the deadline. */
static long
s_wait_value(const char *bed, const char *param, double v)
{
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	for (size_t i = 0;;) {
		for (; i < R.n; i++)
			if (s_is(&R.m[i], "vitals", bed) && fabs(s_val(&R.m[i], param) - v) < 1e-9)
				return (long)i;
		if (vt_rig_now_ms() > end)
			return -1;
		s_pump(50);
	}
}

Test(live, hl7_python3_client_gets_aa_values_and_the_monitors_alarm)
{
	char addr[32], out[1024];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", vt_rig_free_port());
	s_monitor_mllp("chair-4", addr, NULL, "10s");
	s_start_daemon(false);
	const char *first[] = {vt_rig_root("tests/data/hl7/pcd01-numerics.hl7"),
	                       vt_rig_root("tests/data/hl7/pcd04-lead-off-start.hl7"), NULL};
	vt_rig_hl7_send(addr, out, sizeof(out), first);
	cr_assert_str_eq(out, "42 AA 42\n43 AA 43\n");
	static const struct {
		const char *param;
		double v;
	} want[] = {{"hr", 72},        {"spo2", 97},      {"pr", 71},        {"rr", 16},
	            {"etco2", 38},     {"nibp_sys", 128}, {"nibp_dia", 81}, {"nibp_map", 97},
	            {"temp", 36.9}};
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
		cr_assert_geq(s_wait_value("chair-4", want[k].param, want[k].v), 0, "no %s %g",
		              want[k].param, want[k].v);
	struct want raised = {.type = "alert", .bed = "chair-4", .key = "rule",
	                      .value = "monitor:MDC_EVT_LEAD_OFF", .key2 = "event", .value2 = "raised"};
	long r = s_wait_msg(0, &raised, WAIT_MS);
	cr_assert_geq(r, 0, "the monitor's lead-off alarm was not raised");
	cr_assert_str_eq(s_str(&R.m[r], "source"), "monitor");
	cr_assert_str_eq(s_str(&R.m[r], "kind"), "technical");
	cr_assert_str_eq(s_str(&R.m[r], "priority"), "low");
	const char *end[] = {vt_rig_root("tests/data/hl7/pcd04-lead-off-end.hl7"), NULL};
	vt_rig_hl7_send(addr, out, sizeof(out), end);
	cr_assert_str_eq(out, "44 AA 44\n");
	struct want cleared = {.type = "alert", .bed = "chair-4", .key = "rule",
	                       .value = "monitor:MDC_EVT_LEAD_OFF", .key2 = "event", .value2 = "cleared"};
	cr_assert_geq(s_wait_msg((size_t)r, &cleared, WAIT_MS), 0, "the lead-off alarm did not end");
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

/* A real Mindray VS-900 message (shared/captures; not in the tree), as its monitor sends it. */
Test(live, hl7_mindray_vs900_message_over_mllp)
{
	const char *cap = vt_rig_capture("mindray_vs900_oru_r01_embedded_a.hl7");
	char addr[32], out[1024];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", vt_rig_free_port());
	s_monitor_mllp("chair-4", addr, "00A0370098007A80", "10s");
	/* Its cuff reading is 24 min older than the message: past the default 20 min. */
	snprintf(R.monitors + strlen(R.monitors), sizeof(R.monitors) - strlen(R.monitors),
	         "    nibp_stale_after: 30m\n");
	s_start_daemon(false);
	const char *files[] = {cap, NULL};
	vt_rig_hl7_send(addr, out, sizeof(out), files);
	cr_assert_str_eq(out, "1914 AA 1914\n");
	static const struct {
		const char *param;
		double v;
	} want[] = {{"spo2", 99},       {"pr", 94},       {"pi", 0.94}, {"nibp_sys", 147},
	            {"nibp_dia", 90},   {"nibp_map", 109}, {"temp", 35.1}};
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
		cr_assert_geq(s_wait_value("chair-4", want[k].param, want[k].v), 0, "no %s %g",
		              want[k].param, want[k].v);
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

/* ---- (h) monitors that speak when asked: philips-mib, ge-dri ---------------- */

enum s_wire { S_PTY, S_TCP, S_UDP };

/*
 * Emulator 0 playing the multi ramp (400 rows) as `protocol` at `speed` on
 * `wire`, with its further arguments (NULL-ended: faults), and chair-1's
 * monitor on it with `stale_after` and `poll`.
 */
static void
s_polled_setup(const char *protocol, enum s_wire wire, const char *speed,
               const char *stale_after, const char *poll, ...)
{
	char announce[32] = "";
	const char *args[40] = {"--protocol", protocol, "--speed", speed};
	int n = 4;
	if (wire == S_UDP) {
		snprintf(announce, sizeof announce, "127.0.0.1:%d", vt_rig_free_udp_port());
		args[n++] = "--udp";
		args[n++] = "127.0.0.1:0";
		args[n++] = "--announce";
		args[n++] = announce;
	} else {
		args[n++] = wire == S_TCP ? "--tcp" : "--pty";
		args[n++] = wire == S_TCP ? "127.0.0.1:0" : s_path("chair-1");
	}
	va_list ap;
	va_start(ap, poll);
	for (const char *a; n < 38 && (a = va_arg(ap, const char *)) != NULL;)
		args[n++] = a;
	va_end(ap);
	args[n++] = s_multi_ramp(400);
	args[n] = NULL;
	cr_assert_eq(vt_rig_emulate(&R.emu[0], s_path("emulate-0.log"), args, WAIT_MS), 0,
	             "the emulator printed no port; its log is %s", R.emu[0].log);
	size_t used = strlen(R.monitors);
	used += (size_t)snprintf(R.monitors + used, sizeof(R.monitors) - used,
	                         "  - bed: chair-1\n    port: %s%s\n    protocol: %s\n"
	                         "    stale_after: %s\n    poll: %s\n",
	                         wire == S_TCP ? "tcp://" : wire == S_UDP ? "udp://" : "",
	                         wire == S_PTY ? s_path("chair-1") : R.emu[0].line, protocol,
	                         stale_after, poll);
	if (wire == S_UDP)
		snprintf(R.monitors + used, sizeof(R.monitors) - used, "    announce: '%s'\n",
		         announce);
}

/*
 * A polled multiparameter monitor through the live loop, against the
 * emulated monitor playing the multi ramp at 8x: its values (every one
 * consistent with its row), a frame spoiled on the wire dropped and the
 * next one read, and a monitor that stops answering (muted for 4 s):
 * comm-lost after stale_after, cleared when it answers again. The monitor
 * is on a pty, a TCP device server, or (udp) a LAN.
 */
static void
s_polled_monitor(const char *protocol, enum s_wire wire)
{
	s_rule("hr-high", "hr", "above", 110, "0s", 105);
	s_rule("nibp-sys-high", "nibp_sys", "above", 160, "0s", 150);
	/* At 8x: the spoiled frame 3 s into the run, the silence from 6 s to 10 s. */
	s_polled_setup(protocol, wire, "8", "2s", "1s", "--loop", "--bad-check-at", "24", "--mute-at",
	               "48", "--mute-for", "32", NULL);
	s_start_daemon(false);
	struct want values = {.type = "vitals", .bed = "chair-1", .valid_spo2 = true};
	cr_assert_geq(s_wait_msg(0, &values, WAIT_MS), 0, "no vitals from %s", protocol);

	/* The spoiled frame: dropped, and the next one read. */
	cr_assert(s_wait_log(&R.emu[0], "the next frame has a wrong check", NULL, WAIT_MS),
	          "the emulator did not spoil a frame");
	size_t from = R.n;
	cr_assert_geq(s_wait_msg(from, &values, WAIT_MS), 0, "no vitals after the bad frame");
	/* The emulator says so as it spoils the frame, before the daemon has read it: the
	 * line's counters are asked until the drop shows (or the deadline passes). */
	char *snap = NULL;
	json_t *s = NULL, *ln = NULL;
	for (int64_t end = vt_rig_now_ms() + WAIT_MS;;) {
		json_decref(s);
		free(snap);
		snap = vt_rig_request(R.daemon.ctl, "{\"cmd\":\"snapshot\"}", 5000);
		cr_assert_not_null(snap);
		s = json_loads(snap, 0, NULL);
		ln = json_object_get(json_object_get(s, "lines"), "chair-1");
		cr_assert_not_null(ln, "%s", snap);
		if (json_integer_value(json_object_get(ln, "dropped")) > 0 || vt_rig_now_ms() > end)
			break;
		vt_rig_sleep_ms(50);
	}
	/* A datagram has no check of its own: the one cut short is malformed. */
	cr_expect_eq(json_integer_value(json_object_get(ln, "checksum_failures")),
	             wire == S_UDP ? 0 : 1, "%s", snap);
	cr_expect_eq(json_integer_value(json_object_get(ln, "dropped")), 1, "%s", snap);
	json_decref(s);
	free(snap);

	/* A missed poll, and the next ones: comm-lost, then back. */
	struct want raised = {.type = "alert", .bed = "chair-1", .key = "rule", .value = "comm-lost",
	                      .key2 = "event", .value2 = "raised"};
	long r = s_wait_msg(from, &raised, WAIT_MS);
	cr_assert_geq(r, 0, "no comm-lost from a monitor that stopped answering");
	cr_assert(s_log_has(&R.emu[0], "muted", NULL), "comm-lost before the monitor was muted");
	struct want cleared = raised;
	cleared.value2 = "cleared";
	cr_assert_geq(s_wait_msg((size_t)r, &cleared, WAIT_MS), 0, "comm-lost did not clear");
	cr_assert_geq(s_wait_msg((size_t)r, &values, WAIT_MS), 0, "no vitals after the silence");

	/* Every value of every reading is its row's. */
	int rows = s_multi_ramp_rows("chair-1", strcmp(protocol, "ge-dri") == 0);
	cr_assert_geq(rows, 5, "%d readings", rows);
	for (size_t i = 0; i < R.n; i++)
		cr_assert(!s_is(&R.m[i], "alert", NULL) || strcmp(s_str(&R.m[i], "rule"), "comm-lost") == 0,
		          "false alarm: %s %s", s_str(&R.m[i], "id"), s_str(&R.m[i], "event"));
	s_assert_gapless();
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

Test(live, philips_mib_on_a_pty_polled_values_a_bad_frame_and_a_missed_poll)
{
	s_polled_monitor("philips-mib", S_PTY);
}

Test(live, philips_mib_on_a_lan_after_its_announcement)
{
	s_polled_monitor("philips-mib", S_UDP);
}

Test(live, ge_dri_over_tcp_values_a_bad_frame_and_a_silent_monitor)
{
	s_polled_monitor("ge-dri", S_TCP);
}

/* Its own serial line (8E1, RTS/CTS: what a pty takes of it). */
Test(live, ge_dri_on_a_pty_values_a_bad_frame_and_a_missed_poll)
{
	s_polled_monitor("ge-dri", S_PTY);
}

/*
 * The association, the hard way: the monitor does not answer it (a GE
 * monitor: the data request) for the first 6 s, then drops it at 16 s.
 * Nothing a monitor sends unassociated is a value, so values can come
 * only after the driver asked again (comm-lost meanwhile, cleared by the
 * first of them), and again after the drop only once it associated anew.
 */
static void
s_association(const char *protocol, enum s_wire wire)
{
	/* Philips: stale_after under the 2 s pause before associating again. */
	bool philips = strcmp(protocol, "philips-mib") == 0;
	s_polled_setup(protocol, wire, "1", philips ? "1s" : "2s", philips ? "500ms" : "1s", "--loop",
	               "--ignore-association-at", "0", "--ignore-association-for", "6", "--drop-at",
	               "16", NULL);
	s_start_daemon(false);
	struct want values = {.type = "vitals", .bed = "chair-1", .valid_spo2 = true};
	struct want raised = {.type = "alert", .bed = "chair-1", .key = "rule", .value = "comm-lost",
	                      .key2 = "event", .value2 = "raised"};
	struct want cleared = raised;
	cleared.value2 = "cleared";

	/* Unanswered: comm-lost, and not one value until the monitor hears again. */
	long r = s_wait_msg(0, &raised, WAIT_MS);
	cr_assert_geq(r, 0, "no comm-lost from a monitor that does not answer the association");
	cr_assert(s_wait_log(&R.emu[0], "association requests are answered again", NULL, WAIT_MS));
	size_t heard = R.n;
	for (size_t i = 0; i < heard; i++)
		cr_assert(!s_matches(&R.m[i], &values), "a value before the monitor answered");
	/* Asked again: values, and comm-lost ends. */
	long v = s_wait_msg(heard, &values, WAIT_MS);
	cr_assert_geq(v, 0, "the association was not asked for again");
	cr_assert_geq(s_wait_msg((size_t)r, &cleared, WAIT_MS), 0, "comm-lost did not clear");

	/* Dropped by the monitor: comm-lost again, then associated anew. */
	cr_assert(s_wait_log(&R.emu[0], "association dropped", NULL, WAIT_MS), "no drop");
	size_t dropped = R.n;
	r = s_wait_msg(dropped, &raised, WAIT_MS);
	cr_assert_geq(r, 0, "no comm-lost after the monitor dropped the association");
	cr_assert_geq(s_wait_msg((size_t)r, &cleared, WAIT_MS), 0, "not associated again");
	cr_assert_geq(s_wait_msg((size_t)r, &values, WAIT_MS), 0, "no values after the drop");
	int rows = s_multi_ramp_rows("chair-1", strcmp(protocol, "ge-dri") == 0);
	cr_assert_geq(rows, 3, "%d readings", rows);
	s_assert_gapless();
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

Test(live, philips_mib_on_a_pty_association_unanswered_then_dropped)
{
	s_association("philips-mib", S_PTY);
}

Test(live, philips_mib_on_a_lan_association_unanswered_then_dropped)
{
	s_association("philips-mib", S_UDP);
}

Test(live, ge_dri_on_a_pty_request_unanswered_then_forgotten)
{
	s_association("ge-dri", S_PTY);
}

/* Rows of one segment of s_conditions_csv: 2 s at 8x, at least one poll. */
#define S_SEG 16

/*
 * A steady patient whose monitor reports, one after the other, each of
 * the device conditions `flags` (NULL-ended) for a segment, with a normal
 * segment between; the value a condition takes away is missing meanwhile,
 * and in demo mode every value is the demo's own (S_DEMO_*, a cuff
 * measurement among them). Then a cuff measurement that fails (the
 * emulator's --cuff-fail-at, given in *cuff_fail_at) and one that succeeds
 * with exactly the pressures of the last good one: a new measurement all
 * the same, which ends the failure. Cuff measurements at 0 s and at least
 * 60 s before the failing one (a GE monitor shows an old value as old
 * after a minute).
 */
#define S_DEMO_ROW "90,61,60,20,30,150,100,117,37.5"
static const struct {
	const char *param;
	double v;
} s_demo_values[] = {{"spo2", 90}, {"pr", 61}, {"hr", 60}, {"rr", 20}, {"etco2", 30},
                     {"nibp_sys", 150}, {"nibp_dia", 100}, {"nibp_map", 117}, {"temp", 37.5}};

static const char *
s_conditions_csv(const char *const flags[], int *cuff_fail_at)
{
	int n = 0;
	while (flags[n] != NULL)
		n++;
	int fail_seg = 2 * n + 1 < 5 ? 5 : 2 * n + 1;
	const char *path = s_path("conditions.csv");
	FILE *fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "t,spo2,pr,hr,rr,etco2,nibp_sys,nibp_dia,nibp_map,temp,flags\n");
	for (int t = 0; t < (fail_seg + 4) * S_SEG; t++) {
		int seg = t / S_SEG;
		const char *flag = seg % 2 == 1 && seg / 2 < n ? flags[seg / 2] : "";
		if (strcmp(flag, "demo-data") == 0) {
			fprintf(fp, "%d,%s,%s\n", t, S_DEMO_ROW, flag);
			continue;
		}
		const char *cuff = t == 0 ? "124,78,93"
		                   : t == fail_seg * S_SEG ? "124,78,93"
		                   : t == (fail_seg + 2) * S_SEG ? "124,78,93"
		                                                  : ",,";
		bool no_hr = strcmp(flag, "leads-off") == 0;
		bool no_co2 = strcmp(flag, "co2-occlusion") == 0;
		bool no_ox = strcmp(flag, "no-sensor") == 0;
		fprintf(fp, "%d,%s,%s,%s,14,%s,%s,36.7,%s\n", t, no_ox ? "" : "97", no_ox ? "" : "71",
		        no_hr ? "" : "72", no_co2 ? "" : "38", cuff, flag);
	}
	fclose(fp);
	*cuff_fail_at = fail_seg * S_SEG - 1;
	return path;
}

/* A vitals message of s_conditions_csv's patient with every value. */
static bool
s_conditions_row(const struct msg *m)
{
	double sys = s_val(m, "nibp_sys");
	return s_val(m, "hr") == 72 && s_val(m, "spo2") == 97 && s_val(m, "pr") == 71 &&
	       s_val(m, "rr") == 14 && s_val(m, "etco2") == 38 && fabs(s_val(m, "temp") - 36.7) < 1e-9 &&
	       sys == 124 && s_val(m, "nibp_dia") == 78 && s_val(m, "nibp_map") == 93;
}

/*
 * A monitor's own technical conditions, through the live daemon: each
 * raises its technical alarm (`alarms`, in order, NULL-ended) and clears
 * it when the monitor no longer says it; a published value is never one
 * the condition took away, nor one of demo mode; no physiological alarm.
 */
static void
s_device_conditions(const char *protocol, const char *const flags[], const char *const alarms[])
{
	int fail_at;
	const char *csv = s_conditions_csv(flags, &fail_at);
	char at[16];
	snprintf(at, sizeof at, "%d", fail_at);
	s_emulate(0, "chair-1", protocol, "8", csv, "--cuff-fail-at", at, NULL);
	size_t used = strlen(R.monitors);
	snprintf(R.monitors + used, sizeof(R.monitors) - used,
	         "  - bed: chair-1\n    port: %s\n    protocol: %s\n    stale_after: 5s\n    poll: 1s\n",
	         s_path("chair-1"), protocol);
	s_rule("hr-high", "hr", "above", 110, "0s", 105);
	s_start_daemon(false);
	size_t from = 0;
	long r = -1;
	for (size_t k = 0; alarms[k] != NULL; k++) {
		struct want raised = {.type = "alert", .bed = "chair-1", .key = "rule",
		                      .value = alarms[k], .key2 = "event", .value2 = "raised"};
		r = s_wait_msg(from, &raised, WAIT_MS);
		cr_assert_geq(r, 0, "%s: no %s alarm (condition %zu)", protocol, alarms[k], k + 1);
		cr_assert_str_eq(s_str(&R.m[r], "kind"), "technical");
		struct want cleared = raised;
		cleared.value2 = "cleared";
		long c = s_wait_msg((size_t)r, &cleared, WAIT_MS);
		cr_assert_geq(c, 0, "%s: %s did not clear", protocol, alarms[k]);
		from = (size_t)c;
	}
	/* The last, the failed measurement's cuff-error, was ended by a measurement
	 * of the same pressures: its vitals (sent before the clear) show it measured
	 * after the failure. */
	const char *measured = NULL;
	for (size_t i = from; i-- > (size_t)r && measured == NULL;)
		if (s_is(&R.m[i], "vitals", "chair-1"))
			measured = json_string_value(
			    json_object_get(json_object_get(R.m[i].o, "measured"), "nibp_sys"));
	cr_assert(measured != NULL && strcmp(measured, s_str(&R.m[r], "time")) > 0,
	          "%s: the blood pressure that ended cuff-error was measured at %s, before it "
	          "was raised at %s", protocol, measured ? measured : "(none)", s_str(&R.m[r], "time"));
	static const struct {
		const char *flag, *params[2];
	} takes[] = {{"leads-off", {"hr"}}, {"co2-occlusion", {"etco2"}}, {"no-sensor", {"spo2", "pr"}}};
	int rows = 0;
	for (size_t i = 0; i < R.n; i++) {
		const struct msg *m = &R.m[i];
		cr_assert(!s_is(m, "alert", NULL) || strcmp(s_str(m, "kind"), "technical") == 0,
		          "a physiological alarm: %s", s_str(m, "id"));
		if (!s_is(m, "vitals", "chair-1"))
			continue;
		rows += s_conditions_row(m);
		for (size_t k = 0; k < sizeof s_demo_values / sizeof s_demo_values[0]; k++)
			cr_assert(!(fabs(s_val(m, s_demo_values[k].param) - s_demo_values[k].v) < 1e-9),
			          "%s: demo mode's %s published as a value", protocol,
			          s_demo_values[k].param);
		json_t *fl = json_object_get(m->o, "flags");
		for (size_t f = 0; f < json_array_size(fl); f++)
			for (size_t t = 0; t < sizeof takes / sizeof takes[0]; t++) {
				if (strcmp(json_string_value(json_array_get(fl, f)), takes[t].flag) != 0)
					continue;
				for (size_t p = 0; p < 2 && takes[t].params[p] != NULL; p++)
					cr_assert(isnan(s_val(m, takes[t].params[p])),
					          "%s: %s published while the monitor says %s", protocol,
					          takes[t].params[p], takes[t].flag);
			}
	}
	cr_assert_geq(rows, 3, "%s: the patient's values arrived %d times", protocol, rows);
	s_assert_gapless();
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}

Test(live, philips_mib_inops_are_technical_alarms_and_never_values)
{
	static const char *const flags[] = {"leads-off", "co2-occlusion", "cuff-overpressure",
	                                    "no-sensor", "demo-data", NULL};
	static const char *const alarms[] = {"leads-off", "co2-occlusion", "cuff-error", "sensor-off",
	                                     "demo-data", "cuff-error", NULL};
	s_device_conditions("philips-mib", flags, alarms);
}

Test(live, ge_dri_status_bits_are_technical_alarms_and_never_values)
{
	static const char *const flags[] = {"leads-off", "co2-occlusion", NULL};
	static const char *const alarms[] = {"leads-off", "co2-occlusion", "cuff-error", NULL};
	s_device_conditions("ge-dri", flags, alarms);
}

/*
 * A real monitor's announcement: the Connect Indication a Philips MX800
 * sent (the UDP payload of shared/captures' dump), sent to the daemon's
 * announce port from the host of the monitor's data port, a socket of the
 * test. The LAN port takes it as the monitor's hello: the driver names the
 * device from it (the log), and the association request, the driver's
 * bytes exactly, goes to the data port.
 */
Test(live, philips_mib_lan_takes_a_real_mx800_connect_indication)
{
	uint8_t cap[1024];
	size_t n = vt_rig_hexdump(
	    vt_rig_capture("philips_mx800_connect_indication_koshsky.hexdump.txt"), cap, sizeof cap);
	cr_assert_eq(n, 460, "Ethernet, IPv4 and UDP headers, and the 418-byte message");
	int mon = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(mon, 0);
	struct sockaddr_in at = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(mon, (struct sockaddr *)&at, sizeof at), 0);
	socklen_t len = sizeof at;
	cr_assert_eq(getsockname(mon, (struct sockaddr *)&at, &len), 0);
	struct sockaddr_in announce = {.sin_family = AF_INET,
	                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                               .sin_port = htons((uint16_t)vt_rig_free_udp_port())};
	snprintf(R.monitors, sizeof R.monitors,
	         "  - bed: chair-1\n    port: udp://127.0.0.1:%d\n    protocol: philips-mib\n"
	         "    stale_after: 10s\n    announce: '127.0.0.1:%d'\n",
	         ntohs(at.sin_port), ntohs(announce.sin_port));
	s_start_daemon(false);
	uint8_t got[2048];
	ssize_t k = -1;
	for (int64_t end = vt_rig_now_ms() + WAIT_MS; k < 0 && vt_rig_now_ms() < end;) {
		/* Announced as the monitor does, every little while until heard. */
		cr_assert_eq(sendto(mon, cap + 42, n - 42, 0, (struct sockaddr *)&announce,
		                    sizeof announce),
		             (ssize_t)(n - 42));
		struct pollfd p = {.fd = mon, .events = POLLIN};
		if (poll(&p, 1, 1000) == 1)
			k = recv(mon, got, sizeof got, 0);
	}
	cr_assert_gt(k, 0, "no association request came to the monitor's data port");
	uint8_t aarq[512];
	size_t want = vt_iv_aarq(1000, aarq, sizeof aarq);
	cr_assert_eq((size_t)k, want, "a datagram of %zd bytes, not the association request", k);
	cr_assert_arr_eq(got, aarq, want, "not the association request");
	cr_assert(vt_rig_file_has(R.daemon.proc.log, "chair-1: device 866062", WAIT_MS),
	          "the daemon did not name the monitor; its log is %s", R.daemon.proc.log);
	cr_assert(vt_rig_file_has(R.daemon.proc.log, "serial DE351A4061", 0));
	close(mon);
	cr_assert_eq(vt_rig_daemon_stop(&R.daemon), 0, "vitalsd exit status");
}
