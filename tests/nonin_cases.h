/*
 * Cases shared by the Nonin DF#2 and DF#7 driver tests. The two formats
 * frame the same packet differently, so each case is written once as
 * packets (what the device means) plus edits to the bytes (what the line
 * did to them), and built into either format by s_build().
 */
#ifndef VT_RIG_NONIN_CASES_H
#define VT_RIG_NONIN_CASES_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "support/support.h"
#include "vitals/drivers/driver.h"
#include "vitals/drivers/nonin_packet.h"

#define P(x) VT_PARAM_BIT(VT_##x)
#define MISSING (-1)

/* One packet as the device means it, and the reading it must give. */
struct s_pkt {
	int spo2_d, hr_d;        /* display-mode values sent (frames 9, 20-21) */
	uint8_t status;          /* status bits set in every frame */
	uint8_t status1;         /* status bits set in frame `at` only */
	int at;                  /* 1-25, or 0 */
	uint8_t stat2;           /* frame 8 */
	int float_at;            /* frame whose float byte is forced, or 0 */
	uint8_t float_val;       /* its value */
	uint32_t flags;          /* expected flags */
	int want_spo2, want_pr;  /* expected values, or MISSING */
};

#define NORMAL {.spo2_d = 96, .hr_d = 95, .want_spo2 = 96, .want_pr = 95}

/* One change to the built bytes: packet p (0-based), frame f (1-25), byte b (0-4). */
enum s_op { E_END, E_XOR, E_DEL, E_INS };
struct s_edit {
	enum s_op op;
	int p, f, b;
	uint8_t val;
};

struct s_case {
	const char *name;
	struct s_pkt pkts[4];
	int npkts;
	unsigned expect;          /* bit i: packet i gives a reading */
	struct s_edit edits[3];   /* applied last-listed first; list in stream order */
	int prefix_frames;        /* frames 26-prefix..25 of a packet in front (a partial packet) */
	int trailing;             /* bytes of an unfinished packet after the last */
	uint64_t dropped;         /* expected, or UINT64_MAX for "at least one" */
};

#define ANY_DROP UINT64_MAX

static const struct s_case s_cases[] = {
	{"one packet", {NORMAL}, 1, 0x1, {{E_END}}, 0, 0, 0},
	{"three packets", {NORMAL, NORMAL, NORMAL}, 3, 0x7, {{E_END}}, 0, 0, 0},
	{"partial packet in front", {NORMAL}, 1, 0x1, {{E_END}}, 16, 0, 0},
	{"unfinished packet at the end", {NORMAL}, 1, 0x1, {{E_END}}, 0, 63, 0},
	{"bad checksum, frame 2", {NORMAL, NORMAL, NORMAL}, 3, 0x5, {{E_XOR, 1, 2, 4, 0x01}}, 0,
	 0, ANY_DROP},
	{"bad checksum, frame 13", {NORMAL, NORMAL, NORMAL}, 3, 0x5, {{E_XOR, 1, 13, 4, 0x80}},
	 0, 0, ANY_DROP},
	{"bad checksum, frame 25", {NORMAL, NORMAL, NORMAL}, 3, 0x5, {{E_XOR, 1, 25, 4, 0x10}},
	 0, 0, ANY_DROP},
	{"bad checksum, frame 1", {NORMAL, NORMAL, NORMAL}, 3, 0x5, {{E_XOR, 1, 1, 4, 0x02}}, 0,
	 0, ANY_DROP},
	{"corrupted value byte", {NORMAL, NORMAL, NORMAL}, 3, 0x5, {{E_XOR, 1, 9, 3, 0x04}}, 0, 0,
	 ANY_DROP},
	{"byte lost in frame 7", {NORMAL, NORMAL, NORMAL}, 3, 0x5, {{E_DEL, 1, 7, 2, 0}}, 0, 0,
	 ANY_DROP},
	{"byte added in frame 20", {NORMAL, NORMAL, NORMAL}, 3, 0x5, {{E_INS, 1, 20, 1, 0x55}}, 0,
	 0, ANY_DROP},
	{"byte added between packets", {NORMAL, NORMAL}, 2, 0x3, {{E_INS, 1, 1, 0, 0x81}}, 0, 0,
	 1},
	{"status bit 7 clear", {NORMAL, NORMAL}, 2, 0x2, {{E_XOR, 0, 6, 9, 0}}, 0, 0, ANY_DROP},
	{"SYNC set in frame 13",
	 {NORMAL, {.spo2_d = 96, .hr_d = 95, .status1 = VT_NONIN_ST_SYNC, .at = 13}, NORMAL}, 3,
	 0x5, {{E_END}}, 0, 0, ANY_DROP},
	{"float byte >= 0x80 in frame 5",
	 {NORMAL, {.spo2_d = 96, .hr_d = 95, .float_at = 5, .float_val = 0x85}, NORMAL}, 3, 0x5,
	 {{E_END}}, 0, 0, ANY_DROP},
	{"float byte >= 0x80 in frame 24 (firmware 50)",
	 {{.spo2_d = 96, .hr_d = 95, .float_at = 24, .float_val = 0xC1, .want_spo2 = 96,
	   .want_pr = 95}},
	 1, 0x1, {{E_END}}, 0, 0, 0},
	{"missing values 127 / 511", {{.spo2_d = 127, .hr_d = 511, .want_spo2 = MISSING,
	                               .want_pr = MISSING}},
	 1, 0x1, {{E_END}}, 0, 0, 0},
	{"SpO2 missing, HR present", {{.spo2_d = 127, .hr_d = 60, .want_spo2 = MISSING,
	                               .want_pr = 60}},
	 1, 0x1, {{E_END}}, 0, 0, 0},
	{"out-of-spec values are no value", {{.spo2_d = 110, .hr_d = 400, .want_spo2 = MISSING,
	                                      .want_pr = MISSING}},
	 1, 0x1, {{E_END}}, 0, 0, 0},
	{"extremes", {{.spo2_d = 0, .hr_d = 321, .want_spo2 = 0, .want_pr = 321},
	              {.spo2_d = 100, .hr_d = 18, .want_spo2 = 100, .want_pr = 18}},
	 2, 0x3, {{E_END}}, 0, 0, 0},
	{"HR above 255 uses HR8", {{.spo2_d = 99, .hr_d = 300, .want_spo2 = 99, .want_pr = 300}},
	 1, 0x1, {{E_END}}, 0, 0, 0},
};

/* Status bits, each alone in every frame and in one frame only. */
static const struct {
	const char *name;
	uint8_t bits;
	uint32_t flags;
} s_status_bits[] = {
	{"SNSD", VT_NONIN_ST_SNSD, VT_FLAG_NO_SENSOR},
	{"ARTF", VT_NONIN_ST_ARTF, VT_FLAG_ARTIFACT},
	{"OOT", VT_NONIN_ST_OOT, VT_FLAG_PULSE_SEARCH},
	{"SNSA", VT_NONIN_ST_SNSA, VT_FLAG_SENSOR_OFF},
	{"red perfusion", 0x04, VT_FLAG_LOW_PERFUSION},
	{"yellow perfusion", 0x06, VT_FLAG_LOW_SIGNAL_IQ},
	{"green perfusion", 0x02, 0},
	{"all at once", 0x78, VT_FLAG_NO_SENSOR | VT_FLAG_ARTIFACT | VT_FLAG_PULSE_SEARCH |
	                          VT_FLAG_SENSOR_OFF},
};

/* The float byte of frame `f` (1-25) for packet `p`. */
static uint8_t
s_float(const struct s_pkt *p, int f)
{
	if (p->float_at == f)
		return p->float_val;
	int hr = 94, spo2 = 96;
	switch (f) {
	case 1: return (uint8_t)(hr >> 7 & 3);
	case 2: return (uint8_t)(hr & 0x7F);
	case 3: return (uint8_t)spo2;
	case 4: return 45;
	case 8: return p->stat2;
	case 9: return (uint8_t)p->spo2_d;
	case 10: case 11: case 16: case 17: return (uint8_t)spo2;
	case 14: case 22: return (uint8_t)(hr >> 7 & 3);
	case 15: case 23: return (uint8_t)(hr & 0x7F);
	case 20: return (uint8_t)(p->hr_d >> 7 & 3);
	case 21: return (uint8_t)(p->hr_d & 0x7F);
	default: return 0;
	}
}

/* Frame `f` (1-25) of packet `p` in `fmt`, into out[5]. */
static void
s_frame(enum vt_nonin_format fmt, const struct s_pkt *p, int f, uint8_t *out)
{
	uint8_t status = 0x80 | (f == 1 ? VT_NONIN_ST_SYNC : 0) | p->status;
	if (p->at == f)
		status |= p->status1;
	unsigned pleth = 30000u + (unsigned)f * 997u;
	uint8_t fl = s_float(p, f);
	if (fmt == VT_NONIN_DF7) {
		out[0] = status;
		out[1] = (uint8_t)(pleth >> 8);
		out[2] = (uint8_t)pleth;
	} else {
		out[0] = 0x01;
		out[1] = status;
		out[2] = (uint8_t)(pleth >> 4);
	}
	out[3] = fl;
	out[4] = (uint8_t)(out[0] + out[1] + out[2] + out[3]);
}

static size_t
s_packet(enum vt_nonin_format fmt, const struct s_pkt *p, uint8_t *out)
{
	for (int f = 1; f <= VT_NONIN_FRAMES; f++)
		s_frame(fmt, p, f, out + (f - 1) * VT_NONIN_FRAME);
	return VT_NONIN_PACKET;
}

/* Build a case's bytes into `out`; returns the length. */
static size_t
s_build(enum vt_nonin_format fmt, const struct s_case *c, uint8_t *out)
{
	static const struct s_pkt normal = NORMAL;
	size_t n = 0, base;
	if (c->prefix_frames > 0) {
		uint8_t tmp[VT_NONIN_PACKET];
		s_packet(fmt, &normal, tmp);
		size_t k = (size_t)c->prefix_frames * VT_NONIN_FRAME;
		memcpy(out, tmp + VT_NONIN_PACKET - k, k);
		n = k;
	}
	base = n;
	for (int i = 0; i < c->npkts; i++)
		n += s_packet(fmt, &c->pkts[i], out + n);
	if (c->trailing > 0) {
		uint8_t tmp[VT_NONIN_PACKET];
		s_packet(fmt, &normal, tmp);
		memcpy(out + n, tmp, (size_t)c->trailing);
		n += (size_t)c->trailing;
	}
	int ne = 0;
	while (ne < 3 && c->edits[ne].op != E_END)
		ne++;
	for (int i = ne - 1; i >= 0; i--) {
		const struct s_edit *e = &c->edits[i];
		size_t at = base + (size_t)e->p * VT_NONIN_PACKET + (size_t)(e->f - 1) * VT_NONIN_FRAME;
		if (e->op == E_XOR && e->b == 9) {
			/* byte 9: "the status byte", wherever the format puts it */
			at += fmt == VT_NONIN_DF7 ? 0 : 1;
			out[at] &= 0x7F;
			/* keep the checksum right: only bit 7 is wrong */
			out[at - (fmt == VT_NONIN_DF7 ? 0 : 1) + 4] -= 0x80;
			continue;
		}
		at += (size_t)e->b;
		if (e->op == E_XOR) {
			out[at] ^= e->val;
		} else if (e->op == E_DEL) {
			memmove(out + at, out + at + 1, n - at - 1);
			n--;
		} else if (e->op == E_INS) {
			memmove(out + at + 1, out + at, n - at);
			out[at] = e->val;
			n++;
		}
	}
	return n;
}

static struct vt_reading
s_want(const struct s_pkt *p)
{
	struct vt_reading r = {.has_status = true, .flags = p->flags};
	if (p->want_spo2 == MISSING)
		vt_reading_set_missing(&r, VT_SPO2);
	else
		vt_reading_set(&r, VT_SPO2, p->want_spo2);
	if (p->want_pr == MISSING)
		vt_reading_set_missing(&r, VT_PR);
	else
		vt_reading_set(&r, VT_PR, p->want_pr);
	return r;
}

static void
s_run_cases(const char *driver, enum vt_nonin_format fmt)
{
	const struct vt_driver *d = vt_driver_find(driver);
	cr_assert_not_null(d);
	for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
		const struct s_case *c = &s_cases[i];
		static uint8_t buf[8 * VT_NONIN_PACKET];
		size_t len = s_build(fmt, c, buf);
		struct vt_rig_collect got = {0};
		struct vt_driver_stats st;
		bool same = vt_rig_feed_all(d, buf, len, &got, &st);
		cr_expect(same, "%s: splitting the input changed the result", c->name);
		size_t want_n = 0;
		for (int k = 0; k < c->npkts; k++)
			if (c->expect & (1u << k)) {
				struct vt_reading w = s_want(&c->pkts[k]);
				char a[256], b[256];
				cr_expect(want_n < got.count && vt_rig_reading_equal(&got.readings[want_n], &w),
				          "%s: reading %zu is {%s}, expected {%s}", c->name, want_n,
				          want_n < got.count ? vt_rig_reading_str(&got.readings[want_n], a, sizeof a) : "none",
				          vt_rig_reading_str(&w, b, sizeof b));
				want_n++;
			}
		cr_expect_eq(got.count, want_n, "%s: %zu readings, expected %zu", c->name, got.count,
		             want_n);
		cr_expect_eq(st.records, got.count, "%s: records counter", c->name);
		cr_expect_eq(st.bytes, len, "%s: bytes counter", c->name);
		if (c->dropped == ANY_DROP)
			cr_expect_gt(st.dropped, 0, "%s: nothing counted as dropped", c->name);
		else
			cr_expect_eq(st.dropped, c->dropped, "%s: dropped %llu, expected %llu", c->name,
			             (unsigned long long)st.dropped, (unsigned long long)c->dropped);
		if (c->prefix_frames > 0)
			cr_expect_eq(st.discarded, (uint64_t)c->prefix_frames * VT_NONIN_FRAME,
			             "%s: discarded %llu", c->name, (unsigned long long)st.discarded);
		vt_rig_collect_free(&got);
	}
}

/* Every status bit alone, in every frame and in one frame only (ORed). */
static void
s_run_status_bits(const char *driver, enum vt_nonin_format fmt)
{
	const struct vt_driver *d = vt_driver_find(driver);
	for (size_t i = 0; i < sizeof s_status_bits / sizeof s_status_bits[0]; i++) {
		for (int one = 0; one <= 1; one++) {
			struct s_case c = {.name = s_status_bits[i].name, .npkts = 1, .expect = 1};
			c.pkts[0] = (struct s_pkt)NORMAL;
			if (one) {
				c.pkts[0].status1 = s_status_bits[i].bits;
				c.pkts[0].at = 17;
			} else {
				c.pkts[0].status = s_status_bits[i].bits;
			}
			uint8_t buf[VT_NONIN_PACKET];
			size_t len = s_build(fmt, &c, buf);
			struct vt_rig_collect got = {0};
			cr_assert(vt_rig_feed_all(d, buf, len, &got, NULL));
			cr_assert_eq(got.count, 1, "%s", c.name);
			cr_expect_eq(got.readings[0].flags, s_status_bits[i].flags,
			             "%s (%s): flags 0x%x, expected 0x%x", c.name,
			             one ? "one frame" : "every frame", (unsigned)got.readings[0].flags,
			             (unsigned)s_status_bits[i].flags);
			cr_expect(got.readings[0].has_status);
			cr_expect_eq(got.readings[0].value[VT_SPO2], 96, "values unaffected by status");
			vt_rig_collect_free(&got);
		}
	}
	/* STAT2 (frame 8) bit 0: low battery on the 9560/3150. */
	struct s_case c = {.name = "LOW BAT", .npkts = 1, .expect = 1};
	c.pkts[0] = (struct s_pkt)NORMAL;
	c.pkts[0].stat2 = 0x01;
	uint8_t buf[VT_NONIN_PACKET];
	size_t len = s_build(fmt, &c, buf);
	struct vt_rig_collect got = {0};
	cr_assert(vt_rig_feed_all(d, buf, len, &got, NULL));
	cr_assert_eq(got.count, 1);
	cr_expect_eq(got.readings[0].flags, VT_FLAG_LOW_BATTERY);
	vt_rig_collect_free(&got);
}

/* 4 KiB of random bytes in front of a valid stream cost at most the packet
 * they run into and never produce a reading of their own. */
static void
s_run_random_garbage(const char *driver, enum vt_nonin_format fmt)
{
	const struct vt_driver *d = vt_driver_find(driver);
	enum { NGARBAGE = 4096, NPKTS = 12 };
	static const struct s_pkt normal = NORMAL;
	const struct vt_reading want = s_want(&normal);
	static uint8_t buf[NGARBAGE + NPKTS * VT_NONIN_PACKET];
	for (uint32_t seed = 1; seed <= 100; seed++) {
		uint32_t r = seed;
		for (size_t i = 0; i < NGARBAGE; i++)
			buf[i] = (uint8_t)vt_rig_rand(&r);
		size_t n = NGARBAGE;
		for (int k = 0; k < NPKTS; k++)
			n += s_packet(fmt, &normal, buf + n);
		struct vt_rig_collect got = {0};
		cr_assert(vt_rig_feed_all(d, buf, n, &got, NULL), "seed %u", seed);
		cr_expect(got.count >= NPKTS - 1 && got.count <= NPKTS, "seed %u: %zu readings", seed,
		          got.count);
		for (size_t k = 0; k < got.count; k++)
			cr_expect(vt_rig_reading_equal(&got.readings[k], &want), "seed %u reading %zu",
			          seed, k);
		vt_rig_collect_free(&got);
	}
}

#endif
