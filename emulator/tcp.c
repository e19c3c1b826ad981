/*
 * The emulator as a serial device server: hospitals reach bedside monitors
 * through boxes that put a serial line on a TCP port, one client at a time.
 * A second client waits in the backlog until the first leaves. As on the
 * pty, nothing waits for a slow client: what the socket buffer cannot take
 * is lost. An unplug closes the connection and the listener both, so a
 * client sees its connection end and its reconnects refused until the
 * replug, as when the box itself is switched off.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vitals/emulator/emulate.h"

void
vt_emu_tcp_init(struct vt_emu_tcp *t)
{
	memset(t, 0, sizeof(*t));
	t->listen_fd = -1;
	t->client_fd = -1;
}

/* Bind and listen on t->addr; resolve the port actually bound. */
static int
s_listen(struct vt_emu_tcp *t, char *err, size_t errlen)
{
	int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&t->addr, t->addrlen) != 0 || listen(fd, 4) != 0) {
		char name[96];
		vt_emu_addr_name((struct sockaddr *)&t->addr, name, sizeof(name));
		snprintf(err, errlen, "cannot listen on %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	/* Port 0 asked for any free port: keep the one we got, for re-listening. */
	t->addrlen = sizeof(t->addr);
	getsockname(fd, (struct sockaddr *)&t->addr, &t->addrlen);
	vt_emu_addr_name((struct sockaddr *)&t->addr, t->name, sizeof(t->name));
	t->listen_fd = fd;
	return 0;
}

int
vt_emu_tcp_listen(struct vt_emu_tcp *t, const char *hostport, char *err, size_t errlen)
{
	if (vt_emu_addr_parse(hostport, SOCK_STREAM, &t->addr, &t->addrlen, err, errlen) != 0)
		return -1;
	return s_listen(t, err, errlen);
}

int
vt_emu_tcp_relisten(struct vt_emu_tcp *t, char *err, size_t errlen)
{
	if (t->listen_fd >= 0)
		return 0;
	return s_listen(t, err, errlen);
}

int
vt_emu_tcp_fd(const struct vt_emu_tcp *t)
{
	return t->client_fd >= 0 ? t->client_fd : t->listen_fd;
}

static void
s_drop_client(struct vt_emu_tcp *t)
{
	if (t->client_fd >= 0)
		close(t->client_fd);
	t->client_fd = -1;
}

enum vt_emu_tcp_io
vt_emu_tcp_handle(struct vt_emu_tcp *t, short revents)
{
	if (t->client_fd < 0) {
		if (t->listen_fd < 0 || !(revents & POLLIN))
			return VT_EMU_TCP_NOTHING;
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(t->listen_fd, (struct sockaddr *)&peer, &plen,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return VT_EMU_TCP_NOTHING; /* the client gave up already */
		t->client_fd = fd;
		vt_emu_addr_name((struct sockaddr *)&peer, t->peer, sizeof(t->peer));
		return VT_EMU_TCP_ACCEPTED;
	}
	if (revents & (POLLERR | POLLHUP)) {
		s_drop_client(t);
		return VT_EMU_TCP_GONE;
	}
	if (revents & POLLIN) {
		/* What a client sends goes to the device (a host's request), if it
		 * listens; reading it also notices the end of the connection. */
		ssize_t n = read(t->client_fd, t->rx, sizeof(t->rx));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			s_drop_client(t);
			return VT_EMU_TCP_GONE;
		}
		if (n > 0) {
			t->rx_len = (size_t)n;
			return VT_EMU_TCP_RECEIVED;
		}
	}
	return VT_EMU_TCP_NOTHING;
}

size_t
vt_emu_tcp_write(struct vt_emu_tcp *t, const uint8_t *b, size_t n, bool *gone)
{
	*gone = false;
	if (t->client_fd < 0)
		return 0;
	ssize_t w = send(t->client_fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w >= 0)
		return (size_t)w;
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		s_drop_client(t);
		*gone = true;
	}
	return 0;
}

void
vt_emu_tcp_close(struct vt_emu_tcp *t)
{
	/* The listener first: a client that sees its connection end and calls
	 * straight back must find the port closed. */
	if (t->listen_fd >= 0)
		close(t->listen_fd);
	t->listen_fd = -1;
	s_drop_client(t);
}
