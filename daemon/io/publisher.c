/*
 * The PUB socket. ZeroMQ already does the hard part (fan-out, per
 * subscriber queues, dropping for slow subscribers); this file only sets
 * the limits that keep memory bounded and makes sure no call can block.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "vitals/io/curve.h"
#include "vitals/io/publisher.h"

struct vt_publisher {
	void *sock;      /* ZMQ_PUB */
	uint64_t failed; /* sends ZeroMQ refused */
};

struct vt_publisher *
vt_publisher_new(void *zctx, char *const *endpoints, size_t n, const char *curve_secret,
                 char *err, size_t errlen)
{
	struct vt_publisher *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->sock = zmq_socket(zctx, ZMQ_PUB);
	if (p->sock == NULL) {
		snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
		free(p);
		return NULL;
	}
	int hwm = VT_PUB_HWM, linger = 0;
	zmq_setsockopt(p->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof(linger));
	if (curve_secret != NULL && vt_curve_server(p->sock, curve_secret) != 0) {
		snprintf(err, errlen, "publish: CURVE: %s", zmq_strerror(errno));
		vt_publisher_free(&p);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (zmq_bind(p->sock, endpoints[i]) != 0) {
			snprintf(err, errlen, "publish %s: %s", endpoints[i], zmq_strerror(errno));
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
