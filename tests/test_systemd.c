/*
 * vitalsd as systemd runs it and as an administrator installs it: the
 * unit file passes `systemd-analyze verify`, its sandbox scores an
 * exposure of at most 2.0, the daemon speaks the sd_notify protocol for
 * real (READY=1 only once the PUB socket is bound, STATUS=, WATCHDOG=1
 * from the loop, STOPPING=1 and exit 0 on SIGTERM), the sysusers and
 * tmpfiles files apply, `make install` lays out the whole tree, and the
 * man pages render without a warning. Nothing needs hardware or the
 * network: sockets bind 127.0.0.1 and temporary directories only.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers/run.h"

extern char **environ;

/* The ExecStart line of the shipped unit; `make install` rewrites /usr/bin. */
#define UNIT_EXEC_START "ExecStart=/usr/bin/vitalsd -c /etc/vitalsd/vitalsd.yaml"

/* ---- helpers ------------------------------------------------------------- */

/* The absolute path of a program on $PATH (static buffer), or NULL. */
static const char *
s_which(const char *prog)
{
	static char buf[PATH_MAX];
	const char *path = getenv("PATH");
	if (path == NULL || *path == '\0')
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, prog);
		if (len > 0 && access(buf, X_OK) == 0)
			return buf;
		path += len + (path[len] == ':');
	}
	return NULL;
}

/* A copy of s_which's answer, or a skip naming the package to install. */
static char *
s_need(const char *prog, const char *package)
{
	const char *p = s_which(prog);
	if (p == NULL)
		cr_skip_test("%s not found; install the Debian package %s (scripts/deps.sh does)", prog,
		        package);
	return strdup(p);
}

/* An absolute path for something under the build or the source tree. */
static char *
s_abs(const char *path)
{
	char *p = realpath(path, NULL);
	cr_assert_not_null(p, "%s: %s (build it first: make)", path, strerror(errno));
	return p;
}

static char *
s_tmpdir(void)
{
	char tmpl[] = "/tmp/vt-systemd-XXXXXX";
	char *d = mkdtemp(tmpl);
	cr_assert_not_null(d, "mkdtemp: %s", strerror(errno));
	return strdup(d);
}

static int
s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
s_rm_rf(char *dir)
{
	if (dir != NULL)
		nftw(dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static void
s_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static bool
s_is_file(const char *path, bool executable)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	return !executable || (st.st_mode & 0111) == 0111;
}

/* A TCP port on 127.0.0.1 that was free a moment ago. */
static int
s_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	          getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	close(fd);
	return ntohs(a.sin_port);
}

static bool
s_can_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static int64_t
s_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The shipped unit with ExecStart pointing at `exec_start` (a whole command line). */
static char *
s_unit_with_exec(const char *exec_start)
{
	char *unit = run_slurp(run_root_path("systemd/vitalsd.service"), NULL);
	cr_assert_not_null(unit, "systemd/vitalsd.service cannot be read");
	char *at = strstr(unit, "\n" UNIT_EXEC_START "\n");
	cr_assert_not_null(at, "the unit must say exactly \"%s\" (make install rewrites it)",
	                   UNIT_EXEC_START);
	at++;
	const char *rest = at + strlen(UNIT_EXEC_START);
	size_t len = (size_t)(at - unit) + strlen("ExecStart=") + strlen(exec_start) + strlen(rest) + 1;
	char *out = malloc(len);
	snprintf(out, len, "%.*sExecStart=%s%s", (int)(at - unit), unit, exec_start, rest);
	free(unit);
	return out;
}

/* Does any line of `text` mention `word`? Prints those lines. */
static bool
s_mentions(const char *text, const char *word)
{
	bool found = false;
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		char *copy = strndup(line, len);
		if (strstr(copy, word) != NULL) {
			cr_log_error("%s", copy);
			found = true;
		}
		free(copy);
		line += len + (line[len] == '\n');
	}
	return found;
}

/* ---- the unit file ------------------------------------------------------------ */

Test(systemd, unit_verifies_clean, .timeout = 120)
{
	char *analyze = s_need("systemd-analyze", "systemd");
	char *vitalsd = s_abs(run_build_path("vitalsd"));
	char *dir = s_tmpdir();
	char cfg[PATH_MAX], unit_path[PATH_MAX], exec[2 * PATH_MAX];
	snprintf(cfg, sizeof(cfg), "%s/vitalsd.yaml", dir);
	snprintf(unit_path, sizeof(unit_path), "%s/vitalsd.service", dir);
	s_write(cfg, "publish: tcp://127.0.0.1:5556\nmonitors: []\nrules: []\n");
	snprintf(exec, sizeof(exec), "%s -c %s", vitalsd, cfg);
	char *unit = s_unit_with_exec(exec);
	s_write(unit_path, unit);

	/* The man pages are checked below; `man` itself may not be installed. */
	char *argv[] = {analyze, "verify", "--man=no", unit_path, NULL};
	struct run_result r;
	cr_assert_geq(run_capture(argv, &r), 0, "cannot run %s", analyze);
	cr_log_info("systemd-analyze verify:\n%s%s", r.out, r.err);
	cr_expect(!s_mentions(r.err, "vitalsd") && !s_mentions(r.out, "vitalsd"),
	          "systemd-analyze verify has something to say about the unit (see above)");
	cr_expect_eq(r.status, 0, "systemd-analyze verify exited %d:\n%s", r.status, r.err);
	run_result_free(&r);
	free(unit);
	free(analyze);
	free(vitalsd);
	s_rm_rf(dir);
}

/* The promises the rest of the project relies on, said in the unit. */
Test(systemd, unit_says_what_the_daemon_does)
{
	static const char *const lines[] = {
	    "Type=notify",          "NotifyAccess=main",      "WatchdogSec=30s",
	    "Restart=on-failure",   "ExecReload=/bin/kill -HUP $MAINPID",
	    "User=vitalsd",         "Group=vitalsd",          "SupplementaryGroups=dialout",
	    "StateDirectory=vitalsd", "ConfigurationDirectory=vitalsd", "DevicePolicy=closed",
	    "DeviceAllow=char-ttyUSB rw", "DeviceAllow=char-ttyACM rw", "DeviceAllow=char-ttyS rw",
	    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "UMask=0027",
	};
	char *unit = run_slurp(run_root_path("systemd/vitalsd.service"), NULL);
	cr_assert_not_null(unit);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char want[256];
		snprintf(want, sizeof(want), "\n%s\n", lines[i]);
		cr_expect_not_null(strstr(unit, want), "the unit lacks the line \"%s\"", lines[i]);
	}
	cr_expect_null(strstr(unit, "\nPrivateDevices="), "PrivateDevices= hides the serial ports");
	/* Every man page the unit points at is shipped. */
	for (const char *p = unit; (p = strstr(p, "man:")) != NULL; p += 4) {
		char name[64], section[8];
		cr_assert_eq(sscanf(p, "man:%63[^( ](%7[0-9])", name, section), 2);
		char path[128];
		snprintf(path, sizeof(path), "man/%s.%s", name, section);
		cr_expect(s_is_file(run_root_path(path), false), "the unit names man:%s(%s); %s is missing",
		          name, section, path);
	}
	free(unit);
}

Test(systemd, sandbox_exposure_at_most_2, .timeout = 120)
{
	char *analyze = s_need("systemd-analyze", "systemd");
	char *unit = s_abs(run_root_path("systemd/vitalsd.service"));
	char *argv[] = {analyze, "security", "--offline=yes", unit, NULL};
	struct run_result r;
	cr_assert_geq(run_capture(argv, &r), 0, "cannot run %s", analyze);
	static const char key[] = "Overall exposure level for vitalsd.service:";
	const char *at = strstr(r.out, key);
	cr_assert_not_null(at, "no \"%s\" in:\n%s%s", key, r.out, r.err);
	char *end;
	double exposure = strtod(at + strlen(key), &end);
	cr_assert(end != at + strlen(key), "no number after \"%s\"", key);
	cr_log_info("systemd-analyze security --offline=yes: exposure %.1f", exposure);
	cr_expect_leq(exposure, 2.0, "exposure %.1f is above 2.0:\n%s", exposure, r.out);
	run_result_free(&r);
	free(unit);
	free(analyze);
}

/* ---- the sd_notify protocol, for real ------------------------------------------ */

struct notify_seen {
	int64_t ready_at;   /* ms, or -1 */
	int64_t first_wd;   /* ms of the first WATCHDOG=1 after READY, or -1 */
	int watchdogs;      /* WATCHDOG=1 received after READY=1 */
	int early_watchdogs; /* ... and before it */
	bool status;        /* a STATUS= line */
	char status_text[256];
	bool stopping;
	bool bound_at_ready; /* the PUB port accepted a connection when READY=1 came */
};

/* Read datagrams until `until(seen)` or the deadline; false on timeout. */
static bool
s_collect(int sock, struct notify_seen *s, int port, int64_t deadline,
          bool (*until)(const struct notify_seen *))
{
	while (!until(s)) {
		int64_t left = deadline - s_mono_ms();
		if (left <= 0)
			return false;
		struct pollfd p = {.fd = sock, .events = POLLIN};
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		char buf[4096];
		ssize_t n = recv(sock, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (strcmp(line, "READY=1") == 0 && s->ready_at < 0) {
				s->ready_at = s_mono_ms();
				s->bound_at_ready = s_can_connect(port);
			} else if (strcmp(line, "WATCHDOG=1") == 0) {
				if (s->ready_at < 0) {
					s->early_watchdogs++;
				} else {
					if (s->watchdogs++ == 0)
						s->first_wd = s_mono_ms();
				}
			} else if (strncmp(line, "STATUS=", 7) == 0) {
				s->status = true;
				snprintf(s->status_text, sizeof(s->status_text), "%s", line + 7);
			} else if (strcmp(line, "STOPPING=1") == 0) {
				s->stopping = true;
			}
		}
	}
	return true;
}

static bool
s_running(const struct notify_seen *s)
{
	return s->ready_at >= 0 && s->status && s->watchdogs >= 2;
}

static bool
s_stopping(const struct notify_seen *s)
{
	return s->stopping;
}

static bool
s_never(const struct notify_seen *s)
{
	return false;
}

/* The daemon's environment: ours without systemd's variables, plus `extra`. */
static char **
s_env(char *const extra[])
{
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	while (extra[k])
		k++;
	char **env = calloc(n + k + 1, sizeof(*env));
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(environ[i], "NOTIFY_SOCKET=", 14) == 0 ||
		    strncmp(environ[i], "WATCHDOG_", 9) == 0 || strncmp(environ[i], "LISTEN_", 7) == 0)
			continue;
		env[o++] = environ[i];
	}
	for (size_t i = 0; i < k; i++)
		env[o++] = extra[i];
	return env;
}

/* waitpid with a deadline; the exit status, 128+signal, or -1 on timeout. */
static int
s_wait(pid_t pid, int64_t deadline)
{
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0 && errno != EINTR)
			return -1;
		if (s_mono_ms() > deadline)
			return -1;
		usleep(10000);
	}
}

Test(systemd, notify_ready_status_watchdog_stopping, .timeout = 60)
{
	char *vitalsd = s_abs(run_build_path("vitalsd"));
	char *dir = s_tmpdir();
	char cfg[PATH_MAX], sock_path[PATH_MAX], log_path[PATH_MAX];
	snprintf(cfg, sizeof(cfg), "%s/vitalsd.yaml", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/notify", dir);
	snprintf(log_path, sizeof(log_path), "%s/stderr", dir);
	int port = s_free_port();
	char text[256];
	snprintf(text, sizeof(text), "publish: tcp://127.0.0.1:%d\nheartbeat: 1s\nmonitors: []\n"
	         "rules: []\n", port);
	s_write(cfg, text);

	int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cr_assert_lt(strlen(sock_path), sizeof(sa.sun_path));
	strcpy(sa.sun_path, sock_path);
	cr_assert_eq(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s: %s", sock_path,
	             strerror(errno));

	/* 200 ms watchdog: the loop must ping every 100 ms. WATCHDOG_PID is left
	 * unset (sd_watchdog_enabled ignores the watchdog if it names another pid). */
	char notify_env[PATH_MAX + 16];
	snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=%s", sock_path);
	char *extra[] = {notify_env, "WATCHDOG_USEC=200000", NULL};
	char **env = s_env(extra);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	char *argv[] = {vitalsd, "-c", cfg, NULL};
	pid_t pid;
	cr_assert_eq(posix_spawn(&pid, vitalsd, &fa, NULL, argv, env), 0);
	posix_spawn_file_actions_destroy(&fa);

	struct notify_seen s = {.ready_at = -1, .first_wd = -1};
	bool up = s_collect(sock, &s, port, s_mono_ms() + 10000, s_running);
	/* Then watch one more second: about ten pings, not a spinning loop. */
	int at_second = s.watchdogs;
	int64_t t0 = s_mono_ms();
	if (up)
		s_collect(sock, &s, port, t0 + 1000, s_never);
	int in_second = s.watchdogs - at_second;
	kill(pid, SIGTERM);
	bool stopped = s_collect(sock, &s, port, s_mono_ms() + 10000, s_stopping);
	int status = s_wait(pid, s_mono_ms() + 10000);
	if (status < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	char *log = run_slurp(log_path, NULL);
	cr_log_info("vitalsd said:\n%s", log ? log : "(nothing)");

	cr_expect_geq(s.ready_at, 0, "no READY=1 within 10 s");
	cr_expect(s.bound_at_ready, "READY=1 came before the PUB socket accepted connections");
	cr_expect(s.status, "no STATUS= line");
	cr_expect_geq(s.watchdogs, 2, "%d WATCHDOG=1 after READY=1 within 10 s; expected at least 2",
	              s.watchdogs);
	cr_expect(in_second >= 3 && in_second <= 40,
	          "%d WATCHDOG=1 in one second with WATCHDOG_USEC=200000; expected about 10",
	          in_second);
	cr_expect(stopped, "no STOPPING=1 within 10 s of SIGTERM");
	cr_expect_eq(status, 0, "vitalsd exited with %d after SIGTERM (-1: still running)", status);
	cr_log_info("status line: %s", s.status_text);

	free(log);
	free(env);
	close(sock);
	free(vitalsd);
	s_rm_rf(dir);
}

/* ---- the system user and the state directory -------------------------------------- */

Test(systemd, sysusers_and_tmpfiles_apply, .timeout = 60)
{
	char *sysusers = s_need("systemd-sysusers", "systemd");
	char *tmpfiles = s_need("systemd-tmpfiles", "systemd");
	char *conf_u = s_abs(run_root_path("systemd/vitalsd.sysusers"));
	char *conf_t = s_abs(run_root_path("systemd/vitalsd.tmpfiles"));
	char *root = s_tmpdir();
	char root_arg[PATH_MAX + 8], path[PATH_MAX];
	snprintf(root_arg, sizeof(root_arg), "--root=%s", root);
	snprintf(path, sizeof(path), "%s/etc", root);
	cr_assert_eq(mkdir(path, 0755), 0);

	char *argv_u[] = {sysusers, root_arg, conf_u, NULL};
	struct run_result r;
	cr_assert_geq(run_capture(argv_u, &r), 0);
	cr_expect_eq(r.status, 0, "systemd-sysusers failed:\n%s", r.err);
	run_result_free(&r);
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	char *passwd = run_slurp(path, NULL);
	snprintf(path, sizeof(path), "%s/etc/group", root);
	char *group = run_slurp(path, NULL);
	cr_assert(passwd && group, "sysusers wrote no passwd/group");
	cr_expect(strncmp(passwd, "vitalsd:", 8) == 0 || strstr(passwd, "\nvitalsd:") != NULL,
	          "no vitalsd user:\n%s", passwd);
	cr_expect_not_null(strstr(passwd, ":/usr/sbin/nologin"), "vitalsd must not have a login shell");
	const char *dialout = strstr(group, "dialout:");
	cr_expect(dialout != NULL && strstr(dialout, "vitalsd") != NULL &&
	              strstr(dialout, "vitalsd") < strchr(dialout, '\n'),
	          "vitalsd is not in dialout:\n%s", group);

	if (geteuid() != 0) {
		cr_log_warn("not root: tmpfiles --create (which chowns) not tried");
	} else {
		char *argv_t[] = {tmpfiles, root_arg, "--create", conf_t, NULL};
		cr_assert_geq(run_capture(argv_t, &r), 0);
		cr_expect_eq(r.status, 0, "systemd-tmpfiles failed:\n%s", r.err);
		run_result_free(&r);
		snprintf(path, sizeof(path), "%s/var/lib/vitalsd", root);
		struct stat st;
		cr_assert_eq(stat(path, &st), 0, "tmpfiles did not create /var/lib/vitalsd");
		cr_expect(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750,
		          "/var/lib/vitalsd has mode %04o; expected 0750", st.st_mode & 07777);
	}
	free(passwd);
	free(group);
	free(conf_u);
	free(conf_t);
	free(sysusers);
	free(tmpfiles);
	s_rm_rf(root);
}

/* ---- make install ------------------------------------------------------------------- */

/* `make install` (or uninstall) into `destdir` with the test's build directory. */
static void
s_make(const char *target, const char *destdir, const char *prefix)
{
	char *make = s_need("make", "make");
	char *build = s_abs(run_build_path(""));
	char a_dest[PATH_MAX + 16], a_prefix[PATH_MAX + 16], a_build[PATH_MAX + 16];
	snprintf(a_dest, sizeof(a_dest), "DESTDIR=%s", destdir);
	snprintf(a_prefix, sizeof(a_prefix), "PREFIX=%s", prefix);
	snprintf(a_build, sizeof(a_build), "BUILD=%s", build);
	/* A make started from `make check` must not reach for its jobserver. */
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	char *argv[] = {make, "--no-print-directory", (char *)target, a_dest, a_prefix, a_build, NULL};
	struct run_result r;
	cr_assert_geq(run_capture(argv, &r), 0);
	cr_assert_eq(r.status, 0, "make %s failed:\n%s%s", target, r.out, r.err);
	run_result_free(&r);
	free(build);
	free(make);
}

/* The programs the Makefile builds: vitalsd and every tools/vitals*.c. */
static size_t
s_programs(char names[][64], size_t max)
{
	size_t n = 0;
	snprintf(names[n++], 64, "vitalsd");
	glob_t g;
	if (glob(run_root_path("tools/vitals*.c"), 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && n < max; i++) {
			const char *base = strrchr(g.gl_pathv[i], '/') + 1;
			snprintf(names[n++], 64, "%.*s", (int)(strlen(base) - 2), base);
		}
		globfree(&g);
	}
	return n;
}

Test(systemd, make_install_lays_out_the_tree, .timeout = 300)
{
	char *dest = s_tmpdir();
	s_make("install", dest, "/usr");
	char path[PATH_MAX];

	char names[32][64];
	size_t n = s_programs(names, 32);
	cr_expect_geq(n, 1);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/usr/bin/%s", dest, names[i]);
		cr_expect(s_is_file(path, true), "%s is missing or not executable", path);
	}
	static const char *const files[] = {
	    "usr/lib/systemd/system/vitalsd.service",
	    "usr/lib/sysusers.d/vitalsd.conf",
	    "usr/lib/tmpfiles.d/vitalsd.conf",
	    "usr/lib/udev/rules.d/99-vitalsd-monitors.rules",
	    "usr/share/man/man8/vitalsd.8",
	    "usr/share/man/man5/vitalsd.yaml.5",
	    "usr/share/man/man1/vitals-console.1",
	    "usr/share/man/man1/vitals-emulate.1",
	    "usr/share/man/man1/vitalsctl.1",
	    "etc/vitalsd/vitalsd.yaml",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dest, files[i]);
		cr_expect(s_is_file(path, false), "%s is missing", path);
	}
	/* Every program has its man page installed. */
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/usr/share/man/man%d/%s.%d", dest,
		         strcmp(names[i], "vitalsd") == 0 ? 8 : 1, names[i],
		         strcmp(names[i], "vitalsd") == 0 ? 8 : 1);
		cr_expect(s_is_file(path, false), "no man page for %s: %s", names[i], path);
	}
	snprintf(path, sizeof(path), "%s/usr/lib/systemd/system/vitalsd.service", dest);
	char *unit = run_slurp(path, NULL);
	cr_expect(unit && strstr(unit, "\n" UNIT_EXEC_START "\n"), "installed unit: wrong ExecStart");
	free(unit);

	/* The sample configuration is valid as installed. */
	snprintf(path, sizeof(path), "%s/etc/vitalsd/vitalsd.yaml", dest);
	char bin[PATH_MAX];
	snprintf(bin, sizeof(bin), "%s/usr/bin/vitalsd", dest);
	char *argv[] = {bin, "-c", path, "-n", NULL};
	struct run_result r;
	cr_assert_geq(run_capture(argv, &r), 0);
	cr_expect_eq(r.status, 0, "the installed vitalsd.yaml does not check:\n%s", r.err);
	run_result_free(&r);

	/* A second install keeps the administrator's configuration. */
	s_write(path, "# edited by the clinic\npublish: tcp://127.0.0.1:5556\n");
	s_make("install", dest, "/usr");
	char *kept = run_slurp(path, NULL);
	cr_expect(kept && strncmp(kept, "# edited by the clinic", 22) == 0,
	          "make install overwrote an existing vitalsd.yaml");
	free(kept);
	snprintf(path, sizeof(path), "%s/etc/vitalsd/vitalsd.yaml.dist", dest);
	cr_expect(s_is_file(path, false), "the new sample should be vitalsd.yaml.dist");

	/* Uninstall takes away what install put there, and only that. */
	s_make("uninstall", dest, "/usr");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) - 1; i++) {
		snprintf(path, sizeof(path), "%s/%s", dest, files[i]);
		cr_expect(!s_is_file(path, false), "uninstall left %s", path);
	}
	snprintf(path, sizeof(path), "%s/usr/bin/vitalsd", dest);
	cr_expect(!s_is_file(path, false), "uninstall left %s", path);
	snprintf(path, sizeof(path), "%s/etc/vitalsd/vitalsd.yaml", dest);
	cr_expect(s_is_file(path, false), "uninstall removed the clinic's configuration");
	s_rm_rf(dest);
}

Test(systemd, make_install_honours_prefix, .timeout = 300)
{
	char *dest = s_tmpdir();
	s_make("install", dest, "/usr/local");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/usr/local/bin/vitalsd", dest);
	cr_expect(s_is_file(path, true), "%s is missing", path);
	snprintf(path, sizeof(path), "%s/usr/local/lib/systemd/system/vitalsd.service", dest);
	char *unit = run_slurp(path, NULL);
	cr_assert_not_null(unit, "%s is missing", path);
	cr_expect_not_null(strstr(unit, "\nExecStart=/usr/local/bin/vitalsd -c /etc/vitalsd/vitalsd.yaml\n"),
	                   "ExecStart does not follow PREFIX");
	free(unit);
	snprintf(path, sizeof(path), "%s/etc/vitalsd/vitalsd.yaml", dest);
	cr_expect(s_is_file(path, false), "the configuration goes to /etc whatever the PREFIX");
	s_rm_rf(dest);
}

/* ---- man pages ------------------------------------------------------------------------ */

Test(systemd, man_pages_render_without_warnings, .timeout = 120)
{
	char *groff = s_need("groff", "groff-base");
	glob_t g;
	cr_assert_eq(glob(run_root_path("man/*.[1-8]"), 0, NULL, &g), 0, "no man pages in man/");
	cr_expect_geq(g.gl_pathc, 5);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *argv[] = {groff, "-man", "-ww", "-z", "-t", g.gl_pathv[i], NULL};
		struct run_result r;
		cr_assert_geq(run_capture(argv, &r), 0);
		cr_expect(r.status == 0 && r.err_len == 0, "groff -man -ww on %s:\n%s", g.gl_pathv[i],
		          r.err);
		run_result_free(&r);
		/* mandoc is stricter where it is installed. */
		const char *mandoc = s_which("mandoc");
		if (mandoc != NULL) {
			char *mandoc_copy = strdup(mandoc);
			char *argv_m[] = {mandoc_copy, "-T", "lint", "-W", "warning", g.gl_pathv[i], NULL};
			cr_assert_geq(run_capture(argv_m, &r), 0);
			cr_expect(r.status == 0, "mandoc -T lint on %s:\n%s%s", g.gl_pathv[i], r.out, r.err);
			run_result_free(&r);
			free(mandoc_copy);
		}
	}
	globfree(&g);
	free(groff);
}
