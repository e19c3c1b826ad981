/*
 * vitalsd as systemd runs it and as an administrator installs it: the
 * unit file passes `systemd-analyze verify`, its sandbox scores an
 * exposure of at most 2.0, the daemon speaks the sd_notify protocol for
 * real (READY=1 only once the PUB socket is bound, STATUS=, WATCHDOG=1
 * from the loop, STOPPING=1 and exit 0 on SIGTERM), it survives the unit's
 * own system call filter with real data flowing, the sysusers and tmpfiles
 * files apply (the daemon's and the web station's), `make install` lays out
 * the whole tree with every unit, and the man pages
 * render without a warning. Nothing needs hardware or the network: sockets
 * bind 127.0.0.1, files go to temporary directories.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/config/config.h"
#include "vitals/live.h"

extern char **environ;

/* The ExecStart line of the shipped unit; `make install` rewrites /usr/sbin. */
#define UNIT_EXEC_START "ExecStart=/usr/sbin/vitalsd -c /etc/vitalsd/vitalsd.yaml $VITALSD_OPTS"
/* Its check before starting, the same binary with -n. */
#define UNIT_EXEC_PRE "ExecStartPre=/usr/sbin/vitalsd -c /etc/vitalsd/vitalsd.yaml -n"

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
	char d[64];
	cr_assert_eq(vt_rig_tmpdir(d, sizeof(d), "systemd"), 0, "mkdtemp: %s", strerror(errno));
	return strdup(d);
}

static void
s_rm_rf(char *dir)
{
	vt_rig_rmtree(dir);
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

/* The shipped unit with ExecStart pointing at `exec_start` (a whole command
 * line), and ExecStartPre at the same with -n. */
static char *
s_unit_with_exec(const char *exec_start)
{
	char *unit = vt_rig_slurp(vt_rig_root("systemd/vitalsd.service"), NULL);
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
	char *pre = strstr(out, "\n" UNIT_EXEC_PRE "\n");
	cr_assert_not_null(pre, "the unit must say exactly \"%s\"", UNIT_EXEC_PRE);
	pre++;
	rest = pre + strlen(UNIT_EXEC_PRE);
	len = (size_t)(pre - out) + strlen("ExecStartPre=") + strlen(exec_start) + 4 + strlen(rest) + 1;
	char *both = malloc(len);
	snprintf(both, len, "%.*sExecStartPre=%s -n%s", (int)(pre - out), out, exec_start, rest);
	free(out);
	return both;
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

Test(systemd, unit_verifies_clean)
{
	char *analyze = s_need("systemd-analyze", "systemd");
	char *vitalsd = s_abs(vt_rig_build("vitalsd"));
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
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0, "cannot run %s", analyze);
	cr_log_info("systemd-analyze verify:\n%s%s", r.out, r.err);
	cr_expect(!s_mentions(r.err, "vitalsd") && !s_mentions(r.out, "vitalsd"),
	          "systemd-analyze verify has something to say about the unit (see above)");
	cr_expect_eq(r.status, 0, "systemd-analyze verify exited %d:\n%s", r.status, r.err);
	vt_rig_output_free(&r);
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
	    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK", "UMask=0027",
	    "LimitNOFILE=16384",
	};
	char *unit = vt_rig_slurp(vt_rig_root("systemd/vitalsd.service"), NULL);
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
		cr_expect(s_is_file(vt_rig_root(path), false), "the unit names man:%s(%s); %s is missing",
		          name, section, path);
	}
	free(unit);
}

/* The descriptors `text` (a configuration) can take at once, as the daemon counts them. */
static long
s_descriptors(const char *name, const char *text)
{
	struct vt_diag diag = {0};
	struct vt_config *cfg = text ? vt_config_parse(name, text, strlen(text), &diag)
	                             : vt_config_load(vt_rig_root(name), &diag);
	char first[512] = "";
	if (diag.count > 0)
		vt_diag_format(&diag.entries[0], first, sizeof(first));
	cr_assert(cfg != NULL && diag.count == 0, "%s: %s", name, first);
	long need = vt_live_descriptors_needed(cfg);
	vt_config_free(&cfg);
	vt_diag_clear(&diag);
	return need;
}

/*
 * LimitNOFILE is well above what the connection limits can take: eight
 * times the shipped configuration's (one publish and one control endpoint
 * at the default limits), four times that of a large installation (four
 * of each, 64 monitors), so a flood held at the limits leaves the monitors
 * their descriptors (docs/reliability.md has the arithmetic).
 */
Test(systemd, descriptor_limit_far_above_the_connection_limits)
{
	char *unit = vt_rig_slurp(vt_rig_root("systemd/vitalsd.service"), NULL);
	cr_assert_not_null(unit);
	const char *at = strstr(unit, "\nLimitNOFILE=");
	cr_assert_not_null(at, "the unit sets no LimitNOFILE");
	long nofile = atol(at + strlen("\nLimitNOFILE="));
	free(unit);

	long shipped = s_descriptors("config/vitalsd.yaml", NULL);
	char large[16384];
	size_t used = (size_t)snprintf(large, sizeof(large), "publish: [");
	for (int i = 0; i < 4; i++)
		used += (size_t)snprintf(large + used, sizeof(large) - used, "%stcp://127.0.0.1:%d",
		                         i ? ", " : "", 5556 + 2 * i);
	used += (size_t)snprintf(large + used, sizeof(large) - used, "]\ncontrol: [");
	for (int i = 0; i < 4; i++)
		used += (size_t)snprintf(large + used, sizeof(large) - used, "%stcp://127.0.0.1:%d",
		                         i ? ", " : "", 5557 + 2 * i);
	used += (size_t)snprintf(large + used, sizeof(large) - used, "]\nmonitors:\n");
	for (int i = 0; i < 64; i++)
		used += (size_t)snprintf(large + used, sizeof(large) - used,
		                         "  - {bed: c-%d, port: /dev/ttyUSB%d, protocol: masimo-ascii}\n",
		                         i + 1, i);
	snprintf(large + used, sizeof(large) - used, "rules: []\n");
	long big = s_descriptors("large.yaml", large);
	cr_log_info("LimitNOFILE=%ld; the shipped configuration can take %ld descriptors, a large "
	            "one %ld", nofile, shipped, big);
	cr_expect_geq(nofile, 8 * shipped, "LimitNOFILE=%ld for %ld", nofile, shipped);
	cr_expect_geq(nofile, 4 * big, "LimitNOFILE=%ld for %ld", nofile, big);
}

Test(systemd, sandbox_exposure_at_most_2)
{
	char *analyze = s_need("systemd-analyze", "systemd");
	char *unit = s_abs(vt_rig_root("systemd/vitalsd.service"));
	char *argv[] = {analyze, "security", "--offline=yes", unit, NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0, "cannot run %s", analyze);
	static const char key[] = "Overall exposure level for vitalsd.service:";
	const char *at = strstr(r.out, key);
	cr_assert_not_null(at, "no \"%s\" in:\n%s%s", key, r.out, r.err);
	char *end;
	double exposure = strtod(at + strlen(key), &end);
	cr_assert(end != at + strlen(key), "no number after \"%s\"", key);
	cr_log_info("systemd-analyze security --offline=yes: exposure %.1f", exposure);
	cr_expect_leq(exposure, 2.0, "exposure %.1f is above 2.0:\n%s", exposure, r.out);
	vt_rig_output_free(&r);
	free(unit);
	free(analyze);
}

/* ---- the other programs' units ------------------------------------------------- */

/* `text` with every `from` replaced by `to` (malloc'd). */
static char *
s_replace_all(const char *text, const char *from, const char *to)
{
	size_t n = 0, fl = strlen(from), tl = strlen(to);
	for (const char *p = strstr(text, from); p != NULL; p = strstr(p + fl, from))
		n++;
	char *out = malloc(strlen(text) + n * tl + 1), *o = out;
	cr_assert_not_null(out);
	const char *p = text, *q;
	while ((q = strstr(p, from)) != NULL) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tl);
		o += tl;
		p = q + fl;
	}
	strcpy(o, p);
	return out;
}

/*
 * systemd/NAME.service in the same sandbox as the daemon's: it says
 * exactly `exec_start`, runs as `user` with Type=notify, names a man page
 * that is shipped, verifies (with /usr/bin/NAME pointed at this build) and
 * scores an exposure of at most 2.0.
 */
static void
s_program_unit(const char *name, const char *exec_start, const char *user, const char *man)
{
	char *analyze = s_need("systemd-analyze", "systemd");
	char *built = s_abs(vt_rig_build(name));
	char rel[128], installed[128], want[160];
	snprintf(rel, sizeof(rel), "systemd/%s.service", name);
	char *unit = vt_rig_slurp(vt_rig_root(rel), NULL);
	cr_assert_not_null(unit, "%s cannot be read", rel);
	cr_assert_not_null(strstr(unit, exec_start), "the unit must say exactly \"%s\"", exec_start);
	snprintf(want, sizeof(want), "\nUser=%s\n", user);
	cr_expect_not_null(strstr(unit, want), "%s: no %s", rel, want + 1);
	cr_expect_not_null(strstr(unit, "\nType=notify\n"));
	cr_expect(s_is_file(vt_rig_root(man), false), "%s is not shipped", man);
	snprintf(installed, sizeof(installed), "/usr/bin/%s", name);
	char *text = s_replace_all(unit, installed, built);
	char *dir = s_tmpdir();
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s.service", dir, name);
	s_write(path, text);
	char *verify[] = {analyze, "verify", "--man=no", path, NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(verify, &r), 0);
	cr_expect(!s_mentions(r.err, name) && !s_mentions(r.out, name),
	          "systemd-analyze verify has something to say about %s (see above)", rel);
	vt_rig_output_free(&r);

	char *security[] = {analyze, "security", "--offline=yes", path, NULL};
	cr_assert_geq(vt_rig_run(security, &r), 0);
	char key[128];
	snprintf(key, sizeof(key), "Overall exposure level for %s.service:", name);
	const char *lvl = strstr(r.out, key);
	cr_assert_not_null(lvl, "no \"%s\" in:\n%s%s", key, r.out, r.err);
	double exposure = strtod(lvl + strlen(key), NULL);
	cr_log_info("%s.service: exposure %.1f", name, exposure);
	cr_expect_leq(exposure, 2.0, "exposure %.1f is above 2.0:\n%s", exposure, r.out);
	vt_rig_output_free(&r);
	free(text);
	free(unit);
	free(built);
	free(analyze);
	s_rm_rf(dir);
}

Test(systemd, web_unit_verifies_and_is_sandboxed)
{
	s_program_unit("vitals-web",
	               "\nExecStart=/usr/bin/vitals-web --users /etc/vitalsd/web-users $VITALS_WEB_OPTS\n",
	               "vitals-web", "man/vitals-web.1");
}

/* The hub's unit, and the check of its file before it starts. */
Test(systemd, hub_unit_verifies_and_is_sandboxed)
{
	s_program_unit("vitals-hub",
	               "\nExecStartPre=/usr/bin/vitals-hub -c /etc/vitalsd/vitals-hub.yaml -n\n"
	               "ExecStart=/usr/bin/vitals-hub -c /etc/vitalsd/vitals-hub.yaml $VITALS_HUB_OPTS\n",
	               "vitalsd", "man/vitals-hub.1");
}

/* The HL7 bridge's unit, and the check of its file before it starts. */
Test(systemd, hl7_unit_verifies_and_is_sandboxed)
{
	s_program_unit("vitals-hl7",
	               "\nExecStartPre=/usr/bin/vitals-hl7 -c /etc/vitalsd/vitals-hl7.yaml -n\n"
	               "ExecStart=/usr/bin/vitals-hl7 -c /etc/vitalsd/vitals-hl7.yaml $VITALS_HL7_OPTS\n",
	               "vitalsd", "man/vitals-hl7.1");
}

/* ---- the sd_notify protocol, for real ------------------------------------------ */

struct notify_seen {
	int64_t ready_at;    /* ms, or -1 */
	int watchdogs;       /* WATCHDOG=1 received after READY=1 */
	bool status;         /* a STATUS= line */
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
		int64_t left = deadline - vt_rig_now_ms();
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
				s->ready_at = vt_rig_now_ms();
				s->bound_at_ready = s_can_connect(port);
			} else if (strcmp(line, "WATCHDOG=1") == 0 && s->ready_at >= 0) {
				s->watchdogs++;
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
		bool overridden = false;
		for (size_t j = 0; j < k; j++) {
			size_t name = strcspn(extra[j], "=") + 1;
			overridden = overridden || strncmp(environ[i], extra[j], name) == 0;
		}
		if (overridden || strncmp(environ[i], "NOTIFY_SOCKET=", 14) == 0 ||
		    strncmp(environ[i], "WATCHDOG_", 9) == 0 || strncmp(environ[i], "LISTEN_", 7) == 0)
			continue;
		env[o++] = environ[i];
	}
	for (size_t i = 0; i < k; i++)
		env[o++] = extra[i];
	return env;
}

/* Called in the child between fork and exec (the sandbox); 0 or -1. */
typedef int (*s_child_fn)(void *arg);

/*
 * One supervised run, as systemd does it: a notify socket in `dir`,
 * WATCHDOG_USEC=200000 (WATCHDOG_PID unset: sd_watchdog_enabled ignores a
 * watchdog meant for another pid), the daemon's output in DIR/stderr.
 * Waits for READY=1, STATUS= and two pings, watches one more second,
 * runs `midway` if given, then SIGTERM. Everything it saw is checked.
 */
struct run_plan {
	const char *dir;
	const char *config;     /* path */
	int port;               /* the PUB port, to check READY=1 comes after the bind */
	s_child_fn in_child;    /* NULL: plain exec */
	void *child_arg;
	const char *env;        /* one more NAME=VALUE, or NULL */
	void (*midway)(pid_t pid, void *arg);
	void *midway_arg;
};

static void
s_supervise(const struct run_plan *plan)
{
	char *vitalsd = s_abs(vt_rig_build("vitalsd"));
	char sock_path[PATH_MAX], log_path[PATH_MAX];
	snprintf(sock_path, sizeof(sock_path), "%s/notify", plan->dir);
	snprintf(log_path, sizeof(log_path), "%s/stderr", plan->dir);

	int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cr_assert_lt(strlen(sock_path), sizeof(sa.sun_path));
	strcpy(sa.sun_path, sock_path);
	cr_assert_eq(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s: %s", sock_path,
	             strerror(errno));

	char notify_env[PATH_MAX + 16];
	snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=%s", sock_path);
	char *extra[] = {notify_env, "WATCHDOG_USEC=200000", (char *)plan->env, NULL};
	char **env = s_env(extra);
	char *argv[] = {vitalsd, "-c", (char *)plan->config, NULL};
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(log_fd, 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
			_exit(126);
		if (plan->in_child != NULL && plan->in_child(plan->child_arg) != 0)
			_exit(125);
		execve(vitalsd, argv, env);
		_exit(127);
	}
	/* A test killed from outside must not leave a daemon behind. */
	vt_rig_guard_pid(pid);
	close(log_fd);

	struct notify_seen s = {.ready_at = -1};
	bool up = s_collect(sock, &s, plan->port, vt_rig_now_ms() + 10000, s_running);
	/* Then watch one more second: about ten pings, not a spinning loop. */
	int before = s.watchdogs;
	if (up)
		s_collect(sock, &s, plan->port, vt_rig_now_ms() + 1000, s_never);
	int in_second = s.watchdogs - before;
	if (up && plan->midway != NULL)
		plan->midway(pid, plan->midway_arg);
	kill(pid, SIGTERM);
	bool stopped = s_collect(sock, &s, plan->port, vt_rig_now_ms() + 10000, s_stopping);
	int status = vt_rig_wait(pid, 10000);
	if (status < 0)
		vt_rig_stop(pid, SIGKILL, 10000);
	char *log = vt_rig_slurp(log_path, NULL);
	cr_log_info("vitalsd said:\n%s", log ? log : "(nothing)");

	cr_expect_neq(status, 125, "the sandbox could not be set up");
	cr_expect_geq(s.ready_at, 0, "no READY=1 within 10 s");
	cr_expect(s.bound_at_ready, "READY=1 came before the PUB socket accepted connections");
	cr_expect(s.status, "no STATUS= line");
	cr_expect_geq(s.watchdogs, 2, "%d WATCHDOG=1 after READY=1 within 10 s; expected at least 2",
	              s.watchdogs);
	cr_expect(!up || (in_second >= 3 && in_second <= 40),
	          "%d WATCHDOG=1 in one second with WATCHDOG_USEC=200000; expected about 10",
	          in_second);
	cr_expect(stopped, "no STOPPING=1 within 10 s of SIGTERM");
	cr_expect_eq(status, 0, "vitalsd exited with %d after SIGTERM (-1: still running, 134: "
	             "aborted)", status);
	cr_log_info("last status line: %s", s.status_text);
	free(log);
	free(env);
	close(sock);
	free(vitalsd);
}

Test(systemd, notify_ready_status_watchdog_stopping)
{
	char *dir = s_tmpdir();
	char cfg[PATH_MAX];
	snprintf(cfg, sizeof(cfg), "%s/vitalsd.yaml", dir);
	int port = vt_rig_free_port();
	char text[256];
	snprintf(text, sizeof(text), "publish: tcp://127.0.0.1:%d\nheartbeat: 1s\nmonitors: []\n"
	         "rules: []\n", port);
	s_write(cfg, text);
	struct run_plan plan = {.dir = dir, .config = cfg, .port = port};
	s_supervise(&plan);
	s_rm_rf(dir);
}

/* ---- the unit's system call filter, applied for real ------------------------------ */

/*
 * The unit's SystemCallFilter=, RestrictAddressFamilies=,
 * MemoryDenyWriteExecute= and RestrictRealtime= are seccomp filters. The
 * daemon's libraries make calls the code never shows (libzmq lists the
 * network interfaces over netlink and sets each thread's scheduling policy,
 * aborting when either fails), so the only proof that the daemon lives in
 * its sandbox is to run it there. Without systemd as PID 1 the test builds
 * the same filter with libseccomp, from the unit's own lines and
 * `systemd-analyze syscall-filter`, and runs the daemon under it with real
 * data: an emulated monitor on a pty, a recording, a device server that
 * refuses, an ipc:// endpoint, a reload.
 */
#if __has_include(<seccomp.h>)
#include <dlfcn.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#define S_HAVE_SECCOMP 1

struct s_names {
	char **v;
	size_t n, cap;
};

static bool
s_names_has(const struct s_names *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->v[i], name) == 0)
			return true;
	return false;
}

static void
s_names_add(struct s_names *set, const char *name)
{
	if (s_names_has(set, name))
		return;
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 256;
		set->v = realloc(set->v, set->cap * sizeof(*set->v));
	}
	set->v[set->n++] = strdup(name);
}

static void
s_names_remove(struct s_names *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->v[i], name) == 0) {
			free(set->v[i]);
			set->v[i] = set->v[--set->n];
			return;
		}
	}
}

static void
s_names_free(struct s_names *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->v[i]);
	free(set->v);
}

/* The system calls of `token` (a name or an @group, nested groups expanded). */
static void
s_expand(const char *analyze, const char *token, struct s_names *out)
{
	if (token[0] != '@') {
		s_names_add(out, token);
		return;
	}
	char *argv[] = {(char *)analyze, "syscall-filter", "--no-pager", (char *)token, NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0);
	cr_assert_eq(r.status, 0, "systemd-analyze syscall-filter %s:\n%s", token, r.err);
	for (char *save = NULL, *line = strtok_r(r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != ' ')
			continue; /* the group's own name */
		line += strspn(line, " ");
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (line[0] == '@')
			s_expand(analyze, line, out);
		else
			s_names_add(out, line);
	}
	vt_rig_output_free(&r);
}

/* What the child needs to build the filter after fork. */
struct s_sandbox {
	struct s_names allow;   /* system calls, besides the conditional ones */
	int families[16];       /* RestrictAddressFamilies= */
	size_t n_families;
	int deny_errno;         /* SystemCallErrorNumber= */
	void *lib;              /* libseccomp, opened before fork */
};

/* The unit's sandbox lines, in the order systemd merges them. */
static void
s_sandbox_from_unit(struct s_sandbox *sb, const char *analyze)
{
	char *unit = vt_rig_slurp(vt_rig_root("systemd/vitalsd.service"), NULL);
	cr_assert_not_null(unit);
	bool first = true;
	sb->deny_errno = EPERM;
	for (char *save = NULL, *line = strtok_r(unit, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "SystemCallFilter=", 17) == 0) {
			char *v = line + 17;
			bool deny = v[0] == '~';
			cr_assert(!(first && deny), "the test expects an allow list first");
			first = false;
			v += deny;
			for (char *s2 = NULL, *tok = strtok_r(v, " ", &s2); tok;
			     tok = strtok_r(NULL, " ", &s2)) {
				struct s_names g = {0};
				s_expand(analyze, tok, &g);
				for (size_t i = 0; i < g.n; i++) {
					if (deny)
						s_names_remove(&sb->allow, g.v[i]);
					else
						s_names_add(&sb->allow, g.v[i]);
				}
				s_names_free(&g);
			}
		} else if (strncmp(line, "RestrictAddressFamilies=", 24) == 0) {
			static const struct {
				const char *name;
				int af;
			} afs[] = {{"AF_UNIX", AF_UNIX}, {"AF_INET", AF_INET}, {"AF_INET6", AF_INET6},
			           {"AF_NETLINK", AF_NETLINK}, {"AF_PACKET", AF_PACKET}};
			for (char *s2 = NULL, *tok = strtok_r(line + 24, " ", &s2); tok;
			     tok = strtok_r(NULL, " ", &s2)) {
				bool known = false;
				for (size_t i = 0; i < sizeof(afs) / sizeof(afs[0]); i++) {
					if (strcmp(tok, afs[i].name) == 0 && sb->n_families < 16) {
						sb->families[sb->n_families++] = afs[i].af;
						known = true;
					}
				}
				cr_assert(known, "the test does not know address family %s", tok);
			}
		} else if (strcmp(line, "SystemCallErrorNumber=EPERM") != 0 &&
		           strncmp(line, "SystemCallErrorNumber=", 22) == 0) {
			cr_assert_fail("the test only models SystemCallErrorNumber=EPERM");
		}
	}
	cr_assert_gt(sb->allow.n, 100, "no SystemCallFilter= allow list in the unit");
	cr_assert_gt(sb->n_families, 0, "no RestrictAddressFamilies= in the unit");
	/* systemd always lets these through for the exec itself. */
	static const char *const implicit[] = {"execve", "exit", "exit_group", "getrlimit",
	                                       "rt_sigreturn", "sigreturn"};
	for (size_t i = 0; i < sizeof(implicit) / sizeof(implicit[0]); i++)
		s_names_add(&sb->allow, implicit[i]);
	free(unit);
}

/*
 * In the child: the filter. Unlisted calls fail with EPERM; socket() only
 * for the allowed families (others EAFNOSUPPORT, as systemd answers);
 * MemoryDenyWriteExecute= on mmap/mprotect; RestrictRealtime= on
 * sched_setscheduler.
 */
static int
s_sandbox_load(void *arg)
{
	const struct s_sandbox *sb = arg;
#define S_SYM(name) __typeof__(&name) p_##name = (__typeof__(&name))dlsym(sb->lib, #name)
	S_SYM(seccomp_init);
	S_SYM(seccomp_rule_add);
	S_SYM(seccomp_syscall_resolve_name);
	S_SYM(seccomp_load);
#undef S_SYM
	if (!p_seccomp_init || !p_seccomp_rule_add || !p_seccomp_syscall_resolve_name ||
	    !p_seccomp_load)
		return -1;
	scmp_filter_ctx ctx = p_seccomp_init(SCMP_ACT_ERRNO((uint32_t)sb->deny_errno));
	if (ctx == NULL)
		return -1;
	static const char *const special[] = {"socket", "mmap", "mprotect", "pkey_mprotect",
	                                      "sched_setscheduler", "sched_setattr"};
	for (size_t i = 0; i < sb->allow.n; i++) {
		bool is_special = false;
		for (size_t j = 0; j < sizeof(special) / sizeof(special[0]); j++)
			is_special = is_special || strcmp(sb->allow.v[i], special[j]) == 0;
		int nr = p_seccomp_syscall_resolve_name(sb->allow.v[i]);
		if (is_special || nr == __NR_SCMP_ERROR || nr < 0)
			continue; /* not on this architecture */
		if (p_seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0)
			return -1;
	}
	int nr_socket = p_seccomp_syscall_resolve_name("socket");
	for (int af = 0; af < AF_MAX; af++) {
		bool ok = false;
		for (size_t i = 0; i < sb->n_families; i++)
			ok = ok || sb->families[i] == af;
		if (p_seccomp_rule_add(ctx, ok ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EAFNOSUPPORT), nr_socket,
		                       1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)af)) != 0)
			return -1;
	}
	const scmp_datum_t wx = PROT_WRITE | PROT_EXEC;
	int nr_mmap = p_seccomp_syscall_resolve_name("mmap");
	if (s_names_has(&sb->allow, "mmap")) {
		const scmp_datum_t fine[] = {0, PROT_WRITE, PROT_EXEC};
		for (size_t i = 0; i < 3; i++)
			if (p_seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr_mmap, 1,
			                       SCMP_A2(SCMP_CMP_MASKED_EQ, wx, fine[i])) != 0)
				return -1;
	}
	int nr_mprotect = p_seccomp_syscall_resolve_name("mprotect");
	if (s_names_has(&sb->allow, "mprotect") &&
	    p_seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr_mprotect, 1,
	                       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0)
		return -1;
	int nr_setsched = p_seccomp_syscall_resolve_name("sched_setscheduler");
	if (s_names_has(&sb->allow, "sched_setscheduler")) {
		const scmp_datum_t fine[] = {SCHED_OTHER, SCHED_BATCH, SCHED_IDLE};
		for (size_t i = 0; i < 3; i++)
			if (p_seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr_setsched, 1,
			                       SCMP_A1(SCMP_CMP_EQ, fine[i])) != 0)
				return -1;
	}
	return p_seccomp_load(ctx) == 0 ? 0 : -1;
}

struct s_midway {
	const char *dir;
	bool reloaded_alive;    /* still running after SIGHUP */
};

static void
s_midway_reload(pid_t pid, void *arg)
{
	struct s_midway *m = arg;
	kill(pid, SIGHUP);
	usleep(500000);
	m->reloaded_alive = waitpid(pid, NULL, WNOHANG) == 0;
}
#endif

Test(systemd, daemon_lives_in_its_syscall_sandbox)
{
#ifndef S_HAVE_SECCOMP
	cr_skip_test("seccomp.h not found; install libseccomp-dev (scripts/deps.sh does)");
#else
	char *analyze = s_need("systemd-analyze", "systemd");
	struct s_sandbox sb = {0};
	sb.lib = dlopen("libseccomp.so.2", RTLD_NOW);
	if (sb.lib == NULL)
		cr_skip_test("libseccomp.so.2 cannot be loaded: %s", dlerror());
	s_sandbox_from_unit(&sb, analyze);
	cr_log_info("%zu system calls allowed", sb.allow.n);

	char *dir = s_tmpdir();
	char cfg[PATH_MAX], link[PATH_MAX], emu_log[PATH_MAX];
	snprintf(cfg, sizeof(cfg), "%s/vitalsd.yaml", dir);
	snprintf(link, sizeof(link), "%s/chair-1", dir);
	snprintf(emu_log, sizeof(emu_log), "%s/emulator", dir);

	/* An emulated oximeter on a pty, so that bytes flow, rules run and a recording is written. */
	char *recording = s_abs(vt_rig_root("scenarios/artefacts.yaml"));
	const char *eargs[] = {"--protocol", "masimo-ascii", "--pty", link, "--speed", "10",
	                       "--loop", "--scenario", recording, NULL};
	struct vt_rig_child emu;
	cr_assert_eq(vt_rig_emulate(&emu, emu_log, eargs, 10000), 0, "the emulator did not start");
	cr_assert_eq(access(link, F_OK), 0, "the emulator made no pty at %s", link);

	int port = vt_rig_free_port(), control = vt_rig_free_port(), refused = vt_rig_free_port();
	char text[5 * PATH_MAX];
	snprintf(text, sizeof(text),
	         "publish: [tcp://127.0.0.1:%d, ipc://%s/pub]\n"
	         "control: tcp://127.0.0.1:%d\n"
	         "record_dir: %s/rec\n"
	         "monitors:\n"
	         "  - bed: chair-1\n    port: %s\n    protocol: masimo-ascii\n"
	         "  - bed: chair-2\n    port: tcp://localhost:%d\n    protocol: nonin-df7\n"
	         "rules:\n"
	         "  - name: spo2-low\n    parameter: spo2\n    below: 99\n"
	         "  - name: pr-high\n    parameter: pr\n    above: 60\n    for: 1s\n",
	         port, dir, control, dir, link, refused);
	s_write(cfg, text);

	struct s_midway mid = {.dir = dir};
	struct run_plan plan = {.dir = dir, .config = cfg, .port = port,
	                        .in_child = s_sandbox_load, .child_arg = &sb,
	                        /* LeakSanitizer needs ptrace, which the filter refuses. */
	                        .env = "ASAN_OPTIONS=detect_leaks=0",
	                        .midway = s_midway_reload, .midway_arg = &mid};
	s_supervise(&plan);
	cr_expect(mid.reloaded_alive, "vitalsd died on SIGHUP in the sandbox");

	char log_path[PATH_MAX];
	snprintf(log_path, sizeof(log_path), "%s/stderr", dir);
	char *log = vt_rig_slurp(log_path, NULL);
	cr_expect(log && strstr(log, "chair-1: connected"), "chair-1 never connected in the sandbox");
	cr_expect(log && !strstr(log, "Operation not permitted"),
	          "a call was refused by the filter (see the log above)");
	free(log);
	glob_t g;
	char pattern[PATH_MAX];
	snprintf(pattern, sizeof(pattern), "%s/rec/chair-1/*", dir);
	cr_expect_eq(glob(pattern, 0, NULL, &g), 0, "no recording written in the sandbox");
	if (g.gl_pathc > 0)
		globfree(&g);

	vt_rig_child_stop(&emu, SIGTERM, 10000);
	free(recording);
	s_names_free(&sb.allow);
	dlclose(sb.lib);
	free(analyze);
	s_rm_rf(dir);
#endif
}

/* ---- the system user and the state directory -------------------------------------- */

Test(systemd, sysusers_and_tmpfiles_apply)
{
	char *sysusers = s_need("systemd-sysusers", "systemd");
	char *tmpfiles = s_need("systemd-tmpfiles", "systemd");
	char *conf_u = s_abs(vt_rig_root("systemd/vitalsd.sysusers"));
	char *conf_w = s_abs(vt_rig_root("systemd/vitals-web.sysusers"));
	char *conf_t = s_abs(vt_rig_root("systemd/vitalsd.tmpfiles"));
	char *root = s_tmpdir();
	char root_arg[PATH_MAX + 8], path[PATH_MAX];
	snprintf(root_arg, sizeof(root_arg), "--root=%s", root);
	snprintf(path, sizeof(path), "%s/etc", root);
	cr_assert_eq(mkdir(path, 0755), 0);

	char *argv_u[] = {sysusers, root_arg, conf_u, conf_w, NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv_u, &r), 0);
	cr_expect_eq(r.status, 0, "systemd-sysusers failed:\n%s", r.err);
	vt_rig_output_free(&r);
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	char *passwd = vt_rig_slurp(path, NULL);
	snprintf(path, sizeof(path), "%s/etc/group", root);
	char *group = vt_rig_slurp(path, NULL);
	cr_assert(passwd && group, "sysusers wrote no passwd/group");
	cr_expect(strncmp(passwd, "vitalsd:", 8) == 0 || strstr(passwd, "\nvitalsd:") != NULL,
	          "no vitalsd user:\n%s", passwd);
	cr_expect_not_null(strstr(passwd, ":/usr/sbin/nologin"), "vitalsd must not have a login shell");
	/* The web station's account: no login, and not in dialout (it reads no device). */
	const char *web = strncmp(passwd, "vitals-web:", 11) == 0 ? passwd : strstr(passwd, "\nvitals-web:");
	cr_expect(web != NULL, "no vitals-web user:\n%s", passwd);
	if (web != NULL) {
		char line[256];
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(web + (*web == '\n'), "\n"),
		         web + (*web == '\n'));
		size_t len = strlen(line);
		cr_expect(len > 18 && strcmp(line + len - 18, ":/usr/sbin/nologin") == 0,
		          "vitals-web must not have a login shell: %s", line);
	}
	cr_expect(strncmp(group, "vitals-web:", 11) == 0 || strstr(group, "\nvitals-web:") != NULL,
	          "no vitals-web group (the users file is root:vitals-web 0640):\n%s", group);
	const char *dialout = strstr(group, "dialout:");
	cr_expect(dialout != NULL && strstr(dialout, "vitalsd") != NULL &&
	              strstr(dialout, "vitalsd") < strchr(dialout, '\n'),
	          "vitalsd is not in dialout:\n%s", group);
	if (dialout != NULL) {
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(dialout, "\n"), dialout);
		cr_expect_null(strstr(line, "vitals-web"), "vitals-web is in dialout: %s", line);
	}

	if (geteuid() != 0) {
		cr_log_warn("not root: tmpfiles --create (which chowns) not tried");
	} else {
		char *argv_t[] = {tmpfiles, root_arg, "--create", conf_t, NULL};
		cr_assert_geq(vt_rig_run(argv_t, &r), 0);
		cr_expect_eq(r.status, 0, "systemd-tmpfiles failed:\n%s", r.err);
		vt_rig_output_free(&r);
		snprintf(path, sizeof(path), "%s/var/lib/vitalsd", root);
		struct stat st;
		cr_assert_eq(stat(path, &st), 0, "tmpfiles did not create /var/lib/vitalsd");
		cr_expect(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750,
		          "/var/lib/vitalsd has mode %04o; expected 0750", st.st_mode & 07777);
	}
	free(passwd);
	free(group);
	free(conf_u);
	free(conf_w);
	free(conf_t);
	free(sysusers);
	free(tmpfiles);
	s_rm_rf(root);
}

/* ---- make install ------------------------------------------------------------------- */

/* The programs the Makefile builds: vitalsd and every vitals*.c in the
 * program folders (the Makefile's PROG_SRC). */
static size_t
s_programs(char names[][64], size_t max)
{
	size_t n = 0;
	snprintf(names[n++], 64, "vitalsd");
	static const char *const folders[] = {"emulator", "console", "tools", "report",
	                                      "web",      "hub",     "hl7"};
	for (size_t f = 0; f < sizeof(folders) / sizeof(folders[0]); f++) {
		char pattern[64];
		snprintf(pattern, sizeof(pattern), "%s/vitals*.c", folders[f]);
		glob_t g;
		if (glob(vt_rig_root(pattern), 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc && n < max; i++) {
			const char *base = strrchr(g.gl_pathv[i], '/') + 1;
			snprintf(names[n++], 64, "%.*s", (int)(strlen(base) - 2), base);
		}
		globfree(&g);
	}
	return n;
}

/* `make install` (or uninstall) into `destdir` with the test's build
 * directory; its exit status. */
static int
s_make_status(const char *target, const char *destdir, const char *prefix)
{
	char *make = s_need("make", "make");
	char *build = s_abs(vt_rig_build(""));
	char a_dest[PATH_MAX + 16], a_prefix[PATH_MAX + 16], a_build[PATH_MAX + 16];
	snprintf(a_dest, sizeof(a_dest), "DESTDIR=%s", destdir);
	snprintf(a_prefix, sizeof(a_prefix), "PREFIX=%s", prefix);
	snprintf(a_build, sizeof(a_build), "BUILD=%s", build);
	/* A make started from `make check` must not reach for its jobserver. */
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	/* Install what `make check` built; never rebuild it here with other flags. */
	char names[32][64], olds[32][PATH_MAX + 64];
	size_t n = s_programs(names, 32);
	char *argv[8 + 2 * 32];
	size_t a = 0;
	argv[a++] = make;
	argv[a++] = "--no-print-directory";
	for (size_t i = 0; i < n; i++) {
		snprintf(olds[i], sizeof(olds[i]), "%s/%s", build, names[i]);
		argv[a++] = "-o";
		argv[a++] = olds[i];
	}
	argv[a++] = (char *)target;
	argv[a++] = a_dest;
	argv[a++] = a_prefix;
	argv[a++] = a_build;
	argv[a] = NULL;
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0);
	int status = r.status;
	if (status != 0)
		cr_log_info("make %s:\n%s%s", target, r.out, r.err);
	vt_rig_output_free(&r);
	free(build);
	free(make);
	return status;
}

static void
s_make(const char *target, const char *destdir, const char *prefix)
{
	cr_assert_eq(s_make_status(target, destdir, prefix), 0, "make %s failed (see above)", target);
}

Test(systemd, make_install_lays_out_the_tree)
{
	char *dest = s_tmpdir();
	s_make("install", dest, "/usr");
	char path[PATH_MAX];

	char names[32][64];
	size_t n = s_programs(names, 32);
	cr_expect_geq(n, 1);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/usr/%s/%s", dest,
		         strcmp(names[i], "vitalsd") == 0 ? "sbin" : "bin", names[i]);
		cr_expect(s_is_file(path, true), "%s is missing or not executable", path);
	}
	static const char *const files[] = {
	    "usr/lib/systemd/system/vitalsd.service",
	    "usr/lib/systemd/system/vitals-hl7.service",
	    "usr/lib/systemd/system/vitals-hub.service",
	    "usr/lib/systemd/system/vitals-web.service",
	    "usr/lib/systemd/system/vitalsd-archive.service",
	    "usr/lib/systemd/system/vitalsd-archive.timer",
	    "usr/lib/sysusers.d/vitalsd.conf",
	    "usr/lib/sysusers.d/vitals-web.conf",
	    "usr/lib/tmpfiles.d/vitalsd.conf",
	    "usr/lib/udev/rules.d/99-vitalsd-monitors.rules",
	    "usr/share/man/man8/vitalsd.8",
	    "usr/share/man/man5/vitalsd.yaml.5",
	    "usr/share/man/man1/vitals-console.1",
	    "usr/share/man/man1/vitals-emulate.1",
	    "usr/share/man/man1/vitalsctl.1",
	    "etc/default/vitalsd",
	    "etc/default/vitals-web",
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
	char *unit = vt_rig_slurp(path, NULL);
	cr_expect(unit && strstr(unit, "\n" UNIT_EXEC_START "\n"), "installed unit: wrong ExecStart");
	cr_expect(unit && strstr(unit, "\n" UNIT_EXEC_PRE "\n"), "installed unit: wrong ExecStartPre");
	free(unit);
	/* The web station's unit and options as the shipped ones. */
	snprintf(path, sizeof(path), "%s/usr/lib/systemd/system/vitals-web.service", dest);
	unit = vt_rig_slurp(path, NULL);
	char *shipped = vt_rig_slurp(vt_rig_root("systemd/vitals-web.service"), NULL);
	cr_expect(unit && shipped && strcmp(unit, shipped) == 0,
	          "installed vitals-web.service differs from systemd/vitals-web.service");
	free(unit);
	free(shipped);
	snprintf(path, sizeof(path), "%s/etc/default/vitals-web", dest);
	unit = vt_rig_slurp(path, NULL);
	cr_expect(unit && strstr(unit, "\nVITALS_WEB_OPTS=\"--listen 127.0.0.1:8080\"\n"),
	          "installed /etc/default/vitals-web: %s", unit ? unit : "(none)");
	free(unit);

	/* The sample configuration is valid as installed. */
	snprintf(path, sizeof(path), "%s/etc/vitalsd/vitalsd.yaml", dest);
	char bin[PATH_MAX];
	snprintf(bin, sizeof(bin), "%s/usr/sbin/vitalsd", dest);
	char *argv[] = {bin, "-c", path, "-n", NULL};
	struct vt_rig_output r;
	cr_assert_geq(vt_rig_run(argv, &r), 0);
	cr_expect_eq(r.status, 0, "the installed vitalsd.yaml does not check:\n%s", r.err);
	vt_rig_output_free(&r);

	/* A second install keeps the administrator's configuration and options. */
	s_write(path, "# edited by the clinic\npublish: tcp://127.0.0.1:5556\n");
	char web_default[PATH_MAX];
	snprintf(web_default, sizeof(web_default), "%s/etc/default/vitals-web", dest);
	s_write(web_default, "VITALS_WEB_OPTS=\"--listen 127.0.0.1:9090\"\n");
	s_make("install", dest, "/usr");
	char *opts = vt_rig_slurp(web_default, NULL);
	cr_expect(opts && strcmp(opts, "VITALS_WEB_OPTS=\"--listen 127.0.0.1:9090\"\n") == 0,
	          "make install overwrote /etc/default/vitals-web");
	free(opts);
	char *kept = vt_rig_slurp(path, NULL);
	cr_expect(kept && strncmp(kept, "# edited by the clinic", 22) == 0,
	          "make install overwrote an existing vitalsd.yaml");
	free(kept);
	snprintf(path, sizeof(path), "%s/etc/vitalsd/vitalsd.yaml.dist", dest);
	cr_expect(s_is_file(path, false), "the new sample should be vitalsd.yaml.dist");

	/* A configuration the new build rejects: nothing is replaced. */
	snprintf(path, sizeof(path), "%s/etc/vitalsd/vitalsd.yaml", dest);
	s_write(path, "publish: tcp://127.0.0.1:5556\nheartbeat: sometimes\n");
	snprintf(bin, sizeof(bin), "%s/usr/sbin/vitalsd", dest);
	s_write(bin, "#!/bin/sh\n# the old build\n");
	cr_expect_neq(s_make_status("install", dest, "/usr"), 0, "make install went ahead");
	char *old = vt_rig_slurp(bin, NULL);
	cr_expect(old && strstr(old, "# the old build"), "make install replaced the binary");
	free(old);
	s_write(path, "publish: tcp://127.0.0.1:5556\n");
	/* Uninstall takes away what install put there, and only that. */
	s_make("uninstall", dest, "/usr");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strncmp(files[i], "etc/", 4) == 0)
			continue; /* the clinic's files */
		snprintf(path, sizeof(path), "%s/%s", dest, files[i]);
		cr_expect(!s_is_file(path, false), "uninstall left %s", path);
	}
	snprintf(path, sizeof(path), "%s/usr/sbin/vitalsd", dest);
	cr_expect(!s_is_file(path, false), "uninstall left %s", path);
	snprintf(path, sizeof(path), "%s/etc/vitalsd/vitalsd.yaml", dest);
	cr_expect(s_is_file(path, false), "uninstall removed the clinic's configuration");
	s_rm_rf(dest);
}

Test(systemd, make_install_honours_prefix)
{
	char *dest = s_tmpdir();
	s_make("install", dest, "/usr/local");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/usr/local/sbin/vitalsd", dest);
	cr_expect(s_is_file(path, true), "%s is missing", path);
	snprintf(path, sizeof(path), "%s/usr/local/lib/systemd/system/vitalsd.service", dest);
	char *unit = vt_rig_slurp(path, NULL);
	cr_assert_not_null(unit, "%s is missing", path);
	cr_expect_not_null(strstr(unit, "\nExecStart=/usr/local/sbin/vitalsd -c /etc/vitalsd/vitalsd.yaml "
	                                "$VITALSD_OPTS\n"), "ExecStart does not follow PREFIX");
	cr_expect_not_null(strstr(unit, "\nExecStartPre=/usr/local/sbin/vitalsd -c "
	                                "/etc/vitalsd/vitalsd.yaml -n\n"), "ExecStartPre does not follow PREFIX");
	free(unit);
	snprintf(path, sizeof(path), "%s/usr/local/lib/systemd/system/vitals-web.service", dest);
	unit = vt_rig_slurp(path, NULL);
	cr_assert_not_null(unit, "%s is missing", path);
	cr_expect_not_null(strstr(unit, "\nExecStart=/usr/local/bin/vitals-web --users "
	                                "/etc/vitalsd/web-users $VITALS_WEB_OPTS\n"),
	                   "vitals-web's ExecStart does not follow PREFIX");
	cr_expect_null(strstr(unit, "/usr/bin/"), "vitals-web.service still names /usr/bin");
	free(unit);
	snprintf(path, sizeof(path), "%s/usr/local/lib/sysusers.d/vitals-web.conf", dest);
	cr_expect(s_is_file(path, false), "%s is missing", path);
	snprintf(path, sizeof(path), "%s/etc/vitalsd/vitalsd.yaml", dest);
	cr_expect(s_is_file(path, false), "the configuration goes to /etc whatever the PREFIX");
	s_rm_rf(dest);
}

/* ---- man pages ------------------------------------------------------------------------ */

Test(systemd, man_pages_render_without_warnings)
{
	char *groff = s_need("groff", "groff-base");
	glob_t g;
	cr_assert_eq(glob(vt_rig_root("man/*.[1-8]"), 0, NULL, &g), 0, "no man pages in man/");
	cr_expect_geq(g.gl_pathc, 5);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *argv[] = {groff, "-man", "-ww", "-z", "-t", g.gl_pathv[i], NULL};
		struct vt_rig_output r;
		cr_assert_geq(vt_rig_run(argv, &r), 0);
		cr_expect(r.status == 0 && r.err_len == 0, "groff -man -ww on %s:\n%s", g.gl_pathv[i],
		          r.err);
		vt_rig_output_free(&r);
		/* mandoc is stricter where it is installed. */
		const char *mandoc = s_which("mandoc");
		if (mandoc != NULL) {
			char *mandoc_copy = strdup(mandoc);
			char *argv_m[] = {mandoc_copy, "-T", "lint", "-W", "warning", g.gl_pathv[i], NULL};
			cr_assert_geq(vt_rig_run(argv_m, &r), 0);
			cr_expect(r.status == 0, "mandoc -T lint on %s:\n%s%s", g.gl_pathv[i], r.out, r.err);
			vt_rig_output_free(&r);
			free(mandoc_copy);
		}
	}
	globfree(&g);
	free(groff);
}
