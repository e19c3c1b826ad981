/*
 * The limits an operator sets (the `limits` section): read and checked as
 * any key is, and held by the daemon against a flood of idle connections
 * (which used to take every descriptor: a monitor could not reconnect and
 * two threads spun) and against subscribers that never read (each used to
 * cost 1.3 MB). Small scale here, in seconds; the full-scale figures are
 * in docs/reliability.md, from bench/bench_limits.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <zmq.h>

#include "support/support.h"
#include "vitals/config/config.h"

#define P "publish: tcp://127.0.0.1:5556\n"

static struct vt_config *
s_parse(const char *text, struct vt_diag *diag)
{
	return vt_config_parse("t.yaml", text, strlen(text), diag);
}

Test(limits, defaults_when_the_section_is_absent)
{
	struct vt_diag diag = {0};
	struct vt_config *cfg = s_parse(P, &diag);
	cr_assert_not_null(cfg);
	cr_expect_eq(cfg->limits.publish_connections, 256);
	cr_expect_eq(cfg->limits.control_connections, 64);
	cr_expect_eq(cfg->limits.subscriber_queue, 1000);
	cr_expect_eq(cfg->limits.reload_interval_ms, 1000);
	cr_expect_eq(cfg->limits.reload_timeout_ms, 10000);
	cr_expect_eq(cfg->limits.hl7_idle_ms, 5 * 60 * 1000);
	vt_config_free(&cfg);
}

Test(limits, values_and_units)
{
	struct vt_diag diag = {0};
	struct vt_config *cfg =
	    s_parse(P "limits:\n  publish_connections: 1000\n  subscriber_queue: 50\n"
	              "  reload_interval: 250ms\n  hl7_idle_timeout: 90s\n",
	            &diag);
	cr_assert_not_null(cfg, "%s", diag.count ? diag.entries[0].message : "");
	cr_expect_eq(cfg->limits.publish_connections, 1000);
	cr_expect_eq(cfg->limits.control_connections, 64, "an absent key keeps its default");
	cr_expect_eq(cfg->limits.subscriber_queue, 50);
	cr_expect_eq(cfg->limits.reload_interval_ms, 250);
	cr_expect_eq(cfg->limits.hl7_idle_ms, 90000);
	vt_config_free(&cfg);
}

Test(limits, bad_values_are_errors_at_their_position)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {P "limits:\n  publish_connections: 0\n",
	     "t.yaml:3:24: limits.publish_connections: expected a whole number from 1 to 100000, "
	     "got \"0\""},
	    {P "limits:\n  subscriber_queue: lots\n",
	     "t.yaml:3:21: limits.subscriber_queue: expected a number of messages, got \"lots\""},
	    {P "limits:\n  reload_timeout: 0s\n",
	     "t.yaml:3:19: limits.reload_timeout: expected a duration of at least 1ms"},
	    {P "limits:\n  hl7_idle_timeout: 0s\n",
	     "t.yaml:3:21: limits.hl7_idle_timeout: expected a duration of at least 1ms"},
	    {P "limits:\n  connections: 5\n", "t.yaml:3:3: limits: unknown key \"connections\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vt_diag diag = {0};
		struct vt_config *cfg = s_parse(cases[i].text, &diag);
		cr_expect_null(cfg, "case %zu was accepted", i);
		char line[512] = "";
		if (diag.count > 0)
			vt_diag_format(&diag.entries[0], line, sizeof(line));
		cr_expect(strstr(line, cases[i].want) == line, "case %zu: got \"%s\"", i, line);
		vt_diag_clear(&diag);
		vt_config_free(&cfg);
	}
}

/* ---- against a live daemon --------------------------------------------------------- */

static struct vt_rig_bed bed;
static struct vt_rig_daemon d;
static int attackers[640];
static size_t n_attackers;
static void *subs[32];
static size_t n_subs;

static void
s_fini(void)
{
	for (size_t i = 0; i < n_attackers; i++)
		close(attackers[i]);
	n_attackers = 0;
	for (size_t i = 0; i < n_subs; i++)
		zmq_close(subs[i]);
	n_subs = 0;
	vt_rig_daemon_stop(&d);
	vt_rig_bed_close(&bed);
	vt_rig_zctx_term();
}


/*
 * More idle connections than the daemon may hold (50 at a time on publish
 * until some are refused, 100 on control), started with a descriptor limit
 * of 128 (the defaults need more: it raises its own soft limit to what they
 * can take, as far as the hard limit allows): it keeps publish_connections
 * and control_connections of them, refuses the rest at once, and keeps
 * descriptors for its monitors (a cable replugged is
 * reopened) and its CPU for them (nothing spins).
 */
Test(limits, a_flood_of_idle_connections_leaves_descriptors_for_the_monitors, .fini = s_fini)
{
	cr_assert_eq(vt_rig_bed_open(&bed, "limits", "masimo-ascii", "stale_after: 10m", false), 0);
	struct rlimit saved, low;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	low = saved;
	low.rlim_cur = 128;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	int rc = vt_rig_daemon_start(&d, bed.dir, NULL, bed.monitors, NULL);
	setrlimit(RLIMIT_NOFILE, &saved);
	cr_assert_eq(rc, 0, "vitalsd did not start");
	cr_assert(vt_rig_daemon_port_is(&d, "chair-1", "connected", 20000));

	for (int i = 0; i < 100; i++)
		attackers[n_attackers++] = vt_rig_idle_connection(d.ctl_port);
	/* The listen backlog takes so many at a time (the rest retry their SYN a
	 * second later): more come until the daemon has had to refuse some. */
	bool refused = false;
	int64_t end = vt_rig_now_ms() + 20000;
	while (!refused && vt_rig_now_ms() < end) {
		for (int i = 0; i < 50 && n_attackers < sizeof(attackers) / sizeof(attackers[0]); i++)
			attackers[n_attackers++] = vt_rig_idle_connection(d.pub_port);
		refused = vt_rig_file_has(d.proc.log, "more than 256 connections at once", 500);
	}
	cr_expect(refused, "no refusal logged");
	vt_rig_sleep_ms(500); /* let the accepts settle; nothing below waits on this */
	struct vt_rig_proc before, after;
	cr_assert_eq(vt_rig_proc(d.proc.pid, &before), 0);
	cr_expect_lt(before.fds, 256 + 64 + 40, "the daemon holds %d descriptors", before.fds);
	fprintf(stderr, "limits: %d descriptors under the flood\n", before.fds);
	vt_rig_sleep_ms(2000);
	cr_assert_eq(vt_rig_proc(d.proc.pid, &after), 0);
	double cpu = (double)(after.cpu_ticks - before.cpu_ticks) * vt_rig_tick_s() / 2.0;
	cr_expect_lt(cpu, 0.3, "the daemon spins at %.0f %% CPU under the flood", cpu * 100);

	/* A monitor replugged while the flood holds: its port is reopened. */
	cr_assert_eq(vt_rig_pty_swap(&bed.pty), 0);
	cr_expect(vt_rig_file_has(d.proc.log, "chair-1: reconnected", 10000),
	          "the monitor could not be reopened during the flood");

	for (size_t i = 0; i < n_attackers; i++)
		close(attackers[i]);
	n_attackers = 0;
	char *reply = NULL;
	end = vt_rig_now_ms() + 20000;
	while (reply == NULL && vt_rig_now_ms() < end)
		reply = vt_rig_request(d.ctl, "{\"cmd\":\"ping\"}", 2000);
	cr_assert_not_null(reply, "no answer once the flood ended");
	cr_expect(strstr(reply, "\"publish_connections_refused\":0") == NULL &&
	              strstr(reply, "\"publish_connections_refused\":") != NULL,
	          "the refusals are not counted: %s", reply);
	free(reply);
	/* Hundreds of refusals, each endpoint's said once (the count comes when they stop). */
	cr_expect_eq(vt_rig_file_count(d.proc.log, "more than 256 connections at once"), 1);
	cr_expect_eq(vt_rig_file_count(d.proc.log, "more than 64 connections at once"), 1);
}

/*
 * Subscribers that never read cost at most their queue (subscriber_queue
 * messages): twenty of them through tens of thousands of messages grow the
 * daemon by a few hundred kilobytes, not the 1.3 MB each they used to, and
 * the kernel holds a bounded send buffer for each. Each is found to have
 * stopped reading, counted, and told of once.
 */
Test(limits, subscribers_that_never_read_cost_their_queue_only, .fini = s_fini)
{
#ifdef __SANITIZE_ADDRESS__
	cr_skip_test("under AddressSanitizer the daemon's RSS measures the sanitizer's allocator");
#endif
	cr_assert_eq(vt_rig_bed_open(&bed, "limits", "masimo-ascii", "stale_after: 10m", false), 0);
	cr_assert_eq(vt_rig_daemon_start(&d, bed.dir, "heartbeat: 200ms\n", bed.monitors, NULL), 0);
	cr_assert(vt_rig_daemon_port_is(&d, "chair-1", "connected", 20000));
	for (int i = 0; i < 20; i++) {
		void *s = vt_rig_sub(d.pub, "", 1);
		int small = 4096;
		zmq_setsockopt(s, ZMQ_RCVBUF, &small, sizeof(small));
		subs[n_subs++] = s;
	}
	/* One that reads, to know when the subscriptions are through and the flood is over. */
	void *reader = subs[n_subs++] = vt_rig_sub(d.pub, "", 0);
	cr_assert(vt_rig_wait_msg(reader, "heartbeat", NULL, 20000));
	vt_rig_sleep_ms(300);
	struct vt_rig_proc before, after;
	cr_assert_eq(vt_rig_proc(d.proc.pid, &before), 0);

	/* 40,000 lines, each a new value, so each a vitals message to every subscriber. */
	char line[256], chunk[64 * 256];
	size_t used = 0;
	for (int i = 0; i < 40000; i++) {
		int n = snprintf(line, sizeof(line),
		                 "02/22/16 22:47:45 SN=0000056661 SPO2=%03d%% BPM=%03d PI=03.60%% "
		                 "SPCO=--.-%% SPMET=--.-%% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n",
		                 90 + i % 2, 60 + (i / 2) % 40);
		memcpy(chunk + used, line, (size_t)n);
		used += (size_t)n;
		if (used + sizeof(line) > sizeof(chunk) || i == 39999) {
			cr_assert_eq(vt_rig_pty_write(&bed.pty, chunk, used), 0);
			used = 0;
		}
		/* Keep the reader drained so it never holds the daemon's queue for itself. */
		char t[64], body[2048];
		while (vt_rig_recv(reader, t, sizeof(t), body, sizeof(body), 0) > 0)
			;
	}
	vt_rig_pty_masimo(&bed.pty, 55, 55);
	int64_t end = vt_rig_now_ms() + 60000;
	bool done = false;
	while (!done && vt_rig_now_ms() < end)
		done = vt_rig_wait_msg(reader, "vitals.", "\"spo2\":55", 1000);
	cr_assert(done, "the flood did not get through");
	cr_assert_eq(vt_rig_proc(d.proc.pid, &after), 0);
	long per_sub = (after.rss_kb - before.rss_kb) / 20;
	fprintf(stderr, "limits: RSS %ld -> %ld KiB with 20 subscribers that never read\n",
	        before.rss_kb, after.rss_kb);
	cr_expect_lt(per_sub, 300, "each subscriber that never reads costs %ld KiB (RSS %ld -> %ld)",
	             per_sub, before.rss_kb, after.rss_kb);
	/* And what the kernel holds for it, unsent (it used to grow to 4 MiB a connection). */
	long queued = vt_rig_tcp_unsent(d.pub_port);
	fprintf(stderr, "limits: %ld KiB unsent in the kernel for them\n", queued >> 10);
	cr_expect_lt(queued / 20, 256 << 10, "%ld KiB unsent in the kernel for each",
	             queued / 20 >> 10);

	/* Each is found to have stopped reading, counted, and said once, not twenty times. */
	long stalled = -1;
	end = vt_rig_now_ms() + 10000;
	while (stalled < 20 && vt_rig_now_ms() < end) {
		char *reply = vt_rig_request(d.ctl, "{\"cmd\":\"ping\"}", 2000);
		const char *at = reply ? strstr(reply, "\"publish_peers_stalled\":") : NULL;
		stalled = at ? atol(at + strlen("\"publish_peers_stalled\":")) : -1;
		free(reply);
		if (stalled < 20)
			vt_rig_sleep_ms(200);
	}
	cr_expect_eq(stalled, 20, "subscribers found to have stopped reading: %ld", stalled);
	cr_expect_eq(vt_rig_file_count(d.proc.log, "a subscriber has stopped reading"), 1,
	             "not said once per burst");
}

/* Bytes of every file under `dir`, recursively (the recordings of a bed). */
static long
s_tree_bytes(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "find %s -type f -printf '%%s\\n' | awk '{s += $1} END {print s + 0}'",
	         dir);
	FILE *fp = popen(cmd, "r");
	long n = -1;
	if (fp != NULL) {
		if (fscanf(fp, "%ld", &n) != 1)
			n = -1;
		pclose(fp);
	}
	return n;
}

/*
 * A device flooding its port: the recording keeps at most its rate
 * (limits.record_bytes_per_second, 16 KiB a second by default, with a
 * burst of a few seconds), says in the file how much it did not keep, and
 * raises recording-failed, while the monitoring itself goes on. It used to
 * fill 3.5 GB in 45 s.
 */
Test(limits, a_device_flooding_its_port_fills_no_disk, .fini = s_fini)
{
	cr_assert_eq(vt_rig_bed_open(&bed, "limits", "masimo-ascii", "stale_after: 10m", true), 0);
	cr_assert_eq(vt_rig_daemon_start(&d, bed.dir, bed.extra, bed.monitors, NULL), 0);
	cr_assert(vt_rig_daemon_port_is(&d, "chair-1", "connected", 20000));
	int64_t start = vt_rig_now_ms();
	/* 2 MiB of device lines, as fast as the pty takes them. */
	char chunk[64 * 256];
	size_t used = 0, sent = 0;
	while (sent < (2 << 20)) {
		used += (size_t)snprintf(chunk + used, sizeof(chunk) - used,
		                         "02/22/16 22:47:45 SN=0000056661 SPO2=097%% BPM=070 PI=03.60%% "
		                         "SPCO=--.-%% SPMET=--.-%% DESAT=-- PIDELTA=+-- ALARM=0000 "
		                         "EXC=000800\r\n");
		if (used + 256 > sizeof(chunk)) {
			cr_assert_eq(vt_rig_pty_write(&bed.pty, chunk, used), 0);
			sent += used;
			used = 0;
		}
	}
	/* Then a last, different line: once it is seen, the flood has been read. */
	vt_rig_pty_masimo(&bed.pty, 55, 55);
	char *snap = NULL;
	int64_t end = vt_rig_now_ms() + 60000;
	while (vt_rig_now_ms() < end) {
		free(snap);
		snap = vt_rig_request(d.ctl, "{\"cmd\":\"snapshot\"}", 2000);
		if (snap != NULL && strstr(snap, "\"spo2\":55") != NULL)
			break;
		vt_rig_sleep_ms(100);
	}
	double secs = (double)(vt_rig_now_ms() - start) / 1000.0;
	cr_assert(snap != NULL && strstr(snap, "\"spo2\":55") != NULL, "the flood was not read");
	cr_expect(strstr(snap, "chair-1/recording-failed/1") != NULL, "no recording-failed: %.300s",
	          snap);
	cr_expect(strstr(snap, "bytes not kept") != NULL, "the alarm does not say why");
	free(snap);
	/* What was kept: the burst and the rate, as hex (under 2.5 characters a byte), plus headers. */
	long on_disk = s_tree_bytes(bed.rec);
	long rate = 16 << 10, bound = (long)((4 * rate + rate * (secs + 1)) * 2.5) + 4096;
	cr_expect_leq(on_disk, bound, "%ld bytes recorded for a 2 MiB flood in %.1f s (at most %ld)",
	              on_disk, secs, bound);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "grep -rq ' gap [0-9]* bytes not recorded: over "
	         "limits.record_bytes_per_second' %s", bed.rec);
	/* The next event kept writes the gap: lines at a device's pace, until one is. */
	bool gap = false;
	for (int i = 0; i < 100 && !gap; i++) {
		vt_rig_pty_masimo(&bed.pty, 56, 55);
		vt_rig_sleep_ms(100);
		gap = system(cmd) == 0;
	}
	cr_expect(gap, "the recording does not say what it did not keep");
	char *reply = vt_rig_request(d.ctl, "{\"cmd\":\"ping\"}", 5000);
	cr_expect(reply && strstr(reply, "\"recording_bytes_not_kept\":0") == NULL &&
	              strstr(reply, "\"recording_bytes_not_kept\":") != NULL,
	          "not counted: %s", reply ? reply : "");
	free(reply);
	cr_expect_eq(vt_rig_file_count(d.proc.log, "delivers more than the recording may keep"), 1,
	             "the flood is not said once");
}
