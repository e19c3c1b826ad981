/*
 * How long a nurse's console waits for an alarm. One Masimo monitor on a
 * pseudo-terminal, one rule (SpO2 below 90, no delay); the clock starts
 * just before the line with the low value is written into the monitor's
 * pty and stops when a SUB client on 127.0.0.1 holds the `alert` message:
 * the daemon's wake-up, the read, the driver, the rules, the encoding and
 * the ZeroMQ hop, end to end. Raise and clear alternate, a few
 * milliseconds apart, 500 alerts in all. Beside it, in the same run, the
 * bare ZeroMQ PUB -> SUB hop over TCP on 127.0.0.1 with a message of the
 * same size, which is the floor the daemon's figure stands on.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "../tests/support/support.h"

#define ALERTS 500
#define TARGET_P99_MS 1.0
#define TARGET_RATIO 3.0

static void
s_report(const char *what, double *ms, size_t n)
{
	double p50, p99, max;
	vt_rig_percentiles(ms, n, &p50, &p99, &max);
	printf("%-34s %6zu %9.3f %9.3f %9.3f\n", what, n, p50, p99, max);
}

/* Daemon path: pty write -> alert on a SUB. Latencies in ms into out; how many. */
static size_t
s_daemon(double *out)
{
	struct vt_rig_bed b;
	if (vt_rig_bed_open(&b, "bench-latency", "masimo-ascii", NULL, false) != 0)
		return 0;
	struct vt_rig_daemon d;
	size_t n = 0;
	if (vt_rig_daemon_start(&d, b.dir, b.extra, b.monitors,
	                                 "  - {name: spo2-low, parameter: spo2, below: 90, priority: high}\n") != 0)
		goto out;
	void *sub = vt_rig_sub(d.pub, "alert.", 0);
	char line[256], topic[128], body[4096];
	/* Until the subscription is in place, alerts are lost: raise and clear
	 * until one arrives, then start from a cleared alarm. */
	bool joined = false, low = false;
	for (int i = 0; i < 200 && !joined; i++) {
		low = !low;
		int len = vt_rig_masimo_line(line, sizeof(line), low ? 85 : 95, 72);
		vt_rig_pty_write(&b.pty, line, (size_t)len);
		joined = vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 50) >= 0;
	}
	if (!joined) {
		fprintf(stderr, "bench_latency: no alert from the daemon; see %s\n", d.proc.log);
		goto stop;
	}
	if (low) {
		int len = vt_rig_masimo_line(line, sizeof(line), 95, 72);
		vt_rig_pty_write(&b.pty, line, (size_t)len);
		vt_rig_wait_msg(sub, "alert.", "\"cleared\"", 1000);
	}
	while (vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 50) >= 0)
		;
	for (int i = 0; i < ALERTS; i++) {
		bool raise = i % 2 == 0;
		int len = vt_rig_masimo_line(line, sizeof(line), raise ? 85 : 95, 72);
		vt_rig_sleep_ms(2 + i % 4); /* apart, so that no two alerts share a wake-up */
		int64_t t0 = vt_rig_now_ns();
		if (vt_rig_pty_write(&b.pty, line, (size_t)len) != 0)
			break;
		if (!vt_rig_wait_msg(sub, "alert.", raise ? "\"raised\"" : "\"cleared\"", 2000)) {
			fprintf(stderr, "bench_latency: alert %d did not come\n", i);
			break;
		}
		out[n++] = (double)(vt_rig_now_ns() - t0) / 1e6;
	}
stop:
	zmq_close(sub);
	vt_rig_daemon_stop(&d);
out:
	vt_rig_bed_close(&b);
	return n;
}

/* Bare hop: PUB (its own context and I/O thread, as in another process) -> SUB. */
static size_t
s_bare(double *out)
{
	void *pctx = zmq_ctx_new();
	void *pub = zmq_socket(pctx, ZMQ_PUB);
	int linger = 0;
	zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof(linger));
	char ep[64];
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", vt_rig_free_port());
	if (zmq_bind(pub, ep) != 0) {
		fprintf(stderr, "bench_latency: bind %s: %s\n", ep, zmq_strerror(errno));
		return 0;
	}
	void *sub = vt_rig_sub(ep, "alert.", 0);
	/* An alert-sized body, as the daemon sends. */
	char msg[420], topic[128], body[4096];
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	bool joined = false;
	for (int i = 0; i < 200 && !joined; i++) {
		zmq_send(pub, "alert.chair-1", 13, ZMQ_SNDMORE);
		zmq_send(pub, msg, strlen(msg), 0);
		joined = vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 50) >= 0;
	}
	while (vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 50) >= 0)
		;
	size_t n = 0;
	for (int i = 0; joined && i < ALERTS; i++) {
		vt_rig_sleep_ms(2 + i % 4);
		int64_t t0 = vt_rig_now_ns();
		zmq_send(pub, "alert.chair-1", 13, ZMQ_SNDMORE);
		zmq_send(pub, msg, strlen(msg), 0);
		if (vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 2000) < 0)
			break;
		out[n++] = (double)(vt_rig_now_ns() - t0) / 1e6;
	}
	zmq_close(sub);
	zmq_close(pub);
	zmq_ctx_term(pctx);
	return n;
}

int
main(void)
{
	static double daemon_ms[ALERTS], bare_ms[ALERTS];
	size_t nb = s_bare(bare_ms);
	size_t nd = s_daemon(daemon_ms);
	vt_rig_zctx_term();
	if (nd < ALERTS || nb < ALERTS) {
		fprintf(stderr, "bench_latency: incomplete run (%zu daemon, %zu bare)\n", nd, nb);
		return 1;
	}
	printf("machine: %s\n", vt_rig_machine());
	printf("%-34s %6s %9s %9s %9s\n", "milliseconds", "n", "p50", "p99", "max");
	s_report("pty write -> alert on SUB", daemon_ms, nd);
	s_report("baseline: bare PUB -> SUB hop", bare_ms, nb);
	double p50d, p99d, maxd, p50b, p99b, maxb;
	vt_rig_percentiles(daemon_ms, nd, &p50d, &p99d, &maxd);
	vt_rig_percentiles(bare_ms, nb, &p50b, &p99b, &maxb);
	printf("p99 target <= %.1f ms: %s; p99 within %.0fx the bare hop: %.1fx, %s\n", TARGET_P99_MS,
	       p99d <= TARGET_P99_MS ? "met" : "MISSED", TARGET_RATIO, p99d / p99b,
	       p99d <= TARGET_RATIO * p99b ? "met" : "MISSED");
	return 0;
}
