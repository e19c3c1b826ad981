/*
 * Reloading the configuration of a running daemon (SIGHUP and the `reload`
 * command): a broken file changes nothing and says where it is broken; a
 * good one takes effect at once without touching unchanged ports, and the
 * alarms of unchanged rules survive.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "support/support.h"

static char dir[64];
static struct vt_rig_daemon daemon_;
static void *sub;
static struct vt_rig_pty ptys[2];

/* Write the configuration; `variant` picks what the test needs. */
static void
s_config(const char *variant)
{
	char monitors[512], rules[256];
	if (strcmp(variant, "broken") == 0) {
		snprintf(monitors, sizeof(monitors),
		         "  - bed: chair-1\n    port: %s\n    protocol: masimo-ascii\n    colour: red\n",
		         ptys[0].link);
		cr_assert_eq(vt_rig_daemon_config(&daemon_, NULL, monitors, NULL), 0);
		return;
	}
	int n = snprintf(monitors, sizeof(monitors),
	                 "  - bed: chair-1\n    port: %s\n    protocol: masimo-ascii\n", ptys[0].link);
	if (strcmp(variant, "two-beds") == 0 || strcmp(variant, "changed-rule") == 0)
		snprintf(monitors + n, sizeof(monitors) - (size_t)n,
		         "  - bed: chair-2\n    port: %s\n    protocol: masimo-ascii\n", ptys[1].link);
	n = snprintf(rules, sizeof(rules),
	             "  - name: spo2-low\n    parameter: spo2\n    below: %d\n    priority: high\n",
	             strcmp(variant, "changed-rule") == 0 ? 88 : 90);
	if (strcmp(variant, "two-beds") == 0)
		snprintf(rules + n, sizeof(rules) - (size_t)n,
		         "  - name: pr-high\n    parameter: pr\n    above: 120\n");
	cr_assert_eq(vt_rig_daemon_config(&daemon_, NULL, monitors, rules), 0);
}

static void
s_setup(void)
{
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "reload"), 0);
	for (int i = 0; i < 2; i++) {
		char link[128];
		snprintf(link, sizeof(link), "%s/chair-%d", dir, i + 1);
		cr_assert_eq(vt_rig_pty_open(&ptys[i], link), 0);
	}
	char monitors[512];
	snprintf(monitors, sizeof(monitors), "  - bed: chair-1\n    port: %s\n    protocol: masimo-ascii\n",
	         ptys[0].link);
	cr_assert_eq(vt_rig_daemon_start(&daemon_, dir, NULL, monitors,
	                                 "  - name: spo2-low\n    parameter: spo2\n    below: 90\n"
	                                 "    priority: high\n"),
	             0, "vitalsd did not start");
	sub = vt_rig_sub(daemon_.pub, "", 0);
	cr_assert_not_null(sub);
}

static void
s_teardown(void)
{
	vt_rig_daemon_stop(&daemon_);
	if (sub)
		zmq_close(sub);
	vt_rig_zctx_term();
	for (int i = 0; i < 2; i++)
		vt_rig_pty_close(&ptys[i]);
	vt_rig_rmtree(dir);
}

/* Send a Masimo ASCII 1 line with these values to monitor i. */
static void
s_masimo(int i, int spo2, int pr)
{
	cr_assert_eq(vt_rig_pty_masimo(&ptys[i], spo2, pr), 0);
}

/* Messages seen so far, one JSON line each, for the assertions. */
static char seen[1 << 20];
static size_t seen_len;
static json_int_t last_seq;
static bool gap;

/* Receive messages until one contains every needle (or the deadline). */
static json_t *
s_wait_for(const char *a, const char *b, int timeout_ms, int feed_bed, int spo2)
{
	int64_t end = vt_rig_now_ms() + timeout_ms, next_feed = 0;
	while (vt_rig_now_ms() < end) {
		if (feed_bed >= 0 && vt_rig_now_ms() >= next_feed) {
			s_masimo(feed_bed, spo2, 80);
			next_feed = vt_rig_now_ms() + 200;
		}
		zmq_pollitem_t it = {.socket = sub, .events = ZMQ_POLLIN};
		if (zmq_poll(&it, 1, 100) <= 0)
			continue;
		char topic[256], body[8192];
		if (zmq_recv(sub, topic, sizeof(topic), 0) < 0)
			continue;
		int n = zmq_recv(sub, body, sizeof(body) - 1, 0);
		if (n < 0)
			continue;
		body[n] = '\0';
		json_t *o = json_loads(body, 0, NULL);
		if (o == NULL)
			continue;
		json_int_t seq = json_integer_value(json_object_get(o, "seq"));
		if (last_seq && seq != last_seq + 1)
			gap = true;
		last_seq = seq;
		if (seen_len + (size_t)n + 2 < sizeof(seen)) {
			memcpy(seen + seen_len, body, (size_t)n);
			seen_len += (size_t)n;
			seen[seen_len++] = '\n';
			seen[seen_len] = '\0';
		}
		if (strstr(body, a) && (b == NULL || strstr(body, b)))
			return o;
		json_decref(o);
	}
	return NULL;
}

/* One request on the control socket; the reply as JSON. */
static json_t *
s_control(const char *request)
{
	char *reply = vt_rig_request(daemon_.ctl, request, 10000);
	json_t *o = reply ? json_loads(reply, 0, NULL) : NULL;
	free(reply);
	return o;
}

static bool
s_stderr_has(const char *needle, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	do {
		char *text = vt_rig_slurp(daemon_.proc.log, NULL);
		bool found = text && strstr(text, needle);
		free(text);
		if (found)
			return true;
		vt_rig_sleep_ms(50);
	} while (vt_rig_now_ms() < end);
	return false;
}

Test(reload, bad_file_keeps_running_config_good_file_applies_at_once, .init = s_setup,
     .fini = s_teardown)
{
	/* Subscribed once a heartbeat arrives: only then does the patient desaturate. */
	json_t *o = s_wait_for("\"type\":\"heartbeat\"", NULL, 20000, -1, 0);
	cr_assert_not_null(o, "no heartbeat from the daemon");
	json_decref(o);
	o = s_wait_for("\"type\":\"alert\"", "chair-1/spo2-low/1", 20000, 0, 85);
	cr_assert_not_null(o, "no alarm from the first configuration: %s", seen);
	json_decref(o);

	/* A broken file: the error is reported with its position, nothing changes. */
	s_config("broken");
	kill(daemon_.proc.pid, SIGHUP);
	char want[160];
	snprintf(want, sizeof(want), "%s/vitalsd.yaml:7:5: ", dir);
	cr_expect(s_stderr_has(want, 10000), "no positioned error for the broken file");
	cr_expect(s_stderr_has("the running configuration stays", 10000));
	size_t mark = seen_len;
	o = s_wait_for("\"type\":\"vitals\"", "\"spo2\":86", 10000, 0, 86);
	cr_expect_not_null(o, "monitoring stopped after a bad reload");
	json_decref(o);
	cr_expect(strstr(seen + mark, "\"event\":\"cleared\"") == NULL, "a bad reload cleared alarms");

	/* A good file through the control socket: a new bed and rule, chair-1 untouched. */
	s_config("two-beds");
	mark = seen_len;
	json_t *reply = s_control("{\"cmd\":\"reload\",\"by\":\"test\"}");
	cr_assert_not_null(reply, "no reply to reload");
	cr_expect(json_is_true(json_object_get(reply, "ok")), "reload refused");
	json_decref(reply);
	o = s_wait_for("\"type\":\"status\"", "chair-2", 10000, 0, 85);
	cr_expect_not_null(o, "the new monitor was not opened: %s", seen + mark);
	json_decref(o);
	o = s_wait_for("\"type\":\"alert\"", "chair-1/pr-high/1", 10000, 0, 85);
	cr_assert_null(o, "pr-high raised without a high pulse");
	s_masimo(0, 85, 130);
	o = s_wait_for("\"type\":\"alert\"", "chair-1/pr-high/1", 10000, -1, 0);
	cr_expect_not_null(o, "the new rule does not apply");
	json_decref(o);
	cr_expect(strstr(seen + mark, "chair-1/spo2-low/1\",\"event\":\"cleared\"") == NULL,
	          "the alarm of an unchanged rule did not survive the reload");
	cr_expect(strstr(seen + mark, "\"bed\":\"chair-1\",\"state\"") == NULL,
	          "the unchanged port was touched: %s", seen + mark);
	cr_expect_not(gap, "seq has a gap across the reload");

	/* A changed rule: its alarm ends, and a new instance follows with a new id. */
	s_config("changed-rule");
	kill(daemon_.proc.pid, SIGHUP);
	o = s_wait_for("chair-1/spo2-low/1", "Alarm ended by a configuration reload", 10000, -1, 0);
	cr_expect_not_null(o, "a changed rule kept its alarm");
	json_decref(o);
	o = s_wait_for("\"type\":\"alert\"", "chair-1/spo2-low/2", 10000, 0, 85);
	cr_expect_not_null(o, "the changed rule does not raise with a new id");
	json_decref(o);
	cr_expect_not(gap, "seq has a gap across the reload");
	int status;
	cr_expect_eq(waitpid(daemon_.proc.pid, &status, WNOHANG), 0, "the daemon died");
}

/*
 * Rules on what a bed's monitor does not measure are inactive there, and
 * the log says so as a note: once when a configuration comes into force,
 * at a reload and at the start, never per reading.
 */
Test(reload, inactive_rules_are_noted_when_a_configuration_comes_into_force, .init = s_setup,
     .fini = s_teardown)
{
	static const char note[] = "note: chair-1 (masimo-ascii) does not measure hr or etco2: "
	                           "inactive there: hr-high, etco2-high";
	cr_expect_eq(vt_rig_file_count(daemon_.proc.log, "note: "), 0, "spo2-low needs no note");
	char monitors[512];
	snprintf(monitors, sizeof(monitors), "  - {bed: chair-1, port: %s, protocol: masimo-ascii}\n",
	         ptys[0].link);
	cr_assert_eq(vt_rig_daemon_config(&daemon_, NULL, monitors,
	                                  "  - {name: spo2-low, parameter: spo2, below: 90}\n"
	                                  "  - {name: hr-high, parameter: hr, above: 120}\n"
	                                  "  - {name: etco2-high, parameter: etco2, above: 50}\n"),
	             0);
	kill(daemon_.proc.pid, SIGHUP);
	cr_assert(s_stderr_has("configuration reloaded", 10000), "no reload");
	cr_expect(s_stderr_has(note, 5000), "no note after the reload");
	/* Readings add no note: it is about the file, not about what arrives. */
	for (int i = 0; i < 20; i++) {
		s_masimo(0, 97, 80);
		vt_rig_sleep_ms(50);
	}
	cr_expect_eq(vt_rig_file_count(daemon_.proc.log, note), 1);
	cr_assert_eq(vt_rig_daemon_stop(&daemon_), 0);
	cr_assert_eq(vt_rig_daemon_restart(&daemon_), 0);
	cr_expect(s_stderr_has("started", 10000));
	int64_t end = vt_rig_now_ms() + 5000;
	while (vt_rig_file_count(daemon_.proc.log, note) < 2 && vt_rig_now_ms() < end)
		vt_rig_sleep_ms(50);
	cr_expect_eq(vt_rig_file_count(daemon_.proc.log, note), 2, "no note at the start");
	/* At notice level, naming the file and the monitor's line: "<5>FILE:LINE: note: ...". */
	char *log = vt_rig_slurp(daemon_.proc.log, NULL);
	cr_assert_not_null(log);
	for (char *line = strtok(log, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strstr(line, note) == NULL)
			continue;
		char want[400];
		snprintf(want, sizeof(want), "<5>%s:", daemon_.config);
		cr_expect(strncmp(line, want, strlen(want)) == 0, "%s", line);
	}
	free(log);
}
