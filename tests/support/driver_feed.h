/*
 * Test support for byte-stream drivers: collect what a driver emits, and
 * feed it the same bytes whole, byte by byte and in random chunks, so that a
 * test can insist the split of the stream never changes the result.
 */
#ifndef VT_RIG_DRIVER_FEED_H
#define VT_RIG_DRIVER_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/drivers/driver.h"

/* Everything a driver delivered through its sink, in order. */
struct vt_rig_collect {
	struct vt_reading *readings;  /* readings, `count` of them */
	size_t count, cap;
	struct vt_device_info *infos; /* device info, `ninfo` of them */
	size_t ninfo, infocap;
	size_t *info_at;              /* readings delivered before each info */
	size_t atcap;
	struct vt_device_alarm *alarms; /* the monitor's own alarms, `nalarm` of them */
	size_t nalarm, alarmcap;
	uint8_t *sent;                /* what the driver queued for the device, in order */
	size_t nsent, sentcap;
};

/* How to split the input. */
enum vt_rig_split {
	VT_RIG_WHOLE,  /* one feed call */
	VT_RIG_BYTES,  /* one byte per call */
	VT_RIG_RANDOM  /* chunks of 1..64 bytes from a seeded PRNG */
};

void vt_rig_collect_free(struct vt_rig_collect *c);

/* A sink that appends to `c`. */
struct vt_driver_sink vt_rig_collect_sink(struct vt_rig_collect *c);

/* xorshift32: a small PRNG whose sequence is the same everywhere. */
uint32_t vt_rig_rand(uint32_t *state);

/* Fresh state, reset, feed `data` split as asked; results into `c` (which
 * must start zeroed) and the driver's counters into `stats` (may be NULL). */
void vt_rig_feed(const struct vt_driver *d, const uint8_t *data, size_t len,
                  enum vt_rig_split split, uint32_t seed, struct vt_rig_collect *c,
                  struct vt_driver_stats *stats);

/*
 * Feed whole, byte by byte and with three random chunkings; fill `c` and
 * `stats` from the whole feed. Returns false if any split gave different
 * readings, infos, alarms, bytes sent or counters. The driver's clock
 * (sink->now) stands at 0.
 */
bool vt_rig_feed_all(const struct vt_driver *d, const uint8_t *data, size_t len,
                      struct vt_rig_collect *c, struct vt_driver_stats *stats);

/* Same parameters, flags, status and values (NaN equals NaN in infos). */
bool vt_rig_reading_equal(const struct vt_reading *a, const struct vt_reading *b);
bool vt_rig_info_equal(const struct vt_device_info *a, const struct vt_device_info *b);
bool vt_rig_collect_equal(const struct vt_rig_collect *a, const struct vt_rig_collect *b);

/* "spo2=98 pr=- flags=0x3 status" — for failure messages. */
const char *vt_rig_reading_str(const struct vt_reading *r, char *buf, size_t cap);

/*
 * `seconds` of what the emulator's encoder for `protocol` sends while the
 * device shows SpO2 96 % and PR 71 bpm, into buf (at most cap bytes); the
 * length, or 0 for an unknown protocol.
 */
size_t vt_rig_encode(const char *protocol, int seconds, uint8_t *buf, size_t cap);

#endif
