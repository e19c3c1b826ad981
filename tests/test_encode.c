/*
 * Tests for the protocol encoders: golden bytes for fixed readings, checked
 * by hand against the examples in the device-protocol reference and the
 * real captures; missing values and flags in each protocol's own terms;
 * and round trips through the real drivers on the shipped scenarios (and
 * on real recordings, where they are), so that an encoder and its driver
 * can never drift apart unnoticed.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "vitals/base/timefmt.h"
#include "vitals/drivers/driver.h"
#include "vitals/emulator/encode.h"
#include "vitals/emulator/scenario.h"
#include "vitals/wire/csv.h"

/* ---- helpers ---- */

struct enc {
	const struct vt_encoder *e;
	_Alignas(max_align_t) unsigned char state[VT_ENCODE_STATE_MAX];
	uint8_t out[VT_ENCODE_MAX];
	size_t n;
};

static void
enc_init(struct enc *x, const char *name, const struct vt_encode_config *cfg)
{
	memset(x, 0, sizeof(*x));
	x->e = vt_encoder_find(name);
	cr_assert_not_null(x->e, "no encoder %s", name);
	cr_assert_leq(x->e->state_size, sizeof(x->state));
	x->e->reset(x->state, cfg);
}

static size_t
enc_run(struct enc *x, const struct vt_reading *r, int64_t wall_ms)
{
	x->n = x->e->encode(x->state, r, wall_ms, x->out, sizeof(x->out));
	cr_assert_gt(x->n, 0);
	return x->n;
}

static struct vt_reading
reading(double spo2, double pr, double pi, uint32_t flags)
{
	struct vt_reading r;
	memset(&r, 0, sizeof(r));
	if (isnan(spo2))
		vt_reading_set_missing(&r, VT_SPO2);
	else
		vt_reading_set(&r, VT_SPO2, spo2);
	if (isnan(pr))
		vt_reading_set_missing(&r, VT_PR);
	else
		vt_reading_set(&r, VT_PR, pr);
	if (isnan(pi))
		vt_reading_set_missing(&r, VT_PI);
	else
		vt_reading_set(&r, VT_PI, pi);
	r.flags = flags;
	return r;
}

static int64_t
at(const char *rfc3339)
{
	int64_t ms;
	cr_assert_eq(vt_time_parse(rfc3339, &ms), 0);
	return ms;
}

/* The text an ASCII encoder produced, NUL-terminated. */
static const char *
text(const struct enc *x)
{
	static char buf[VT_ENCODE_MAX + 1];
	memcpy(buf, x->out, x->n);
	buf[x->n] = '\0';
	return buf;
}

/* ---- table ---- */

Test(encode_table, every_encoder_has_a_driver_of_the_same_name)
{
	static const char *const names[] = {"masimo-ascii", "nonin-df7", "nonin-df2", "nonin-df8",
	                                    "nellcor-ascii", "ivy-ansarb", "hl7-mllp"};
	for (size_t i = 0; i < 7; i++) {
		const struct vt_encoder *e = vt_encoder_find(names[i]);
		cr_assert_not_null(e, "%s", names[i]);
		cr_assert_str_eq(e->name, names[i]);
		cr_assert_leq(e->state_size, VT_ENCODE_STATE_MAX);
		cr_assert_gt(e->period_num_ms, 0);
		cr_assert_gt(e->period_den, 0);
		cr_assert_eq(e->default_baud, 9600);
		cr_assert_not_null(vt_driver_find(names[i]), "no driver for %s", names[i]);
	}
	cr_assert_null(vt_encoder_find("nonin-df13"));
	cr_assert_null(vt_encoder_find(NULL));
	size_t n = 0;
	while (vt_encoders[n] != NULL)
		n++;
	cr_assert_eq(n, 9);
}

Test(encode_table, clock_fields_are_utc_and_floor_to_the_second)
{
	struct vt_encode_tm tm;
	vt_encode_tm(at("2016-02-29T23:59:59.999Z"), &tm);
	cr_assert(tm.year == 2016 && tm.month == 2 && tm.day == 29);
	cr_assert(tm.hour == 23 && tm.min == 59 && tm.sec == 59);
	vt_encode_tm(-1, &tm); /* 1969-12-31T23:59:59.999 */
	cr_assert(tm.year == 1969 && tm.month == 12 && tm.day == 31 && tm.sec == 59);
	vt_encode_tm(0, &tm);
	cr_assert(tm.year == 1970 && tm.month == 1 && tm.day == 1 && tm.hour == 0);
}

/* ---- Masimo ---- */

Test(encode_masimo, reproduces_the_rad8_capture_line)
{
	/* captures/masimo_rad8_ascii1_yahnatan.txt, first line (reference §1.3). */
	static const char want[] =
	        "02/22/16 22:47:45 SN=0000056661 SPO2=098% BPM=097 PI=03.60% SPCO=--.-% "
	        "SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n";
	struct vt_encode_config cfg;
	vt_encode_config_default(&cfg);
	strcpy(cfg.serial, "56661");
	struct enc x;
	enc_init(&x, "masimo-ascii", &cfg);
	struct vt_reading r = reading(98, 97, 3.6, 0);
	enc_run(&x, &r, at("2016-02-22T22:47:45.600Z"));
	cr_assert_str_eq(text(&x), want);
	cr_assert_eq(x.n, 127); /* 125 characters, CR, LF */
}

Test(encode_masimo, missing_values_are_dashes_of_the_same_width)
{
	struct enc x;
	enc_init(&x, "masimo-ascii", NULL);
	struct vt_reading r = reading(NAN, NAN, NAN, 0);
	enc_run(&x, &r, at("2026-11-21T10:00:00Z"));
	cr_assert_str_eq(text(&x), "11/21/26 10:00:00 SN=0000012345 SPO2=---% BPM=--- PI=--.--% "
	                           "SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 "
	                           "EXC=000800\r\n");
	/* Not reported at all reads the same as reported missing. */
	struct vt_reading empty;
	memset(&empty, 0, sizeof(empty));
	struct enc y;
	enc_init(&y, "masimo-ascii", NULL);
	enc_run(&y, &empty, at("2026-11-21T10:00:00Z"));
	cr_assert_str_eq(text(&y), text(&x));
}

Test(encode_masimo, rainbow_values_and_rounding)
{
	struct enc x;
	enc_init(&x, "masimo-ascii", NULL);
	struct vt_reading r = reading(97.6, 64.4, 11.82, 0);
	vt_reading_set(&r, VT_SPCO, 1.0);
	vt_reading_set(&r, VT_SPMET, 0.5);
	enc_run(&x, &r, 0);
	cr_assert(strstr(text(&x), " SPO2=098% BPM=064 PI=11.82% SPCO=01.0% SPMET=00.5% ") != NULL,
	          "%s", text(&x));
	/* Out of the display's range: clamped, never wider than the field. */
	r = reading(140, 1200, 250, 0);
	enc_run(&x, &r, 0);
	cr_assert(strstr(text(&x), " SPO2=100% BPM=999 PI=99.99% ") != NULL, "%s", text(&x));
}

Test(encode_masimo, flags_become_exc_and_alarm_bits)
{
	static const struct {
		uint32_t flags;
		const char *alarm, *exc;
	} cases[] = {
		{0, "0000", "000800"},
		{VT_FLAG_SENSOR_OFF, "0000", "000820"},                           /* manual: 820 */
		{VT_FLAG_SENSOR_OFF | VT_FLAG_PULSE_SEARCH, "0000", "000828"},    /* manual: 828 */
		{VT_FLAG_LOW_SIGNAL_IQ, "0000", "000C00"},                        /* manual: C00 */
		{VT_FLAG_NO_SENSOR, "0000", "000801"},
		{VT_FLAG_SENSOR_FAULT, "0000", "000802"},
		{VT_FLAG_LOW_PERFUSION, "0000", "000804"},
		{VT_FLAG_ARTIFACT, "0000", "000810"},
		{VT_FLAG_AMBIENT_LIGHT, "0000", "000840"},
		{VT_FLAG_LOSS_OF_PULSE, "0000", "000808"},
		{VT_FLAG_DEVICE_ALARM, "0010", "000800"},
		{VT_FLAG_DEVICE_SILENCED, "0020", "000800"},
		{VT_FLAG_LOW_BATTERY, "0040", "000800"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct enc x;
		enc_init(&x, "masimo-ascii", NULL);
		struct vt_reading r = reading(95, 80, 2, cases[i].flags);
		enc_run(&x, &r, 0);
		char want[64];
		snprintf(want, sizeof(want), "ALARM=%s EXC=%s\r\n", cases[i].alarm, cases[i].exc);
		cr_assert(strstr(text(&x), want) != NULL, "flags %#x: %s", cases[i].flags, text(&x));
	}
}

/* ---- Nonin DF#7 / DF#2 ---- */

#define FRAMES 25

/* Byte `b` (0-4) of frame `f` (1-25) of a DF#7 packet. */
static uint8_t
fb(const struct enc *x, int f, int b)
{
	return x->out[(f - 1) * 5 + b];
}

/* Every frame: checksum, status bit 7, SYNC only on frame 1, float < 0x80. */
static void
check_packet(const struct enc *x, bool df2)
{
	cr_assert_eq(x->n, FRAMES * 5);
	for (int f = 1; f <= FRAMES; f++) {
		const uint8_t *p = x->out + (f - 1) * 5;
		uint8_t st = df2 ? p[1] : p[0];
		if (df2)
			cr_assert_eq(p[0], 0x01, "frame %d", f);
		cr_assert(st & 0x80, "frame %d status %#x", f, st);
		cr_assert_eq(!!(st & 0x01), f == 1, "frame %d SYNC", f);
		cr_assert_lt(p[3], 0x80, "frame %d float", f);
		cr_assert_eq((uint8_t)(p[0] + p[1] + p[2] + p[3]), p[4], "frame %d checksum", f);
	}
}

static int
hr_at(const struct enc *x, int msb_frame)
{
	return (fb(x, msb_frame, 3) & 0x03) << 7 | (fb(x, msb_frame + 1, 3) & 0x7F);
}

Test(encode_nonin, df7_worked_example_values_sit_in_their_frames)
{
	/* Reference §2.5: HR 94, SpO2 96, SREV 45 (first packet of the capture). */
	struct enc x;
	enc_init(&x, "nonin-df7", NULL);
	struct vt_reading r = reading(96, 94, NAN, 0);
	enc_run(&x, &r, 0);
	check_packet(&x, false);
	cr_assert_eq(fb(&x, 1, 0), 0x81);  /* F1 81 .. .. 00: SYNC, HR MSB 0 */
	cr_assert_eq(fb(&x, 1, 3), 0x00);
	cr_assert_eq(fb(&x, 2, 0), 0x80);  /* F2 80 .. .. 5E: HR LSB 94 */
	cr_assert_eq(fb(&x, 2, 3), 0x5E);
	cr_assert_eq(fb(&x, 3, 3), 0x60);  /* F3 SpO2 96 */
	cr_assert_eq(fb(&x, 4, 3), 0x2D);  /* F4 SREV 45 */
	cr_assert_eq(fb(&x, 9, 3), 0x60);  /* F9 SpO2-D 96 */
	cr_assert_eq(fb(&x, 20, 3), 0x00); /* F20 HR-D MSB */
	cr_assert_eq(fb(&x, 21, 3), 0x5E); /* F21 HR-D LSB: 94 here (the device's 95 lags) */
	cr_assert_eq(hr_at(&x, 14), 94);   /* E-HR */
	cr_assert_eq(hr_at(&x, 22), 94);   /* E-HR-D */
	for (int f = 10; f <= 17; f += 6)
		cr_assert_eq(fb(&x, f, 3), 96); /* SpO2 Fast, E-SpO2 */
	cr_assert_eq(fb(&x, 17, 3), 96);    /* E-SpO2-D */
	static const int reserved[] = {6, 7, 8, 12, 13, 18, 19, 24, 25};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		cr_assert_eq(fb(&x, reserved[i], 3), 0, "frame %d", reserved[i]);
}

Test(encode_nonin, df7_missing_packet_is_golden)
{
	/* No values ever: 511 / 127 everywhere, no pulse, flat pleth 0x8000. */
	static const uint8_t want[FRAMES][5] = {
		{0x81, 0x80, 0x00, 0x03, 0x04}, {0x80, 0x80, 0x00, 0x7F, 0x7F},
		{0x80, 0x80, 0x00, 0x7F, 0x7F}, {0x80, 0x80, 0x00, 0x2D, 0x2D},
		{0x80, 0x80, 0x00, 0x7F, 0x7F}, {0x80, 0x80, 0x00, 0x00, 0x00},
		{0x80, 0x80, 0x00, 0x00, 0x00}, {0x80, 0x80, 0x00, 0x00, 0x00},
		{0x80, 0x80, 0x00, 0x7F, 0x7F}, {0x80, 0x80, 0x00, 0x7F, 0x7F},
		{0x80, 0x80, 0x00, 0x7F, 0x7F}, {0x80, 0x80, 0x00, 0x00, 0x00},
		{0x80, 0x80, 0x00, 0x00, 0x00}, {0x80, 0x80, 0x00, 0x03, 0x03},
		{0x80, 0x80, 0x00, 0x7F, 0x7F}, {0x80, 0x80, 0x00, 0x7F, 0x7F},
		{0x80, 0x80, 0x00, 0x7F, 0x7F}, {0x80, 0x80, 0x00, 0x00, 0x00},
		{0x80, 0x80, 0x00, 0x00, 0x00}, {0x80, 0x80, 0x00, 0x03, 0x03},
		{0x80, 0x80, 0x00, 0x7F, 0x7F}, {0x80, 0x80, 0x00, 0x03, 0x03},
		{0x80, 0x80, 0x00, 0x7F, 0x7F}, {0x80, 0x80, 0x00, 0x00, 0x00},
		{0x80, 0x80, 0x00, 0x00, 0x00},
	};
	struct enc x;
	enc_init(&x, "nonin-df7", NULL);
	struct vt_reading r = reading(NAN, NAN, NAN, 0);
	enc_run(&x, &r, 0);
	check_packet(&x, false);
	cr_assert_arr_eq(x.out, want, sizeof(want));
}

Test(encode_nonin, df2_missing_packet_is_golden)
{
	struct enc x;
	enc_init(&x, "nonin-df2", NULL);
	struct vt_reading r = reading(NAN, NAN, NAN, 0);
	enc_run(&x, &r, 0);
	check_packet(&x, true);
	static const uint8_t f1[5] = {0x01, 0x81, 0x80, 0x03, 0x05};
	static const uint8_t f2[5] = {0x01, 0x80, 0x80, 0x7F, 0x80};
	static const uint8_t f4[5] = {0x01, 0x80, 0x80, 0x2D, 0x2E};
	cr_assert_arr_eq(x.out, f1, 5);
	cr_assert_arr_eq(x.out + 5, f2, 5);
	cr_assert_arr_eq(x.out + 15, f4, 5);
}

Test(encode_nonin, hr_uses_nine_bits)
{
	struct enc x;
	enc_init(&x, "nonin-df7", NULL);
	struct vt_reading r = reading(88, 300, NAN, 0);
	enc_run(&x, &r, 0);
	check_packet(&x, false);
	cr_assert_eq(fb(&x, 1, 3), 0x02); /* HR8 = 1, HR7 = 0 */
	cr_assert_eq(fb(&x, 2, 3), 0x2C); /* 300 - 256 = 44 */
	cr_assert_eq(hr_at(&x, 1), 300);
	cr_assert_eq(hr_at(&x, 20), 300);
}

Test(encode_nonin, display_mode_holds_ten_seconds_with_snsa)
{
	struct enc x;
	enc_init(&x, "nonin-df7", NULL);
	struct vt_reading good = reading(96, 94, NAN, 0), gone = reading(NAN, NAN, NAN, 0);
	for (int i = 0; i < 3; i++)
		enc_run(&x, &good, 0);
	/* 30 packets (10 s): standard values missing, display values held, SNSA. */
	for (int i = 0; i < 30; i++) {
		enc_run(&x, &gone, 0);
		check_packet(&x, false);
		cr_assert_eq(hr_at(&x, 1), 511, "packet %d", i);
		cr_assert_eq(fb(&x, 3, 3), 127);
		cr_assert_eq(fb(&x, 9, 3), 96, "packet %d", i);
		cr_assert_eq(hr_at(&x, 20), 94);
		for (int f = 1; f <= FRAMES; f++)
			cr_assert(fb(&x, f, 0) & 0x08, "packet %d frame %d: SNSA", i, f);
	}
	enc_run(&x, &gone, 0);
	cr_assert_eq(fb(&x, 9, 3), 127);
	cr_assert_eq(hr_at(&x, 20), 511);
	for (int f = 1; f <= FRAMES; f++)
		cr_assert_eq(fb(&x, f, 0) & 0x08, 0);
	/* Back in track: display follows at once. */
	enc_run(&x, &good, 0);
	cr_assert_eq(fb(&x, 9, 3), 96);
}

/* Status bits a flag sets on every frame, and the perfusion colour of pulses. */
Test(encode_nonin, flags_become_status_bits)
{
	static const struct {
		uint32_t flags;
		uint8_t every;     /* bits on every frame */
		uint8_t perfusion; /* bits during a pulse; 0: no pulse drawn */
		uint8_t stat2;     /* frame 8 */
	} cases[] = {
		{0, 0x00, 0x02, 0},
		{VT_FLAG_SENSOR_OFF, 0x08, 0, 0},
		{VT_FLAG_NO_SENSOR, 0x40, 0, 0},
		{VT_FLAG_SENSOR_FAULT, 0x40, 0, 0},
		{VT_FLAG_ARTIFACT, 0x20, 0x02, 0},
		{VT_FLAG_PULSE_SEARCH, 0x10, 0x02, 0},
		{VT_FLAG_LOSS_OF_PULSE, 0x10, 0x02, 0},
		{VT_FLAG_LOW_PERFUSION, 0x00, 0x04, 0},
		{VT_FLAG_LOW_SIGNAL_IQ, 0x00, 0x06, 0},
		{VT_FLAG_LOW_BATTERY, 0x00, 0x02, 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct enc x;
		enc_init(&x, "nonin-df7", NULL);
		struct vt_reading r = reading(97, 75, NAN, cases[i].flags);
		uint8_t seen = 0;
		/* Two seconds: at 75 bpm there are pulses to mark. */
		for (int k = 0; k < 6; k++) {
			enc_run(&x, &r, 0);
			check_packet(&x, false);
			for (int f = 1; f <= FRAMES; f++) {
				uint8_t st = fb(&x, f, 0);
				cr_assert_eq(st & 0x78, cases[i].every, "case %zu frame %d: %#x", i, f, st);
				seen |= st & 0x06;
			}
			cr_assert_eq(fb(&x, 8, 3), cases[i].stat2);
		}
		cr_assert_eq(seen, cases[i].perfusion, "case %zu: perfusion %#x", i, seen);
	}
}

Test(encode_nonin, pleth_beats_at_the_pulse_rate)
{
	struct enc x, y;
	enc_init(&x, "nonin-df7", NULL);
	enc_init(&y, "nonin-df7", NULL);
	struct vt_reading r = reading(97, 60, NAN, 0);
	int beats = 0, run = 0, lo = 65535, hi = 0;
	bool prev = false;
	for (int k = 0; k < 30; k++) { /* 10 s */
		enc_run(&x, &r, 0);
		enc_run(&y, &r, 0);
		cr_assert_arr_eq(x.out, y.out, x.n, "the waveform is deterministic");
		for (int f = 1; f <= FRAMES; f++) {
			int pleth = fb(&x, f, 1) << 8 | fb(&x, f, 2);
			lo = pleth < lo ? pleth : lo;
			hi = pleth > hi ? pleth : hi;
			bool on = fb(&x, f, 0) & 0x06;
			if (on && !prev)
				beats++;
			if (on)
				run++;
			else if (prev) {
				cr_assert_eq(run, 12, "perfusion marks 12 frames (160 ms)");
				run = 0;
			}
			prev = on;
		}
	}
	cr_assert(beats >= 9 && beats <= 10, "60 bpm for 10 s: %d beats", beats);
	cr_assert(lo >= 29000 && hi <= 38000 && hi - lo > 8000, "pleth %d..%d", lo, hi);
}

/* The layout against a real OEM III: frames whose meaning we share with it. */
Test(encode_nonin, df7_layout_matches_the_real_capture)
{
	const char *path = vt_rig_capture("nonin_oem3_df7_60s.dat");
	FILE *fp = fopen(path, "rb");
	cr_assert_not_null(fp, "%s", path);
	static uint8_t cap[32768];
	size_t len = fread(cap, 1, sizeof(cap), fp);
	fclose(fp);
	/* Frames the standard values, SREV and the reserved bytes fill. Frame 5
	 * (SpO2 on this unit, 4 packets in 181 differ), averaged and display
	 * values (9-11, 14-17, 20-23) depend on the device's history. */
	static const int same[] = {1, 2, 3, 4, 6, 7, 8, 12, 13, 18, 19, 24, 25};
	int packets = 0;
	for (size_t off = 16; off + 125 <= len; off += 125) {
		const uint8_t *p = cap + off;
		struct vt_reading r = reading(p[2 * 5 + 3], (p[3] & 3) << 7 | p[5 + 3], NAN, 0);
		struct enc x;
		enc_init(&x, "nonin-df7", NULL);
		enc_run(&x, &r, 0);
		for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
			int f = same[i];
			cr_assert_eq(fb(&x, f, 3), p[(f - 1) * 5 + 3], "packet at %zu frame %d", off, f);
		}
		for (int f = 1; f <= FRAMES; f++)
			cr_assert_eq(fb(&x, f, 0) & 0xF9, p[(f - 1) * 5] & 0xF9, "status bits");
		packets++;
	}
	cr_assert_eq(packets, 181);
}

/* ---- Nonin DF#8 ---- */

Test(encode_nonin, df8_records_are_golden)
{
	static const struct {
		double spo2, pr;
		uint32_t flags;
		uint8_t want[4];
	} cases[] = {
		{96, 94, 0, {0x80, 0x5E, 0x60, 0x00}},
		{88, 300, 0, {0x82, 0x2C, 0x58, 0x00}},
		{NAN, NAN, 0, {0x83, 0x7F, 0x7F, 0x00}},
		{96, 94, VT_FLAG_PULSE_SEARCH, {0xA0, 0x5E, 0x60, 0x00}},
		{96, 94, VT_FLAG_LOW_PERFUSION, {0x90, 0x5E, 0x60, 0x00}},
		{96, 94, VT_FLAG_LOW_SIGNAL_IQ, {0x88, 0x5E, 0x60, 0x00}},
		{96, 94, VT_FLAG_ARTIFACT, {0x84, 0x5E, 0x60, 0x00}},
		{96, 94, VT_FLAG_LOW_BATTERY, {0x80, 0x5E, 0x60, 0x01}},
		{NAN, NAN, VT_FLAG_SENSOR_OFF, {0x83, 0x7F, 0x7F, 0x08}},
		{NAN, NAN, VT_FLAG_NO_SENSOR, {0x83, 0x7F, 0x7F, 0x08}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct enc x;
		enc_init(&x, "nonin-df8", NULL);
		struct vt_reading r = reading(cases[i].spo2, cases[i].pr, NAN, cases[i].flags);
		cr_assert_eq(enc_run(&x, &r, 0), 4);
		cr_assert_arr_eq(x.out, cases[i].want, 4, "case %zu: %02x %02x %02x %02x", i,
		                 x.out[0], x.out[1], x.out[2], x.out[3]);
	}
}

Test(encode_nonin, df8_holds_ten_records)
{
	struct enc x;
	enc_init(&x, "nonin-df8", NULL);
	struct vt_reading good = reading(96, 94, NAN, 0), gone = reading(NAN, NAN, NAN, 0);
	enc_run(&x, &good, 0);
	static const uint8_t held[4] = {0x80, 0x5E, 0x60, 0x08};
	static const uint8_t missing[4] = {0x83, 0x7F, 0x7F, 0x00};
	for (int i = 0; i < 10; i++) {
		enc_run(&x, &gone, 0);
		cr_assert_arr_eq(x.out, held, 4, "second %d", i);
	}
	enc_run(&x, &gone, 0);
	cr_assert_arr_eq(x.out, missing, 4);
}

/* ---- Nellcor ---- */

Test(encode_nellcor, reproduces_the_n560_capture)
{
	/* captures/nellcor_n560_ascii_hansmuc.txt: the heading, then a line. */
	static const char want[] =
	        "N-560    VERSION 1.61.00    CRC:XXXX  SpO2 Limit: 95-100%    PR Limit: 59-148BPM\r\n"
	        "                             ADULT           25SAT-S \r\n"
	        "TIME                 %SpO2   BPM     PA     Status\r\n"
	        "07-Jan-04 11:24:54   100     102      36    MO             AO\r\n";
	struct vt_encode_config cfg;
	vt_encode_config_default(&cfg);
	cfg.spo2_low = 95;
	cfg.spo2_high = 100;
	cfg.pr_low = 59;
	cfg.pr_high = 148;
	cfg.audio_off = true;
	struct enc x;
	enc_init(&x, "nellcor-ascii", &cfg);
	struct vt_reading r = reading(100, 102, 36, VT_FLAG_ARTIFACT);
	enc_run(&x, &r, at("2004-01-07T11:24:54Z"));
	cr_assert_str_eq(text(&x), want);
	r = reading(100, 105, 88, 0);
	enc_run(&x, &r, at("2004-01-07T11:24:56Z"));
	cr_assert_str_eq(text(&x), "07-Jan-04 11:24:56   100     105      88                   AO\r\n");
}

Test(encode_nellcor, missing_limits_and_status_codes)
{
	struct enc x;
	enc_init(&x, "nellcor-ascii", NULL); /* limits 85-100 %, 40-170 bpm */
	struct vt_reading r = reading(NAN, NAN, NAN, VT_FLAG_SENSOR_OFF);
	enc_run(&x, &r, at("2026-11-21T10:00:00Z"));
	const char *t = strstr(text(&x), "21-Nov-26");
	cr_assert_not_null(t);
	cr_assert_str_eq(t, "21-Nov-26 10:00:00   ---     ---     ---         SO\r\n");
	/* Below both low limits: a star after the digits, SL and PL. */
	r = reading(84, 38, 5, VT_FLAG_LOW_BATTERY | VT_FLAG_DEVICE_SILENCED);
	enc_run(&x, &r, at("2026-11-21T10:00:02Z"));
	cr_assert_str_eq(text(&x), "21-Nov-26 10:00:02    84*     38*      5              SL   AS   PL   LB\r\n");
	r = reading(99, 171, NAN, VT_FLAG_LOSS_OF_PULSE | VT_FLAG_ARTIFACT | VT_FLAG_NO_SENSOR);
	enc_run(&x, &r, at("2026-11-21T10:00:04Z"));
	cr_assert_str_eq(text(&x), "21-Nov-26 10:00:04    99     171*    ---    LM   SD             PH\r\n");
	r = reading(97, 80, 20, VT_FLAG_PULSE_SEARCH);
	enc_run(&x, &r, at("2026-11-21T10:00:06Z"));
	cr_assert_str_eq(text(&x), "21-Nov-26 10:00:06    97      80      20    PS\r\n");
}

Test(encode_nellcor, heading_every_25_lines)
{
	struct enc x;
	enc_init(&x, "nellcor-ascii", NULL);
	struct vt_reading r = reading(97, 80, 20, 0);
	int headings = 0;
	for (int i = 0; i < 60; i++) {
		enc_run(&x, &r, (int64_t)i * 2000);
		bool h = strncmp(text(&x), "N-560 ", 6) == 0;
		cr_assert_eq(h, i % 25 == 0, "line %d", i);
		headings += h;
		if (h)
			cr_assert(strstr(text(&x), "SpO2 Limit: 85-100%    PR Limit: 40-170BPM\r\n"));
	}
	cr_assert_eq(headings, 3);
}

/* ---- round trips through the real drivers ---- */

struct collect {
	struct vt_reading r[4096];
	size_t n;
	struct vt_device_info info;
	int infos;
};

static void
on_reading(void *ctx, const struct vt_reading *r)
{
	struct collect *c = ctx;
	cr_assert_lt(c->n, sizeof(c->r) / sizeof(c->r[0]));
	c->r[c->n++] = *r;
}

static void
on_info(void *ctx, const struct vt_device_info *info)
{
	struct collect *c = ctx;
	c->info = *info;
	c->infos++;
}

/* A driver fed in random chunk sizes, the way bytes come off a port. */
struct rx {
	const struct vt_driver *d;
	void *state;
	struct vt_driver_sink sink;
	struct collect *c;
	unsigned seed;
};

static void
rx_init(struct rx *x, const char *name, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	x->d = vt_driver_find(name);
	cr_assert_not_null(x->d, "no driver %s", name);
	x->state = aligned_alloc(64, (x->d->state_size + 63) / 64 * 64);
	cr_assert_not_null(x->state);
	x->d->reset(x->state, NULL);
	x->sink = (struct vt_driver_sink){.reading = on_reading, .info = on_info, .ctx = c};
	x->c = c;
	x->seed = 12345;
}

static void
rx_feed(struct rx *x, const uint8_t *b, size_t n)
{
	while (n > 0) {
		x->seed = x->seed * 1103515245u + 12345u;
		size_t k = 1 + (x->seed >> 16) % 40;
		if (k > n)
			k = n;
		x->d->feed(x->state, b, k, &x->sink);
		b += k;
		n -= k;
	}
}

static void
rx_free(struct rx *x)
{
	struct vt_driver_stats st;
	x->d->stats(x->state, &st);
	cr_assert_eq(st.dropped, 0, "%s dropped %llu records", x->d->name,
	             (unsigned long long)st.dropped);
	free(x->state);
}

/* A real recording's rows, or a skip when the real recordings are not there. */
static size_t
load_rows(const char *name, int64_t *t, struct vt_reading *rows, size_t max)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "recordings/%s", name);
	const char *path = vt_rig_recording(rel);
	struct vt_diag diag = {0};
	struct vt_csv_file *f = vt_csv_file_open(path, &diag);
	cr_assert_not_null(f, "%s", path);
	size_t n = 0;
	int rc;
	while (n < max && (rc = vt_csv_file_next(f, &t[n], &rows[n], &diag)) == 1)
		n++;
	vt_csv_file_close(&f);
	vt_diag_clear(&diag);
	cr_assert_gt(n, 100);
	return n;
}

/*
 * A shipped scenario's rows. `gaps`: without the device status, so that a
 * probe off is only missing values, as in a recording's gaps.
 */
static size_t
load_scenario(const char *path, bool gaps, int64_t *t, struct vt_reading *rows, size_t max)
{
	struct vt_diag diag = {0};
	struct vt_scenario *s = vt_scn_load(path, &diag);
	cr_assert_not_null(s, "%s", path);
	struct vt_emu_row *played;
	size_t n;
	cr_assert_eq(vt_scn_play(s, s->seed, &played, &n), 0);
	cr_assert(n > 100 && n <= max, "%s: %zu rows", path, n);
	for (size_t i = 0; i < n; i++) {
		t[i] = played[i].t_ms;
		rows[i] = played[i].r;
		if (gaps) {
			rows[i].flags = 0;
			rows[i].has_status = false;
		}
	}
	free(played);
	vt_scn_free(&s);
	return n;
}

/* The integer a device shows, or -1 for no value. */
static int
shown(const struct vt_reading *r, enum vt_param p)
{
	if (!(r->valid & VT_PARAM_BIT(p)))
		return -1;
	return (int)lround(r->value[p]);
}

static void
assert_same(const struct vt_reading *got, const struct vt_reading *want, size_t i,
            const char *what)
{
	cr_assert_eq(shown(got, VT_SPO2), shown(want, VT_SPO2), "%s %zu: spo2", what, i);
	cr_assert_eq(shown(got, VT_PR), shown(want, VT_PR), "%s %zu: pr", what, i);
}

#define MAX_ROWS 1300
static int64_t s_t[MAX_ROWS];
static struct vt_reading s_rows[MAX_ROWS];
static struct collect s_got;
static uint8_t s_stream[MAX_ROWS * 3 * 125];

static void
masimo_roundtrip(size_t n)
{
	struct enc x;
	struct rx rx;
	enc_init(&x, "masimo-ascii", NULL);
	rx_init(&rx, "masimo-ascii", &s_got);
	for (size_t i = 0; i < n; i++) {
		enc_run(&x, &s_rows[i], at("2026-11-21T10:00:00Z") + s_t[i]);
		rx_feed(&rx, x.out, x.n);
	}
	cr_assert_eq(s_got.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_same(&s_got.r[i], &s_rows[i], i, "row");
		cr_assert_eq(shown(&s_got.r[i], VT_PI) >= 0, shown(&s_rows[i], VT_PI) >= 0);
		if (s_rows[i].valid & VT_PARAM_BIT(VT_PI))
			cr_assert_float_eq(s_got.r[i].value[VT_PI], s_rows[i].value[VT_PI], 0.005,
			                   "row %zu: pi", i);
		cr_assert_eq(s_got.r[i].flags, 0);
	}
	rx_free(&rx);
}

Test(encode_roundtrip, masimo_decodes_every_value_back)
{
	masimo_roundtrip(load_scenario("scenarios/desaturation.yaml", false, s_t, s_rows, MAX_ROWS));
}

Test(encode_roundtrip, masimo_on_a_real_recording)
{
	masimo_roundtrip(load_rows("uw-100001-masimo.csv", s_t, s_rows, MAX_ROWS));
}

static void
nellcor_roundtrip(size_t n)
{
	struct enc x;
	struct rx rx;
	enc_init(&x, "nellcor-ascii", NULL);
	rx_init(&rx, "nellcor-ascii", &s_got);
	for (size_t i = 0; i < n; i++) {
		enc_run(&x, &s_rows[i], at("2026-11-21T10:00:00Z") + 2 * s_t[i]);
		rx_feed(&rx, x.out, x.n);
	}
	cr_assert_eq(s_got.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_same(&s_got.r[i], &s_rows[i], i, "row");
		/* The device's own limit alarms are the only flags. */
		int spo2 = shown(&s_rows[i], VT_SPO2), pr = shown(&s_rows[i], VT_PR);
		bool alarm = (spo2 >= 0 && spo2 < 85) || (pr >= 0 && (pr < 40 || pr > 170));
		cr_assert_eq(s_got.r[i].flags, alarm ? (uint32_t)VT_FLAG_DEVICE_ALARM : 0u, "row %zu", i);
	}
	cr_assert_geq(s_got.infos, 1);
	cr_assert_str_eq(s_got.info.model, "N-560");
	cr_assert_str_eq(s_got.info.mode, "ADULT");
	cr_assert_float_eq(s_got.info.spo2_low, 85, 1e-9);
	cr_assert_float_eq(s_got.info.pr_high, 170, 1e-9);
	rx_free(&rx);
}

Test(encode_roundtrip, nellcor_decodes_every_value_and_the_heading)
{
	nellcor_roundtrip(load_scenario("scenarios/desaturation.yaml", false, s_t, s_rows, MAX_ROWS));
}

Test(encode_roundtrip, nellcor_on_a_real_recording)
{
	nellcor_roundtrip(load_rows("uw-100001-nellcor.csv", s_t, s_rows, MAX_ROWS));
}

/*
 * Nonin display mode: the driver reads SpO2-D / HR-D, which follow the
 * values and hold a lost one for 10 s with SNSA. The expectation is that
 * rule, written out here independently of the encoder.
 */
static void
nonin_expect(const struct vt_reading *rows, size_t n, int per_row, int hold,
             struct vt_reading *want, uint32_t *flags)
{
	int last[2] = {-1, -1}, left[2] = {0, 0};
	static const enum vt_param ps[2] = {VT_SPO2, VT_PR};
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		for (int j = 0; j < per_row; j++, k++) {
			memset(&want[k], 0, sizeof(want[k]));
			bool holding = false;
			for (int q = 0; q < 2; q++) {
				int v = shown(&rows[i], ps[q]);
				if (v >= 0) {
					last[q] = v;
					left[q] = hold;
					vt_reading_set(&want[k], ps[q], v);
				} else if (last[q] >= 0 && left[q] > 0) {
					left[q]--;
					holding = true;
					vt_reading_set(&want[k], ps[q], last[q]);
				} else {
					last[q] = -1;
					vt_reading_set_missing(&want[k], ps[q]);
				}
			}
			flags[k] = holding ? VT_FLAG_SENSOR_OFF : 0;
		}
	}
}

static struct vt_reading s_want[MAX_ROWS * 3];
static uint32_t s_want_flags[MAX_ROWS * 3];

static void
nonin_roundtrip(const char *protocol, size_t n)
{
	bool df8 = strcmp(protocol, "nonin-df8") == 0;
	int per_row = df8 ? 1 : 3;
	struct enc x;
	struct rx rx;
	enc_init(&x, protocol, NULL);
	rx_init(&rx, protocol, &s_got);
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		for (int j = 0; j < per_row; j++) {
			enc_run(&x, &s_rows[i], 0);
			memcpy(s_stream + len, x.out, x.n);
			len += x.n;
		}
	}
	rx_feed(&rx, s_stream, len);
	nonin_expect(s_rows, n, per_row, df8 ? 10 : 30, s_want, s_want_flags);
	/* DF#8 has no checksum: the driver reports nothing until a chain of
	 * records proves it is locked on, and never the chain's first record.
	 * Every record after that comes back, in order, to the last one. */
	size_t total = n * (size_t)per_row;
	size_t skip = total - s_got.n;
	if (df8)
		cr_assert(skip >= 1 && skip <= 2, "%s: %zu of %zu records", protocol, s_got.n, total);
	else
		cr_assert_eq(skip, 0, "%s: %zu of %zu packets", protocol, s_got.n, total);
	for (size_t k = 0; k < s_got.n; k++) {
		assert_same(&s_got.r[k], &s_want[k + skip], k + skip, protocol);
		/* The pulse is marked green: no perfusion flag, only SNSA while holding. */
		cr_assert_eq(s_got.r[k].flags, s_want_flags[k + skip], "%s %zu: flags %#x", protocol,
		             k + skip, s_got.r[k].flags);
	}
	rx_free(&rx);
}

#define DESATURATION load_scenario("scenarios/desaturation.yaml", false, s_t, s_rows, MAX_ROWS)
/* Probe off and motion, as mere gaps and jumps in the values. */
#define DROPOUTS load_scenario("scenarios/artefacts.yaml", true, s_t, s_rows, MAX_ROWS)

Test(encode_roundtrip, nonin_df7_on_a_scenario)
{
	nonin_roundtrip("nonin-df7", DESATURATION);
}

Test(encode_roundtrip, nonin_df2_on_a_scenario)
{
	nonin_roundtrip("nonin-df2", DESATURATION);
}

Test(encode_roundtrip, nonin_df8_on_a_scenario)
{
	nonin_roundtrip("nonin-df8", DESATURATION);
}

Test(encode_roundtrip, nonin_df7_through_dropouts)
{
	nonin_roundtrip("nonin-df7", DROPOUTS);
}

Test(encode_roundtrip, nonin_df8_through_dropouts)
{
	nonin_roundtrip("nonin-df8", DROPOUTS);
}

Test(encode_roundtrip, nonin_df7_on_a_masimo_recording)
{
	nonin_roundtrip("nonin-df7", load_rows("uw-100001-masimo.csv", s_t, s_rows, MAX_ROWS));
}

Test(encode_roundtrip, nonin_df2_on_a_masimo_recording)
{
	nonin_roundtrip("nonin-df2", load_rows("uw-100001-masimo.csv", s_t, s_rows, MAX_ROWS));
}

Test(encode_roundtrip, nonin_df8_on_a_masimo_recording)
{
	nonin_roundtrip("nonin-df8", load_rows("uw-100001-masimo.csv", s_t, s_rows, MAX_ROWS));
}

/* bidmc-19 has eight probe-off gaps of 7-25 s: the hold comes into play. */
Test(encode_roundtrip, nonin_df7_through_real_dropouts)
{
	nonin_roundtrip("nonin-df7", load_rows("bidmc-19.csv", s_t, s_rows, MAX_ROWS));
}

Test(encode_roundtrip, nonin_df8_through_real_dropouts)
{
	nonin_roundtrip("nonin-df8", load_rows("bidmc-19.csv", s_t, s_rows, MAX_ROWS));
}

/* Each flag through encoder and driver: what each protocol can say. */
Test(encode_roundtrip, flags_survive_where_the_protocol_can_say_them)
{
	static const uint32_t all[] = {
		VT_FLAG_SENSOR_OFF,    VT_FLAG_NO_SENSOR,     VT_FLAG_SENSOR_FAULT,
		VT_FLAG_LOW_PERFUSION, VT_FLAG_LOW_SIGNAL_IQ, VT_FLAG_ARTIFACT,
		VT_FLAG_PULSE_SEARCH,  VT_FLAG_AMBIENT_LIGHT, VT_FLAG_LOSS_OF_PULSE,
		VT_FLAG_LOW_BATTERY,   VT_FLAG_DEVICE_ALARM,  VT_FLAG_DEVICE_SILENCED,
	};
	/* A flag the protocol has no word for comes back as its nearest one. */
	struct alias {
		uint32_t from, to;
	};
	static const struct {
		const char *protocol;
		int periods;           /* periods to encode (Nonin needs pulses) */
		uint32_t said;         /* flags that come back as themselves */
		struct alias alias[3]; /* flags that come back as another */
	} cases[] = {
		{"masimo-ascii", 1,
		 VT_FLAG_SENSOR_OFF | VT_FLAG_NO_SENSOR | VT_FLAG_SENSOR_FAULT | VT_FLAG_LOW_PERFUSION |
		         VT_FLAG_LOW_SIGNAL_IQ | VT_FLAG_ARTIFACT | VT_FLAG_PULSE_SEARCH |
		         VT_FLAG_AMBIENT_LIGHT | VT_FLAG_LOW_BATTERY | VT_FLAG_DEVICE_ALARM |
		         VT_FLAG_DEVICE_SILENCED,
		 {{VT_FLAG_LOSS_OF_PULSE, VT_FLAG_PULSE_SEARCH}}},
		{"nonin-df7", 6,
		 VT_FLAG_SENSOR_OFF | VT_FLAG_NO_SENSOR | VT_FLAG_LOW_PERFUSION |
		         VT_FLAG_LOW_SIGNAL_IQ | VT_FLAG_ARTIFACT | VT_FLAG_PULSE_SEARCH |
		         VT_FLAG_LOW_BATTERY,
		 {{VT_FLAG_LOSS_OF_PULSE, VT_FLAG_PULSE_SEARCH},
		  {VT_FLAG_SENSOR_FAULT, VT_FLAG_NO_SENSOR}}},
		{"nonin-df2", 6,
		 VT_FLAG_SENSOR_OFF | VT_FLAG_NO_SENSOR | VT_FLAG_LOW_PERFUSION |
		         VT_FLAG_LOW_SIGNAL_IQ | VT_FLAG_ARTIFACT | VT_FLAG_PULSE_SEARCH |
		         VT_FLAG_LOW_BATTERY,
		 {{VT_FLAG_LOSS_OF_PULSE, VT_FLAG_PULSE_SEARCH},
		  {VT_FLAG_SENSOR_FAULT, VT_FLAG_NO_SENSOR}}},
		{"nonin-df8", 3,
		 VT_FLAG_SENSOR_OFF | VT_FLAG_LOW_PERFUSION | VT_FLAG_LOW_SIGNAL_IQ |
		         VT_FLAG_ARTIFACT | VT_FLAG_PULSE_SEARCH | VT_FLAG_LOW_BATTERY,
		 {{VT_FLAG_LOSS_OF_PULSE, VT_FLAG_PULSE_SEARCH},
		  {VT_FLAG_NO_SENSOR, VT_FLAG_SENSOR_OFF},
		  {VT_FLAG_SENSOR_FAULT, VT_FLAG_SENSOR_OFF}}},
		{"nellcor-ascii", 1,
		 VT_FLAG_SENSOR_OFF | VT_FLAG_NO_SENSOR | VT_FLAG_ARTIFACT | VT_FLAG_PULSE_SEARCH |
		         VT_FLAG_LOSS_OF_PULSE | VT_FLAG_LOW_BATTERY | VT_FLAG_DEVICE_SILENCED,
		 {{VT_FLAG_SENSOR_FAULT, VT_FLAG_NO_SENSOR}}},
		/* The ANSAR-B stream carries no sensor or alarm status. */
		{"ivy-ansarb", 1, 0, {{0, 0}}},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			uint32_t flag = all[i];
			uint32_t want = (cases[c].said & flag) ? flag : 0;
			for (int a = 0; a < 3; a++)
				if (cases[c].alias[a].from == flag)
					want = cases[c].alias[a].to;
			struct enc x;
			struct rx rx;
			enc_init(&x, cases[c].protocol, NULL);
			rx_init(&rx, cases[c].protocol, &s_got);
			struct vt_reading r = reading(97, 75, 2, flag);
			for (int k = 0; k < cases[c].periods; k++) {
				enc_run(&x, &r, (int64_t)k * 1000);
				rx_feed(&rx, x.out, x.n);
			}
			cr_assert_gt(s_got.n, 0, "%s: no reading", cases[c].protocol);
			/* A Nonin perfusion colour shows only in the packets with a pulse. */
			uint32_t got = 0;
			for (size_t k = 0; k < s_got.n; k++)
				got |= s_got.r[k].flags;
			cr_assert_eq(got, want, "%s, flag %s: got %#x, want %#x", cases[c].protocol,
			             vt_flag_name(flag), got, want);
			rx_free(&rx);
		}
	}
}

/* ---- Ivy ANSAR-B ---- */

/* The capture's values, as the reference (§7) quotes its records. */
static struct vt_reading
ivy_capture_values(void)
{
	struct vt_reading r;
	memset(&r, 0, sizeof(r));
	vt_reading_set(&r, VT_HR, 80);
	vt_reading_set(&r, VT_RR, 35);
	vt_reading_set_missing(&r, VT_ETCO2);
	vt_reading_set(&r, VT_SPO2, 100);
	vt_reading_set(&r, VT_PR, 80);
	vt_reading_set(&r, VT_NIBP_SYS, 121);
	vt_reading_set(&r, VT_NIBP_DIA, 75);
	vt_reading_set(&r, VT_NIBP_MAP, 92);
	return r;
}

Test(encode_ivy, message_is_golden)
{
	/* The capture's records, but for P1: the emulated unit has no transducer on it. */
	static const char want[] = "HR=1;80;ECG-II-DIAG;\rRR=1;35;APNEA: 20 SEC;\rETCO2=1;;;\r"
	                           "SPO2=1;100;PR=80 ;\rNIBP=4;121;75;92;80;;\r"
	                           "P1=3;;;;NO TRANSDUCER;\rP2=3;;;;NO TRANSDUCER;\rT1=1;;;\rT2=1;;;\r";
	struct enc x;
	enc_init(&x, "ivy-ansarb", NULL);
	struct vt_reading r = ivy_capture_values();
	enc_run(&x, &r, 0);
	cr_assert_eq(x.n, 9 + 400 + strlen(want) + 1);
	cr_assert_eq(memcmp(x.out, "\xff" "ANSAR-B ", 9), 0);
	cr_assert_eq(memcmp(x.out + 409, want, strlen(want)), 0, "records: %.*s", (int)(x.n - 410),
	             (const char *)x.out + 409);
	cr_assert_eq(x.out[x.n - 1], 0xFE);
	/* P1 and P2 without a transducer are flat at 251, as P2 in the capture. */
	for (size_t i = 9 + 300; i < 9 + 400; i++)
		cr_assert_eq(x.out[i], 251);
	/* Without values: empty fields; a monitor that never measured shows no cuff reading. */
	struct vt_reading none;
	memset(&none, 0, sizeof(none));
	enc_init(&x, "ivy-ansarb", NULL);
	enc_run(&x, &none, 0);
	cr_assert(memmem(x.out, x.n, "HR=1;;ECG-II-DIAG;\r", 19) != NULL);
	cr_assert(memmem(x.out, x.n, "SPO2=1;;PR= ;\r", 14) != NULL);
	cr_assert(memmem(x.out, x.n, "NIBP=4;;;;;;\r", 13) != NULL);
}

/*
 * The monitor repeats its last cuff reading in every message until the
 * next measurement (the capture shows 121/75 (92) in all of its 27), with
 * the pulse measured with it; a failed measurement leaves it shown.
 */
Test(encode_ivy, the_cuff_reading_repeats_until_the_next_measurement)
{
	static const struct {
		int sys, dia, hr;  /* the row: a cuff measurement (0: none; mean: dia + a third), the HR */
		bool failed;       /* the row's measurement failed */
		const char *nibp;  /* the NIBP record of the message */
	} rows[] = {
	    {0, 0, 80, false, "NIBP=4;;;;;;\r"},
	    {121, 75, 80, false, "NIBP=4;121;75;90;80;;\r"},
	    {0, 0, 90, false, "NIBP=4;121;75;90;80;;\r"},
	    {0, 0, 91, false, "NIBP=4;121;75;90;80;;\r"},
	    {0, 0, 91, true, "NIBP=4;121;75;90;80;;\r"},
	    {0, 0, 92, false, "NIBP=4;121;75;90;80;;\r"},
	    {121, 75, 84, false, "NIBP=4;121;75;90;84;;\r"},
	    {0, 0, 85, false, "NIBP=4;121;75;90;84;;\r"},
	};
	struct enc x;
	enc_init(&x, "ivy-ansarb", NULL);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct vt_reading r;
		memset(&r, 0, sizeof(r));
		vt_reading_set(&r, VT_HR, rows[i].hr);
		if (rows[i].sys > 0) {
			vt_reading_set(&r, VT_NIBP_SYS, rows[i].sys);
			vt_reading_set(&r, VT_NIBP_DIA, rows[i].dia);
		} else {
			vt_reading_set_missing(&r, VT_NIBP_SYS);
			vt_reading_set_missing(&r, VT_NIBP_DIA);
		}
		if (rows[i].failed)
			r.flags = VT_FLAG_NIBP_FAILED;
		enc_run(&x, &r, (int64_t)i * 1000);
		size_t len = strlen(rows[i].nibp);
		cr_expect(memmem(x.out + 409, x.n - 409, rows[i].nibp, len) != NULL,
		          "message %zu: not %.*s in %.*s", i, (int)len - 1, rows[i].nibp,
		          (int)(x.n - 410), (const char *)x.out + 409);
	}
}

/* A minute of messages: one QRS per heartbeat, one pleth pulse per pulse,
 * and no waveform byte that could be taken for a frame byte. */
Test(encode_ivy, waveforms_beat_at_the_rates)
{
	struct enc x;
	enc_init(&x, "ivy-ansarb", NULL);
	struct vt_reading r = ivy_capture_values();
	vt_reading_set(&r, VT_HR, 72);
	vt_reading_set(&r, VT_PR, 66);
	int qrs = 0, pulses = 0;
	uint8_t prev_ecg = 120, prev_pleth = 118;
	for (int k = 0; k < 60; k++) {
		enc_run(&x, &r, (int64_t)k * 1000);
		for (size_t i = 9; i < 409; i++)
			cr_assert_leq(x.out[i], 251, "message %d byte %zu", k, i);
		for (size_t i = 9; i < 9 + 200; i++) {
			qrs += x.out[i] > 200 && prev_ecg <= 200;
			prev_ecg = x.out[i];
		}
		for (size_t i = 9 + 250; i < 9 + 300; i++) {
			pulses += x.out[i] > 140 && prev_pleth <= 140;
			prev_pleth = x.out[i];
		}
	}
	cr_assert(qrs >= 71 && qrs <= 73, "%d QRS in a minute at 72 bpm", qrs);
	cr_assert(pulses >= 65 && pulses <= 67, "%d pulses in a minute at 66 bpm", pulses);
}

/* Multiparameter rows through the encoder and back through the driver. */
static void
ivy_roundtrip(size_t n)
{
	struct enc x;
	struct rx rx;
	enc_init(&x, "ivy-ansarb", NULL);
	rx_init(&rx, "ivy-ansarb", &s_got);
	for (size_t i = 0; i < n; i++) {
		enc_run(&x, &s_rows[i], s_t[i]);
		rx_feed(&rx, x.out, x.n);
	}
	cr_assert_eq(s_got.n, n);
	static const enum vt_param ps[] = {VT_SPO2, VT_PR, VT_HR, VT_RR, VT_ETCO2};
	int etco2 = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
			cr_assert_eq(shown(&s_got.r[i], ps[k]), shown(&s_rows[i], ps[k]), "row %zu: %s", i,
			             vt_param_info(ps[k])->name);
			etco2 += k == 4 && shown(&s_got.r[i], ps[k]) >= 0;
		}
	cr_assert_gt(etco2, 100, "the recording has capnography");
	rx_free(&rx);
}

/* Capnography, apnea and the cuff: respiratory depression as the Ivy sends it. */
Test(encode_roundtrip, ivy_decodes_every_value_back)
{
	ivy_roundtrip(load_scenario("scenarios/respiratory-depression.yaml", false, s_t, s_rows,
	                            MAX_ROWS));
}

Test(encode_roundtrip, ivy_on_a_real_recording)
{
	ivy_roundtrip(load_rows("../multiparameter/uw-100002-capno.csv", s_t, s_rows, MAX_ROWS));
}

/* ---- HL7 ---- */

Test(encode_hl7, message_is_golden)
{
	static const char want[] =
	    "\x0bMSH|^~\\&|VITALS_EMULATE^0000000000000001^EUI-64|VITALS|||20261121100005+0000||"
	    "ORU^R01^ORU_R01|2|P|2.6|||AL|NE||UNICODE UTF-8|||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1."
	    "6.1.1.1^ISO\r"
	    "PID|||^^^Hospital^PI||^^^^^^L\r"
	    "PV1||I|ICU^^1\r"
	    "OBR|1|2^VITALS_EMULATE|2^VITALS_EMULATE|182777000^monitoring of patient^SCT|||"
	    "20261121100005+0000\r"
	    "OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.147842|80|264864^MDC_DIM_BEAT_PER_MIN^MDC||"
	    "|||R|||20261121100005+0000\r"
	    "OBX|2|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.3.1.150456|97|262688^MDC_DIM_PERCENT^MDC||||"
	    "|R|||20261121100005+0000\r"
	    "OBX|3|NM|149530^MDC_PULS_OXIM_PULS_RATE^MDC|1.3.1.149530|79|264864^MDC_DIM_BEAT_PER_MIN^"
	    "MDC|||||R|||20261121100005+0000\r"
	    "OBX|4|NM|150488^MDC_BLD_PERF_INDEX^MDC|1.3.1.150488|2.50|262688^MDC_DIM_PERCENT^MDC|||||"
	    "R|||20261121100005+0000\r"
	    "OBX|5|NM|151562^MDC_RESP_RATE^MDC|1.2.1.151562|14|264928^MDC_DIM_RESP_PER_MIN^MDC|||||R|||"
	    "20261121100005+0000\r"
	    "OBX|6|NM|151708^MDC_AWAY_CO2_ET^MDC|1.4.1.151708||266016^MDC_DIM_MMHG^MDC|||||R|||"
	    "20261121100005+0000\r"
	    "OBX|7|NM|150364^MDC_TEMP_BODY^MDC|1.5.1.150364|36.8|268192^MDC_DIM_DEGC^MDC|||||R|||"
	    "20261121100005+0000\r"
	    "OBX|8|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.6.1.150021|121|266016^MDC_DIM_MMHG^MDC||||"
	    "|R|||20261121100000+0000|||^APERIODIC\r"
	    "OBX|9|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.6.1.150022|75|266016^MDC_DIM_MMHG^MDC|||||"
	    "R|||20261121100000+0000|||^APERIODIC\r"
	    "OBX|10|NM|150023^MDC_PRESS_BLD_NONINV_MEAN^MDC|1.6.1.150023|92|266016^MDC_DIM_MMHG^MDC||"
	    "|||R|||20261121100000+0000|||^APERIODIC\r"
	    "\x1c\r";
	struct enc x;
	enc_init(&x, "hl7-mllp", NULL);
	struct vt_reading r = ivy_capture_values();
	vt_reading_set(&r, VT_SPO2, 97);
	vt_reading_set(&r, VT_PR, 79);
	vt_reading_set(&r, VT_PI, 2.5);
	vt_reading_set(&r, VT_RR, 14);
	vt_reading_set(&r, VT_TEMP, 36.8);
	/* The cuff reading taken at 10:00:00 is still shown at 10:00:05 with its own time. */
	enc_run(&x, &r, at("2026-11-21T10:00:00Z"));
	vt_reading_set_missing(&r, VT_NIBP_SYS);
	vt_reading_set_missing(&r, VT_NIBP_DIA);
	vt_reading_set_missing(&r, VT_NIBP_MAP);
	enc_run(&x, &r, at("2026-11-21T10:00:05Z"));
	cr_assert_eq(x.n, sizeof want - 1, "%s", text(&x));
	cr_assert_eq(memcmp(x.out, want, x.n), 0, "%s", text(&x));
}

/* Values through the encoder and back through the driver, ages and demo mode included. */
Test(encode_roundtrip, hl7_decodes_every_value_back)
{
	struct enc x;
	struct rx rx;
	enc_init(&x, "hl7-mllp", NULL);
	rx_init(&rx, "hl7-mllp", &s_got);
	struct vt_reading r = ivy_capture_values();
	vt_reading_set(&r, VT_TEMP, 36.8);
	vt_reading_set(&r, VT_PI, 1.25);
	enc_run(&x, &r, 0);
	rx_feed(&rx, x.out, x.n);
	vt_reading_set_missing(&r, VT_NIBP_SYS); /* the cuff is not measuring: the last one shows */
	enc_run(&x, &r, 65000);
	rx_feed(&rx, x.out, x.n);
	r.flags = VT_FLAG_DEMO_DATA;
	enc_run(&x, &r, 70000);
	rx_feed(&rx, x.out, x.n);
	cr_assert_eq(s_got.n, 3);
	static const enum vt_param ps[] = {VT_HR, VT_RR, VT_SPO2, VT_PR, VT_TEMP, VT_PI, VT_NIBP_SYS,
	                                   VT_NIBP_DIA, VT_NIBP_MAP};
	for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
		cr_expect(s_got.r[0].valid & VT_PARAM_BIT(ps[k]), "%s", vt_param_info(ps[k])->name);
		cr_expect(fabs(s_got.r[0].value[ps[k]] - s_got.r[1].value[ps[k]]) < 1e-9);
	}
	cr_expect_eq(s_got.r[0].value[VT_NIBP_SYS], 121);
	cr_expect(fabs(s_got.r[0].value[VT_PI] - 1.25) < 1e-9);
	cr_expect(!(s_got.r[0].valid & VT_PARAM_BIT(VT_ETCO2)));
	cr_expect_eq(s_got.r[0].age_ms[VT_NIBP_SYS], 0);
	cr_expect_eq(s_got.r[1].age_ms[VT_NIBP_SYS], 65000, "the cuff reading keeps its time");
	cr_expect_eq(s_got.r[2].valid, 0, "demo mode: no patient values");
	cr_expect_eq(s_got.r[2].flags, VT_FLAG_DEMO_DATA);
	rx_free(&rx);
}

/* ---- the cuff a multiparameter monitor shows ---- */

static struct vt_reading
cuff(double sys, double dia, int64_t age_ms, int64_t stamp_ms)
{
	struct vt_reading r;
	memset(&r, 0, sizeof(r));
	vt_reading_set(&r, VT_NIBP_SYS, sys);
	vt_reading_set(&r, VT_NIBP_DIA, dia);
	if (age_ms >= 0) {
		vt_reading_set_age(&r, VT_NIBP_SYS, age_ms, stamp_ms);
		vt_reading_set_age(&r, VT_NIBP_DIA, age_ms, stamp_ms);
	}
	return r;
}

/*
 * Which measurement a row's pressures are: untimed, the row right after
 * one with pressures repeats it; timed (a CSV's nibp_time, a scenario's
 * cuff), its time says, so that a measurement equal to the last, even in
 * the row right after it, is new, and a repeat keeps its time.
 */
Test(encode_cuff, a_timed_measurement_is_known_by_its_time)
{
	struct vt_encode_cuff c;
	memset(&c, 0, sizeof(c));
	struct vt_reading untimed = cuff(120, 70, -1, 0), none;
	memset(&none, 0, sizeof(none));
	vt_encode_cuff_update(&c, &untimed, 1000);
	cr_expect(c.have);
	cr_expect_eq(c.at_ms, 1000);
	cr_expect_eq(c.bp[2], 70 + 50.0 / 3, "the mean from the pulse pressure");
	vt_encode_cuff_update(&c, &untimed, 2000);
	cr_expect_eq(c.at_ms, 1000, "the row right after: a repeat");
	vt_encode_cuff_update(&c, &none, 3000);
	vt_encode_cuff_update(&c, &untimed, 181000);
	cr_expect_eq(c.at_ms, 181000, "after a row without: a new one");

	struct vt_reading timed = cuff(120, 70, 2000, 398000);
	vt_encode_cuff_update(&c, &timed, 400000);
	cr_expect_eq(c.at_ms, 398000, "measured its age before the period");
	timed = cuff(120, 70, 3000, 398000);
	vt_encode_cuff_update(&c, &timed, 401000);
	cr_expect_eq(c.at_ms, 398000, "the same time: a repeat");
	timed = cuff(120, 70, 0, 402000);
	vt_encode_cuff_update(&c, &timed, 402000);
	cr_expect_eq(c.at_ms, 402000, "equal pressures at a new time: a new measurement");
}

/* OBX-14 of the HL7 message's systolic pressure, or "". */
static const char *
hl7_cuff_time(const struct enc *x)
{
	static char when[20];
	when[0] = '\0';
	const char *obx = strstr(text(x), "MDC_PRESS_BLD_NONINV_SYS");
	const char *end = obx ? strstr(obx, "|||^APERIODIC") : NULL;
	if (end != NULL && end - obx > 19)
		snprintf(when, sizeof(when), "%.19s", end - 19);
	return when;
}

/* Two equal cuff readings three minutes apart are two, each sent with its own time. */
Test(encode_hl7, an_equal_cuff_reading_later_is_a_new_measurement)
{
	struct enc x;
	enc_init(&x, "hl7-mllp", NULL);
	struct vt_reading r = ivy_capture_values(), quiet = r;
	vt_reading_set_missing(&quiet, VT_NIBP_SYS);
	vt_reading_set_missing(&quiet, VT_NIBP_DIA);
	vt_reading_set_missing(&quiet, VT_NIBP_MAP);
	enc_run(&x, &r, at("2026-11-21T10:00:00Z"));
	cr_expect_str_eq(hl7_cuff_time(&x), "20261121100000+0000");
	enc_run(&x, &quiet, at("2026-11-21T10:00:05Z"));
	cr_expect_str_eq(hl7_cuff_time(&x), "20261121100000+0000", "shown until the next");
	enc_run(&x, &r, at("2026-11-21T10:03:00Z"));
	cr_expect_str_eq(hl7_cuff_time(&x), "20261121100300+0000", "the same pressures, measured again");
	/* A timed row: measured 30 s before the period, and a repeat keeps that time. */
	for (int p = VT_NIBP_SYS; p <= VT_NIBP_MAP; p++)
		vt_reading_set_age(&r, (enum vt_param)p, 30000, 0);
	enc_run(&x, &r, at("2026-11-21T10:06:00Z"));
	cr_expect_str_eq(hl7_cuff_time(&x), "20261121100530+0000");
	for (int p = VT_NIBP_SYS; p <= VT_NIBP_MAP; p++)
		vt_reading_set_age(&r, (enum vt_param)p, 35000, 0);
	enc_run(&x, &r, at("2026-11-21T10:06:05Z"));
	cr_expect_str_eq(hl7_cuff_time(&x), "20261121100530+0000");
}
