/*
 * The control client (see vitals/client.h). It uses a REQ socket made
 * forgiving: ZMQ_REQ_RELAXED lets a new request follow one that never got
 * its reply, ZMQ_REQ_CORRELATE drops a late reply to that older request,
 * ZMQ_IMMEDIATE keeps requests out of the queue of a connection that is
 * not up (so nothing is delivered long after the user gave up), and
 * ZMQ_LINGER 0 lets the program exit at once whatever is pending.
 */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "vitals/console/client.h"
#include "vitals/console/model.h"
#include "vitals/io/curve.h"

/* A reply larger than this is not from vitalsd: the connection is dropped. */
#define VT_CLIENT_MAX_REPLY (64 * 1024 * 1024)

struct vt_client {
	void *sock;        /* ZMQ_REQ, relaxed and correlating */
	char *endpoint;    /* as given, for messages */
	char *body;        /* the request in flight; NULL when idle */
	bool sent;         /* body handed to a connected peer */
	int64_t deadline;  /* when the request in flight expires */
};

static int64_t
s_clock_ms(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
vt_client_now(void)
{
	return s_clock_ms(CLOCK_MONOTONIC);
}

struct vt_client *
vt_client_new(void *zctx, const char *endpoint, const struct vt_curve_keys *keys,
              int *bad_endpoint, char *err, size_t errlen)
{
	*bad_endpoint = 0;
	struct vt_client *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->endpoint = strdup(endpoint)) == NULL) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->sock = zmq_socket(zctx, ZMQ_REQ);
	if (c->sock == NULL) {
		snprintf(err, errlen, "cannot make a socket: %s", zmq_strerror(errno));
		vt_client_free(&c);
		return NULL;
	}
	int one = 1, zero = 0;
	int64_t maxmsg = VT_CLIENT_MAX_REPLY;
	zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(c->sock, ZMQ_REQ_RELAXED, &one, sizeof(one));
	zmq_setsockopt(c->sock, ZMQ_REQ_CORRELATE, &one, sizeof(one));
	zmq_setsockopt(c->sock, ZMQ_IMMEDIATE, &one, sizeof(one));
	zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	if (keys != NULL && vt_curve_client(c->sock, keys->server, keys->pub, keys->sec) != 0) {
		snprintf(err, errlen, "cannot use CURVE: %s", zmq_strerror(errno));
		vt_client_free(&c);
		return NULL;
	}
	if (zmq_connect(c->sock, endpoint) != 0) {
		int e = errno;
		*bad_endpoint = e == EINVAL || e == EPROTONOSUPPORT || e == ENOCOMPATPROTO;
		snprintf(err, errlen, "cannot connect to %s: %s", endpoint, zmq_strerror(e));
		vt_client_free(&c);
		return NULL;
	}
	c->deadline = INT64_MAX;
	return c;
}

void
vt_client_free(struct vt_client **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	struct vt_client *c = *cp;
	if (c->sock != NULL)
		zmq_close(c->sock);
	free(c->body);
	free(c->endpoint);
	free(c);
	*cp = NULL;
}

const char *
vt_client_endpoint(const struct vt_client *c)
{
	return c->endpoint;
}

void *
vt_client_socket(struct vt_client *c)
{
	return c->sock;
}

short
vt_client_events(const struct vt_client *c)
{
	if (c->body == NULL)
		return 0;
	return c->sent ? ZMQ_POLLIN : ZMQ_POLLOUT;
}

int64_t
vt_client_deadline(const struct vt_client *c)
{
	return c->body == NULL ? INT64_MAX : c->deadline;
}

int
vt_client_start(struct vt_client *c, const char *json, int64_t deadline)
{
	if (c->body != NULL)
		return -1;
	c->body = strdup(json);
	if (c->body == NULL)
		return -1;
	c->sent = false;
	c->deadline = deadline;
	return 0;
}

/* Forget the request in flight. */
static void
s_end(struct vt_client *c)
{
	free(c->body);
	c->body = NULL;
	c->sent = false;
	c->deadline = INT64_MAX;
}

/* Take one whole reply if there is one: 1 with *reply, 0 if none yet. */
static int
s_take_reply(struct vt_client *c, char **reply)
{
	zmq_msg_t m;
	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&m);
		return 0;
	}
	size_t n = zmq_msg_size(&m);
	char *s = malloc(n + 1);
	if (s != NULL) {
		memcpy(s, zmq_msg_data(&m), n);
		s[n] = '\0';
	}
	/* vitalsd replies in one frame; anything after it is not ours to read. */
	bool more = zmq_msg_more(&m);
	zmq_msg_close(&m);
	while (more) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, c->sock, 0) < 0)
			more = false;
		else
			more = zmq_msg_more(&m);
		zmq_msg_close(&m);
	}
	if (s == NULL)
		s = strdup("{\"ok\":false,\"error\":\"out of memory in the client\"}");
	*reply = s;
	return 1;
}

enum vt_client_status
vt_client_progress(struct vt_client *c, int64_t now, char **reply)
{
	*reply = NULL;
	if (c->body == NULL)
		return VT_CLIENT_IDLE;
	if (!c->sent) {
		if (zmq_send(c->sock, c->body, strlen(c->body), ZMQ_DONTWAIT) >= 0)
			c->sent = true;
		else if (errno != EAGAIN || now >= c->deadline) {
			s_end(c);
			return VT_CLIENT_UNREACHABLE;
		} else {
			return VT_CLIENT_WAITING;
		}
	}
	if (s_take_reply(c, reply)) {
		s_end(c);
		return VT_CLIENT_REPLY;
	}
	if (now >= c->deadline) {
		s_end(c);
		return VT_CLIENT_TIMEOUT;
	}
	return VT_CLIENT_WAITING;
}

enum vt_client_status
vt_client_request(struct vt_client *c, const char *json, int64_t timeout_ms, char **reply)
{
	*reply = NULL;
	if (vt_client_start(c, json, vt_client_now() + timeout_ms) != 0)
		return VT_CLIENT_UNREACHABLE;
	for (;;) {
		int64_t now = vt_client_now();
		enum vt_client_status st = vt_client_progress(c, now, reply);
		if (st != VT_CLIENT_WAITING)
			return st;
		zmq_pollitem_t item = {.socket = c->sock, .events = vt_client_events(c)};
		long wait = (long)(c->deadline - now);
		if (zmq_poll(&item, 1, wait > 0 ? wait : 0) < 0 && errno != EINTR) {
			s_end(c);
			return VT_CLIENT_UNREACHABLE;
		}
	}
}

void *
vt_client_subscribe(void *zctx, const char *endpoint, const struct vt_curve_keys *keys, char *err,
                    size_t errlen)
{
	void *sub = zmq_socket(zctx, ZMQ_SUB);
	if (sub == NULL) {
		snprintf(err, errlen, "cannot make a socket: %s", zmq_strerror(errno));
		return NULL;
	}
	int linger = 0;
	zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
	if ((keys != NULL && vt_curve_client(sub, keys->server, keys->pub, keys->sec) != 0) ||
	    zmq_connect(sub, endpoint) != 0) {
		int e = errno;
		snprintf(err, errlen, "cannot connect to %s: %s", endpoint, zmq_strerror(e));
		zmq_close(sub);
		errno = e;
		return NULL;
	}
	return sub;
}

size_t
vt_client_drain(void *sub, struct vt_console *m, size_t max)
{
	size_t taken = 0;
	while (taken < max) {
		zmq_msg_t topic, body;
		zmq_msg_init(&topic);
		if (zmq_msg_recv(&topic, sub, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&topic);
			break;
		}
		taken++;
		bool more = zmq_msg_more(&topic);
		zmq_msg_close(&topic);
		if (!more)
			continue;
		zmq_msg_init(&body);
		if (zmq_msg_recv(&body, sub, 0) >= 0)
			vt_console_message(m, zmq_msg_data(&body), zmq_msg_size(&body), vt_client_now());
		while (zmq_msg_more(&body)) { /* not ours: a third frame */
			zmq_msg_close(&body);
			zmq_msg_init(&body);
			if (zmq_msg_recv(&body, sub, 0) < 0)
				break;
		}
		zmq_msg_close(&body);
	}
	return taken;
}

void
vt_client_sync(struct vt_client *snap, struct vt_console *m, int64_t now, char *problem, size_t len)
{
	if (vt_console_wants_snapshot(m, now) && snap->body == NULL &&
	    vt_client_start(snap, "{\"cmd\":\"snapshot\"}", now + VT_CLIENT_TIMEOUT_MS) == 0)
		vt_console_snapshot_sent(m, now);
	char *reply = NULL;
	enum vt_client_status st = vt_client_progress(snap, now, &reply);
	if (st == VT_CLIENT_REPLY) {
		char err[256];
		if (vt_console_snapshot(m, reply, strlen(reply), now, err, sizeof(err)) != 0)
			snprintf(problem, len, "snapshot refused: %.150s", err);
		else
			problem[0] = '\0';
	} else if (st == VT_CLIENT_UNREACHABLE || st == VT_CLIENT_TIMEOUT) {
		vt_console_snapshot_failed(m, now);
		snprintf(problem, len, "the control socket %s does not answer", snap->endpoint);
	}
	free(reply);
}

void
vt_client_default_by(char *buf, size_t len)
{
	const char *user = getenv("USER");
	if (user == NULL || *user == '\0') {
		struct passwd *pw = getpwuid(getuid());
		user = pw != NULL ? pw->pw_name : "unknown";
	}
	char host[256];
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	int n = snprintf(buf, len, "%s@%s", user, host);
	/* Cut short: do not leave half a UTF-8 character, which JSON cannot carry. */
	if (n >= 0 && (size_t)n >= len) {
		size_t end = strlen(buf);
		while (end > 0 && ((unsigned char)buf[end - 1] & 0x80))
			buf[--end] = '\0';
	}
}

int64_t
vt_client_wall_ms(void)
{
	return s_clock_ms(CLOCK_REALTIME);
}

const char *
vt_client_clock(int64_t ms, char *buf, size_t len)
{
	if (ms <= 0)
		return "--:--:--";
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
	return buf;
}
