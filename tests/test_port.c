/*
 * Ports against real kernel objects, no hardware: pseudo-terminals (the
 * test holds the master, the port opens the slave like a serial device)
 * and TCP on 127.0.0.1. Every wait is a poll() with a generous deadline;
 * no test sleeps for a fixed time, so a slow machine is slower, not flaky.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/io/port.h"

#define WAIT_MS 5000

/* A pty pair: the master fd, and the slave path in `path`. */
static int
s_pty(char *path, size_t len)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(m, 0, "posix_openpt: %s", strerror(errno));
	cr_assert_eq(grantpt(m), 0);
	cr_assert_eq(unlockpt(m), 0);
	cr_assert_eq(ptsname_r(m, path, len), 0);
	return m;
}

/* Wait for the port's own events; the poll revents, or 0 on timeout. */
static short
s_poll_port(struct vt_port *p)
{
	struct pollfd pfd = {.fd = vt_port_fd(p), .events = vt_port_events(p)};
	cr_assert_geq(pfd.fd, 0, "port is closed");
	int rc = poll(&pfd, 1, WAIT_MS);
	cr_assert_geq(rc, 0, "poll: %s", strerror(errno));
	return rc == 0 ? 0 : pfd.revents;
}

/*
 * Poll and handle until something other than VT_IO_NOTHING happens. Each
 * round must be a real wake-up, and few are allowed: a port that wakes
 * the loop without making progress would spin a daemon.
 */
static enum vt_port_io
s_next(struct vt_port *p, uint8_t *buf, size_t cap, size_t *n, char *err, size_t errlen)
{
	for (int round = 0; round < 4; round++) {
		short rev = s_poll_port(p);
		cr_assert_neq(rev, 0, "no event within %d ms", WAIT_MS);
		enum vt_port_io io = vt_port_handle(p, rev, buf, cap, n, err, errlen);
		if (io != VT_IO_NOTHING)
			return io;
	}
	cr_assert_fail("the port keeps waking up without progress");
	return VT_IO_NOTHING;
}

/* Read from the port until `want` bytes came, and compare. */
static void
s_expect_bytes(struct vt_port *p, const char *want)
{
	size_t len = strlen(want), got = 0;
	char acc[256] = {0};
	char err[256];
	while (got < len) {
		uint8_t buf[64];
		size_t n;
		enum vt_port_io io = s_next(p, buf, sizeof(buf), &n, err, sizeof(err));
		cr_assert_eq(io, VT_IO_DATA, "expected data, got %d (%s)", io, err);
		cr_assert_leq(got + n, len, "more bytes than written");
		memcpy(acc + got, buf, n);
		got += n;
	}
	cr_assert_eq(memcmp(acc, want, len), 0, "bytes differ: got '%.*s'", (int)len, acc);
}

/* Read `len` bytes from a plain fd (the pty master, the server socket). */
static void
s_expect_fd(int fd, const char *want)
{
	size_t len = strlen(want), got = 0;
	char acc[256];
	while (got < len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		cr_assert_eq(poll(&pfd, 1, WAIT_MS), 1, "nothing arrived");
		ssize_t r = read(fd, acc + got, len - got);
		cr_assert_gt(r, 0, "read: %s", strerror(errno));
		got += (size_t)r;
	}
	cr_assert_eq(memcmp(acc, want, len), 0);
}

static void
s_write_all(int fd, const char *s)
{
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Expect the port to report loss, be closed afterwards, and ask for nothing. */
static void
s_expect_lost(struct vt_port *p, const char *reason_part)
{
	uint8_t buf[64];
	size_t n;
	char err[256] = "";
	enum vt_port_io io;
	/* Bytes still buffered may come first; loss must follow promptly. */
	for (int i = 0; (io = s_next(p, buf, sizeof(buf), &n, err, sizeof(err))) == VT_IO_DATA; i++)
		cr_assert_lt(i, 4, "data keeps coming after the peer went away");
	cr_assert_eq(io, VT_IO_LOST, "expected VT_IO_LOST, got %d", io);
	cr_assert_neq(err[0], '\0', "a lost port must say why");
	if (reason_part != NULL)
		cr_assert(strstr(err, reason_part) != NULL, "reason '%s' lacks '%s'", err, reason_part);
	cr_assert_eq(vt_port_fd(p), -1);
	cr_assert_eq(vt_port_events(p), 0);
	cr_assert_not(vt_port_is_open(p));
	cr_assert_eq(vt_port_handle(p, POLLIN, buf, sizeof(buf), &n, err, sizeof(err)),
	             VT_IO_NOTHING, "a closed port has nothing to handle");
}

Test(port, kind_of)
{
	char path[64];
	int m = s_pty(path, sizeof(path));
	cr_assert_eq(vt_port_kind_of(path), VT_PORT_PTY);
	cr_assert_eq(vt_port_kind_of("tcp://127.0.0.1:4001"), VT_PORT_TCP);
	cr_assert_eq(vt_port_kind_of("/dev/serial/by-id/usb-FTDI_FT232R-if00-port0"),
	             VT_PORT_SERIAL);
	close(m);
}

Test(port, pty_bytes_flow_both_ways)
{
	char path[64], err[256];
	int m = s_pty(path, sizeof(path));
	struct vt_port *p = vt_port_new(path, 9600, VT_FLOW_NONE);
	cr_assert_eq(vt_port_open(p, err, sizeof(err)), 0, "%s", err);
	cr_assert(vt_port_is_open(p), "a pty is open as soon as vt_port_open returns");
	cr_assert_eq(vt_port_events(p), POLLIN);

	/* Raw mode: CR, LF and bytes above 0x7f arrive untouched. */
	s_write_all(m, "SPO2=097 BPM=072\r\n\x81\x96");
	s_expect_bytes(p, "SPO2=097 BPM=072\r\n\x81\x96");

	const uint8_t wake[] = "\x02Q\r\n";
	cr_assert_eq(vt_port_write(p, wake, 4, err, sizeof(err)), 0, "%s", err);
	s_expect_fd(m, "\x02Q\r\n");

	/* A wake-up with nothing to read is harmless. */
	uint8_t buf[16];
	size_t n = 99;
	cr_assert_eq(vt_port_handle(p, POLLIN, buf, sizeof(buf), &n, err, sizeof(err)),
	             VT_IO_NOTHING);
	cr_assert_eq(n, 0);
	cr_assert(vt_port_is_open(p));

	vt_port_free(&p);
	cr_assert_null(p);
	close(m);
}

Test(port, pty_master_closed_is_lost_not_a_spin)
{
	char path[64], err[256];
	int m = s_pty(path, sizeof(path));
	struct vt_port *p = vt_port_new(path, 19200, VT_FLOW_XONXOFF);
	cr_assert_eq(vt_port_open(p, err, sizeof(err)), 0, "%s", err);
	s_write_all(m, "abc");
	s_expect_bytes(p, "abc");
	close(m);
	s_expect_lost(p, NULL);
	uint8_t b = 0;
	cr_assert_eq(vt_port_write(p, &b, 1, err, sizeof(err)), -1, "writing to a lost port");
	vt_port_free(&p);
}

Test(port, pty_reopen_through_a_link)
{
	/* The emulator's --pty LINK: the link points at a new slave each run. */
	char dir[] = "/tmp/vt-port-XXXXXX", link[128], path[64], err[256];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/monitor", dir);
	int m = s_pty(path, sizeof(path));
	cr_assert_eq(symlink(path, link), 0);
	cr_assert_eq(vt_port_kind_of(link), VT_PORT_PTY);

	struct vt_port *p = vt_port_new(link, 9600, VT_FLOW_NONE);
	cr_assert_eq(vt_port_open(p, err, sizeof(err)), 0, "%s", err);
	s_write_all(m, "first\n");
	s_expect_bytes(p, "first\n");
	close(m);
	s_expect_lost(p, NULL);

	/* While the device is gone, opening fails with a reason, not a hang. */
	if (vt_port_open(p, err, sizeof(err)) == 0) {
		/* The kernel may keep the slave node for a moment; it is dead anyway. */
		s_expect_lost(p, NULL);
	} else {
		cr_assert(strstr(err, link) != NULL, "message names the port: %s", err);
	}

	m = s_pty(path, sizeof(path));
	cr_assert_eq(unlink(link), 0);
	cr_assert_eq(symlink(path, link), 0);
	cr_assert_eq(vt_port_open(p, err, sizeof(err)), 0, "%s", err);
	s_write_all(m, "second\n");
	s_expect_bytes(p, "second\n");
	vt_port_free(&p);
	close(m);
	unlink(link);
	rmdir(dir);
}

Test(port, pty_unsupported_speed)
{
	char path[64], err[256];
	int m = s_pty(path, sizeof(path));
	struct vt_port *p = vt_port_new(path, 12345, VT_FLOW_NONE);
	cr_assert_eq(vt_port_open(p, err, sizeof(err)), -1);
	cr_assert(strstr(err, "12345 baud") != NULL, "%s", err);
	cr_assert_eq(vt_port_fd(p), -1);
	vt_port_free(&p);
	close(m);
}

Test(port, missing_serial_device)
{
	const char *path = "/dev/serial/by-id/usb-vitalsd-test-no-such-adapter-if00-port0";
	char err[256];
	struct vt_port *p = vt_port_new(path, 9600, VT_FLOW_NONE);
	cr_assert_eq(vt_port_kind_of(path), VT_PORT_SERIAL);
	cr_assert_eq(vt_port_open(p, err, sizeof(err)), -1);
	cr_assert(strstr(err, path) != NULL, "message names the path: %s", err);
	cr_assert(strstr(err, "No such file or directory") != NULL, "%s", err);
	cr_assert_eq(vt_port_fd(p), -1);
	cr_assert_not(vt_port_is_open(p));
	vt_port_free(&p);
}

Test(port, not_a_serial_device)
{
	char err[256];
	struct vt_port *p = vt_port_new("/dev/null", 9600, VT_FLOW_NONE);
	cr_assert_eq(vt_port_open(p, err, sizeof(err)), -1);
	cr_assert(strstr(err, "/dev/null") != NULL && strstr(err, "not a") != NULL, "%s", err);
	vt_port_free(&p);

	char file[] = "/tmp/vt-port-file-XXXXXX";
	int fd = mkstemp(file);
	cr_assert_geq(fd, 0);
	close(fd);
	p = vt_port_new(file, 9600, VT_FLOW_NONE);
	cr_assert_eq(vt_port_open(p, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not a serial device") != NULL, "%s", err);
	vt_port_free(&p);
	unlink(file);
}

/* A listening socket on 127.0.0.1 with a port the kernel picked. */
static int
s_listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(fd, 4), 0);
	socklen_t len = sizeof(sa);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Connect a port to a fresh listener; returns the server side of the connection. */
static int
s_tcp_connected(struct vt_port **pp, int *lfd)
{
	int portno;
	char spec[64], err[256];
	*lfd = s_listener(&portno);
	snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%d", portno);
	*pp = vt_port_new(spec, 9600, VT_FLOW_NONE);
	cr_assert_eq(vt_port_kind_of(spec), VT_PORT_TCP);
	cr_assert_eq(vt_port_open(*pp, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(vt_port_is_open(*pp), "a TCP port is connecting until the loop sees POLLOUT");
	cr_assert_eq(vt_port_events(*pp), POLLOUT);
	uint8_t buf[8];
	size_t n;
	cr_assert_eq(s_next(*pp, buf, sizeof(buf), &n, err, sizeof(err)), VT_IO_CONNECTED, "%s",
	             err);
	cr_assert(vt_port_is_open(*pp));
	cr_assert_eq(vt_port_events(*pp), POLLIN);
	struct pollfd pfd = {.fd = *lfd, .events = POLLIN};
	cr_assert_eq(poll(&pfd, 1, WAIT_MS), 1);
	int s = accept(*lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	return s;
}

Test(port, tcp_connect_data_and_peer_close)
{
	struct vt_port *p;
	int lfd, s = s_tcp_connected(&p, &lfd);
	char err[256];

	cr_assert_eq(write(s, "+SPO2 98\r\n", 10), 10);
	s_expect_bytes(p, "+SPO2 98\r\n");
	cr_assert_eq(vt_port_write(p, (const uint8_t *)"?", 1, err, sizeof(err)), 0, "%s", err);
	s_expect_fd(s, "?");

	/* Bytes sent just before the close are still delivered, then loss. */
	cr_assert_eq(write(s, "tail", 4), 4);
	close(s);
	s_expect_bytes(p, "tail");
	s_expect_lost(p, "closed");
	vt_port_free(&p);
	close(lfd);
}

Test(port, tcp_reset_is_lost)
{
	struct vt_port *p;
	int lfd, s = s_tcp_connected(&p, &lfd);
	/* Linger 0 makes close() send RST: the device server crashed. */
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	cr_assert_eq(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(s);
	s_expect_lost(p, "reset");
	vt_port_free(&p);
	close(lfd);
}

Test(port, tcp_refused_fails_cleanly)
{
	/* A port nobody listens on: bind to learn a free one, then let it go. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t len = sizeof(sa);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	char spec[64], err[256] = "";
	snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%d", ntohs(sa.sin_port));

	struct vt_port *p = vt_port_new(spec, 9600, VT_FLOW_NONE);
	if (vt_port_open(p, err, sizeof(err)) == 0) {
		uint8_t buf[8];
		size_t n;
		cr_assert_eq(s_next(p, buf, sizeof(buf), &n, err, sizeof(err)), VT_IO_LOST);
	}
	cr_assert(strstr(err, "refused") != NULL, "%s", err);
	cr_assert(strstr(err, spec + 6) != NULL, "message names the peer: %s", err);
	cr_assert_eq(vt_port_fd(p), -1);
	cr_assert_eq(vt_port_events(p), 0);
	vt_port_free(&p);
}

Test(port, tcp_bad_specs)
{
	const char *bad[] = {"tcp://", "tcp://127.0.0.1", "tcp://127.0.0.1:", "tcp://:4001",
	                     "tcp://127.0.0.1:0", "tcp://127.0.0.1:65536", "tcp://127.0.0.1:40x",
	                     "tcp://[::1:4001"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		struct vt_port *p = vt_port_new(bad[i], 9600, VT_FLOW_NONE);
		cr_assert_eq(vt_port_open(p, err, sizeof(err)), -1, "%s should not open", bad[i]);
		cr_assert(strstr(err, "tcp://HOST:PORT") != NULL, "%s: %s", bad[i], err);
		vt_port_free(&p);
	}
}

/*
 * A device that stops reading (RTS/CTS held, a full pty): output waits in
 * the port's bounded buffer, the next write that does not fit is dropped
 * whole and counted, and nothing blocks. When the device reads again the
 * buffer drains on POLLOUT.
 */
Test(port, output_that_the_device_does_not_read_is_bounded_and_counted)
{
	char path[64], err[256];
	int m = s_pty(path, sizeof(path));
	struct vt_port *p = vt_port_new(path, 115200, VT_FLOW_NONE);
	cr_assert_eq(vt_port_open(p, err, sizeof(err)), 0, "%s", err);
	uint8_t chunk[512];
	memset(chunk, 'x', sizeof(chunk));
	int rc = 0;
	size_t written = 0;
	while (written < 8u * 1024 * 1024 && (rc = vt_port_write(p, chunk, sizeof(chunk), err,
	                                                         sizeof(err))) == 0)
		written += sizeof(chunk);
	cr_assert_eq(rc, 1, "a pty nobody reads must fill up; %zu bytes went", written);
	cr_expect(strstr(err, "output buffer full") != NULL, "%s", err);
	cr_expect_eq(vt_port_dropped(p), 1);
	cr_expect_gt(vt_port_pending(p), 0);
	cr_expect_leq(vt_port_pending(p), VT_PORT_OUT_MAX);
	cr_expect(vt_port_events(p) & POLLOUT, "waiting output asks for POLLOUT");
	cr_expect(vt_port_events(p) & POLLIN, "and the port still reads");

	/* The device reads again: everything queued goes out, nothing twice. */
	size_t total = written, got = 0;
	char buf[65536];
	int64_t rounds = 0;
	while (got < total && rounds++ < 10000) {
		struct pollfd pm = {.fd = m, .events = POLLIN};
		if (poll(&pm, 1, 100) == 1) {
			ssize_t r = read(m, buf, sizeof(buf));
			if (r > 0)
				got += (size_t)r;
		}
		if (vt_port_pending(p) == 0)
			continue; /* the rest is in the kernel's buffer, on its way */
		struct pollfd pp = {.fd = vt_port_fd(p), .events = POLLOUT};
		if (poll(&pp, 1, 100) != 1)
			continue;
		size_t n;
		uint8_t in[16];
		enum vt_port_io io = vt_port_handle(p, POLLOUT, in, sizeof(in), &n, err, sizeof(err));
		cr_assert_neq(io, VT_IO_LOST, "%s", err);
	}
	cr_expect_eq(got, total, "every queued byte arrived once");
	cr_expect_eq(vt_port_pending(p), 0);
	cr_expect_eq(vt_port_events(p), POLLIN);
	cr_expect_eq(vt_port_write(p, chunk, 4, err, sizeof(err)), 0, "%s", err);
	vt_port_free(&p);
	close(m);
}

/* ---- udp:// : a monitor on a LAN ---------------------------------------------- */

/* A UDP socket on 127.0.0.x:port (0: any); its port in *port. */
static int
s_udp(int x, int *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK - 1 + (uint32_t)x)};
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s", strerror(errno));
	socklen_t len = sizeof(sa);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void
s_send_to(int fd, int port, const char *s)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(sendto(fd, s, strlen(s), 0, (struct sockaddr *)&to, sizeof to),
	             (ssize_t)strlen(s));
}

Test(port, udp_waits_for_its_monitor_then_carries_datagrams)
{
	int data_port = 0, other_port = 0, announce = vt_rig_free_udp_port();
	int mon = s_udp(1, &data_port);    /* the monitor: 127.0.0.1 */
	int other = s_udp(2, &other_port); /* another monitor on the LAN: 127.0.0.2 */
	char spec[64], ann[64], err[256];
	snprintf(spec, sizeof spec, "udp://127.0.0.1:%d", data_port);
	snprintf(ann, sizeof ann, "127.0.0.1:%d", announce);
	struct vt_port *p = vt_port_new(spec, 0, VT_FLOW_NONE);
	cr_assert_eq(vt_port_kind_of(spec), VT_PORT_UDP);
	cr_assert_eq(vt_port_set_announce(p, ann), 0);
	cr_assert_eq(vt_port_open(p, err, sizeof err), 0, "%s", err);
	cr_assert_not(vt_port_is_open(p), "not open until the monitor announces itself");
	cr_assert_eq(vt_port_events(p), POLLIN);
	cr_assert_eq(vt_port_write(p, (const uint8_t *)"\0\1x", 3, err, sizeof err), -1);

	/* Another monitor's announcement is not ours. */
	s_send_to(other, announce, "other");
	uint8_t buf[64];
	size_t n;
	cr_assert_eq(vt_port_handle(p, s_poll_port(p), buf, sizeof buf, &n, err, sizeof err),
	             VT_IO_NOTHING);
	cr_assert_not(vt_port_is_open(p));
	/* Ours: connected, the announcement handed over as it came. */
	s_send_to(mon, announce, "hello");
	cr_assert_eq(s_next(p, buf, sizeof buf, &n, err, sizeof err), VT_IO_CONNECTED, "%s", err);
	cr_assert_eq(n, 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	cr_assert(vt_port_is_open(p));

	/* Host to monitor: each length-prefixed message one datagram to its data port. */
	const uint8_t two[] = {0, 3, 'a', 'b', 'c', 0, 2, 'd', 'e'};
	cr_assert_eq(vt_port_write(p, two, sizeof two, err, sizeof err), 0, "%s", err);
	char got[16];
	struct sockaddr_in host;
	socklen_t hl = sizeof host;
	cr_assert_eq(recvfrom(mon, got, sizeof got, 0, (struct sockaddr *)&host, &hl), 3);
	cr_assert_eq(memcmp(got, "abc", 3), 0);
	cr_assert_eq(recv(mon, got, sizeof got, 0), 2);
	cr_assert_eq(memcmp(got, "de", 2), 0);
	/* Monitor to host: one datagram, its length in front. */
	cr_assert_eq(sendto(mon, "12345", 5, 0, (struct sockaddr *)&host, hl), 5);
	cr_assert_eq(s_next(p, buf, sizeof buf, &n, err, sizeof err), VT_IO_DATA);
	cr_assert_eq(n, 7);
	cr_assert(buf[0] == 0 && buf[1] == 5 && memcmp(buf + 2, "12345", 5) == 0);
	/* One longer than the reader's buffer is dropped whole, and the next read. */
	char big[100];
	memset(big, 'x', sizeof big);
	cr_assert_eq(sendto(mon, big, sizeof big, 0, (struct sockaddr *)&host, hl), 100);
	cr_assert_eq(sendto(mon, "ok", 2, 0, (struct sockaddr *)&host, hl), 2);
	cr_assert_eq(s_next(p, buf, sizeof buf, &n, err, sizeof err), VT_IO_DATA);
	cr_assert(n == 4 && memcmp(buf + 2, "ok", 2) == 0);
	/* The monitor goes away: nothing to lose (the silence says it). */
	close(mon);
	cr_assert_eq(vt_port_write(p, two, 5, err, sizeof err), 0, "%s", err);
	cr_assert(vt_port_is_open(p));
	vt_port_free(&p);
	close(other);
}
