/*
 * `make demo` (scripts/demo.sh) ends with its terminal and with its script:
 * every process it starts is gone when its tmux session is closed or when
 * the script is killed outright, one emulator that stops is a chair in
 * comm-lost rather than the end of the demo, a second demo is told
 * which process holds the lock, and a demo that stops leaves each chair's
 * infusion record behind and says where. Its fourth chair, a multiparameter
 * monitor whose patient's blood pressure surges during the infusion, raises
 * the blood-pressure alarm. Each test runs a whole demo in its own
 * tmux server, directory and ports (VT_DEMO_DIR, VT_DEMO_PORT), beside any
 * demo a developer has running.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "support/support.h"

#define WAIT_MS 20000
/* The demo's chairs: three pulse oximeters and a multiparameter monitor. */
#define CHAIRS 4

struct demo {
	char dir[64];     /* VT_DEMO_DIR */
	char sock[128];   /* its tmux server */
	char ctl[64];     /* the daemon's control endpoint */
	int port;         /* VT_DEMO_PORT: publish; control is the next one */
	long script;      /* the demo script, leader of the pane's session */
};

/* A free port whose successor is free too (publish and control); the
 * rig hands ports out in order, so two calls in a row usually give them. */
static int
s_two_ports(void)
{
	for (int i = 0; i < 50; i++) {
		int p = vt_rig_free_port();
		if (p > 0 && vt_rig_free_port() == p + 1)
			return p;
	}
	return -1;
}

/* The processes of session `sid` that are still running (zombies are gone). */
static int
s_session_procs(long sid, char *names, size_t len)
{
	int n = 0;
	size_t used = 0;
	names[0] = '\0';
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		long pid = atol(e->d_name);
		if (pid <= 0)
			continue;
		char path[64], buf[1024];
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		FILE *fp = fopen(path, "r");
		if (fp == NULL)
			continue;
		size_t got = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[got] = '\0';
		/* pid (comm) state ppid pgrp session ... */
		char *close_paren = strrchr(buf, ')');
		char state;
		long ppid, pgrp, session;
		if (close_paren == NULL ||
		    sscanf(close_paren + 2, "%c %ld %ld %ld", &state, &ppid, &pgrp, &session) != 4)
			continue;
		if (session != sid || state == 'Z')
			continue;
		n++;
		char *open_paren = strchr(buf, '(');
		*close_paren = '\0';
		if (used < len)
			used += (size_t)snprintf(names + used, len - used, " %ld(%s)", pid,
			                         open_paren ? open_paren + 1 : "?");
	}
	if (d != NULL)
		closedir(d);
	return n;
}

/* Wait until nothing of session `sid` runs; what still runs is reported on failure. */
static void
s_expect_all_gone(long sid, const char *after)
{
	char names[2048];
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	while (s_session_procs(sid, names, sizeof(names)) > 0 && vt_rig_now_ms() < end)
		vt_rig_sleep_ms(100);
	cr_expect_eq(s_session_procs(sid, names, sizeof(names)), 0,
	             "%s, still running:%s", after, names);
}

/* The PID of the process of session `sid` whose command line contains `needle`, or -1. */
static long
s_find(long sid, const char *needle)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long found = -1;
	while (found < 0 && d != NULL && (e = readdir(d)) != NULL) {
		long pid = atol(e->d_name);
		char path[64];
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		size_t len;
		char *cmd = vt_rig_slurp(path, &len);
		for (size_t i = 0; cmd != NULL && i + 1 < len; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		char stat[64];
		snprintf(stat, sizeof(stat), "/proc/%ld/stat", pid);
		char *st = vt_rig_slurp(stat, NULL);
		char *cp = st ? strrchr(st, ')') : NULL;
		char state;
		long ppid, pgrp, session = -1;
		if (cp != NULL)
			sscanf(cp + 2, "%c %ld %ld %ld", &state, &ppid, &pgrp, &session);
		if (session == sid && cmd != NULL && strstr(cmd, needle) != NULL)
			found = pid;
		free(cmd);
		free(st);
	}
	if (d != NULL)
		closedir(d);
	return found;
}

static json_t *
s_snapshot(const struct demo *dm)
{
	char *reply = vt_rig_request(dm->ctl, "{\"cmd\":\"snapshot\"}", 2000);
	json_t *o = reply ? json_loads(reply, 0, NULL) : NULL;
	free(reply);
	return o;
}

/* How the demo runs in its tmux pane. */
enum demo_how {
	DEMO_EXEC,          /* the pane's program is the script */
	DEMO_EXEC_REMAIN,   /* the same, and the pane (its terminal) outlives the script */
	DEMO_TYPED          /* typed at an interactive shell's prompt, as `make demo` is */
};

/*
 * Start a demo in a tmux session of its own, its patients at `speed` times
 * real time (0: the demo's own), and wait until its chairs are connected.
 */
static void
s_demo_start(struct demo *dm, enum demo_how how, int speed)
{
	if (vt_rig_tmux_path() == NULL)
		cr_skip_test("tmux is not installed (scripts/deps.sh installs it)");
	memset(dm, 0, sizeof(*dm));
	cr_assert_eq(vt_rig_tmpdir(dm->dir, sizeof(dm->dir), "demo"), 0);
	dm->port = s_two_ports();
	cr_assert_gt(dm->port, 0, "no two free ports");
	snprintf(dm->ctl, sizeof(dm->ctl), "tcp://127.0.0.1:%d", dm->port + 1);
	snprintf(dm->sock, sizeof(dm->sock), "%s/tmux.sock", dm->dir);
	vt_rig_guard_tmux(dm->sock);
	char cmd[1024], speed_env[32] = "";
	if (speed > 0)
		snprintf(speed_env, sizeof(speed_env), "VT_DEMO_SPEED=%d ", speed);
	snprintf(cmd, sizeof(cmd),
	         "%sVT_DEMO_DIR=%s VT_DEMO_PORT=%d %s%s %s 2>>%s/demo.err", speed_env, dm->dir,
	         dm->port, how == DEMO_TYPED ? "" : "exec ", vt_rig_root("scripts/demo.sh"),
	         vt_rig_build(""), dm->dir);
	struct vt_rig_output r;
	/* remain-on-exit: the pane (and its terminal) outlives the script, so
	 * nothing but the script's own death can end the processes. */
	if (how == DEMO_EXEC_REMAIN)
		cr_assert_eq(vt_rig_tmux(dm->sock, &r, "-f", "/dev/null", "new-session", "-d", "-s", "demo",
		                      "-x", "100", "-y", "30", cmd, ";", "set-option", "-t", "demo",
		                      "remain-on-exit", "on", NULL),
		             0, "tmux: %s", r.err);
	else if (how == DEMO_EXEC)
		cr_assert_eq(vt_rig_tmux(dm->sock, &r, "-f", "/dev/null", "new-session", "-d", "-s", "demo",
		                      "-x", "100", "-y", "30", cmd, NULL),
		             0, "tmux: %s", r.err);
	/* A shell with job control runs the demo as its foreground job: the
	 * script is not the terminal's controlling process, and the daemon (for
	 * which SIGHUP means reload) is not ended by the hangup itself. */
	else
		cr_assert_eq(vt_rig_tmux(dm->sock, &r, "-f", "/dev/null", "new-session", "-d", "-s", "demo",
		                      "-x", "100", "-y", "30", "exec bash --norc --noprofile -i", ";",
		                      "send-keys", "-t", "demo", cmd, "Enter", NULL),
		             0, "tmux: %s", r.err);
	vt_rig_output_free(&r);
	dm->script = vt_rig_tmux_pane_pid(dm->sock);
	cr_assert_gt(dm->script, 1, "no pane");
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	int connected = 0;
	while (connected < CHAIRS && vt_rig_now_ms() < end) {
		json_t *snap = s_snapshot(dm);
		const char *key;
		json_t *v;
		connected = 0;
		json_object_foreach(json_object_get(snap, "ports"), key, v)
		    connected += strcmp(json_string_value(v), "connected") == 0;
		json_decref(snap);
		if (connected < CHAIRS)
			vt_rig_sleep_ms(100);
	}
	char path[128];
	snprintf(path, sizeof(path), "%s/demo.err", dm->dir);
	char *err = vt_rig_slurp(path, NULL);
	cr_assert_eq(connected, CHAIRS, "the demo did not start; its messages: %s", err ? err : "");
	free(err);
	/* The console comes last, once the daemon is up. (Not `vitals-console
	 * --help`, which the script runs first to learn the console's options.) */
	while (s_find(dm->script, "vitals-console --connect") < 0 && vt_rig_now_ms() < end)
		vt_rig_sleep_ms(100);
	cr_assert_gt(s_find(dm->script, "vitals-console --connect"), 0, "no console");
}

static void
s_demo_stop(struct demo *dm)
{
	struct vt_rig_output r;
	vt_rig_tmux(dm->sock, &r, "kill-server", NULL);
	vt_rig_output_free(&r);
	vt_rig_release_tmux(dm->sock);
	s_expect_all_gone(dm->script, "after the test");
	vt_rig_rmtree(dm->dir);
}

TestSuite(demo, .timeout = 120);

/*
 * `make demo` typed in a tmux window, then the session closed: nothing it
 * started runs on. A closing terminal hangs up the demo's process group
 * and the shell, which passes SIGHUP on to its job as it exits: two come
 * within microseconds, and bash dies of a second one that arrives before
 * it has handled the first, without running its EXIT trap. The two are
 * sent here first, as they come in about one closing of three, then the
 * session is closed.
 */
Test(demo, closing_its_tmux_session_ends_every_process)
{
	struct demo dm;
	s_demo_start(&dm, DEMO_TYPED, 0);
	long job = s_find(dm.script, "scripts/demo.sh");
	cr_assert_gt(job, 0, "no demo script under the shell");
	cr_assert_eq(kill(-(pid_t)job, SIGHUP), 0, "the demo is not a job of its own");
	kill(-(pid_t)job, SIGHUP);
	struct vt_rig_output r;
	cr_assert_eq(vt_rig_tmux(dm.sock, &r, "kill-session", "-t", "demo", NULL), 0);
	vt_rig_output_free(&r);
	s_expect_all_gone(dm.script, "the tmux session was closed");
	s_demo_stop(&dm);
}

Test(demo, killing_its_script_outright_ends_every_process_and_frees_the_lock)
{
	struct demo dm;
	s_demo_start(&dm, DEMO_EXEC_REMAIN, 0);
	cr_assert_eq(kill((pid_t)dm.script, SIGKILL), 0);
	s_expect_all_gone(dm.script, "the script was killed with SIGKILL");
	int fd = open(dm.dir, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_expect_eq(flock(fd, LOCK_EX | LOCK_NB), 0, "the lock on %s is still held", dm.dir);
	close(fd);
	s_demo_stop(&dm);
}

Test(demo, an_emulator_that_stops_is_a_chair_in_comm_lost_not_the_end)
{
	struct demo dm;
	s_demo_start(&dm, DEMO_EXEC, 0);
	char needle[128];
	snprintf(needle, sizeof(needle), "--pty %s/chair-2", dm.dir);
	long emu = s_find(dm.script, needle);
	cr_assert_gt(emu, 0, "no chair-2 emulator");
	cr_assert_eq(kill((pid_t)emu, SIGTERM), 0);
	const char *state = NULL;
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	json_t *snap = NULL;
	while (vt_rig_now_ms() < end) {
		json_decref(snap);
		snap = s_snapshot(&dm);
		state = json_string_value(json_object_get(json_object_get(snap, "ports"), "chair-2"));
		if (state != NULL && strcmp(state, "lost") == 0)
			break;
		vt_rig_sleep_ms(100);
	}
	cr_expect_str_eq(state ? state : "(no answer)", "lost");
	json_decref(snap);
	/* The demo goes on: the script, the daemon and the console are all there. */
	vt_rig_sleep_ms(500);
	cr_expect_eq(kill((pid_t)dm.script, 0), 0, "the demo script ended");
	cr_expect_gt(s_find(dm.script, "vitals-console --connect"), 0, "the console ended");
	cr_expect(vt_rig_ping(dm.ctl, 2000), "the daemon does not answer");
	char path[128];
	snprintf(path, sizeof(path), "%s/demo.log", dm.dir);
	char *log = vt_rig_slurp(path, NULL);
	cr_expect(log && strstr(log, "chair-2 shows comm-lost"), "demo.log: %s", log ? log : "");
	free(log);
	s_demo_stop(&dm);
}

/* Stopped, the demo leaves the infusion record of each chair's session and says where. */
Test(demo, stopping_it_leaves_each_chairs_report_and_says_where)
{
	struct demo dm;
	s_demo_start(&dm, DEMO_EXEC_REMAIN, 0);
	vt_rig_sleep_ms(3000); /* a few seconds of the patients (30 s of theirs at 10x) */
	cr_assert_eq(kill((pid_t)dm.script, SIGTERM), 0);
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	while (kill((pid_t)dm.script, 0) == 0 && vt_rig_now_ms() < end)
		vt_rig_sleep_ms(100);
	struct vt_rig_output r;
	vt_rig_tmux(dm.sock, &r, "capture-pane", "-p", "-t", "demo", NULL);
	char said[160];
	snprintf(said, sizeof(said), "the infusion record of each chair's session is in %s/reports/",
	         dm.dir);
	cr_expect(r.out && strstr(r.out, said), "the demo did not say where: %s", r.out);
	vt_rig_output_free(&r);
	for (int c = 1; c <= CHAIRS; c++) {
		char pdf[128], csv[128], png[128];
		snprintf(pdf, sizeof(pdf), "%s/reports/chair-%d.pdf", dm.dir, c);
		snprintf(csv, sizeof(csv), "%s/reports/chair-%d.csv", dm.dir, c);
		snprintf(png, sizeof(png), "%s/reports/chair-%d-2.png", dm.dir, c);
		char *argv[] = {"/usr/bin/pdfinfo", pdf, NULL};
		cr_expect_eq(vt_rig_run(argv, &r), 0, "%s: %s", pdf, r.err);
		cr_expect(r.out && strstr(r.out, "Title:           Infusion record chair-"), "%s", r.out);
		vt_rig_output_free(&r);
		cr_expect_eq(access(csv, R_OK), 0, "%s", csv);
		cr_expect_eq(access(png, R_OK), 0, "%s", png);
	}
	s_demo_stop(&dm);
}

/* The member `path` ("a.b.c") of `o`, or NULL. */
static json_t *
s_get(json_t *o, const char *path)
{
	char key[64];
	while (o != NULL && *path) {
		size_t n = strcspn(path, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		o = json_object_get(o, key);
		path += n + (path[n] == '.');
	}
	return o;
}

/*
 * Chair 4 is a Philips IntelliVue on a pty, associated and polled by
 * vitalsd, playing scenarios/ketamine-bp-surge.yaml: three cuff readings in
 * the baseline phase, then a systolic pressure that climbs 35 % during the
 * infusion; the demo sets its phases at the scenario's marks. At 100 times
 * real time the surge rule of config/demo.yaml (20 % or 25 mmHg over the
 * baseline) raises at the cuff reading of 16 minutes, about 10 s in, or on
 * the scenario's next pass (24 s later) if a slow start missed the baseline's
 * readings. Without chair 4, its phases or the rule, no alarm comes.
 */
Test(demo, the_fourth_chair_raises_the_blood_pressure_alarm)
{
	struct demo dm;
	s_demo_start(&dm, DEMO_EXEC, 100);
	char pub[64];
	snprintf(pub, sizeof(pub), "tcp://127.0.0.1:%d", dm.port);
	void *sub = vt_rig_sub(pub, "alert.chair-4", 0);
	cr_assert_not_null(sub);
	json_t *raised = NULL;
	char topic[64], body[16384];
	for (int64_t end = vt_rig_now_ms() + 60000; raised == NULL && vt_rig_now_ms() < end;) {
		if (vt_rig_recv(sub, topic, sizeof(topic), body, sizeof(body), 500) < 0)
			continue;
		json_t *o = json_loads(body, 0, NULL);
		const char *event = json_string_value(json_object_get(o, "event"));
		const char *rule = json_string_value(json_object_get(o, "rule"));
		if (event && rule && strcmp(event, "raised") == 0 && strcmp(rule, "nibp-surge") == 0)
			raised = o;
		else
			json_decref(o);
	}
	zmq_close(sub);
	char path[128];
	snprintf(path, sizeof(path), "%s/demo.log", dm.dir);
	char *log = vt_rig_slurp(path, NULL);
	cr_assert_not_null(raised, "no blood-pressure alarm on chair-4 within 60 s; demo.log: %s",
	                   log ? log : "");
	free(log);
	double value = json_number_value(json_object_get(raised, "value"));
	double limit = json_number_value(json_object_get(raised, "limit"));
	cr_expect_str_eq(json_string_value(json_object_get(raised, "parameter")), "nibp_sys");
	cr_expect_str_eq(json_string_value(json_object_get(raised, "kind")), "physiological");
	cr_expect_gt(value, limit, "%s", json_string_value(json_object_get(raised, "text")));

	/* The limit is the baseline's: the median of the baseline phase's readings. */
	json_t *snap = s_snapshot(&dm);
	json_t *session = s_get(snap, "sessions.chair-4");
	const char *phase = json_string_value(json_object_get(session, "phase"));
	cr_expect(phase && (strcmp(phase, "infusion") == 0 || strcmp(phase, "recovery") == 0),
	          "chair-4 is in phase %s", phase ? phase : "(none)");
	double base = json_number_value(s_get(session, "baseline.nibp_sys"));
	cr_expect_gt(base, 90, "no blood-pressure baseline");
	cr_expect_float_eq(limit, base * 1.2 < base + 25 ? base * 1.2 : base + 25, 0.05,
	                   "limit %g for a baseline of %g", limit, base);
	/* Its blood pressure is shown, with its age. */
	cr_expect(json_is_number(s_get(snap, "vitals.chair-4.nibp_sys")), "no blood pressure shown");
	cr_expect(json_is_integer(s_get(snap, "age_s.chair-4.nibp_sys")), "no age of it");
	json_decref(snap);
	json_decref(raised);

	/* On a nurse's 80x24 terminal: chair 4 with its blood pressure and its
	 * age, and every bed's audio state whole beside its many columns. */
	struct vt_rig_output r;
	cr_assert_eq(vt_rig_tmux(dm.sock, &r, "resize-window", "-t", "demo", "-x", "80", "-y", "24",
	                         NULL),
	             0, "resize-window: %s", r.err);
	vt_rig_output_free(&r);
	bool seen = false;
	char *screen = NULL;
	for (int64_t end = vt_rig_now_ms() + WAIT_MS; !seen && vt_rig_now_ms() < end;) {
		free(screen);
		vt_rig_tmux(dm.sock, &r, "capture-pane", "-p", "-t", "demo", NULL);
		screen = r.out ? strdup(r.out) : NULL;
		vt_rig_output_free(&r);
		const char *row4 = screen ? strstr(screen, "\n chair-4 ") : NULL;
		seen = row4 && strstr(screen, "  AUDIO\n") && strstr(row4, " NIBP ") &&
		       strstr(row4, " ago") && (strstr(row4, " on\n") || strstr(row4, " paused"));
		if (!seen)
			vt_rig_sleep_ms(200);
	}
	cr_expect(seen, "chair 4, its blood pressure and its age, or an audio state not on the "
	                "80x24 screen:\n%s", screen ? screen : "");
	free(screen);
	s_demo_stop(&dm);
}

Test(demo, a_second_demo_names_the_pid_that_holds_the_lock)
{
	struct demo dm;
	s_demo_start(&dm, DEMO_EXEC, 0);
	char env_dir[96], env_port[32];
	snprintf(env_dir, sizeof(env_dir), "VT_DEMO_DIR=%s", dm.dir);
	snprintf(env_port, sizeof(env_port), "VT_DEMO_PORT=%d", dm.port);
	char *argv[] = {"/usr/bin/env", env_dir, env_port, (char *)vt_rig_root("scripts/demo.sh"),
	                (char *)vt_rig_build(""), NULL};
	struct vt_rig_output r;
	cr_expect_eq(vt_rig_run(argv, &r), 1);
	char want[64];
	snprintf(want, sizeof(want), "PID %ld (demo.sh)", dm.script);
	cr_expect(strstr(r.err, want) != NULL, "expected \"%s\" in: %s", want, r.err);
	long daemon = s_find(dm.script, "vitalsd -c");
	snprintf(want, sizeof(want), "PID %ld (vitalsd)", daemon);
	cr_expect(strstr(r.err, want) != NULL, "expected \"%s\" in: %s", want, r.err);
	vt_rig_output_free(&r);
	s_demo_stop(&dm);
}

/* A console whose terminal goes away ends, even where SIGHUP was ignored
 * (nohup, a parent that ignored it): nobody can see or hear its alarms. */
Test(demo, a_console_whose_terminal_closes_exits)
{
	if (vt_rig_tmux_path() == NULL)
		cr_skip_test("tmux is not installed (scripts/deps.sh installs it)");
	char dir[64];
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "demo"), 0);
	char sock[128], cmd[512];
	snprintf(sock, sizeof(sock), "%s/tmux.sock", dir);
	vt_rig_guard_tmux(sock);
	int port = vt_rig_free_port();
	snprintf(cmd, sizeof(cmd),
	         "trap '' HUP; exec %s --connect tcp://127.0.0.1:%d --control tcp://127.0.0.1:%d",
	         vt_rig_build("vitals-console"), port, port);
	struct vt_rig_output r;
	cr_assert_eq(vt_rig_tmux(sock, &r, "-f", "/dev/null", "new-session", "-d", "-s", "c", "-x", "100",
	                      "-y", "30", cmd, NULL),
	             0, "tmux: %s", r.err);
	vt_rig_output_free(&r);
	long console = vt_rig_tmux_pane_pid(sock);
	cr_assert_gt(console, 1);
	vt_rig_guard_pid((pid_t)console);
	vt_rig_sleep_ms(500);
	cr_assert_eq(kill((pid_t)console, 0), 0, "the console did not start");
	cr_assert_eq(vt_rig_tmux(sock, &r, "kill-server", NULL), 0);
	vt_rig_output_free(&r);
	vt_rig_release_tmux(sock);
	s_expect_all_gone(console, "its terminal was closed");
	vt_rig_release_pid((pid_t)console);
	vt_rig_rmtree(dir);
}
