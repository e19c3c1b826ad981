/*
 * The transmit side of the driver interface (driver.h), through the live
 * loop and through replay, with a small line protocol of our own whose
 * every message says which hook sent it:
 *
 *   host -> device   HELLO (connect), POLL n (tick), ACK v (reply to a
 *                    value), BYE (disconnect)
 *   device -> host   V v: a value; the driver reports it as pr, and the
 *                    number of ticks so far as hr
 *
 * Live: the real event loop (vt_live_run, in a child process) on a pty the
 * test holds, so the test sees every byte the loop writes, and a device
 * that stops answering its polls goes to comm-lost. Replay: the same
 * driver on a session file, its timer in virtual time, its messages
 * thrown away.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "support/support.h"
#include "vitals/drivers/driver.h"
#include "vitals/live.h"
#include "vitals/replay.h"

/* ---- the ping-pong driver ---------------------------------------------------- */

struct pp_state {
	int64_t poll_ms;  /* from the options */
	int64_t next;     /* next tick; INT64_MAX before connect */
	int ticks;        /* ticks so far */
	char line[32];    /* the line being read */
	size_t n;
	struct vt_driver_stats stats;
};

static void
pp_reset(void *state, const struct vt_driver_opts *opts)
{
	struct pp_state *st = state;
	memset(st, 0, sizeof(*st));
	st->poll_ms = opts != NULL && opts->poll_ms > 0 ? opts->poll_ms : 200;
	st->next = INT64_MAX;
}

static void
pp_say(const struct vt_driver_sink *sink, const char *fmt, int n)
{
	char msg[32];
	int len = snprintf(msg, sizeof(msg), fmt, n);
	vt_tx_put(sink->tx, msg, (size_t)len);
}

static void
pp_feed(void *state, const uint8_t *bytes, size_t len, const struct vt_driver_sink *sink)
{
	struct pp_state *st = state;
	st->stats.bytes += len;
	for (size_t i = 0; i < len; i++) {
		if (bytes[i] != '\n') {
			if (st->n < sizeof(st->line) - 1)
				st->line[st->n++] = (char)bytes[i];
			continue;
		}
		st->line[st->n] = '\0';
		st->n = 0;
		int v;
		if (sscanf(st->line, "V %d", &v) != 1) {
			st->stats.dropped++;
			continue;
		}
		struct vt_reading r = {0};
		vt_reading_set(&r, VT_PR, v);
		vt_reading_set(&r, VT_HR, st->ticks);
		st->stats.records++;
		if (sink->reading)
			sink->reading(sink->ctx, &r);
		pp_say(sink, "ACK %d\n", v);
	}
}

static void
pp_stats(const void *state, struct vt_driver_stats *out)
{
	*out = ((const struct pp_state *)state)->stats;
}

static void
pp_connect(void *state, const uint8_t *hello, size_t hello_len, const struct vt_driver_sink *sink)
{
	struct pp_state *st = state;
	vt_tx_put(sink->tx, "HELLO\n", 6);
	st->next = sink->now + st->poll_ms;
}

static void
pp_tick(void *state, const struct vt_driver_sink *sink)
{
	struct pp_state *st = state;
	pp_say(sink, "POLL %d\n", ++st->ticks);
	st->next += st->poll_ms;
	if (st->next <= sink->now)
		st->next = sink->now + st->poll_ms;
}

static int64_t
pp_wake(const void *state)
{
	return ((const struct pp_state *)state)->next;
}

static void
pp_disconnect(void *state, const struct vt_driver_sink *sink)
{
	vt_tx_put(sink->tx, "BYE\n", 4);
}

static const struct vt_driver s_pingpong = {
	.name = "ping-pong",
	.description = "the test's polled line protocol",
	.default_baud = 9600,
	.default_flow = VT_FLOW_NONE,
	.default_poll_ms = 200,
	.state_size = sizeof(struct pp_state),
	.reset = pp_reset,
	.feed = pp_feed,
	.stats = pp_stats,
	.connect = pp_connect,
	.tick = pp_tick,
	.wake = pp_wake,
	.disconnect = pp_disconnect,
};

/* A configuration text for chair-1 on `port`, its driver to be replaced by ping-pong. */
static struct vt_config *
s_config(const char *dir, const char *port, int pub, int ctl, char *path, size_t len)
{
	char mon[512];
	snprintf(mon, sizeof(mon),
	         "  - bed: chair-1\n"
	         "    port: %s\n"
	         "    protocol: masimo-ascii\n"
	         "    stale_after: 2s\n",
	         port);
	snprintf(path, len, "%s/vitalsd.yaml", dir);
	cr_assert_eq(vt_rig_config(path, pub, ctl, NULL, mon, NULL), 0);
	struct vt_diag diag = {0};
	struct vt_config *cfg = vt_config_load(path, &diag);
	cr_assert_not_null(cfg);
	vt_diag_clear(&diag);
	cfg->monitors[0].driver = &s_pingpong;
	cfg->monitors[0].opts = vt_driver_opts_resolve(&s_pingpong, NULL);
	return cfg;
}

/* ---- reading what the loop writes ---------------------------------------------- */

struct seen {
	char buf[65536];
	size_t len;
};

/* Read the pty master until `want` has appeared after *from; true if within timeout_ms. */
static bool
s_wait_for(int master, struct seen *s, size_t *from, const char *want, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	for (;;) {
		s->buf[s->len] = '\0';
		char *hit = strstr(s->buf + *from, want);
		if (hit != NULL) {
			*from = (size_t)(hit - s->buf) + strlen(want);
			return true;
		}
		int64_t left = end - vt_rig_now_ms();
		if (left <= 0)
			return false;
		struct pollfd pfd = {.fd = master, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		ssize_t r = read(master, s->buf + s->len, sizeof(s->buf) - 1 - s->len);
		if (r > 0)
			s->len += (size_t)r;
		else if (r == 0 || (errno != EAGAIN && errno != EINTR))
			return false;
		if (s->len >= sizeof(s->buf) - 1)
			return false;
	}
}

Test(driver_tx, live_connect_poll_reply_silence_and_goodbye, .timeout = 60)
{
	char dir[128], link[256], path[320];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "tx"), 0);
	snprintf(link, sizeof(link), "%s/chair-1", dir);
	struct vt_rig_pty pty;
	cr_assert_eq(vt_rig_pty_open(&pty, link), 0);
	int pub = vt_rig_free_port(), ctl = vt_rig_free_port();
	struct vt_config *cfg = s_config(dir, link, pub, ctl, path, sizeof(path));

	char ep[64];
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", pub);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid > 0)
		vt_rig_guard_pid(pid); /* killed if the test dies first */
	if (pid == 0) {
		/* The real loop; its log beside the configuration. */
		char log[400];
		snprintf(log, sizeof(log), "%s/vitalsd.log", dir);
		if (freopen(log, "w", stderr) == NULL)
			_exit(70);
		_exit(vt_live_run(path, cfg, false));
	}
	vt_config_free(&cfg);
	void *sub = vt_rig_sub(ep, "", 0);

	struct seen s = {.len = 0};
	size_t at = 0;
	cr_assert(s_wait_for(pty.master, &s, &at, "HELLO\n", 10000), "no HELLO on connect: %s",
	          s.buf);
	/* The timer: polls keep coming, numbered. */
	cr_assert(s_wait_for(pty.master, &s, &at, "POLL 3\n", 10000), "polls: %s", s.buf);

	/* A value: read, reported and acknowledged. */
	cr_assert_eq(vt_rig_pty_write(&pty, "V 77\n", 5), 0);
	cr_assert(s_wait_for(pty.master, &s, &at, "ACK 77\n", 10000), "no reply: %s", s.buf);
	cr_assert(vt_rig_wait_msg(sub, "vitals.chair-1", "\"pr\":77", 10000));

	/* The device stops answering: comm-lost after stale_after, polls go on. */
	cr_assert(vt_rig_wait_msg(sub, "alert.chair-1", "\"rule\":\"comm-lost\"", 10000));
	size_t before = at;
	cr_assert(s_wait_for(pty.master, &s, &before, "POLL", 10000), "polling stopped");
	/* It answers again: the alarm clears. */
	cr_assert_eq(vt_rig_pty_write(&pty, "V 80\n", 5), 0);
	cr_assert(vt_rig_wait_msg(sub, "alert.chair-1", "\"event\":\"cleared\"", 10000));
	cr_assert(s_wait_for(pty.master, &s, &at, "ACK 80\n", 10000));

	/* Shutdown: the goodbye goes out before the port closes. */
	kill(pid, SIGTERM);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	vt_rig_release_pid(pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_expect(s_wait_for(pty.master, &s, &at, "BYE\n", 5000), "no goodbye: %s", s.buf + at);

	zmq_close(sub);
	vt_rig_zctx_term();
	vt_rig_pty_close(&pty);
	vt_rig_rmtree(dir);
}

/*
 * Replay: connect at the open, ticks in virtual time before each data
 * event (four 200 ms ticks before a value at 1 s, ten before one at 2.1 s),
 * the recorded `sent` lines skipped, and nothing written anywhere.
 */
Test(driver_tx, replay_runs_the_timer_in_virtual_time)
{
	char dir[128], path[320], rec[320];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "txr"), 0);
	struct vt_config *cfg = s_config(dir, "/dev/null", 5556, 5557, path, sizeof(path));
	cr_assert_eq(vt_rig_write_file(dir, "s.vsr",
	                               "# vitalsd session recording\n"
	                               "# version: 0.1.0\n"
	                               "# bed: chair-1\n"
	                               "# port: /dev/null\n"
	                               "# protocol: ping-pong\n"
	                               "# baud: 9600\n"
	                               "# start: 2026-11-21T10:00:00.000Z\n"
	                               "0 open\n"
	                               "0 sent 48454c4c 4f0a\n"
	                               "1000 data 56203737 0a\n"
	                               "1000 sent 41434b20 37370a\n"
	                               "2100 data 56203738 0a\n",
	                               rec, sizeof(rec)),
	             0);
	char spec[400];
	snprintf(spec, sizeof(spec), "chair-1=%s", rec);
	char *specs[] = {spec};
	char *out = NULL, *errs = NULL;
	size_t out_len = 0, err_len = 0;
	FILE *o = open_memstream(&out, &out_len), *e = open_memstream(&errs, &err_len);
	int rc = vt_replay_run(cfg, specs, 1, NULL, 0, NULL, o, e);
	fclose(o);
	fclose(e);
	cr_assert_eq(rc, 0, "%s", errs);
	cr_expect(strstr(out, "\"values\":{\"pr\":77,\"hr\":4}") != NULL, "%s", out);
	cr_expect(strstr(out, "\"values\":{\"pr\":78,\"hr\":10}") != NULL, "%s", out);
	free(out);
	free(errs);
	vt_config_free(&cfg);
	vt_rig_rmtree(dir);
}
