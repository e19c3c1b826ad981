/*
 * One port's line as its driver sees it: the driver and its state, and the
 * line diagnostics (bytes received, frames decoded, bytes discarded,
 * checksum failures, last valid frame, which protocol undecodable bytes
 * look like). Live mode and replay feed bytes through here rather than
 * into the driver directly, so both count the same and raise
 * undecodable-data at the same moments. Pure; the caller owns the memory.
 */
#ifndef VITALS_DRIVERS_LINE_H
#define VITALS_DRIVERS_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/drivers/driver.h"

/* What a bed's line carried since its port connected. */
struct vt_line_stats {
	uint64_t bytes;         /* bytes received */
	uint64_t frames;        /* frames (records) decoded */
	uint64_t dropped;       /* frames or lines rejected */
	uint64_t discarded;     /* bytes skipped while hunting for a frame */
	uint64_t checksum;      /* frames rejected for their checksum */
	uint64_t undecoded;     /* bytes received since the last decoded frame */
	int64_t last_frame;     /* time of the last decoded frame; 0: none yet */
	const char *why;        /* the driver's latest reason for rejecting, or NULL */
	const char *looks_like; /* the protocol undecoded bytes resemble, or NULL */
};

/* Recent bytes kept for recognising another protocol (a few frames of any). */
#define VT_LINE_RECENT 1024
/* At most one recognition attempt per this much time while bytes are rejected. */
#define VT_LINE_SNIFF_MS 1000

struct vt_line {
	const struct vt_driver *driver;
	struct vt_driver_opts opts;    /* what the configuration tells the driver */
	void *state;                   /* the driver's state (driver->state_size bytes) */
	void *scratch;                 /* vt_driver_sniff_scratch_size() bytes, or NULL: no sniffing */
	struct vt_line_stats stats;
	uint8_t recent[VT_LINE_RECENT]; /* ring of the latest bytes */
	size_t recent_len, recent_head;
	int64_t sniffed_at;            /* last recognition attempt; INT64_MIN: none */
};

/* Set up `l` for `driver` with its options (NULL: its defaults), the
 * caller's state and scratch memory; reset it. */
void vt_line_init(struct vt_line *l, const struct vt_driver *driver,
                  const struct vt_driver_opts *opts, void *state, void *scratch);

/* The port (re)connected: the driver hunts afresh, the counters start at 0. */
void vt_line_reset(struct vt_line *l);

/*
 * Feed bytes that arrived at t to the driver (readings go to `sink`) and
 * count them. Returns true when the driver rejected some of them and
 * decoded nothing: the caller tells the alarm engine (undecodable-data).
 */
bool vt_line_feed(struct vt_line *l, int64_t t, const uint8_t *bytes, size_t len,
                  const struct vt_driver_sink *sink);

#endif
