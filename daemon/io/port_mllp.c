/*
 * mllp://HOST:PORT ports: vitalsd listens, and monitors or their gateways
 * connect and push HL7 over MLLP (docs/drivers.md, hl7-mllp).
 *
 * One listener per endpoint, shared by every bed configured on it: a
 * gateway sends several beds over one connection, so a frame is routed to
 * the bed whose hl7_id names its sender (a bed alone on an endpoint without
 * an hl7_id takes everything). Each bed sees its port as a "view": a
 * descriptor (its own epoll set holding the listener's and an eventfd that
 * says frames wait for it) that the event loop polls like any port. Any
 * view's wake-up pumps the listener: accept, read, find frames, route them
 * to the views' queues, write what waits, close idle connections.
 *
 * A view reads as a port: connecting until the first frame for its bed,
 * then one frame (framed again, VT ... FS CR) per vt_mllp_view_handle, in
 * pieces if longer than the caller's buffer, so a reply always goes to the
 * connection the frame came from; lost when that connection closes. While
 * a view is closed (the loop's reopen backoff) its frames keep queueing.
 *
 * Bounded everywhere: connections per listener, a frame (VT_MLLP_MAX; a
 * longer one is answered AE here), the frames waiting for a bed (then AE),
 * the bytes waiting for a connection, and a connection silent for
 * hl7_idle_timeout (default VT_MLLP_IDLE_MS) is closed. The first three are
 * crossings (crossing.h): logged once per burst, counted for ping.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "vitals/base/timefmt.h"
#include "vitals/drivers/hl7_pcd.h"
#include "vitals/drivers/mllp.h"
#include "vitals/io/crossing.h"
#include "vitals/io/log.h"
#include "vitals/io/port_impl.h"

/* Bytes waiting for one connection (acknowledgements are ~150 bytes). */
#define S_OUT_MAX 16384
/* Frames, and bytes, waiting for one bed. */
#define S_QUEUE_FRAMES 64
#define S_QUEUE_BYTES (1024 * 1024)
/* Senders remembered so that each unknown one is logged once. */
#define S_UNKNOWN_LOGGED 16

struct s_frame {
	struct s_frame *next;
	uint32_t conn;   /* the connection it came on */
	size_t len, off; /* bytes, and how many were handed out */
	uint8_t bytes[]; /* VT, the message, FS, CR */
};

struct s_conn {
	int fd;               /* -1: the slot is free */
	uint32_t id;          /* never reused, so a reply cannot reach a later connection */
	char peer[64];        /* "10.1.2.3:51234", for the log */
	struct vt_mllp *rx;   /* its frame being received */
	struct vt_mllp_counts counts;
	uint8_t *out;         /* bytes waiting for it */
	size_t out_len;
	int64_t last_ms;      /* monotonic: when it last sent something */
	char broken[96];      /* a write failed (why): close it once no frame is being read */
};

struct s_listener;

struct vt_mllp_view {
	struct s_listener *l;
	struct vt_mllp_view *next; /* the listener's views */
	char *sender;              /* hl7_id, or NULL: every message */
	int pfd;                   /* its epoll set (listener + efd); -1 while closed */
	int efd;                   /* eventfd: frames or news wait */
	bool connecting;           /* open, no frame yet */
	struct s_frame *head, *tail;
	size_t n_frames, n_bytes;
	uint32_t conn;             /* the connection of the last frame handed out */
	bool has_conn;
	bool lost;                 /* that connection closed: say so once the queue is empty */
	char lost_why[128];
	uint64_t dropped;          /* replies that did not fit a connection's buffer */
};

struct s_listener {
	struct s_listener *next;   /* all listeners */
	char *spec;                /* mllp://HOST:PORT */
	int lfd, ep, tfd;          /* listening socket, epoll set of everything, idle timer */
	struct s_conn conns[VT_MLLP_CONNECTIONS];
	uint32_t next_id;
	struct vt_mllp_view *views;
	char unknown[S_UNKNOWN_LOGGED][64];
	size_t n_unknown;
	uint32_t acks;             /* control ids of the acknowledgements sent here */
	int64_t idle_ms;           /* a connection silent this long is closed */
};

static struct s_listener *s_listeners;

/* The bounds' crossings, over every listener since the start. */
static struct vt_crossing s_refused = {.name = "HL7 connections refused"},
                          s_too_long = {.name = "HL7 messages too long"},
                          s_busy = {.name = "HL7 messages refused while a bed was busy"};

void
vt_port_mllp_totals(struct vt_mllp_totals *t)
{
	t->refused = s_refused.total;
	t->too_long = s_too_long.total;
	t->busy = s_busy.total;
}

static int64_t
s_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_signal(struct vt_mllp_view *v)
{
	uint64_t one = 1;
	if (v->efd >= 0 && write(v->efd, &one, sizeof one) < 0 && errno != EAGAIN)
		vt_warn("%s: eventfd", v->l->spec);
}

/* ---- connections ------------------------------------------------------------ */

static struct s_conn *
s_conn(struct s_listener *l, uint32_t id)
{
	for (size_t i = 0; i < VT_MLLP_CONNECTIONS; i++)
		if (l->conns[i].fd >= 0 && l->conns[i].id == id)
			return &l->conns[i];
	return NULL;
}

static void
s_conn_close(struct s_listener *l, struct s_conn *c, const char *why)
{
	vt_info("%s: %s: connection closed (%s)", l->spec + 7, c->peer, why);
	close(c->fd); /* leaves the epoll set with it */
	c->fd = -1;
	free(c->rx);
	free(c->out);
	c->rx = NULL;
	c->out = NULL;
	c->out_len = 0;
	for (struct vt_mllp_view *v = l->views; v != NULL; v = v->next)
		if (v->has_conn && v->conn == c->id) {
			v->has_conn = false;
			v->lost = true;
			snprintf(v->lost_why, sizeof v->lost_why, "the monitor's connection from %s: %s",
			         c->peer, why);
			s_signal(v);
		}
}

static void
s_watch(struct s_listener *l, struct s_conn *c)
{
	struct epoll_event ev = {.events = EPOLLIN | (c->out_len > 0 ? EPOLLOUT : 0),
	                         .data.u32 = c->id};
	epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what waits for c. False if the connection failed (c->broken says why). */
static bool
s_flush(struct s_listener *l, struct s_conn *c)
{
	size_t off = 0;
	while (off < c->out_len) {
		ssize_t w = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		/* Not closed here: a frame of this connection may be being read. */
		snprintf(c->broken, sizeof c->broken, "write: %s", strerror(w < 0 ? errno : EIO));
		c->out_len = 0;
		return false;
	}
	memmove(c->out, c->out + off, c->out_len - off);
	c->out_len -= off;
	s_watch(l, c);
	return true;
}

/* Queue bytes for c and write what it takes now. 0, or 1 if they do not fit (dropped). */
static int
s_send(struct s_listener *l, struct s_conn *c, const uint8_t *b, size_t n)
{
	if (n > S_OUT_MAX - c->out_len)
		return 1;
	memcpy(c->out + c->out_len, b, n);
	c->out_len += n;
	s_flush(l, c);
	return 0;
}

/* ---- routing ------------------------------------------------------------------ */

/* Log once per sender that no bed claims. */
static void
s_unknown(struct s_listener *l, const struct vt_hl7_msg *m)
{
	char who[64];
	struct vt_hl7_str pv1;
	who[0] = '\0';
	if (vt_hl7_find(m, "PV1", &pv1))
		vt_hl7_text(m, vt_hl7_field(m, pv1, 3), who, sizeof who);
	if (who[0] == '\0')
		vt_hl7_text(m, vt_hl7_field(m, vt_hl7_msh(m), 3), who, sizeof who);
	for (size_t i = 0; i < l->n_unknown; i++)
		if (strcmp(l->unknown[i], who) == 0)
			return;
	if (l->n_unknown < S_UNKNOWN_LOGGED)
		snprintf(l->unknown[l->n_unknown++], sizeof l->unknown[0], "%s", who);
	vt_notice("%s: messages from \"%s\" (PV1-3, else MSH-3) match no bed's hl7_id: "
	          "acknowledged and not read", l->spec + 7, who);
}

/* Answer a frame here, for no bed: AA (a sender no bed claims) or AE with why. */
static void
s_answer(struct s_listener *l, struct s_conn *c, const struct vt_hl7_msg *m, const char *why)
{
	uint8_t ack[VT_HL7_ACK_MAX];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	size_t n = vt_hl7_ack(m, why ? "AE" : "AA", why, now, ++l->acks, ack, sizeof ack);
	if (n > 0)
		s_send(l, c, ack, n);
}

/* The view a frame belongs to, or NULL. */
static struct vt_mllp_view *
s_route(struct s_listener *l, const struct vt_hl7_msg *m)
{
	for (struct vt_mllp_view *v = l->views; v != NULL; v = v->next)
		if (v->sender == NULL || (m != NULL && vt_hl7_from(m, v->sender)))
			return v;
	/* A frame that is not HL7 goes to the only bed there is: its driver says why. */
	if (m == NULL && l->views != NULL && l->views->next == NULL)
		return l->views;
	return NULL;
}

struct s_rx {
	struct s_listener *l;
	struct s_conn *c;
};

static void
s_on_frame(void *ctx, const uint8_t *frame, size_t len, bool truncated)
{
	struct s_rx *x = ctx;
	struct vt_hl7_msg m;
	char err[160];
	bool hl7 = vt_hl7_open(&m, (const char *)frame, len, err, sizeof err) == 0;
	if (truncated) {
		vt_crossing_hit(&s_too_long, s_mono_ms(), "%s: %s: a message longer than %d bytes; "
		                "answered AE", x->l->spec + 7, x->c->peer, VT_MLLP_MAX);
		s_answer(x->l, x->c, hl7 ? &m : NULL, "message longer than 65536 bytes; not read");
		return;
	}
	struct vt_mllp_view *v = s_route(x->l, hl7 ? &m : NULL);
	if (v == NULL) {
		if (hl7)
			s_unknown(x->l, &m);
		s_answer(x->l, x->c, hl7 ? &m : NULL,
		         hl7 ? NULL : "not an HL7 message: MSH with its separators must come first");
		return;
	}
	if (v->n_frames >= S_QUEUE_FRAMES || v->n_bytes + len > S_QUEUE_BYTES) {
		vt_crossing_hit(&s_busy, s_mono_ms(), "%s: more than %d messages wait for bed %s; "
		                "answering AE until it catches up", x->l->spec + 7, S_QUEUE_FRAMES,
		                v->sender ? v->sender : "(all senders)");
		s_answer(x->l, x->c, hl7 ? &m : NULL, "vitalsd is busy; message not read");
		return;
	}
	struct s_frame *f = malloc(sizeof *f + len + 3);
	if (f == NULL) {
		s_answer(x->l, x->c, hl7 ? &m : NULL, "out of memory; message not read");
		return;
	}
	f->next = NULL;
	f->conn = x->c->id;
	f->off = 0;
	f->len = vt_mllp_frame(frame, len, f->bytes, len + 3);
	if (v->tail)
		v->tail->next = f;
	else
		v->head = f;
	v->tail = f;
	v->n_frames++;
	v->n_bytes += len;
	s_signal(v);
}

/* ---- the listener ------------------------------------------------------------ */

static void
s_accept(struct s_listener *l)
{
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof sa;
		int fd = accept4(l->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN: all taken; anything else: next time */
		char host[48] = "?", peer[64];
		int port = 0;
		if (sa.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&sa;
			inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
			port = ntohs(in->sin_port);
		} else if (sa.ss_family == AF_INET6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
			inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
			port = ntohs(in6->sin6_port);
		}
		snprintf(peer, sizeof peer, "%s:%d", host, port);
		struct s_conn *c = NULL;
		for (size_t i = 0; i < VT_MLLP_CONNECTIONS && c == NULL; i++)
			if (l->conns[i].fd < 0)
				c = &l->conns[i];
		if (c == NULL) {
			vt_crossing_hit(&s_refused, s_mono_ms(), "%s: %d connections already; refused "
			                "%s", l->spec + 7, VT_MLLP_CONNECTIONS, peer);
			close(fd);
			continue;
		}
		c->rx = malloc(sizeof *c->rx);
		c->out = malloc(S_OUT_MAX);
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = l->next_id};
		if (c->rx == NULL || c->out == NULL || epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			vt_warn("%s: cannot take the connection from %s", l->spec + 7, peer);
			free(c->rx);
			free(c->out);
			c->rx = NULL;
			c->out = NULL;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->id = l->next_id++;
		c->out_len = 0;
		c->broken[0] = '\0';
		c->last_ms = s_mono_ms();
		memset(&c->counts, 0, sizeof c->counts);
		vt_mllp_reset(c->rx);
		snprintf(c->peer, sizeof c->peer, "%s", peer);
		vt_info("%s: connection from %s", l->spec + 7, peer);
	}
}

static void
s_read(struct s_listener *l, struct s_conn *c)
{
	static uint8_t buf[65536];
	for (int round = 0; round < 4 && c->fd >= 0; round++) {
		ssize_t r = recv(c->fd, buf, sizeof buf, 0);
		if (r > 0) {
			c->last_ms = s_mono_ms();
			struct s_rx x = {l, c};
			vt_mllp_feed(c->rx, buf, (size_t)r, s_on_frame, &x, &c->counts);
			if (c->broken[0] != '\0') {
				s_conn_close(l, c, c->broken);
				return;
			}
			if ((size_t)r < sizeof buf)
				return;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		char why[96];
		snprintf(why, sizeof why, "%s", r == 0 ? "closed by the monitor" : strerror(errno));
		s_conn_close(l, c, why);
	}
}

/* Close connections idle too long, end quiet bursts; arm the timer for the next one due. */
static void
s_idle(struct s_listener *l)
{
	int64_t now = s_mono_ms(), next = INT64_MAX;
	struct vt_crossing *xs[] = {&s_refused, &s_too_long, &s_busy};
	for (size_t i = 0; i < 3; i++) {
		vt_crossing_quiet(xs[i], now);
		if (vt_crossing_deadline(xs[i]) < next)
			next = vt_crossing_deadline(xs[i]);
	}
	for (size_t i = 0; i < VT_MLLP_CONNECTIONS; i++) {
		struct s_conn *c = &l->conns[i];
		if (c->fd < 0)
			continue;
		if (now - c->last_ms >= l->idle_ms) {
			char why[64], dur[32];
			snprintf(why, sizeof why, "silent for %s",
			         vt_duration_format(l->idle_ms, dur, sizeof dur));
			s_conn_close(l, c, why);
		} else if (c->last_ms + l->idle_ms < next) {
			next = c->last_ms + l->idle_ms;
		}
	}
	struct itimerspec its = {0};
	if (next != INT64_MAX) {
		its.it_value.tv_sec = next / 1000;
		its.it_value.tv_nsec = (next % 1000) * 1000000 + 1000000;
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Everything the listener's descriptors say, without waiting. */
static void
s_pump(struct s_listener *l)
{
	struct epoll_event ev[16];
	for (int round = 0; round < 8; round++) {
		int n = epoll_wait(l->ep, ev, 16, 0);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			uint32_t id = ev[i].data.u32;
			if (id == UINT32_MAX) {
				s_accept(l);
				continue;
			}
			if (id == UINT32_MAX - 1) {
				uint64_t expirations;
				if (read(l->tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
					vt_warn("%s: timerfd", l->spec + 7);
				continue;
			}
			struct s_conn *c = s_conn(l, id);
			if (c != NULL && (ev[i].events & EPOLLOUT) && !s_flush(l, c)) {
				s_conn_close(l, c, c->broken);
				continue;
			}
			if (c != NULL && (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				s_read(l, c);
		}
		if (n < 16)
			break;
	}
	s_idle(l);
}

/* Bind and listen. 0, or -1 with err. */
static int
s_listen(struct s_listener *l, char *err, size_t errlen)
{
	char tcp[300];
	snprintf(tcp, sizeof tcp, "tcp://%s", l->spec + 7);
	struct addrinfo *ai = NULL;
	if (vt_tcp_resolve(tcp, &ai, err, errlen) != 0)
		return -1;
	int e = 0;
	for (struct addrinfo *a = ai; a != NULL && l->lfd < 0; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		                a->ai_protocol);
		int on = 1;
		if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0 &&
		    bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 16) == 0) {
			l->lfd = fd;
			break;
		}
		e = errno;
		if (fd >= 0)
			close(fd);
	}
	freeaddrinfo(ai);
	if (l->lfd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", l->spec + 7, strerror(e));
		return -1;
	}
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct epoll_event lev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
	struct epoll_event tev = {.events = EPOLLIN, .data.u32 = UINT32_MAX - 1};
	if (l->ep < 0 || l->tfd < 0 || epoll_ctl(l->ep, EPOLL_CTL_ADD, l->lfd, &lev) != 0 ||
	    epoll_ctl(l->ep, EPOLL_CTL_ADD, l->tfd, &tev) != 0) {
		snprintf(err, errlen, "%s: epoll: %s", l->spec + 7, strerror(errno));
		return -1; /* the descriptors are closed with the listener */
	}
	vt_notice("%s: listening for HL7 (MLLP)", l->spec + 7);
	return 0;
}

/* Close the listening socket, the epoll set and the timer, whichever are open. */
static void
s_unlisten(struct s_listener *l)
{
	int *fds[] = {&l->lfd, &l->ep, &l->tfd};
	for (size_t i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static void
s_listener_free(struct s_listener *l)
{
	for (struct s_listener **pp = &s_listeners; *pp != NULL; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	for (size_t i = 0; i < VT_MLLP_CONNECTIONS; i++)
		if (l->conns[i].fd >= 0)
			s_conn_close(l, &l->conns[i], "vitalsd stops listening here");
	s_unlisten(l);
	free(l->spec);
	free(l);
}

/* ---- views: one bed's port ------------------------------------------------------- */

struct vt_mllp_view *
vt_mllp_view_new(const char *spec, const char *sender, int64_t idle_ms)
{
	struct s_listener *l = s_listeners;
	while (l != NULL && strcmp(l->spec, spec) != 0)
		l = l->next;
	if (l == NULL) {
		l = calloc(1, sizeof *l);
		if (l == NULL || (l->spec = strdup(spec)) == NULL) {
			free(l);
			return NULL;
		}
		l->lfd = l->ep = l->tfd = -1;
		l->idle_ms = VT_MLLP_IDLE_MS;
		for (size_t i = 0; i < VT_MLLP_CONNECTIONS; i++)
			l->conns[i].fd = -1;
		l->next = s_listeners;
		s_listeners = l;
	}
	struct vt_mllp_view *v = calloc(1, sizeof *v);
	if (v == NULL || (sender != NULL && (v->sender = strdup(sender)) == NULL)) {
		free(v);
		if (l->views == NULL)
			s_listener_free(l);
		return NULL;
	}
	if (idle_ms > 0)
		l->idle_ms = idle_ms;
	v->l = l;
	v->pfd = v->efd = -1;
	v->next = l->views;
	l->views = v;
	return v;
}

void
vt_mllp_view_set_idle(struct vt_mllp_view *v, int64_t idle_ms)
{
	if (idle_ms > 0)
		v->l->idle_ms = idle_ms;
}

void
vt_mllp_view_close(struct vt_mllp_view *v)
{
	if (v->pfd >= 0)
		close(v->pfd);
	if (v->efd >= 0)
		close(v->efd);
	v->pfd = v->efd = -1;
	v->connecting = false;
	v->has_conn = false;
	v->lost = false;
}

void
vt_mllp_view_free(struct vt_mllp_view **vp)
{
	struct vt_mllp_view *v = *vp;
	if (v == NULL)
		return;
	vt_mllp_view_close(v);
	struct s_listener *l = v->l;
	for (struct vt_mllp_view **pp = &l->views; *pp != NULL; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	while (v->head != NULL) {
		struct s_frame *f = v->head;
		v->head = f->next;
		free(f);
	}
	free(v->sender);
	free(v);
	if (l->views == NULL)
		s_listener_free(l);
	*vp = NULL;
}

int
vt_mllp_view_open(struct vt_mllp_view *v, char *err, size_t errlen)
{
	vt_mllp_view_close(v);
	struct s_listener *l = v->l;
	if (l->lfd < 0 && s_listen(l, err, errlen) != 0) {
		s_unlisten(l);
		return -1;
	}
	v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	v->pfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event a = {.events = EPOLLIN, .data.fd = l->ep};
	struct epoll_event b = {.events = EPOLLIN, .data.fd = v->efd};
	if (v->efd < 0 || v->pfd < 0 || epoll_ctl(v->pfd, EPOLL_CTL_ADD, l->ep, &a) != 0 ||
	    epoll_ctl(v->pfd, EPOLL_CTL_ADD, v->efd, &b) != 0) {
		snprintf(err, errlen, "%s: epoll: %s", l->spec + 7, strerror(errno));
		vt_mllp_view_close(v);
		return -1;
	}
	v->connecting = true;
	if (v->head != NULL)
		s_signal(v); /* frames came while it was closed */
	return v->pfd;
}

enum vt_port_io
vt_mllp_view_handle(struct vt_mllp_view *v, uint8_t *buf, size_t cap, size_t *n, char *err,
                    size_t errlen)
{
	*n = 0;
	if (v->pfd < 0)
		return VT_IO_NOTHING;
	uint64_t count;
	if (read(v->efd, &count, sizeof count) < 0 && errno != EAGAIN)
		vt_warn("%s: eventfd", v->l->spec);
	s_pump(v->l);
	if (v->head == NULL) {
		if (!v->lost)
			return VT_IO_NOTHING;
		snprintf(err, errlen, "%s", v->lost_why);
		vt_mllp_view_close(v);
		return VT_IO_LOST;
	}
	if (v->connecting) {
		v->connecting = false;
		s_signal(v); /* the frame is read at the next call */
		return VT_IO_CONNECTED;
	}
	struct s_frame *f = v->head;
	size_t take = f->len - f->off < cap ? f->len - f->off : cap;
	memcpy(buf, f->bytes + f->off, take);
	f->off += take;
	*n = take;
	if (f->off == f->len) {
		/* The frame is whole now: replies go where it came from. */
		v->conn = f->conn;
		v->has_conn = true;
		v->lost = s_conn(v->l, f->conn) == NULL;
		if (v->lost)
			snprintf(v->lost_why, sizeof v->lost_why, "the monitor's connection closed");
		v->head = f->next;
		if (v->head == NULL)
			v->tail = NULL;
		v->n_frames--;
		v->n_bytes -= f->len - 3;
		free(f);
	}
	if (v->head != NULL || v->lost)
		s_signal(v);
	return VT_IO_DATA;
}

int
vt_mllp_view_write(struct vt_mllp_view *v, const uint8_t *bytes, size_t len, char *err,
                   size_t errlen)
{
	struct s_conn *c = v->has_conn ? s_conn(v->l, v->conn) : NULL;
	if (c == NULL)
		return 0; /* the sender is gone; its loss is reported by the next handle */
	if (s_send(v->l, c, bytes, len) != 0) {
		v->dropped++;
		snprintf(err, errlen, "%s: %s is not reading its acknowledgements (%d bytes wait); "
		         "%zu bytes dropped", v->l->spec + 7, c->peer, S_OUT_MAX, len);
		return 1;
	}
	if (c->broken[0] != '\0') {
		s_conn_close(v->l, c, c->broken); /* the loss is reported by the next handle */
		s_signal(v);
	}
	return 0;
}

size_t
vt_mllp_view_pending(const struct vt_mllp_view *v)
{
	const struct s_conn *c = v->has_conn ? s_conn(v->l, v->conn) : NULL;
	return c ? c->out_len : 0;
}
