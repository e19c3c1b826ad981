/*
 * One monitor's port, whatever carries it: a serial adapter, a
 * pseudo-terminal, a TCP device server or a monitor's LAN port (UDP). The event loop sees one
 * descriptor and one verdict per wake-up (data, connected, nothing, lost),
 * and the rules for calling a port lost live here once, for every kind:
 *
 *  - a read of 0 bytes is end of file: the device server closed, or the
 *    tty hung up (USB adapter pulled, pty master closed);
 *  - a read error other than EAGAIN/EINTR (EIO from a vanished adapter or
 *    a closed pty master, ECONNRESET, ETIMEDOUT after keepalive) is loss;
 *  - POLLHUP/POLLERR with nothing left to read is loss.
 *
 * A lost port is closed before vt_port_handle returns, so its descriptor
 * leaves the poll set and cannot wake the loop again: no spinning on a
 * dead fd. Reopening (with backoff) is the loop's business.
 *
 * Output (what polled devices are sent) never blocks either: it is written
 * at once as far as the line takes it, and the rest waits in a bounded
 * buffer for POLLOUT. A device that does not read (RTS/CTS held, a server
 * that stopped reading) fills the buffer; what does not fit is dropped
 * whole and counted, and the device that stopped listening will stop
 * answering, which the core sees as comm-lost.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vitals/io/port.h"
#include "vitals/io/port_impl.h"

struct vt_port {
	char *spec;               /* as configured: a path or tcp://HOST:PORT */
	int baud;                 /* line speed (serial and pty) */
	enum vt_flow flow;        /* flow control (serial and pty) */
	enum vt_parity parity;    /* parity (serial and pty) */
	enum vt_port_kind kind;   /* what the last open found `spec` to be */
	int fd;                   /* the descriptor to poll, -1 while closed */
	struct sp_port *sp;       /* libserialport's handle, which owns fd; or NULL */
	bool connecting;          /* TCP connect in progress: wait for POLLOUT */
	struct addrinfo *addrs;   /* TCP: the resolved addresses, while connecting */
	struct addrinfo *next;    /* TCP: the address to try if this one fails */
	int connect_errno;        /* TCP: the latest connect failure */
	char *announce;           /* UDP: where the monitor announces itself; NULL: the default */
	struct sockaddr_storage peer; /* UDP: the monitor */
	socklen_t peer_len;
	uint8_t out[VT_PORT_OUT_MAX]; /* bytes waiting for the line, oldest first */
	size_t out_len;           /* how many */
	uint64_t out_dropped;     /* messages dropped because out was full */
	struct vt_mllp_view *view; /* mllp://: this bed's view of the HL7 listener */
};

static int s_flush(struct vt_port *p, char *err, size_t errlen);

struct vt_port *
vt_port_new(const char *spec, int baud, enum vt_flow flow)
{
	struct vt_port *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->spec = strdup(spec);
	if (p->spec == NULL) {
		free(p);
		return NULL;
	}
	p->baud = baud;
	p->flow = flow;
	p->kind = vt_port_kind_of(spec);
	p->fd = -1;
	/* Made now, not at open: the listener lives as long as a port needs it,
	 * so a reload that keeps one of its beds keeps its connections. */
	if (p->kind == VT_PORT_MLLP && (p->view = vt_mllp_view_new(spec, NULL, 0)) == NULL) {
		free(p->spec);
		free(p);
		return NULL;
	}
	return p;
}

int
vt_port_set_hl7(struct vt_port *p, const char *hl7_id, int64_t idle_ms)
{
	if (p->kind != VT_PORT_MLLP)
		return -1;
	struct vt_mllp_view *v = vt_mllp_view_new(p->spec, hl7_id, idle_ms);
	if (v == NULL)
		return -1;
	vt_mllp_view_free(&p->view);
	p->view = v;
	return 0;
}

void
vt_port_set_hl7_idle(struct vt_port *p, int64_t idle_ms)
{
	if (p->kind == VT_PORT_MLLP && p->view != NULL)
		vt_mllp_view_set_idle(p->view, idle_ms);
}

void
vt_port_free(struct vt_port **pp)
{
	if (*pp == NULL)
		return;
	vt_port_close(*pp);
	vt_mllp_view_free(&(*pp)->view);
	free((*pp)->announce);
	free((*pp)->spec);
	free(*pp);
	*pp = NULL;
}

void
vt_port_set_parity(struct vt_port *p, enum vt_parity parity)
{
	p->parity = parity;
}

int
vt_port_set_announce(struct vt_port *p, const char *announce)
{
	char *a = NULL;
	if (announce != NULL && (a = strdup(announce)) == NULL)
		return -1;
	free(p->announce);
	p->announce = a;
	return 0;
}

enum vt_port_kind
vt_port_kind_of(const char *spec)
{
	if (strncmp(spec, "tcp://", 6) == 0)
		return VT_PORT_TCP;
	if (strncmp(spec, "mllp://", 7) == 0)
		return VT_PORT_MLLP;
	if (strncmp(spec, "udp://", 6) == 0)
		return VT_PORT_UDP;
	return vt_tty_is_pty(spec) ? VT_PORT_PTY : VT_PORT_SERIAL;
}

void
vt_port_close(struct vt_port *p)
{
	if (p->sp != NULL)
		vt_serial_close(&p->sp); /* closes fd too */
	else if (p->view != NULL)
		vt_mllp_view_close(p->view); /* closes fd too */
	else if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->connecting = false;
	p->out_len = 0; /* a new connection starts with nothing owed to the old one */
	if (p->addrs != NULL)
		freeaddrinfo(p->addrs);
	p->addrs = p->next = NULL;
}

/* "HOST:PORT" of a TCP spec, for messages. */
static const char *
s_peer(const struct vt_port *p)
{
	return p->spec + 6;
}

int
vt_port_open(struct vt_port *p, char *err, size_t errlen)
{
	vt_port_close(p);
	/* Decided again at every open: a pty link can be made after start-up. */
	p->kind = vt_port_kind_of(p->spec);
	switch (p->kind) {
	case VT_PORT_SERIAL:
		p->fd = vt_serial_open(p->spec, p->baud, p->flow, p->parity, &p->sp, err, errlen);
		break;
	case VT_PORT_PTY:
		p->fd = vt_tty_open(p->spec, p->baud, p->flow, p->parity, err, errlen);
		break;
	case VT_PORT_MLLP:
		/* Open when listening; "connected" when the monitor's first message comes. */
		p->fd = vt_mllp_view_open(p->view, err, errlen);
		p->connecting = p->fd >= 0;
		break;
	case VT_PORT_TCP:
		if (vt_tcp_resolve(p->spec, &p->addrs, err, errlen) != 0)
			return -1;
		p->next = p->addrs;
		p->connect_errno = 0;
		p->fd = vt_tcp_connect_next(&p->next, &p->connect_errno);
		if (p->fd < 0) {
			snprintf(err, errlen, "connect to %s: %s", s_peer(p),
			         strerror(p->connect_errno ? p->connect_errno : EHOSTUNREACH));
			vt_port_close(p);
			return -1;
		}
		/* Even a connect that succeeded at once is reported through
		 * vt_port_handle, so the loop has one path for it. */
		p->connecting = true;
		break;
	case VT_PORT_UDP:
		/* Open when the monitor announces itself (vt_port_handle). */
		if (vt_udp_resolve(p->spec, &p->peer, &p->peer_len, err, errlen) != 0)
			return -1;
		p->fd = vt_udp_listen(p->announce ? p->announce : VT_UDP_ANNOUNCE_DEFAULT, err, errlen);
		p->connecting = p->fd >= 0;
		break;
	}
	return p->fd >= 0 ? 0 : -1;
}

int
vt_port_fd(const struct vt_port *p)
{
	return p->fd;
}

short
vt_port_events(const struct vt_port *p)
{
	if (p->fd < 0)
		return 0;
	if (p->kind == VT_PORT_MLLP) /* its own epoll set: readable means "look" */
		return (short)(POLLIN | (p->connecting ? POLLOUT : 0));
	if (p->connecting)
		return p->kind == VT_PORT_UDP ? POLLIN : POLLOUT;
	return (short)(POLLIN | (p->out_len > 0 ? POLLOUT : 0));
}

int
vt_port_is_open(const struct vt_port *p)
{
	return p->fd >= 0 && !p->connecting;
}

/* Close and say why; the verdict for every kind of loss. */
static enum vt_port_io __attribute__((format(printf, 4, 5)))
s_lost(struct vt_port *p, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	vt_port_close(p);
	return VT_IO_LOST;
}

/* A TCP connect has progressed: done, failed over to the next address, or lost. */
static enum vt_port_io
s_connect_step(struct vt_port *p, short revents, char *err, size_t errlen)
{
	int e = vt_tcp_connect_result(p->fd);
	if (e == 0) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return VT_IO_NOTHING;
		if (revents & POLLOUT) {
			p->connecting = false;
			freeaddrinfo(p->addrs);
			p->addrs = p->next = NULL;
			return VT_IO_CONNECTED;
		}
		e = ECONNABORTED; /* hang-up without an error code */
	}
	p->connect_errno = e;
	close(p->fd);
	p->fd = vt_tcp_connect_next(&p->next, &p->connect_errno);
	if (p->fd >= 0)
		return VT_IO_NOTHING; /* trying the next address: new fd, same events */
	snprintf(err, errlen, "connect to %s: %s", s_peer(p), strerror(p->connect_errno));
	vt_port_close(p);
	return VT_IO_LOST;
}

/*
 * UDP, waiting: a datagram on the announce socket. From the monitor's
 * address, it is its announcement: talk to it on a socket of its own
 * from now on, the announcement in buf. From anyone else: not ours.
 */
static enum vt_port_io
s_announced(struct vt_port *p, uint8_t *buf, size_t cap, size_t *n, char *err, size_t errlen)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof from;
	ssize_t r = recvfrom(p->fd, buf, cap, MSG_TRUNC, (struct sockaddr *)&from, &flen);
	if (r < 0 || !vt_udp_same_host(&from, &p->peer))
		return VT_IO_NOTHING;
	int fd = vt_udp_connect(&p->peer, p->peer_len, err, errlen);
	if (fd < 0) {
		vt_port_close(p);
		return VT_IO_LOST;
	}
	close(p->fd);
	p->fd = fd;
	p->connecting = false;
	*n = (size_t)r < cap ? (size_t)r : 0; /* one too long for us is no announcement */
	return VT_IO_CONNECTED;
}

/* UDP: one datagram, after its 2-byte length. Nothing to lose: see port_udp.c. */
static enum vt_port_io
s_datagram(struct vt_port *p, uint8_t *buf, size_t cap, size_t *n)
{
	if (cap < 3)
		return VT_IO_NOTHING;
	ssize_t r = recv(p->fd, buf + 2, cap - 2, MSG_TRUNC);
	/* ECONNREFUSED: an earlier datagram found the monitor's port closed
	 * (it restarts); the driver asks again. A datagram longer than the
	 * buffer cannot be a message of the protocol: dropped. */
	if (r <= 0 || (size_t)r > cap - 2 || r > 0xFFFF)
		return VT_IO_NOTHING;
	buf[0] = (uint8_t)(r >> 8);
	buf[1] = (uint8_t)r;
	*n = (size_t)r + 2;
	return VT_IO_DATA;
}

enum vt_port_io
vt_port_handle(struct vt_port *p, short revents, uint8_t *buf, size_t cap, size_t *n, char *err,
               size_t errlen)
{
	*n = 0;
	if (p->fd < 0)
		return VT_IO_NOTHING;
	if (revents & POLLNVAL)
		return s_lost(p, err, errlen, "descriptor no longer valid");
	if (p->kind == VT_PORT_MLLP) {
		enum vt_port_io io = vt_mllp_view_handle(p->view, buf, cap, n, err, errlen);
		if (io == VT_IO_CONNECTED)
			p->connecting = false;
		if (io == VT_IO_LOST)
			vt_port_close(p);
		return io;
	}
	if (p->connecting && p->kind == VT_PORT_UDP)
		return (revents & POLLIN) ? s_announced(p, buf, cap, n, err, errlen) : VT_IO_NOTHING;
	if (p->connecting)
		return s_connect_step(p, revents, err, errlen);
	if ((revents & POLLOUT) && p->out_len > 0 && s_flush(p, err, errlen) != 0)
		return VT_IO_LOST; /* s_flush closed it */
	if (!(revents & (POLLIN | POLLHUP | POLLERR)) || cap == 0)
		return VT_IO_NOTHING;
	if (p->kind == VT_PORT_UDP)
		return s_datagram(p, buf, cap, n);

	/* Read even on POLLHUP/POLLERR: bytes that arrived before the hang-up
	 * are still data, and the read's own error names the failure best. */
	ssize_t r = read(p->fd, buf, cap);
	if (r > 0) {
		*n = (size_t)r;
		return VT_IO_DATA;
	}
	if (r == 0)
		return s_lost(p, err, errlen, "%s",
		              p->kind == VT_PORT_TCP ? "connection closed by the device server"
		                                     : "end of file (the line hung up)");
	int e = errno;
	if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) {
		if (!(revents & (POLLHUP | POLLERR)))
			return VT_IO_NOTHING; /* a spurious wake-up */
		if (p->kind == VT_PORT_TCP && (e = vt_tcp_connect_result(p->fd)) != 0)
			return s_lost(p, err, errlen, "connection error: %s", strerror(e));
		return s_lost(p, err, errlen, "%s",
		              (revents & POLLHUP) ? "hang-up" : "error condition on the line");
	}
	if (e == EIO)
		return s_lost(p, err, errlen, "read: %s (device unplugged or line closed)",
		              strerror(e));
	return s_lost(p, err, errlen, "read: %s", strerror(e));
}

/*
 * Write what the line takes now from the front of the output buffer. 0
 * (whatever is left waits for POLLOUT), or -1 with err after a write error
 * (the port is closed then: the device is gone).
 */
static int
s_flush(struct vt_port *p, char *err, size_t errlen)
{
	size_t off = 0;
	while (p->kind == VT_PORT_UDP && off + 2 <= p->out_len) {
		/* One datagram per message (its 2-byte length in front). A send
		 * that fails for the network's sake loses that datagram only. */
		size_t len = (size_t)(p->out[off] << 8 | p->out[off + 1]);
		if (off + 2 + len > p->out_len)
			break;
		ssize_t w = send(p->fd, p->out + off + 2, len, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		off += 2 + len;
	}
	while (p->kind != VT_PORT_UDP && off < p->out_len) {
		/* send() on sockets: MSG_NOSIGNAL turns a dead peer's SIGPIPE into EPIPE. */
		ssize_t w = p->kind == VT_PORT_TCP
		                ? send(p->fd, p->out + off, p->out_len - off, MSG_NOSIGNAL)
		                : write(p->fd, p->out + off, p->out_len - off);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		int e = w < 0 ? errno : EIO;
		if (e == EAGAIN || e == EWOULDBLOCK)
			break;
		s_lost(p, err, errlen, "write: %s", strerror(e));
		return -1;
	}
	memmove(p->out, p->out + off, p->out_len - off);
	p->out_len -= off;
	return 0;
}

int
vt_port_write(struct vt_port *p, const uint8_t *bytes, size_t len, char *err, size_t errlen)
{
	if (!vt_port_is_open(p)) {
		snprintf(err, errlen, "%s: not open", p->spec);
		return -1;
	}
	if (p->kind == VT_PORT_MLLP) {
		int rc = vt_mllp_view_write(p->view, bytes, len, err, errlen);
		p->out_dropped += rc > 0;
		return rc;
	}
	if (len > sizeof(p->out) - p->out_len) {
		p->out_dropped++;
		snprintf(err, errlen, "%s: output buffer full (%zu bytes waiting for the device); "
		         "%zu bytes dropped", p->spec, p->out_len, len);
		return 1;
	}
	memcpy(p->out + p->out_len, bytes, len);
	p->out_len += len;
	return s_flush(p, err, errlen);
}

size_t
vt_port_pending(const struct vt_port *p)
{
	if (p->kind == VT_PORT_MLLP)
		return vt_mllp_view_pending(p->view);
	return p->out_len;
}

uint64_t
vt_port_dropped(const struct vt_port *p)
{
	return p->out_dropped;
}
