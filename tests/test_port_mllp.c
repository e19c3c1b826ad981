/*
 * Tests for mllp:// ports (port_mllp.c): a listener on 127.0.0.1 that
 * monitors connect to, seen by each bed as a port. Clients here are plain
 * sockets, as a monitor's or gateway's would be; every wait is a poll with
 * a generous deadline.
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

#include "support/support.h"
#include "vitals/drivers/mllp.h"
#include "vitals/io/port.h"

#define WAIT_MS 10000
#define ORU(pv1, id) "MSH|^~\\&|MON||||||ORU^R01|" id "|P|2.6\rPV1||I|" pv1 "\r"

/* An mllp:// spec on a free port, for `sender` (NULL: all); opened. */
static struct vt_port *
s_listen(char *spec, size_t len, const char *sender)
{
	int portno = vt_rig_free_port();
	cr_assert_gt(portno, 0);
	snprintf(spec, len, "mllp://127.0.0.1:%d", portno);
	cr_assert_eq(vt_port_kind_of(spec), VT_PORT_MLLP);
	struct vt_port *p = vt_port_new(spec, 9600, VT_FLOW_NONE);
	cr_assert_not_null(p);
	if (sender)
		cr_assert_eq(vt_port_set_hl7(p, sender, 0), 0);
	return p;
}

static void
s_open(struct vt_port *p)
{
	char err[256];
	cr_assert_eq(vt_port_open(p, err, sizeof err), 0, "%s", err);
	cr_assert(!vt_port_is_open(p), "listening is not yet a monitor");
	cr_assert(vt_port_events(p) & POLLOUT, "the loop shows it connecting");
}

static int
s_client(const char *spec)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                         .sin_port = htons((uint16_t)atoi(strrchr(spec, ':') + 1))};
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect: %s", strerror(errno));
	return fd;
}

static void
s_send(int fd, const char *msg)
{
	size_t n = strlen(msg);
	cr_assert_eq(write(fd, msg, n), (ssize_t)n);
}

static void
s_send_frame(int fd, const char *msg)
{
	cr_assert_eq(write(fd, "\x0b", 1), 1);
	s_send(fd, msg);
	cr_assert_eq(write(fd, "\x1c\r", 2), 2);
}

/* The next verdict of p other than NOTHING, polling until the deadline. */
static enum vt_port_io
s_next(struct vt_port *p, uint8_t *buf, size_t cap, size_t *n, char *err, size_t errlen)
{
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	while (vt_rig_now_ms() < end) {
		struct pollfd pfd = {.fd = vt_port_fd(p), .events = POLLIN};
		if (poll(&pfd, 1, 50) < 0)
			continue;
		enum vt_port_io io = vt_port_handle(p, POLLIN, buf, cap, n, err, errlen);
		if (io != VT_IO_NOTHING)
			return io;
	}
	return VT_IO_NOTHING;
}

/* The next frame for p, whole (several pieces if cap is small), into out. */
static size_t
s_frame(struct vt_port *p, uint8_t *out, size_t outcap, size_t cap)
{
	size_t got = 0, n;
	char err[256];
	for (;;) {
		enum vt_port_io io = s_next(p, out + got, cap, &n, err, sizeof err);
		if (io == VT_IO_CONNECTED)
			continue;
		cr_assert_eq(io, VT_IO_DATA, "no frame (%d: %s)", io, err);
		got += n;
		cr_assert_leq(got, outcap);
		if (got >= 2 && out[got - 2] == 0x1C && out[got - 1] == '\r')
			return got;
	}
}

/*
 * What the client receives within the deadline, at least `want` bytes,
 * while the port `p` (may be NULL) is looked at as the event loop would.
 */
static size_t
s_recv_on(struct vt_port *p, int fd, char *buf, size_t cap, size_t want)
{
	size_t got = 0;
	int64_t end = vt_rig_now_ms() + WAIT_MS;
	while (got < want && vt_rig_now_ms() < end) {
		if (p != NULL) {
			uint8_t scratch[64];
			size_t n;
			char err[256];
			cr_assert_eq(vt_port_handle(p, POLLIN, scratch, sizeof scratch, &n, err, sizeof err),
			             VT_IO_NOTHING, "no frame expected here");
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	return got;
}

static size_t
s_recv(int fd, char *buf, size_t cap, size_t want)
{
	return s_recv_on(NULL, fd, buf, cap, want);
}

Test(port_mllp, frames_in_replies_back_on_the_same_connection)
{
	char spec[64], err[256];
	struct vt_port *p = s_listen(spec, sizeof spec, NULL);
	s_open(p);
	int a = s_client(spec), b = s_client(spec);
	/* A's frame arrives in two halves, B's whole in between: B's is first. */
	s_send(a, "\x0b" ORU("ICU^^1", "A1"));
	s_send_frame(b, ORU("ICU^^2", "B1"));
	uint8_t buf[4096];
	size_t n = s_frame(p, buf, sizeof buf, sizeof buf);
	cr_assert(vt_port_is_open(p));
	cr_expect(memmem(buf, n, "|B1|", 4) != NULL, "%.*s", (int)n, buf);
	cr_assert_eq(vt_port_write(p, (const uint8_t *)"to-B", 4, err, sizeof err), 0, "%s", err);
	s_send(a, "\x1c\r");
	n = s_frame(p, buf, sizeof buf, sizeof buf);
	cr_expect(memmem(buf, n, "|A1|", 4) != NULL);
	cr_expect_eq(buf[0], 0x0B, "framed again for the driver");
	cr_assert_eq(vt_port_write(p, (const uint8_t *)"to-A", 4, err, sizeof err), 0, "%s", err);
	char got[64];
	cr_expect_eq(s_recv(b, got, sizeof got, 4), 4);
	cr_expect_str_eq(got, "to-B");
	cr_expect_eq(s_recv(a, got, sizeof got, 4), 4);
	cr_expect_str_eq(got, "to-A");
	/* A frame longer than the loop's buffer comes in pieces; the reply still goes back. */
	static char big[20000];
	int len = snprintf(big, sizeof big, ORU("ICU^^1", "A2") "NTE|");
	memset(big + len, 'x', sizeof big - (size_t)len - 1);
	s_send_frame(a, big);
	static uint8_t whole[32768];
	n = s_frame(p, whole, sizeof whole, 4096);
	cr_expect_eq(n, sizeof big - 1 + 3);
	cr_assert_eq(vt_port_write(p, (const uint8_t *)"ack", 3, err, sizeof err), 0, "%s", err);
	cr_expect_eq(s_recv(a, got, sizeof got, 3), 3);
	/* The connection the bed's frames came on closes: lost. */
	close(a);
	uint8_t none[8];
	cr_assert_eq(s_next(p, none, sizeof none, &n, err, sizeof err), VT_IO_LOST);
	cr_expect(strstr(err, "closed by the monitor") != NULL, "%s", err);
	cr_expect(!vt_port_is_open(p));
	close(b);
	vt_port_free(&p);
}

Test(port_mllp, a_gateway_feeds_several_beds_over_one_connection)
{
	char spec[64], err[256];
	struct vt_port *one = s_listen(spec, sizeof spec, "ICU^^1");
	struct vt_port *two = vt_port_new(spec, 9600, VT_FLOW_NONE);
	cr_assert_eq(vt_port_set_hl7(two, "ICU^^2", 0), 0);
	s_open(one);
	s_open(two);
	int gw = s_client(spec);
	s_send_frame(gw, ORU("ICU^^2", "G1"));
	s_send_frame(gw, ORU("ICU^^1", "G2"));
	s_send_frame(gw, ORU("ICU^^9", "G3")); /* no bed here: answered for it */
	uint8_t buf[4096];
	size_t n = s_frame(two, buf, sizeof buf, sizeof buf);
	cr_expect(memmem(buf, n, "|G1|", 4) != NULL);
	cr_assert_eq(vt_port_write(two, (const uint8_t *)"[2]", 3, err, sizeof err), 0);
	n = s_frame(one, buf, sizeof buf, sizeof buf);
	cr_expect(memmem(buf, n, "|G2|", 4) != NULL);
	cr_assert_eq(vt_port_write(one, (const uint8_t *)"[1]", 3, err, sizeof err), 0);
	char got[1024];
	size_t k = s_recv(gw, got, sizeof got, 6 + 40);
	cr_expect(strstr(got, "MSA|AA|G3\r") != NULL, "the listener answers the unknown bed: %s", got);
	cr_expect(strstr(got, "[2]") != NULL && strstr(got, "[1]") != NULL, "%zu: %s", k, got);
	close(gw);
	vt_port_free(&one);
	/* The gateway's connection is gone: the bed is lost, and opens again as the loop does. */
	cr_assert_eq(s_next(two, buf, sizeof buf, &n, err, sizeof err), VT_IO_LOST);
	s_open(two);
	/* The listener stayed for the bed that stays. */
	int again = s_client(spec);
	s_send_frame(again, ORU("ICU^^2", "G4"));
	n = s_frame(two, buf, sizeof buf, sizeof buf);
	cr_expect(memmem(buf, n, "|G4|", 4) != NULL);
	close(again);
	vt_port_free(&two);
}

Test(port_mllp, bounds_connections_and_message_size)
{
	char spec[64], err[256];
	struct vt_port *p = s_listen(spec, sizeof spec, NULL);
	s_open(p);
	struct vt_mllp_totals before, after;
	vt_port_mllp_totals(&before);
	int c[VT_MLLP_CONNECTIONS + 1];
	for (int i = 0; i <= VT_MLLP_CONNECTIONS; i++)
		c[i] = s_client(spec);
	/* One frame makes the listener accept everybody it will. */
	s_send_frame(c[0], ORU("X", "1"));
	uint8_t buf[4096];
	s_frame(p, buf, sizeof buf, sizeof buf);
	char got[256];
	cr_expect_eq(s_recv(c[VT_MLLP_CONNECTIONS], got, sizeof got, 1), 0,
	             "the connection beyond the bound is closed");
	/* A message longer than VT_MLLP_MAX is answered AE by the listener, never read. */
	static char big[VT_MLLP_MAX + 100];
	int len = snprintf(big, sizeof big, ORU("X", "BIG") "NTE|");
	memset(big + len, 'x', sizeof big - (size_t)len - 1);
	s_send_frame(c[1], big);
	size_t n = s_recv_on(p, c[1], got, sizeof got, 60);
	cr_expect(strstr(got, "MSA|AE|BIG|message longer than 65536 bytes") != NULL, "%zu: %s", n, got);
	s_send_frame(c[1], ORU("X", "2"));
	n = s_frame(p, buf, sizeof buf, sizeof buf);
	cr_expect(memmem(buf, n, "|2|", 3) != NULL, "the connection goes on");
	vt_port_mllp_totals(&after);
	cr_expect_eq(after.refused - before.refused, 1, "counted for ping");
	cr_expect_eq(after.too_long - before.too_long, 1);
	for (int i = 0; i <= VT_MLLP_CONNECTIONS; i++)
		close(c[i]);
	vt_port_free(&p);
	(void)err;
}

Test(port_mllp, a_bed_that_does_not_keep_up_gets_its_messages_answered_busy)
{
	char spec[64];
	struct vt_port *one = s_listen(spec, sizeof spec, "ICU^^1");
	struct vt_port *two = vt_port_new(spec, 9600, VT_FLOW_NONE);
	cr_assert_eq(vt_port_set_hl7(two, "ICU^^2", 0), 0);
	s_open(one);
	s_open(two);
	vt_port_close(one); /* its frames keep queueing, up to the bound */
	struct vt_mllp_totals before, after;
	vt_port_mllp_totals(&before);
	int c = s_client(spec);
	char msg[128];
	for (int i = 0; i < 70; i++) {
		snprintf(msg, sizeof msg, ORU("ICU^^1", "Q%d"), i);
		s_send_frame(c, msg);
	}
	s_send_frame(c, ORU("ICU^^2", "TWO"));
	uint8_t buf[4096];
	size_t n = s_frame(two, buf, sizeof buf, sizeof buf);
	cr_expect(memmem(buf, n, "|TWO|", 5) != NULL, "the other bed is not held up");
	static char got[8192];
	s_recv(c, got, sizeof got, 6 * 60);
	int busy = 0;
	for (const char *q = got; (q = strstr(q, "|AE|Q")) != NULL; q++)
		busy++;
	cr_expect_eq(busy, 6, "the 6 beyond 64 are answered AE: %s", got);
	cr_expect(strstr(got, "MSA|AE|Q64|vitalsd is busy") != NULL, "%s", got);
	vt_port_mllp_totals(&after);
	cr_expect_eq(after.busy - before.busy, 6);
	s_open(one);
	n = s_frame(one, buf, sizeof buf, sizeof buf);
	cr_expect(memmem(buf, n, "|Q0|", 4) != NULL, "the queued ones wait for the bed");
	close(c);
	vt_port_free(&one);
	vt_port_free(&two);
}

Test(port_mllp, a_port_already_taken_is_an_open_error)
{
	char spec[64], err[256];
	struct vt_port *p = s_listen(spec, sizeof spec, NULL);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                         .sin_port = htons((uint16_t)atoi(strrchr(spec, ':') + 1))};
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(fd, 1), 0);
	cr_expect_eq(vt_port_open(p, err, sizeof err), -1);
	cr_expect(strstr(err, "cannot listen on 127.0.0.1:") != NULL, "%s", err);
	close(fd);
	cr_expect_eq(vt_port_open(p, err, sizeof err), 0, "free again: %s", err);
	vt_port_free(&p);
}

Test(port_mllp, a_silent_connection_is_closed)
{
	char spec[64], err[256];
	struct vt_port *p = s_listen(spec, sizeof spec, NULL);
	cr_assert_eq(vt_port_set_hl7(p, NULL, 300), 0);
	s_open(p);
	int c = s_client(spec);
	s_send_frame(c, ORU("X", "1"));
	uint8_t buf[4096];
	s_frame(p, buf, sizeof buf, sizeof buf);
	size_t n;
	int64_t t0 = vt_rig_now_ms();
	cr_assert_eq(s_next(p, buf, sizeof buf, &n, err, sizeof err), VT_IO_LOST);
	cr_expect(strstr(err, "silent for 300 ms") != NULL, "%s", err);
	cr_expect_geq(vt_rig_now_ms() - t0, 250);
	char got[8];
	cr_expect_eq(s_recv(c, got, sizeof got, 1), 0, "the monitor sees the connection close");
	close(c);
	/* Reopened as the event loop does; a reload's new timeout applies to the listener. */
	vt_port_close(p);
	s_open(p);
	vt_port_set_hl7_idle(p, 600);
	c = s_client(spec);
	s_send_frame(c, ORU("X", "2"));
	s_frame(p, buf, sizeof buf, sizeof buf);
	t0 = vt_rig_now_ms();
	cr_assert_eq(s_next(p, buf, sizeof buf, &n, err, sizeof err), VT_IO_LOST);
	cr_expect(strstr(err, "silent for 600 ms") != NULL, "%s", err);
	cr_expect_geq(vt_rig_now_ms() - t0, 500);
	close(c);
	vt_port_free(&p);
}
