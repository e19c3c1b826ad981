/*
 * A client of the control socket (docs/protocol.md), shared by vitalsctl and
 * vitals-console. Both must never hang on a daemon that is down or busy:
 * every request carries a deadline, and a request that cannot even be
 * handed to a connected peer is never queued for later (an acknowledgement
 * replayed minutes afterwards, when the daemon comes back, would surprise
 * the nurse who gave up on it).
 *
 * A request is started, then progressed whenever the caller's own poll
 * loop says the socket is ready (vitals-console), or waited for in one
 * call (vitalsctl). One request is in flight per client at a time.
 */
#ifndef VITALS_CLIENT_H
#define VITALS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* How long a request waits for its reply unless told otherwise. */
#define VT_CLIENT_TIMEOUT_MS 5000

enum vt_client_status {
	VT_CLIENT_IDLE,        /* nothing in flight */
	VT_CLIENT_WAITING,     /* a request waits to be sent or answered */
	VT_CLIENT_REPLY,       /* the reply arrived (handed over by vt_client_progress) */
	VT_CLIENT_UNREACHABLE, /* the deadline passed before any peer took the request */
	VT_CLIENT_TIMEOUT      /* the request went out; no reply by the deadline */
};

struct vt_client;

/*
 * A client connected (asynchronously, as ZeroMQ does) to `endpoint`.
 * NULL with a message in err when the endpoint cannot be used at all; then
 * *bad_endpoint tells whether the endpoint itself is malformed (a usage
 * error) rather than the system refusing.
 */
struct vt_curve_keys;
/* With `keys` (NULL: none), the connection is CURVE-encrypted. */
struct vt_client *vt_client_new(void *zctx, const char *endpoint, const struct vt_curve_keys *keys,
                                int *bad_endpoint, char *err, size_t errlen);
void vt_client_free(struct vt_client **c);

/* The endpoint, for messages. */
const char *vt_client_endpoint(const struct vt_client *c);

/* The ZeroMQ socket and the events to poll it for (0 when idle). */
void *vt_client_socket(struct vt_client *c);
short vt_client_events(const struct vt_client *c);

/*
 * Start a request whose reply is due by `deadline` (vt_client_now() time).
 * -1 if a request is already in flight.
 */
int vt_client_start(struct vt_client *c, const char *json, int64_t deadline);

/*
 * Move the request on at `now`: send it if a peer has become available,
 * take its reply if one arrived. VT_CLIENT_REPLY hands over the reply in
 * *reply (malloc'd, NUL-terminated; the caller frees it); UNREACHABLE and
 * TIMEOUT end the request. Never blocks.
 */
enum vt_client_status vt_client_progress(struct vt_client *c, int64_t now, char **reply);

/* When the request in flight expires; INT64_MAX when idle. */
int64_t vt_client_deadline(const struct vt_client *c);

/*
 * One request, waiting at most timeout_ms. VT_CLIENT_REPLY with *reply, or
 * UNREACHABLE / TIMEOUT.
 */
enum vt_client_status vt_client_request(struct vt_client *c, const char *json, int64_t timeout_ms,
                                        char **reply);

/* ---- what every front end does with the daemon ----------------------------- */

struct vt_console;

/*
 * A SUB socket to the daemon's publish `endpoint`, subscribed to
 * everything (CURVE with `keys` unless NULL), made before the first
 * snapshot is asked for so that nothing falls between them. NULL with err
 * and errno set (EINVAL etc. for a malformed endpoint).
 */
void *vt_client_subscribe(void *zctx, const char *endpoint, const struct vt_curve_keys *keys,
                          char *err, size_t errlen);

/*
 * Apply what the subscription has to the model, at most `max` messages
 * (so that a flood cannot starve the rest of a loop), without waiting.
 * How many were taken.
 */
size_t vt_client_drain(void *sub, struct vt_console *m, size_t max);

/*
 * Keep the model synchronised through `snap`, a client used for nothing
 * else: ask for a snapshot when the model wants one and take the reply
 * when it comes. `problem` (len bytes) says why the last request failed,
 * or is emptied when one succeeds. Call on every turn of the loop.
 */
void vt_client_sync(struct vt_client *snap, struct vt_console *m, int64_t now, char *problem,
                    size_t len);

/* CLOCK_MONOTONIC in milliseconds: the clock of every deadline above. */
int64_t vt_client_now(void);

/* The wall clock in milliseconds since the epoch, as the daemon stamps messages. */
int64_t vt_client_wall_ms(void);

/* "10:14:03" in local time for a daemon time (ms), or "--:--:--" for none. */
const char *vt_client_clock(int64_t ms, char *buf, size_t len);

/* "$USER@host" (or what of it is known), the default "by" of requests. */
void vt_client_default_by(char *buf, size_t len);

#endif
