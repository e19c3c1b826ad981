/*
 * Tests for the Nonin DF#8 driver (4 bytes a second, no checksum). Records
 * are built from the 9560 specification's table; no DF#8 capture exists.
 * Because the format has no checksum, the driver reports records only once
 * three have come back to back, and never the first of such a chain; these
 * cases pin that down too (LOCK below is the three records that take the
 * lock and report two readings).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "vitals/drivers/driver.h"

#define P(x) VT_PARAM_BIT(VT_##x)

/* A record: HR and SpO2 with byte-1 and byte-4 status bits. */
#define REC(hr, spo2, b1, b4)                                                               \
	(uint8_t)(0x80 | (b1) | ((hr) >> 7 & 3)), (uint8_t)((hr)&0x7F), (uint8_t)(spo2), (uint8_t)(b4)
#define OK REC(72, 97, 0, 0)

#define READING(hr, spo2, fl)                                                               \
	{                                                                                   \
		.reported = P(SPO2) | P(PR), .valid = P(SPO2) | P(PR),                      \
		.value = {[VT_SPO2] = (spo2), [VT_PR] = (hr)}, .flags = (fl),               \
		.has_status = true                                                          \
	}
#define GOOD READING(72, 97, 0)

struct s_case {
	const char *name;
	uint8_t in[96];
	size_t len;
	size_t nexpect;
	struct vt_reading expect[12];
	uint64_t dropped;
};

#define BYTES(...) {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__})

/* Three good records: the first is the one never reported. */
#define LOCK OK, OK, OK
#define LOCKED GOOD, GOOD

static const struct s_case s_cases[] = {
	{"three records lock on", BYTES(LOCK), 2, {LOCKED}, 0},
	{"then every record", BYTES(LOCK, OK, OK), 4, {LOCKED, GOOD, GOOD}, 0},
	{"two records are not enough", BYTES(OK, OK), 0, {{0}}, 0},
	{"tail of a record in front", BYTES(0x48, 0x00, LOCK), 2, {LOCKED}, 0},
	{"ACK of the select command in front", BYTES(0x06, LOCK), 2, {LOCKED}, 0},
	{"missing values", BYTES(LOCK, REC(511, 127, 0, 0)), 3,
	 {LOCKED, {.reported = P(SPO2) | P(PR), .has_status = true}}, 0},
	{"HR with HR8 set", BYTES(LOCK, REC(300, 88, 0, 0), REC(18, 100, 0, 0)), 4,
	 {LOCKED, READING(300, 88, 0), READING(18, 100, 0)}, 0},
	{"HR out of range", BYTES(LOCK, REC(400, 97, 0, 0), LOCK), 4, {LOCKED, LOCKED}, 1},
	{"SpO2 out of range", BYTES(LOCK, REC(72, 110, 0, 0), LOCK), 4, {LOCKED, LOCKED}, 1},
	{"reserved bit in byte 1", BYTES(LOCK, REC(72, 97, 0x40, 0), LOCK), 4, {LOCKED, LOCKED},
	 1},
	{"reserved bit in byte 4", BYTES(LOCK, REC(72, 97, 0, 0x10), LOCK), 4, {LOCKED, LOCKED},
	 1},
	{"byte lost", BYTES(LOCK, 0x80, 72, LOCK), 4, {LOCKED, LOCKED}, 1},
	{"high bit inside a record", BYTES(LOCK, 0x80, 0xC8, 97, 0, LOCK), 4, {LOCKED, LOCKED},
	 2},
	{"byte added between records", BYTES(LOCK, 0x11, LOCK), 4, {LOCKED, LOCKED}, 0},
	{"record truncated at the end", BYTES(LOCK, OK, 0x80, 72), 3, {LOCKED, GOOD}, 0},
	{"status bits",
	 BYTES(LOCK, REC(72, 97, 0x20, 0), REC(72, 97, 0x10, 0), REC(72, 97, 0x08, 0),
	       REC(72, 97, 0x04, 0), REC(72, 97, 0, 0x08), REC(72, 97, 0, 0x01),
	       REC(72, 97, 0, 0x20), REC(72, 97, 0x3C, 0x09)),
	 10,
	 {LOCKED, READING(72, 97, VT_FLAG_PULSE_SEARCH), READING(72, 97, VT_FLAG_LOW_PERFUSION),
	  READING(72, 97, VT_FLAG_LOW_SIGNAL_IQ), READING(72, 97, VT_FLAG_ARTIFACT),
	  READING(72, 97, VT_FLAG_SENSOR_OFF), READING(72, 97, VT_FLAG_LOW_BATTERY),
	  READING(72, 97, 0),
	  READING(72, 97,
	          VT_FLAG_PULSE_SEARCH | VT_FLAG_LOW_PERFUSION | VT_FLAG_LOW_SIGNAL_IQ |
	                  VT_FLAG_ARTIFACT | VT_FLAG_SENSOR_OFF | VT_FLAG_LOW_BATTERY)},
	 0},
	{"status while locking", BYTES(OK, REC(72, 97, 0, 0x08), REC(60, 90, 0x20, 0)), 2,
	 {READING(72, 97, VT_FLAG_SENSOR_OFF), READING(60, 90, VT_FLAG_PULSE_SEARCH)}, 0},
};

Test(driver_nonin_df8, table)
{
	const struct vt_driver *d = vt_driver_find("nonin-df8");
	cr_assert_not_null(d);
	for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
		const struct s_case *c = &s_cases[i];
		struct vt_rig_collect got = {0};
		struct vt_driver_stats st;
		bool same = vt_rig_feed_all(d, c->in, c->len, &got, &st);
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
		cr_expect_eq(st.records, got.count, "%s", c->name);
		cr_expect_eq(st.bytes, c->len, "%s", c->name);
		cr_expect_eq(st.dropped, c->dropped, "%s: dropped %llu, expected %llu", c->name,
		             (unsigned long long)st.dropped, (unsigned long long)c->dropped);
		vt_rig_collect_free(&got);
	}
}

Test(driver_nonin_df8, select_command)
{
	/* 9560 spec: STX, 0x70, 2, 2, format 8, ETX. */
	const struct vt_driver *d = vt_driver_find("nonin-df8");
	static const uint8_t want[] = {0x02, 0x70, 0x02, 0x02, 0x08, 0x03};
	void *state = calloc(1, d->state_size);
	cr_assert_not_null(state);
	struct vt_tx tx = {0};
	d->reset(state, NULL);
	const struct vt_driver_sink sink = {.now = 1000, .tx = &tx};
	cr_assert_not_null(d->connect, "the 9560 must be told its format when the port opens");
	d->connect(state, NULL, 0, &sink);
	cr_assert_eq(tx.len, sizeof want);
	cr_expect(memcmp(tx.buf, want, sizeof want) == 0);
	/* Once: nothing on a timer, nothing in reply to its own records. */
	cr_expect_null(d->tick);
	tx.len = 0;
	static const uint8_t rec[] = {0x80, 0x48, 0x62, 0x00};
	d->feed(state, rec, sizeof rec, &sink);
	cr_expect_eq(tx.len, 0);
	free(state);
}

/* 4 KiB of random bytes in front of a valid stream: at most the first record
 * after them is lost (it is the first of the chain that locks), every later
 * one is reported, and the noise reports nothing. */
Test(driver_nonin_df8, random_garbage_in_front)
{
	const struct vt_driver *d = vt_driver_find("nonin-df8");
	enum { NGARBAGE = 4096, NRECS = 30 };
	static const struct vt_reading want = GOOD;
	static const uint8_t rec[] = {OK};
	static uint8_t buf[NGARBAGE + NRECS * 4];
	for (uint32_t seed = 1; seed <= 500; seed++) {
		uint32_t r = seed;
		for (size_t i = 0; i < NGARBAGE; i++)
			buf[i] = (uint8_t)vt_rig_rand(&r);
		for (int k = 0; k < NRECS; k++)
			memcpy(buf + NGARBAGE + 4 * k, rec, 4);
		struct vt_rig_collect got = {0};
		cr_assert(vt_rig_feed_all(d, buf, sizeof buf, &got, NULL), "seed %u", seed);
		/* NRECS when the noise itself ended with a well-formed record,
		 * which then took the blame instead. */
		cr_expect(got.count == NRECS - 1 || got.count == NRECS, "seed %u: %zu readings",
		          seed, got.count);
		for (size_t k = 0; k < got.count; k++)
			cr_expect(vt_rig_reading_equal(&got.readings[k], &want), "seed %u reading %zu",
			          seed, k);
		vt_rig_collect_free(&got);
	}
}
