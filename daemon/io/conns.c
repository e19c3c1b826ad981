/*
 * Connections per endpoint, capped, and tied to their CURVE keys
 * (conns.h). The socket monitor tells of every accepted connection and of
 * every one that ends, with its descriptor; the table here is the set of
 * those open now. Events come in order on one inproc pipe whose queue is
 * not bounded (a lost "disconnected" would leave a ghost in the count), and
 * a table that has drifted anyway (a descriptor closed without its event)
 * is checked against the kernel before anything is refused.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <linux/sockios.h>

#include "vitals/io/conns.h"
#include "vitals/io/curve.h"

/* Events handled per call, so a flood of connections cannot starve the loop. */
#define VT_CONNS_EVENTS_PER_TURN 4096
#define VT_CONNS_MAX_ENDPOINTS 16

struct conn {
	int fd;                    /* ZeroMQ's descriptor */
	int ep;                    /* index in endpoints */
	char key[VT_CURVE_Z85];    /* the CURVE key it authenticated with; "" unknown */
	bool stalled;              /* its peer had stopped reading when last looked at */
};

struct vt_conns {
	const char *name;
	void *sock;                /* the watched socket (not owned) */
	void *mon;                 /* ZMQ_PAIR connected to its monitor */
	char mon_ep[96];
	int64_t max;
	char *endpoints[VT_CONNS_MAX_ENDPOINTS]; /* as resolved by ZeroMQ */
	size_t n_endpoints;
	struct conn *conns;
	size_t n, cap;
	struct vt_crossing refused;
	char refused_name[64];
	struct vt_crossing stalled;  /* peers found to have stopped reading */
	char stalled_name[64];
	int64_t stalled_checked;     /* when they were last looked at; INT64_MIN never */
	int64_t audited_at;          /* when the table was last checked against the kernel */
};

struct vt_conns *
vt_conns_new(void *zctx, void *sock, const char *name, int64_t max, char *err, size_t errlen)
{
	struct vt_conns *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->name = name;
	c->sock = sock;
	c->max = max;
	snprintf(c->refused_name, sizeof(c->refused_name), "%s connections refused", name);
	c->refused.name = c->refused_name;
	snprintf(c->stalled_name, sizeof(c->stalled_name), "%s peers that stopped reading", name);
	c->stalled.name = c->stalled_name;
	c->stalled_checked = INT64_MIN;
	c->audited_at = INT64_MIN;
	snprintf(c->mon_ep, sizeof(c->mon_ep), "inproc://vitalsd-conns-%s-%p", name, (void *)c);
	int events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED;
	int unbounded = 0, linger = 0, handshake = VT_CONNS_HANDSHAKE_MS;
	/* A connection that has said nothing (not even its greeting) gives its slot back soon. */
	zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &handshake, sizeof(handshake));
	if (zmq_socket_monitor(sock, c->mon_ep, events) != 0 ||
	    (c->mon = zmq_socket(zctx, ZMQ_PAIR)) == NULL ||
	    zmq_setsockopt(c->mon, ZMQ_RCVHWM, &unbounded, sizeof(unbounded)) != 0 ||
	    zmq_setsockopt(c->mon, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_connect(c->mon, c->mon_ep) != 0) {
		snprintf(err, errlen, "%s: socket monitor: %s", name, zmq_strerror(errno));
		vt_conns_free(&c);
		return NULL;
	}
	return c;
}

void
vt_conns_free(struct vt_conns **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	struct vt_conns *c = *cp;
	if (c->mon != NULL) {
		zmq_socket_monitor(c->sock, NULL, 0);
		zmq_close(c->mon);
	}
	for (size_t i = 0; i < c->n_endpoints; i++)
		free(c->endpoints[i]);
	free(c->conns);
	free(c);
	*cp = NULL;
}

int
vt_conns_bind(struct vt_conns *c, const char *endpoint, char *err, size_t errlen)
{
	if (c->n_endpoints == VT_CONNS_MAX_ENDPOINTS) {
		snprintf(err, errlen, "%s %s: too many endpoints", c->name, endpoint);
		return -1;
	}
	if (zmq_bind(c->sock, endpoint) != 0) {
		snprintf(err, errlen, "%s %s: %s", c->name, endpoint, zmq_strerror(errno));
		return -1;
	}
	char resolved[256];
	size_t len = sizeof(resolved);
	if (zmq_getsockopt(c->sock, ZMQ_LAST_ENDPOINT, resolved, &len) != 0)
		snprintf(resolved, sizeof(resolved), "%s", endpoint);
	c->endpoints[c->n_endpoints] = strdup(resolved);
	if (c->endpoints[c->n_endpoints] == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->n_endpoints++;
	return 0;
}

void *
vt_conns_socket(struct vt_conns *c)
{
	return c->mon;
}

void
vt_conns_set_max(struct vt_conns *c, int64_t max)
{
	c->max = max;
}

size_t
vt_conns_open(const struct vt_conns *c)
{
	return c->n;
}

struct vt_crossing *
vt_conns_refused(struct vt_conns *c)
{
	return &c->refused;
}

struct vt_crossing *
vt_conns_stalled(struct vt_conns *c)
{
	return &c->stalled;
}

/*
 * Whether `fd` is still a connection accepted on endpoint `ep`: a socket,
 * not listening, whose local address is the endpoint's. A descriptor that
 * ZeroMQ closed and the kernel handed to something else fails this.
 */
static bool
s_is_ours(const struct vt_conns *c, int fd, int ep)
{
	int listening = 1;
	socklen_t ol = sizeof(listening);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ol) != 0 || listening ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return false;
	const char *e = c->endpoints[ep];
	if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)&ss;
		return strncmp(e, "ipc://", 6) == 0 && strcmp(un->sun_path, e + 6) == 0;
	}
	int port = ss.ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)&ss)->sin_port)
	           : ss.ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port)
	                                      : -1;
	const char *colon = strrchr(e, ':');
	return strncmp(e, "tcp://", 6) == 0 && colon != NULL && port == atoi(colon + 1);
}

static int
s_endpoint_index(const struct vt_conns *c, const char *addr, size_t len)
{
	for (size_t i = 0; i < c->n_endpoints; i++)
		if (strlen(c->endpoints[i]) == len && memcmp(c->endpoints[i], addr, len) == 0)
			return (int)i;
	return c->n_endpoints > 0 ? 0 : -1;
}

static void
s_forget(struct vt_conns *c, size_t i)
{
	c->conns[i] = c->conns[--c->n];
}

/* Connections of endpoint `ep`, after dropping those the kernel says are gone. */
static int64_t
s_count(struct vt_conns *c, int ep, bool audit)
{
	int64_t n = 0;
	for (size_t i = 0; i < c->n;) {
		if (c->conns[i].ep == ep && audit && !s_is_ours(c, c->conns[i].fd, ep)) {
			s_forget(c, i);
			continue;
		}
		n += c->conns[i].ep == ep;
		i++;
	}
	return n;
}

static void
s_accepted(struct vt_conns *c, int fd, int ep, int64_t now)
{
	if (ep < 0)
		return;
	/* A number still in the table was closed without its event reaching us. */
	for (size_t i = 0; i < c->n; i++)
		if (c->conns[i].fd == fd) {
			s_forget(c, i);
			break;
		}
	/* At the bound, the table is checked against the kernel (a connection
	 * closed without its event would be a ghost in the count), once a turn:
	 * a flood of connections must not cost a system call per connection held
	 * for each one refused. */
	bool full = s_count(c, ep, false) >= c->max;
	if (full && c->audited_at != now) {
		c->audited_at = now;
		full = s_count(c, ep, true) >= c->max;
	}
	if (full) {
		if (s_is_ours(c, fd, ep))
			shutdown(fd, SHUT_RDWR);
		vt_crossing_hit(&c->refused, now,
		                "%s %s: more than %lld connections at once (limits.%s_connections); "
		                "refusing new ones",
		                c->name, c->endpoints[ep], (long long)c->max, c->name);
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct conn *v = realloc(c->conns, cap * sizeof(*v));
		if (v == NULL) {
			shutdown(fd, SHUT_RDWR); /* cannot count it: cannot keep it */
			return;
		}
		c->conns = v;
		c->cap = cap;
	}
	c->conns[c->n++] = (struct conn){.fd = fd, .ep = ep};
}

void
vt_conns_handle(struct vt_conns *c, int64_t now)
{
	for (int k = 0; k < VT_CONNS_EVENTS_PER_TURN; k++) {
		zmq_msg_t ev, addr;
		zmq_msg_init(&ev);
		if (zmq_msg_recv(&ev, c->mon, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&ev);
			break;
		}
		zmq_msg_init(&addr);
		bool two = zmq_msg_more(&ev) && zmq_msg_recv(&addr, c->mon, 0) >= 0;
		if (zmq_msg_size(&ev) >= 6 && two) {
			uint16_t event;
			uint32_t value;
			memcpy(&event, zmq_msg_data(&ev), sizeof(event));
			memcpy(&value, (const char *)zmq_msg_data(&ev) + 2, sizeof(value));
			int fd = (int)value;
			if (event == ZMQ_EVENT_ACCEPTED) {
				s_accepted(c, fd, s_endpoint_index(c, zmq_msg_data(&addr), zmq_msg_size(&addr)),
				           now);
			} else if (event == ZMQ_EVENT_DISCONNECTED) {
				for (size_t i = 0; i < c->n; i++)
					if (c->conns[i].fd == fd) {
						s_forget(c, i);
						break;
					}
			}
		}
		zmq_msg_close(&ev);
		zmq_msg_close(&addr);
	}
	vt_crossing_quiet(&c->refused, now);
}

void
vt_conns_note(struct vt_conns *c, zmq_msg_t *msg)
{
	const char *key = zmq_msg_gets(msg, "User-Id");
	int fd = zmq_msg_get(msg, ZMQ_SRCFD);
	if (key == NULL || fd < 0)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (c->conns[i].fd == fd) {
			snprintf(c->conns[i].key, sizeof(c->conns[i].key), "%s", key);
			return;
		}
}

size_t
vt_conns_revoke(struct vt_conns *c, bool (*allowed)(void *ctx, const char *key), void *ctx,
                bool all)
{
	size_t closed = 0;
	for (size_t i = 0; i < c->n;) {
		struct conn *cn = &c->conns[i];
		bool go = all || (cn->key[0] != '\0' && !allowed(ctx, cn->key));
		if (!go) {
			i++;
			continue;
		}
		if (s_is_ours(c, cn->fd, cn->ep)) {
			shutdown(cn->fd, SHUT_RDWR);
			closed++;
		}
		s_forget(c, i);
	}
	return closed;
}

/*
 * Whether the peer of `cn` has stopped reading: what the kernel holds
 * unsent for it is at least half of SO_SNDBUF (which counts the kernel's
 * bookkeeping too: a buffer full of data reads about two thirds). Once it
 * has, it counts as reading again only below a quarter, so a peer at the
 * edge is not told of twice.
 */
static bool
s_stalled(const struct conn *cn)
{
	int queued = 0, sndbuf = 0;
	socklen_t len = sizeof(sndbuf);
	if (ioctl(cn->fd, SIOCOUTQ, &queued) != 0 ||
	    getsockopt(cn->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) != 0 || sndbuf <= 0)
		return false;
	return queued >= sndbuf / (cn->stalled ? 4 : 2);
}

size_t
vt_conns_check_stalled(struct vt_conns *c, int64_t now)
{
	vt_crossing_quiet(&c->stalled, now);
	if (c->stalled_checked != INT64_MIN && now - c->stalled_checked < VT_CONNS_STALLED_CHECK_MS)
		return 0;
	c->stalled_checked = now;
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct conn *cn = &c->conns[i];
		bool was = cn->stalled;
		cn->stalled = s_is_ours(c, cn->fd, cn->ep) && s_stalled(cn);
		n += cn->stalled;
		if (!cn->stalled || was)
			continue;
		vt_crossing_hit(&c->stalled, now, "%s %s: a subscriber has stopped reading: "
		                "beyond limits.subscriber_queue messages it loses them (and "
		                "resynchronises when it reads again); one that answers no heartbeat "
		                "either is disconnected", c->name, c->endpoints[cn->ep]);
	}
	return n;
}
