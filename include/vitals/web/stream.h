/*
 * The browsers' event streams (Server-Sent Events). Each open stream has
 * its own queue of events not yet written; an update is added to every
 * queue, and a stream whose queue grows past its bound (a browser that has
 * stopped reading) is ended rather than left to grow: the page reconnects
 * and starts again from a snapshot. A stream with nothing to write is
 * suspended in libmicrohttpd, so an idle stream costs no work, and resumed
 * when an event arrives. Streams belong to a session: logging out ends
 * the session's streams.
 */
#ifndef VITALS_WEB_STREAM_H
#define VITALS_WEB_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

/* Defaults: open streams, and bytes a stream may have waiting. */
#define VT_STREAM_MAX 64
#define VT_STREAM_QUEUE_MAX (1024 * 1024)

struct vt_streams;

struct vt_streams *vt_streams_new(size_t max, size_t queue_max);
/* Every stream must have ended (vt_streams_end_all, then the server stopped) first. */
void vt_streams_free(struct vt_streams **s);

/*
 * A response for a new stream of session `owner` on connection `c` whose
 * first event is `first` (an SSE event, already formatted), or NULL when
 * there are VT_STREAM_MAX streams already.
 */
struct MHD_Response *vt_streams_open(struct vt_streams *s, struct MHD_Connection *c,
                                     const char *owner, const char *first);

/* Format one SSE event: "id: N\nevent: NAME\ndata: JSON\n\n". malloc'd. */
char *vt_streams_event(const char *name, uint64_t id, const char *json);

/* Add an event (formatted) to every stream. */
void vt_streams_broadcast(struct vt_streams *s, const char *event);

/* End the streams of session `owner` (NULL: all of them). */
void vt_streams_end(struct vt_streams *s, const char *owner);

/* End the streams whose session `alive` says is gone; how many. */
size_t vt_streams_prune(struct vt_streams *s, bool (*alive)(void *arg, const char *owner), void *arg);

size_t vt_streams_count(const struct vt_streams *s);
/* Streams ended for falling behind, so far. */
uint64_t vt_streams_dropped(const struct vt_streams *s);

#endif
