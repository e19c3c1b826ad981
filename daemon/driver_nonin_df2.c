/*
 * Nonin serial data format #2: 5-byte frames that start with a constant
 * 0x01 and carry an 8-bit pleth, as sent by the OEM III module (J1 pin 9
 * open, its default), the Xpod and the 9560/3150. All framing and decoding
 * is in nonin_packet.c; this file only says which format it is and what the
 * driver table needs.
 */
#include "vitals/driver.h"
#include "vitals/nonin_packet.h"

struct s_state {
	struct vt_nonin_parser parser; /* frames, packets and counters */
};

/* Carries the sink into the packet callback. */
struct s_feed {
	const struct vt_driver_sink *sink;
};

static void
s_on_packet(void *ctx, const struct vt_nonin_packet *pkt)
{
	const struct vt_driver_sink *sink = ((struct s_feed *)ctx)->sink;
	struct vt_reading r;
	vt_nonin_packet_reading(pkt, &r);
	if (sink != NULL && sink->reading != NULL)
		sink->reading(sink->ctx, &r);
}

static void
s_reset(void *state)
{
	struct s_state *st = state;
	vt_nonin_parser_reset(&st->parser, VT_NONIN_DF2);
}

static void
s_feed(void *state, const uint8_t *bytes, size_t len, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	struct s_feed f = {.sink = sink};
	vt_nonin_parser_feed(&st->parser, bytes, len, s_on_packet, &f);
}

static void
s_stats(const void *state, struct vt_driver_stats *out)
{
	const struct s_state *st = state;
	*out = st->parser.stats;
}

const struct vt_driver vt_driver_nonin_df2 = {
	.name = "nonin-df2",                   /* protocol name in the configuration */
	.description = "Nonin serial data format #2 (5-byte frames, 8-bit pleth, 3 packets/s)",
	.default_baud = 9600,                  /* OEM III spec: 9600 8N1 */
	.default_flow = VT_FLOW_NONE,          /* OEM III spec: no flow control */
	.nominal_period_ms = 333,              /* one reading per 25-frame packet */
	.state_size = sizeof(struct s_state),  /* packet buffer and counters */
	.reset = s_reset,                      /* hunt for a SYNC frame */
	.feed = s_feed,                        /* bytes in, readings out */
	.stats = s_stats,                      /* counters */
	.open_bytes = NULL,                    /* the format is chosen in hardware */
	.open_len = 0,                         /* nothing to send */
};
