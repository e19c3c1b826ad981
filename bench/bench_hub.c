/*
 * What vitals-hub adds to an alarm's way to the station. One Masimo monitor
 * on a pty, one daemon (SpO2 below 90, no delay), a hub in front of it; two
 * subscribers on 127.0.0.1 get every alert, one on the daemon's publish
 * socket and one on the hub's. The clock starts just before the low (or
 * normal) line is written into the pty and stops when the timed subscriber
 * holds the alert. The two take turns being timed, alert by alert, each
 * polled alone while it is (the other's copy is collected afterwards): two
 * sockets polled together would share one wake-up, and the later arrival
 * would be timed at the earlier one's. 500 alerts each way, raise and clear
 * alternating; the hub's added latency is the difference of the two
 * distributions, side by side.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "../tests/support/support.h"

#define ALERTS 500

/* Print one row; its p50 and p99 into p50, p99. */
static void
s_report(const char *what, double *ms, size_t n, double *p50, double *p99)
{
	double max;
	vt_rig_percentiles(ms, n, p50, p99, &max);
	printf("%-34s %6zu %9.3f %9.3f %9.3f\n", what, n, *p50, *p99, max);
}

/* One alert on `timed` (its arrival, ns, into *t), then its copy on `other`; false on timeout. */
static bool
s_one(void *timed, void *other, int64_t *t, int timeout_ms)
{
	char topic[128], body[4096];
	*t = 0;
	if (vt_rig_recv(timed, topic, sizeof(topic), body, sizeof(body), timeout_ms) < 0)
		return false;
	*t = vt_rig_now_ns();
	return vt_rig_recv(other, topic, sizeof(topic), body, sizeof(body), timeout_ms) >= 0;
}

/* One alert on each subscriber, in either order; false on timeout. */
static bool
s_both(void *direct, void *hub, int timeout_ms)
{
	int64_t t;
	return s_one(direct, hub, &t, timeout_ms);
}

int
main(void)
{
	static double direct_ms[ALERTS], hub_ms[ALERTS];
	struct vt_rig_bed b;
	struct vt_rig_daemon d;
	struct vt_rig_child hub = {.out = -1};
	size_t n_direct = 0, n_hub = 0;
	if (vt_rig_bed_open(&b, "bench-hub", "masimo-ascii", NULL, false) != 0 ||
	    vt_rig_daemon_start(&d, b.dir, b.extra, b.monitors,
	                        "  - {name: spo2-low, parameter: spo2, below: 90}\n") != 0)
		return 1;
	char hub_pub[64], hub_ctl[64], cfg[256], text[1024], log[320];
	snprintf(hub_pub, sizeof(hub_pub), "tcp://127.0.0.1:%d", vt_rig_free_port());
	snprintf(hub_ctl, sizeof(hub_ctl), "tcp://127.0.0.1:%d", vt_rig_free_port());
	snprintf(text, sizeof(text), "publish: %s\ncontrol: %s\ndaemons:\n  - {name: room, publish: %s, "
	         "control: %s, beds: [chair-1]}\n", hub_pub, hub_ctl, d.pub, d.ctl);
	snprintf(log, sizeof(log), "%s/hub.log", b.dir);
	char *argv[] = {(char *)vt_rig_build("vitals-hub"), "-c", cfg, NULL};
	if (vt_rig_write_file(b.dir, "hub.yaml", text, cfg, sizeof(cfg)) != 0 ||
	    vt_rig_child_start(&hub, "vitals-hub", argv, log, false) != 0 ||
	    !vt_rig_ping(hub_ctl, 20000)) {
		fprintf(stderr, "bench_hub: the hub did not start; see %s\n", log);
		goto out;
	}
	void *direct = vt_rig_sub(d.pub, "alert.", 0), *via = vt_rig_sub(hub_pub, "alert.", 0);
	char line[256];
	/* Until both subscriptions are in place alerts are lost: raise and clear until both hear one. */
	bool joined = false, low = false;
	for (int i = 0; i < 400 && !joined; i++) {
		low = !low;
		int len = vt_rig_masimo_line(line, sizeof(line), low ? 85 : 95, 72);
		vt_rig_pty_write(&b.pty, line, (size_t)len);
		joined = s_both(direct, via, 100);
	}
	for (int i = 0; joined && i < 20 && s_both(direct, via, 50); i++)
		; /* what is still on its way */
	if (low) {
		int len = vt_rig_masimo_line(line, sizeof(line), 95, 72);
		vt_rig_pty_write(&b.pty, line, (size_t)len);
		s_both(direct, via, 1000);
	}
	/* Alert i is timed on the direct subscriber when i % 4 is 0 or 3, on the hub's when it is
	 * 1 or 2: each way times as many raises as clears. */
	for (int i = 0; joined && i < 2 * ALERTS; i++) {
		int len = vt_rig_masimo_line(line, sizeof(line), i % 2 == 0 ? 85 : 95, 72);
		bool on_hub = i % 4 == 1 || i % 4 == 2;
		vt_rig_sleep_ms(2 + i % 4);
		int64_t t0 = vt_rig_now_ns(), t;
		if (vt_rig_pty_write(&b.pty, line, (size_t)len) != 0 ||
		    !s_one(on_hub ? via : direct, on_hub ? direct : via, &t, 2000)) {
			fprintf(stderr, "bench_hub: alert %d did not come to both\n", i);
			break;
		}
		if (on_hub)
			hub_ms[n_hub++] = (double)(t - t0) / 1e6;
		else
			direct_ms[n_direct++] = (double)(t - t0) / 1e6;
	}
	zmq_close(direct);
	zmq_close(via);
out:
	vt_rig_child_stop(&hub, SIGTERM, 5000);
	vt_rig_daemon_stop(&d);
	vt_rig_bed_close(&b);
	vt_rig_zctx_term();
	if (n_direct < ALERTS || n_hub < ALERTS) {
		fprintf(stderr, "bench_hub: incomplete run (%zu and %zu alerts)\n", n_direct, n_hub);
		return 1;
	}
	printf("machine: %s\n", vt_rig_machine());
	printf("%-34s %6s %9s %9s %9s\n", "milliseconds", "n", "p50", "p99", "max");
	double d50, d99, h50, h99;
	s_report("pty write -> alert, direct SUB", direct_ms, n_direct, &d50, &d99);
	s_report("pty write -> alert, SUB on the hub", hub_ms, n_hub, &h50, &h99);
	printf("%-34s %6s %9.3f %9.3f\n", "added by the hub (hub - direct)", "", h50 - d50, h99 - d99);
	return 0;
}
