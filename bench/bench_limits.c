/*
 * The daemon's bounds at full scale (docs/reliability.md), the sizes of the
 * attacks that once got through, against the shipped defaults:
 *
 *  1. 1,100 idle TCP connections to the publish and to the control endpoint
 *     each, with the process limited to 1,024 descriptors: what it holds,
 *     its descriptors and CPU under the flood and once the idle ones have
 *     had their handshake time, and how long a monitor whose cable is
 *     replugged meanwhile takes to reconnect;
 *  2. 300 subscribers that never read, through 40,000 messages: RSS and
 *     kernel send queue per subscriber, and how many were found stalled;
 *  3. a client sending `reload` as fast as it can for 10 s, with a
 *     configuration of about 1 MB (256 monitors, 256 rules naming them
 *     all): reloads done, log lines, CPU, and the latency of an alarm
 *     (a Masimo line that crosses a limit, to its alert on a subscriber)
 *     during the flood against without it;
 *  4. a device writing into its pty as fast as it can for 20 s: bytes
 *     recorded;
 *  5. `--replay` of /dev/zero: how long until it is refused, and its peak RSS.
 *
 * Each case prints its figures; nothing here asserts (tests/test_limits.c
 * and the others hold the same bounds at a scale that takes seconds).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.h>

#include "../tests/support/support.h"
#include "vitals/io/conns.h"

static double
s_cpu(const struct vt_rig_proc *a, const struct vt_rig_proc *b, double secs)
{
	return (double)(b->cpu_ticks - a->cpu_ticks) * vt_rig_tick_s() / secs * 100.0;
}

/* 1. Idle connections against 1,024 descriptors. */
static void
s_connections(void)
{
	enum { N = 1100 };
	struct vt_rig_bed bed;
	struct vt_rig_daemon d;
	if (vt_rig_bed_open(&bed, "bench-limits", "masimo-ascii", "stale_after: 10m", false) != 0)
		return;
	/* The daemon starts with 1,024 descriptors, as the attack found it (its own
	 * limits need fewer, so it does not raise them); this process keeps its own. */
	struct rlimit saved, low;
	getrlimit(RLIMIT_NOFILE, &saved);
	low = saved;
	low.rlim_cur = 1024;
	setrlimit(RLIMIT_NOFILE, &low);
	int rc = vt_rig_daemon_start(&d, bed.dir, NULL, bed.monitors, NULL);
	setrlimit(RLIMIT_NOFILE, &saved);
	if (rc != 0 || !vt_rig_daemon_port_is(&d, "chair-1", "connected", 20000)) {
		printf("1. connections: the daemon did not start\n");
		vt_rig_bed_close(&bed);
		return;
	}
	static int fds[2 * N];
	int n = 0;
	for (int i = 0; i < N; i++) {
		fds[n++] = vt_rig_idle_connection(d.pub_port);
		fds[n++] = vt_rig_idle_connection(d.ctl_port);
	}
	/* The most descriptors over the first 8 s (the SYNs the kernel retried are through
	 * by then; an idle connection is closed 10 s after it was accepted), and the CPU. */
	struct vt_rig_proc p0, p1, p;
	vt_rig_proc(d.proc.pid, &p0);
	int most = 0;
	for (int64_t end = vt_rig_now_ms() + 8000; vt_rig_now_ms() < end; vt_rig_sleep_ms(250))
		if (vt_rig_proc(d.proc.pid, &p) == 0 && p.fds > most)
			most = p.fds;
	vt_rig_proc(d.proc.pid, &p1);
	int64_t t0 = vt_rig_now_ms();
	vt_rig_pty_swap(&bed.pty);
	bool back = vt_rig_file_has(d.proc.log, "chair-1: reconnected", 20000);
	int64_t reconnect = vt_rig_now_ms() - t0;
	/* Past the handshake time: what idle connections are still held. */
	vt_rig_sleep_ms(VT_CONNS_HANDSHAKE_MS);
	vt_rig_proc(d.proc.pid, &p);
	printf("1. %d idle connections to publish and %d to control, 1,024 descriptors:\n", N, N);
	printf("   daemon descriptors at most %d in the first 8 s, %d after %d s more; CPU %.1f %% "
	       "over those 8 s; a replugged monitor %s in %lld ms\n",
	       most, p.fds, VT_CONNS_HANDSHAKE_MS / 1000, s_cpu(&p0, &p1, 8.0),
	       back ? "reconnected" : "did NOT reconnect", (long long)reconnect);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	char *reply = NULL;
	for (int i = 0; i < 40 && reply == NULL; i++)
		reply = vt_rig_request(d.ctl, "{\"cmd\":\"ping\"}", 1000);
	const char *lim = reply ? strstr(reply, "\"limits\"") : NULL;
	printf("   ping afterwards: %s\n", lim ? lim : "(no answer)");
	free(reply);
	vt_rig_daemon_stop(&d);
	vt_rig_bed_close(&bed);
}

/* Write `n` Masimo lines, each a new value, as fast as the pty takes them. */
static void
s_flood_lines(struct vt_rig_pty *pty, int n)
{
	char chunk[64 * 256];
	size_t used = 0;
	for (int i = 0; i < n; i++) {
		used += (size_t)snprintf(chunk + used, sizeof(chunk) - used,
		                         "02/22/16 22:47:45 SN=0000056661 SPO2=%03d%% BPM=%03d PI=03.60%% "
		                         "SPCO=--.-%% SPMET=--.-%% DESAT=-- PIDELTA=+-- ALARM=0000 "
		                         "EXC=000800\r\n",
		                         90 + i % 2, 60 + (i / 2) % 40);
		if (used + 256 > sizeof(chunk) || i == n - 1) {
			vt_rig_pty_write(pty, chunk, used);
			used = 0;
		}
	}
}

/* The number `"name":N` in a reply, or -1. */
static long
s_member(const char *reply, const char *name)
{
	char key[96];
	snprintf(key, sizeof(key), "\"%s\":", name);
	const char *at = reply ? strstr(reply, key) : NULL;
	return at ? atol(at + strlen(key)) : -1;
}

/* 2. Subscribers that never read. */
static void
s_subscribers(void)
{
	enum { N = 300 };
	struct vt_rig_bed bed;
	struct vt_rig_daemon d;
	if (vt_rig_bed_open(&bed, "bench-limits", "masimo-ascii", "stale_after: 10m", false) != 0 ||
	    /* Room for them all and the reader: the cost of each is what is measured here. */
	    vt_rig_daemon_start(&d, bed.dir, "heartbeat: 200ms\nlimits: {publish_connections: 512}\n",
	                        bed.monitors, NULL) != 0)
		return;
	vt_rig_daemon_port_is(&d, "chair-1", "connected", 20000);
	static void *subs[N];
	for (int i = 0; i < N; i++) {
		subs[i] = vt_rig_sub(d.pub, "", 1);
		int small = 4096;
		zmq_setsockopt(subs[i], ZMQ_RCVBUF, &small, sizeof(small));
	}
	void *reader = vt_rig_sub(d.pub, "", 0);
	vt_rig_wait_msg(reader, "heartbeat", NULL, 20000);
	vt_rig_sleep_ms(1000);
	struct vt_rig_proc p0, p1;
	vt_rig_proc(d.proc.pid, &p0);
	for (int k = 0; k < 20; k++) {
		s_flood_lines(&bed.pty, 2000);
		char t[64], body[2048];
		while (vt_rig_recv(reader, t, sizeof(t), body, sizeof(body), 0) > 0)
			;
	}
	vt_rig_pty_masimo(&bed.pty, 55, 55);
	for (int i = 0; i < 60 && !vt_rig_wait_msg(reader, "vitals.", "\"spo2\":55", 1000); i++)
		;
	vt_rig_proc(d.proc.pid, &p1);
	long unsent = vt_rig_tcp_unsent(d.pub_port);
	vt_rig_sleep_ms(2000); /* each is looked at within a second */
	char *ping = vt_rig_request(d.ctl, "{\"cmd\":\"ping\"}", 5000);
	long held = s_member(ping, "publish_connections") - 1, stalled =
	    s_member(ping, "publish_peers_stalled");
	free(ping);
	printf("2. %d subscribers that never read (%ld connected), 40,000 messages: RSS %ld -> %ld "
	       "KiB, %.0f KiB per subscriber (peak %ld KiB); unsent in the kernel %.0f KiB per "
	       "subscriber\n",
	       N, held, p0.rss_kb, p1.rss_kb, (double)(p1.rss_kb - p0.rss_kb) / N, p1.hwm_kb,
	       (double)unsent / N / 1024);
	printf("   found to have stopped reading: %ld, told in %d log line(s)\n", stalled,
	       vt_rig_file_count(d.proc.log, "a subscriber has stopped reading"));
	for (int i = 0; i < N; i++)
		zmq_close(subs[i]);
	zmq_close(reader);
	vt_rig_daemon_stop(&d);
	vt_rig_bed_close(&bed);
}

/* The latency (ms) of alarms: a line crossing 90 every 200 ms, its alert on `sub`, for `secs`. */
static void
s_alarm_latency(struct vt_rig_pty *pty, void *sub, int secs, double *p50, double *p99, double *max)
{
	static double lat[1000];
	size_t n = 0;
	int64_t end = vt_rig_now_ms() + secs * 1000;
	for (int i = 0; vt_rig_now_ms() < end && n < 1000; i++) {
		int64_t t0 = vt_rig_now_ns();
		vt_rig_pty_masimo(pty, i % 2 ? 95 : 85, 70);
		if (vt_rig_wait_msg(sub, "alert.", i % 2 ? "\"cleared\"" : "\"raised\"", 5000))
			lat[n++] = (double)(vt_rig_now_ns() - t0) / 1e6;
		vt_rig_sleep_ms(200);
	}
	vt_rig_percentiles(lat, n, p50, p99, max);
}

/* 3. A reload flood with a 1 MB configuration. */
static void
s_reloads(void)
{
	struct vt_rig_bed bed;
	struct vt_rig_daemon d;
	if (vt_rig_bed_open(&bed, "bench-limits", "masimo-ascii", "stale_after: 10m", false) != 0)
		return;
	size_t cap = 2 << 20, used = 0;
	char *mons = malloc(cap), *rules = malloc(cap);
	used += (size_t)snprintf(mons, cap, "%s", bed.monitors);
	for (int i = 2; i <= 256; i++)
		used += (size_t)snprintf(mons + used, cap - used,
		                         "  - {bed: chair-%d, port: %s/absent-%d, protocol: masimo-ascii}\n", i,
		                         bed.dir, i);
	used = (size_t)snprintf(rules, cap, "  - {name: spo2-low, parameter: spo2, below: 90, "
	                                    "clear_at: 92, priority: high}\n");
	for (int r = 1; r < 256; r++) {
		used += (size_t)snprintf(rules + used, cap - used,
		                         "  - {name: pr-high-%d, parameter: pr, above: %d, beds: [chair-1", r,
		                         150 + r % 50);
		for (int b = 2; b <= 256; b++)
			used += (size_t)snprintf(rules + used, cap - used, ", chair-%d", b);
		used += (size_t)snprintf(rules + used, cap - used, "]}\n");
	}
	if (vt_rig_daemon_start(&d, bed.dir, "heartbeat: 1s\n", mons, rules) != 0) {
		printf("3. reloads: the daemon did not start\n");
		return;
	}
	char *text = vt_rig_slurp(d.config, &used);
	free(text);
	vt_rig_daemon_port_is(&d, "chair-1", "connected", 20000);
	void *sub = vt_rig_sub(d.pub, "alert.", 0);
	vt_rig_pty_masimo(&bed.pty, 97, 70);
	vt_rig_sleep_ms(1000);
	double q50, q99, qmax, f50, f99, fmax;
	s_alarm_latency(&bed.pty, sub, 10, &q50, &q99, &qmax);

	/* The flood: a process of its own, pipelining requests as fast as they are answered. */
	fflush(stdout);
	pid_t flood = fork();
	if (flood == 0) {
		struct vt_rig_flood f;
		vt_rig_request_flood(d.ctl, "{\"cmd\":\"reload\",\"by\":\"flood\"}", 12000, &f);
		long sent = f.sent, answered = f.answered, ok = f.ok;
		printf("   the flooding client: %ld requests, %ld answered, %ld reloads done\n", sent,
		       answered, ok);
		fflush(stdout);
		_exit(0);
	}
	vt_rig_sleep_ms(1000);
	size_t log0;
	free(vt_rig_slurp(d.proc.log, &log0));
	char *l0 = vt_rig_slurp(d.proc.log, NULL);
	int lines0 = 0;
	for (const char *p = l0; p && (p = strchr(p, '\n')); p++)
		lines0++;
	free(l0);
	struct vt_rig_proc p0, p1;
	vt_rig_proc(d.proc.pid, &p0);
	s_alarm_latency(&bed.pty, sub, 10, &f50, &f99, &fmax);
	vt_rig_proc(d.proc.pid, &p1);
	char *l1 = vt_rig_slurp(d.proc.log, NULL);
	int lines1 = 0, reloads = 0;
	for (const char *p = l1; p && (p = strchr(p, '\n')); p++)
		lines1++;
	for (const char *p = l1; p && (p = strstr(p, "configuration reloaded")); p++)
		reloads++;
	free(l1);
	waitpid(flood, NULL, 0);
	printf("3. reload flood, %zu-byte configuration (256 monitors, 256 rules), 10 s:\n", used);
	printf("   daemon CPU %.0f %%, %d log lines in the 10 s (%.1f a second), %d reloads in all\n",
	       s_cpu(&p0, &p1, 10.0), lines1 - lines0, (double)(lines1 - lines0) / 10.0, reloads);
	printf("   alarm latency, ms   p50 %.1f  p99 %.1f  max %.1f  (without the flood: p50 %.1f  "
	       "p99 %.1f  max %.1f)\n",
	       f50, f99, fmax, q50, q99, qmax);
	/* Reloads that do change the file: one a second, pr-high-1's limit 152, 151, 152... */
	fflush(stdout);
	pid_t changer = fork();
	if (changer == 0) {
		/* A context of its own: the parent's does not survive fork. */
		void *ctx = zmq_ctx_new(), *c = zmq_socket(ctx, ZMQ_DEALER);
		zmq_connect(c, d.ctl);
		int64_t end = vt_rig_now_ms() + 10000;
		for (int k = 0; vt_rig_now_ms() < end; k++) {
			char *r2 = strdup(rules), *at = strstr(r2, "above: 151");
			if (at != NULL)
				at[9] = (char)('1' + (k + 1) % 2);
			vt_rig_daemon_config(&d, "heartbeat: 1s\n", mons, r2);
			free(r2);
			zmq_send(c, "", 0, ZMQ_SNDMORE);
			zmq_send(c, "{\"cmd\":\"reload\",\"by\":\"changer\"}", 31, 0);
			zmq_pollitem_t it = {.socket = c, .events = ZMQ_POLLIN};
			char buf[512];
			if (zmq_poll(&it, 1, 5000) > 0)
				while (zmq_recv(c, buf, sizeof(buf), ZMQ_DONTWAIT) >= 0)
					;
			vt_rig_sleep_ms(1000);
		}
		_exit(0);
	}
	double c50, c99, cmax;
	s_alarm_latency(&bed.pty, sub, 10, &c50, &c99, &cmax);
	waitpid(changer, NULL, 0);
	char *l2 = vt_rig_slurp(d.proc.log, NULL);
	int applied = 0;
	for (const char *p = l2; p && (p = strstr(p, "configuration reloaded")); p++)
		applied++;
	if (getenv("BENCH_DEBUG"))
		fprintf(stderr, "%s", l2 ? l2 + (strlen(l2) > 3000 ? strlen(l2) - 3000 : 0) : "");
	free(l2);
	printf("   with a reload a second that changes the file (%d applied): alarm latency p50 %.1f  "
	       "p99 %.1f  max %.1f ms\n",
	       applied - reloads, c50, c99, cmax);
	zmq_close(sub);
	vt_rig_daemon_stop(&d);
	vt_rig_bed_close(&bed);
	free(mons);
	free(rules);
}

/* 4. A device flooding its port, with recording. */
static void
s_recording(void)
{
	struct vt_rig_bed bed;
	struct vt_rig_daemon d;
	if (vt_rig_bed_open(&bed, "bench-limits", "masimo-ascii", "stale_after: 10m", true) != 0 ||
	    vt_rig_daemon_start(&d, bed.dir, bed.extra, bed.monitors, NULL) != 0)
		return;
	vt_rig_daemon_port_is(&d, "chair-1", "connected", 20000);
	int64_t end = vt_rig_now_ms() + 20000;
	long lines = 0;
	while (vt_rig_now_ms() < end) {
		s_flood_lines(&bed.pty, 1000);
		lines += 1000;
	}
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "find %s -type f -printf '%%s\\n' | awk '{s += $1} END {print s}'",
	         bed.rec);
	FILE *fp = popen(cmd, "r");
	long bytes = 0;
	if (fp != NULL) {
		if (fscanf(fp, "%ld", &bytes) != 1)
			bytes = -1;
		pclose(fp);
	}
	printf("4. a device flooding its port for 20 s (%ld lines, %.1f MB): %ld bytes recorded\n",
	       lines, (double)lines * 130 / 1e6, bytes);
	vt_rig_daemon_stop(&d);
	vt_rig_bed_close(&bed);
}

/* 5. --replay of /dev/zero. */
static void
s_replay(void)
{
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c",
	                (char *)vt_rig_root("tests/data/replay.yaml"), "--replay", "chair-1=/dev/zero",
	                NULL};
	int64_t t0 = vt_rig_now_ms();
	pid_t pid = vt_rig_spawn(argv, "/dev/null", "/dev/null");
	int status = vt_rig_wait(pid, 60000);
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("5. --replay chair-1=/dev/zero: exit %d after %lld ms, peak RSS of the children so far "
	       "%ld KiB\n",
	       status, (long long)(vt_rig_now_ms() - t0), ru.ru_maxrss);
}

int
main(int argc, char **argv)
{
	/* `bench_limits 3` runs the third case only. */
	int only = argc > 1 ? atoi(argv[1]) : 0;
	printf("machine: %s\n", vt_rig_machine());
	if (only == 0 || only == 1)
		s_connections();
	if (only == 0 || only == 2)
		s_subscribers();
	if (only == 0 || only == 3)
		s_reloads();
	if (only == 0 || only == 4)
		s_recording();
	if (only == 0 || only == 5)
		s_replay();
	vt_rig_zctx_term();
	return 0;
}
