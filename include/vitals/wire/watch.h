/*
 * Watching a port's line as its driver sees it (vitalsctl watch, as gpsmon
 * is to gpsd): the bytes of one port split where the driver completed a
 * frame, dropped one or skipped bytes, each piece beside what the driver
 * decoded from it or why it rejected it. A watch exists only while someone
 * watches (the daemon frees it after VT_WATCH_IDLE_MS without a request);
 * it is bounded (VT_WATCH_EVENTS pieces of at most VT_WATCH_BYTES bytes
 * kept), and a port nobody watches is fed as before, at no cost. Pure.
 */
#ifndef VITALS_WIRE_WATCH_H
#define VITALS_WIRE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/drivers/line.h"

#define VT_WATCH_EVENTS 256    /* pieces kept; older ones are overwritten */
#define VT_WATCH_BYTES 192     /* bytes kept of one piece; the rest are counted */
#define VT_WATCH_IDLE_MS 10000 /* a watch nobody asked about for this long ends */
#define VT_WATCH_MAX_PORTS 8   /* ports watched at once, at most */

struct vt_watch;

struct vt_watch *vt_watch_new(void);
void vt_watch_free(struct vt_watch **w);

/*
 * Feed bytes that arrived at t to `line` exactly as vt_line_feed would
 * (the same readings reach `sink`, the same counters, the same result),
 * one byte at a time, and keep each piece with what became of it.
 */
bool vt_watch_feed(struct vt_watch *w, struct vt_line *line, int64_t t, const uint8_t *bytes,
                   size_t len, const struct vt_driver_sink *sink);

/* A port event at t ("connected", "lost: hang-up"), kept among the pieces. */
void vt_watch_note(struct vt_watch *w, int64_t t, const char *text);

/*
 * The reply to a watch request (docs/protocol.md, watch): the pieces after
 * number `after`, the line's counters, malloc'd JSON; NULL if out of memory.
 * The pieces it shows are final from then on (later bytes go to new ones).
 */
char *vt_watch_reply(struct vt_watch *w, const char *bed, const struct vt_line *line,
                     uint64_t after);

#endif
