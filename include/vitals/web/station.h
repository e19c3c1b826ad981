/*
 * The web station's side of the daemon: the subscription, the console
 * model it feeds (the very model of the terminal console, so the rules a
 * nurse relies on — late join, gaps, loss of contact, what sounds — are
 * one piece of code), and the control requests the page's users make.
 *
 * Requests from many browsers go to the daemon over a small pool of
 * control clients; those that find every client busy wait in a bounded
 * queue. Each has a deadline from when it was made: one that cannot be
 * sent, or gets no reply, by then fails, and is never sent later (an
 * acknowledgement arriving minutes after the nurse gave up would mislead).
 */
#ifndef VITALS_WEB_STATION_H
#define VITALS_WEB_STATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <zmq.h>

#include "vitals/console/model.h"

/* Control clients working at once, and requests waiting for one. */
#define VT_STATION_CLIENTS 4
#define VT_STATION_QUEUE_MAX 64
/* Messages taken from the subscription per turn of the loop. */
#define VT_STATION_DRAIN_MAX 2000
/* Poll items the station needs. */
#define VT_STATION_POLLITEMS (2 + VT_STATION_CLIENTS)

struct vt_curve_keys;
struct vt_station;

/*
 * How a request ended: `reply` is the daemon's JSON reply (ok or not), or
 * NULL when there was none; then `why` says so for the user ("the daemon
 * does not answer"). Called from vt_station_run or vt_station_free.
 */
typedef void (*vt_station_done_fn)(void *arg, const char *reply, const char *why);

struct vt_station *vt_station_new(void *zctx, const char *publish, const char *control,
                                  const struct vt_curve_keys *keys, char *err, size_t errlen);
/* Ends the requests still waiting (their callbacks are told so). */
void vt_station_free(struct vt_station **st);

/* Fill `items` (room for VT_STATION_POLLITEMS); how many. */
size_t vt_station_pollitems(struct vt_station *st, zmq_pollitem_t *items);
/* The next time the station must run even if nothing is ready; INT64_MAX if none. */
int64_t vt_station_deadline(const struct vt_station *st);

/*
 * Take messages, progress snapshots and requests, tick the model's clocks.
 * true if the model may have changed.
 */
bool vt_station_run(struct vt_station *st, int64_t now);

/*
 * Send `req` (a control request object, consumed) with "by" set to `by`.
 * -1 when the queue is full (the callback is not called).
 */
int vt_station_request(struct vt_station *st, json_t *req, const char *by, int64_t now,
                       vt_station_done_fn done, void *arg);

const struct vt_console *vt_station_model(const struct vt_station *st);
/* Why snapshots fail ("" when they do not). */
const char *vt_station_problem(const struct vt_station *st);
const char *vt_station_publish(const struct vt_station *st);
/* Requests refused because the queue was full, so far. */
uint64_t vt_station_refused(const struct vt_station *st);

#endif
