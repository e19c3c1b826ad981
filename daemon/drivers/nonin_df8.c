/*
 * Nonin serial data format #8 (9560 Onyx II, 3150 WristOx2): four bytes once
 * a second, display-mode HR and SpO2 with status.
 *
 *   byte 1   1 R OOT LPRF MPRF ARTF HR8 HR7
 *   byte 2   0 HR6..HR0
 *   byte 3   0 SP6..SP0
 *   byte 4   0 R SPA R SNSA R R LOWBAT
 *
 * There is no checksum: the only framing is that byte 1 alone has bit 7 set,
 * and random line noise forms a well-formed record every few hundred bytes.
 * So the driver locks on before it reports anything: it needs three
 * well-formed records back to back (each starting on the byte after the
 * last). The first record of such a chain is never reported, because it is
 * the one that may be noise that happened to end on a record boundary; the
 * second and third are reported when the third completes, and from then on
 * each record as it completes. Any break (a stray byte, a record cut short,
 * an impossible value) starts the hunt again. At start-up and after noise
 * this costs one record and delays two by up to two seconds.
 */
#include <stdbool.h>
#include <string.h>

#include "vitals/drivers/driver.h"

/* The host command that selects DF#8 on a 9560/3150 (kept in its
 * non-volatile memory; answered with ACK 0x06 or NAK 0x15, which the
 * driver skips as non-record bytes). */
static const uint8_t s_select_df8[] = {0x02, 0x70, 0x02, 0x02, 0x08, 0x03};

#define B1_RESERVED 0x40
#define B1_OOT 0x20
#define B1_LPRF 0x10
#define B1_MPRF 0x08
#define B1_ARTF 0x04
#define B4_RESERVED 0x56 /* bits 6, 4, 2, 1 */
#define B4_SNSA 0x08
#define B4_LOW_BAT 0x01

/* Well-formed records back to back needed before any is reported. */
#define S_LOCK 3

struct s_state {
	uint8_t rec[4];               /* the record being read */
	int n;                        /* bytes in rec; 0 = between records */
	int chain;                    /* well-formed records back to back, up to S_LOCK */
	struct vt_reading held;       /* second record of a chain, awaiting the third */
	struct vt_driver_stats stats; /* counters */
};

/* Decode a complete record; false if a value is impossible. */
static bool
s_decode(const uint8_t rec[4], struct vt_reading *r)
{
	int hr = (rec[0] & 0x03) << 7 | rec[1];
	int spo2 = rec[2];
	/* Without a checksum, an impossible value or a reserved bit set is
	 * the only sign of a corrupted record: drop it rather than report a
	 * wrong number. (A device that did set reserved bits would report
	 * nothing, and the no-data alarm would say so.) */
	if ((hr > 321 && hr != 511) || (spo2 > 100 && spo2 != 127))
		return false;
	if ((rec[0] & B1_RESERVED) || (rec[3] & B4_RESERVED))
		return false;
	memset(r, 0, sizeof *r);
	if (spo2 == 127)
		vt_reading_set_missing(r, VT_SPO2);
	else
		vt_reading_set(r, VT_SPO2, spo2);
	if (hr == 511)
		vt_reading_set_missing(r, VT_PR);
	else
		vt_reading_set(r, VT_PR, hr);
	uint32_t flags = 0;
	if (rec[0] & B1_OOT)
		flags |= VT_FLAG_PULSE_SEARCH;
	if (rec[0] & B1_LPRF)
		flags |= VT_FLAG_LOW_PERFUSION;
	if (rec[0] & B1_MPRF)
		flags |= VT_FLAG_LOW_SIGNAL_IQ;
	if (rec[0] & B1_ARTF)
		flags |= VT_FLAG_ARTIFACT;
	if (rec[3] & B4_SNSA)
		flags |= VT_FLAG_SENSOR_OFF;
	if (rec[3] & B4_LOW_BAT)
		flags |= VT_FLAG_LOW_BATTERY;
	r->flags = flags;
	r->has_status = true;
	return true;
}

static void
s_emit(struct s_state *st, const struct vt_reading *r, const struct vt_driver_sink *sink)
{
	st->stats.records++;
	if (sink != NULL && sink->reading != NULL)
		sink->reading(sink->ctx, r);
}

/* The chain is broken: its unconfirmed records count as skipped bytes. */
static void
s_break(struct s_state *st)
{
	if (st->chain < S_LOCK) {
		st->stats.discarded += 4 * (uint64_t)st->chain;
		if (st->chain > 0)
			st->stats.why = "records not yet confirmed by a run of good ones";
	}
	st->chain = 0;
}

/* A complete, well-formed record. */
static void
s_record(struct s_state *st, const struct vt_reading *r, const struct vt_driver_sink *sink)
{
	if (st->chain >= S_LOCK) {
		s_emit(st, r, sink);
		return;
	}
	st->chain++;
	if (st->chain == 2) {
		st->held = *r;
	} else if (st->chain == S_LOCK) {
		st->stats.discarded += 4; /* the chain's first record */
		s_emit(st, &st->held, sink);
		s_emit(st, r, sink);
	}
}

static void
s_byte(struct s_state *st, uint8_t c, const struct vt_driver_sink *sink)
{
	if (c & 0x80) {
		if (st->n > 0) {
			/* A record cut short by the next one's first byte. */
			st->stats.dropped++;
			s_break(st);
			st->stats.why = "a record cut short by the next one";
		}
		st->rec[0] = c;
		st->n = 1;
		return;
	}
	if (st->n == 0) {
		/* Not inside a record: skip it until a first byte comes. */
		st->stats.discarded++;
		s_break(st);
		st->stats.why = "hunting for a byte with bit 7 set (a record's start)";
		return;
	}
	st->rec[st->n++] = c;
	if (st->n < 4)
		return;
	st->n = 0;
	struct vt_reading r;
	if (s_decode(st->rec, &r)) {
		s_record(st, &r, sink);
	} else {
		st->stats.dropped++;
		s_break(st);
		st->stats.why = "an impossible value or a reserved bit set";
	}
}

static void
s_reset(void *state, const struct vt_driver_opts *opts)
{
	struct s_state *st = state;
	memset(st, 0, sizeof *st);
}

static void
s_feed(void *state, const uint8_t *bytes, size_t len, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	st->stats.bytes += len;
	for (size_t i = 0; i < len; i++)
		s_byte(st, bytes[i], sink);
}

/* Ask a 9560/3150 for DF#8 as soon as the port opens. */
static void
s_connect(void *state, const uint8_t *hello, size_t hello_len, const struct vt_driver_sink *sink)
{
	vt_tx_put(sink->tx, s_select_df8, sizeof s_select_df8);
}

static void
s_stats(const void *state, struct vt_driver_stats *out)
{
	const struct s_state *st = state;
	*out = st->stats;
}

const struct vt_driver vt_driver_nonin_df8 = {
	.name = "nonin-df8",                   /* protocol name in the configuration */
	.description = "Nonin serial data format #8 (4 bytes once a second, 9560/3150)",
	.default_baud = 9600,                  /* 9560 spec: 9600 8N1 */
	.default_flow = VT_FLOW_NONE,          /* 9560 spec: no flow control */
	.nominal_period_ms = 1000,             /* one record a second */
	.state_size = sizeof(struct s_state),  /* one record and counters */
	.reset = s_reset,                      /* hunt for a first byte */
	.feed = s_feed,                        /* bytes in, readings out */
	.stats = s_stats,                      /* counters */
	.params = VT_PARAMS_PULSE_OXIMETER,    /* SpO2 and pulse rate, nothing else */
	.connect = s_connect,                  /* ask the device for DF#8, once */
};
