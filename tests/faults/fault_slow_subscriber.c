/*
 * Fault: a subscriber that connects and never reads (a console frozen
 * behind a dialog box, a script stopped in a debugger). A PUB socket must
 * drop for it rather than block or buffer without end (docs/protocol.md): the
 * other consoles must not notice, and the daemon's memory must stay put.
 * Sixteen Nonin DF#7 monitors send an hour of readings in a minute (60
 * times real speed, 2,880 readings a second), while one SUB never calls
 * recv (receive queue of one message, smallest kernel buffer) and another
 * reads everything.
 *
 * Pass: the reading subscriber sees every message, seq without a gap;
 * the daemon's RSS, sampled every second, stays under its value before
 * the traffic plus 16 MB, and grows by less than 2 MB over the last three
 * quarters of the run (the never-reading peer's queue is full by then:
 * anything more would be a leak).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "vitals/emulator/encode.h"

#include "../support/support.h"

#define MONITORS 16
#define SPEED 60
#define SECONDS 60

struct gen {
	struct vt_rig_pty *pty;
	atomic_bool stop;
	long packets;
};

/* Three packets (a second of device time) per write, SPEED writes a second per monitor. */
static void *
s_generate(void *arg)
{
	struct gen *g = arg;
	const struct vt_encoder *enc = vt_encoder_find("nonin-df7");
	static _Alignas(max_align_t) uint8_t es[MONITORS][VT_ENCODE_STATE_MAX];
	for (int i = 0; i < MONITORS; i++)
		enc->reset(es[i], NULL);
	int64_t period = 1000000000 / SPEED, next = vt_rig_now_ns();
	for (long k = 0; !atomic_load(&g->stop); k++) {
		for (int i = 0; i < MONITORS; i++) {
			uint8_t buf[3 * VT_ENCODE_MAX];
			size_t len = 0;
			for (int p = 0; p < 3; p++) {
				struct vt_reading r = {0};
				vt_reading_set(&r, VT_SPO2, 90 + (int)((k * 3 + p + i) % 10));
				vt_reading_set(&r, VT_PR, 60 + (int)((k * 3 + p) % 60));
				r.has_status = true;
				len += enc->encode(es[i], &r, 1795600000000 + (k * 3 + p) * 333, buf + len,
				                   sizeof(buf) - len);
			}
			if (vt_rig_pty_write(&g->pty[i], buf, len) != 0)
				return NULL;
			g->packets += 3;
		}
		next += period;
		struct timespec ts = {.tv_sec = next / 1000000000, .tv_nsec = next % 1000000000};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	return NULL;
}

Test(fault_slow_subscriber, a_subscriber_that_never_reads, .timeout = 300)
{
	char dir[128], mons[MONITORS * 200];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "fault-slowsub"), 0);
	static struct vt_rig_pty pty[MONITORS];
	size_t used = 0;
	for (int i = 0; i < MONITORS; i++) {
		char link[200];
		snprintf(link, sizeof(link), "%s/chair-%02d", dir, i + 1);
		cr_assert_eq(vt_rig_pty_open(&pty[i], link), 0);
		used += (size_t)snprintf(mons + used, sizeof(mons) - used,
		                         "  - {bed: chair-%02d, port: %s, protocol: nonin-df7}\n", i + 1,
		                         link);
	}
	struct vt_rig_daemon d;
	cr_assert_eq(vt_rig_daemon_start(&d, dir, NULL, mons,
	                                 "  - {name: spo2-low, parameter: spo2, below: 92}\n"
	                                 "  - {name: pr-high, parameter: pr, above: 110, for: 5s}\n"),
	             0);

	/* The one that never reads: its own context, the smallest queue and buffer. */
	void *slow_ctx = zmq_ctx_new();
	void *slow = zmq_socket(slow_ctx, ZMQ_SUB);
	int one = 1, small = 4096, linger = 0;
	zmq_setsockopt(slow, ZMQ_RCVHWM, &one, sizeof(one));
	zmq_setsockopt(slow, ZMQ_RCVBUF, &small, sizeof(small));
	zmq_setsockopt(slow, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(slow, ZMQ_SUBSCRIBE, "", 0);
	cr_assert_eq(zmq_connect(slow, d.pub), 0);
	void *good = vt_rig_sub(d.pub, "", 0);
	cr_assert(vt_rig_wait_msg(good, "heartbeat", NULL, 3000), "no heartbeat");

	struct vt_rig_proc p;
	cr_assert_eq(vt_rig_proc(d.proc.pid, &p), 0);
	long rss_start = p.rss_kb, rss_max = p.rss_kb, rss_quarter = 0, rss_late_max = 0;
	struct gen g = {.pty = pty};
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, s_generate, &g), 0);
	int64_t t0 = vt_rig_now_ms(), next_sample = t0 + 1000;
	uint64_t last_seq = 0;
	long received = 0, gaps = 0, vitals = 0;
	char topic[128], body[8192];
	while (vt_rig_now_ms() < t0 + SECONDS * 1000) {
		if (vt_rig_recv(good, topic, sizeof(topic), body, sizeof(body), 100) >= 0) {
			uint64_t seq = vt_rig_seq(body);
			gaps += last_seq != 0 && seq != last_seq + 1;
			last_seq = seq;
			received++;
			vitals += strncmp(topic, "vitals.", 7) == 0;
		}
		if (vt_rig_now_ms() >= next_sample) {
			next_sample += 1000;
			cr_assert_eq(vt_rig_proc(d.proc.pid, &p), 0, "the daemon died");
			if (p.rss_kb > rss_max)
				rss_max = p.rss_kb;
			if (rss_quarter == 0 && vt_rig_now_ms() >= t0 + SECONDS * 250)
				rss_quarter = p.rss_kb;
			if (rss_quarter != 0 && p.rss_kb > rss_late_max)
				rss_late_max = p.rss_kb;
		}
	}
	atomic_store(&g.stop, true);
	pthread_join(th, NULL);
	/* What is still on its way. */
	while (vt_rig_recv(good, topic, sizeof(topic), body, sizeof(body), 500) >= 0) {
		uint64_t seq = vt_rig_seq(body);
		gaps += last_seq != 0 && seq != last_seq + 1;
		last_seq = seq;
		received++;
	}
	cr_expect_eq(gaps, 0, "%ld gaps in seq for the subscriber that reads", gaps);
	cr_expect_gt(vitals, (long)MONITORS * 3 * SPEED * SECONDS / 2,
	             "only %ld vitals messages for %ld packets", vitals, g.packets);
	cr_expect_lt(rss_max - rss_start, 16 * 1024, "RSS from %ld kB to %ld kB", rss_start,
	             rss_max);
	cr_expect_lt(rss_late_max - rss_quarter, 2048,
	             "RSS still growing: %ld kB at a quarter of the run, up to %ld kB later",
	             rss_quarter, rss_late_max);
	cr_assert(vt_rig_ping(d.ctl, 2000), "the daemon does not answer");
	cr_log_info("%ld packets (%.0f h of %d monitors at 3/s) in %d s; %ld messages read, "
	            "%ld gaps; RSS %ld kB at start, %ld at a quarter, max %ld",
	            g.packets, (double)g.packets / MONITORS / 3 / 3600, MONITORS, SECONDS, received,
	            gaps, rss_start, rss_quarter, rss_max);
	zmq_close(slow);
	zmq_ctx_term(slow_ctx);
	zmq_close(good);
	vt_rig_daemon_stop(&d);
	for (int i = 0; i < MONITORS; i++)
		vt_rig_pty_close(&pty[i]);
	vt_rig_zctx_term();
	vt_rig_rmtree(dir);
}
