/*
 * Protocol encoders: the mirror image of the drivers. An encoder turns one
 * reading into the exact bytes a real device sends for one reporting period
 * (a Masimo line, a Nonin packet, a Nellcor line with its periodic header),
 * so that the emulator can stand in for a monitor and the tests can hold
 * every driver against its own protocol's bytes.
 *
 * Encoders are pure: no I/O, no clock, no logging, no allocation. Wall-clock
 * time is an argument (for the devices that print it). The caller owns the
 * state (`state_size` bytes, aligned for any type): it carries what a device
 * remembers from one period to the next, such as the phase of the
 * plethysmogram, the frame counter, or the values a Nonin display mode holds.
 *
 * Adding a protocol is one new file encode_NAME.c defining a
 * `const struct vt_encoder` and one line in encoders.c.
 */
#ifndef VITALS_ENCODE_H
#define VITALS_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/sample.h"

/* The most bytes one period of any encoder produces (an Ivy ANSAR-B message
 * is 562 bytes; room for HL7 observation messages). */
#define VT_ENCODE_MAX 2048

/* The most state any encoder needs, for callers that keep it on the stack
 * (a polled monitor keeps the reading it shows and the host's half-read
 * request). */
#define VT_ENCODE_STATE_MAX 8192

/* The most bytes one answer to a host's bytes may take (respond()). */
#define VT_ENCODE_REPLY_MAX 8192

/*
 * What the emulated device is set to: the things a real unit shows that are
 * not vital signs. vt_encode_config_default() gives the values documented in
 * docs/emulator.md; an encoder ignores the fields its protocol has no room for.
 */
struct vt_encode_config {
	char serial[11];  /* Masimo SN=, up to 10 digits (zero-padded on the wire) */
	int spo2_low;     /* Nellcor SpO2 alarm limits, %: header, `*` and SL/SH */
	int spo2_high;
	int pr_low;       /* Nellcor pulse-rate alarm limits, bpm: header, `*` and PL/PH */
	int pr_high;
	bool audio_off;   /* Nellcor: audible alarms disabled, status `AO` on every line */
	int nonin_srev;   /* Nonin firmware revision sent in frame 4 (0..127) */
	char hl7_bed[32]; /* HL7: the bed's location in PV1-3 */
	bool datagram;    /* the device speaks in datagrams (a LAN port): its messages go
	                   * as a 2-byte length and the datagram, both ways, as on a
	                   * vitalsd udp:// port */
	uint16_t data_port; /* datagram: the port it answers on, as it announces it */
};

/*
 * Misbehaviour on request, for the devices that talk with a host
 * (`vt_encoder.faults` says which a device knows).
 */
enum vt_encode_fault {
	VT_ENCODE_DEAF,      /* from now on, association requests get no answer */
	VT_ENCODE_HEARING,   /* and from now on they do again */
	VT_ENCODE_BAD_CHECK, /* the next frame goes out with a wrong FCS or checksum */
	VT_ENCODE_DROP,      /* drop the association (the host's request) now */
};

/* Every fault a monitor that answers a host's requests knows (vt_encoder.faults). */
#define VT_ENCODE_POLLED_FAULTS \
	(1u << VT_ENCODE_DEAF | 1u << VT_ENCODE_HEARING | 1u << VT_ENCODE_BAD_CHECK | \
	 1u << VT_ENCODE_DROP)

/*
 * What those faults leave a polled monitor doing, kept in its state. A
 * drop is the monitor's own (it forgets a request, or aborts an
 * association), so vt_encode_polled_fault leaves it to the caller.
 */
struct vt_encode_polled {
	bool deaf;      /* the host's requests go unanswered, from DEAF until HEARING */
	bool bad_check; /* the next frame goes out with a wrong check (BAD_CHECK) */
};
/* Apply DEAF, HEARING or BAD_CHECK to `p`; false for VT_ENCODE_DROP, which it does not apply. */
bool vt_encode_polled_fault(struct vt_encode_polled *p, enum vt_encode_fault f);

/* Fill `cfg` with the factory-like defaults. */
void vt_encode_config_default(struct vt_encode_config *cfg);

struct vt_encoder {
	const char *name;        /* protocol name, as for the drivers: "nonin-df7" */
	const char *description; /* one line for humans */
	int default_baud;        /* the device's factory line speed */
	/*
	 * One call to encode() covers period_num_ms / period_den milliseconds
	 * of device time (a Nonin DF#7 packet is 1000/3 ms; a fraction keeps
	 * long runs free of rounding drift).
	 */
	int period_num_ms;
	int period_den;
	size_t state_size; /* bytes of private state, at most VT_ENCODE_STATE_MAX */
	/* Put `state` at power-on; `cfg` NULL means vt_encode_config_default(). */
	void (*reset)(void *state, const struct vt_encode_config *cfg);
	/*
	 * Encode the period that starts now, the device showing reading `r`
	 * (parameters not in r->valid are sent as missing, flags as status)
	 * at wall-clock time `wall_ms` (ms since the Unix epoch, printed as UTC
	 * by devices that print a time). Writes at most VT_ENCODE_MAX bytes to
	 * `out` and returns how many; returns 0 if `cap` is smaller than what
	 * this period needs.
	 */
	size_t (*encode)(void *state, const struct vt_reading *r, int64_t wall_ms, uint8_t *out,
	                 size_t cap);
	/*
	 * Devices that answer a host (NULL for those that only talk): the host
	 * sent `len` bytes (any piece of its messages) at `wall_ms`. Writes
	 * the device's answers, whole messages only, into `out` (at most
	 * `cap`; answers that do not fit are not sent, as by a monitor too
	 * busy) and returns their length. Such a device shows the reading of
	 * the latest encode() call, which returns what it sends unasked (on
	 * a datagram port: its announcements, sent to the announce address).
	 */
	size_t (*respond)(void *state, const uint8_t *in, size_t len, int64_t wall_ms, uint8_t *out,
	                  size_t cap);
	/* The device also speaks on a LAN, in datagrams (vt_encode_config.datagram). */
	bool lan;
	/* The bit (1u << VT_ENCODE_x) of each misbehaviour the device knows. */
	unsigned faults;
	/* Misbehave as `f` says at `wall_ms`; what it sends because of it goes to
	 * `out` (a drop's abort). Returns its length. NULL when faults is 0. */
	size_t (*misbehave)(void *state, enum vt_encode_fault f, int64_t wall_ms, uint8_t *out,
	                    size_t cap);
};

/* Every encoder, NULL-terminated. */
extern const struct vt_encoder *const vt_encoders[];

/* The encoder called `name`, or NULL. */
const struct vt_encoder *vt_encoder_find(const char *name);

/*
 * The last cuff measurement a multiparameter monitor shows. A row with a
 * systolic and a diastolic pressure is a measurement (its mean, if the row
 * has none, is diastolic plus a third of the pulse pressure). When the row
 * times it (vt_reading.timed: a CSV's nibp_time, a scenario's cuff), it
 * was taken its age before the period, and is a new measurement when that
 * time or the pressures differ from the one shown, even if the pressures
 * are the same; untimed, it was taken at the period's time, and the same
 * pressures in the row right after are the same measurement. A row without
 * them leaves the last one shown.
 */
struct vt_encode_cuff {
	double bp[3];   /* systolic, diastolic, mean, mmHg */
	bool have;      /* one was taken */
	bool seen;      /* the last period's row had one */
	int64_t at_ms;  /* when */
};
void vt_encode_cuff_update(struct vt_encode_cuff *c, const struct vt_reading *r, int64_t wall_ms);

/*
 * Broken-down UTC time of `ms` for the devices that print a clock, floored
 * to the second. Pure (no time zone, no clock).
 */
struct vt_encode_tm {
	int year, month, day;  /* 4-digit year, 1..12, 1..31 */
	int hour, min, sec;
};
void vt_encode_tm(int64_t ms, struct vt_encode_tm *tm);

/*
 * The value of `p` in `r` times `scale`, rounded half away from zero and
 * clamped to lo..hi (a device's display has a fixed number of digits).
 * False when `r` carries no value for `p` (not reported, or missing, or not
 * a finite number).
 */
bool vt_encode_int(const struct vt_reading *r, enum vt_param p, double scale, int lo, int hi,
                   int *out);

#endif
