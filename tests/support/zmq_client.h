/*
 * A test's ZeroMQ side of the daemon: a subscriber that receives what a
 * console would, messages waited for against a deadline, and control
 * requests over a DEALER as vitalsctl sends them. One context per process,
 * made on first use.
 */
#ifndef VT_RIG_ZMQ_CLIENT_H
#define VT_RIG_ZMQ_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shared ZeroMQ context (created on first use) and its teardown. */
void *vt_rig_zctx(void);
void vt_rig_zctx_term(void);

/*
 * A SUB socket connected to `endpoint`, subscribed to `prefix` ("" for
 * all), queueing at most `rcvhwm` messages (0: no limit, a client that
 * never drops). NULL if it cannot connect.
 */
void *vt_rig_sub(const char *endpoint, const char *prefix, int rcvhwm);
/*
 * One two-frame message: topic into `topic`, JSON body into `body` (both
 * NUL-terminated, cut to fit). The body length, or -1 after timeout_ms
 * (0: do not wait; -1: forever).
 */
int vt_rig_recv(void *sock, char *topic, size_t tlen, char *body, size_t blen, int timeout_ms);
/* The "seq" member of a message body, or 0. */
uint64_t vt_rig_seq(const char *body);
/*
 * Receive until a message whose topic starts with `topic` and whose body
 * contains `needle` (may be NULL) arrives; true if it did within timeout_ms.
 */
bool vt_rig_wait_msg(void *sub, const char *topic, const char *needle, int timeout_ms);

/* One control request over a fresh DEALER: the reply (malloc'd) or NULL on timeout. */
char *vt_rig_request(const char *endpoint, const char *json, int timeout_ms);
/* Ping until the daemon answers or timeout_ms passes. */
bool vt_rig_ping(const char *endpoint, int timeout_ms);

/* What a flood of requests got: vt_rig_request_flood. */
struct vt_rig_flood {
	long sent, answered, ok; /* requests, replies, replies with "ok":true */
};
/*
 * Send `json` to `endpoint` for ms milliseconds as fast as the replies
 * come (50 in flight), on a context of its own (usable in a forked child).
 */
void vt_rig_request_flood(const char *endpoint, const char *json, int ms,
                          struct vt_rig_flood *out);

/* An idle TCP connection to 127.0.0.1:port that never sends a byte (its descriptor). */
int vt_rig_idle_connection(int port);

#endif
