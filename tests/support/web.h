/*
 * Test support for the web station: a users file, a running vitals-web
 * for a daemon's endpoints, and a small HTTP/1.1 client that sends the
 * exact bytes a test writes (a browser's request, or a hostile one) from
 * a chosen loopback address, and reads the whole response.
 */
#ifndef TESTS_WEB_H
#define TESTS_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The accounts every web test has: a nurse and a wall screen. */
#define WEB_NURSE "anna"
#define WEB_NURSE_PASSWORD "anna-pass-1"
#define WEB_VIEWER "wall-2"
#define WEB_VIEWER_PASSWORD "wall-pass-2"

/*
 * `vitals-web passwd --role ROLE PATH USER` with `password` on its standard
 * input: the exit status, or -1.
 */
int web_passwd(const char *path, const char *user, const char *role, const char *password);
/* A new users file with those two accounts, made by vitals-web passwd. 0 or -1. */
int web_users_file(const char *path);

struct web_station {
	pid_t pid;         /* 0 when not running */
	int port;          /* on 127.0.0.1 */
	char url[64];      /* http://127.0.0.1:PORT */
	char log[320];     /* its stderr */
};

/*
 * Start build/vitals-web on a free 127.0.0.1 port for the daemon at
 * `pub`/`ctl` with the users file `users`, its log in `dir`, plus `extra`
 * options (NULL-terminated, may be NULL); wait until it accepts
 * connections. 0, or -1 with the reason on stderr.
 */
int web_station_start(struct web_station *w, const char *dir, const char *pub, const char *ctl,
                      const char *users, const char *const extra[]);
/* SIGTERM and wait; the exit status (128+signal if killed; -1 if not running). */
int web_station_stop(struct web_station *w);

struct http_response {
	int status;        /* 0: no response (connection refused or closed) */
	char head[16384];  /* the status line and headers */
	char *body;        /* malloc'd, NUL-terminated */
	size_t body_len;
};

/*
 * Send `request` (the whole request, bytes as given) to 127.0.0.1:port
 * from address `from` (NULL: 127.0.0.1) and read the response until the
 * server closes or timeout_ms passes. 0, or -1 if no connection.
 */
int http_raw(const char *from, int port, const char *request, size_t len,
             struct http_response *r, int timeout_ms);
void http_response_free(struct http_response *r);
/* A header's value (first one, name case-insensitive) into out; NULL if absent. */
const char *http_header(const struct http_response *r, const char *name, char *out, size_t len);

/*
 * A POST of a form body with the headers a browser on the station's page
 * sends (Origin, Content-Type, Connection: close), plus `headers` (whole
 * lines each ending "\r\n", may be ""). 0 or -1.
 */
int http_post(int port, const char *path, const char *headers, const char *body,
              struct http_response *r);
/* A GET with `headers` (may be ""). 0 or -1. */
int http_get(int port, const char *path, const char *headers, struct http_response *r);

/*
 * Log in; the session cookie ("vitals-session=...") and the CSRF token
 * into the buffers. The HTTP status.
 */
int web_login(int port, const char *user, const char *password, char cookie[128], char csrf[80]);

#endif
