/*
 * Tests for the Masimo ASCII 1 driver. Every case is fed whole, byte by byte
 * and in random chunks, and must give the same readings and counters each
 * way. The lines are built from the formats in the device-protocol reference
 * (Rad-8, Radical-5/7, rainbow variants); the real Rad-8 captures are read
 * from the shared folder when it is there.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/drivers/driver.h"
#include "vitals/drivers/linebuf.h"

#define P(x) VT_PARAM_BIT(VT_##x)

/* A Rad-8 line with the given values, as the device would send it. */
#define RAD8(spo2, bpm, pi, alarm, exc)                                                     \
	"02/22/16 22:47:45 SN=0000056661 SPO2=" spo2 "% BPM=" bpm " PI=" pi                 \
	"% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=" alarm " EXC=" exc "\r\n"
#define GOOD RAD8("098", "097", "03.60", "0000", "000800")

/* The reading GOOD gives. */
#define GOOD_READING                                                                        \
	{                                                                                   \
		.reported = P(SPO2) | P(PR) | P(PI) | P(SPCO) | P(SPMET),                   \
		.valid = P(SPO2) | P(PR) | P(PI), .value = {[VT_SPO2] = 98, [VT_PR] = 97,  \
		                                            [VT_PI] = 3.6},                 \
		.has_status = true                                                          \
	}

struct s_case {
	const char *name;
	const char *input;
	size_t len; /* inputs may hold NULs */
	size_t nexpect;
	const struct vt_reading *expect;
	uint64_t dropped;
	uint64_t discarded; /* bytes of the first, partial line */
};

/* A string literal and its length, NULs included. */
#define IN(s) s, sizeof(s) - 1

static const struct vt_reading s_good[] = {GOOD_READING};
static const struct vt_reading s_good2[] = {GOOD_READING, GOOD_READING};

/* A line starting with a Radical-5 style stamp, no SN. */
#define R5 "09/15/10 15:10:29 "
/* A line stamped like GOOD, for the rejected cases. */
#define TS "02/22/16 22:47:45 "

static const struct s_case s_cases[] = {
	{"rad-8 line", IN(GOOD), 1, s_good, 0, 0},
	{"two lines", IN(GOOD GOOD), 2, s_good2, 0, 0},
	{"LF only", IN(RAD8("098", "097", "03.60", "0000", "000800") "\n"), 1, s_good, 0, 0},
	{"bare CR",
	 IN(TS "SPO2=098% BPM=097 PI=03.60% SPCO=--.-% SPMET=--.-% EXC=000800\r"), 1, s_good, 0,
	 0},
	{"leading NULs", IN("\0\0\0" GOOD "\0\0" GOOD), 2, s_good2, 0, 0},
	{"empty lines between", IN(GOOD "\r\n\r\n\n" GOOD), 2, s_good2, 0, 0},
	{"first line partial",
	 IN("03.60% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n" GOOD), 1,
	 s_good, 0, 72},
	{"leading garbage then lines", IN("\x13\xff garbage \x01\x02 ~~~\r\n" GOOD GOOD), 2,
	 s_good2, 0, 17},
	{"unterminated last line", IN(GOOD TS "SPO2=098% BPM=097"), 1, s_good, 0, 0},
	{"radical-5 (no SN, short masks)",
	 IN(R5 "SPO2=097% BPM=064 PI=11.82% ALARM=20 EXC=800\r\n"), 1,
	 (const struct vt_reading[]){{.reported = P(SPO2) | P(PR) | P(PI),
	                              .valid = P(SPO2) | P(PR) | P(PI),
	                              .value = {[VT_SPO2] = 97, [VT_PR] = 64, [VT_PI] = 11.82},
	                              .flags = VT_FLAG_DEVICE_SILENCED,
	                              .has_status = true}},
	 0, 0},
	{"radical-7 with PVI",
	 IN("12/01/05 11:56:29 SN=0123456789 SPO2=098% BPM=240 PI=20.00% SPCO=01.0% "
	    "SPMET=00.5% DESAT=01 PIDELTA=-02 PVI=027 ALARM=0000 EXC=000820\r\n"),
	 1,
	 (const struct vt_reading[]){
		 {.reported = P(SPO2) | P(PR) | P(PI) | P(SPCO) | P(SPMET) | P(PVI),
		  .valid = P(SPO2) | P(PR) | P(PI) | P(SPCO) | P(SPMET) | P(PVI),
		  .value = {[VT_SPO2] = 98, [VT_PR] = 240, [VT_PI] = 20, [VT_SPCO] = 1.0,
		            [VT_SPMET] = 0.5, [VT_PVI] = 27},
		  .flags = VT_FLAG_SENSOR_OFF,
		  .has_status = true}},
	 0, 0},
	{"radical-7 everything missing",
	 IN("05/15/07 08:12:21 SN=0000070986 SPO2=---% BPM=--- PI=--.--% SPCO=--.-% "
	    "SPMET=--.-% DESAT=-- PIDELTA=+-- PVI=--- ALARM=0000 EXC=000000\r\n"),
	 1,
	 (const struct vt_reading[]){
		 {.reported = P(SPO2) | P(PR) | P(PI) | P(SPCO) | P(SPMET) | P(PVI),
		  .has_status = true}},
	 0, 0},
	{"rainbow (PI without %, EXC1, SPHB)",
	 IN("03/17/16 19:19:36 SN=---------- SPO2=098% BPM=123 PI=00.55 SPCO=--% SPMET=--.-% "
	    "SPHB=--.- SPOC=-- RESVD=--- DESAT=-- PIDELTA=+-- PVI=--- ALARM=000000 "
	    "EXC=0000C00 EXC1=00000000\r\n"),
	 1,
	 (const struct vt_reading[]){
		 {.reported = P(SPO2) | P(PR) | P(PI) | P(SPCO) | P(SPMET) | P(PVI),
		  .valid = P(SPO2) | P(PR) | P(PI),
		  .value = {[VT_SPO2] = 98, [VT_PR] = 123, [VT_PI] = 0.55},
		  .flags = VT_FLAG_LOW_SIGNAL_IQ,
		  .has_status = true}},
	 0, 0},
	{"no EXC: no status", IN(R5 "SPO2=097% BPM=064 ALARM=10\r\n"), 1,
	 (const struct vt_reading[]){{.reported = P(SPO2) | P(PR),
	                              .valid = P(SPO2) | P(PR),
	                              .value = {[VT_SPO2] = 97, [VT_PR] = 64},
	                              .flags = VT_FLAG_DEVICE_ALARM}},
	 0, 0},
	{"lower-case hex", IN(R5 "SPO2=097% BPM=064 EXC=c20\r\n"), 1,
	 (const struct vt_reading[]){{.reported = P(SPO2) | P(PR),
	                              .valid = P(SPO2) | P(PR),
	                              .value = {[VT_SPO2] = 97, [VT_PR] = 64},
	                              .flags = VT_FLAG_SENSOR_OFF | VT_FLAG_LOW_SIGNAL_IQ,
	                              .has_status = true}},
	 0, 0},
	{"+-- and - forms are no value", IN(R5 "SPO2=+--% BPM=- PI=--.--\r\n"), 1,
	 (const struct vt_reading[]){{.reported = P(SPO2) | P(PR) | P(PI)}}, 0, 0},

	/* Lines that must be dropped, each followed by a good one. */
	{"bad hex in EXC", IN(RAD8("098", "097", "03.60", "0000", "00G800") GOOD), 1, s_good, 1, 0},
	{"hex too long", IN(RAD8("098", "097", "03.60", "0000", "123456789") GOOD), 1, s_good, 1,
	 0},
	{"letter in SpO2", IN(RAD8("0x8", "097", "03.60", "0000", "000800") GOOD), 1, s_good, 1, 0},
	{"SpO2 above 100", IN(RAD8("198", "097", "03.60", "0000", "000800") GOOD), 1, s_good, 1, 0},
	{"negative PI", IN(RAD8("098", "097", "-3.60", "0000", "000800") GOOD), 1, s_good, 1, 0},
	{"two decimal points", IN(RAD8("098", "097", "3..6", "0000", "000800") GOOD), 1, s_good, 1,
	 0},
	{"empty value", IN(RAD8("", "097", "03.60", "0000", "000800") GOOD), 1, s_good, 1, 0},
	{"bare %", IN(RAD8("098", "097", "", "0000", "000800") GOOD), 1, s_good, 1, 0},
	{"no BPM", IN(TS "SPO2=098% PI=03.60% EXC=000800\r\n" GOOD), 1, s_good, 1, 0},
	{"no SPO2", IN(TS "BPM=098 PI=03.60% EXC=000800\r\n" GOOD), 1, s_good, 1, 0},
	{"repeated key", IN(TS "SPO2=098% BPM=097 SPO2=090% EXC=000800\r\n" GOOD), 1, s_good, 1,
	 0},
	{"token without =", IN(TS "SPO2=098% BPM=097 junk EXC=000800\r\n" GOOD), 1, s_good, 1, 0},
	{"lower-case key", IN(TS "SPO2=098% BPM=097 Pi=03.60 EXC=000800\r\n" GOOD), 1, s_good, 1,
	 0},
	{"no timestamp", IN(GOOD "SPO2=098% BPM=097 PI=03.60% EXC=000800\r\n" GOOD), 2, s_good2,
	 1, 0},
	{"bad timestamp", IN(GOOD "02-22-16 22:47:45 SPO2=098% BPM=097 EXC=000800\r\n" GOOD), 2,
	 s_good2, 1, 0},
	{"trend dump line", IN(GOOD "09/21/08 09:56:10 SpO2=000 PR=000 PI=00.00 EXC=828:Search\r\n"),
	 1, s_good, 1, 0},
	{"control byte inside", IN(GOOD TS "SPO2=098%\x01 BPM=097 EXC=000800\r\n"), 1, s_good, 1,
	 0},
	{"high byte inside", IN(GOOD TS "SPO2=098% BPM=097\xb0 EXC=000800\r\n"), 1, s_good, 1, 0},
	{"two lines run together (lost LF)",
	 IN(TS "SN=0000056661 SPO2=098% BPM=097 PI=03.60% ALARM=0000 EXC=000800"
	    "02/22/16 22:47:46 SN=0000056661 SPO2=098% BPM=097 PI=03.60% ALARM=0000 "
	    "EXC=000800\r\n" GOOD),
	 1, s_good, 1, 0},
	{"truncated line", IN(TS "SN=0000056661 SPO2=098% BP\r\n" GOOD), 1, s_good, 1, 0},
	{"truncated value", IN(TS "SN=0000056661 SPO2=098% BPM=\r\n" GOOD), 1, s_good, 1, 0},
};

Test(driver_masimo, table)
{
	const struct vt_driver *d = vt_driver_find("masimo-ascii");
	cr_assert_not_null(d);
	for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
		const struct s_case *c = &s_cases[i];
		size_t len = c->len;
		struct vt_rig_collect got = {0};
		struct vt_driver_stats st;
		bool same = vt_rig_feed_all(d, (const uint8_t *)c->input, len, &got, &st);
		cr_expect(same, "%s: splitting the input changed the result", c->name);
		cr_expect_eq(got.count, c->nexpect, "%s: %zu readings, expected %zu", c->name,
		             got.count, c->nexpect);
		for (size_t k = 0; k < got.count && k < c->nexpect; k++) {
			char a[256], b[256];
			cr_expect(vt_rig_reading_equal(&got.readings[k], &c->expect[k]),
			          "%s: reading %zu is {%s}, expected {%s}", c->name, k,
			          vt_rig_reading_str(&got.readings[k], a, sizeof a),
			          vt_rig_reading_str(&c->expect[k], b, sizeof b));
		}
		cr_expect_eq(st.records, got.count, "%s: records counter", c->name);
		cr_expect_eq(st.bytes, len, "%s: bytes counter", c->name);
		cr_expect_eq(st.dropped, c->dropped, "%s: dropped %llu, expected %llu", c->name,
		             (unsigned long long)st.dropped, (unsigned long long)c->dropped);
		cr_expect_eq(st.discarded, c->discarded, "%s: discarded %llu, expected %llu",
		             c->name, (unsigned long long)st.discarded,
		             (unsigned long long)c->discarded);
		cr_expect_eq(got.ninfo, 0, "%s: Masimo lines carry no device info", c->name);
		vt_rig_collect_free(&got);
	}
}

/* Each EXC bit alone, with SET (0x800) as the device always sends it. */
Test(driver_masimo, every_exc_bit)
{
	static const struct {
		uint32_t bit;
		uint32_t flags;
	} bits[] = {
		{0x000001, VT_FLAG_NO_SENSOR},     {0x000002, VT_FLAG_SENSOR_FAULT},
		{0x000004, VT_FLAG_LOW_PERFUSION}, {0x000008, VT_FLAG_PULSE_SEARCH},
		{0x000010, VT_FLAG_ARTIFACT},      {0x000020, VT_FLAG_SENSOR_OFF},
		{0x000040, VT_FLAG_AMBIENT_LIGHT}, {0x000080, VT_FLAG_SENSOR_FAULT},
		{0x000100, VT_FLAG_SENSOR_FAULT},  {0x000200, 0},
		{0x000400, VT_FLAG_LOW_SIGNAL_IQ}, {0x000800, 0},
		{0x001000, VT_FLAG_NO_SENSOR},     {0x002000, 0},
		{0x004000, VT_FLAG_SENSOR_FAULT},  {0x008000, VT_FLAG_SENSOR_FAULT},
		{0x010000, VT_FLAG_SENSOR_FAULT},  {0x020000, 0},
		{0x040000, 0},                     {0x080000, 0},
		{0x100000, 0},                     {0x200000, 0},
		{0x400000, 0},                     {0x800000, 0},
	};
	const struct vt_driver *d = vt_driver_find("masimo-ascii");
	uint32_t all_bits = 0, all_flags = 0;
	for (size_t i = 0; i <= sizeof bits / sizeof bits[0]; i++) {
		uint32_t bit = i < sizeof bits / sizeof bits[0] ? bits[i].bit | 0x800 : all_bits;
		uint32_t want = i < sizeof bits / sizeof bits[0] ? bits[i].flags : all_flags;
		if (i < sizeof bits / sizeof bits[0]) {
			all_bits |= bits[i].bit;
			all_flags |= bits[i].flags;
		}
		char line[160];
		int n = snprintf(line, sizeof line,
		                 "02/22/16 22:47:45 SPO2=---%% BPM=--- PI=--.--%% ALARM=0000 EXC=%06X\r\n",
		                 (unsigned)bit);
		struct vt_rig_collect got = {0};
		cr_assert(vt_rig_feed_all(d, (const uint8_t *)line, (size_t)n, &got, NULL));
		cr_assert_eq(got.count, 1, "EXC=%06X", (unsigned)bit);
		cr_expect_eq(got.readings[0].flags, want, "EXC=%06X gave flags 0x%x, expected 0x%x",
		             (unsigned)bit, (unsigned)got.readings[0].flags, (unsigned)want);
		cr_expect(got.readings[0].has_status);
		vt_rig_collect_free(&got);
	}
}

/* Each ALARM bit alone: the device's own alarms become flags only. */
Test(driver_masimo, every_alarm_bit)
{
	const struct vt_driver *d = vt_driver_find("masimo-ascii");
	for (unsigned b = 0; b < 16; b++) {
		unsigned bit = 1u << b;
		uint32_t want = 0;
		if (bit == 0x20)
			want = VT_FLAG_DEVICE_SILENCED;
		else if (bit == 0x40)
			want = VT_FLAG_LOW_BATTERY;
		else if (bit != 0x80 && bit < 0x4000)
			want = VT_FLAG_DEVICE_ALARM; /* limits, desat, PI delta, active */
		char line[160];
		int n = snprintf(line, sizeof line,
		                 "02/22/16 22:47:45 SPO2=085%% BPM=097 ALARM=%04X EXC=000800\r\n", bit);
		struct vt_rig_collect got = {0};
		cr_assert(vt_rig_feed_all(d, (const uint8_t *)line, (size_t)n, &got, NULL));
		cr_assert_eq(got.count, 1);
		cr_expect_eq(got.readings[0].flags, want, "ALARM=%04X gave 0x%x, expected 0x%x", bit,
		             (unsigned)got.readings[0].flags, (unsigned)want);
		/* A device alarm is not our alarm: the value is still the value. */
		cr_expect_eq(got.readings[0].value[VT_SPO2], 85);
		vt_rig_collect_free(&got);
	}
}

/* An overlong line is dropped and the stream goes on. */
Test(driver_masimo, overlong_line)
{
	const struct vt_driver *d = vt_driver_find("masimo-ascii");
	char buf[4096] = GOOD "02/22/16 22:47:45 SPO2=098% BPM=097 ";
	size_t n = strlen(buf);
	while (n < 2000)
		buf[n++] = 'X';
	memcpy(buf + n, "\r\n" GOOD, strlen("\r\n" GOOD) + 1);
	n += strlen("\r\n" GOOD);
	struct vt_rig_collect got = {0};
	struct vt_driver_stats st;
	cr_assert(vt_rig_feed_all(d, (const uint8_t *)buf, n, &got, &st));
	cr_expect_eq(got.count, 2);
	cr_expect_eq(st.dropped, 1);
	vt_rig_collect_free(&got);
}

/* A line of exactly the maximum length is read; one byte more is dropped. */
Test(driver_masimo, line_length_limit)
{
	const struct vt_driver *d = vt_driver_find("masimo-ascii");
	static const char head[] = "02/22/16 22:47:45 SPO2=098% BPM=097 PI=03.60% SPCO=--.-% "
	                           "SPMET=--.-% X=";
	static const char tail[] = " EXC=000800";
	for (size_t linelen = 511; linelen <= 513; linelen++) {
		char buf[1024];
		size_t n = strlen(head);
		memcpy(buf, head, n);
		while (n < linelen - strlen(tail))
			buf[n++] = 'A'; /* the value of an unknown key, ignored */
		memcpy(buf + n, tail, strlen(tail));
		n += strlen(tail);
		memcpy(buf + n, "\r\n" GOOD, strlen("\r\n" GOOD));
		n += strlen("\r\n" GOOD);
		struct vt_rig_collect got = {0};
		struct vt_driver_stats st;
		cr_assert(vt_rig_feed_all(d, (const uint8_t *)buf, n, &got, &st));
		size_t want = linelen <= VT_LINEBUF_MAX ? 2 : 1;
		cr_expect_eq(got.count, want, "%zu-byte line: %zu readings", linelen, got.count);
		cr_expect_eq(st.dropped, 2 - want);
		vt_rig_collect_free(&got);
	}
}

/* 4 KiB of random bytes in front of a valid stream cost at most the line
 * they run into, and never produce a reading of their own. */
Test(driver_masimo, random_garbage_in_front)
{
	const struct vt_driver *d = vt_driver_find("masimo-ascii");
	enum { NGARBAGE = 4096, NLINES = 20 };
	static const struct vt_reading want = GOOD_READING;
	for (uint32_t seed = 1; seed <= 50; seed++) {
		static uint8_t buf[NGARBAGE + NLINES * 200];
		uint32_t r = seed;
		for (size_t i = 0; i < NGARBAGE; i++)
			buf[i] = (uint8_t)vt_rig_rand(&r);
		size_t n = NGARBAGE;
		for (int k = 0; k < NLINES; k++) {
			memcpy(buf + n, GOOD, strlen(GOOD));
			n += strlen(GOOD);
		}
		struct vt_rig_collect got = {0};
		cr_assert(vt_rig_feed_all(d, buf, n, &got, NULL), "seed %u", seed);
		cr_expect(got.count >= NLINES - 1 && got.count <= NLINES, "seed %u: %zu readings",
		          seed, got.count);
		for (size_t k = 0; k < got.count; k++)
			cr_expect(vt_rig_reading_equal(&got.readings[k], &want), "seed %u reading %zu",
			          seed, k);
		vt_rig_collect_free(&got);
	}
}

/* Real Rad-8 output: every line decodes to the values it shows. */
Test(driver_masimo, captures)
{
	static const struct {
		const char *file;
		int spo2;
		int bpm[6];
		double pi[6];
		size_t n;
	} caps[] = {
		{"masimo_rad8_ascii1_hansmuc.txt", 97, {80, 81, 81, 81, 80, 80},
		 {4.96, 5.04, 5.04, 5.13, 5.26, 5.31}, 6},
		{"masimo_rad8_ascii1_yahnatan.txt", 98, {97, 96, 96, 96, 97},
		 {3.60, 3.95, 4.25, 3.19, 2.41}, 5},
	};
	const struct vt_driver *d = vt_driver_find("masimo-ascii");
	for (size_t c = 0; c < 2; c++) {
		size_t len;
		const char *path = vt_rig_capture(caps[c].file);
		uint8_t *data = (uint8_t *)vt_rig_slurp(path, &len);
		cr_assert_not_null(data, "%s", path);
		struct vt_rig_collect got = {0};
		struct vt_driver_stats st;
		cr_assert(vt_rig_feed_all(d, data, len, &got, &st));
		cr_assert_eq(got.count, caps[c].n, "%s: %zu readings", caps[c].file, got.count);
		cr_expect_eq(st.dropped, 0);
		for (size_t k = 0; k < got.count; k++) {
			const struct vt_reading *r = &got.readings[k];
			cr_expect_eq(r->valid, P(SPO2) | P(PR) | P(PI));
			cr_expect_eq(r->reported, P(SPO2) | P(PR) | P(PI) | P(SPCO) | P(SPMET));
			cr_expect_eq(r->value[VT_SPO2], caps[c].spo2);
			cr_expect_eq(r->value[VT_PR], caps[c].bpm[k]);
			cr_expect_float_eq(r->value[VT_PI], caps[c].pi[k], 1e-9);
			cr_expect_eq(r->flags, 0);
			cr_expect(r->has_status);
		}
		vt_rig_collect_free(&got);
		free(data);
	}
}
