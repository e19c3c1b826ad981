/*
 * Serial device servers: a monitor's RS-232 line bridged to a TCP port,
 * as hospitals use to reach bedside monitors from a server room. The
 * daemon is the client. Connecting never blocks: the socket is
 * non-blocking, the event loop waits for it to become writable, and
 * SO_ERROR tells how it went.
 *
 * A numeric address never touches the resolver. A host name is resolved
 * when the port is opened, with the system resolver, which blocks for as
 * long as it takes; configurations should use addresses (or names in
 * /etc/hosts) for device servers.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vitals/io/port_impl.h"

/*
 * A device server that vanishes without a FIN or RST (power cut, cable
 * pulled) would leave the connection open forever; keepalive probes
 * close it after about KEEPIDLE + KEEPCNT * KEEPINTVL = 25 s of silence so
 * the loop reconnects. The stale-data alarm fires earlier on its own.
 */
#define S_KEEPIDLE_S  10
#define S_KEEPINTVL_S 5
#define S_KEEPCNT     3
/* SYN retries: an unanswered connect gives up after about 15 s, not 2 min. */
#define S_SYNCNT 3

/* Split "tcp://HOST:PORT" into host (brackets removed) and port text. */
static int
s_split(const char *spec, char *host, size_t hostlen, const char **service)
{
	if (strncmp(spec, "tcp://", 6) != 0)
		return -1;
	const char *hp = spec + 6, *hend, *colon;
	if (hp[0] == '[') {
		hp++;
		hend = strchr(hp, ']');
		if (hend == NULL || hend[1] != ':')
			return -1;
		colon = hend + 1;
	} else {
		colon = strrchr(hp, ':');
		if (colon == NULL)
			return -1;
		hend = colon;
	}
	size_t n = (size_t)(hend - hp);
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, hp, n);
	host[n] = '\0';
	*service = colon + 1;
	char *end;
	long portno = strtol(*service, &end, 10);
	if (**service < '0' || **service > '9' || *end != '\0' || portno < 1 || portno > 65535)
		return -1;
	return 0;
}

int
vt_tcp_resolve(const char *spec, struct addrinfo **out, char *err, size_t errlen)
{
	char host[256];
	const char *service;
	if (s_split(spec, host, sizeof(host), &service) != 0) {
		snprintf(err, errlen,
		         "%s: expected tcp://HOST:PORT (PORT 1-65535, an IPv6 address in brackets)",
		         spec);
		return -1;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	int rc = getaddrinfo(host, service, &hints, out);
	if (rc == EAI_NONAME) {
		/* Not an address: a name, resolved now (see the top of the file). */
		hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
		rc = getaddrinfo(host, service, &hints, out);
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot resolve %s: %s", spec, host,
		         rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	return 0;
}

/* Keepalive and SYN limits; a failure only costs the faster detection. */
static void
s_tune(int fd)
{
	int on = 1, idle = S_KEEPIDLE_S, intvl = S_KEEPINTVL_S, cnt = S_KEEPCNT, syn = S_SYNCNT;
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &syn, sizeof(syn));
}

int
vt_tcp_connect_next(struct addrinfo **cursor, int *last_errno)
{
	while (*cursor != NULL) {
		struct addrinfo *ai = *cursor;
		*cursor = ai->ai_next;
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		                ai->ai_protocol);
		if (fd < 0) {
			*last_errno = errno;
			continue;
		}
		s_tune(fd);
		/* EINTR leaves a non-blocking connect going on, like EINPROGRESS. */
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS ||
		    errno == EINTR)
			return fd;
		*last_errno = errno;
		close(fd);
	}
	return -1;
}

int
vt_tcp_connect_result(int fd)
{
	int e = 0;
	socklen_t len = sizeof(e);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
		return errno;
	return e;
}
