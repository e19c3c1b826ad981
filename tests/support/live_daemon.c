/*
 * Test helper: a real vitalsd on loopback ports with a pty monitor, and a
 * reaper so that no daemon or terminal outlives the test that started it
 * (see live_daemon.h). Waits are polls against deadlines, never fixed
 * sleeps standing in for synchronisation.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "live_daemon.h"
#include "../support/rig.h"
#include "run.h"
#include "vitals/console/client.h"

/* A daemon gets this long to bind, answer ping and open its pty. */
#define S_START_MS 20000

int64_t
live_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- the reaper ------------------------------------------------------------ */

/* nftw callback: remove everything, depth first. */
static int
s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}


static int s_reaper_fd = -1;
static pid_t s_reaper_pid;

/* In the reaper: read what to clean up; at end of file (the test died), do it. */
static void
s_reaper_main(int fd)
{
	char buf[8192];
	size_t used = 0;
	for (;;) {
		ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		if (strstr(buf, "done\n") != NULL)
			_exit(0);
		if (used == sizeof(buf) - 1)
			break; /* more than a test registers: clean up what we know */
	}
	buf[used] = '\0';
	/* Processes first, then the directories they were writing into. */
	for (int pass = 0; pass < 2; pass++) {
		char copy[sizeof(buf)];
		memcpy(copy, buf, used + 1);
		for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (pass == 0 && strncmp(line, "pid ", 4) == 0) {
				pid_t pid = (pid_t)atol(line + 4);
				if (pid > 1)
					kill(pid, SIGKILL);
			} else if (pass == 0 && strncmp(line, "tmux ", 5) == 0) {
				pid_t t = fork();
				if (t == 0) {
					execlp("tmux", "tmux", "-S", line + 5, "kill-server", (char *)NULL);
					_exit(127);
				}
				if (t > 0)
					waitpid(t, NULL, 0);
			} else if (pass == 1 && strncmp(line, "dir /tmp/", 9) == 0) {
				nftw(line + 4, s_rm, 16, FTW_DEPTH | FTW_PHYS);
			}
		}
	}
	_exit(0);
}

static void
s_reaper_say(const char *fmt, long n, const char *s)
{
	if (s_reaper_fd < 0) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) != 0)
			return;
		pid_t pid = fork();
		if (pid == 0) {
			/* Hold nothing of the test's (its pty master above all). */
			for (int fd = 3; fd < 4096; fd++)
				if (fd != p[0])
					close(fd);
			signal(SIGINT, SIG_IGN);
			signal(SIGHUP, SIG_IGN);
			s_reaper_main(p[0]);
		}
		close(p[0]);
		if (pid < 0) {
			close(p[1]);
			return;
		}
		s_reaper_fd = p[1];
		s_reaper_pid = pid;
	}
	char line[512];
	int len = s ? snprintf(line, sizeof(line), fmt, s) : snprintf(line, sizeof(line), fmt, n);
	if (len > 0 && write(s_reaper_fd, line, (size_t)len) < 0)
		perror("reaper");
}

void
live_reap_pid(pid_t pid)
{
	s_reaper_say("pid %ld\n", (long)pid, NULL);
}

void
live_reap_tmux(const char *socket)
{
	s_reaper_say("tmux %s\n", 0, socket);
}

/* Directories too: removed last, after the processes writing into them are gone. */
static void
s_reap_dir(const char *dir)
{
	s_reaper_say("dir %s\n", 0, dir);
}

void
live_reaper_done(void)
{
	if (s_reaper_fd < 0)
		return;
	if (write(s_reaper_fd, "done\n", 5) < 0)
		perror("reaper");
	close(s_reaper_fd);
	s_reaper_fd = -1;
	waitpid(s_reaper_pid, NULL, 0);
}

/* ---- the daemon ------------------------------------------------------------ */

char *
live_request(const char *endpoint, const char *json, int timeout_ms)
{
	void *zctx = zmq_ctx_new();
	char err[256];
	int bad;
	char *reply = NULL;
	struct vt_client *c = vt_client_new(zctx, endpoint, NULL, &bad, err, sizeof(err));
	if (c != NULL && vt_client_request(c, json, timeout_ms, &reply) != VT_CLIENT_REPLY)
		reply = NULL;
	vt_client_free(&c);
	zmq_ctx_term(zctx);
	return reply;
}

/* The monitor's port state in a snapshot, or "" if none came. */
static void
s_port_state(const struct live_daemon *d, char *buf, size_t len)
{
	buf[0] = '\0';
	char *reply = live_request(d->ctl, "{\"cmd\":\"snapshot\"}", 1000);
	json_t *o = reply ? json_loads(reply, 0, NULL) : NULL;
	const char *s = json_string_value(json_object_get(json_object_get(o, "ports"), "chair-1"));
	snprintf(buf, len, "%s", s ? s : "");
	json_decref(o);
	free(reply);
}

static void
s_write_config(struct live_daemon *d, const char *rules)
{
	int pub = vt_rig_free_port(), ctl = vt_rig_free_port();
	snprintf(d->pub, sizeof(d->pub), "tcp://127.0.0.1:%d", pub);
	snprintf(d->ctl, sizeof(d->ctl), "tcp://127.0.0.1:%d", ctl);
	FILE *fp = fopen(d->config, "w");
	if (fp == NULL)
		return;
	/* stale_after is long: the tests feed lines when they choose, not at the device's pace. */
	fprintf(fp,
	        "publish: %s\ncontrol: %s\nheartbeat: 1s\n"
	        "monitors:\n"
	        "  - bed: chair-1\n    port: %s\n    protocol: masimo-ascii\n    stale_after: 10m\n"
	        "rules:\n%s",
	        d->pub, d->ctl, d->tty, rules && *rules ? rules : "  []\n");
	fclose(fp);
}

/* Spawn the daemon on the configuration as it is and wait for it to be usable. */
static int
s_spawn(struct live_daemon *d, bool *bind_failed)
{
	*bind_failed = false;
	const char *prog = run_build_path("vitalsd");
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (in < 0 || out < 0)
			_exit(127);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execl(prog, "vitalsd", "-c", d->config, (char *)NULL);
		_exit(127);
	}
	d->pid = pid;
	live_reap_pid(pid);
	int64_t deadline = live_now_ms() + S_START_MS;
	while (live_now_ms() < deadline) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			d->pid = 0;
			char *log = run_slurp(d->log, NULL);
			*bind_failed = log && strstr(log, "Address already in use");
			fprintf(stderr, "vitalsd exited at start:\n%s\n", log ? log : "(no log)");
			free(log);
			return -1;
		}
		char state[32];
		s_port_state(d, state, sizeof(state));
		if (strcmp(state, "connected") == 0)
			return 0;
		s_sleep_ms(50);
	}
	fprintf(stderr, "vitalsd did not connect its pty within %d ms\n", S_START_MS);
	return -1;
}

int
live_daemon_start(struct live_daemon *d, const char *rules)
{
	memset(d, 0, sizeof(*d));
	d->master = -1;
	snprintf(d->dir, sizeof(d->dir), "/tmp/vt-live-XXXXXX");
	if (mkdtemp(d->dir) == NULL)
		return -1;
	s_reap_dir(d->dir);
	snprintf(d->config, sizeof(d->config), "%s/vitalsd.yaml", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/vitalsd.log", d->dir);
	d->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (d->master < 0 || grantpt(d->master) != 0 || unlockpt(d->master) != 0 ||
	    ptsname_r(d->master, d->tty, sizeof(d->tty)) != 0)
		return -1;
	/* Another test may take a port between our probe and the daemon's bind: try again. */
	for (int attempt = 0; attempt < 5; attempt++) {
		bool bind_failed;
		s_write_config(d, rules);
		if (s_spawn(d, &bind_failed) == 0)
			return 0;
		if (!bind_failed)
			break;
	}
	return -1;
}

int
live_daemon_restart(struct live_daemon *d)
{
	/* The old daemon's ports are free again at once (ZeroMQ binds with SO_REUSEADDR);
	 * a second try covers a binary being relinked by a build at that moment. */
	bool bind_failed;
	for (int attempt = 0; attempt < 3; attempt++)
		if (s_spawn(d, &bind_failed) == 0)
			return 0;
	return -1;
}

void
live_daemon_masimo(struct live_daemon *d, int spo2, int bpm)
{
	char line[256];
	int n = snprintf(line, sizeof(line),
	                 "02/22/16 22:47:45 SN=0000056661 SPO2=%03d%% BPM=%03d PI=03.60%% "
	                 "SPCO=--.-%% SPMET=--.-%% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n",
	                 spo2, bpm);
	if (write(d->master, line, (size_t)n) != n)
		perror("pty write");
}

void
live_daemon_kill(struct live_daemon *d, int sig)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, sig);
	waitpid(d->pid, NULL, 0);
	d->pid = 0;
}

void
live_daemon_stop(struct live_daemon *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		int64_t deadline = live_now_ms() + 5000;
		while (waitpid(d->pid, NULL, WNOHANG) == 0) {
			if (live_now_ms() > deadline) {
				kill(d->pid, SIGKILL);
				waitpid(d->pid, NULL, 0);
				break;
			}
			s_sleep_ms(20);
		}
		d->pid = 0;
	}
	if (d->master >= 0)
		close(d->master);
	d->master = -1;
	if (d->dir[0])
		nftw(d->dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
	d->dir[0] = '\0';
}
