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

/* "host:port" for an address, [v6]:port for IPv6. */
static void
s_name(const struct sockaddr *sa, char *dst, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(dst, len, "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(dst, len, "[%s]:%d", host, port);
	} else {
		snprintf(dst, len, "?");
	}
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
		s_name((struct sockaddr *)&t->addr, name, sizeof(name));
		snprintf(err, errlen, "cannot listen on %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	/* Port 0 asked for any free port: keep the one we got, for re-listening. */
	t->addrlen = sizeof(t->addr);
	getsockname(fd, (struct sockaddr *)&t->addr, &t->addrlen);
	s_name((struct sockaddr *)&t->addr, t->name, sizeof(t->name));
	t->listen_fd = fd;
	return 0;
}

int
vt_emu_tcp_listen(struct vt_emu_tcp *t, const char *hostport, char *err, size_t errlen)
{
	char host[256] = "127.0.0.1";
	const char *port = hostport;
	const char *colon = strrchr(hostport, ':');
	if (colon != NULL) {
		const char *h = hostport;
		size_t hl = (size_t)(colon - hostport);
		if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		if (hl >= sizeof(host)) {
			snprintf(err, errlen, "%s: host name too long", hostport);
			return -1;
		}
		if (hl > 0) {
			memcpy(host, h, hl);
			host[hl] = '\0';
		}
		port = colon + 1;
	}
	if (*port == '\0' || strspn(port, "0123456789") != strlen(port) || atoi(port) > 65535) {
		snprintf(err, errlen, "%s: expected HOST:PORT with a port from 0 to 65535", hostport);
		return -1;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
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
		s_name((struct sockaddr *)&peer, t->peer, sizeof(t->peer));
		return VT_EMU_TCP_ACCEPTED;
	}
	if (revents & (POLLERR | POLLHUP)) {
		s_drop_client(t);
		return VT_EMU_TCP_GONE;
	}
	if (revents & POLLIN) {
		/* What a client sends (a Nonin format command, say) goes nowhere:
		 * read it to notice the end of the connection. */
		uint8_t sink[512];
		ssize_t n = read(t->client_fd, sink, sizeof(sink));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			s_drop_client(t);
			return VT_EMU_TCP_GONE;
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
