/*
 * Tests for the Ivy 450C ANSAR-B driver. Messages are built here from the
 * layout of the device-protocol reference (§7): 0xFF "ANSAR-B ", 400
 * waveform bytes, CR-terminated numeric records, 0xFE. The real capture is
 * read from the shared folder when it is there. Every case is fed whole,
 * byte by byte and in random chunks.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/drivers/driver.h"

#define P(x) VT_PARAM_BIT(VT_##x)
#define ALL (P(HR) | P(RR) | P(ETCO2) | P(SPO2) | P(PR) | P(NIBP_SYS) | P(NIBP_DIA) | P(NIBP_MAP) | P(TEMP))

/* The capture's numeric records. */
#define CAPTURE_TEXT                                                                       \
	"HR=1;80;ECG-II-DIAG;\rRR=1;35;APNEA: 20 SEC;\rETCO2=1;;;\rSPO2=1;100;PR=80 ;\r"      \
	"NIBP=4;121;75;92;80;;\rP1=3;111;73;88;;\rP2=3;;;;NO TRANSDUCER;\rT1=1;;;\rT2=1;;;\r"

static const struct vt_reading s_capture_reading = {
	.reported = ALL,
	.valid = ALL & ~P(ETCO2) & ~P(TEMP),
	.value = {[VT_HR] = 80, [VT_RR] = 35, [VT_SPO2] = 100, [VT_PR] = 80, [VT_NIBP_SYS] = 121,
	          [VT_NIBP_DIA] = 75, [VT_NIBP_MAP] = 92},
};

struct s_buf {
	uint8_t b[16384];
	size_t n;
};

static void
s_put(struct s_buf *b, const void *p, size_t n)
{
	cr_assert_leq(b->n + n, sizeof b->b);
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

/* One message: the start, a waveform that never reaches 0xFE, `text`, the end. */
static void
s_msg(struct s_buf *b, const char *text)
{
	s_put(b, "\xff" "ANSAR-B ", 9);
	for (int i = 0; i < 400; i++) {
		uint8_t w = (uint8_t)(i * 37 % 252);
		s_put(b, &w, 1);
	}
	s_put(b, text, strlen(text));
	s_put(b, "\xfe", 1);
}

/* Feed `b` every way; the readings and counters into got/st. */
static void
s_feed(const struct s_buf *b, struct vt_rig_collect *got, struct vt_driver_stats *st)
{
	const struct vt_driver *d = vt_driver_find("ivy-ansarb");
	cr_assert_not_null(d);
	cr_assert(vt_rig_feed_all(d, b->b, b->n, got, st), "splitting the input changed the result");
	cr_expect_eq(st->bytes, b->n);
	cr_expect_eq(st->records, got->count);
}

static void
s_expect_reading(const struct vt_reading *got, const struct vt_reading *want, const char *what)
{
	char a[256], w[256];
	cr_expect(vt_rig_reading_equal(got, want), "%s: {%s}, expected {%s}", what,
	          vt_rig_reading_str(got, a, sizeof a), vt_rig_reading_str(want, w, sizeof w));
}

Test(driver_ivy, the_capture_layout_decodes)
{
	struct s_buf b = {.n = 0};
	s_msg(&b, CAPTURE_TEXT);
	s_msg(&b, CAPTURE_TEXT);
	struct vt_rig_collect got = {0};
	struct vt_driver_stats st;
	s_feed(&b, &got, &st);
	cr_assert_eq(got.count, 2);
	s_expect_reading(&got.readings[0], &s_capture_reading, "first");
	s_expect_reading(&got.readings[1], &s_capture_reading, "second");
	cr_expect(!got.readings[0].has_status, "the stream says nothing of the sensors");
	cr_expect_eq(st.dropped, 0);
	cr_expect_eq(st.discarded, 0);
	vt_rig_collect_free(&got);
}

/* Messages that decode, each alone: the text and what it must give. */
struct s_good {
	const char *name;
	const char *text;
	vt_param_mask reported, valid;
	double hr, spo2, pr, sys, etco2;
};

static const struct s_good s_goods[] = {
	{"every value missing", "HR=1;;;\rRR=1;;;\rETCO2=1;;;\rSPO2=1;;PR= ;\rNIBP=4;;;;;;\rT1=1;;;\r",
	 ALL, 0, 0, 0, 0, 0, 0},
	{"decimals", "ETCO2=1;38.5;;\rSPO2=1;97;PR=61 ;\r", P(ETCO2) | P(SPO2) | P(PR),
	 P(ETCO2) | P(SPO2) | P(PR), 0, 97, 61, 0, 38.5},
	{"pulse rate without the trailing space", "SPO2=1;97;PR=61;\r", P(SPO2) | P(PR),
	 P(SPO2) | P(PR), 0, 97, 61, 0, 0},
	{"a message in place of the pulse rate", "SPO2=1;;PROBE OFF;\r", P(SPO2) | P(PR), 0, 0, 0,
	 0, 0, 0},
	{"an alarm text after the heart rate", "HR=1;45;LOW HR ALARM;\r", P(HR), P(HR), 45, 0, 0, 0,
	 0},
	{"unknown records are skipped", "XY9=2;1;2;WHAT;\rHR=1;70;;\r", P(HR), P(HR), 70, 0, 0, 0,
	 0},
	{"blank lines between records", "\r\rHR=1;70;;\r\r", P(HR), P(HR), 70, 0, 0, 0, 0},
	{"records in another order", "NIBP=4;140;90;107;;;\rHR=1;70;;\r",
	 P(HR) | P(NIBP_SYS) | P(NIBP_DIA) | P(NIBP_MAP), P(HR) | P(NIBP_SYS) | P(NIBP_DIA) | P(NIBP_MAP),
	 70, 0, 0, 140, 0},
};

/* T1 in whichever unit the monitor is set to: the value says which. */
Test(driver_ivy, temperature_in_celsius_or_fahrenheit)
{
	static const struct {
		const char *text;
		bool valid;
		double celsius;
	} cases[] = {
		{"T1=1;36.8;;\r", true, 36.8}, {"T1=1;98.6;;\r", true, 37.0}, {"T1=1;32;;\r", true, 32},
		{"T1=1;60;;\r", false, 0},     {"T1=1;120;;\r", false, 0},    {"T1=1;;;\r", false, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct s_buf b = {.n = 0};
		s_msg(&b, cases[i].text);
		struct vt_rig_collect got = {0};
		struct vt_driver_stats st;
		s_feed(&b, &got, &st);
		cr_assert_eq(got.count, 1, "%s", cases[i].text);
		const struct vt_reading *r = &got.readings[0];
		cr_expect_eq(r->reported, P(TEMP), "%s", cases[i].text);
		cr_expect_eq((r->valid & P(TEMP)) != 0, cases[i].valid, "%s", cases[i].text);
		if (cases[i].valid)
			cr_expect(fabs(r->value[VT_TEMP] - cases[i].celsius) < 1e-9, "%s: %g", cases[i].text,
			          r->value[VT_TEMP]);
		vt_rig_collect_free(&got);
	}
}

Test(driver_ivy, good_messages)
{
	for (size_t i = 0; i < sizeof s_goods / sizeof s_goods[0]; i++) {
		const struct s_good *g = &s_goods[i];
		struct s_buf b = {.n = 0};
		s_msg(&b, g->text);
		struct vt_rig_collect got = {0};
		struct vt_driver_stats st;
		s_feed(&b, &got, &st);
		cr_assert_eq(got.count, 1, "%s: %zu readings", g->name, got.count);
		const struct vt_reading *r = &got.readings[0];
		cr_expect_eq(r->reported, g->reported, "%s: reported 0x%x", g->name, r->reported);
		cr_expect_eq(r->valid, g->valid, "%s: valid 0x%x", g->name, r->valid);
		if (g->valid & P(HR))
			cr_expect_eq(r->value[VT_HR], g->hr, "%s", g->name);
		if (g->valid & P(SPO2))
			cr_expect_eq(r->value[VT_SPO2], g->spo2, "%s", g->name);
		if (g->valid & P(PR))
			cr_expect_eq(r->value[VT_PR], g->pr, "%s", g->name);
		if (g->valid & P(NIBP_SYS))
			cr_expect_eq(r->value[VT_NIBP_SYS], g->sys, "%s", g->name);
		if (g->valid & P(ETCO2))
			cr_expect_eq(r->value[VT_ETCO2], g->etco2, "%s", g->name);
		cr_expect_eq(st.dropped, 0, "%s", g->name);
		vt_rig_collect_free(&got);
	}
}

/*
 * The monitor repeats its last cuff reading in every message: the driver
 * reports one measurement, timed by the message that first showed it (a
 * message a second here), whose repeats keep that time. Another reading,
 * even of the same pressures with another pulse, is a new measurement; the
 * reading shown by the first message after the port opened has no known
 * time.
 */
Test(driver_ivy, a_repeated_cuff_reading_keeps_its_measurement_time)
{
	static const struct {
		const char *nibp;  /* the NIBP record */
		int age_s;         /* the age reported; -1: untimed, -2: no value */
	} msgs[] = {
	    {"NIBP=4;118;70;86;75;;", -1}, /* shown when the port opened */
	    {"NIBP=4;118;70;86;75;;", -1},
	    {"NIBP=4;121;75;92;80;;", 0},  /* measured */
	    {"NIBP=4;121;75;92;80;;", 1},
	    {"NIBP=4;121;75;92;80;;", 2},
	    {"NIBP=4;121;75;92;84;;", 0},  /* the same pressures, measured again */
	    {"NIBP=4;121;75;92;84;;", 1},
	    {"NIBP=4;;;;;;", -2},           /* cleared on the monitor */
	    {"NIBP=4;121;75;92;84;;", 0},   /* measured again */
	    {"NIBP=4;121;75;92;84;;", 1},
	};
	const struct vt_driver *d = vt_driver_find("ivy-ansarb");
	cr_assert_not_null(d);
	void *state = malloc(d->state_size);
	cr_assert_not_null(state);
	d->reset(state, NULL);
	struct vt_rig_collect got = {0};
	for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, "HR=1;80;ECG-II-DIAG;\r%s\r", msgs[i].nibp);
		struct s_buf b = {.n = 0};
		s_msg(&b, text);
		struct vt_driver_sink sink = vt_rig_collect_sink(&got);
		sink.now = 1000000 + (int64_t)i * 1000;
		d->feed(state, b.b, b.n, &sink);
		cr_assert_eq(got.count, i + 1);
		const struct vt_reading *r = &got.readings[i];
		for (enum vt_param p = VT_NIBP_SYS; p <= VT_NIBP_MAP; p++) {
			bool timed = r->timed & VT_PARAM_BIT(p);
			if (msgs[i].age_s == -2)
				cr_expect(!(r->valid & VT_PARAM_BIT(p)) && !timed, "message %zu", i);
			else if (msgs[i].age_s == -1)
				cr_expect((r->valid & VT_PARAM_BIT(p)) && !timed, "message %zu: untimed", i);
			else
				cr_expect(timed && r->age_ms[p] == msgs[i].age_s * 1000,
				          "message %zu: %s age %lld ms, not %d s", i, vt_param_info(p)->name,
				          timed ? (long long)r->age_ms[p] : -1LL, msgs[i].age_s);
		}
	}
	vt_rig_collect_free(&got);
	free(state);
}

/* Messages that must be dropped whole, each between two good ones. */
static const struct {
	const char *name, *text;
} s_bads[] = {
	{"letter in a value", "HR=1;8O;;\r"},
	{"sign", "HR=1;-80;;\r"},
	{"two points", "ETCO2=1;3.8.5;;\r"},
	{"SpO2 above 100", "SPO2=1;101;PR=80 ;\r"},
	{"heart rate beyond any heart", "HR=1;400;;\r"},
	{"more fields than the count", "HR=1;80;81;ECG;\r"},
	{"fewer fields than the count", "NIBP=4;121;75;92;\r"},
	{"a known record with another count", "HR=2;80;81;;\r"},
	{"the same record twice", "HR=1;80;;\rHR=1;81;;\r"},
	{"count zero", "HR=0;;\r"},
	{"no count", "HR=;80;;\r"},
	{"no closing separator", "HR=1;80;ECG\r"},
	{"lower-case label", "hr=1;80;;\r"},
	{"no label", "=1;80;;\r"},
	{"a record without its CR", "HR=1;80;;"},
	{"no records at all", ""},
	{"only blank lines", "\r\r"},
	{"a line feed", "HR=1;80;;\r\n"},
	{"a control byte in the text", "HR=1;80;E\x01G;\r"},
};

Test(driver_ivy, bad_messages_are_dropped_whole)
{
	static const struct vt_reading hr70 = {.reported = P(HR), .valid = P(HR), .value = {[VT_HR] = 70}};
	for (size_t i = 0; i < sizeof s_bads / sizeof s_bads[0]; i++) {
		struct s_buf b = {.n = 0};
		s_msg(&b, "HR=1;70;;\r");
		s_msg(&b, s_bads[i].text);
		s_msg(&b, "HR=1;70;;\r");
		struct vt_rig_collect got = {0};
		struct vt_driver_stats st;
		s_feed(&b, &got, &st);
		cr_expect_eq(got.count, 2, "%s: %zu readings", s_bads[i].name, got.count);
		for (size_t k = 0; k < got.count; k++)
			s_expect_reading(&got.readings[k], &hr70, s_bads[i].name);
		cr_expect_eq(st.dropped, 1, "%s: dropped %llu", s_bads[i].name,
		             (unsigned long long)st.dropped);
		vt_rig_collect_free(&got);
	}
}

/* Framing faults: each costs the message it hits and nothing more. */
Test(driver_ivy, framing)
{
	struct vt_rig_collect got = {0};
	struct vt_driver_stats st;
	struct s_buf b = {.n = 0};

	/* The tail of a message the port opened in the middle of, then two whole ones. */
	s_put(&b, "\x80\x81" "HR=1;99;;\r\xfe", 13);
	s_msg(&b, CAPTURE_TEXT);
	s_msg(&b, CAPTURE_TEXT);
	s_feed(&b, &got, &st);
	cr_expect_eq(got.count, 2);
	cr_expect_eq(st.discarded, 13);
	cr_expect_eq(st.dropped, 0);
	vt_rig_collect_free(&got);

	/* A message cut short by the next one's start. */
	b.n = 0;
	s_msg(&b, CAPTURE_TEXT);
	b.n -= 30;
	s_msg(&b, CAPTURE_TEXT);
	s_feed(&b, &got, &st);
	cr_expect_eq(got.count, 1);
	cr_expect_eq(st.dropped, 1);
	vt_rig_collect_free(&got);

	/* Cut inside its waveform; and an end byte inside a waveform. */
	b.n = 0;
	s_msg(&b, CAPTURE_TEXT);
	b.n -= strlen(CAPTURE_TEXT) + 1 + 200;
	s_msg(&b, CAPTURE_TEXT);
	s_put(&b, "\xff" "ANSAR-B \x10\x11\xfe", 12);
	s_msg(&b, CAPTURE_TEXT);
	s_feed(&b, &got, &st);
	cr_expect_eq(got.count, 2);
	cr_expect_eq(st.dropped, 2);
	vt_rig_collect_free(&got);

	/* 0xFF that does not start "ANSAR-B " is noise, as is a start cut short. */
	b.n = 0;
	s_put(&b, "\xff" "ANSAR-X", 8);
	s_put(&b, "\xff" "ANS", 4);
	s_msg(&b, CAPTURE_TEXT);
	s_feed(&b, &got, &st);
	cr_expect_eq(got.count, 1);
	cr_expect_eq(st.discarded, 12);
	cr_expect_eq(st.dropped, 0);
	vt_rig_collect_free(&got);
}

/* Text with no end byte in sight is dropped at the bound and the stream goes on. */
Test(driver_ivy, overlong_text)
{
	static char text[2000];
	for (size_t i = 0; i + 10 < sizeof text; i += 10)
		memcpy(text + i, "HR=1;80;;\r", 10);
	text[sizeof text - 1] = '\0';
	struct s_buf b = {.n = 0};
	s_msg(&b, text);
	s_msg(&b, CAPTURE_TEXT);
	struct vt_rig_collect got = {0};
	struct vt_driver_stats st;
	s_feed(&b, &got, &st);
	cr_expect_eq(got.count, 1);
	if (got.count == 1)
		s_expect_reading(&got.readings[0], &s_capture_reading, "after the overlong one");
	cr_expect_eq(st.dropped, 1);
	vt_rig_collect_free(&got);
}

/* Random bytes in front of good messages never make a reading of their own. */
Test(driver_ivy, random_garbage_in_front)
{
	static struct s_buf b;
	for (uint32_t seed = 1; seed <= 50; seed++) {
		uint32_t r = seed;
		b.n = 0;
		for (size_t i = 0; i < 4096; i++) {
			uint8_t c = (uint8_t)vt_rig_rand(&r);
			s_put(&b, &c, 1);
		}
		for (int k = 0; k < 5; k++)
			s_msg(&b, CAPTURE_TEXT);
		struct vt_rig_collect got = {0};
		struct vt_driver_stats st;
		s_feed(&b, &got, &st);
		cr_expect_eq(got.count, 5, "seed %u: %zu readings", seed, got.count);
		for (size_t k = 0; k < got.count; k++)
			s_expect_reading(&got.readings[k], &s_capture_reading, "after garbage");
		vt_rig_collect_free(&got);
	}
}

/* The real capture: a 252-byte tail, then 27 messages of a patient simulator. */
Test(driver_ivy, capture)
{
	size_t len;
	uint8_t *data = (uint8_t *)vt_rig_slurp(vt_rig_capture("ivy450c_ansarb_1.data"), &len);
	cr_assert_not_null(data);
	struct vt_rig_collect got = {0};
	struct vt_driver_stats st;
	cr_assert(vt_rig_feed_all(vt_driver_find("ivy-ansarb"), data, len, &got, &st));
	cr_assert_eq(got.count, 27);
	/* 121/75 (92) in every message: one measurement, taken before the
	 * capture began, so at a time the driver cannot know. */
	for (size_t k = 0; k < got.count; k++) {
		s_expect_reading(&got.readings[k], &s_capture_reading, "capture");
		cr_expect_eq(got.readings[k].timed, 0, "message %zu: the cuff reading is untimed", k);
	}
	cr_expect_eq(st.discarded, 252);
	cr_expect_eq(st.dropped, 0);
	vt_rig_collect_free(&got);
	free(data);
}
