/*
 * HL7 senders for the tests (hl7.h): the python3-hl7 client and a plain
 * MLLP connection.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hl7.h"
#include "run.h"

void
vt_rig_hl7_send(const char *addr, char *out, size_t len, const char *const *files)
{
	const char *colon = strrchr(addr, ':');
	cr_assert_not_null(colon, "%s: expected HOST:PORT", addr);
	char host[64], port[16];
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	snprintf(port, sizeof(port), "%s", colon + 1);
	char *argv[16] = {"/usr/bin/python3", (char *)vt_rig_root("tests/hl7_send.py"), host, port};
	int n = 4;
	for (size_t i = 0; files[i] != NULL; i++) {
		cr_assert_lt(n, 15, "too many files for one client");
		argv[n++] = (char *)files[i];
	}
	argv[n] = NULL;
	struct vt_rig_output r;
	vt_rig_run(argv, &r);
	cr_assert_eq(r.status, 0, "hl7_send.py: %s", r.err);
	snprintf(out, len, "%s", r.out);
	vt_rig_output_free(&r);
}

int
vt_rig_mllp_connect(const char *addr)
{
	const char *colon = strrchr(addr, ':');
	cr_assert_not_null(colon, "%s: expected HOST:PORT", addr);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)atoi(colon + 1))};
	char host[64];
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	cr_assert_eq(inet_pton(AF_INET, host, &sa.sin_addr), 1, "%s: not an IPv4 address", host);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect %s: %s", addr,
	             strerror(errno));
	return fd;
}

void
vt_rig_mllp_write(int fd, const void *bytes, size_t n)
{
	const char *p = bytes;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		cr_assert_gt(w, 0, "write: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

ssize_t
vt_rig_mllp_read(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t n = 0;
	bool in = false;
	int64_t end = vt_rig_now_ms() + timeout_ms;
	for (;;) {
		int64_t left = end - vt_rig_now_ms();
		if (left <= 0)
			return -1;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		char c;
		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == 0x0B) {
			in = true;
			n = 0;
		} else if (c == 0x1C && in) {
			buf[n] = '\0';
			return (ssize_t)n;
		} else if (in && n + 1 < cap) {
			buf[n++] = c;
		}
	}
}
