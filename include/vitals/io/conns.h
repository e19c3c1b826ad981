/*
 * The connections of one bound ZeroMQ socket (the PUB, the control
 * ROUTER), watched through ZeroMQ's socket monitor. ZeroMQ accepts every
 * TCP connection it is offered and keeps it until the peer goes, so a
 * flood of idle connections (before any handshake, CURVE or not) would
 * take every descriptor the process has, and with them the monitors'
 * ports. Here each endpoint gets at most `max` connections at once: one
 * more is shut down as soon as it is accepted, counted and logged once
 * per burst (io/crossing.h). And each connection that has spoken is tied
 * to the CURVE key it authenticated with (ZAP's User-Id), so revoking a
 * key closes its connections.
 *
 * ZeroMQ owns the descriptors; this file only ever calls shutdown(2) on
 * one, which ZeroMQ sees as the peer leaving, and only after checking that
 * the descriptor is still a connection accepted on that endpoint.
 */
#ifndef VITALS_IO_CONNS_H
#define VITALS_IO_CONNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "vitals/io/crossing.h"

struct vt_conns;

/* A connection that has not completed its ZeroMQ handshake by then is closed. */
#define VT_CONNS_HANDSHAKE_MS 10000
/* Peers that stopped reading are looked for this often at most. */
#define VT_CONNS_STALLED_CHECK_MS 1000

/*
 * Watch `sock` (named `name` in logs: "publish", "control"), at most `max`
 * connections per endpoint. Call before any bind. NULL with err.
 */
struct vt_conns *vt_conns_new(void *zctx, void *sock, const char *name, int64_t max, char *err,
                              size_t errlen);
void vt_conns_free(struct vt_conns **c);

/* Bind `endpoint` and remember it as ZeroMQ resolved it. 0, or -1 with err. */
int vt_conns_bind(struct vt_conns *c, const char *endpoint, char *err, size_t errlen);

/* The monitor socket to poll (ZMQ_POLLIN), and the handling of what it says at `now`. */
void *vt_conns_socket(struct vt_conns *c);
void vt_conns_handle(struct vt_conns *c, int64_t now);

/* A new bound (a reload); connections already over it are left alone. */
void vt_conns_set_max(struct vt_conns *c, int64_t max);

/* Tie the connection `msg` arrived on to the key it authenticated with (if any). */
void vt_conns_note(struct vt_conns *c, zmq_msg_t *msg);

/*
 * Shut down the connections whose key `allowed` no longer accepts; with
 * `all`, every connection (those that have not spoken yet included).
 * Returns how many were closed.
 */
size_t vt_conns_revoke(struct vt_conns *c, bool (*allowed)(void *ctx, const char *key), void *ctx,
                       bool all);

/* Connections open now, all endpoints together. */
size_t vt_conns_open(const struct vt_conns *c);

/* The refusals, for the quiet-time log line and `ping`. */
struct vt_crossing *vt_conns_refused(struct vt_conns *c);

/*
 * Peers that have stopped reading (a console frozen, a subscriber that
 * never reads), found by what the kernel holds unsent for them. ZeroMQ
 * then queues at most limits.subscriber_queue messages for such a
 * subscriber and drops the rest, for it alone, without a word; this says
 * so, once per burst with a count (vt_conns_stalled, for the quiet-time
 * line and `ping`). Looks at most every VT_CONNS_STALLED_CHECK_MS; call
 * every turn. Returns the peers stalled now (0 when it did not look).
 */
size_t vt_conns_check_stalled(struct vt_conns *c, int64_t now);
struct vt_crossing *vt_conns_stalled(struct vt_conns *c);

#endif
