/*
 * Tests for the Nonin DF#2 driver: the shared Nonin cases (nonin_cases.h)
 * built in DF#2 framing, plus what only DF#2 has, the constant first byte.
 * No DF#2 capture exists, so every fixture is built from the format.
 */
#include "nonin_cases.h"

Test(driver_nonin_df2, table)
{
	s_run_cases("nonin-df2", VT_NONIN_DF2);
}

Test(driver_nonin_df2, every_status_bit)
{
	s_run_status_bits("nonin-df2", VT_NONIN_DF2);
}

Test(driver_nonin_df2, random_garbage_in_front)
{
	s_run_random_garbage("nonin-df2", VT_NONIN_DF2);
}

/* Byte 1 of every DF#2 frame is 0x01; anything else breaks the packet,
 * even with a checksum made to match. */
Test(driver_nonin_df2, first_byte_must_be_one)
{
	const struct vt_driver *d = vt_driver_find("nonin-df2");
	static const struct s_pkt normal = NORMAL;
	uint8_t buf[3 * VT_NONIN_PACKET];
	for (int k = 0; k < 3; k++)
		s_packet(VT_NONIN_DF2, &normal, buf + k * VT_NONIN_PACKET);
	uint8_t *f = buf + VT_NONIN_PACKET + 9 * VT_NONIN_FRAME; /* packet 2, frame 10 */
	f[0] = 0x03;
	f[4] = (uint8_t)(f[4] + 2);
	struct vt_rig_collect got = {0};
	struct vt_driver_stats st;
	cr_assert(vt_rig_feed_all(d, buf, sizeof buf, &got, &st));
	cr_expect_eq(got.count, 2);
	cr_expect_gt(st.dropped, 0);
	vt_rig_collect_free(&got);
}

/* A DF#7 stream is not mistaken for DF#2, and the other way round. */
Test(driver_nonin_df2, formats_do_not_cross)
{
	static const struct s_pkt normal = NORMAL;
	uint8_t buf[4 * VT_NONIN_PACKET];
	for (int k = 0; k < 4; k++)
		s_packet(VT_NONIN_DF7, &normal, buf + k * VT_NONIN_PACKET);
	struct vt_rig_collect got = {0};
	vt_rig_feed(vt_driver_find("nonin-df2"), buf, sizeof buf, VT_RIG_WHOLE, 0, &got, NULL);
	cr_expect_eq(got.count, 0);
	vt_rig_collect_free(&got);
	for (int k = 0; k < 4; k++)
		s_packet(VT_NONIN_DF2, &normal, buf + k * VT_NONIN_PACKET);
	vt_rig_feed(vt_driver_find("nonin-df7"), buf, sizeof buf, VT_RIG_WHOLE, 0, &got, NULL);
	cr_expect_eq(got.count, 0);
	vt_rig_collect_free(&got);
}
