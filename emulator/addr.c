/*
 * Socket addresses, as the command line gives them ("HOST:PORT", ":PORT",
 * "PORT", "[v6]:PORT"; HOST defaults to 127.0.0.1) and as the log prints
 * them. Shared by the TCP and UDP endpoints.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/emulator/emulate.h"

void
vt_emu_addr_name(const struct sockaddr *sa, char *dst, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(dst, len, "%s:%d", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(dst, len, "[%s]:%d", host, ntohs(in6->sin6_port));
	} else {
		snprintf(dst, len, "?");
	}
}

int
vt_emu_addr_parse(const char *hostport, int socktype, struct sockaddr_storage *addr,
                  socklen_t *addrlen, char *err, size_t errlen)
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
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = socktype,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}
