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
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "support/live_daemon.h"
#include "support/rig.h"
#include "support/run.h"

extern char **environ;

static char dir[64];
static pid_t daemon_pid = -1;
static int err_fd = -1;
static void *zctx, *sub;
static int ports[2];
static int masters[2] = {-1, -1};
static char slaves[2][64];

static int
s_pty(char *slave, size_t len)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	cr_assert_geq(m, 0);
	grantpt(m);
	unlockpt(m);
	snprintf(slave, len, "%s", ptsname(m));
	return m;
}

static int64_t
s_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write the configuration; `variant` picks what the test needs. */
static void
s_config(const char *variant)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/vitalsd.yaml", dir);
	FILE *fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "publish: tcp://127.0.0.1:%d\ncontrol: tcp://127.0.0.1:%d\n", ports[0], ports[1]);
	if (strcmp(variant, "broken") == 0) {
		fprintf(fp, "monitors:\n  - bed: chair-1\n    port: %s\n    protocol: masimo-ascii\n"
		            "    colour: red\nrules: []\n",
		        slaves[0]);
		fclose(fp);
		return;
	}
	fprintf(fp, "monitors:\n  - bed: chair-1\n    port: %s\n    protocol: masimo-ascii\n",
	        slaves[0]);
	if (strcmp(variant, "two-beds") == 0 || strcmp(variant, "changed-rule") == 0)
		fprintf(fp, "  - bed: chair-2\n    port: %s\n    protocol: masimo-ascii\n", slaves[1]);
	fprintf(fp, "rules:\n  - name: spo2-low\n    parameter: spo2\n    below: %d\n    priority: high\n",
	        strcmp(variant, "changed-rule") == 0 ? 88 : 90);
	if (strcmp(variant, "two-beds") == 0)
		fprintf(fp, "  - name: pr-high\n    parameter: pr\n    above: 120\n");
	fclose(fp);
}

static void
s_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vt-reload-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	ports[0] = vt_rig_free_port();
	ports[1] = vt_rig_free_port();
	masters[0] = s_pty(slaves[0], sizeof(slaves[0]));
	masters[1] = s_pty(slaves[1], sizeof(slaves[1]));
	s_config("one-bed");

	char cfg[128], errpath[128];
	snprintf(cfg, sizeof(cfg), "%s/vitalsd.yaml", dir);
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	err_fd = open(errpath, O_CREAT | O_RDWR | O_TRUNC, 0600);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	char *argv[] = {(char *)run_build_path("vitalsd"), "-c", cfg, NULL};
	cr_assert_eq(posix_spawn(&daemon_pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);

	zctx = zmq_ctx_new();
	sub = zmq_socket(zctx, ZMQ_SUB);
	int linger = 0;
	zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
	char ep[64];
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", ports[0]);
	zmq_connect(sub, ep);
}

static void
s_teardown(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
	}
	if (sub)
		zmq_close(sub);
	if (zctx)
		zmq_ctx_term(zctx);
	for (int i = 0; i < 2; i++)
		if (masters[i] >= 0)
			close(masters[i]);
	if (err_fd >= 0)
		close(err_fd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

/* Send a Masimo ASCII 1 line with these values to monitor i. */
static void
s_masimo(int i, int spo2, int pr)
{
	char line[200];
	int n = snprintf(line, sizeof(line),
	                 "11/21/26 10:00:00 SN=0000056661 SPO2=%03d%% BPM=%03d PI=03.60%% "
	                 "SPCO=--.-%% SPMET=--.-%% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n",
	                 spo2, pr);
	cr_assert_eq(write(masters[i], line, (size_t)n), n);
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
	int64_t end = s_now_ms() + timeout_ms, next_feed = 0;
	while (s_now_ms() < end) {
		if (feed_bed >= 0 && s_now_ms() >= next_feed) {
			s_masimo(feed_bed, spo2, 80);
			next_feed = s_now_ms() + 200;
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
	void *req = zmq_socket(zctx, ZMQ_REQ);
	int linger = 0, timeout = 10000;
	zmq_setsockopt(req, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	char ep[64];
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", ports[1]);
	zmq_connect(req, ep);
	zmq_send(req, request, strlen(request), 0);
	char buf[65536];
	int n = zmq_recv(req, buf, sizeof(buf) - 1, 0);
	zmq_close(req);
	if (n < 0)
		return NULL;
	buf[n < (int)sizeof(buf) - 1 ? n : (int)sizeof(buf) - 1] = '\0';
	return json_loads(buf, 0, NULL);
}

static bool
s_stderr_has(const char *needle, int timeout_ms)
{
	int64_t end = s_now_ms() + timeout_ms;
	char path[128];
	snprintf(path, sizeof(path), "%s/stderr", dir);
	do {
		char *text = run_slurp(path, NULL);
		bool found = text && strstr(text, needle);
		free(text);
		if (found)
			return true;
		usleep(50000);
	} while (s_now_ms() < end);
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
	kill(daemon_pid, SIGHUP);
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
	kill(daemon_pid, SIGHUP);
	o = s_wait_for("chair-1/spo2-low/1", "Alarm ended by a configuration reload", 10000, -1, 0);
	cr_expect_not_null(o, "a changed rule kept its alarm");
	json_decref(o);
	o = s_wait_for("\"type\":\"alert\"", "chair-1/spo2-low/2", 10000, 0, 85);
	cr_expect_not_null(o, "the changed rule does not raise with a new id");
	json_decref(o);
	cr_expect_not(gap, "seq has a gap across the reload");
	int status;
	cr_expect_eq(waitpid(daemon_pid, &status, WNOHANG), 0, "the daemon died");
}
