/*
 * The driver interface. A driver turns the bytes of one device protocol into
 * readings, and, for devices that speak only when spoken to, says what to
 * send them. Drivers are pure: no I/O, no clock, no logging, no allocation.
 * The caller owns the state (`state_size` bytes, aligned for any type),
 * feeds whatever bytes arrived, receives readings through a sink, and writes
 * whatever the driver put in the sink's transmit buffer to the device.
 *
 * A driver must resynchronise after any garbage: a malformed frame or line
 * is dropped and counted, never reported, and never stalls the stream.
 *
 * The transmit side (docs/drivers.md, "Drivers that speak first"). Time is
 * always an argument (`sink->now`), so live mode and replay run the same
 * code; the driver never waits for anything:
 *
 *   connect()    the port has just opened: queue the first message (an
 *                association request, a "send me values" request);
 *   feed()       bytes arrived: besides readings, queue any reply a frame
 *                needs (an acknowledgement, the answer to an event report);
 *   tick()       the time wake() named has come: queue what is due (the
 *                next poll, a keep-alive, a new association after silence);
 *   disconnect() the port is about to be closed on purpose: queue the
 *                goodbye (a release request).
 *
 * A device that stops answering simply produces no readings, and the core
 * raises comm-lost after the monitor's stale_after, as for a silent
 * oximeter; the driver only decides when to try again.
 *
 * Adding a protocol is one new file NAME.c defining a `const struct
 * vt_driver` and one line in registry.c.
 */
#ifndef VITALS_DRIVER_H
#define VITALS_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/device_alarm.h"
#include "vitals/base/sample.h"

enum vt_flow {
	VT_FLOW_NONE,    /* no flow control */
	VT_FLOW_XONXOFF, /* software flow control */
	VT_FLOW_RTSCTS   /* hardware flow control */
};

/* The parity bit of an 8-bit serial character (one stop bit always). */
enum vt_parity {
	VT_PARITY_NONE, /* 8N1: almost every device */
	VT_PARITY_EVEN, /* 8E1: the GE S/5 computer interface */
	VT_PARITY_ODD   /* 8O1 */
};

/* What a device says about itself (Nellcor headers, for example). */
struct vt_device_info {
	char model[32];   /* "N-560", "" if unknown */
	char version[32]; /* firmware version, "" if unknown */
	char mode[32];    /* patient mode ("ADULT", "NEO"), "" if unknown */
	char serial[32];  /* serial number, "" if unknown */
	/* the device's own alarm limits; NaN where unknown */
	double spo2_low, spo2_high, pr_low, pr_high;
};

/* The most bytes a driver can queue in one call: the acknowledgements of an
 * HL7 batch frame (hl7_mllp.c) are the most any driver sends at once. */
#define VT_TX_MAX 16384

/*
 * Bytes for the device, queued by one driver call. Messages go in whole or
 * not at all (vt_tx_put), so the device never sees half a frame. On a
 * datagram port (udp://) each message is one datagram, written as a 2-byte
 * big-endian length and the datagram's bytes; received datagrams arrive
 * the same way (docs/drivers.md).
 */
struct vt_tx {
	uint8_t buf[VT_TX_MAX]; /* the messages, in order */
	size_t len;             /* bytes used */
	uint32_t dropped;       /* messages that did not fit (they are not in buf) */
};

/* Append one whole message; false (and dropped + 1) if it does not fit. */
bool vt_tx_put(struct vt_tx *tx, const void *bytes, size_t len);
/* Append one datagram with its 2-byte length in front; false if it does not fit. */
bool vt_tx_put_datagram(struct vt_tx *tx, const void *bytes, size_t len);

/*
 * The driver's view of the world for one call: where readings go, what
 * time it is, and where bytes for the device go. `reading`, `info` and
 * `device_alarm` may be NULL; `tx` is NULL where nothing can be sent (fuzzing, benchmarks), and
 * a driver must then behave the same except that it sends nothing. feed()
 * may even get a NULL sink (vt_driver_sniff trying every driver on bytes
 * its own could not decode): it delivers and sends nothing then.
 */
struct vt_driver_sink {
	void (*reading)(void *ctx, const struct vt_reading *r);
	void (*info)(void *ctx, const struct vt_device_info *info);
	/* An alarm the monitor raised, updated or ended itself (HL7 ORU^R40); may be NULL. */
	void (*device_alarm)(void *ctx, const struct vt_device_alarm *da);
	void *ctx;
	int64_t now;     /* ms since the epoch: when the bytes arrived, or the tick's time */
	struct vt_tx *tx; /* bytes to send to the device, or NULL */
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

/* What a framed protocol's reader made of one more byte (intellivue.h, dri.h). */
enum vt_got {
	VT_GOT_NOTHING,   /* the byte belongs to what is being read */
	VT_GOT_OUTSIDE,   /* it is outside any frame (or in one too long to keep): skipped */
	VT_GOT_FRAME,     /* a whole frame that checks out */
	VT_GOT_BAD,       /* a frame was dropped, for the reason given */
	VT_GOT_BAD_CHECK  /* a frame was dropped for its checksum */
};
/* Count `got` in `st` (why: the reason of a drop); whether a frame is ready. */
bool vt_driver_got(struct vt_driver_stats *st, enum vt_got got, const char *why);

/*
 * What the configuration tells a driver. Zeroes mean "the driver's own
 * default"; vt_driver_opts_resolve() fills them in.
 */
struct vt_driver_opts {
	int64_t poll_ms; /* how often a polled device is asked for values (`poll:`) */
	bool datagram;   /* the port carries datagrams (udp://), length-prefixed both ways */
};

struct vt_driver {
	const char *name;        /* protocol name in the configuration: "nonin-df7" */
	const char *description; /* one line for humans */
	int default_baud;        /* the device's factory line speed */
	enum vt_flow default_flow;
	enum vt_parity default_parity; /* VT_PARITY_NONE unless the device says otherwise */
	int nominal_period_ms;   /* how often the device sends a reading unasked */
	int64_t default_poll_ms; /* polled devices: how often to ask; 0: the device is not polled */
	size_t state_size;       /* bytes of private state */
	/* Put `state` into its initial, hunting-for-sync condition. `opts` may
	 * be NULL (the driver's defaults); the driver keeps what it needs of it. */
	void (*reset)(void *state, const struct vt_driver_opts *opts);
	/* Consume `len` bytes; deliver every completed record to `sink`, and
	 * queue any reply in sink->tx. */
	void (*feed)(void *state, const uint8_t *bytes, size_t len,
	             const struct vt_driver_sink *sink);
	/* Copy the counters out of `state`. */
	void (*stats)(const void *state, struct vt_driver_stats *out);
	bool text;               /* lines of printable text (shown as text, not hex) */
	/* What a bed on this protocol can measure (docs/alarms.md, "What a bed
	 * measures"): `params`, every device of the protocol, from the moment
	 * the port connects; `params_optional`, only some devices, modules or
	 * settings, so a bed has one once it has shown a value since its port
	 * connected. The driver reports nothing else; a rule on any other
	 * parameter is inactive for the bed. */
	vt_param_mask params;
	vt_param_mask params_optional;

	/* ---- the transmit side: all NULL for devices that only talk ---- */
	/* The port has just opened at sink->now (state freshly reset). `hello`
	 * is what the device announced itself with on a datagram port (the
	 * IntelliVue Connect Indication), or NULL. */
	void (*connect)(void *state, const uint8_t *hello, size_t hello_len,
	                const struct vt_driver_sink *sink);
	/* The time wake() named has come (sink->now is at or after it). */
	void (*tick)(void *state, const struct vt_driver_sink *sink);
	/* When the driver next wants tick(), ms since the epoch; INT64_MAX: never. */
	int64_t (*wake)(const void *state);
	/* The port is about to be closed on purpose (shutdown, reload). */
	void (*disconnect)(void *state, const struct vt_driver_sink *sink);
};

/* Every driver, NULL-terminated. */
extern const struct vt_driver *const vt_drivers[];

/* The driver called `name`, or NULL. */
const struct vt_driver *vt_driver_find(const char *name);

/* `in` (may be NULL) with every zero replaced by the driver's default. */
struct vt_driver_opts vt_driver_opts_resolve(const struct vt_driver *d,
                                             const struct vt_driver_opts *in);

/* Every parameter a bed on driver `d` may measure (params | params_optional). */
vt_param_mask vt_driver_params(const struct vt_driver *d);

/* How often the device delivers a reading: its poll period when polled. */
int64_t vt_driver_period_ms(const struct vt_driver *d, const struct vt_driver_opts *opts);

#endif
