/*
 * A large suite against one daemon: 64, then 128 Nonin DF#7 oximeters
 * (75 frames, 3 packets a second each), with recording on and a few rules.
 * The monitors are pseudo-terminals fed by one generator thread here,
 * which encodes every packet with the project's own DF#7 encoder and
 * writes it on schedule, each monitor a little out of phase with the next
 * as real devices are. Reported per size:
 *   - the daemon's CPU, as a share of one core (utime + stime over the
 *     measured interval, from /proc/PID/stat), and its peak RSS (VmHWM);
 *   - frames lost: each packet carries a pulse rate one above the last, so
 *     the vitals messages show every reading that got through; a gap in a
 *     bed's sequence is a lost packet (25 frames);
 *   - alert latency under that load: one monitor drops its SpO2 below the
 *     alarm limit once a second and comes back; write to alert on a SUB.
 * Beside them, the generator's own CPU: what producing the bytes costs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "vitals/emulator/encode.h"

#include "../tests/support/support.h"

#define SECONDS 20            /* measured interval per size */
#define PERIOD_NS (1000000000ll / 3)
#define MAX_MONITORS 128
#define PR_BASE 50            /* pulse rates cycle PR_BASE .. PR_BASE + PR_SPAN - 1 */
#define PR_SPAN 100
#define TARGET_CPU 0.10
#define TARGET_RSS_KB (32 * 1024)

struct monitor {
	struct vt_rig_pty pty;
	_Alignas(max_align_t) uint8_t enc[VT_ENCODE_STATE_MAX];
	long sent;                 /* packets written */
	/* what the SUB side saw */
	int last_pr;               /* -1 before the first vitals message */
	long seen;                 /* distinct readings */
	long lost;                 /* readings skipped in the sequence */
};

struct run {
	int n;
	struct monitor *mon;
	const struct vt_encoder *enc;
	atomic_bool stop;
	atomic_llong probe_t0;     /* when the probe's alarm-changing packet was written */
	atomic_int probe_low;      /* 1: that packet raised, 0: cleared */
	int64_t gen_cpu_ns;        /* the generator thread's CPU */
};

static int64_t
s_thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The generator: every monitor's packets on schedule, until stopped. */
static void *
s_generate(void *arg)
{
	struct run *run = arg;
	int64_t start = vt_rig_now_ns() + 50000000, cpu0 = s_thread_cpu_ns();
	long *k = calloc((size_t)run->n, sizeof(*k));
	while (!atomic_load(&run->stop)) {
		/* The monitor whose next packet is due first. */
		int next = 0;
		int64_t due = INT64_MAX;
		for (int i = 0; i < run->n; i++) {
			int64_t t = start + (int64_t)i * PERIOD_NS / run->n + k[i] * PERIOD_NS;
			if (t < due)
				due = t, next = i;
		}
		struct timespec ts = {.tv_sec = due / 1000000000, .tv_nsec = due % 1000000000};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		struct monitor *m = &run->mon[next];
		long seq = k[next]++;
		struct vt_reading r = {0};
		vt_reading_set(&r, VT_PR, PR_BASE + seq % PR_SPAN);
		/* The probe (monitor 0) desaturates every other packet: an alert
		 * raised or cleared three times a second. */
		bool probe = next == 0;
		bool low = probe && seq % 2 == 0;
		vt_reading_set(&r, VT_SPO2, low ? 86 : 96 + (int)(seq / 3 % 3));
		r.has_status = true;
		uint8_t buf[VT_ENCODE_MAX];
		size_t len = run->enc->encode(m->enc, &r, 1795600000000 + seq * 333, buf, sizeof(buf));
		if (probe) {
			atomic_store(&run->probe_low, low);
			atomic_store(&run->probe_t0, vt_rig_now_ns());
		}
		if (vt_rig_pty_write(&m->pty, buf, len) != 0)
			break;
		m->sent++;
	}
	run->gen_cpu_ns = s_thread_cpu_ns() - cpu0;
	free(k);
	return NULL;
}

/* The pulse rate in a vitals body, or -1. */
static int
s_pr(const char *body)
{
	const char *p = strstr(body, "\"pr\":");
	return p && p[5] >= '0' && p[5] <= '9' ? atoi(p + 5) : -1;
}

static const char s_rules[] =
    "  - {name: spo2-low, parameter: spo2, below: 90, priority: high}\n"
    "  - {name: spo2-critical, parameter: spo2, below: 85, for: 5s, priority: high}\n"
    "  - {name: pr-high, parameter: pr, above: 160, for: 10s, clear_at: 155}\n"
    "  - {name: pr-low, parameter: pr, below: 40, for: 10s, clear_at: 45}\n"
    "  - {name: spo2-falling, parameter: spo2, falls_by: 4, within: 60s}\n";

/* One size: 0, or -1 if the run could not be made. */
static int
s_run(int n, bool *pass)
{
	char dir[128], rec[300];
	if (vt_rig_tmpdir(dir, sizeof(dir), "bench-scale") != 0)
		return -1;
	snprintf(rec, sizeof(rec), "record_dir: %s/record\n", dir);
	struct run run = {.n = n, .enc = vt_encoder_find("nonin-df7")};
	run.mon = calloc((size_t)n, sizeof(*run.mon));
	size_t cap = (size_t)n * 200;
	char *mons = malloc(cap);
	size_t used = 0;
	for (int i = 0; i < n; i++) {
		char link[200];
		snprintf(link, sizeof(link), "%s/chair-%03d", dir, i + 1);
		if (vt_rig_pty_open(&run.mon[i].pty, link) != 0) {
			perror("bench_scale: pty");
			return -1;
		}
		run.enc->reset(run.mon[i].enc, NULL);
		run.mon[i].last_pr = -1;
		used += (size_t)snprintf(mons + used, cap - used,
		                         "  - {bed: chair-%03d, port: %s, protocol: nonin-df7}\n", i + 1,
		                         link);
	}
	struct vt_rig_daemon d;
	int started = vt_rig_daemon_start(&d, dir, rec, mons, s_rules);
	free(mons);
	if (started != 0)
		return -1;
	void *sub = vt_rig_sub(d.pub, "", 0);
	/* Every port open, and the subscription in place (a heartbeat came). */
	int64_t end = vt_rig_now_ms() + 10000;
	bool ready = false;
	while (!ready && vt_rig_now_ms() < end) {
		char *snap = vt_rig_request(d.ctl, "{\"cmd\":\"snapshot\"}", 1000);
		int connected = 0;
		for (const char *p = snap; p && (p = strstr(p, "\"connected\"")) != NULL; p++)
			connected++;
		free(snap);
		ready = connected == n;
		if (!ready)
			vt_rig_sleep_ms(100);
	}
	if (!ready || !vt_rig_wait_msg(sub, "heartbeat", NULL, 3000)) {
		fprintf(stderr, "bench_scale: %d monitors did not all connect; see %s\n", n, d.proc.log);
		vt_rig_daemon_stop(&d);
		return -1;
	}

	struct vt_rig_proc p0, p1;
	vt_rig_proc(d.proc.pid, &p0);
	int64_t t0 = vt_rig_now_ns();
	pthread_t gen;
	pthread_create(&gen, NULL, s_generate, &run);
	static double lat[SECONDS * 4 + 16];
	size_t n_lat = 0;
	int64_t stop_at = t0 + (int64_t)SECONDS * 1000000000, drain_until = 0, t1 = 0;
	char topic[128], body[4096];
	for (;;) {
		int64_t now = vt_rig_now_ns();
		if (drain_until == 0 && now >= stop_at) {
			vt_rig_proc(d.proc.pid, &p1);
			t1 = vt_rig_now_ns();
			atomic_store(&run.stop, true);
			pthread_join(gen, NULL);
			/* What was written is read within this; refreshes come only after 1 s. */
			drain_until = vt_rig_now_ns() + 300000000;
		}
		if (drain_until != 0 && now >= drain_until)
			break;
		if (vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 20) < 0)
			continue;
		if (strncmp(topic, "alert.chair-001", 15) == 0 && strstr(body, "\"spo2-low\"")) {
			int64_t at = atomic_load(&run.probe_t0);
			bool raised = strstr(body, "\"raised\"") != NULL;
			if (at != 0 && raised == (atomic_load(&run.probe_low) != 0) &&
			    n_lat < sizeof(lat) / sizeof(lat[0]))
				lat[n_lat++] = (double)(vt_rig_now_ns() - at) / 1e6;
			continue;
		}
		if (strncmp(topic, "vitals.chair-", 13) != 0)
			continue;
		int bed = atoi(topic + 13) - 1, pr = s_pr(body);
		if (bed < 0 || bed >= n || pr < 0)
			continue;
		struct monitor *m = &run.mon[bed];
		if (pr == m->last_pr)
			continue; /* a refresh, not a new reading */
		if (m->last_pr >= 0)
			m->lost += ((pr - m->last_pr + PR_SPAN) % PR_SPAN) - 1;
		else
			m->lost += pr - PR_BASE; /* packets before the first one seen */
		m->seen++;
		m->last_pr = pr;
	}
	double interval = (double)(t1 - t0) / 1e9;
	/* Lost: written but never seen (gaps in the sequence are among them; a
	 * bed with a gap fails the run even if the counts happened to agree). */
	long sent = 0, seen = 0, lost = 0, gaps = 0;
	for (int i = 0; i < n; i++) {
		sent += run.mon[i].sent;
		seen += run.mon[i].seen;
		gaps += run.mon[i].lost;
	}
	lost = sent - seen;
	double cpu = (double)(p1.cpu_ticks - p0.cpu_ticks) * vt_rig_tick_s() / interval;
	double p50, p99, max;
	vt_rig_percentiles(lat, n_lat, &p50, &p99, &max);
	printf("%9d %10.1f %9.1f %8.1f %8ld %8ld %6ld %8.3f %8.3f %10.1f\n", n,
	       (double)sent * 25 / interval / n, cpu * 100, (double)p1.hwm_kb / 1024, sent * 25,
	       seen * 25, lost * 25, p50, p99, (double)run.gen_cpu_ns / 1e9 / interval * 100);
	*pass = cpu < TARGET_CPU && p1.hwm_kb < TARGET_RSS_KB && lost == 0 && gaps == 0 && n_lat > 0;
	zmq_close(sub);
	vt_rig_daemon_stop(&d);
	for (int i = 0; i < n; i++)
		vt_rig_pty_close(&run.mon[i].pty);
	free(run.mon);
	vt_rig_rmtree(dir);
	return 0;
}

int
main(void)
{
	printf("machine: %s\n", vt_rig_machine());
	printf("%d s per size; CPU is a share of one core; frames are Nonin frames (25 a packet)\n",
	       SECONDS);
	printf("%9s %10s %9s %8s %8s %8s %6s %8s %8s %10s\n", "monitors", "frames/s/m", "cpu %",
	       "hwm MB", "sent", "seen", "lost", "p50 ms", "p99 ms", "gen cpu %");
	bool pass64 = false, pass128 = false;
	if (s_run(64, &pass64) != 0 || s_run(128, &pass128) != 0)
		return 1;
	vt_rig_zctx_term();
	printf("targets at 128: cpu < %.0f %%, peak RSS < %d MB, no frame lost: %s\n",
	       TARGET_CPU * 100, TARGET_RSS_KB / 1024, pass128 ? "met" : "MISSED");
	return 0;
}
