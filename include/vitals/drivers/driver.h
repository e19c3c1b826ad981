/*
 * The driver interface. A driver turns the bytes of one device protocol into
 * readings. Drivers are pure: no I/O, no clock, no logging, no allocation.
 * The caller owns the state (`state_size` bytes, aligned for any type),
 * feeds whatever bytes arrived, and receives readings through a sink.
 *
 * A driver must resynchronise after any garbage: a malformed frame or line
 * is dropped and counted, never reported, and never stalls the stream.
 *
 * Adding a protocol is one new file driver_NAME.c defining a
 * `const struct vt_driver` and one line in drivers.c.
 */
#ifndef VITALS_DRIVER_H
#define VITALS_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/sample.h"

enum vt_flow {
	VT_FLOW_NONE,    /* no flow control */
	VT_FLOW_XONXOFF, /* software flow control */
	VT_FLOW_RTSCTS   /* hardware flow control */
};

/* What a device says about itself (Nellcor headers, for example). */
struct vt_device_info {
	char model[32];   /* "N-560", "" if unknown */
	char version[32]; /* firmware version, "" if unknown */
	char mode[32];    /* patient mode ("ADULT", "NEO"), "" if unknown */
	/* the device's own alarm limits; NaN where unknown */
	double spo2_low, spo2_high, pr_low, pr_high;
};

/* Where a driver delivers what it decoded. Either callback may be NULL. */
struct vt_driver_sink {
	void (*reading)(void *ctx, const struct vt_reading *r);
	void (*info)(void *ctx, const struct vt_device_info *info);
	void *ctx;
};

/* Counters every driver keeps, for the line diagnostics, the benchmarks
 * and the logs (docs/drivers.md, line diagnostics). */
struct vt_driver_stats {
	uint64_t bytes;     /* bytes fed */
	uint64_t records;   /* readings emitted */
	uint64_t dropped;   /* frames or lines rejected (bad checksum, malformed) */
	uint64_t discarded; /* bytes skipped while hunting for sync */
	uint64_t checksum;  /* frames rejected for their checksum (protocols that have one) */
	const char *why;    /* why the latest rejection happened: static text, or NULL */
};

struct vt_driver {
	const char *name;        /* protocol name in the configuration: "nonin-df7" */
	const char *description; /* one line for humans */
	int default_baud;        /* the device's factory line speed */
	enum vt_flow default_flow;
	int nominal_period_ms;   /* how often the device sends a reading */
	size_t state_size;       /* bytes of private state */
	/* Put `state` into its initial, hunting-for-sync condition. */
	void (*reset)(void *state);
	/* Consume `len` bytes; deliver every completed record to `sink`. */
	void (*feed)(void *state, const uint8_t *bytes, size_t len,
	             const struct vt_driver_sink *sink);
	/* Copy the counters out of `state`. */
	void (*stats)(const void *state, struct vt_driver_stats *out);
	bool text;               /* lines of printable text (shown as text, not hex) */
	const uint8_t *open_bytes; /* sent once after the port opens, or NULL */
	size_t open_len;           /* length of open_bytes */
};

/* Every driver, NULL-terminated. */
extern const struct vt_driver *const vt_drivers[];

/* The driver called `name`, or NULL. */
const struct vt_driver *vt_driver_find(const char *name);

#endif
