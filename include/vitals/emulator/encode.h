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

/* The most state any encoder needs, for callers that keep it on the stack. */
#define VT_ENCODE_STATE_MAX 256

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
};

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
};

/* Every encoder, NULL-terminated. */
extern const struct vt_encoder *const vt_encoders[];

/* The encoder called `name`, or NULL. */
const struct vt_encoder *vt_encoder_find(const char *name);

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
