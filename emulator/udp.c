/*
 * The emulator as a monitor on a LAN (--udp): the Philips IntelliVue's
 * Data Export over UDP. The monitor's data socket is bound where --udp
 * says and answers whoever sent the request; its announcements (the
 * Connect Indication) go to --announce, where a host listens. Every
 * message is one datagram: the encoder hands them over each with its
 * 2-byte length in front (encode.h), and the host's datagrams reach it the
 * same way. Nothing waits: a datagram the socket cannot take now is lost,
 * as on a network. An unplug closes the socket (the monitor switched
 * off); the replug binds the same port again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vitals/emulator/emulate.h"

void
vt_emu_udp_init(struct vt_emu_udp *u)
{
	memset(u, 0, sizeof(*u));
	u->fd = -1;
}

int
vt_emu_udp_open(struct vt_emu_udp *u, const char *bind_to, const char *announce, char *err,
                size_t errlen)
{
	if (u->addrlen == 0 &&
	    (vt_emu_addr_parse(bind_to, SOCK_DGRAM, &u->addr, &u->addrlen, err, errlen) != 0 ||
	     vt_emu_addr_parse(announce, SOCK_DGRAM, &u->announce, &u->announce_len, err,
	                       errlen) != 0)) {
		u->addrlen = 0;
		return -1;
	}
	int fd = socket(u->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&u->addr, u->addrlen) != 0) {
		char name[96];
		vt_emu_addr_name((struct sockaddr *)&u->addr, name, sizeof(name));
		snprintf(err, errlen, "cannot bind %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	/* Port 0 asked for any free port: keep the one we got, for the replug. */
	u->addrlen = sizeof(u->addr);
	getsockname(fd, (struct sockaddr *)&u->addr, &u->addrlen);
	vt_emu_addr_name((struct sockaddr *)&u->addr, u->name, sizeof(u->name));
	u->fd = fd;
	u->host_len = 0;
	return 0;
}

uint16_t
vt_emu_udp_port(const struct vt_emu_udp *u)
{
	const struct sockaddr *sa = (const struct sockaddr *)&u->addr;
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return 0;
}

bool
vt_emu_udp_recv(struct vt_emu_udp *u)
{
	if (u->fd < 0)
		return false;
	struct sockaddr_storage from;
	socklen_t flen = sizeof from;
	ssize_t n = recvfrom(u->fd, u->rx + 2, sizeof(u->rx) - 2, MSG_TRUNC,
	                     (struct sockaddr *)&from, &flen);
	if (n <= 0 || (size_t)n > sizeof(u->rx) - 2)
		return false; /* nothing, or longer than any host message: not ours */
	u->rx[0] = (uint8_t)(n >> 8);
	u->rx[1] = (uint8_t)n;
	u->rx_len = (size_t)n + 2;
	u->host = from;
	u->host_len = flen;
	return true;
}

size_t
vt_emu_udp_send(struct vt_emu_udp *u, const uint8_t *b, size_t n, bool announce)
{
	if (u->fd < 0 || (!announce && u->host_len == 0))
		return 0;
	size_t sent = 0;
	for (size_t off = 0; off + 2 <= n;) {
		size_t len = (size_t)(b[off] << 8 | b[off + 1]);
		if (off + 2 + len > n)
			break;
		const struct sockaddr *to = announce ? (const struct sockaddr *)&u->announce
		                                     : (const struct sockaddr *)&u->host;
		socklen_t tolen = announce ? u->announce_len : u->host_len;
		if (sendto(u->fd, b + off + 2, len, MSG_DONTWAIT, to, tolen) == (ssize_t)len)
			sent += len;
		off += 2 + len;
	}
	return sent;
}

void
vt_emu_udp_close(struct vt_emu_udp *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	u->host_len = 0;
}
