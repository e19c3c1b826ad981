/*
 * The rig behind the benchmarks and the fault tests (see rig.h): a real
 * vitalsd as a child process, monitors on pseudo-terminals, the kernel's
 * accounts of the process, and ZeroMQ clients on 127.0.0.1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "rig.h"

int64_t
vt_rig_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
vt_rig_now_ms(void)
{
	return vt_rig_now_ns() / 1000000;
}

void
vt_rig_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static const char *
s_path(const char *var, const char *fallback, const char *rel)
{
	static char bufs[8][4096];
	static int next;
	char *buf = bufs[next++ % 8];
	const char *base = getenv(var);
	snprintf(buf, sizeof(bufs[0]), "%s/%s", base && *base ? base : fallback, rel);
	return buf;
}

const char *
vt_rig_build(const char *rel)
{
	return s_path("VT_BUILD", "build", rel);
}

const char *
vt_rig_root(const char *rel)
{
	return s_path("VT_ROOT", ".", rel);
}

int
vt_rig_tmpdir(char *dir, size_t len, const char *tag)
{
	snprintf(dir, len, "/tmp/vt-%s-XXXXXX", tag);
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static void
s_rm(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		chmod(path, 0700); /* a test may have made it unwritable */
		DIR *d = opendir(path);
		if (d != NULL) {
			struct dirent *e;
			while ((e = readdir(d)) != NULL) {
				if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
					continue;
				char sub[4096];
				snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
				s_rm(sub);
			}
			closedir(d);
		}
		rmdir(path);
	} else {
		unlink(path);
	}
}

void
vt_rig_rmtree(const char *dir)
{
	if (dir == NULL || strncmp(dir, "/tmp/vt-", 8) != 0 || strstr(dir, "..") != NULL)
		return;
	s_rm(dir);
}

int
vt_rig_write_file(const char *dir, const char *name, const char *text, char *path, size_t len)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	if (path != NULL)
		snprintf(path, len, "%s", buf);
	/* Written beside and renamed: a reload never sees half a file. */
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", buf);
	FILE *fp = fopen(tmp, "w");
	if (fp == NULL)
		return -1;
	bool ok = fputs(text, fp) >= 0;
	ok = fclose(fp) == 0 && ok;
	return ok && rename(tmp, buf) == 0 ? 0 : -1;
}

/* Whether nothing on 127.0.0.1 holds `port` (0: let the kernel choose; the choice goes to *port). */
static bool
s_port_free(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	bool ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	          getsockname(fd, (struct sockaddr *)&a, &len) == 0;
	close(fd);
	if (ok)
		*port = ntohs(a.sin_port);
	return ok;
}

/*
 * A port the kernel hands out on bind(0) is in the ephemeral range, where
 * every connect() also takes its source port: between this check and the
 * daemon's bind, a test's own ZeroMQ connection could take it. Below the
 * range only other tests choose, and each process starts at its own place.
 */
int
vt_rig_free_port(void)
{
	enum { LOWEST = 10000 };
	static unsigned next;
	static int span; /* ports from LOWEST to the ephemeral range */
	static pid_t seeded_by; /* a forked child starts its own sequence */
	if (seeded_by != getpid()) {
		seeded_by = getpid();
		next = (unsigned)seeded_by * 2654435761u;
		int first_ephemeral = 32768;
		FILE *fp = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
		if (fp != NULL) {
			if (fscanf(fp, "%d", &first_ephemeral) != 1)
				first_ephemeral = 32768;
			fclose(fp);
		}
		span = first_ephemeral - LOWEST;
	}
	if (span >= 1000) {
		for (int tries = 0; tries < 100; tries++) {
			int port = LOWEST + (int)(next++ % (unsigned)span);
			if (s_port_free(&port))
				return port;
		}
	}
	int port = 0;
	return s_port_free(&port) ? port : -1;
}

/* ---- pseudo-terminals ------------------------------------------------------ */

static int
s_pty_new(struct vt_rig_pty *p)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -1;
	const char *name;
	if (grantpt(m) != 0 || unlockpt(m) != 0 || (name = ptsname(m)) == NULL) {
		close(m);
		return -1;
	}
	/* Raw from the start: no echo filling the master's buffer, no line editing. */
	struct termios t;
	if (tcgetattr(m, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(m, TCSANOW, &t);
	}
	snprintf(p->slave, sizeof(p->slave), "%s", name);
	p->master = m;
	return 0;
}

/* Point p->link at p->slave, replacing any old link in one rename. */
static int
s_relink(struct vt_rig_pty *p)
{
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.new", p->link);
	unlink(tmp);
	if (symlink(p->slave, tmp) != 0)
		return -1;
	return rename(tmp, p->link);
}

int
vt_rig_pty_open(struct vt_rig_pty *p, const char *link)
{
	memset(p, 0, sizeof(*p));
	p->master = -1;
	snprintf(p->link, sizeof(p->link), "%s", link);
	if (s_pty_new(p) != 0)
		return -1;
	if (s_relink(p) != 0) {
		close(p->master);
		p->master = -1;
		return -1;
	}
	return 0;
}

void
vt_rig_pty_unplug(struct vt_rig_pty *p)
{
	unlink(p->link);
	if (p->master >= 0)
		close(p->master);
	p->master = -1;
}

int
vt_rig_pty_plug(struct vt_rig_pty *p)
{
	if (p->master >= 0)
		vt_rig_pty_unplug(p);
	if (s_pty_new(p) != 0)
		return -1;
	return s_relink(p);
}

int
vt_rig_pty_swap(struct vt_rig_pty *p)
{
	struct vt_rig_pty old = *p;
	if (s_pty_new(p) != 0 || s_relink(p) != 0) {
		if (p->master != old.master)
			close(p->master);
		*p = old;
		return -1;
	}
	if (old.master >= 0)
		close(old.master);
	return 0;
}

int
vt_rig_pty_write(struct vt_rig_pty *p, const void *buf, size_t len)
{
	const char *b = buf;
	while (len > 0) {
		ssize_t n = write(p->master, b, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

void
vt_rig_pty_close(struct vt_rig_pty *p)
{
	vt_rig_pty_unplug(p);
}

/* ---- processes ------------------------------------------------------------- */

pid_t
vt_rig_spawn(char *const argv[], const char *out_path, const char *err_path)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* The child: dies with the parent, whatever ends the parent. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	int in = open("/dev/null", O_RDONLY);
	int out = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
	int err = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (in < 0 || out < 0 || err < 0)
		_exit(127);
	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);
	/* A clean signal state: the parent may block or ignore some. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	_exit(127);
}

bool
vt_rig_exited(pid_t pid, int *status)
{
	int st = 0;
	pid_t r = waitpid(pid, &st, WNOHANG);
	if (r == pid && status != NULL)
		*status = st;
	return r == pid || (r < 0 && errno == ECHILD);
}

int
vt_rig_stop(pid_t pid, int sig, int timeout_ms)
{
	if (pid <= 0)
		return -1;
	kill(pid, sig);
	int64_t end = vt_rig_now_ms() + timeout_ms;
	int st = 0;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		if (vt_rig_now_ms() >= end)
			break;
		vt_rig_sleep_ms(5);
	}
	kill(pid, SIGKILL);
	return waitpid(pid, &st, 0) == pid ? st : -1;
}

int
vt_rig_proc(pid_t pid, struct vt_rig_proc *out)
{
	memset(out, 0, sizeof(*out));
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces: utime is 14th, stime 15th. */
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return -1;
	unsigned long long ut = 0, st = 0;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	out->cpu_ticks = ut + st;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fp = fopen(path, "r");
	if (fp == NULL)
		return -1;
	char line[256];
	while (fgets(line, sizeof(line), fp) != NULL) {
		sscanf(line, "VmRSS: %ld", &out->rss_kb);
		sscanf(line, "VmHWM: %ld", &out->hwm_kb);
		sscanf(line, "voluntary_ctxt_switches: %ld", &out->vol_ctxt);
		sscanf(line, "nonvoluntary_ctxt_switches: %ld", &out->invol_ctxt);
	}
	fclose(fp);

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		out->fds += e->d_name[0] != '.';
	closedir(d);
	return 0;
}

double
vt_rig_tick_s(void)
{
	return 1.0 / (double)sysconf(_SC_CLK_TCK);
}

/* ---- the daemon ------------------------------------------------------------ */

int
vt_rig_config(const char *dir, int pub_port, int ctl_port, const char *extra,
              const char *monitors, const char *rules, char *path, size_t len)
{
	size_t cap = 4096 + (extra ? strlen(extra) : 0) + (monitors ? strlen(monitors) : 0) +
	             (rules ? strlen(rules) : 0);
	char *text = malloc(cap);
	if (text == NULL)
		return -1;
	snprintf(text, cap,
	         "# written by the measurement rig\n"
	         "publish: tcp://127.0.0.1:%d\n"
	         "control: tcp://127.0.0.1:%d\n"
	         "%s"
	         "monitors:%s%s"
	         "rules:%s%s",
	         pub_port, ctl_port, extra ? extra : "", monitors ? "\n" : " []\n",
	         monitors ? monitors : "", rules ? "\n" : " []\n", rules ? rules : "");
	int rc = vt_rig_write_file(dir, "vitalsd.yaml", text, path, len);
	free(text);
	return rc;
}

int
vt_rig_masimo_line(char *buf, size_t len, int spo2, int bpm)
{
	return snprintf(buf, len,
	                "11/21/26 10:00:00 SN=0000056661 SPO2=%03d%% BPM=%03d PI=03.60%% "
	                "SPCO=--.-%% SPMET=--.-%% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n",
	                spo2, bpm);
}

int
vt_rig_one_bed(struct vt_rig_bed *b, const char *tag, const char *protocol,
               const char *monitor_keys, bool record, const char *rules)
{
	memset(b, 0, sizeof(*b));
	if (vt_rig_tmpdir(b->dir, sizeof(b->dir), tag) != 0) {
		fprintf(stderr, "rig: mkdtemp: %s\n", strerror(errno));
		return -1;
	}
	snprintf(b->link, sizeof(b->link), "%s/chair-1", b->dir);
	snprintf(b->log, sizeof(b->log), "%s/vitalsd.log", b->dir);
	snprintf(b->rec, sizeof(b->rec), "%s/rec", b->dir);
	if (record && mkdir(b->rec, 0750) != 0) {
		fprintf(stderr, "rig: mkdir %s: %s\n", b->rec, strerror(errno));
		return -1;
	}
	if (vt_rig_pty_open(&b->pty, b->link) != 0) {
		fprintf(stderr, "rig: pty: %s\n", strerror(errno));
		return -1;
	}
	char mon[512], extra[256];
	snprintf(mon, sizeof(mon), "  - {bed: chair-1, port: %s, protocol: %s%s%s}\n", b->link,
	         protocol, monitor_keys ? ", " : "", monitor_keys ? monitor_keys : "");
	snprintf(extra, sizeof(extra), "record_dir: %s\n", b->rec);
	b->pub = vt_rig_free_port();
	b->ctl = vt_rig_free_port();
	return vt_rig_config(b->dir, b->pub, b->ctl, record ? extra : NULL, mon, rules, b->cfg,
	                     sizeof(b->cfg));
}

int
vt_rig_daemon_start(struct vt_rig_daemon *d, const char *config, int pub_port, int ctl_port,
                    const char *log, int timeout_ms)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->pub, sizeof(d->pub), "tcp://127.0.0.1:%d", pub_port);
	snprintf(d->ctl, sizeof(d->ctl), "tcp://127.0.0.1:%d", ctl_port);
	snprintf(d->log, sizeof(d->log), "%s", log ? log : "/dev/null");
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", (char *)config, NULL};
	d->pid = vt_rig_spawn(argv, NULL, d->log);
	if (d->pid < 0) {
		fprintf(stderr, "rig: cannot start %s: %s\n", argv[0], strerror(errno));
		d->pid = 0;
		return -1;
	}
	int64_t end = vt_rig_now_ms() + timeout_ms;
	while (vt_rig_now_ms() < end) {
		int st;
		if (vt_rig_exited(d->pid, &st)) {
			fprintf(stderr, "rig: vitalsd exited at start (status %d); see %s\n", st, d->log);
			d->pid = 0;
			return -1;
		}
		if (vt_rig_ping(d->ctl, 200))
			return 0;
	}
	fprintf(stderr, "rig: vitalsd did not answer ping within %d ms; see %s\n", timeout_ms,
	        d->log);
	vt_rig_daemon_stop(d);
	return -1;
}

int
vt_rig_daemon_stop(struct vt_rig_daemon *d)
{
	if (d->pid <= 0)
		return -1;
	int st = vt_rig_stop(d->pid, SIGTERM, 5000);
	d->pid = 0;
	return st;
}

/* ---- ZeroMQ ---------------------------------------------------------------- */

static void *s_zctx;

void *
vt_rig_zctx(void)
{
	if (s_zctx == NULL)
		s_zctx = zmq_ctx_new();
	return s_zctx;
}

void
vt_rig_zctx_term(void)
{
	if (s_zctx != NULL)
		zmq_ctx_term(s_zctx);
	s_zctx = NULL;
}

void *
vt_rig_sub(const char *endpoint, const char *prefix)
{
	void *s = zmq_socket(vt_rig_zctx(), ZMQ_SUB);
	if (s == NULL)
		return NULL;
	int linger = 0, hwm = 0; /* hwm 0: a measuring client never drops */
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_SUBSCRIBE, prefix, strlen(prefix));
	if (zmq_connect(s, endpoint) != 0) {
		zmq_close(s);
		return NULL;
	}
	return s;
}

int
vt_rig_recv(void *sock, char *topic, size_t tlen, char *body, size_t blen, int timeout_ms)
{
	zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
	if (zmq_poll(&it, 1, timeout_ms) <= 0)
		return -1;
	int t = zmq_recv(sock, topic, tlen - 1, 0);
	if (t < 0)
		return -1;
	topic[(size_t)t < tlen - 1 ? (size_t)t : tlen - 1] = '\0';
	int more = 0;
	size_t ml = sizeof(more);
	zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ml);
	if (!more) {
		body[0] = '\0';
		return 0;
	}
	int n = zmq_recv(sock, body, blen - 1, 0);
	if (n < 0)
		return -1;
	size_t end = (size_t)n < blen - 1 ? (size_t)n : blen - 1;
	body[end] = '\0';
	return (int)end;
}

uint64_t
vt_rig_seq(const char *body)
{
	const char *p = strstr(body, "\"seq\":");
	return p ? strtoull(p + 6, NULL, 10) : 0;
}

bool
vt_rig_wait_msg(void *sub, const char *topic, const char *needle, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	char t[256], body[16384];
	for (;;) {
		int64_t left = end - vt_rig_now_ms();
		if (left <= 0)
			return false;
		if (vt_rig_recv(sub, t, sizeof(t), body, sizeof(body), (int)left) < 0)
			continue;
		if (strncmp(t, topic, strlen(topic)) == 0 && (needle == NULL || strstr(body, needle)))
			return true;
	}
}

char *
vt_rig_request(const char *endpoint, const char *json, int timeout_ms)
{
	void *s = zmq_socket(vt_rig_zctx(), ZMQ_DEALER);
	if (s == NULL)
		return NULL;
	int linger = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	char *reply = NULL;
	if (zmq_connect(s, endpoint) == 0 && zmq_send(s, "", 0, ZMQ_SNDMORE) == 0 &&
	    zmq_send(s, json, strlen(json), 0) >= 0) {
		int64_t end = vt_rig_now_ms() + timeout_ms;
		while (reply == NULL) {
			int64_t left = end - vt_rig_now_ms();
			zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
			if (left <= 0 || zmq_poll(&it, 1, (long)left) <= 0)
				break;
			zmq_msg_t m;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, s, 0) < 0) {
				zmq_msg_close(&m);
				break;
			}
			/* Skip the empty delimiter; the last frame is the reply. */
			if (!zmq_msg_more(&m)) {
				reply = strndup(zmq_msg_data(&m), zmq_msg_size(&m));
			}
			zmq_msg_close(&m);
		}
	}
	zmq_close(s);
	return reply;
}

bool
vt_rig_ping(const char *endpoint, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	do {
		char *r = vt_rig_request(endpoint, "{\"cmd\":\"ping\"}", 100);
		bool ok = r != NULL && strstr(r, "\"ok\":true") != NULL;
		free(r);
		if (ok)
			return true;
	} while (vt_rig_now_ms() < end);
	return false;
}

/* ---- figures --------------------------------------------------------------- */

static int
s_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void
vt_rig_percentiles(double *v, size_t n, double *p50, double *p99, double *max)
{
	*p50 = *p99 = *max = 0;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), s_cmp_double);
	/* Nearest rank: the smallest value with at least p % of the samples at or below it. */
	size_t r50 = (n * 50 + 99) / 100, r99 = (n * 99 + 99) / 100;
	*p50 = v[r50 ? r50 - 1 : 0];
	*p99 = v[r99 ? r99 - 1 : 0];
	*max = v[n - 1];
}

const char *
vt_rig_machine(void)
{
	static char buf[256];
	char model[200] = "unknown CPU";
	FILE *fp = fopen("/proc/cpuinfo", "r");
	if (fp != NULL) {
		char line[512];
		while (fgets(line, sizeof(line), fp) != NULL) {
			char *colon = strchr(line, ':');
			if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
				snprintf(model, sizeof(model), "%s", colon + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(fp);
	}
	snprintf(buf, sizeof(buf), "%ld x %s", sysconf(_SC_NPROCESSORS_ONLN), model);
	return buf;
}
