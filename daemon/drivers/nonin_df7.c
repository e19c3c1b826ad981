/*
 * Nonin serial data format #7: DF#2 with a 16-bit pleth and no constant
 * first byte, as sent by the OEM III module (4.3 kOhm on J1 pin 9), the
 * Xpod and the 9560/3150. All framing and decoding is in nonin_packet.c;
 * this file only says which format it is and what the driver table needs.
 */
#include "vitals/drivers/driver.h"
#include "vitals/drivers/nonin_packet.h"

static void
s_reset(void *state, const struct vt_driver_opts *opts)
{
	vt_nonin_parser_reset(state, VT_NONIN_DF7);
}

const struct vt_driver vt_driver_nonin_df7 = {
	.name = "nonin-df7",                   /* protocol name in the configuration */
	.description = "Nonin serial data format #7 (5-byte frames, 16-bit pleth, 3 packets/s)",
	.default_baud = 9600,                  /* OEM III spec: 9600 8N1 */
	.default_flow = VT_FLOW_NONE,          /* OEM III spec: no flow control */
	.nominal_period_ms = 333,              /* one reading per 25-frame packet */
	.state_size = sizeof(struct vt_nonin_parser), /* packet buffer and counters */
	.reset = s_reset,                      /* hunt for a SYNC frame */
	.feed = vt_nonin_driver_feed,          /* bytes in, readings out */
	.stats = vt_nonin_driver_stats,        /* counters */
	.params = VT_PARAMS_PULSE_OXIMETER,    /* SpO2 and pulse rate, nothing else */
};
