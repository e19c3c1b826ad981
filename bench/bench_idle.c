/*
 * What an idle daemon costs the machine: how often it wakes up. A daemon
 * that polls or ticks wastes power and hides real work in noise; vitalsd
 * should wake only for its own deadlines. Two cases, 10 s each: no
 * monitors at all, and 16 monitors on pseudo-terminals, connected and
 * silent. The systemd watchdog is on, as under the shipped unit
 * (WatchdogSec=30s: a ping every 15 s). Wake-ups are voluntary context
 * switches, counted by the kernel in /proc/PID/task/TID/status, for the
 * main thread (the event loop) and for all threads (ZeroMQ's I/O threads
 * included), with one console subscribed, as at a nursing station. Beside
 * each, what the design expects of the main thread: one wake-up a second,
 * for the heartbeat. The watchdog ping (every 15 s) and the comm-lost
 * deadline of the silent beds (10 s after start) are counted from the same
 * start as the heartbeat, so they fall on heartbeat instants and share
 * their wake-up.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "../tests/support/support.h"

#define SECONDS 10
#define MONITORS 16

/* Voluntary context switches of the main thread and of every thread. */
static void
s_switches(pid_t pid, long *main_thread, long *all)
{
	*main_thread = *all = 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char status[400], line[256];
		snprintf(status, sizeof(status), "%s/%s/status", path, e->d_name);
		FILE *fp = fopen(status, "r");
		long v = 0;
		while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
			sscanf(line, "voluntary_ctxt_switches: %ld", &v);
		if (fp != NULL)
			fclose(fp);
		*all += v;
		if (atoi(e->d_name) == (int)pid)
			*main_thread = v;
	}
	if (d != NULL)
		closedir(d);
}

static int
s_case(int monitors, double expected)
{
	char dir[128];
	if (vt_rig_tmpdir(dir, sizeof(dir), "bench-idle") != 0)
		return -1;
	struct vt_rig_pty pty[MONITORS];
	char mons[MONITORS * 200];
	size_t used = 0;
	for (int i = 0; i < monitors; i++) {
		char link[200];
		snprintf(link, sizeof(link), "%s/chair-%02d", dir, i + 1);
		if (vt_rig_pty_open(&pty[i], link) != 0)
			return -1;
		used += (size_t)snprintf(mons + used, sizeof(mons) - used,
		                         "  - {bed: chair-%02d, port: %s, protocol: masimo-ascii}\n",
		                         i + 1, link);
	}
	struct vt_rig_daemon d;
	if (vt_rig_daemon_start(&d, dir, NULL, monitors ? mons : NULL,
	                        monitors ? "  - {name: spo2-low, parameter: spo2, below: 90, for: 15s}\n"
	                                 : NULL) != 0)
		return -1;
	/* A console subscribed; the start-up settled (ports opened, first heartbeat). */
	void *sub = vt_rig_sub(d.pub, "", 0);
	vt_rig_sleep_ms(1500);
	long m0, a0, m1, a1;
	struct vt_rig_proc p0, p1;
	vt_rig_proc(d.proc.pid, &p0);
	s_switches(d.proc.pid, &m0, &a0);
	int64_t t0 = vt_rig_now_ns();
	vt_rig_sleep_ms(SECONDS * 1000);
	s_switches(d.proc.pid, &m1, &a1);
	vt_rig_proc(d.proc.pid, &p1);
	double secs = (double)(vt_rig_now_ns() - t0) / 1e9;
	printf("%-28s %10.2f %10.2f %10.2f %10.3f\n",
	       monitors ? "16 monitors, connected, silent" : "no monitors", (double)(m1 - m0) / secs,
	       (double)(a1 - a0) / secs, expected,
	       (double)(p1.cpu_ticks - p0.cpu_ticks) * vt_rig_tick_s() / secs * 100);
	zmq_close(sub);
	vt_rig_daemon_stop(&d);
	for (int i = 0; i < monitors; i++)
		vt_rig_pty_close(&pty[i]);
	vt_rig_rmtree(dir);
	return 0;
}

int
main(void)
{
	/* As under the shipped unit: the loop pings the watchdog every 15 s. */
	setenv("WATCHDOG_USEC", "30000000", 1);
	unsetenv("WATCHDOG_PID");
	unsetenv("NOTIFY_SOCKET");
	printf("machine: %s\n", vt_rig_machine());
	printf("wake-ups per second over %d s (voluntary context switches)\n", SECONDS);
	printf("%-28s %10s %10s %10s %10s\n", "", "main", "all", "expected", "cpu %");
	if (s_case(0, 1.0) != 0 || s_case(MONITORS, 1.0) != 0)
		return 1;
	vt_rig_zctx_term();
	return 0;
}
