/*
 * Fault: the daemon killed outright (SIGKILL, the OOM killer, a power cut
 * of the process) while it records. The recording is what an incident
 * review will read, so it must hold everything up to the moment of death,
 * give or take the last second (docs/recording.md). A monitor sends a Masimo line
 * every 20 ms, each with a pulse rate one higher than the last; the daemon
 * is killed at a random moment, three times over (a new file each time).
 * Pass, for each kill: the session file reads without an error (a cut
 * last line is allowed); decoded through the driver, it holds every line
 * written at least one second before the kill, in order, and nothing that
 * was never sent; and `vitalsd --replay` accepts it.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "vitals/drivers/driver.h"
#include "vitals/io/recorder.h"

#include "../support/support.h"

#define KILLS 3
#define MAX_LINES 1000
#define LINE_MS 20

/* Pulse rates seen by the driver, in order. */
struct seen {
	int pr[MAX_LINES * 2];
	size_t n;
};

static void
s_on_reading(void *ctx, const struct vt_reading *r)
{
	struct seen *s = ctx;
	if ((r->valid & VT_PARAM_BIT(VT_PR)) && s->n < sizeof(s->pr) / sizeof(s->pr[0]))
		s->pr[s->n++] = (int)r->value[VT_PR];
}

/* The newest session file of the bed (names sort by start time). */
static bool
s_newest(const char *bed_dir, char *path, size_t len)
{
	DIR *d = opendir(bed_dir);
	if (d == NULL)
		return false;
	char best[256] = "";
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".vsr") != NULL && strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	closedir(d);
	snprintf(path, len, "%s/%s", bed_dir, best);
	return best[0] != '\0';
}

/* Decode a session file through the Masimo driver; false on a reader error. */
static bool
s_decode(const char *path, struct seen *seen)
{
	struct vt_diag diag = {0};
	struct vt_session_reader *sr = vt_session_open(path, &diag);
	if (sr == NULL) {
		vt_diag_print(&diag, stderr);
		vt_diag_clear(&diag);
		return false;
	}
	const struct vt_driver *drv = vt_driver_find("masimo-ascii");
	void *state = malloc(drv->state_size);
	drv->reset(state, NULL);
	struct vt_driver_sink sink = {.reading = s_on_reading, .ctx = seen};
	int64_t t;
	enum vt_rec_event ev;
	const uint8_t *data;
	size_t len;
	int rc;
	while ((rc = vt_session_next(sr, &t, &ev, &data, &len, &diag)) > 0)
		if (ev == VT_REC_DATA)
			drv->feed(state, data, len, &sink);
	free(state);
	vt_session_close(&sr);
	bool ok = rc == 0 && diag.count == 0;
	vt_diag_print(&diag, stderr);
	vt_diag_clear(&diag);
	return ok;
}

Test(fault_sigkill, recording_survives_sigkill_to_the_last_second, .timeout = 120)
{
	struct vt_rig_bed b;
	cr_assert_eq(vt_rig_bed_open(&b, "fault-sigkill", "masimo-ascii", NULL, true), 0);
	char bed_dir[300];
	snprintf(bed_dir, sizeof(bed_dir), "%s/chair-1", b.rec);
	srand((unsigned)vt_rig_now_ns());

	for (int kill_no = 0; kill_no < KILLS; kill_no++) {
		struct vt_rig_daemon d;
		cr_assert_eq(vt_rig_daemon_start(&d, b.dir, b.extra, b.monitors, NULL), 0);
		/* Connected (the status may have gone out before we subscribed: ask). */
		bool connected = vt_rig_daemon_port_is(&d, "chair-1", "connected", 5000);
		cr_assert(connected, "the monitor did not connect; see %s", d.proc.log);

		/* Lines until the kill, which comes after 1.5 to 3.5 s. */
		static int64_t written_at[MAX_LINES];
		int lines = 0;
		int64_t kill_at = vt_rig_now_ms() + 1500 + rand() % 2000;
		while (vt_rig_now_ms() < kill_at && lines < MAX_LINES) {
			char line[256];
			int n = vt_rig_masimo_line(line, sizeof(line), 97, 30 + lines % 200);
			cr_assert_eq(vt_rig_pty_write(&b.pty, line, (size_t)n), 0);
			written_at[lines++] = vt_rig_now_ms();
			vt_rig_sleep_ms(LINE_MS);
		}
		int64_t killed = vt_rig_now_ms();
		kill(d.proc.pid, SIGKILL);
		int st;
		waitpid(d.proc.pid, &st, 0);
		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		/* A new cable: what the dead daemon never read goes with the old one. */
		cr_assert_eq(vt_rig_pty_plug(&b.pty), 0);

		char path[600];
		cr_assert(s_newest(bed_dir, path, sizeof(path)), "no session file in %s", bed_dir);
		struct seen seen = {0};
		cr_assert(s_decode(path, &seen), "%s does not read back", path);
		int must = 0; /* lines written a second or more before the kill */
		while (must < lines && written_at[must] <= killed - 1000)
			must++;
		cr_assert_geq((int)seen.n, must, "kill %d: %zu lines in the file, %d written >= 1 s "
		              "before the kill", kill_no, seen.n, must);
		cr_assert_leq((int)seen.n, lines, "more lines recorded than sent");
		for (size_t i = 0; i < seen.n; i++)
			cr_assert_eq(seen.pr[i], 30 + (int)(i % 200), "kill %d: line %zu is wrong",
			             kill_no, i);
		cr_log_info("kill %d: %d lines sent, %zu recorded (%d had to be), file %s", kill_no,
		            lines, seen.n, must, path);

		char spec[700];
		snprintf(spec, sizeof(spec), "chair-1=%s", path);
		char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", d.config, "--replay", spec, NULL};
		pid_t rp = vt_rig_spawn(argv, NULL, NULL);
		cr_assert_gt(rp, 0);
		cr_assert_eq(waitpid(rp, &st, 0), rp);
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "replay of %s failed (%d)", path, st);
	}
	vt_rig_zctx_term();
	vt_rig_bed_close(&b);
}
