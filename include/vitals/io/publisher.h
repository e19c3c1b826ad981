/*
 * The ZeroMQ publisher: a PUB socket bound to every configured endpoint.
 * Sends never block: a subscriber that cannot keep up loses messages at
 * its high-water mark (and recovers through seq + snapshot), it never
 * slows the daemon or the other subscribers.
 */
#ifndef VITALS_PUBLISHER_H
#define VITALS_PUBLISHER_H

#include <stddef.h>
#include <stdint.h>

struct vt_publisher;

#include "vitals/config/config.h"

/* Messages queued per subscriber before ZeroMQ drops for that subscriber,
 * by default (limits.subscriber_queue). */
#define VT_PUB_HWM 1000

struct vt_conns;

/*
 * Bind a PUB socket on every endpoint, within `limits` (subscriber_queue,
 * publish_connections); with `curve_secret` (Z85, or NULL) it is a CURVE
 * server. NULL with err on failure.
 */
struct vt_publisher *vt_publisher_new(void *zctx, char *const *endpoints, size_t n,
                                      const char *curve_secret, const struct vt_limits *limits,
                                      char *err, size_t errlen);
/*
 * The same with a socket of another type: vitals-hub's XPUB, which
 * ZeroMQ's proxy then drives on a thread of its own (the proxy sends; the
 * connections are still watched from the hub's loop).
 */
struct vt_publisher *vt_publisher_open(void *zctx, int type, char *const *endpoints, size_t n,
                                       const char *curve_secret, const struct vt_limits *limits,
                                       char *err, size_t errlen);
/* New limits (a reload): the queue applies to subscribers that connect afterwards. */
void vt_publisher_set_limits(struct vt_publisher *p, const struct vt_limits *limits);
/* Its connections (io/conns.h). */
struct vt_conns *vt_publisher_conns(struct vt_publisher *p);
void vt_publisher_free(struct vt_publisher **p);

/* Send topic + JSON as two frames, without blocking. */
void vt_publisher_send(struct vt_publisher *p, const char *topic, const char *json, size_t len);

/* Messages ZeroMQ refused to queue (should stay 0: PUB drops silently). */
uint64_t vt_publisher_failed(const struct vt_publisher *p);

/* The underlying socket (for CURVE options and tests). */
void *vt_publisher_socket(struct vt_publisher *p);

#endif
