/*
 * The control socket's transport: a ROUTER bound on every control
 * endpoint. REQ clients send [identity, "", body]; DEALER clients may send
 * [identity, body]; either way the reply goes back with the same envelope.
 * Everything is non-blocking: the replies of a client that never reads them
 * are dropped at the high-water mark; it cannot stall the daemon.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "vitals/io/conns.h"
#include "vitals/io/control.h"
#include "vitals/io/curve.h"
#include "vitals/wire/control_request.h"

/* Frames kept for the reply envelope; more are answered with an error. */
#define VT_CONTROL_MAX_FRAMES 8
/*
 * The memory bound: ZeroMQ closes the connection of a peer that sends a
 * message larger than this, without a reply (it cannot be read to answer
 * it). Anything up to it is read and, past VT_CONTROL_MAX_REQUEST, answered
 * "request too large". With at most VT_CONTROL_RCVHWM requests queued per
 * client, one client can hold at most 100 MiB, and only for as long as the
 * loop takes to refuse them unparsed.
 */
#define VT_CONTROL_MAX_MSG (1024 * 1024)
#define VT_CONTROL_RCVHWM 100

struct vt_control {
	void *sock;                               /* ZMQ_ROUTER */
	struct vt_conns *conns;                   /* its connections */
	zmq_msg_t env[VT_CONTROL_MAX_FRAMES];     /* envelope of the pending request */
	int n_env;                                /* frames in env */
	zmq_msg_t body;                           /* body of the pending request */
	bool pending;                             /* a request awaits its reply */
};

struct vt_control *
vt_control_new(void *zctx, char *const *endpoints, size_t n, const char *curve_secret,
               const struct vt_limits *limits, char *err, size_t errlen)
{
	struct vt_control *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->sock = zmq_socket(zctx, ZMQ_ROUTER);
	if (c->sock == NULL) {
		snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
		free(c);
		return NULL;
	}
	int linger = 0, hwm = 1000, rcvhwm = VT_CONTROL_RCVHWM;
	int64_t maxmsg = VT_CONTROL_MAX_MSG;
	zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(c->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(c->sock, ZMQ_RCVHWM, &rcvhwm, sizeof(rcvhwm));
	zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	if (curve_secret != NULL && vt_curve_server(c->sock, curve_secret) != 0) {
		snprintf(err, errlen, "control: CURVE: %s", zmq_strerror(errno));
		vt_control_free(&c);
		return NULL;
	}
	c->conns = vt_conns_new(zctx, c->sock, "control", limits->control_connections, err, errlen);
	if (c->conns == NULL) {
		vt_control_free(&c);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (vt_conns_bind(c->conns, endpoints[i], err, errlen) != 0) {
			vt_control_free(&c);
			return NULL;
		}
	}
	return c;
}

static void
s_release(struct vt_control *c)
{
	for (int i = 0; i < c->n_env; i++)
		zmq_msg_close(&c->env[i]);
	c->n_env = 0;
	if (c->pending)
		zmq_msg_close(&c->body);
	c->pending = false;
}

void
vt_control_free(struct vt_control **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	s_release(*cp);
	vt_conns_free(&(*cp)->conns);
	zmq_close((*cp)->sock);
	free(*cp);
	*cp = NULL;
}

void *
vt_control_socket(struct vt_control *c)
{
	return c->sock;
}

/* Send the envelope then `json`, never blocking. */
static void
s_send(struct vt_control *c, const char *json)
{
	for (int i = 0; i < c->n_env; i++)
		if (zmq_msg_send(&c->env[i], c->sock, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
			return; /* peer gone or over its limit: nothing more to do */
	zmq_send(c->sock, json, strlen(json), ZMQ_DONTWAIT);
}

int
vt_control_recv(struct vt_control *c, const char **body, size_t *len)
{
	s_release(c);
	zmq_msg_t frames[VT_CONTROL_MAX_FRAMES + 1];
	int n = 0;
	bool too_many = false;
	for (;;) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, c->sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
			zmq_msg_close(&m);
			break;
		}
		bool more = zmq_msg_more(&m);
		if (n < VT_CONTROL_MAX_FRAMES)
			frames[n++] = m;
		else {
			too_many = true;
			zmq_msg_close(&m);
		}
		if (!more)
			break;
	}
	if (n == 0)
		return 0;
	if (n < 2) {
		/* No identity and body: nothing to answer to. */
		for (int i = 0; i < n; i++)
			zmq_msg_close(&frames[i]);
		return 0;
	}
	for (int i = 0; i < n - 1; i++)
		c->env[i] = frames[i];
	c->n_env = n - 1;
	c->body = frames[n - 1];
	c->pending = true;
	if (too_many) {
		char *e = vt_control_error_reply("too many message frames");
		if (e)
			s_send(c, e);
		free(e);
		s_release(c);
		return 0;
	}
	vt_conns_note(c->conns, &c->body);
	*body = zmq_msg_data(&c->body);
	*len = zmq_msg_size(&c->body);
	return 1;
}

void
vt_control_reply(struct vt_control *c, const char *json)
{
	if (!c->pending)
		return;
	s_send(c, json);
	s_release(c);
}

const char *
vt_control_key(struct vt_control *c)
{
	return c->pending ? zmq_msg_gets(&c->body, "User-Id") : NULL;
}

struct vt_control_later {
	zmq_msg_t env[VT_CONTROL_MAX_FRAMES];
	int n_env;
};

struct vt_control_later *
vt_control_defer(struct vt_control *c)
{
	struct vt_control_later *l = c->pending ? calloc(1, sizeof(*l)) : NULL;
	if (l == NULL)
		return NULL;
	for (int i = 0; i < c->n_env; i++) {
		zmq_msg_init(&l->env[i]);
		zmq_msg_move(&l->env[i], &c->env[i]);
	}
	l->n_env = c->n_env;
	s_release(c);
	return l;
}

void
vt_control_reply_later(struct vt_control *c, struct vt_control_later **lp, const char *json)
{
	struct vt_control_later *l = *lp;
	if (l == NULL)
		return;
	int i = 0;
	for (; i < l->n_env; i++)
		if (zmq_msg_send(&l->env[i], c->sock, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
			break;
	if (i == l->n_env)
		zmq_send(c->sock, json, strlen(json), ZMQ_DONTWAIT);
	for (; i < l->n_env; i++)
		zmq_msg_close(&l->env[i]);
	free(l);
	*lp = NULL;
}

struct vt_conns *
vt_control_conns(struct vt_control *c)
{
	return c->conns;
}
