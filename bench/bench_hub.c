/*
 * What vitals-hub adds to an alarm's way to the station. One Masimo monitor
 * on a pty, one daemon (SpO2 below 90, no delay), a hub in front of it; two
 * subscribers on 127.0.0.1 wait for the same alert, one on the daemon's
 * publish socket and one on the hub's. The clock starts just before the
 * low (or normal) line is written into the pty and stops, for each
 * subscriber, when it holds the alert; both are polled together, so each
 * arrival is timed as it happens. 500 alerts, raise and clear alternating.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "../tests/support/support.h"

#define ALERTS 500

static void
s_report(const char *what, double *ms, size_t n)
{
	double p50, p99, max;
	vt_rig_percentiles(ms, n, &p50, &p99, &max);
	printf("%-34s %6zu %9.3f %9.3f %9.3f\n", what, n, p50, p99, max);
}

/* Wait for one alert on each of the two subscribers; the arrival times (ns). */
static bool
s_both(void *direct, void *hub, int64_t *t_direct, int64_t *t_hub, int timeout_ms)
{
	char topic[128], body[4096];
	*t_direct = *t_hub = 0;
	int64_t end = vt_rig_now_ms() + timeout_ms;
	while ((*t_direct == 0 || *t_hub == 0) && vt_rig_now_ms() < end) {
		zmq_pollitem_t items[2] = {{.socket = direct, .events = ZMQ_POLLIN},
		                           {.socket = hub, .events = ZMQ_POLLIN}};
		if (zmq_poll(items, 2, 100) <= 0)
			continue;
		int64_t now = vt_rig_now_ns();
		if ((items[0].revents & ZMQ_POLLIN) && *t_direct == 0 &&
		    vt_rig_recv(direct, topic, sizeof(topic), body, sizeof(body), 0) >= 0)
			*t_direct = now;
		if ((items[1].revents & ZMQ_POLLIN) && *t_hub == 0 &&
		    vt_rig_recv(hub, topic, sizeof(topic), body, sizeof(body), 0) >= 0)
			*t_hub = now;
	}
	return *t_direct != 0 && *t_hub != 0;
}

int
main(void)
{
	static double direct_ms[ALERTS], hub_ms[ALERTS], added_ms[ALERTS];
	struct vt_rig_bed b;
	struct vt_rig_daemon d;
	struct vt_rig_child hub = {.out = -1};
	size_t n = 0;
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
	int64_t td, th;
	/* Until both subscriptions are in place alerts are lost: raise and clear until both hear one. */
	bool joined = false, low = false;
	for (int i = 0; i < 400 && !joined; i++) {
		low = !low;
		int len = vt_rig_masimo_line(line, sizeof(line), low ? 85 : 95, 72);
		vt_rig_pty_write(&b.pty, line, (size_t)len);
		joined = s_both(direct, via, &td, &th, 100);
	}
	for (int i = 0; joined && i < 20 && s_both(direct, via, &td, &th, 50); i++)
		; /* what is still on its way */
	if (low) {
		int len = vt_rig_masimo_line(line, sizeof(line), 95, 72);
		vt_rig_pty_write(&b.pty, line, (size_t)len);
		s_both(direct, via, &td, &th, 1000);
	}
	for (int i = 0; joined && i < ALERTS; i++) {
		int len = vt_rig_masimo_line(line, sizeof(line), i % 2 == 0 ? 85 : 95, 72);
		vt_rig_sleep_ms(2 + i % 4);
		int64_t t0 = vt_rig_now_ns();
		if (vt_rig_pty_write(&b.pty, line, (size_t)len) != 0 || !s_both(direct, via, &td, &th, 2000)) {
			fprintf(stderr, "bench_hub: alert %d did not come to both\n", i);
			break;
		}
		direct_ms[n] = (double)(td - t0) / 1e6;
		hub_ms[n] = (double)(th - t0) / 1e6;
		added_ms[n] = (double)(th - td) / 1e6;
		n++;
	}
	zmq_close(direct);
	zmq_close(via);
out:
	vt_rig_child_stop(&hub, SIGTERM, 5000);
	vt_rig_daemon_stop(&d);
	vt_rig_bed_close(&b);
	vt_rig_zctx_term();
	if (n < ALERTS) {
		fprintf(stderr, "bench_hub: incomplete run (%zu alerts)\n", n);
		return 1;
	}
	printf("machine: %s\n", vt_rig_machine());
	printf("%-34s %6s %9s %9s %9s\n", "milliseconds", "n", "p50", "p99", "max");
	s_report("pty write -> alert, direct SUB", direct_ms, n);
	s_report("pty write -> alert, SUB on the hub", hub_ms, n);
	s_report("added by the hub (same alert)", added_ms, n);
	return 0;
}
