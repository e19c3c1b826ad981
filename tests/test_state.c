/*
 * The state that survives a restart (docs/reliability.md, "A restart"):
 * the document itself, and the daemon killed with SIGKILL in the middle of
 * an infusion and started again: the snapshot and the console show the same
 * session, phase and baseline, the session says it was restored, and an
 * alarm acknowledged before is not sounded again. A state file that cannot
 * be trusted is moved aside, never fatal.
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "support/support.h"
#include "vitals/base/timefmt.h"
#include "vitals/console/model.h"
#include "vitals/wire/state.h"

#define T0 1795255200000LL
#define WAIT_MS 20000

Test(state, the_document_round_trips)
{
	struct vt_state_bed in = {.bed = "chair-1", .n_acked = 1, .acked = {"spo2-low"}};
	vt_infusion_init(&in.inf);
	vt_infusion_set_phase(&in.inf, VT_PHASE_BASELINE, 72, 0.5, T0);
	struct vt_reading r = {0};
	vt_reading_set(&r, VT_SPO2, 97);
	vt_reading_set(&r, VT_PR, 71);
	struct vt_back_to_baseline btb = {.band = 10, .band_percent = true, .for_ms = 60000};
	for (int i = 0; i < 5; i++)
		vt_infusion_reading(&in.inf, &r, VT_PARAM_BIT(VT_SPO2), &btb, T0 + i * 1000);
	char *text = vt_state_encode(&in, 1, T0 + 5000);
	cr_assert_not_null(text);
	struct vt_state_bed *out;
	size_t n;
	int64_t written;
	char err[256];
	cr_assert_eq(vt_state_decode(text, strlen(text), &out, &n, &written, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(n, 1);
	cr_expect_eq(written, T0 + 5000);
	cr_expect_str_eq(out[0].bed, "chair-1");
	cr_expect_eq(out[0].inf.phase, VT_PHASE_BASELINE);
	cr_expect_eq(out[0].inf.phase_since, T0);
	cr_expect_eq(out[0].inf.weight_kg, 72);
	cr_expect_eq(out[0].inf.rate_mg_per_kg_h, 0.5);
	cr_expect_eq(out[0].inf.n_samples[VT_SPO2], 5, "the baseline phase's samples are kept");
	cr_expect_eq(out[0].inf.samples[VT_SPO2][4], 97);
	cr_expect(isnan(out[0].inf.baseline[VT_SPO2]), "no baseline yet");
	cr_expect_eq(out[0].n_acked, 1);
	cr_expect_str_eq(out[0].acked[0], "spo2-low");
	/* Leaving the baseline phase of the restored session fixes the baseline from them. */
	vt_infusion_set_phase(&out[0].inf, VT_PHASE_INFUSION, NAN, NAN, T0 + 6000);
	cr_expect_eq(out[0].inf.baseline[VT_SPO2], 97);
	vt_state_beds_free(&out, n);
	vt_infusion_release(&in.inf);
	free(text);
}

Test(state, documents_that_cannot_be_trusted_are_refused)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
	    {"{\"format\":\"vitalsd-st", "not JSON"},
	    {"[1,2,3]", "not a vitalsd state file"},
	    {"{\"format\":\"something-else\",\"version\":1,\"beds\":[]}", "not a vitalsd state file"},
	    {"{\"format\":\"vitalsd-state\",\"version\":2,\"written\":\"2026-11-21T10:00:00Z\","
	     "\"beds\":[]}",
	     "written in version 2 of the state format"},
	    {"{\"format\":\"vitalsd-state\",\"version\":1,\"written\":\"2026-11-21T10:00:00Z\","
	     "\"beds\":[{\"bed\":\"chair-1\",\"phase\":\"induction\"}]}",
	     "beds[chair-1].phase: expected baseline, infusion, recovery or ended"},
	    {"{\"format\":\"vitalsd-state\",\"version\":1,\"written\":\"yesterday\",\"beds\":[]}",
	     ".written: expected a time"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vt_state_bed *beds = NULL;
		size_t n = 99;
		int64_t written;
		char err[256] = "";
		cr_expect_eq(vt_state_decode(cases[i].text, strlen(cases[i].text), &beds, &n, &written,
		                             err, sizeof(err)),
		             -1, "case %zu accepted", i);
		cr_expect(strstr(err, cases[i].err) != NULL, "case %zu: \"%s\"", i, err);
		cr_expect_null(beds);
		cr_expect_eq(n, 0);
	}
}

/* ---- a daemon killed in the middle of an infusion ---------------------------------- */

#define RULES                                                                                 \
	"  - name: spo2-low\n    parameter: spo2\n    below: 90\n    clear_at: 92\n"             \
	"    priority: high\n"

static struct vt_rig_bed bed;
static struct vt_rig_daemon d;
static struct vt_rig_station station;
static char state[256], tmux_sock[256];

static void
s_fini(void)
{
	vt_rig_station_close(&station);
	if (tmux_sock[0]) {
		struct vt_rig_output r;
		vt_rig_tmux(tmux_sock, &r, "kill-server", NULL);
		vt_rig_output_free(&r);
		vt_rig_release_tmux(tmux_sock);
		tmux_sock[0] = '\0';
	}
	vt_rig_daemon_stop(&d);
	vt_rig_bed_close(&bed);
	vt_rig_zctx_term();
}

static void
s_start(void)
{
	cr_assert_eq(vt_rig_bed_open(&bed, "state", "masimo-ascii", "stale_after: 10m", false), 0);
	snprintf(state, sizeof(state), "%s/sessions.json", bed.dir);
	char extra[512];
	snprintf(extra, sizeof(extra), "heartbeat: 200ms\nstate_file: %s\n", state);
	cr_assert_eq(vt_rig_daemon_start(&d, bed.dir, extra, bed.monitors, RULES), 0);
	cr_assert(vt_rig_daemon_port_is(&d, "chair-1", "connected", WAIT_MS));
}

/* The daemon's answer to `json`, parsed. */
static json_t *
s_request(const char *json)
{
	char *reply = vt_rig_request(d.ctl, json, 5000);
	cr_assert_not_null(reply, "no reply to %s", json);
	json_t *o = json_loads(reply, 0, NULL);
	cr_assert(json_is_true(json_object_get(o, "ok")), "%s: %s", json, reply);
	free(reply);
	return o;
}

/* chair-1's session in a snapshot, as text (members in the daemon's order), and the alerts. */
static void
s_session(char *session, size_t len, char *alerts, size_t alen)
{
	json_t *snap = s_request("{\"cmd\":\"snapshot\"}");
	json_t *s = json_deep_copy(json_object_get(json_object_get(snap, "sessions"), "chair-1"));
	/* What moves with the clock, and the restored mark, are not the session itself. */
	json_object_del(s, "time_in_phase_s");
	json_object_del(s, "dose_mg");
	json_object_del(s, "restored");
	char *text = json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER);
	snprintf(session, len, "%s", text);
	free(text);
	text = json_dumps(json_object_get(snap, "alerts"), JSON_COMPACT);
	snprintf(alerts, alen, "%s", text);
	free(text);
	json_decref(s);
	json_decref(snap);
}

/* chair-1's session as the console shows it (support/station.h), as text to compare. */
static void
s_console_session(char *out, size_t len)
{
	const struct vt_console_bed *b = vt_rig_station_bed(&station, "chair-1");
	cr_assert_not_null(b, "the console does not know chair-1");
	char since[VT_TIME_BUFSZ] = "?";
	if (b->phase_since > 0)
		vt_time_format(b->phase_since, since);
	size_t used = (size_t)snprintf(out, len, "phase %s since %s, %g kg, %g mg/kg/h, baseline",
	                               b->phase, since, b->weight_kg, b->rate_mg_per_kg_h);
	for (int p = 0; p < VT_PARAM_COUNT && used < len; p++)
		if (b->baseline & VT_PARAM_BIT(p))
			used += (size_t)snprintf(out + used, len - used, " %s %g", vt_param_info(p)->name,
			                         b->baseline_value[p]);
}

/* The same from the snapshot's session (`session`, as s_session gives it). */
static void
s_snapshot_session(const char *session, char *out, size_t len)
{
	json_t *s = json_loads(session, 0, NULL);
	cr_assert_not_null(s, "%s", session);
	char since[VT_TIME_BUFSZ] = "?";
	const char *text = json_string_value(json_object_get(s, "phase_since"));
	int64_t ms;
	if (text != NULL && vt_time_parse(text, &ms) == 0)
		vt_time_format(ms, since);
	size_t used = (size_t)snprintf(
	    out, len, "phase %s since %s, %g kg, %g mg/kg/h, baseline",
	    json_string_value(json_object_get(s, "phase")), since,
	    json_number_value(json_object_get(s, "weight_kg")),
	    json_number_value(json_object_get(s, "dose_mg_per_kg_h")));
	for (int p = 0; p < VT_PARAM_COUNT && used < len; p++) {
		json_t *v = json_object_get(json_object_get(s, "baseline"), vt_param_info(p)->name);
		if (json_is_number(v))
			used += (size_t)snprintf(out + used, len - used, " %s %g", vt_param_info(p)->name,
			                         json_number_value(v));
	}
	json_decref(s);
}

/* Turn the console's loop until it shows chair-1 in infusion, synchronised (and restored). */
static bool
s_console_in_infusion(bool restored)
{
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	while (vt_rig_now_ms() < end) {
		vt_rig_station_turn(&station);
		const struct vt_console_bed *b = vt_rig_station_bed(&station, "chair-1");
		if (b != NULL && vt_console_sync_state(station.m) == VT_CONSOLE_SYNCED &&
		    strcmp(b->phase, "infusion") == 0 && (b->restored > 0) == restored)
			return true;
	}
	return false;
}

Test(state, a_sigkill_during_an_infusion_loses_nothing_of_the_session, .fini = s_fini)
{
	s_start();
	json_decref(s_request("{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"baseline\","
	                      "\"weight_kg\":72,\"dose_mg_per_kg_h\":0.5,\"by\":\"station-2\"}"));
	/* A baseline: SpO2 97 and pulse 70, seen by the daemon (the snapshot shows them). */
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	char *snap = NULL;
	for (int i = 0; vt_rig_now_ms() < end; i++) {
		vt_rig_pty_masimo(&bed.pty, 96 + i % 3, 69 + i % 3);
		vt_rig_sleep_ms(50);
		free(snap);
		snap = vt_rig_request(d.ctl, "{\"cmd\":\"snapshot\"}", 2000);
		if (i >= 9 && snap && strstr(snap, "\"spo2\":97") && strstr(snap, "\"pr\":70"))
			break;
	}
	free(snap);
	json_decref(s_request("{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"infusion\","
	                      "\"by\":\"station-2\"}"));
	/* An alarm, acknowledged by a nurse. */
	end = vt_rig_now_ms() + WAIT_MS;
	bool raised = false;
	while (!raised && vt_rig_now_ms() < end) {
		vt_rig_pty_masimo(&bed.pty, 85, 80);
		char *r = vt_rig_request(d.ctl, "{\"cmd\":\"snapshot\"}", 2000);
		raised = r && strstr(r, "chair-1/spo2-low/1");
		free(r);
	}
	cr_assert(raised, "no alarm");
	json_decref(s_request("{\"cmd\":\"ack\",\"id\":\"chair-1/spo2-low/1\",\"by\":\"station-2\"}"));
	cr_assert(vt_rig_file_has(state, "\"acknowledged\":[\"spo2-low\"]", WAIT_MS),
	          "the acknowledgement never reached the state file");
	char before[2048], alerts[4096];
	s_session(before, sizeof(before), alerts, sizeof(alerts));
	cr_assert(strstr(before, "\"phase\":\"infusion\"") != NULL, "%s", before);
	cr_assert(strstr(before, "\"baseline\":{\"spo2\":97,\"pr\":70") != NULL, "%s", before);
	/* A console at the station (vitals-console's model and client on the real sockets)
	 * follows the bed across what comes: what it shows now is the snapshot's session. */
	cr_assert_eq(vt_rig_station_open(&station, d.pub, d.ctl, NULL), 0, "%s", station.problem);
	cr_assert(s_console_in_infusion(false), "the console does not show the infusion: %s",
	          vt_console_sync_reason(station.m));
	char console_before[512], snap_view[512];
	s_console_session(console_before, sizeof(console_before));
	s_snapshot_session(before, snap_view, sizeof(snap_view));
	cr_assert_str_eq(console_before, snap_view, "the console and the snapshot differ");
	cr_assert(strstr(console_before, "baseline spo2 97 pr 70") != NULL, "%s", console_before);

	kill(d.proc.pid, SIGKILL);
	int st;
	waitpid(d.proc.pid, &st, 0);
	d.proc.pid = 0;
	cr_assert_eq(vt_rig_daemon_restart(&d), 0, "vitalsd did not start again");
	cr_expect(vt_rig_file_has(d.proc.log, "restored 1 infusion session from", 0),
	          "the log does not say so");

	char after[2048];
	s_session(after, sizeof(after), alerts, sizeof(alerts));
	cr_expect_str_eq(after, before, "the session changed across the restart");
	/* The console, still running, sees a new daemon, synchronises with it, and shows the
	 * same session, phase and baseline, restored. */
	cr_expect(s_console_in_infusion(true), "the console does not show the restored session: %s",
	          vt_console_sync_reason(station.m));
	char console_after[512];
	s_console_session(console_after, sizeof(console_after));
	s_snapshot_session(after, snap_view, sizeof(snap_view));
	cr_expect_str_eq(console_after, snap_view, "the console and the snapshot differ after the "
	                 "restart");
	cr_expect_str_eq(console_after, console_before, "the console's session changed across the "
	                 "restart");
	json_t *snap_o = s_request("{\"cmd\":\"snapshot\"}");
	const char *restored = json_string_value(
	    json_object_get(json_object_get(json_object_get(snap_o, "sessions"), "chair-1"), "restored"));
	cr_expect_not_null(restored, "the snapshot does not say the session was restored");
	json_decref(snap_o);

	/* The desaturation goes on: its alarm comes back acknowledged, not sounding again. */
	end = vt_rig_now_ms() + WAIT_MS;
	raised = false;
	while (!raised && vt_rig_now_ms() < end) {
		vt_rig_pty_masimo(&bed.pty, 85, 80);
		s_session(after, sizeof(after), alerts, sizeof(alerts));
		raised = strstr(alerts, "chair-1/spo2-low/1") != NULL;
	}
	cr_assert(raised, "no alarm after the restart");
	cr_expect(strstr(alerts, "\"acknowledged\":true") != NULL,
	          "the alarm acknowledged before the restart sounds again: %s", alerts);

	/* vitals-console itself, on a terminal: the phase, and that it was restored. */
	if (vt_rig_tmux_path() == NULL)
		return;
	snprintf(tmux_sock, sizeof(tmux_sock), "%s/tmux.sock", bed.dir);
	vt_rig_guard_tmux(tmux_sock);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "exec %s --connect %s --control %s --no-bell",
	         vt_rig_build("vitals-console"), d.pub, d.ctl);
	struct vt_rig_output r;
	cr_assert_eq(vt_rig_tmux(tmux_sock, &r, "-f", "/dev/null", "new-session", "-d", "-s", "c",
	                         "-x", "120", "-y", "30", cmd, NULL),
	             0, "tmux: %s", r.err);
	vt_rig_output_free(&r);
	bool shown = false;
	char *screen = NULL;
	end = vt_rig_now_ms() + WAIT_MS;
	while (!shown && vt_rig_now_ms() < end) {
		free(screen);
		vt_rig_tmux(tmux_sock, &r, "capture-pane", "-p", "-t", "c", NULL);
		screen = r.out;
		free(r.err);
		shown = strstr(screen, "infusion") != NULL &&
		        strstr(screen, "session restored after a restart") != NULL;
		if (!shown)
			vt_rig_sleep_ms(100);
	}
	cr_expect(shown, "the console does not show the restored session:\n%s", screen);
	free(screen);
}

Test(state, a_state_file_that_cannot_be_trusted_is_moved_aside, .fini = s_fini)
{
	static const char *const bad[] = {
	    "{\"format\":\"vitalsd-state\",\"version\":1,\"written\":\"2026-11-21T10:00:00Z\",\"be",
	    "{\"format\":\"vitalsd-state\",\"version\":7,\"written\":\"2026-11-21T10:00:00Z\","
	    "\"beds\":[]}",
	};
	cr_assert_eq(vt_rig_bed_open(&bed, "state", "masimo-ascii", "stale_after: 10m", false), 0);
	snprintf(state, sizeof(state), "%s/sessions.json", bed.dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(vt_rig_write_file(bed.dir, "sessions.json", bad[i], NULL, 0), 0);
		char extra[512];
		snprintf(extra, sizeof(extra), "heartbeat: 200ms\nstate_file: %s\n", state);
		cr_assert_eq(vt_rig_daemon_start(&d, bed.dir, extra, bed.monitors, RULES), 0,
		             "case %zu: the daemon did not start", i);
		cr_expect(vt_rig_file_has(d.proc.log, "cannot be used", 0), "case %zu: nothing said", i);
		char pattern[300];
		snprintf(pattern, sizeof(pattern), "%s.bad-*", state);
		glob_t g;
		cr_expect_eq(glob(pattern, 0, NULL, &g), 0, "case %zu: not moved aside", i);
		if (g.gl_pathc > 0) {
			char *kept = vt_rig_slurp(g.gl_pathv[0], NULL);
			cr_expect_str_eq(kept ? kept : "", bad[i], "case %zu: what was set aside changed", i);
			free(kept);
			remove(g.gl_pathv[0]);
		}
		globfree(&g);
		/* The daemon goes on and keeps new sessions in a new file. */
		json_decref(s_request("{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"baseline\"}"));
		cr_expect(vt_rig_file_has(state, "\"format\":\"vitalsd-state\"", WAIT_MS),
		          "case %zu: no new state file", i);
		cr_assert_eq(vt_rig_daemon_stop(&d), 0);
	}
}

/* A state_file that names a directory (of recordings, say) is never moved, read or written over. */
Test(state, a_state_file_that_is_a_directory_is_left_alone, .fini = s_fini)
{
	cr_assert_eq(vt_rig_bed_open(&bed, "state", "masimo-ascii", "stale_after: 10m", true), 0);
	char extra[512];
	snprintf(extra, sizeof(extra), "heartbeat: 200ms\nrecord_dir: %s\nstate_file: %s\n", bed.rec,
	         bed.rec);
	cr_assert_eq(vt_rig_daemon_start(&d, bed.dir, extra, bed.monitors, RULES), 0);
	cr_expect(vt_rig_file_has(d.proc.log, "is not a regular file", 0), "nothing said");
	json_decref(s_request("{\"cmd\":\"phase\",\"bed\":\"chair-1\",\"phase\":\"baseline\"}"));
	cr_assert_eq(vt_rig_daemon_stop(&d), 0);
	struct stat st;
	cr_expect(stat(bed.rec, &st) == 0 && S_ISDIR(st.st_mode), "the directory was moved or replaced");
}
