/*
 * vitals-web attacked over HTTP as a hostile client would, against a real
 * daemon: wrong passwords and unknown users refused (and slowed down after
 * a few), session fixation defeated, forged and foreign requests refused
 * before anything reaches the daemon, a read-only account kept read-only,
 * oversized and malformed requests refused, slow clients cut off without
 * starving the others, the page's files cached by content, the event
 * stream closed to strangers, TLS where configured and plain HTTP off the
 * loopback refused, and `vitals-web passwd` with a reload by SIGHUP. What
 * reaches the daemon is checked at the daemon (its snapshot, its events).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.h>

#include "support/support.h"
#include "support/web.h"

#define RULES                                                                                  \
	"  - name: spo2-low\n    parameter: spo2\n    below: 90\n    clear_at: 92\n"              \
	"    priority: high\n"
#define ALERT_ID "chair-1/spo2-low/1"

static struct vt_rig_bed bed_;
static struct vt_rig_daemon daemon_;
static struct web_station web_;
static char users_[400];

static void
s_start(const char *const extra[])
{
	cr_assert_eq(vt_rig_bed_start(&bed_, &daemon_, "web", RULES), 0, "vitalsd did not start");
	snprintf(users_, sizeof(users_), "%s/web-users", daemon_.dir);
	cr_assert_eq(web_users_file(users_), 0, "vitals-web passwd failed");
	cr_assert_eq(web_station_start(&web_, daemon_.dir, daemon_.pub, daemon_.ctl, users_, extra), 0,
	             "vitals-web did not start");
}

static void
s_setup(void)
{
	s_start(NULL);
}

static void
s_teardown(void)
{
	if (web_.pid > 0)
		cr_expect_eq(web_station_stop(&web_), 0, "vitals-web did not exit cleanly on SIGTERM");
	vt_rig_bed_stop(&bed_, &daemon_);
}

/* The daemon's snapshot says `needle` (or does not). */
static bool
s_daemon_says(const char *needle)
{
	char *reply = vt_rig_request(daemon_.ctl, "{\"cmd\":\"snapshot\"}", 5000);
	cr_assert_not_null(reply, "no snapshot from the daemon");
	bool yes = strstr(reply, needle) != NULL;
	free(reply);
	return yes;
}

/* Raise chair-1's SpO2 alarm and wait for the daemon to have it. */
static void
s_raise_alarm(void)
{
	int64_t end = vt_rig_now_ms() + 10000;
	while (vt_rig_now_ms() < end && !s_daemon_says(ALERT_ID)) {
		vt_rig_pty_masimo(&bed_.pty, 80, 70);
		vt_rig_sleep_ms(200);
	}
	cr_assert(s_daemon_says(ALERT_ID), "the daemon never raised " ALERT_ID);
}

static bool
s_has(const struct http_response *r, const char *header, const char *needle)
{
	char v[1024];
	return http_header(r, header, v, sizeof(v)) != NULL && strstr(v, needle) != NULL;
}

/* An event stream opened with `cookie`: the socket once its snapshot came, or -1. */
static int
s_stream(int port, const char *cookie)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	char buf[65536];
	int n = snprintf(buf, sizeof(buf), "GET /api/events HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n"
	                 "Connection: close\r\n\r\n", cookie);
	send(fd, buf, (size_t)n, MSG_NOSIGNAL);
	size_t got = 0;
	int64_t end = vt_rig_now_ms() + 5000;
	while (vt_rig_now_ms() < end && got < sizeof(buf) - 1) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 200) != 1)
			continue;
		ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
		if (strstr(buf, "event: snapshot") != NULL)
			return fd;
	}
	close(fd);
	return -1;
}

/* Does the server end the stream within timeout_ms? (What it sends meanwhile is read.) */
static bool
s_stream_ends(int fd, int timeout_ms)
{
	char buf[65536];
	int64_t end = vt_rig_now_ms() + timeout_ms;
	while (vt_rig_now_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 200) == 1 && recv(fd, buf, sizeof(buf), 0) <= 0)
			return true;
	}
	return false;
}

/* ---- login ------------------------------------------------------------------------- */

Test(web_http, login_refuses_the_wrong_and_lets_the_right_in, .init = s_setup,
     .fini = s_teardown, .timeout = 60)
{
	struct http_response r;
	cr_assert_eq(http_get(web_.port, "/", "", &r), 0);
	cr_expect_eq(r.status, 303, "no session: to the login page");
	cr_expect(s_has(&r, "Location", "/login"));
	http_response_free(&r);
	cr_assert_eq(http_get(web_.port, "/login", "", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect(s_has(&r, "Content-Security-Policy", "default-src 'none'; script-src 'self'"));
	cr_expect(s_has(&r, "Content-Security-Policy", "frame-ancestors 'none'"));
	cr_expect(s_has(&r, "X-Content-Type-Options", "nosniff"));
	cr_expect(s_has(&r, "X-Frame-Options", "DENY"));
	cr_expect_not_null(strstr(r.body, "<form id=\"login-form\""));
	http_response_free(&r);

	char cookie[128], csrf[80];
	cr_expect_eq(web_login(web_.port, WEB_NURSE, "anna-pass-2", cookie, csrf), 401);
	cr_expect_str_eq(cookie, "", "no cookie for a wrong password");
	cr_expect_eq(web_login(web_.port, "nobody", WEB_NURSE_PASSWORD, cookie, csrf), 401,
	             "an unknown user is refused like a wrong password");
	cr_expect_eq(web_login(web_.port, WEB_NURSE, "", cookie, csrf), 400);

	/* A login from another site's form: no X-Requested-With, or a foreign Origin. */
	cr_assert_eq(http_post(web_.port, "/api/login", "", "user=anna&password=anna-pass-1", &r), 0);
	cr_expect_eq(r.status, 403, "a cross-site login form is refused");
	http_response_free(&r);
	char req[1024];
	int n = snprintf(req, sizeof(req),
	                 "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://evil.example\r\n"
	                 "X-Requested-With: vitals-web\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	                 "Content-Length: 29\r\nConnection: close\r\n\r\nuser=anna&password=anna-pass-1",
	                 web_.port);
	cr_assert_eq(http_raw(NULL, web_.port, req, (size_t)n, &r, 10000), 0);
	cr_expect_eq(r.status, 403);
	cr_expect_null(http_header(&r, "Set-Cookie", req, sizeof(req)));
	http_response_free(&r);

	cr_assert_eq(web_login(web_.port, WEB_NURSE, WEB_NURSE_PASSWORD, cookie, csrf), 200);
	cr_expect_eq(strncmp(cookie, "vitals-session=", 15), 0, "%s", cookie);
	cr_expect_eq(strlen(cookie), 15 + 64);
	cr_expect_eq(strlen(csrf), 64);
	/* The cookie's attributes, as sent. */
	cr_assert_eq(http_post(web_.port, "/api/login", "X-Requested-With: vitals-web\r\n",
	                       "user=anna&password=anna-pass-1", &r), 0);
	char set[256];
	cr_assert_not_null(http_header(&r, "Set-Cookie", set, sizeof(set)));
	cr_expect_not_null(strstr(set, "; HttpOnly"), "%s", set);
	cr_expect_not_null(strstr(set, "; SameSite=Strict"), "%s", set);
	cr_expect_not_null(strstr(set, "; Path=/"), "%s", set);
	cr_expect(s_has(&r, "Cache-Control", "no-store"));
	http_response_free(&r);

	char hdr[256];
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\n", cookie);
	cr_assert_eq(http_get(web_.port, "/", hdr, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_not_null(strstr(r.body, "Central station"));
	http_response_free(&r);
	cr_assert_eq(http_get(web_.port, "/api/me", hdr, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_not_null(strstr(r.body, "\"user\":\"anna\""), "%s", r.body);
	cr_expect_not_null(strstr(r.body, "\"role\":\"nurse\""), "%s", r.body);
	http_response_free(&r);

	/* Logged out: the cookie is worth nothing. */
	char token[400];
	snprintf(token, sizeof(token), "Cookie: %s\r\nX-CSRF-Token: %s\r\n", cookie, csrf);
	cr_assert_eq(http_post(web_.port, "/api/logout", token, "", &r), 0);
	cr_expect_eq(r.status, 200);
	http_response_free(&r);
	cr_assert_eq(http_get(web_.port, "/api/me", hdr, &r), 0);
	cr_expect_eq(r.status, 401);
	http_response_free(&r);
}

Test(web_http, a_session_id_planted_before_the_login_is_worth_nothing, .init = s_setup,
     .fini = s_teardown, .timeout = 60)
{
	/* An attacker's chosen id, and a real session of a first login, both sent with a login. */
	const char *planted = "vitals-session="
	                      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char first[128], csrf[80], hdr[512];
	cr_assert_eq(web_login(web_.port, WEB_NURSE, WEB_NURSE_PASSWORD, first, csrf), 200);
	struct http_response r;
	snprintf(hdr, sizeof(hdr), "X-Requested-With: vitals-web\r\nCookie: %s\r\n", first);
	cr_assert_eq(http_post(web_.port, "/api/login", hdr, "user=anna&password=anna-pass-1", &r), 0);
	cr_expect_eq(r.status, 200);
	char set[256];
	cr_assert_not_null(http_header(&r, "Set-Cookie", set, sizeof(set)));
	cr_expect_neq(strncmp(set, first, strlen(first)), 0, "a login always makes a new id");
	http_response_free(&r);
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\n", first);
	cr_assert_eq(http_get(web_.port, "/api/me", hdr, &r), 0);
	cr_expect_eq(r.status, 401, "the session the browser came with ended at the new login");
	http_response_free(&r);

	snprintf(hdr, sizeof(hdr), "X-Requested-With: vitals-web\r\nCookie: %s\r\n", planted);
	cr_assert_eq(http_post(web_.port, "/api/login", hdr, "user=anna&password=anna-pass-1", &r), 0);
	cr_assert_not_null(http_header(&r, "Set-Cookie", set, sizeof(set)));
	cr_expect_null(strstr(set, "0123456789abcdef0123"), "the planted id is not adopted");
	http_response_free(&r);
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\n", planted);
	cr_assert_eq(http_get(web_.port, "/api/me", hdr, &r), 0);
	cr_expect_eq(r.status, 401);
	http_response_free(&r);
}

Test(web_http, password_guessing_is_slowed_down, .fini = s_teardown, .timeout = 60)
{
	const char *extra[] = {"--login-burst", "3", "--login-refill", "1h", NULL};
	s_start(extra);
	char cookie[128], csrf[80];
	for (int i = 0; i < 3; i++)
		cr_expect_eq(web_login(web_.port, WEB_NURSE, "guess-guess", cookie, csrf), 401, "guess %d", i);
	struct http_response r;
	cr_assert_eq(http_post(web_.port, "/api/login", "X-Requested-With: vitals-web\r\n",
	                       "user=anna&password=anna-pass-1", &r), 0);
	cr_expect_eq(r.status, 429, "after three failures even the right password waits");
	char retry[32];
	cr_expect_not_null(http_header(&r, "Retry-After", retry, sizeof(retry)));
	cr_expect_gt(atoi(retry), 3000, "an hour's refill: %s s", retry);
	http_response_free(&r);
	/* The wall screen's account is not held up by guesses at anna's... but this address is. */
	cr_expect_eq(web_login(web_.port, WEB_VIEWER, WEB_VIEWER_PASSWORD, cookie, csrf), 429);
	char *log = vt_rig_slurp(web_.log, NULL);
	cr_expect_not_null(strstr(log, "failed login as \"anna\" from 127.0.0.1; further tries are slowed down"),
	                   "%s", log);
	free(log);
}

/* ---- forged requests and roles -------------------------------------------------------- */

Test(web_http, forged_and_foreign_requests_never_reach_the_daemon, .init = s_setup,
     .fini = s_teardown, .timeout = 90)
{
	s_raise_alarm();
	char cookie[128], csrf[80];
	cr_assert_eq(web_login(web_.port, WEB_NURSE, WEB_NURSE_PASSWORD, cookie, csrf), 200);
	struct http_response r;
	char hdr[512];
	/* No token: what a form on another site (or an <img>) can send with the cookie. */
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\n", cookie);
	cr_assert_eq(http_post(web_.port, "/api/ack", hdr, "id=" ALERT_ID, &r), 0);
	cr_expect_eq(r.status, 403);
	cr_expect_not_null(strstr(r.body, "forged"), "%s", r.body);
	http_response_free(&r);
	/* A token one digit off (guessed, or tampered with): refused like none. */
	char other[80];
	snprintf(other, sizeof(other), "%s", csrf);
	other[63] = other[63] == '0' ? '1' : '0'; /* one digit off */
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\nX-CSRF-Token: %s\r\n", cookie, other);
	cr_assert_eq(http_post(web_.port, "/api/silence", hdr, "bed=chair-1", &r), 0);
	cr_expect_eq(r.status, 403);
	http_response_free(&r);
	/* The right token, from another site's page. */
	char req[2048];
	int n = snprintf(req, sizeof(req),
	                 "POST /api/ack HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:1\r\n"
	                 "Cookie: %s\r\nX-CSRF-Token: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	                 "Content-Length: %zu\r\nConnection: close\r\n\r\nid=" ALERT_ID,
	                 web_.port, cookie, csrf, strlen("id=" ALERT_ID));
	cr_assert_eq(http_raw(NULL, web_.port, req, (size_t)n, &r, 10000), 0);
	cr_expect_eq(r.status, 403);
	http_response_free(&r);
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\nX-CSRF-Token: %s\r\nSec-Fetch-Site: same-site\r\n",
	         cookie, csrf);
	cr_assert_eq(http_post(web_.port, "/api/ack", hdr, "id=" ALERT_ID, &r), 0);
	cr_expect_eq(r.status, 403, "a sibling site on the same host is another origin");
	http_response_free(&r);
	/* The browser cannot choose who acted. */
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\nX-CSRF-Token: %s\r\n", cookie, csrf);
	cr_assert_eq(http_post(web_.port, "/api/ack", hdr, "id=" ALERT_ID "&by=mallory", &r), 0);
	cr_expect_eq(r.status, 400);
	http_response_free(&r);
	cr_expect(s_daemon_says("\"acknowledged\":false"), "nothing was acknowledged so far");
	cr_expect(s_daemon_says("\"silenced\":{\"chair-1\":null"), "nothing was paused so far");

	/* No session at all. */
	cr_assert_eq(http_post(web_.port, "/api/ack", "X-CSRF-Token: x\r\n", "id=" ALERT_ID, &r), 0);
	cr_expect_eq(r.status, 401);
	http_response_free(&r);

	/* The wall screen may watch, never act. */
	char vcookie[128], vcsrf[80];
	cr_assert_eq(web_login(web_.port, WEB_VIEWER, WEB_VIEWER_PASSWORD, vcookie, vcsrf), 200);
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\nX-CSRF-Token: %s\r\n", vcookie, vcsrf);
	cr_assert_eq(http_post(web_.port, "/api/ack", hdr, "id=" ALERT_ID, &r), 0);
	cr_expect_eq(r.status, 403);
	cr_expect_not_null(strstr(r.body, "read-only"), "%s", r.body);
	http_response_free(&r);
	cr_expect(s_daemon_says("\"acknowledged\":false"));

	/* And the real thing, done by anna, recorded by the daemon as anna. */
	void *sub = vt_rig_sub(daemon_.pub, "alert.", 0);
	vt_rig_sleep_ms(300); /* the subscription takes effect */
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\nX-CSRF-Token: %s\r\n", cookie, csrf);
	cr_assert_eq(http_post(web_.port, "/api/ack", hdr, "id=" ALERT_ID, &r), 0);
	cr_expect_eq(r.status, 200, "%s", r.body);
	http_response_free(&r);
	cr_expect(vt_rig_wait_msg(sub, "alert.chair-1", "\"by\":\"anna\"", 5000),
	          "the acknowledged event names anna");
	cr_expect(s_daemon_says("\"acknowledged\":true"));
	/* A daemon refusal comes back as such. */
	cr_assert_eq(http_post(web_.port, "/api/ack", hdr, "id=chair-9/x/1", &r), 0);
	cr_expect_eq(r.status, 409);
	cr_expect_not_null(strstr(r.body, "no active alert"), "%s", r.body);
	http_response_free(&r);
	cr_assert_eq(http_post(web_.port, "/api/phase", hdr,
	                       "bed=chair-1&phase=infusion&weight_kg=72&dose_mg_per_kg_h=0.5", &r), 0);
	cr_expect_eq(r.status, 200, "%s", r.body);
	http_response_free(&r);
	cr_expect(s_daemon_says("\"phase\":\"infusion\""));
	cr_expect(s_daemon_says("\"weight_kg\":72"));
	zmq_close(sub);
	vt_rig_zctx_term();
	char *log = vt_rig_slurp(web_.log, NULL);
	cr_expect_not_null(strstr(log, "web: anna acknowledged " ALERT_ID), "%s", log);
	cr_expect_not_null(strstr(log, "refused /api/ack from 127.0.0.1"), "%s", log);
	free(log);
}

/* ---- bounds --------------------------------------------------------------------------- */

Test(web_http, oversized_malformed_and_unknown_requests, .init = s_setup, .fini = s_teardown,
     .timeout = 60)
{
	char cookie[128], csrf[80], hdr[512];
	cr_assert_eq(web_login(web_.port, WEB_NURSE, WEB_NURSE_PASSWORD, cookie, csrf), 200);
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\nX-CSRF-Token: %s\r\n", cookie, csrf);
	struct http_response r;
	char *big = malloc(8001);
	memset(big, 'a', 8000);
	memcpy(big, "id=", 3);
	big[8000] = '\0';
	cr_assert_eq(http_post(web_.port, "/api/ack", hdr, big, &r), 0);
	cr_expect_eq(r.status, 413);
	http_response_free(&r);
	free(big);
	cr_assert_eq(http_post(web_.port, "/api/ack", hdr, "id=%zz", &r), 0);
	cr_expect_eq(r.status, 400);
	http_response_free(&r);
	cr_assert_eq(http_post(web_.port, "/api/nothing", hdr, "", &r), 0);
	cr_expect_eq(r.status, 404);
	http_response_free(&r);
	const char *del = "DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	cr_assert_eq(http_raw(NULL, web_.port, del, strlen(del), &r, 5000), 0);
	cr_expect_eq(r.status, 405);
	http_response_free(&r);
	/* Headers beyond the connection's memory: refused, and the server goes on. */
	size_t len = 64 * 1024;
	char *flood = malloc(len + 200);
	int n = snprintf(flood, len + 200, "GET /login HTTP/1.1\r\nHost: x\r\nX-Junk: ");
	memset(flood + n, 'j', len);
	memcpy(flood + n + len, "\r\n\r\n", 5);
	cr_assert_eq(http_raw(NULL, web_.port, flood, strlen(flood), &r, 5000), 0);
	cr_expect(r.status == 431 || r.status == 413 || r.status == 0, "status %d", r.status);
	http_response_free(&r);
	free(flood);
	cr_assert_eq(http_get(web_.port, "/login", "", &r), 0);
	cr_expect_eq(r.status, 200);
	http_response_free(&r);
	/* The stream is for logged-in users only. */
	cr_assert_eq(http_get(web_.port, "/api/events", "", &r), 0);
	cr_expect_eq(r.status, 401);
	http_response_free(&r);
}

Test(web_http, slow_clients_are_cut_off_and_do_not_starve_others, .fini = s_teardown,
     .timeout = 60)
{
	const char *extra[] = {"--timeout", "2", "--per-address", "4", NULL};
	s_start(extra);
	/* A slowloris from 127.0.0.2: connections that send half a request and stop. */
	int fds[5];
	int opened = 0;
	for (int i = 0; i < 5; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
		inet_pton(AF_INET, "127.0.0.2", &src.sin_addr);
		inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
		dst.sin_port = htons((uint16_t)web_.port);
		cr_assert_eq(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
		cr_assert_eq(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
		const char *part = "GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
		if (send(fd, part, strlen(part), MSG_NOSIGNAL) > 0)
			opened++;
		fds[i] = fd;
	}
	cr_expect_eq(opened, 5);
	/* The fifth from that address is over its limit: closed at once. */
	struct pollfd p = {.fd = fds[4], .events = POLLIN};
	char c;
	cr_expect(poll(&p, 1, 2000) == 1 && recv(fds[4], &c, 1, 0) <= 0,
	          "a fifth connection from one address is refused");
	/* Meanwhile a nurse elsewhere is served. */
	struct http_response r;
	const char *get = "GET /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	cr_assert_eq(http_raw("127.0.0.1", web_.port, get, strlen(get), &r, 5000), 0);
	cr_expect_eq(r.status, 200);
	http_response_free(&r);
	/* The slow ones are closed after the idle timeout (2 s), not kept forever. */
	int closed = 0;
	int64_t end = vt_rig_now_ms() + 8000;
	for (int i = 0; i < 4; i++) {
		struct pollfd q = {.fd = fds[i], .events = POLLIN};
		int64_t left = end - vt_rig_now_ms();
		if (left > 0 && poll(&q, 1, (int)left) == 1 && recv(fds[i], &c, 1, 0) <= 0)
			closed++;
	}
	cr_expect_eq(closed, 4, "only %d of 4 slow connections were closed within 8 s", closed);
	for (int i = 0; i < 5; i++)
		close(fds[i]);
}

/* ---- the page's files --------------------------------------------------------------------- */

Test(web_http, the_page_files_are_cached_by_content, .init = s_setup, .fini = s_teardown,
     .timeout = 60)
{
	struct http_response r;
	cr_assert_eq(http_get(web_.port, "/login", "", &r), 0);
	const char *css = strstr(r.body, "/static/station.css?v=");
	cr_assert_not_null(css, "the page names its style sheet by content: %s", r.body);
	char path[128];
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(css, "\""), css);
	cr_expect(s_has(&r, "Cache-Control", "no-cache"), "the page itself is checked each time");
	http_response_free(&r);
	cr_assert_eq(http_get(web_.port, path, "", &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect(s_has(&r, "Cache-Control", "immutable"));
	cr_expect(s_has(&r, "Content-Type", "text/css"));
	char etag[128], hdr[256];
	cr_assert_not_null(http_header(&r, "ETag", etag, sizeof(etag)));
	http_response_free(&r);
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", etag);
	cr_assert_eq(http_get(web_.port, "/static/station.js", hdr, &r), 0);
	cr_expect_eq(r.status, 200, "another file's tag does not match");
	http_response_free(&r);
	cr_assert_eq(http_get(web_.port, "/static/station.css", hdr, &r), 0);
	cr_expect_eq(r.status, 304);
	http_response_free(&r);
	cr_assert_eq(http_get(web_.port, "/static/../vitalsd.yaml", "", &r), 0);
	cr_expect_eq(r.status, 404);
	http_response_free(&r);
	cr_assert_eq(http_get(web_.port, "/static/index.html", "", &r), 0);
	cr_expect_eq(r.status, 404, "the station page is served only to the logged-in");
	http_response_free(&r);
}

/* ---- TLS, and where plain HTTP may go ----------------------------------------------------------- */

Test(web_http, tls_with_a_certificate_and_plain_http_only_on_loopback, .fini = s_teardown,
     .timeout = 60)
{
	const char *cert = vt_rig_root("tests/data/web/tls-test.crt");
	char cert_path[400], key_path[400];
	snprintf(cert_path, sizeof(cert_path), "%s", cert);
	snprintf(key_path, sizeof(key_path), "%s", vt_rig_root("tests/data/web/tls-test.key"));
	const char *extra[] = {"--tls-cert", cert_path, "--tls-key", key_path, NULL};
	s_start(extra);
	char url[128];
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/login", web_.port);
	if (access("/usr/bin/curl", X_OK) != 0)
		cr_skip_test("/usr/bin/curl is missing; install the Debian package curl (scripts/deps.sh does)");
	char *argv[] = {"/usr/bin/curl", "-sS", "-i", "--cacert", cert_path, url, NULL};
	struct vt_rig_output rr;
	cr_assert_geq(vt_rig_run(argv, &rr), 0, "cannot run curl");
	cr_expect_eq(rr.status, 0, "curl: %s", rr.err);
	cr_expect_not_null(strstr(rr.out, "HTTP/1.1 200"), "%s", rr.out);
	cr_expect_not_null(strstr(rr.out, "Strict-Transport-Security: max-age="), "%s", rr.out);
	vt_rig_output_free(&rr);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/login", web_.port);
	char *plain[] = {"/usr/bin/curl", "-sS", "-i", "--max-time", "5", url, NULL};
	cr_assert_geq(vt_rig_run(plain, &rr), 0);
	cr_expect_null(strstr(rr.out, "HTTP/1.1 200"), "no plain HTTP on a TLS port");
	vt_rig_output_free(&rr);

	/* Plain HTTP on an address other machines reach is refused at start. */
	char listen[32];
	snprintf(listen, sizeof(listen), "0.0.0.0:%d", vt_rig_free_port());
	char *web[] = {(char *)vt_rig_build("vitals-web"), "--listen", listen, "--users", users_,
	               "--connect", daemon_.pub, "--control", daemon_.ctl, NULL};
	cr_assert_geq(vt_rig_run(web, &rr), 0);
	cr_expect_eq(rr.status, 78, "EX_CONFIG; said: %s", rr.err);
	cr_expect_not_null(strstr(rr.err, "plain HTTP is served on a loopback address only"), "%s", rr.err);
	vt_rig_output_free(&rr);
	char *badtls[] = {(char *)vt_rig_build("vitals-web"), "--listen", listen, "--users", users_,
	                  "--tls-cert", cert_path, NULL};
	cr_assert_geq(vt_rig_run(badtls, &rr), 0);
	cr_expect_eq(rr.status, 78, "%s", rr.err);
	cr_expect_not_null(strstr(rr.err, "--tls-cert and --tls-key go together"), "%s", rr.err);
	vt_rig_output_free(&rr);
}

/* ---- the users file ---------------------------------------------------------------------------- */

Test(web_http, passwd_and_a_reload_by_sighup, .init = s_setup, .fini = s_teardown, .timeout = 60)
{
	char cookie[128], csrf[80];
	cr_expect_eq(web_login(web_.port, "bea", "bea-pass-123", cookie, csrf), 401);
	cr_assert_eq(web_passwd(users_, "bea", "nurse", "bea-pass-123"), 0);
	cr_expect_eq(web_passwd(users_, "cid", "nurse", "short"), 65, "EX_DATAERR for a short password");
	cr_expect_eq(web_passwd(users_, "dan", "surgeon", "dan-pass-123"), 64, "EX_USAGE for a bad role");
	cr_expect_eq(web_passwd(users_, "-x", "nurse", "dan-pass-123"), 64);
	char *text = vt_rig_slurp(users_, NULL);
	cr_expect_not_null(strstr(text, "\nbea:nurse:$argon2id$"), "%s", text);
	cr_expect_null(strstr(text, "bea-pass-123"), "never the password itself");
	free(text);
	kill(web_.pid, SIGHUP);
	int64_t end = vt_rig_now_ms() + 5000;
	int status = 401;
	while (vt_rig_now_ms() < end && (status = web_login(web_.port, "bea", "bea-pass-123", cookie, csrf)) != 200)
		vt_rig_sleep_ms(100);
	cr_expect_eq(status, 200, "bea can log in after the reload");
	int stream = s_stream(web_.port, cookie);
	cr_assert_geq(stream, 0, "bea's station page gets no event stream");
	cr_expect(!s_stream_ends(stream, 1500), "her stream goes on while she is a user");

	/* Removed from the file: her session ends at the next reload. */
	char *argv[] = {(char *)vt_rig_build("vitals-web"), "passwd", "--delete", users_, "bea", NULL};
	struct vt_rig_output rr;
	cr_assert_geq(vt_rig_run(argv, &rr), 0);
	cr_expect_eq(rr.status, 0, "%s", rr.err);
	vt_rig_output_free(&rr);
	kill(web_.pid, SIGHUP);
	char hdr[256];
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\n", cookie);
	struct http_response r = {0};
	end = vt_rig_now_ms() + 5000;
	do {
		http_response_free(&r);
		vt_rig_sleep_ms(100);
		cr_assert_eq(http_get(web_.port, "/api/me", hdr, &r), 0);
	} while (r.status != 401 && vt_rig_now_ms() < end);
	cr_expect_eq(r.status, 401);
	http_response_free(&r);
	cr_expect(s_stream_ends(stream, 5000), "the removed user's open page kept its stream");
	close(stream);

	/* A broken file is refused by passwd and by the reload; the users stay as they were. */
	FILE *f = fopen(users_, "a");
	fputs("broken\n", f);
	fclose(f);
	cr_expect_eq(web_passwd(users_, "eve", "nurse", "eve-pass-123"), 65);
	kill(web_.pid, SIGHUP);
	vt_rig_sleep_ms(500);
	cr_expect_eq(web_login(web_.port, WEB_NURSE, WEB_NURSE_PASSWORD, cookie, csrf), 200);
	char *log = vt_rig_slurp(web_.log, NULL);
	cr_expect_not_null(strstr(log, "web-users:3:7: expected NAME:ROLE:HASH"), "%s", log);
	free(log);
}
