/*
 * Nonin serial data format #2: 5-byte frames that start with a constant
 * 0x01 and carry an 8-bit pleth, as sent by the OEM III module (J1 pin 9
 * open, its default), the Xpod and the 9560/3150. All framing and decoding
 * is in nonin_packet.c; this file only says which format it is and what the
 * driver table needs.
 */
#include "vitals/drivers/driver.h"
#include "vitals/drivers/nonin_packet.h"

static void
s_reset(void *state, const struct vt_driver_opts *opts)
{
	vt_nonin_parser_reset(state, VT_NONIN_DF2);
}

const struct vt_driver vt_driver_nonin_df2 = {
	.name = "nonin-df2",                   /* protocol name in the configuration */
	.description = "Nonin serial data format #2 (5-byte frames, 8-bit pleth, 3 packets/s)",
	.default_baud = 9600,                  /* OEM III spec: 9600 8N1 */
	.default_flow = VT_FLOW_NONE,          /* OEM III spec: no flow control */
	.nominal_period_ms = 333,              /* one reading per 25-frame packet */
	.state_size = sizeof(struct vt_nonin_parser), /* packet buffer and counters */
	.reset = s_reset,                      /* hunt for a SYNC frame */
	.feed = vt_nonin_driver_feed,          /* bytes in, readings out */
	.stats = vt_nonin_driver_stats,        /* counters */
	.params = VT_PARAMS_PULSE_OXIMETER,    /* SpO2 and pulse rate, nothing else */
};
