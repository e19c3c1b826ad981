/*
 * Tests for the Nonin DF#7 driver: the shared Nonin cases (nonin_cases.h)
 * built in DF#7 framing, and the real OEM III capture decoded frame for
 * frame against the uploader's own CSV split of it, when the shared
 * captures folder is there.
 */
#include <stdlib.h>
#include <unistd.h>

#include "nonin_cases.h"

Test(driver_nonin_df7, table)
{
	s_run_cases("nonin-df7", VT_NONIN_DF7);
}

Test(driver_nonin_df7, every_status_bit)
{
	s_run_status_bits("nonin-df7", VT_NONIN_DF7);
}

Test(driver_nonin_df7, random_garbage_in_front)
{
	s_run_random_garbage("nonin-df7", VT_NONIN_DF7);
}

/* The worked example of the reference: frames of the capture's first packet. */
Test(driver_nonin_df7, decode_worked_example)
{
	struct vt_nonin_packet pkt = {0};
	for (int i = 0; i < VT_NONIN_FRAMES; i++)
		pkt.status[i] = 0x80;
	pkt.status[0] = 0x81;
	pkt.value[1] = 0x5E;  /* HR LSB 94 */
	pkt.value[2] = 0x60;  /* SpO2 96 */
	pkt.value[3] = 45;    /* SREV */
	pkt.value[8] = 0x60;  /* SpO2-D 96 */
	pkt.value[20] = 0x5F; /* HR-D LSB 95 */
	struct vt_nonin_values v;
	vt_nonin_packet_values(&pkt, &v);
	cr_expect_eq(v.hr, 94);
	cr_expect_eq(v.spo2, 96);
	cr_expect_eq(v.srev, 45);
	cr_expect_eq(v.spo2_d, 96);
	cr_expect_eq(v.hr_d, 95);
}

/* Packets the parser confirmed, kept whole. */
struct s_packets {
	struct vt_nonin_packet pk[256];
	size_t n;
};

static void
s_keep(void *ctx, const struct vt_nonin_packet *pkt)
{
	struct s_packets *ps = ctx;
	if (ps->n < 256)
		ps->pk[ps->n] = *pkt;
	ps->n++;
}

/* One CSV row: SAMPLE;PACKAGE;FRAME;STATUS;PLETH;ADDON;CHECKSUM */
struct s_row {
	int sample, package, frame, status, pleth, addon, checksum;
};

Test(driver_nonin_df7, capture_frame_for_frame)
{
	size_t datlen, csvlen;
	uint8_t *dat = (uint8_t *)vt_rig_slurp(vt_rig_capture("nonin_oem3_df7_60s.dat"), &datlen);
	char *csv = vt_rig_slurp(vt_rig_capture("nonin_oem3_df7_60s.csv"), &csvlen);
	cr_assert_not_null(dat);
	cr_assert_not_null(csv);

	/* The CSV, row by row. */
	static struct s_row rows[5000];
	size_t nrows = 0;
	char *line = strchr(csv, '\n');
	cr_assert_not_null(line, "CSV header");
	for (line++; *line != '\0' && nrows < 5000;) {
		struct s_row *r = &rows[nrows];
		int used = 0;
		if (sscanf(line, "%d;%d;%d;%d;%d;%d;%d%n", &r->sample, &r->package, &r->frame,
		           &r->status, &r->pleth, &r->addon, &r->checksum, &used) != 7)
			break;
		nrows++;
		line += used;
		while (*line == '\r' || *line == '\n')
			line++;
	}
	cr_assert_eq(nrows, 4528, "CSV rows: %zu", nrows);

	/* Every frame of every confirmed packet against its row. */
	struct vt_nonin_parser parser;
	static struct s_packets got;
	got.n = 0;
	vt_nonin_parser_reset(&parser, VT_NONIN_DF7);
	vt_nonin_parser_feed(&parser, dat, datlen, s_keep, &got);
	cr_assert_eq(got.n, 181, "packets: %zu", got.n);
	cr_expect_eq(parser.stats.discarded, 16, "the capture starts 16 bytes into a frame");
	cr_expect_eq(parser.stats.dropped, 0);
	cr_expect_eq(parser.stats.records, 181);
	for (size_t p = 0; p < got.n; p++) {
		for (int f = 0; f < VT_NONIN_FRAMES; f++) {
			const struct s_row *r = &rows[p * VT_NONIN_FRAMES + (size_t)f];
			cr_assert_eq(r->package, (int)p + 1);
			cr_assert_eq(r->frame, f + 1);
			cr_assert_eq(got.pk[p].status[f], r->status, "packet %zu frame %d status", p + 1, f + 1);
			cr_assert_eq(got.pk[p].pleth[f], r->pleth, "packet %zu frame %d pleth", p + 1, f + 1);
			cr_assert_eq(got.pk[p].value[f], r->addon, "packet %zu frame %d float", p + 1, f + 1);
			cr_assert_eq((r->status + (r->pleth >> 8) + (r->pleth & 0xFF) + r->addon) & 0xFF,
			             r->checksum, "CSV checksum of row %d", r->sample);
		}
	}

	/* The reference's numbers for the first packet. */
	struct vt_nonin_values v;
	vt_nonin_packet_values(&got.pk[0], &v);
	cr_expect_eq(v.hr, 94);
	cr_expect_eq(v.spo2, 96);
	cr_expect_eq(v.spo2_d, 96);
	cr_expect_eq(v.e_hr, 94);
	cr_expect_eq(v.hr_d, 95);
	cr_expect_eq(v.e_hr_d, 94);
	cr_expect_eq(v.srev, 45);

	/* The driver's readings: display values and ORed status, from the CSV. */
	struct vt_rig_collect readings = {0};
	struct vt_driver_stats st;
	cr_assert(vt_rig_feed_all(vt_driver_find("nonin-df7"), dat, datlen, &readings, &st));
	cr_assert_eq(readings.count, 181);
	int hr_lo = 999, hr_hi = 0, sp_lo = 999, sp_hi = 0;
	for (size_t p = 0; p < readings.count; p++) {
		const struct s_row *r = &rows[p * VT_NONIN_FRAMES];
		int spo2_d = r[8].addon & 0x7F;
		int hr_d = (r[19].addon & 3) << 7 | (r[20].addon & 0x7F);
		uint32_t flags = 0;
		for (int f = 0; f < VT_NONIN_FRAMES; f++) {
			if ((r[f].status & 6) == 4)
				flags |= VT_FLAG_LOW_PERFUSION;
			if ((r[f].status & 6) == 6)
				flags |= VT_FLAG_LOW_SIGNAL_IQ;
		}
		const struct vt_reading *g = &readings.readings[p];
		cr_expect_eq(g->valid, P(SPO2) | P(PR));
		cr_expect_eq(g->value[VT_SPO2], spo2_d, "packet %zu SpO2-D", p + 1);
		cr_expect_eq(g->value[VT_PR], hr_d, "packet %zu HR-D", p + 1);
		cr_expect_eq(g->flags, flags, "packet %zu flags", p + 1);
		cr_expect(g->has_status);
		hr_lo = hr_d < hr_lo ? hr_d : hr_lo;
		hr_hi = hr_d > hr_hi ? hr_d : hr_hi;
		sp_lo = spo2_d < sp_lo ? spo2_d : sp_lo;
		sp_hi = spo2_d > sp_hi ? spo2_d : sp_hi;
	}
	/* A normal patient: the ranges the capture's notes give. */
	cr_expect(hr_lo >= 89 && hr_hi <= 104, "HR-D %d-%d", hr_lo, hr_hi);
	cr_expect(sp_lo >= 94 && sp_hi <= 98, "SpO2-D %d-%d", sp_lo, sp_hi);
	vt_rig_collect_free(&readings);
	free(dat);
	free(csv);
}
