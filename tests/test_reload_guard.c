/*
 * Reloads that used to hurt: a FIFO in place of the configuration (the
 * loop blocked for ever, alarms stopped, SIGTERM ignored), a file slower to
 * read than limits.reload_timeout, one client sending reload requests in a
 * loop (100 % CPU and a log line each), and a record_dir that changed but
 * was ignored until the next rotation. A real daemon on one Masimo pty.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.h>

#include "support/support.h"
#include "vitals/io/crossing.h"

static struct vt_rig_bed bed;
static struct vt_rig_daemon d;
static void *sub;

/* Start the daemon on chair-1 with `extra` top-level lines (heartbeat 200 ms added). */
static void
s_start(bool record, const char *extra)
{
	cr_assert_eq(vt_rig_bed_open(&bed, "reload-guard", "masimo-ascii", "stale_after: 10m", record),
	             0);
	char top[1024];
	snprintf(top, sizeof(top), "heartbeat: 200ms\n%s%s", bed.extra, extra ? extra : "");
	cr_assert_eq(vt_rig_daemon_start(&d, bed.dir, top, bed.monitors, NULL), 0,
	             "vitalsd did not start");
	sub = vt_rig_sub(d.pub, "heartbeat", 0);
	cr_assert(vt_rig_wait_msg(sub, "heartbeat", NULL, 20000), "no heartbeat");
}

static void
s_stop(void)
{
	if (sub != NULL)
		zmq_close(sub);
	sub = NULL;
	vt_rig_daemon_stop(&d);
	vt_rig_bed_close(&bed);
	vt_rig_zctx_term();
}

TestSuite(reload_guard, .fini = s_stop, .timeout = 90);

/* Heartbeats keep coming (the loop is not held up): `n` of them within `ms`. */
static bool
s_heartbeats(int n, int ms)
{
	int64_t end = vt_rig_now_ms() + ms;
	for (int i = 0; i < n; i++) {
		int64_t left = end - vt_rig_now_ms();
		if (left <= 0 || !vt_rig_wait_msg(sub, "heartbeat", NULL, (int)left))
			return false;
	}
	return true;
}

Test(reload_guard, a_fifo_in_place_of_the_file_holds_nothing_up)
{
	s_start(false, NULL);
	char aside[400];
	snprintf(aside, sizeof(aside), "%s.orig", d.config);
	cr_assert_eq(rename(d.config, aside), 0);
	cr_assert_eq(mkfifo(d.config, 0600), 0);
	kill(d.proc.pid, SIGHUP);
	cr_expect(vt_rig_file_has(d.proc.log, "not a regular file", 10000),
	          "the FIFO was not refused");
	cr_expect(s_heartbeats(5, 5000), "the loop stopped after a reload of a FIFO");
	/* SIGTERM is still heard, and the daemon ends cleanly. */
	cr_expect_eq(vt_rig_daemon_stop(&d), 0, "the daemon did not stop cleanly on SIGTERM");
}

Test(reload_guard, a_reload_slower_than_its_timeout_is_given_up)
{
	s_start(false, "limits: {reload_timeout: 1ms}\n");
	/* Half a million list items (just under the 1 MiB a file may have) take a
	 * worker far longer than 1 ms to parse. */
	size_t big = 1000000;
	char *text = malloc(big + 64);
	cr_assert_not_null(text);
	size_t n = (size_t)snprintf(text, 64, "x: [");
	while (n < big)
		n += (size_t)snprintf(text + n, 64, "1,");
	snprintf(text + n, 64, "1]\n");
	char path[400];
	snprintf(path, sizeof(path), "%s/vitalsd.yaml", d.dir);
	FILE *fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(text);
	kill(d.proc.pid, SIGHUP);
	cr_expect(vt_rig_file_has(d.proc.log, "limits.reload_timeout", 10000), "no timeout");
	cr_expect(s_heartbeats(5, 5000), "the loop stopped during a slow reload");
	int status;
	cr_expect_eq(waitpid(d.proc.pid, &status, WNOHANG), 0, "the daemon died");
}

/* How long the line with a burst's count may take: the quiet time, and some. */
#define VT_CROSSING_WAIT_MS (VT_CROSSING_QUIET_MS + 5000)

/*
 * One client sending reload requests in a loop gets one reload a second;
 * the rest are refused, counted, and logged once, not each: one line when
 * they begin, one with their count when they have stopped.
 */
Test(reload_guard, a_reload_flood_costs_one_reload_a_second)
{
	s_start(false, NULL);
	int before = vt_rig_file_count(d.proc.log, "\n");
	int64_t start = vt_rig_now_ms();
	struct vt_rig_flood f;
	vt_rig_request_flood(d.ctl, "{\"cmd\":\"reload\",\"by\":\"flood\"}", 3000, &f);
	long sent = f.sent, answered = f.answered, ok = f.ok;
	double secs = (double)(vt_rig_now_ms() - start) / 1000.0;
	cr_expect(s_heartbeats(3, 3000), "the loop is held up");
	/* The file is the same each time: a reload done reads it and finds it unchanged. */
	int reloads = vt_rig_file_count(d.proc.log, "configuration reloaded") +
	              vt_rig_file_count(d.proc.log, "configuration unchanged");
	int lines = vt_rig_file_count(d.proc.log, "\n") - before;
	fprintf(stderr, "reload flood: %ld requests in %.1f s, %ld answered, %d reloads, %d log lines\n",
	        sent, secs, answered, reloads, lines);
	cr_expect_gt(sent, 200, "the flood was too small to mean anything (%ld requests)", sent);
	cr_expect_leq(reloads, (int)secs + 2, "%d reloads for %ld requests in %.1f s", reloads, sent,
	              secs);
	cr_expect_geq(ok, 1, "no reload was done at all");
	cr_expect_leq(lines, 4 * ((int)secs + 2) + 4, "%d log lines for %ld requests", lines, sent);
	char *reply = vt_rig_request(d.ctl, "{\"cmd\":\"ping\"}", 5000);
	cr_assert_not_null(reply);
	const char *at = strstr(reply, "\"reloads_refused\":");
	cr_expect_not_null(at, "no count in ping: %s", reply);
	long refused = at ? atol(at + strlen("\"reloads_refused\":")) : -1;
	free(reply);
	cr_expect_gt(refused, 100, "the flood's refusals are not counted");
	/* Said once when they began, and once with their count when they have stopped. */
	cr_expect_eq(vt_rig_file_count(d.proc.log, "while another request waits"), 1);
	char said[96];
	snprintf(said, sizeof(said), ", %ld since the start", refused);
	cr_expect(vt_rig_file_has(d.proc.log, said, VT_CROSSING_WAIT_MS),
	          "no line with the count (%ld) once the flood stopped", refused);
}

/* The newest session file under dir/chair-1, or "" if none. */
static void
s_session_file(const char *dir, char *out, size_t len)
{
	char sub_dir[256];
	snprintf(sub_dir, sizeof(sub_dir), "%s/chair-1", dir);
	out[0] = '\0';
	DIR *dp = opendir(sub_dir);
	struct dirent *e;
	while (dp != NULL && (e = readdir(dp)) != NULL)
		if (strstr(e->d_name, ".vsr") != NULL && strcmp(e->d_name, out) > 0)
			snprintf(out, len, "%s/%s", sub_dir, e->d_name);
	if (dp != NULL)
		closedir(dp);
}

Test(reload_guard, a_new_record_dir_takes_effect_at_once)
{
	s_start(true, NULL);
	char file[1024];
	int64_t end = vt_rig_now_ms() + 10000;
	do {
		vt_rig_pty_masimo(&bed.pty, 97, 70);
		vt_rig_sleep_ms(100);
		s_session_file(bed.rec, file, sizeof(file));
	} while (file[0] == '\0' && vt_rig_now_ms() < end);
	cr_assert(file[0] != '\0', "nothing recorded");
	char rec2[200];
	snprintf(rec2, sizeof(rec2), "%s/rec2", bed.dir);
	cr_assert_eq(mkdir(rec2, 0750), 0);
	char top[512];
	snprintf(top, sizeof(top), "heartbeat: 200ms\nrecord_dir: %s\n", rec2);
	cr_assert_eq(vt_rig_daemon_config(&d, top, bed.monitors, NULL), 0);
	kill(d.proc.pid, SIGHUP);
	cr_assert(vt_rig_file_has(d.proc.log, "configuration reloaded", 10000));
	char file2[1024];
	end = vt_rig_now_ms() + 10000;
	do {
		vt_rig_pty_masimo(&bed.pty, 96, 71);
		vt_rig_sleep_ms(100);
		s_session_file(rec2, file2, sizeof(file2));
	} while (file2[0] == '\0' && vt_rig_now_ms() < end);
	cr_expect(file2[0] != '\0', "nothing recorded in the new record_dir");
	cr_expect(vt_rig_file_has(file, "close record_dir changed by a reload", 0),
	          "the old recording does not say why it ended");
}
