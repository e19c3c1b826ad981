/*
 * Nonin serial data formats #2 and #7: 5-byte frames, 75 a second, grouped
 * into 25-frame packets whose first frame carries the SYNC bit. The two
 * formats differ only in where the status byte sits and how wide the pleth
 * sample is, so one parser serves both drivers (driver_nonin_df2.c,
 * driver_nonin_df7.c), and the tests can check every frame of a capture, not
 * only the values a driver reports.
 *
 * Nonin's rule is followed to the letter: a packet is used only when all 25
 * frames are in sync and pass their checksum; otherwise it is discarded.
 */
#ifndef VITALS_NONIN_PACKET_H
#define VITALS_NONIN_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/sample.h"
#include "vitals/drivers/driver.h"

#define VT_NONIN_FRAME 5   /* bytes per frame */
#define VT_NONIN_FRAMES 25 /* frames per packet */
#define VT_NONIN_PACKET (VT_NONIN_FRAME * VT_NONIN_FRAMES)

/* Values the devices send for "no value". */
#define VT_NONIN_SPO2_MISSING 127
#define VT_NONIN_HR_MISSING 511

/* Status-byte bits, the same in every frame of DF#2 and DF#7. */
#define VT_NONIN_ST_ALWAYS 0x80 /* always set: marks the status byte */
#define VT_NONIN_ST_SNSD 0x40   /* sensor disconnected (OEM III; reserved on 9560) */
#define VT_NONIN_ST_ARTF 0x20   /* artifact: a beat off the pulse interval */
#define VT_NONIN_ST_OOT 0x10    /* out of track */
#define VT_NONIN_ST_SNSA 0x08   /* sensor alarm: unusable data / finger out */
#define VT_NONIN_ST_PERF 0x06   /* perfusion: 01 green, 11 yellow, 10 red */
#define VT_NONIN_ST_SYNC 0x01   /* first frame of a packet */

enum vt_nonin_format {
	VT_NONIN_DF2, /* 01 STATUS PLETH8 FLOAT CHK */
	VT_NONIN_DF7  /* STATUS PLETH_MSB PLETH_LSB FLOAT CHK */
};

/* One confirmed packet, frame by frame (index 0 is frame 1). */
struct vt_nonin_packet {
	uint8_t status[VT_NONIN_FRAMES]; /* status byte of each frame */
	uint16_t pleth[VT_NONIN_FRAMES]; /* pleth sample (8 bits in DF#2, 16 in DF#7) */
	uint8_t value[VT_NONIN_FRAMES];  /* the "float" byte: its meaning depends on the frame */
};

/* Every number a packet carries, decoded; missing stays 127 / 511. */
struct vt_nonin_values {
	int hr, spo2;         /* 4-beat standard mode (frames 1-3) */
	int srev;             /* firmware revision (frame 4) */
	int stat2;            /* 9560/3150 STAT2 (frame 8): bit 0 low battery */
	int spo2_d;           /* display mode SpO2 (frame 9) */
	int spo2_fast;        /* frame 10 */
	int spo2_bb;          /* beat-to-beat SpO2 (frame 11) */
	int e_hr, e_spo2;     /* 8-beat extended averages (frames 14-16) */
	int e_spo2_d;         /* frame 17 */
	int hr_d, e_hr_d;     /* display mode HR (frames 20-21), extended (22-23) */
};

/* Receives each confirmed packet. */
typedef void (*vt_nonin_packet_fn)(void *ctx, const struct vt_nonin_packet *pkt);

/* Parser state: the bytes of the packet being confirmed, and counters. */
struct vt_nonin_parser {
	enum vt_nonin_format format;
	uint8_t buf[2 * VT_NONIN_PACKET]; /* unresolved bytes, oldest first */
	size_t head, len;                 /* unresolved bytes are buf[head..len) */
	int frames;                       /* frames of the current packet confirmed; 0 = hunting */
	bool in_sync;                     /* a packet just ended: the next must start here */
	struct vt_driver_stats stats;     /* records = packets delivered */
};

/* Start hunting for a packet's first frame. */
void vt_nonin_parser_reset(struct vt_nonin_parser *p, enum vt_nonin_format format);

/* Consume bytes; call `fn` for every packet whose 25 frames are confirmed. */
void vt_nonin_parser_feed(struct vt_nonin_parser *p, const uint8_t *bytes, size_t len,
                          vt_nonin_packet_fn fn, void *ctx);

/* Decode every number of a packet. */
void vt_nonin_packet_values(const struct vt_nonin_packet *pkt, struct vt_nonin_values *out);

/*
 * The reading vitalsd reports for a packet: display-mode SpO2-D and HR-D
 * (as `spo2` and `pr`) and the status bits of all 25 frames ORed together.
 * docs/drivers.md says why display mode.
 */
void vt_nonin_packet_reading(const struct vt_nonin_packet *pkt, struct vt_reading *r);

/*
 * The driver hooks DF#2 and DF#7 share: their state is a struct
 * vt_nonin_parser, and only reset differs (it names the format).
 */
void vt_nonin_driver_feed(void *state, const uint8_t *bytes, size_t len,
                          const struct vt_driver_sink *sink);
void vt_nonin_driver_stats(const void *state, struct vt_driver_stats *out);

#endif
