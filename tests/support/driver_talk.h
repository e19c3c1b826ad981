/*
 * A driver that speaks first and the emulator's device for its protocol,
 * talking in process on a virtual clock: no pty, no daemon, no waiting.
 * Every byte the driver queues (connect, tick, replies) goes to the
 * device's respond(); every byte the device sends (answers, and what it
 * sends each period) goes to the driver's feed(). The device's bytes are
 * kept, so a test can feed them again split every way (driver_feed.h).
 */
#ifndef VT_RIG_DRIVER_TALK_H
#define VT_RIG_DRIVER_TALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver_feed.h"
#include "vitals/drivers/driver.h"
#include "vitals/emulator/encode.h"

struct vt_rig_talk {
	const struct vt_driver *driver;
	const struct vt_encoder *device;
	void *dstate;                 /* the driver's state */
	void *estate;                 /* the device's */
	int64_t now;                  /* the virtual clock, ms since the epoch */
	int64_t next_period;          /* the device's next period */
	struct vt_reading shown;      /* what the device shows (the test changes it) */
	bool mute;                    /* the device's bytes are lost (a cut cable) */
	struct vt_rig_collect c;      /* the driver's readings and infos */
	uint8_t *wire;                /* every byte the device sent, in order */
	size_t wire_len, wire_cap;
	uint64_t host_bytes;          /* bytes the driver sent */
	uint64_t host_messages;       /* its transmit calls that queued bytes */
	/* Told of every burst of bytes as it crosses, in order (NULL: nobody):
	 * the driver's before the device reads them, the device's before the
	 * driver does (and not when muted). A golden transcript is made of it. */
	void (*trace)(struct vt_rig_talk *t, bool from_host, const uint8_t *b, size_t n);
	void *trace_ctx;
};

/*
 * Reset both at `t0` with the driver's `opts` (may be NULL) and the
 * device's `cfg` (may be NULL), and connect (the driver's connect hook,
 * with no hello). 0, or -1 if the driver or the encoder cannot talk.
 */
int vt_rig_talk_start(struct vt_rig_talk *t, const char *protocol,
                      const struct vt_driver_opts *opts, const struct vt_encode_config *cfg,
                      int64_t t0);
/* The same, with `trace` (and its ctx) told of every byte from the start on. */
int vt_rig_talk_start_traced(struct vt_rig_talk *t, const char *protocol,
                             const struct vt_driver_opts *opts,
                             const struct vt_encode_config *cfg, int64_t t0,
                             void (*trace)(struct vt_rig_talk *, bool, const uint8_t *, size_t),
                             void *ctx);
/* Run the clock to `until`: device periods, driver ticks, and every answer. */
void vt_rig_talk_run(struct vt_rig_talk *t, int64_t until);
/* The device misbehaves now; what it sends because of it reaches the driver. */
void vt_rig_talk_misbehave(struct vt_rig_talk *t, enum vt_encode_fault f);
/* The driver's disconnect hook; the bytes it queues go to the device. */
void vt_rig_talk_stop(struct vt_rig_talk *t);
void vt_rig_talk_free(struct vt_rig_talk *t);

/* A steady patient on a multiparameter monitor: HR 72, SpO2 97, PR 73,
 * RR 14, EtCO2 38, temperature 36.7; no blood pressure yet. */
void vt_rig_talk_patient(struct vt_reading *r);
/* The driver's latest reading (fails the test if there is none). */
const struct vt_reading *vt_rig_talk_last(const struct vt_rig_talk *t);

#endif
