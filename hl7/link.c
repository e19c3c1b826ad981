/*
 * MLLP to the interface engine (vitals/hl7/link.h): a non-blocking TCP
 * client with one message in flight. The frames of the answer are found
 * with the project's MLLP framing (vitals/drivers/mllp.h), the same code
 * the hl7-mllp input driver uses, so a partial or garbled answer is handled
 * as everywhere else. After a timeout the connection is closed: an answer
 * that comes late could otherwise be taken for the next message's.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vitals/drivers/mllp.h"
#include "vitals/hl7/link.h"
#include "vitals/hl7/pcd.h"

enum s_state {
	S_IDLE,       /* nothing in flight (connected or not) */
	S_CONNECTING, /* a connect in progress, a message waiting */
	S_SENDING,    /* writing the frame */
	S_WAITING     /* the frame is out; waiting for its acknowledgement */
};

struct vt_link {
	char *host, *port;
	int64_t ack_timeout, retry_first, retry_max;
	int fd;
	enum s_state state;
	int64_t deadline;        /* of the connect or the acknowledgement */
	int64_t not_before;      /* the backoff: no attempt before this */
	int64_t backoff;         /* the next failure's delay */
	unsigned next_addr;      /* which of the host's addresses to try next */
	uint8_t frame[VT_PCD_MAX + 3];
	size_t frame_len, sent;
	char control_id[64];
	struct vt_mllp *rx;      /* 64 KB: allocated */
	struct vt_mllp_counts rx_counts;
	/* What the frames of the answer said (set by s_frame). */
	bool answered;
	struct vt_ack ack;
	struct vt_link_counts counts;
};

struct vt_link *
vt_link_new(const char *host, const char *port, int64_t ack_timeout_ms, int64_t retry_first_ms,
            int64_t retry_max_ms)
{
	struct vt_link *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->host = strdup(host);
	l->port = strdup(port);
	l->rx = calloc(1, sizeof(*l->rx));
	if (l->host == NULL || l->port == NULL || l->rx == NULL) {
		vt_link_free(&l);
		return NULL;
	}
	l->fd = -1;
	l->ack_timeout = ack_timeout_ms;
	l->retry_first = retry_first_ms;
	l->retry_max = retry_max_ms > retry_first_ms ? retry_max_ms : retry_first_ms;
	l->backoff = retry_first_ms;
	return l;
}

static void
s_close(struct vt_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	vt_mllp_reset(l->rx);
}

void
vt_link_free(struct vt_link **pl)
{
	struct vt_link *l = *pl;
	if (l == NULL)
		return;
	s_close(l);
	free(l->host);
	free(l->port);
	free(l->rx);
	free(l);
	*pl = NULL;
}

bool
vt_link_ready(const struct vt_link *l, int64_t now)
{
	return l->state == S_IDLE && now >= l->not_before;
}

/* Start a connection to the next of the host's addresses. 0, or -1 with why. */
static int
s_connect(struct vt_link *l, int64_t now, char *why, size_t whylen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(l->host, l->port, &hints, &res);
	if (rc != 0) {
		snprintf(why, whylen, "%s: %s", l->host, gai_strerror(rc));
		return -1;
	}
	unsigned n = 0;
	for (struct addrinfo *a = res; a != NULL; a = a->ai_next)
		n++;
	struct addrinfo *a = res;
	for (unsigned i = 0; i < l->next_addr % n; i++)
		a = a->ai_next;
	l->next_addr++;
	l->fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	int one = 1;
	setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(l->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	rc = connect(l->fd, a->ai_addr, a->ai_addrlen);
	freeaddrinfo(res);
	if (rc != 0 && errno != EINPROGRESS) {
		snprintf(why, whylen, "connect to %s:%s: %s", l->host, l->port, strerror(errno));
		s_close(l);
		return -1;
	}
	l->state = S_CONNECTING;
	l->deadline = now + l->ack_timeout;
	return 0;
}

int
vt_link_send(struct vt_link *l, const char *msg, size_t len, const char *control_id, int64_t now)
{
	if (!vt_link_ready(l, now) || strlen(control_id) >= sizeof(l->control_id))
		return -1;
	l->frame_len = vt_mllp_frame((const uint8_t *)msg, len, l->frame, sizeof(l->frame));
	if (l->frame_len == 0)
		return -1;
	snprintf(l->control_id, sizeof(l->control_id), "%s", control_id);
	l->sent = 0;
	l->answered = false;
	/* Connected: write at once. Otherwise connect first (vt_link_run reports a failure). */
	l->state = l->fd >= 0 ? S_SENDING : S_CONNECTING;
	l->deadline = now + l->ack_timeout;
	return 0;
}

int
vt_link_fd(const struct vt_link *l)
{
	return l->fd;
}

short
vt_link_events(const struct vt_link *l)
{
	if (l->fd < 0)
		return 0;
	switch (l->state) {
	case S_CONNECTING:
	case S_SENDING: return POLLOUT;
	default: return POLLIN; /* waiting, or idle: to notice the engine closing */
	}
}

int64_t
vt_link_deadline(const struct vt_link *l, bool queued)
{
	if (l->state == S_IDLE)
		return queued ? l->not_before : INT64_MAX;
	if (l->state == S_CONNECTING && l->fd < 0)
		return 0; /* the connection is yet to be started */
	return l->deadline;
}

/* One frame of the engine's answer. */
static void
s_frame(void *ctx, const uint8_t *frame, size_t len, bool truncated)
{
	struct vt_link *l = ctx;
	struct vt_ack a;
	char err[128];
	if (truncated || vt_ack_parse((const char *)frame, len, &a, err, sizeof(err)) != 0 ||
	    strcmp(a.control_id, l->control_id) != 0 || l->answered) {
		l->counts.stray++;
		return;
	}
	l->ack = a;
	l->answered = true;
}

/* The attempt failed: close, and wait before the next one. */
static enum vt_link_result
s_fail(struct vt_link *l, int64_t now, bool close_it)
{
	if (close_it)
		s_close(l);
	l->state = S_IDLE;
	l->not_before = now + l->backoff;
	l->backoff = l->backoff * 2 < l->retry_max ? l->backoff * 2 : l->retry_max;
	return VT_LINK_FAILED;
}

/* Read what the engine sent; false when the connection is gone (why says so). */
static bool
s_read(struct vt_link *l, char *why, size_t whylen)
{
	uint8_t buf[4096];
	for (;;) {
		ssize_t n = recv(l->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			vt_mllp_feed(l->rx, buf, (size_t)n, s_frame, l, &l->rx_counts);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n < 0 && errno == EINTR)
			continue;
		snprintf(why, whylen, "the engine closed the connection%s%s", n < 0 ? ": " : "",
		         n < 0 ? strerror(errno) : "");
		return false;
	}
}

enum vt_link_result
vt_link_run(struct vt_link *l, int64_t now, struct vt_ack *ack, char *why, size_t whylen)
{
	why[0] = '\0';
	struct pollfd p = {.fd = l->fd, .events = vt_link_events(l)};
	if (l->fd >= 0 && poll(&p, 1, 0) < 0)
		p.revents = 0;
	switch (l->state) {
	case S_IDLE:
		/* Between messages the engine may close (an idle timeout): notice it now. */
		if (l->fd >= 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) && !s_read(l, why, whylen))
			s_close(l);
		return VT_LINK_BUSY;
	case S_CONNECTING:
		if (l->fd < 0) {
			if (s_connect(l, now, why, whylen) != 0) {
				l->counts.failures++;
				return s_fail(l, now, true);
			}
			return VT_LINK_BUSY;
		}
		if (p.revents & (POLLOUT | POLLERR | POLLHUP)) {
			int e = 0;
			socklen_t el = sizeof(e);
			getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &e, &el);
			if (e != 0) {
				snprintf(why, whylen, "connect to %s:%s: %s", l->host, l->port, strerror(e));
				l->counts.failures++;
				return s_fail(l, now, true);
			}
			l->counts.connects++;
			l->state = S_SENDING;
			l->deadline = now + l->ack_timeout;
			break; /* write at once */
		}
		if (now >= l->deadline) {
			snprintf(why, whylen, "connect to %s:%s: no answer within %lld ms", l->host, l->port,
			         (long long)l->ack_timeout);
			l->counts.timeouts++;
			return s_fail(l, now, true);
		}
		return VT_LINK_BUSY;
	default:
		break;
	}
	if (l->state == S_SENDING) {
		while (l->sent < l->frame_len) {
			ssize_t n = send(l->fd, l->frame + l->sent, l->frame_len - l->sent, MSG_NOSIGNAL);
			if (n > 0) {
				l->sent += (size_t)n;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n < 0 && errno == EINTR)
				continue;
			snprintf(why, whylen, "send to %s:%s: %s", l->host, l->port, strerror(errno));
			l->counts.failures++;
			return s_fail(l, now, true);
		}
		if (l->sent == l->frame_len) {
			l->counts.sent++;
			l->state = S_WAITING;
		}
	}
	if (l->state == S_WAITING && !s_read(l, why, whylen)) {
		l->counts.failures++;
		return s_fail(l, now, true);
	}
	if (l->state == S_WAITING && l->answered) {
		*ack = l->ack;
		l->state = S_IDLE;
		if (l->ack.code == VT_ACK_ACCEPT) {
			l->counts.accepted++;
			l->backoff = l->retry_first;
			l->not_before = 0;
			return VT_LINK_ACCEPTED;
		}
		l->counts.refused++;
		s_fail(l, now, false);
		return VT_LINK_REFUSED;
	}
	if (now >= l->deadline) {
		snprintf(why, whylen, "no acknowledgement from %s:%s within %lld ms", l->host, l->port,
		         (long long)l->ack_timeout);
		l->counts.timeouts++;
		return s_fail(l, now, true);
	}
	return VT_LINK_BUSY;
}

bool
vt_link_connected(const struct vt_link *l)
{
	return l->fd >= 0 && l->state != S_CONNECTING;
}

int64_t
vt_link_backoff(const struct vt_link *l)
{
	return l->backoff;
}

const struct vt_link_counts *
vt_link_counts(const struct vt_link *l)
{
	return &l->counts;
}
