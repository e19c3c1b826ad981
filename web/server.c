/*
 * The web station's HTTP server (see vitals/web/server.h). One access
 * handler routes every request; a request that must wait (a password
 * check, a reply from the daemon) is suspended in libmicrohttpd and
 * resumed by the callback that ends the wait, and answered when the
 * handler is called again.
 *
 * The checks a state change passes, in order: a live session (401), the
 * session's CSRF token in X-CSRF-Token (403), the Origin header when the
 * browser sends one, and Sec-Fetch-Site (403), a nurse's role (403), a
 * form body of known fields (400). Only then does anything go to the
 * daemon, with the session's user as "by": nothing the browser sends can
 * choose who acted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "vitals/console/client.h"
#include "vitals/io/log.h"
#include "vitals/web/assets.h"
#include "vitals/web/ratelimit.h"
#include "vitals/web/reports.h"
#include "vitals/web/request.h"
#include "vitals/web/server.h"
#include "vitals/web/sessions.h"
#include "vitals/web/station.h"
#include "vitals/web/stream.h"
#include "vitals/web/users.h"
#include "vitals/web/verifier.h"
#include "vitals/web/view.h"

/* Updates go out at most this often, and at least this often (the page's proof of life). */
#define S_UPDATE_MIN_MS 100
#define S_UPDATE_MAX_MS 1000
/* Request headers and everything else libmicrohttpd keeps per connection. */
#define S_CONNECTION_MEMORY (32 * 1024)
/* How long the audio pause button pauses a bed (as monitors do; station.md). */
#define S_SILENCE "2m"
/* TLS 1.2 and 1.3 only. */
#define S_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* What every response says about what the page may do. */
#define S_CSP                                                                                 \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "           \
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

struct vt_web {
	struct vt_web_config cfg;
	char *users_path, *origin, *reports;
	char *cert_pem, *key_pem;
	bool tls, secure;            /* TLS here; the browser sees https (here or at a proxy) */
	const char *cookie;          /* the session cookie's name */
	char url[128];
	struct MHD_Daemon *mhd;
	struct vt_station *st;
	struct vt_web_users users;
	struct vt_sessions *sessions;
	struct vt_ratelimit *limit;
	struct vt_verifier *verifier;
	struct vt_streams *streams;
	struct vt_view *view;
	bool dirty;                  /* the model may have changed since the last update */
	int64_t last_update;
	int64_t next_prune;          /* when streams are next checked against their sessions */
	bool stopping;
	uint64_t refused_csrf, refused_busy, logins, failed_logins;
};

/* One request's state, from its headers to its response. */
enum req_state { REQ_NEW, REQ_BODY, REQ_WAITING, REQ_ANSWERED };

struct req {
	struct vt_web *w;
	struct MHD_Connection *conn;
	enum req_state state;
	char body[VT_WEB_FORM_MAX + 1];
	size_t len;
	bool too_big;
	/* Filled when a wait ends: */
	unsigned status;
	char *reply;                 /* JSON to send */
	bool set_cookie;             /* a login succeeded: send the new session's cookie */
	char cookie_id[VT_SESSION_TOKEN_HEX];
	/* A login in progress: */
	char user[VT_USER_NAME_MAX + 1];
	char client[64];
	char old_id[VT_SESSION_TOKEN_HEX];
	/* A command in progress, for the log: */
	char what[320];
};

void
vt_web_config_defaults(struct vt_web_config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen = "127.0.0.1:8080";
	c->users = "/etc/vitalsd/web-users";
	c->max_connections = 256;
	c->per_address = 32;
	c->timeout_s = 15;
	c->max_streams = VT_STREAM_MAX;
	c->max_sessions = VT_SESSIONS_MAX;
	c->session_idle_ms = VT_SESSION_IDLE_MS;
	c->session_max_ms = VT_SESSION_MAX_MS;
	c->login_burst = VT_RATELIMIT_BURST;
	c->login_refill_ms = VT_RATELIMIT_REFILL_MS;
}

/* ---- responses --------------------------------------------------------------------- */

static void
s_security_headers(struct vt_web *w, struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(r, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
	if (w->secure)
		MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
}

static enum MHD_Result
s_queue(struct vt_web *w, struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
        const char *type, const char *cache)
{
	if (r == NULL)
		return MHD_NO;
	s_security_headers(w, r);
	MHD_add_response_header(r, "Content-Security-Policy", S_CSP);
	if (type != NULL)
		MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", cache ? cache : "no-store");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
s_json(struct vt_web *w, struct MHD_Connection *c, unsigned status, const char *json)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
	return s_queue(w, c, status, r, "application/json", NULL);
}

/* {"ok":false,"error":"..."} */
static enum MHD_Result
s_error(struct vt_web *w, struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *o = json_pack("{s:b,s:s%}", "ok", 0, "error", msg, strnlen(msg, sizeof(msg)));
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	enum MHD_Result ret = s_json(w, c, status, text ? text : "{\"ok\":false}");
	free(text);
	return ret;
}

static enum MHD_Result
s_redirect(struct vt_web *w, struct MHD_Connection *c, const char *to)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	if (r != NULL)
		MHD_add_response_header(r, "Location", to);
	return s_queue(w, c, MHD_HTTP_SEE_OTHER, r, "text/plain", NULL);
}

static const struct vt_web_asset *
s_asset(const char *name)
{
	for (size_t i = 0; i < vt_web_asset_count; i++)
		if (strcmp(vt_web_assets[i].name, name) == 0)
			return &vt_web_assets[i];
	return NULL;
}

static enum MHD_Result
s_serve_asset(struct vt_web *w, struct MHD_Connection *c, const struct vt_web_asset *a)
{
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
	bool fresh = inm != NULL && strcmp(inm, a->etag) == 0;
	struct MHD_Response *r =
	    fresh ? MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT)
	          : MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (r != NULL)
		MHD_add_response_header(r, "ETag", a->etag);
	/* Scripts and styles are named by their hash in the page: a year. The page: ask each time. */
	return s_queue(w, c, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r, a->type,
	               a->versioned ? "public, max-age=31536000, immutable" : "no-cache");
}

/* ---- who is asking -------------------------------------------------------------------- */

static const char *
s_header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* The client's address as text, for rate limits and the log. */
static void
s_client(struct vt_web *w, struct MHD_Connection *c, char *out, size_t len)
{
	snprintf(out, len, "?");
	if (w->cfg.proxy) {
		/* The proxy appends the address it saw: the last entry is the one to trust. */
		const char *xff = s_header(c, "X-Forwarded-For");
		if (xff != NULL && *xff != '\0') {
			const char *last = strrchr(xff, ',');
			last = last ? last + 1 : xff;
			while (*last == ' ')
				last++;
			snprintf(out, len, "%.*s", (int)strcspn(last, " "), last);
			return;
		}
	}
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
		          (socklen_t)len);
}

/* The session the request's cookie names, or NULL. */
static const struct vt_web_session *
s_session(struct vt_web *w, struct MHD_Connection *c, int64_t now)
{
	const char *header = s_header(c, "Cookie");
	char id[VT_SESSION_TOKEN_HEX + 8];
	if (header == NULL || vt_web_cookie(header, w->cookie, id, sizeof(id)) != 1)
		return NULL;
	return vt_sessions_find(w->sessions, id, now);
}

/*
 * Is a state-changing request from our own page? The Origin header (sent
 * by browsers on every POST) must name this server, and Sec-Fetch-Site,
 * when sent, must say same-origin. NULL if so; else why not.
 */
static const char *
s_same_origin(struct vt_web *w, struct MHD_Connection *c)
{
	const char *origin = s_header(c, "Origin");
	if (origin != NULL && !vt_web_origin_ok(origin, s_header(c, "Host"), w->secure, w->origin))
		return "the request comes from another site";
	const char *site = s_header(c, "Sec-Fetch-Site");
	if (site != NULL && strcmp(site, "same-origin") != 0)
		return "the request comes from another site";
	const char *type = s_header(c, "Content-Type");
	if (type == NULL || strncmp(type, "application/x-www-form-urlencoded", 33) != 0)
		return "a form body (application/x-www-form-urlencoded) is expected";
	return NULL;
}

/* ---- the event stream ------------------------------------------------------------------- */

static struct vt_view_extra
s_extra(struct vt_web *w)
{
	return (struct vt_view_extra){.problem = vt_station_problem(w->st),
	                              .publish = vt_station_publish(w->st)};
}

static enum MHD_Result
s_events(struct vt_web *w, struct MHD_Connection *c, const struct vt_web_session *s, int64_t now)
{
	struct vt_view_extra x = s_extra(w);
	char *snap = vt_view_snapshot(w->view, vt_station_model(w->st), now, &x);
	char *event = snap ? vt_streams_event("snapshot", vt_view_number(w->view), snap) : NULL;
	free(snap);
	if (event == NULL)
		return s_error(w, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	/* Reconnect after a second when the stream breaks. */
	size_t len = strlen(event) + 16;
	char *first = malloc(len);
	if (first != NULL)
		snprintf(first, len, "retry: 1000\n%s", event);
	free(event);
	struct MHD_Response *r = first ? vt_streams_open(w->streams, c, s->id, first) : NULL;
	free(first);
	if (r == NULL) {
		w->refused_busy++;
		return s_error(w, c, MHD_HTTP_SERVICE_UNAVAILABLE,
		               "too many open station screens (%zu); close one", w->cfg.max_streams);
	}
	MHD_add_response_header(r, "X-Accel-Buffering", "no"); /* nginx: do not hold events back */
	return s_queue(w, c, MHD_HTTP_OK, r, "text/event-stream", "no-store");
}

/* ---- login ------------------------------------------------------------------------------- */

static void
s_resume(struct req *q, unsigned status, char *reply)
{
	q->status = status;
	q->reply = reply;
	q->state = REQ_ANSWERED;
	MHD_resume_connection(q->conn);
}

static char *
s_dump(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return s;
}

static void
s_login_done(void *arg, bool ok)
{
	struct req *q = arg;
	struct vt_web *w = q->w;
	int64_t now = vt_client_now();
	char key_ip[96], key_user[96];
	snprintf(key_ip, sizeof(key_ip), "ip:%s", q->client);
	snprintf(key_user, sizeof(key_user), "user:%s", q->user);
	/* The users file may have been re-read meanwhile: the user as it is now. */
	const struct vt_web_user *u = ok ? vt_users_find(&w->users, q->user) : NULL;
	if (u == NULL || w->stopping) {
		w->failed_logins++;
		bool locked = vt_ratelimit_fail(w->limit, key_ip, now);
		locked = vt_ratelimit_fail(w->limit, key_user, now) || locked;
		vt_log(VT_LOG_NOTICE, "web: failed login as \"%s\" from %s%s", q->user, q->client,
		       locked ? "; further tries are slowed down" : "");
		s_resume(q, MHD_HTTP_UNAUTHORIZED,
		         s_dump(json_pack("{s:b,s:s}", "ok", 0, "error", "wrong user name or password")));
		return;
	}
	vt_ratelimit_forget(w->limit, key_ip);
	vt_ratelimit_forget(w->limit, key_user);
	/* Whatever session the browser had ends: a login always starts a new one. */
	if (q->old_id[0] != '\0' && vt_sessions_end(w->sessions, q->old_id))
		vt_streams_end(w->streams, q->old_id);
	uint8_t random[2 * VT_SESSION_TOKEN_BYTES];
	randombytes_buf(random, sizeof(random));
	bool evicted;
	const struct vt_web_session *s =
	    vt_sessions_create(w->sessions, u->name, u->role, random, now, &evicted);
	sodium_memzero(random, sizeof(random));
	if (s == NULL) {
		s_resume(q, MHD_HTTP_SERVICE_UNAVAILABLE,
		         s_dump(json_pack("{s:b,s:s}", "ok", 0, "error", "out of memory")));
		return;
	}
	if (evicted)
		vt_warnx("web: %zu sessions are open; the one unused longest was ended to let %s in",
		         w->cfg.max_sessions, u->name);
	w->logins++;
	vt_log(VT_LOG_NOTICE, "web: %s logged in (%s) from %s", u->name, vt_role_name(u->role),
	       q->client);
	snprintf(q->cookie_id, sizeof(q->cookie_id), "%s", s->id);
	q->set_cookie = true;
	s_resume(q, MHD_HTTP_OK,
	         s_dump(json_pack("{s:b,s:s,s:s,s:s}", "ok", 1, "user", s->user, "role",
	                          vt_role_name(s->role), "csrf", s->csrf)));
}

static enum MHD_Result
s_login(struct vt_web *w, struct req *q, int64_t now)
{
	struct MHD_Connection *c = q->conn;
	char password[VT_USER_PASSWORD_MAX + 1], why[120];
	static const char *const fields[] = {"user", "password", NULL};
	if (!vt_web_form_check(q->body, q->len, fields, why, sizeof(why)) ||
	    vt_web_form(q->body, q->len, "user", q->user, sizeof(q->user)) != 1 ||
	    vt_web_form(q->body, q->len, "password", password, sizeof(password)) != 1 ||
	    !vt_user_name_ok(q->user) || password[0] == '\0') {
		sodium_memzero(password, sizeof(password));
		return s_error(w, c, MHD_HTTP_BAD_REQUEST, "a user name and a password are expected");
	}
	s_client(w, c, q->client, sizeof(q->client));
	char key_ip[96], key_user[96];
	snprintf(key_ip, sizeof(key_ip), "ip:%s", q->client);
	snprintf(key_user, sizeof(key_user), "user:%s", q->user);
	int64_t wait_ip = 0, wait_user = 0;
	bool ip_ok = vt_ratelimit_allow(w->limit, key_ip, now, &wait_ip);
	bool user_ok = vt_ratelimit_allow(w->limit, key_user, now, &wait_user);
	if (!ip_ok || !user_ok) {
		sodium_memzero(password, sizeof(password));
		int64_t wait = wait_ip > wait_user ? wait_ip : wait_user;
		char retry[32];
		snprintf(retry, sizeof(retry), "%" PRId64, (wait + 999) / 1000);
		json_t *o = json_pack("{s:b,s:s,s:I}", "ok", 0, "error",
		                      "too many failed logins: wait before trying again", "retry_s",
		                      (json_int_t)((wait + 999) / 1000));
		char *text = s_dump(o);
		struct MHD_Response *r = MHD_create_response_from_buffer(
		    text ? strlen(text) : 0, text ? text : "", MHD_RESPMEM_MUST_COPY);
		free(text);
		if (r != NULL)
			MHD_add_response_header(r, "Retry-After", retry);
		return s_queue(w, c, MHD_HTTP_TOO_MANY_REQUESTS, r, "application/json", NULL);
	}
	const struct vt_web_user *u = vt_users_find(&w->users, q->user);
	/* An unknown user costs as long as a wrong password: no name can be confirmed by timing. */
	const char *hash = u != NULL ? u->hash : vt_users_dummy_hash();
	const char *header = s_header(c, "Cookie");
	if (header == NULL || vt_web_cookie(header, w->cookie, q->old_id, sizeof(q->old_id)) != 1)
		q->old_id[0] = '\0';
	int rc = vt_verifier_submit(w->verifier, hash, password, s_login_done, q);
	sodium_memzero(password, sizeof(password));
	if (rc != 0) {
		w->refused_busy++;
		return s_error(w, c, MHD_HTTP_SERVICE_UNAVAILABLE,
		               "too many logins at once: try again in a moment");
	}
	q->state = REQ_WAITING;
	MHD_suspend_connection(c);
	return MHD_YES;
}

/* ---- the nurse's commands ------------------------------------------------------------------ */

static void
s_command_done(void *arg, const char *reply, const char *why)
{
	struct req *q = arg;
	if (reply == NULL) {
		vt_warnx("web: %s: %s", q->what, why);
		s_resume(q, MHD_HTTP_BAD_GATEWAY, s_dump(json_pack("{s:b,s:s}", "ok", 0, "error", why)));
		return;
	}
	json_t *o = json_loads(reply, 0, NULL);
	bool ok = json_is_true(json_object_get(o, "ok"));
	if (o == NULL)
		o = json_pack("{s:b,s:s}", "ok", 0, "error", "the daemon's reply is not JSON");
	if (ok)
		vt_log(VT_LOG_NOTICE, "web: %s", q->what);
	else
		vt_log(VT_LOG_NOTICE, "web: %s: refused by the daemon: %s", q->what,
		       json_string_value(json_object_get(o, "error")));
	s_resume(q, ok ? MHD_HTTP_OK : MHD_HTTP_CONFLICT, s_dump(o));
}

/* A form field that must be there, into out; false (and a 400 queued) if it is not. */
static bool
s_field(struct req *q, const char *key, char *out, size_t len, enum MHD_Result *ret)
{
	if (vt_web_form(q->body, q->len, key, out, len) == 1 && out[0] != '\0')
		return true;
	*ret = s_error(q->w, q->conn, MHD_HTTP_BAD_REQUEST, "\"%s\" is missing or malformed", key);
	return false;
}

/* An optional number field: 1 given (in *v), 0 absent, -1 malformed. */
static int
s_number(struct req *q, const char *key, double *v)
{
	char text[32];
	int rc = vt_web_form(q->body, q->len, key, text, sizeof(text));
	if (rc != 1 || text[0] == '\0')
		return rc == 1 ? 0 : rc;
	char *end;
	*v = strtod(text, &end);
	return *end == '\0' && end != text ? 1 : -1;
}

static enum MHD_Result
s_command(struct vt_web *w, struct req *q, const char *url, const struct vt_web_session *s,
          int64_t now)
{
	struct MHD_Connection *c = q->conn;
	enum MHD_Result ret = MHD_NO;
	char why[120], a[192], b[32];
	json_t *req = NULL;
	if (strcmp(url, "/api/ack") == 0) {
		static const char *const fields[] = {"id", NULL};
		if (!vt_web_form_check(q->body, q->len, fields, why, sizeof(why)))
			return s_error(w, c, MHD_HTTP_BAD_REQUEST, "%s", why);
		if (!s_field(q, "id", a, sizeof(a), &ret))
			return ret;
		req = json_pack("{s:s,s:s}", "cmd", "ack", "id", a);
		snprintf(q->what, sizeof(q->what), "%s acknowledged %s", s->user, a);
	} else if (strcmp(url, "/api/silence") == 0) {
		static const char *const fields[] = {"bed", NULL};
		if (!vt_web_form_check(q->body, q->len, fields, why, sizeof(why)))
			return s_error(w, c, MHD_HTTP_BAD_REQUEST, "%s", why);
		if (!s_field(q, "bed", a, sizeof(a), &ret))
			return ret;
		req = json_pack("{s:s,s:s,s:s}", "cmd", "silence", "bed", a, "for", S_SILENCE);
		snprintf(q->what, sizeof(q->what), "%s paused the audio of %s for %s", s->user, a, S_SILENCE);
	} else {
		static const char *const fields[] = {"bed", "phase", "weight_kg", "dose_mg_per_kg_h", NULL};
		double weight = 0, rate = 0;
		int hw, hr;
		if (!vt_web_form_check(q->body, q->len, fields, why, sizeof(why)))
			return s_error(w, c, MHD_HTTP_BAD_REQUEST, "%s", why);
		if (!s_field(q, "bed", a, sizeof(a), &ret) || !s_field(q, "phase", b, sizeof(b), &ret))
			return ret;
		if ((hw = s_number(q, "weight_kg", &weight)) < 0 || (hr = s_number(q, "dose_mg_per_kg_h", &rate)) < 0)
			return s_error(w, c, MHD_HTTP_BAD_REQUEST, "weight and rate must be numbers");
		req = json_pack("{s:s,s:s,s:s}", "cmd", "phase", "bed", a, "phase", b);
		if (hw > 0)
			json_object_set_new(req, "weight_kg", json_real(weight));
		if (hr > 0)
			json_object_set_new(req, "dose_mg_per_kg_h", json_real(rate));
		snprintf(q->what, sizeof(q->what), "%s set %s to %s", s->user, a, b);
	}
	if (req == NULL)
		return s_error(w, c, MHD_HTTP_BAD_REQUEST, "malformed request");
	if (vt_station_request(w->st, req, s->user, now, s_command_done, q) != 0) {
		w->refused_busy++;
		return s_error(w, c, MHD_HTTP_SERVICE_UNAVAILABLE,
		               "too many commands waiting for the daemon: try again in a moment");
	}
	q->state = REQ_WAITING;
	MHD_suspend_connection(c);
	return MHD_YES;
}

/* ---- routing ---------------------------------------------------------------------------- */

static enum MHD_Result
s_get(struct vt_web *w, struct MHD_Connection *c, const char *url, int64_t now)
{
	if (strncmp(url, "/static/", 8) == 0) {
		const struct vt_web_asset *a = s_asset(url + 8);
		if (a != NULL && strstr(a->name, ".html") == NULL)
			return s_serve_asset(w, c, a);
		return s_error(w, c, MHD_HTTP_NOT_FOUND, "no such file");
	}
	if (strcmp(url, "/login") == 0)
		return s_serve_asset(w, c, s_asset("login.html"));
	const struct vt_web_session *s = s_session(w, c, now);
	if (strcmp(url, "/") == 0)
		return s != NULL ? s_serve_asset(w, c, s_asset("index.html")) : s_redirect(w, c, "/login");
	if (s == NULL)
		return s_error(w, c, MHD_HTTP_UNAUTHORIZED, "log in first");
	if (strcmp(url, "/api/me") == 0) {
		char *text = s_dump(json_pack("{s:b,s:s,s:s,s:s,s:b}", "ok", 1, "user", s->user, "role",
		                              vt_role_name(s->role), "csrf", s->csrf, "reports",
		                              w->reports != NULL));
		enum MHD_Result ret = s_json(w, c, MHD_HTTP_OK, text ? text : "{}");
		free(text);
		return ret;
	}
	if (strcmp(url, "/api/events") == 0)
		return s_events(w, c, s, now);
	if (strcmp(url, "/api/reports") == 0) {
		char *text = s_dump(json_pack("{s:b,s:o}", "ok", 1, "reports", vt_reports_list(w->reports)));
		enum MHD_Result ret = s_json(w, c, MHD_HTTP_OK, text ? text : "{}");
		free(text);
		return ret;
	}
	if (strncmp(url, "/reports/", 9) == 0) {
		uint64_t size = 0;
		int fd = vt_reports_open(w->reports, url + 9, &size);
		if (fd < 0)
			return s_error(w, c, MHD_HTTP_NOT_FOUND, "no such report");
		struct MHD_Response *r = MHD_create_response_from_fd64(size, fd);
		if (r == NULL) {
			close(fd);
			return MHD_NO;
		}
		s_security_headers(w, r);
		MHD_add_response_header(r, "Content-Type", vt_reports_type(url + 9));
		MHD_add_response_header(r, "Cache-Control", "no-store");
		MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; sandbox");
		bool csv = strcmp(vt_reports_type(url + 9), "application/pdf") != 0 &&
		           strcmp(vt_reports_type(url + 9), "image/png") != 0;
		MHD_add_response_header(r, "Content-Disposition", csv ? "attachment" : "inline");
		enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
		MHD_destroy_response(r);
		return ret;
	}
	return s_error(w, c, MHD_HTTP_NOT_FOUND, "no such page");
}

/* A POST whose body has arrived whole. */
static enum MHD_Result
s_post(struct vt_web *w, struct req *q, const char *url, int64_t now)
{
	struct MHD_Connection *c = q->conn;
	if (q->too_big)
		return s_error(w, c, MHD_HTTP_CONTENT_TOO_LARGE, "request body larger than %d bytes",
		               VT_WEB_FORM_MAX);
	if (strcmp(url, "/api/login") == 0)
		return s_login(w, q, now);
	const struct vt_web_session *s = s_session(w, c, now);
	if (strcmp(url, "/api/logout") == 0) {
		if (s != NULL) {
			vt_log(VT_LOG_NOTICE, "web: %s logged out", s->user);
			char id[VT_SESSION_TOKEN_HEX];
			snprintf(id, sizeof(id), "%s", s->id);
			vt_streams_end(w->streams, id);
			vt_sessions_end(w->sessions, id);
		}
		return s_json(w, c, MHD_HTTP_OK, "{\"ok\":true}");
	}
	if (s == NULL)
		return s_error(w, c, MHD_HTTP_UNAUTHORIZED, "log in first");
	if (s->role != VT_ROLE_NURSE)
		return s_error(w, c, MHD_HTTP_FORBIDDEN,
		               "%s is a read-only account: acknowledge, pause and phase need a nurse's login",
		               s->user);
	return s_command(w, q, url, s, now);
}

/*
 * The checks a POST passes before its body is even read: a known path, a
 * body that is not too large, the same origin, a session with its CSRF
 * token (the login: the page's own header instead). NULL when it passes;
 * otherwise the response has been queued and *ret says how.
 */
static bool
s_post_refused(struct vt_web *w, struct MHD_Connection *c, const char *url, int64_t now,
               enum MHD_Result *ret)
{
	bool login = strcmp(url, "/api/login") == 0, logout = strcmp(url, "/api/logout") == 0;
	if (!login && !logout && strcmp(url, "/api/ack") != 0 && strcmp(url, "/api/silence") != 0 &&
	    strcmp(url, "/api/phase") != 0) {
		*ret = s_error(w, c, MHD_HTTP_NOT_FOUND, "no such action");
		return true;
	}
	const char *length = s_header(c, "Content-Length");
	if (length != NULL && strtoull(length, NULL, 10) > VT_WEB_FORM_MAX) {
		*ret = s_error(w, c, MHD_HTTP_CONTENT_TOO_LARGE, "request body larger than %d bytes",
		               VT_WEB_FORM_MAX);
		return true;
	}
	const char *why = s_same_origin(w, c);
	if (why == NULL && login) {
		/* No session yet: a header only our page's script sets (a form on another site cannot). */
		const char *xrw = s_header(c, "X-Requested-With");
		if (xrw == NULL || strcmp(xrw, "vitals-web") != 0)
			why = "the login must come from the station's page";
	}
	if (why == NULL && !login) {
		const struct vt_web_session *s = s_session(w, c, now);
		if (s == NULL) {
			*ret = s_error(w, c, MHD_HTTP_UNAUTHORIZED, "log in first");
			return true;
		}
		if (!vt_sessions_csrf_ok(s, s_header(c, "X-CSRF-Token")))
			why = "the request lacks this session's token (X-CSRF-Token)";
	}
	if (why != NULL) {
		w->refused_csrf++;
		char client[64];
		s_client(w, c, client, sizeof(client));
		vt_log(VT_LOG_WARNING, "web: refused %s from %s: %s", url, client, why);
		*ret = s_error(w, c, MHD_HTTP_FORBIDDEN, "forged or foreign request refused: %s", why);
		return true;
	}
	return false;
}

static enum MHD_Result
s_handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
         const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct vt_web *w = cls;
	struct req *q = *con_cls;
	int64_t now = vt_client_now();
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	if (q == NULL) {
		if (!post && strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
			struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
			if (r != NULL)
				MHD_add_response_header(r, "Allow", "GET, HEAD, POST");
			return s_queue(w, c, MHD_HTTP_METHOD_NOT_ALLOWED, r, "text/plain", NULL);
		}
		if (!post)
			return s_get(w, c, url, now);
		enum MHD_Result ret;
		if (s_post_refused(w, c, url, now, &ret))
			return ret;
		q = calloc(1, sizeof(*q));
		if (q == NULL)
			return MHD_NO;
		q->w = w;
		q->conn = c;
		q->state = REQ_BODY;
		*con_cls = q;
		return MHD_YES;
	}
	if (q->state == REQ_BODY && *upload_size > 0) {
		if (q->len + *upload_size > VT_WEB_FORM_MAX)
			q->too_big = true;
		else
			memcpy(q->body + q->len, upload, *upload_size);
		q->len += q->too_big ? 0 : *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->state == REQ_BODY) {
		q->body[q->len] = '\0';
		q->state = REQ_NEW; /* handled once */
		return s_post(w, q, url, now);
	}
	if (q->state == REQ_ANSWERED) {
		const char *text = q->reply ? q->reply : "{\"ok\":false,\"error\":\"out of memory\"}";
		struct MHD_Response *r =
		    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
		if (r != NULL && q->set_cookie) {
			char cookie[VT_SESSION_TOKEN_HEX + 96];
			snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s", w->cookie,
			         q->cookie_id, w->secure ? "; Secure" : "");
			MHD_add_response_header(r, "Set-Cookie", cookie);
		}
		q->state = REQ_NEW;
		return s_queue(w, c, q->status, r, "application/json", NULL);
	}
	return MHD_YES; /* REQ_WAITING: resumed only by the callback */
}

static void
s_completed(void *cls, struct MHD_Connection *c, void **con_cls,
            enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;
	if (q == NULL)
		return;
	sodium_memzero(q->body, sizeof(q->body));
	free(q->reply);
	free(q);
	*con_cls = NULL;
}

static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	vt_log(VT_LOG_INFO, "web: libmicrohttpd: %s", msg);
}

/* ---- set-up ----------------------------------------------------------------------------------- */

static char *
s_read_pem(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 256 * 1024;
	char *buf = malloc(cap);
	size_t n = buf ? fread(buf, 1, cap - 1, f) : 0;
	bool big = buf != NULL && n == cap - 1;
	fclose(f);
	if (buf == NULL || big || n == 0) {
		snprintf(err, errlen, "%s: %s", path, buf == NULL ? "out of memory" : big ? "too large for a PEM file" : "empty");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* "HOST:PORT" / "[V6]:PORT" into an address; 0, or -1 with err. */
static int
s_parse_listen(const char *listen, struct sockaddr_storage *sa, char *err, size_t errlen)
{
	char host[128];
	const char *port;
	if (listen[0] == '[') {
		const char *end = strchr(listen, ']');
		if (end == NULL || end[1] != ':' || (size_t)(end - listen - 1) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(end - listen - 1), listen + 1);
		port = end + 2;
	} else {
		const char *colon = strrchr(listen, ':');
		if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
		port = colon + 1;
	}
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	if (*port == '\0' || getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
		goto bad;
	memset(sa, 0, sizeof(*sa));
	memcpy(sa, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
bad:
	snprintf(err, errlen, "--listen %s: expected ADDRESS:PORT, such as 127.0.0.1:8080 or [::1]:8080",
	         listen);
	return -1;
}

static bool
s_loopback(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return false;
}

struct vt_web *
vt_web_new(const struct vt_web_config *cfg, struct vt_station *st, char *err, size_t errlen)
{
	struct vt_web *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->cfg = *cfg;
	w->st = st;
	w->users_path = strdup(cfg->users);
	w->origin = cfg->origin ? strdup(cfg->origin) : NULL;
	w->reports = cfg->reports ? strdup(cfg->reports) : NULL;
	w->cfg.users = w->users_path;
	w->cfg.origin = w->origin;
	w->cfg.reports = w->reports;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium cannot start");
		goto fail;
	}
	if (vt_users_load(w->users_path, &w->users, err, errlen) != 0)
		goto fail;
	if (w->users.n == 0)
		vt_warnx("web: %s lists no user: nobody can log in (add one with vitals-web passwd)",
		         w->users_path);
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		snprintf(err, errlen, "--tls-cert and --tls-key go together");
		goto fail;
	}
	w->tls = cfg->tls_cert != NULL;
	if (w->tls && ((w->cert_pem = s_read_pem(cfg->tls_cert, err, errlen)) == NULL ||
	               (w->key_pem = s_read_pem(cfg->tls_key, err, errlen)) == NULL))
		goto fail;
	w->secure = w->tls || (w->origin != NULL && strncmp(w->origin, "https://", 8) == 0);
	/* __Host-: the browser keeps such a cookie to this host, over HTTPS, for the whole site. */
	w->cookie = w->secure ? "__Host-vitals-session" : "vitals-session";
	struct sockaddr_storage sa;
	if (s_parse_listen(cfg->listen, &sa, err, errlen) != 0)
		goto fail;
	if (!w->tls && !s_loopback(&sa)) {
		snprintf(err, errlen, "--listen %s: plain HTTP is served on a loopback address only "
		         "(127.0.0.1, ::1); give --tls-cert and --tls-key, or put a TLS reverse proxy in "
		         "front (docs/web.md)", cfg->listen);
		goto fail;
	}
	w->sessions = vt_sessions_new(cfg->max_sessions, cfg->session_idle_ms, cfg->session_max_ms);
	w->limit = vt_ratelimit_new(VT_RATELIMIT_KEYS, cfg->login_burst, cfg->login_refill_ms);
	w->streams = vt_streams_new(cfg->max_streams, VT_STREAM_QUEUE_MAX);
	w->view = vt_view_new();
	w->verifier = vt_verifier_new();
	if (!w->sessions || !w->limit || !w->streams || !w->view || !w->verifier) {
		snprintf(err, errlen, "cannot set up: %s", strerror(errno ? errno : ENOMEM));
		goto fail;
	}
	vt_users_dummy_hash(); /* made now, in this thread, before any login needs it */
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
	                 (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) | (w->tls ? MHD_USE_TLS : 0);
	/* The TLS options only with TLS: libmicrohttpd refuses them otherwise. */
	struct MHD_OptionItem tls[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, w->cert_pem},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, w->key_pem},
	    {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)S_TLS_PRIORITIES},
	    {MHD_OPTION_END, 0, NULL},
	};
	struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};
	/* The logger first: libmicrohttpd logs the options that follow with it. */
	w->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, s_handle, w, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, w,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
	    cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_address,
	    MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)S_CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, s_completed, w,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_ARRAY, w->tls ? tls : none,
	    MHD_OPTION_END);
	if (w->mhd == NULL) {
		snprintf(err, errlen, "cannot serve on %s: %s%s", cfg->listen, strerror(errno),
		         w->tls ? " (or the TLS certificate and key do not go together)" : "");
		goto fail;
	}
	snprintf(w->url, sizeof(w->url), "%s://%s", w->tls ? "https" : "http", cfg->listen);
	return w;
fail:
	vt_web_free(&w);
	return NULL;
}

void
vt_web_stop(struct vt_web *w)
{
	w->stopping = true;
	vt_streams_end(w->streams, NULL);
	vt_verifier_free(&w->verifier); /* waiting logins are answered as failed */
}

void
vt_web_free(struct vt_web **wp)
{
	if (wp == NULL || *wp == NULL)
		return;
	struct vt_web *w = *wp;
	if (w->mhd != NULL) {
		MHD_run(w->mhd); /* let resumed connections finish */
		MHD_stop_daemon(w->mhd);
	}
	vt_verifier_free(&w->verifier);
	vt_streams_free(&w->streams);
	vt_view_free(&w->view);
	vt_ratelimit_free(&w->limit);
	vt_sessions_free(&w->sessions);
	vt_users_free(&w->users);
	if (w->key_pem != NULL)
		sodium_memzero(w->key_pem, strlen(w->key_pem));
	free(w->key_pem);
	free(w->cert_pem);
	free(w->users_path);
	free(w->origin);
	free(w->reports);
	free(w);
	*wp = NULL;
}

int
vt_web_fd(const struct vt_web *w)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	return i != NULL ? i->epoll_fd : -1;
}

int
vt_web_verifier_fd(const struct vt_web *w)
{
	return w->verifier != NULL ? vt_verifier_fd(w->verifier) : -1;
}

int64_t
vt_web_deadline(const struct vt_web *w, int64_t now)
{
	int64_t next = w->last_update + (w->dirty ? S_UPDATE_MIN_MS : S_UPDATE_MAX_MS);
	MHD_UNSIGNED_LONG_LONG t;
	if (MHD_get_timeout(w->mhd, &t) == MHD_YES && now + (int64_t)t < next)
		next = now + (int64_t)t;
	return next;
}

void
vt_web_changed(struct vt_web *w)
{
	w->dirty = true;
}

/* A stream's session is alive, and counts as used: an open station page keeps its login. */
static bool
s_session_alive(void *arg, const char *id)
{
	struct vt_web *w = arg;
	return vt_sessions_find(w->sessions, id, vt_client_now()) != NULL;
}

void
vt_web_run(struct vt_web *w, int64_t now)
{
	if (w->verifier != NULL)
		vt_verifier_collect(w->verifier);
	/* Once a second: a stream whose session ended (logged out elsewhere, the user removed,
	 * the shift's limit reached) ends too, and its page goes back to the login. */
	if (now >= w->next_prune) {
		vt_streams_prune(w->streams, s_session_alive, w);
		w->next_prune = now + 1000;
	}
	if (now >= w->last_update + (w->dirty ? S_UPDATE_MIN_MS : S_UPDATE_MAX_MS)) {
		struct vt_view_extra x = s_extra(w);
		char *u = vt_view_update(w->view, vt_station_model(w->st), now, &x);
		char *event = u ? vt_streams_event("update", vt_view_number(w->view), u) : NULL;
		if (event != NULL)
			vt_streams_broadcast(w->streams, event);
		free(event);
		free(u);
		w->dirty = false;
		w->last_update = now;
	}
	MHD_run(w->mhd);
}

int
vt_web_reload(struct vt_web *w, char *err, size_t errlen)
{
	struct vt_web_users users;
	if (vt_users_load(w->users_path, &users, err, errlen) != 0)
		return -1;
	vt_users_free(&w->users);
	w->users = users;
	size_t ended = vt_sessions_revise(w->sessions, &w->users);
	vt_log(VT_LOG_NOTICE, "web: %s re-read: %zu users; %zu sessions of removed users ended",
	       w->users_path, w->users.n, ended);
	return 0;
}

const char *
vt_web_url(const struct vt_web *w)
{
	return w->url;
}

void
vt_web_status(const struct vt_web *w, char *buf, size_t len)
{
	snprintf(buf, len,
	         "%zu sessions, %zu screens; %" PRIu64 " logins, %" PRIu64 " failed, %" PRIu64
	         " throttled; %" PRIu64 " forged requests refused; %" PRIu64 " refused busy, %" PRIu64
	         " screens dropped behind",
	         vt_sessions_count(w->sessions), vt_streams_count(w->streams), w->logins,
	         w->failed_logins, vt_ratelimit_refused(w->limit), w->refused_csrf,
	         w->refused_busy + vt_station_refused(w->st), vt_streams_dropped(w->streams));
}
