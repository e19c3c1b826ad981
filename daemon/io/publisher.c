/*
 * The PUB socket. ZeroMQ already does the hard part (fan-out, per
 * subscriber queues, dropping for slow subscribers); this file only sets
 * the limits that keep memory bounded (limits.subscriber_queue messages
 * per subscriber; the connections per endpoint, io/conns.h) and makes
 * sure no call can block.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "vitals/io/conns.h"
#include "vitals/io/curve.h"
#include "vitals/io/publisher.h"

/*
 * ZeroMQ heartbeats on every subscriber connection: a peer that has not
 * answered for VT_PUB_DEAD_MS (a console frozen, its machine gone, a
 * process stopped with its queue full) is dropped, its queue freed; a
 * live one reconnects at once and resynchronises (seq + snapshot).
 */
#define VT_PUB_PING_MS 10000
#define VT_PUB_DEAD_MS 30000
/*
 * The kernel's send buffer of each subscriber connection. Left to itself
 * it grows to 4 MiB for a peer that does not read (tcp_wmem), far more
 * than the subscriber_queue ZeroMQ keeps above it; a console needs a few
 * kilobytes a second.
 */
#define VT_PUB_SNDBUF (128 << 10)

struct vt_publisher {
	void *sock;      /* ZMQ_PUB (ZMQ_XPUB in vitals-hub) */
	struct vt_conns *conns; /* its connections */
	uint64_t failed; /* sends ZeroMQ refused */
};

struct vt_publisher *
vt_publisher_new(void *zctx, char *const *endpoints, size_t n, const char *curve_secret,
                 const struct vt_limits *limits, char *err, size_t errlen)
{
	return vt_publisher_open(zctx, ZMQ_PUB, endpoints, n, curve_secret, limits, err, errlen);
}

struct vt_publisher *
vt_publisher_open(void *zctx, int type, char *const *endpoints, size_t n, const char *curve_secret,
                  const struct vt_limits *limits, char *err, size_t errlen)
{
	struct vt_publisher *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->sock = zmq_socket(zctx, type);
	if (p->sock == NULL) {
		snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
		free(p);
		return NULL;
	}
	int hwm = (int)limits->subscriber_queue, linger = 0, ping = VT_PUB_PING_MS,
	    dead = VT_PUB_DEAD_MS, sndbuf = VT_PUB_SNDBUF;
	zmq_setsockopt(p->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(p->sock, ZMQ_SNDBUF, &sndbuf, sizeof(sndbuf));
	zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(p->sock, ZMQ_HEARTBEAT_IVL, &ping, sizeof(ping));
	zmq_setsockopt(p->sock, ZMQ_HEARTBEAT_TIMEOUT, &dead, sizeof(dead));
	if (curve_secret != NULL && vt_curve_server(p->sock, curve_secret) != 0) {
		snprintf(err, errlen, "publish: CURVE: %s", zmq_strerror(errno));
		vt_publisher_free(&p);
		return NULL;
	}
	p->conns = vt_conns_new(zctx, p->sock, "publish", limits->publish_connections, err, errlen);
	if (p->conns == NULL) {
		vt_publisher_free(&p);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (vt_conns_bind(p->conns, endpoints[i], err, errlen) != 0) {
			vt_publisher_free(&p);
			return NULL;
		}
	}
	return p;
}

void
vt_publisher_free(struct vt_publisher **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	vt_conns_free(&(*pp)->conns);
	zmq_close((*pp)->sock);
	free(*pp);
	*pp = NULL;
}

void
vt_publisher_send(struct vt_publisher *p, const char *topic, const char *json, size_t len)
{
	if (zmq_send(p->sock, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(p->sock, json, len, ZMQ_DONTWAIT) < 0)
		p->failed++;
}

uint64_t
vt_publisher_failed(const struct vt_publisher *p)
{
	return p->failed;
}

void *
vt_publisher_socket(struct vt_publisher *p)
{
	return p->sock;
}

struct vt_conns *
vt_publisher_conns(struct vt_publisher *p)
{
	return p->conns;
}

void
vt_publisher_set_limits(struct vt_publisher *p, const struct vt_limits *limits)
{
	int hwm = (int)limits->subscriber_queue;
	zmq_setsockopt(p->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	vt_conns_set_max(p->conns, limits->publish_connections);
}
