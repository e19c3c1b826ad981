/*
 * Where things are and running a program to its end (see run.h). A
 * program's stdout and stderr are polled together, so one that fills a
 * pipe while the other is read cannot deadlock.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

extern char **environ;

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

int64_t
vt_rig_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
vt_rig_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

char *
vt_rig_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while (buf != NULL && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			char *bigger = realloc(buf, cap + 1);
			if (bigger == NULL)
				free(buf);
			buf = bigger;
		}
	}
	fclose(fp);
	if (buf == NULL)
		return NULL;
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int
vt_rig_write_file(const char *dir, const char *name, const char *text, char *path, size_t len)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	if (path != NULL)
		snprintf(path, len, "%s", buf);
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", buf);
	FILE *fp = fopen(tmp, "w");
	if (fp == NULL)
		return -1;
	bool ok = fputs(text, fp) >= 0;
	ok = fclose(fp) == 0 && ok;
	return ok && rename(tmp, buf) == 0 ? 0 : -1;
}

/* Whether nothing on 127.0.0.1 holds `port` of `type` (SOCK_STREAM, SOCK_DGRAM; 0: let the
 * kernel choose; the choice goes to *port). */
static bool
s_port_free(int type, int *port)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
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
static int
s_free_port(int type)
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
			if (s_port_free(type, &port))
				return port;
		}
	}
	int port = 0;
	return s_port_free(type, &port) ? port : -1;
}

int
vt_rig_free_port(void)
{
	return s_free_port(SOCK_STREAM);
}

int
vt_rig_free_udp_port(void)
{
	return s_free_port(SOCK_DGRAM);
}

static void
s_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n + 1 > *cap) {
		while (*len + n + 1 > *cap)
			*cap = *cap ? *cap * 2 : 4096;
		*buf = realloc(*buf, *cap);
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

int
vt_rig_run(char *const argv[], struct vt_rig_output *r)
{
	memset(r, 0, sizeof(*r));
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(err, O_CLOEXEC) != 0) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	const char *root = getenv("VT_ROOT");
	if (root && *root)
		posix_spawn_file_actions_addchdir_np(&fa, root);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(err[1]);
	if (rc != 0) {
		close(out[0]);
		close(err[0]);
		errno = rc;
		return -1;
	}
	size_t ocap = 0, ecap = 0;
	s_append(&r->out, &r->out_len, &ocap, "", 0);
	s_append(&r->err, &r->err_len, &ecap, "", 0);
	struct pollfd p[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
	int open_fds = 2;
	char buf[65536];
	while (open_fds > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
			} else if (i == 0) {
				s_append(&r->out, &r->out_len, &ocap, buf, (size_t)n);
			} else {
				s_append(&r->err, &r->err_len, &ecap, buf, (size_t)n);
			}
		}
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return r->status;
}

void
vt_rig_output_free(struct vt_rig_output *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

int
vt_rig_file_count(const char *path, const char *needle)
{
	char *text = vt_rig_slurp(path, NULL);
	int n = 0;
	for (const char *p = text; p && (p = strstr(p, needle)); p++)
		n++;
	free(text);
	return n;
}

bool
vt_rig_file_has(const char *path, const char *needle, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	for (;;) {
		char *text = vt_rig_slurp(path, NULL);
		bool found = text != NULL && strstr(text, needle) != NULL;
		free(text);
		if (found || vt_rig_now_ms() >= end)
			return found;
		vt_rig_sleep_ms(50);
	}
}
