/*
 * Monitors on a LAN that speak in datagrams (udp://HOST[:PORT]): the
 * Philips IntelliVue's Data Export over its network port. Such a monitor
 * announces itself, every few seconds, with a datagram to the announce
 * port (24005; by multicast to 224.0.23.63 or by broadcast); the host
 * then talks to it on its data port (24105). So the port listens on the
 * announce address until a datagram comes from the monitor's own address,
 * and then uses a socket connected to the monitor's data port: the kernel
 * keeps other senders' datagrams away from it.
 *
 * UDP has no connection to lose: a monitor that is switched off simply
 * goes quiet, which the driver (it associates again) and the core
 * (comm-lost) see as silence.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vitals/io/port_impl.h"

/* Where IntelliVue monitors announce themselves (the Data Export guide). */
#define S_ANNOUNCE_GROUP "224.0.23.63"

/* Split "HOST:PORT", "[v6]:PORT", "HOST" or "[v6]" into host and port text. */
static int
s_split(const char *hp, char *host, size_t hostlen, char *port, size_t portlen,
        const char *dflt_port)
{
	const char *hend, *colon;
	if (hp[0] == '[') {
		hp++;
		hend = strchr(hp, ']');
		if (hend == NULL || (hend[1] != ':' && hend[1] != '\0'))
			return -1;
		colon = hend[1] == ':' ? hend + 1 : NULL;
	} else {
		colon = strrchr(hp, ':');
		hend = colon ? colon : hp + strlen(hp);
	}
	size_t n = (size_t)(hend - hp);
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, hp, n);
	host[n] = '\0';
	snprintf(port, portlen, "%s", colon ? colon + 1 : dflt_port);
	char *end;
	long v = strtol(port, &end, 10);
	return port[0] >= '0' && port[0] <= '9' && *end == '\0' && v >= 1 && v <= 65535 ? 0 : -1;
}

/* Resolve host and port (numeric, else with the system resolver) into *addr. */
static int
s_resolve(const char *what, const char *host, const char *port, int passive,
          struct sockaddr_storage *addr, socklen_t *len, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
	                         .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | passive};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG | passive;
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot resolve %s: %s", what, host,
		         rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
vt_udp_resolve(const char *spec, struct sockaddr_storage *addr, socklen_t *len, char *err,
               size_t errlen)
{
	char host[256], port[8];
	if (strncmp(spec, "udp://", 6) != 0 ||
	    s_split(spec + 6, host, sizeof host, port, sizeof port, VT_UDP_DATA_PORT) != 0) {
		snprintf(err, errlen, "%s: expected udp://HOST or udp://HOST:PORT (PORT 1-65535, an "
		         "IPv6 address in brackets)", spec);
		return -1;
	}
	return s_resolve(spec, host, port, 0, addr, len, err, errlen);
}

int
vt_udp_listen(const char *announce, char *err, size_t errlen)
{
	char host[256], port[8];
	if (s_split(announce, host, sizeof host, port, sizeof port, VT_UDP_ANNOUNCE_PORT) != 0) {
		snprintf(err, errlen, "announce %s: expected HOST:PORT", announce);
		return -1;
	}
	struct sockaddr_storage addr;
	socklen_t len;
	if (s_resolve(announce, host, port, AI_PASSIVE, &addr, &len, err, errlen) != 0)
		return -1;
	int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "announce %s: socket: %s", announce, strerror(errno));
		return -1;
	}
	/* Several beds listen to the same announcements (each for its own monitor). */
	int on = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (bind(fd, (struct sockaddr *)&addr, len) != 0) {
		snprintf(err, errlen, "announce %s: bind: %s", announce, strerror(errno));
		close(fd);
		return -1;
	}
	/* On every interface, the monitors' multicast group too; a host without
	 * a multicast route still hears broadcasts and unicasts. */
	if (addr.ss_family == AF_INET &&
	    ((struct sockaddr_in *)&addr)->sin_addr.s_addr == htonl(INADDR_ANY)) {
		struct ip_mreq m = {.imr_interface.s_addr = htonl(INADDR_ANY)};
		inet_pton(AF_INET, S_ANNOUNCE_GROUP, &m.imr_multiaddr);
		(void)setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m);
	}
	return fd;
}

bool
vt_udp_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
	return false;
}

int
vt_udp_connect(const struct sockaddr_storage *addr, socklen_t len, char *err, size_t errlen)
{
	int fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)addr, len) != 0) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
