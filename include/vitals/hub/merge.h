/*
 * What the hub decides about control requests, without touching a socket:
 * which daemon a request goes to (the one that serves its bed), and how the
 * answers of every daemon become one reply for the requests that concern
 * them all (snapshot, ping, reload). Pure: replies in, a reply out; time is
 * an argument.
 *
 * A merged snapshot is a daemon's snapshot with every daemon's beds, plus
 * `sources`: per daemon its name, its `instance` and `seq` (the stream it
 * publishes keeps its own; docs/hub.md says why the hub does not number
 * messages again) and its beds, or an `error` when it did not answer. A
 * consumer synchronises each source as it would a daemon of its own.
 */
#ifndef VITALS_HUB_MERGE_H
#define VITALS_HUB_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vitals/hub/config.h"
#include "vitals/wire/control_request.h"

/* vt_hub_route: the request concerns every daemon. */
#define VT_HUB_ALL (-2)

/*
 * The daemon that must answer `req`: its index; VT_HUB_ALL for ping,
 * snapshot and reload; -1 with the client's error in err for a bed no
 * daemon serves (the daemon's own wording: unknown bed "chair-9").
 */
int vt_hub_route(const struct vt_hub_config *cfg, const struct vt_control_req *req, char *err,
                 size_t errlen);

/*
 * One reply from every daemon's answers: replies[i] is daemon i's reply
 * body (NULL when it gave none, and why[i] says why). `cmd` is the request
 * (snapshot, ping or reload); `now` the hub's clock (ms since the epoch);
 * `hub_instance`, `uptime_s` and the members of `counters` (the hub's
 * own: what crossed the proxy, its bounds; taken, may be NULL) go into a
 * ping's reply. A malloc'd JSON object, or NULL when memory ran out.
 */
char *vt_hub_merge(const struct vt_hub_config *cfg, enum vt_control_cmd cmd,
                   const char *const *replies, const char *const *why, int64_t now,
                   const char *hub_instance, int64_t uptime_s, json_t *counters);

#endif
