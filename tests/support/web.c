/*
 * Web station test support (see web.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "run.h"
#include "web.h"

int
web_passwd(const char *path, const char *user, const char *role, const char *password)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s passwd --role %s '%s' '%s' 2>/dev/null", vt_rig_build("vitals-web"),
	         role, path, user);
	FILE *p = popen(cmd, "w");
	if (p == NULL)
		return -1;
	fprintf(p, "%s\n", password);
	int st = pclose(p);
	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
web_users_file(const char *path)
{
	unlink(path);
	return web_passwd(path, WEB_NURSE, "nurse", WEB_NURSE_PASSWORD) == 0 &&
	               web_passwd(path, WEB_VIEWER, "viewer", WEB_VIEWER_PASSWORD) == 0
	           ? 0
	           : -1;
}

static int
s_connect(const char *from, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (from != NULL) {
		struct sockaddr_in src = {.sin_family = AF_INET};
		inet_pton(AF_INET, from, &src.sin_addr);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			close(fd);
			return -1;
		}
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
web_station_start(struct web_station *w, const char *dir, const char *pub, const char *ctl,
                  const char *users, const char *const extra[])
{
	memset(w, 0, sizeof(*w));
	w->port = vt_rig_free_port();
	snprintf(w->url, sizeof(w->url), "http://127.0.0.1:%d", w->port);
	snprintf(w->log, sizeof(w->log), "%s/vitals-web.log", dir);
	char listen[32];
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", w->port);
	const char *argv[40] = {vt_rig_build("vitals-web"), "--listen", listen, "--connect", pub,
	                        "--control", ctl, "--users", users};
	size_t n = 9;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 39; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	w->pid = vt_rig_spawn((char *const *)argv, NULL, w->log);
	if (w->pid < 0) {
		w->pid = 0;
		return -1;
	}
	int64_t end = vt_rig_now_ms() + 10000;
	while (vt_rig_now_ms() < end) {
		int fd = s_connect(NULL, w->port);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		int st = vt_rig_wait(w->pid, 0);
		if (st >= 0) {
			fprintf(stderr, "web: vitals-web exited (status %d); see %s\n", st, w->log);
			w->pid = 0;
			return -1;
		}
		vt_rig_sleep_ms(20);
	}
	fprintf(stderr, "web: vitals-web does not listen on %s after 10 s\n", listen);
	return -1;
}

int
web_station_stop(struct web_station *w)
{
	if (w->pid <= 0)
		return -1;
	int st = vt_rig_stop(w->pid, SIGTERM, 5000);
	w->pid = 0;
	return st;
}

int
http_raw(const char *from, int port, const char *request, size_t len, struct http_response *r,
         int timeout_ms)
{
	memset(r, 0, sizeof(*r));
	int fd = s_connect(from, port);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(fd, request + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	size_t cap = 65536, got = 0;
	char *buf = malloc(cap + 1);
	int64_t end = vt_rig_now_ms() + timeout_ms;
	while (buf != NULL) {
		int64_t left = end - vt_rig_now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		if (got == cap) {
			char *b = realloc(buf, 2 * cap + 1);
			if (b == NULL)
				break;
			buf = b;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + got, cap - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (buf == NULL)
		return -1;
	buf[got] = '\0';
	char *sep = strstr(buf, "\r\n\r\n");
	if (sep != NULL && sscanf(buf, "HTTP/1.%*d %d", &r->status) == 1) {
		size_t hlen = (size_t)(sep - buf);
		snprintf(r->head, sizeof(r->head), "%.*s", (int)hlen, buf);
		r->body_len = got - hlen - 4;
		r->body = malloc(r->body_len + 1);
		memcpy(r->body, sep + 4, r->body_len);
		r->body[r->body_len] = '\0';
	} else {
		r->body = strdup("");
	}
	free(buf);
	return 0;
}

void
http_response_free(struct http_response *r)
{
	free(r->body);
	r->body = NULL;
}

const char *
http_header(const struct http_response *r, const char *name, char *out, size_t len)
{
	size_t nlen = strlen(name);
	for (const char *line = strstr(r->head, "\r\n"); line != NULL; line = strstr(line, "\r\n")) {
		line += 2;
		if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			const char *v = line + nlen + 1;
			while (*v == ' ')
				v++;
			snprintf(out, len, "%.*s", (int)strcspn(v, "\r"), v);
			return out;
		}
	}
	return NULL;
}

int
http_post(int port, const char *path, const char *headers, const char *body,
          struct http_response *r)
{
	size_t len = strlen(path) + strlen(headers) + strlen(body) + 512;
	char *req = malloc(len);
	int n = snprintf(req, len,
	                 "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n"
	                 "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n"
	                 "Connection: close\r\n%s\r\n%s",
	                 path, port, port, strlen(body), headers, body);
	int rc = http_raw(NULL, port, req, (size_t)n, r, 10000);
	free(req);
	return rc;
}

int
http_get(int port, const char *path, const char *headers, struct http_response *r)
{
	char req[4096];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s\r\n",
	                 path, port, headers);
	return http_raw(NULL, port, req, (size_t)n, r, 10000);
}

int
web_login(int port, const char *user, const char *password, char cookie[128], char csrf[80])
{
	char body[256], set[256];
	snprintf(body, sizeof(body), "user=%s&password=%s", user, password);
	struct http_response r;
	cookie[0] = csrf[0] = '\0';
	if (http_post(port, "/api/login", "X-Requested-With: vitals-web\r\n", body, &r) != 0)
		return 0;
	if (http_header(&r, "Set-Cookie", set, sizeof(set)) != NULL)
		snprintf(cookie, 128, "%.*s", (int)strcspn(set, ";"), set);
	const char *t = strstr(r.body, "\"csrf\":\"");
	if (t != NULL)
		snprintf(csrf, 80, "%.*s", (int)strcspn(t + 8, "\""), t + 8);
	int status = r.status;
	http_response_free(&r);
	return status;
}
