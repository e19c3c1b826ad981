/*
 * The GE / Datex-Ohmeda S/5 computer interface (Datex Record Interface,
 * DRI): its framing and the physiological-data records vitalsd asks for
 * and reads. Shared by the ge-dri driver (host side) and the emulator's
 * monitor (device side). Written from shared/reference/device-protocols.md
 * section 5 and the vendor's example request frames (docs/drivers.md cites
 * the sources). Pure. Multi-byte fields are little-endian, as on the wire.
 *
 *   frame    0x7E, the record and its checksum with 0x7E and 0x7D escaped
 *            (0x7D, byte XOR 0x20), 0x7E
 *   checksum the 8-bit sum of the record's bytes
 *   record   a 40-byte header (length, DRI level, plug id, time, main type,
 *            eight subrecord descriptors) and up to 1450 bytes of subrecords
 */
#ifndef VITALS_DRIVERS_DRI_H
#define VITALS_DRIVERS_DRI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/drivers/driver.h"

#define VT_DRI_FLAG 0x7E
#define VT_DRI_ESC 0x7D
#define VT_DRI_HDR 40          /* record header */
#define VT_DRI_RECORD_MAX 1490 /* header and subrecords */

#define VT_DRI_MT_PHDB 0       /* main type: physiological data */
#define VT_DRI_SR_REQ 0        /* subrecord type of a transmission request */
#define VT_DRI_PH_DISPL 1      /* displayed values */
#define VT_DRI_PH_10S_TREND 2
#define VT_DRI_PH_60S_TREND 3
#define VT_DRI_SR_END 0xFF     /* end of the subrecord list */

/* Special values: anything at or below -32001 is no value. */
#define VT_DRI_INVALID_LIMIT (-32001)
#define VT_DRI_INVALID (-32767)
#define VT_DRI_NOT_UPDATED (-32766)
#define VT_DRI_UNDER_RANGE (-32764)
#define VT_DRI_OVER_RANGE (-32763)

/* A physiological-data subrecord: its time, the 270-byte class data, a marker. */
#define VT_DRI_PHDB_LEN (4 + 270 + 4)

/* Offsets in the basic class (each group starts with status u32, label u16). */
#define VT_DRI_ECG 0      /* hr, st1, st2, st3, imp_rr */
#define VT_DRI_NIBP 72    /* sys, dia, mean, hr */
#define VT_DRI_T1 86      /* temp; T2 at 94 */
#define VT_DRI_T2 94
#define VT_DRI_SPO2 118   /* SpO2, pr, ir_amp, svo2 */
#define VT_DRI_CO2 132    /* et, fi, rr, amb_press */

/* Group status bits (an open implementation's reading of the spec, [I]). */
#define VT_DRI_EXISTS (1u << 0)
#define VT_DRI_ACTIVE (1u << 1)
#define VT_DRI_ECG_CH1_OFF (1u << 11)   /* ECG channel 1 off: its leads are off */
#define VT_DRI_CO2_OCCLUSION (1u << 5)
/* NIBP label bits. */
#define VT_DRI_NIBP_MEASURING (1u << 5)
#define VT_DRI_NIBP_OLD (1u << 8)       /* the value shown is older than 60 s */

/*
 * Wrap a record into a frame. The frame's length, or 0 when it does not
 * fit in `cap` (2 x record + 4 always does).
 */
size_t vt_dri_frame(const uint8_t *record, size_t len, uint8_t *out, size_t cap);

/*
 * Records out of a byte stream, one byte at a time; both sides read with
 * it. The same flag may close one frame and open the next.
 */
struct vt_dri_reader {
	uint8_t rec[VT_DRI_RECORD_MAX + 1]; /* the frame being read, unescaped, with its checksum */
	size_t n;
	bool in_frame, esc, overflow;
};

void vt_dri_reader_reset(struct vt_dri_reader *r);
/* One more byte (driver.h, enum vt_got): VT_GOT_FRAME with a record whose
 * checksum holds in *rec, *len (without the checksum; pointing into r,
 * valid until the next call); a drop's reason in *why. */
enum vt_got vt_dri_reader_byte(struct vt_dri_reader *r, uint8_t b, const uint8_t **rec,
                                   size_t *len, const char **why);

/*
 * A displayed-values record at `t_s` (the monitor's clock, Unix seconds)
 * whose one subrecord holds the basic class `basic` (270 bytes): header,
 * the subrecord's time, the class, its end. VT_DRI_HDR + VT_DRI_PHDB_LEN
 * bytes into `out`.
 */
size_t vt_dri_displayed(const uint8_t basic[270], uint32_t t_s,
                        uint8_t out[VT_DRI_HDR + VT_DRI_PHDB_LEN]);

/*
 * A physiological-data transmission request record: `type` (VT_DRI_PH_*),
 * every `interval_s` seconds (0: stop; -1: once), data classes `classes`
 * (0: basic). 49 bytes into out.
 */
size_t vt_dri_request(uint8_t type, int16_t interval_s, uint32_t classes, uint8_t out[49]);

/* Little-endian fields. */
static inline int16_t
vt_dri_i16(const uint8_t *p)
{
	return (int16_t)(uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t
vt_dri_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void
vt_dri_put16(uint8_t *p, int v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)((unsigned)v >> 8);
}
static inline void
vt_dri_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#endif
