/*
 * The test's ZeroMQ clients of the daemon (see zmq_client.h): SUB sockets
 * that never drop unless told to, and control requests on a DEALER, whose
 * reply is the last frame after the empty delimiter.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <zmq.h>

#include "run.h"
#include "zmq_client.h"

static void *s_zctx;

void *
vt_rig_zctx(void)
{
	if (s_zctx == NULL)
		s_zctx = zmq_ctx_new();
	return s_zctx;
}

void
vt_rig_zctx_term(void)
{
	if (s_zctx != NULL)
		zmq_ctx_term(s_zctx);
	s_zctx = NULL;
}

void *
vt_rig_sub(const char *endpoint, const char *prefix, int rcvhwm)
{
	void *s = zmq_socket(vt_rig_zctx(), ZMQ_SUB);
	if (s == NULL)
		return NULL;
	int linger = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_RCVHWM, &rcvhwm, sizeof(rcvhwm));
	zmq_setsockopt(s, ZMQ_SUBSCRIBE, prefix, strlen(prefix));
	if (zmq_connect(s, endpoint) != 0) {
		zmq_close(s);
		return NULL;
	}
	return s;
}

int
vt_rig_recv(void *sock, char *topic, size_t tlen, char *body, size_t blen, int timeout_ms)
{
	zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
	if (zmq_poll(&it, 1, timeout_ms) <= 0)
		return -1;
	int t = zmq_recv(sock, topic, tlen - 1, 0);
	if (t < 0)
		return -1;
	topic[(size_t)t < tlen - 1 ? (size_t)t : tlen - 1] = '\0';
	int more = 0;
	size_t ml = sizeof(more);
	zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ml);
	if (!more) {
		body[0] = '\0';
		return 0;
	}
	int n = zmq_recv(sock, body, blen - 1, 0);
	if (n < 0)
		return -1;
	size_t end = (size_t)n < blen - 1 ? (size_t)n : blen - 1;
	body[end] = '\0';
	return (int)end;
}

uint64_t
vt_rig_seq(const char *body)
{
	const char *p = strstr(body, "\"seq\":");
	return p ? strtoull(p + 6, NULL, 10) : 0;
}

bool
vt_rig_wait_msg(void *sub, const char *topic, const char *needle, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	char t[256], body[16384];
	for (;;) {
		int64_t left = end - vt_rig_now_ms();
		if (left <= 0)
			return false;
		if (vt_rig_recv(sub, t, sizeof(t), body, sizeof(body), (int)left) < 0)
			continue;
		if (strncmp(t, topic, strlen(topic)) == 0 && (needle == NULL || strstr(body, needle)))
			return true;
	}
}

char *
vt_rig_request(const char *endpoint, const char *json, int timeout_ms)
{
	void *s = zmq_socket(vt_rig_zctx(), ZMQ_DEALER);
	if (s == NULL)
		return NULL;
	int linger = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	char *reply = NULL;
	if (zmq_connect(s, endpoint) == 0 && zmq_send(s, "", 0, ZMQ_SNDMORE) == 0 &&
	    zmq_send(s, json, strlen(json), 0) >= 0) {
		int64_t end = vt_rig_now_ms() + timeout_ms;
		while (reply == NULL) {
			int64_t left = end - vt_rig_now_ms();
			zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
			if (left <= 0 || zmq_poll(&it, 1, (long)left) <= 0)
				break;
			zmq_msg_t m;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, s, 0) < 0) {
				zmq_msg_close(&m);
				break;
			}
			/* Skip the empty delimiter; the last frame is the reply. */
			if (!zmq_msg_more(&m)) {
				reply = strndup(zmq_msg_data(&m), zmq_msg_size(&m));
			}
			zmq_msg_close(&m);
		}
	}
	zmq_close(s);
	return reply;
}

bool
vt_rig_ping(const char *endpoint, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	do {
		char *r = vt_rig_request(endpoint, "{\"cmd\":\"ping\"}", 100);
		bool ok = r != NULL && strstr(r, "\"ok\":true") != NULL;
		free(r);
		if (ok)
			return true;
	} while (vt_rig_now_ms() < end);
	return false;
}

void
vt_rig_request_flood(const char *endpoint, const char *json, int ms, struct vt_rig_flood *out)
{
	void *ctx = zmq_ctx_new(), *c = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 0;
	zmq_setsockopt(c, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_connect(c, endpoint);
	*out = (struct vt_rig_flood){0};
	size_t len = strlen(json);
	int64_t end = vt_rig_now_ms() + ms;
	while (vt_rig_now_ms() < end) {
		bool room = out->sent - out->answered < 50;
		if (room) {
			zmq_send(c, "", 0, ZMQ_SNDMORE);
			zmq_send(c, json, len, 0);
			out->sent++;
		}
		zmq_pollitem_t it = {.socket = c, .events = ZMQ_POLLIN};
		if (zmq_poll(&it, 1, room ? 0 : 100) <= 0)
			continue;
		char buf[1024];
		int n;
		while ((n = zmq_recv(c, buf, sizeof(buf) - 1, ZMQ_DONTWAIT)) >= 0) {
			if (n == 0)
				continue; /* the delimiter */
			buf[n < (int)sizeof(buf) - 1 ? n : (int)sizeof(buf) - 1] = '\0';
			out->answered++;
			out->ok += strstr(buf, "\"ok\":true") != NULL;
		}
	}
	zmq_close(c);
	zmq_ctx_term(ctx);
}

int
vt_rig_idle_connection(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0)
		connect(fd, (struct sockaddr *)&a, sizeof(a));
	return fd;
}
