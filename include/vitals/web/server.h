/*
 * The HTTP side of vitals-web, on libmicrohttpd: the page and its files,
 * login and logout, the event stream, and the nurse's commands, each
 * checked before anything reaches the daemon (a session, its CSRF token,
 * the origin, the role). It runs in the caller's event loop: libmicrohttpd
 * is driven from outside through its epoll descriptor, so the daemon's
 * messages and the browsers share one thread and one clock, and password
 * checks run on their own thread (vitals/web/verifier.h).
 *
 * Everything is bounded: connections (in all and per address), the time a
 * connection may sit idle, the size of headers and bodies, open event
 * streams and what each may have waiting, sessions, and login attempts
 * (vitals/web/ratelimit.h). docs/web.md lists the defaults.
 */
#ifndef VITALS_WEB_SERVER_H
#define VITALS_WEB_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vt_station;

struct vt_web_config {
	const char *listen;          /* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:8443" */
	const char *users;           /* the users file */
	const char *tls_cert;        /* PEM files; both or neither */
	const char *tls_key;
	const char *origin;          /* the page's origin as browsers see it (behind a proxy); NULL */
	bool proxy;                  /* behind a reverse proxy: the client is X-Forwarded-For's last */
	const char *reports;         /* directory of vitals-report output; NULL none */
	unsigned max_connections;    /* in all */
	unsigned per_address;        /* from one address; 0 no limit */
	unsigned timeout_s;          /* an idle connection is closed after this */
	size_t max_streams;          /* open event streams */
	size_t max_sessions;
	int64_t session_idle_ms, session_max_ms;
	int login_burst;             /* failed logins allowed at once per address and per user */
	int64_t login_refill_ms;     /* then one more per this long */
};

/* The defaults of every bound (docs/web.md). */
void vt_web_config_defaults(struct vt_web_config *c);

struct vt_web;

/*
 * Read the users file (and the TLS files), bind, and serve. NULL with a
 * message in err (a bad users file as FILE:LINE:COLUMN; plain HTTP on a
 * non-loopback address is refused).
 */
struct vt_web *vt_web_new(const struct vt_web_config *cfg, struct vt_station *st, char *err,
                          size_t errlen);
/*
 * Stop taking work: end the event streams and the password checks. Then
 * free the station (whose pending requests answer their browsers), then
 * vt_web_free.
 */
void vt_web_stop(struct vt_web *w);
void vt_web_free(struct vt_web **w);

/* Descriptors to poll for input: libmicrohttpd's epoll, the password checker's eventfd. */
int vt_web_fd(const struct vt_web *w);
int vt_web_verifier_fd(const struct vt_web *w);
/* The next time vt_web_run must run even if nothing is ready (monotonic ms). */
int64_t vt_web_deadline(const struct vt_web *w, int64_t now);

/* The station's model may have changed: an update goes out soon. */
void vt_web_changed(struct vt_web *w);
/* Serve what is ready, deliver password results, send updates that are due. */
void vt_web_run(struct vt_web *w, int64_t now);

/* Re-read the users file (SIGHUP). 0, or -1 with err (the old list stays). */
int vt_web_reload(struct vt_web *w, char *err, size_t errlen);

/* "listening on http://127.0.0.1:8080", for the log and the demo. */
const char *vt_web_url(const struct vt_web *w);
/* A one-line account for STATUS=: sessions, streams, refusals. */
void vt_web_status(const struct vt_web *w, char *buf, size_t len);

#endif
