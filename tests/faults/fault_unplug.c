/*
 * Fault: a monitor's cable pulled and plugged back in, over and over (a
 * loose USB adapter, a nurse moving the chair). The daemon closes and
 * reopens the port every time; a descriptor, a buffer or an alarm left
 * behind per cycle would add up over the weeks a daemon runs. One Nonin
 * DF#7 monitor on a pty; a cycle is: one packet in (its reading must come
 * out as vitals), the cable swapped for a new pty (the daemon must publish
 * status "lost", then "connected"). The new pty is linked in before the
 * old one hangs up, so the daemon's first reopen, 100 ms on, finds it
 * however the test is scheduled. Every tenth cycle the cable is pulled
 * (link removed) and stays out past stale_after, so comm-lost is raised,
 * and the next packet must clear it.
 *
 * VT_FAULT_CYCLES sets the number of cycles (default 1000, about 4 min
 * on 2 cores). Pass: every cycle sees its reading, one change of state to
 * "lost" and one "connected"; comm-lost raised exactly once per long cycle and
 * cleared as often; no alarm active at the end; the daemon's descriptors
 * after the last cycle are no more than after the first ten, and its RSS
 * within 2 MB of it; no gap in seq.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "vitals/emulator/encode.h"

#include "../support/support.h"

#define LONG_EVERY 10

/* Everything the subscriber has seen. */
struct tally {
	long comm_raised, comm_cleared, connected;
	long lost;    /* status messages saying "lost" */
	long went_lost; /* of those, the ones that changed the state */
	bool is_lost;
	uint64_t last_seq;
	long gaps;
};

/* The pulse rate of a vitals body, or -1. */
static int
s_pr(const char *body)
{
	const char *p = strstr(body, "\"pr\":");
	return p && p[5] >= '0' && p[5] <= '9' ? atoi(p + 5) : -1;
}

/*
 * Receive (tallying everything) until a message of `topic` containing
 * `needle` arrives, or, when pr >= 0, a vitals message with that pulse
 * rate. False after timeout_ms.
 */
static bool
s_until(void *sub, struct tally *t, const char *topic, const char *needle, int pr,
        int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	char top[128], body[8192];
	for (;;) {
		int64_t left = end - vt_rig_now_ms();
		if (left <= 0)
			return false;
		if (vt_rig_recv(sub, top, sizeof(top), body, sizeof(body), (int)left) < 0)
			continue;
		uint64_t seq = vt_rig_seq(body);
		if (t->last_seq != 0 && seq != t->last_seq + 1)
			t->gaps++;
		t->last_seq = seq;
		bool comm = strstr(body, "\"rule\":\"comm-lost\"") != NULL;
		t->comm_raised += comm && strstr(body, "\"event\":\"raised\"") != NULL;
		t->comm_cleared += comm && strstr(body, "\"event\":\"cleared\"") != NULL;
		bool status = strncmp(top, "status.", 7) == 0;
		if (status) {
			bool lost = strstr(body, "\"state\":\"lost\"") != NULL;
			t->lost += lost;
			t->went_lost += lost && !t->is_lost;
			t->is_lost = lost;
			t->connected += strstr(body, "\"state\":\"connected\"") != NULL;
		}
		if (pr >= 0 && strncmp(top, "vitals.", 7) == 0 && s_pr(body) == pr)
			return true;
		if (pr < 0 && strncmp(top, topic, strlen(topic)) == 0 && strstr(body, needle) != NULL)
			return true;
	}
}

/* One DF#7 packet with this pulse rate, from a monitor just powered up. */
static void
s_packet(struct vt_rig_pty *pty, const struct vt_encoder *enc, void *es, int pr, int64_t wall)
{
	struct vt_reading r = {0};
	vt_reading_set(&r, VT_SPO2, 97);
	vt_reading_set(&r, VT_PR, pr);
	r.has_status = true;
	uint8_t pkt[VT_ENCODE_MAX];
	enc->reset(es, NULL);
	size_t len = enc->encode(es, &r, wall, pkt, sizeof(pkt));
	cr_assert_eq(vt_rig_pty_write(pty, pkt, len), 0);
}

Test(fault_unplug, unplug_and_replug_a_thousand_times, .timeout = 1200)
{
	const char *env = getenv("VT_FAULT_CYCLES");
	long cycles = env && atol(env) > 0 ? atol(env) : 1000;
	struct vt_rig_bed b;
	cr_assert_eq(vt_rig_bed_open(&b, "fault-unplug", "nonin-df7", "stale_after: 700ms", false),
	             0);
	struct vt_rig_daemon d;
	cr_assert_eq(vt_rig_daemon_start(&d, b.dir, b.extra, b.monitors,
	                                 "  - {name: spo2-low, parameter: spo2, below: 90}\n"), 0);
	void *sub = vt_rig_sub(d.pub, "", 0);
	struct tally t = {0};
	const struct vt_encoder *enc = vt_encoder_find("nonin-df7");
	_Alignas(max_align_t) uint8_t es[VT_ENCODE_STATE_MAX];
	/* Data every 200 ms (well within stale_after) until the subscriber sees it. */
	bool joined = false;
	for (int i = 0; i < 50 && !joined; i++) {
		s_packet(&b.pty, enc, es, 38 + i % 2, 1795500000000 + i * 1000);
		joined = s_until(sub, &t, NULL, NULL, 38 + i % 2, 200);
	}
	cr_assert(joined, "no reading at start; see %s", d.proc.log);
	t = (struct tally){.last_seq = t.last_seq};
	struct vt_rig_proc base = {0}, end;
	int64_t start = vt_rig_now_ms();
	long long_cycles = 0;
	for (long c = 0; c < cycles; c++) {
		/* One packet; its reading must come through. */
		int pr = 40 + (int)(c % 200);
		s_packet(&b.pty, enc, es, pr, 1795600000000 + c * 1000);
		cr_assert(s_until(sub, &t, NULL, NULL, pr, 3000), "cycle %ld: reading pr %d lost", c,
		          pr);
		if (c > 0 && (c - 1) % LONG_EVERY == LONG_EVERY - 1)
			cr_assert(s_until(sub, &t, "alert.", "\"cleared\"", -1, 3000),
			          "cycle %ld: comm-lost not cleared", c);
		if (c == 10) {
			cr_assert_eq(vt_rig_proc(d.proc.pid, &base), 0);
			start = vt_rig_now_ms();
		}

		bool long_cycle = c % LONG_EVERY == LONG_EVERY - 1;
		if (long_cycle)
			vt_rig_pty_unplug(&b.pty);
		else
			cr_assert_eq(vt_rig_pty_swap(&b.pty), 0);
		cr_assert(s_until(sub, &t, "status.", "\"lost\"", -1, 3000), "cycle %ld: no lost", c);
		if (long_cycle) {
			cr_assert(s_until(sub, &t, "alert.", "\"comm-lost\"", -1, 3000),
			          "cycle %ld: no comm-lost", c);
			long_cycles++;
			cr_assert_eq(vt_rig_pty_plug(&b.pty), 0);
		}
		cr_assert(s_until(sub, &t, "status.", "\"connected\"", -1, 5000),
		          "cycle %ld: not connected again", c);
	}
	/* A last packet clears a comm-lost left by a final long cycle. */
	s_packet(&b.pty, enc, es, 39, 1795700000000);
	cr_assert(s_until(sub, &t, NULL, NULL, 39, 3000));
	if ((cycles - 1) % LONG_EVERY == LONG_EVERY - 1)
		cr_assert(s_until(sub, &t, "alert.", "\"cleared\"", -1, 3000),
		          "the last comm-lost was not cleared");
	vt_rig_sleep_ms(200);
	cr_assert_eq(vt_rig_proc(d.proc.pid, &end), 0);
	double secs = (double)(vt_rig_now_ms() - start) / 1000;

	/* A long cycle may say "lost" twice: the hang-up, then the failed reopen's reason. */
	cr_expect_eq(t.went_lost, cycles, "the state went to lost %ld times in %ld cycles",
	             t.went_lost, cycles);
	cr_expect(t.lost <= cycles + long_cycles, "status lost %ld times in %ld cycles", t.lost,
	          cycles);
	cr_expect_eq(t.connected, cycles, "status connected %ld times", t.connected);
	cr_expect_eq(t.comm_raised, long_cycles, "comm-lost raised %ld times in %ld long cycles",
	             t.comm_raised, long_cycles);
	cr_expect_eq(t.comm_cleared, t.comm_raised, "comm-lost raised %ld, cleared %ld",
	             t.comm_raised, t.comm_cleared);
	cr_expect_eq(t.gaps, 0, "%ld gaps in seq", t.gaps);
	char *snap = vt_rig_request(d.ctl, "{\"cmd\":\"snapshot\"}", 2000);
	cr_assert_not_null(snap);
	cr_expect(strstr(snap, "\"alerts\":[]") != NULL, "alarms still active: %.300s", snap);
	free(snap);
	if (cycles > 10) {
		cr_expect_leq(end.fds, base.fds, "descriptors: %d after 10 cycles, %d after %ld",
		              base.fds, end.fds, cycles);
		cr_expect_lt(end.rss_kb - base.rss_kb, 2048, "RSS: %ld kB after 10 cycles, %ld after %ld",
		             base.rss_kb, end.rss_kb, cycles);
	}
	cr_log_info("%ld cycles (%ld long) in %.0f s after the first 10; fds %d -> %d, RSS %ld -> "
	            "%ld kB",
	            cycles, long_cycles, secs, base.fds, end.fds, base.rss_kb, end.rss_kb);
	zmq_close(sub);
	vt_rig_daemon_stop(&d);
	vt_rig_zctx_term();
	vt_rig_bed_close(&b);
}
