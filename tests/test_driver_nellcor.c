/*
 * Tests for the Nellcor real-time ASCII driver. Lines are built from the
 * N-560 capture's layout and the status codes of the device-protocol
 * reference; the capture itself is read from the shared folder when it is
 * there. Every case is fed whole, byte by byte and in random chunks.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/drivers/driver.h"

#define P(x) VT_PARAM_BIT(VT_##x)
#define IN(s) s, sizeof(s) - 1

#define H1 "N-560    VERSION 1.61.00    CRC:XXXX  SpO2 Limit: 95-100%    PR Limit: 59-148BPM\r\n"
#define H2 "                             ADULT           25SAT-S \r\n"
#define H3 "TIME                 %SpO2   BPM     PA     Status\r\n"
#define HEADER H1 H2 H3
#define DATA(sp, bpm, pa, codes)                                                            \
	"07-Jan-04 11:24:50   " sp "     " bpm "      " pa "    " codes "\r\n"
#define GOOD DATA("100", "105", " 88", "          AO")

#define READING(sp, pr, fl)                                                                 \
	{                                                                                   \
		.reported = P(SPO2) | P(PR), .valid = P(SPO2) | P(PR),                      \
		.value = {[VT_SPO2] = (sp), [VT_PR] = (pr)}, .flags = (fl), .has_status = true \
	}
#define GOOD_READING READING(100, 105, VT_FLAG_DEVICE_SILENCED)

static const struct vt_device_info s_n560 = {
	.model = "N-560", .version = "1.61.00", .mode = "ADULT",
	.spo2_low = 95, .spo2_high = 100, .pr_low = 59, .pr_high = 148,
};

struct s_case {
	const char *name;
	const char *input;
	size_t len;
	size_t nexpect;
	struct vt_reading expect[4];
	size_t ninfo;              /* 0 or 1 */
	struct vt_device_info info;
	size_t info_at;            /* readings before the info */
	uint64_t dropped;
};

static const struct s_case s_cases[] = {
	{"data line", IN(GOOD), 1, {GOOD_READING}, 0, {.model = ""}, 0, 0},
	{"motion", IN(DATA("100", "102", " 36", "MO             AO")), 1,
	 {READING(100, 102, VT_FLAG_ARTIFACT | VT_FLAG_DEVICE_SILENCED)}, 0, {.model = ""}, 0, 0},
	{"no codes", IN(DATA("97", "61", "12", "")), 1, {READING(97, 61, 0)}, 0, {.model = ""}, 0, 0},
	{"LF only and tabs", IN("07-Jan-04 11:24:50\t97\t61\t12\tAO\n"), 1,
	 {READING(97, 61, VT_FLAG_DEVICE_SILENCED)}, 0, {.model = ""}, 0, 0},
	{"no PA column", IN("07-Jan-04 11:24:50   97     61    AO\r\n"), 1,
	 {READING(97, 61, VT_FLAG_DEVICE_SILENCED)}, 0, {.model = ""}, 0, 0},
	{"value outside the device limits (*)", IN(DATA("85*", "130*", " 40", "SL PH")), 1,
	 {READING(85, 130, VT_FLAG_DEVICE_ALARM)}, 0, {.model = ""}, 0, 0},
	{"no value (---)", IN(DATA("---", "---", "---", "SO")), 1,
	 {{.reported = P(SPO2) | P(PR), .flags = VT_FLAG_SENSOR_OFF, .has_status = true}}, 0,
	 {.model = ""}, 0, 0},
	{"SpO2 only missing", IN(DATA("---", "72", "---", "PS")), 1,
	 {{.reported = P(SPO2) | P(PR), .valid = P(PR), .value = {[VT_PR] = 72},
	   .flags = VT_FLAG_PULSE_SEARCH, .has_status = true}},
	 0, {.model = ""}, 0, 0},
	{"unknown codes do not reject the line", IN(DATA("98", "70", "50", "BU ZZ AO")), 1,
	 {READING(98, 70, VT_FLAG_DEVICE_SILENCED)}, 0, {.model = ""}, 0, 0},
	{"heading then data", IN(HEADER GOOD), 1, {GOOD_READING}, 1, s_n560, 0, 0},
	{"data then heading", IN(GOOD GOOD HEADER), 2, {GOOD_READING, GOOD_READING}, 1, s_n560, 2,
	 0},
	{"heading without its titles", IN(H1 H2 GOOD), 1, {GOOD_READING}, 1, s_n560, 0, 0},
	{"first heading line partial", IN("Limit: 59-148BPM\r\n" H2 H3 GOOD), 1, {GOOD_READING}, 1,
	 {.mode = "ADULT", .spo2_low = NAN, .spo2_high = NAN, .pr_low = NAN, .pr_high = NAN}, 0,
	 0},
	{"first data line partial", IN("   100     105      88   AO\r\n" GOOD), 1, {GOOD_READING},
	 0, {.model = ""}, 0, 0},
	{"N-595 heading",
	 IN("NPB-595 VERSION 2.0.1 CRC:1A2B SpO2 Limit: 85- 100% PR Limit: 50 -120BPM\r\n"
	    "                             NEO   50SAT-S  SPO2 RESP MODE: FAST\r\n"
	    " TIME                 %SPO2   BPM     PA     Status\r\n" GOOD),
	 1, {GOOD_READING}, 1,
	 {.model = "NPB-595", .version = "2.0.1", .mode = "NEO", .spo2_low = 85,
	  .spo2_high = 100, .pr_low = 50, .pr_high = 120},
	 0, 0},
	{"INFO heading (no limits)", IN("N-595 VERSION 1.2.3 INFO CRC:ABCD SEC:12/01/99\r\n" H3 GOOD),
	 1, {GOOD_READING}, 1,
	 {.model = "N-595", .version = "1.2.3", .spo2_low = NAN, .spo2_high = NAN, .pr_low = NAN,
	  .pr_high = NAN},
	 0, 0},
	{"impossible limits are unknown",
	 IN("N-560 VERSION 1 CRC:0 SpO2 Limit: 100-95% PR Limit: 59-999BPM\r\n" H3), 0, {{0}}, 1,
	 {.model = "N-560", .version = "1", .spo2_low = NAN, .spo2_high = NAN, .pr_low = NAN,
	  .pr_high = NAN},
	 0, 0},
	{"interactive menu is ignored, and its stamped lines are not live",
	 IN(GOOD "NPB-595   Interactive Mode\r\n    1) Dump Instrument Info\r\n"
	         "    2) Set Date and Time\r\n    0) Exit Interactive Mode\r\n    Command?\r\n"
	         "07-Jan-04 09:00:00   80     50     20\r\n" H3 GOOD),
	 2, {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0, 1},
	{"XON/XOFF bytes are skipped", IN("07-Jan-04 11:24:50 \x13  100 \x11    105      88  AO\r\n"),
	 1, {GOOD_READING}, 0, {.model = ""}, 0, 0},
	{"blank lines", IN(GOOD "   \r\n\r\n" GOOD), 2, {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0,
	 0},

	/* Dropped lines, each between good ones. */
	{"bad month", IN(GOOD "07-Foo-04 11:24:50   100     105      88\r\n" GOOD), 2,
	 {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0, 1},
	{"letter in a value", IN(GOOD DATA("1O0", "105", "88", "") GOOD), 2,
	 {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0, 1},
	{"SpO2 above 100", IN(GOOD DATA("150", "105", "88", "") GOOD), 2,
	 {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0, 1},
	{"four digits", IN(GOOD DATA("100", "1050", "88", "") GOOD), 2,
	 {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0, 1},
	{"starred dashes", IN(GOOD DATA("---*", "105", "88", "") GOOD), 2,
	 {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0, 1},
	{"lower-case code", IN(GOOD DATA("100", "105", "88", "ao") GOOD), 2,
	 {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0, 1},
	{"three-letter code", IN(GOOD DATA("100", "105", "88", "AOX") GOOD), 2,
	 {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0, 1},
	{"timestamp only", IN(GOOD "07-Jan-04 11:24:50\r\n" GOOD), 2, {GOOD_READING, GOOD_READING},
	 0, {.model = ""}, 0, 1},
	{"one value only", IN(GOOD "07-Jan-04 11:24:50   100\r\n" GOOD), 2,
	 {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0, 1},
	{"truncated line", IN(GOOD "07-Jan-04 11:24:50   10\r\n" GOOD), 2,
	 {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0, 1},
	{"control byte", IN(GOOD "07-Jan-04 11:24:50   100 \x02    105      88\r\n" GOOD), 2,
	 {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0, 1},
	{"two lines run together", IN(GOOD "07-Jan-04 11:24:50   100     105      88    AO"
	                                   "07-Jan-04 11:24:52   100     105      88    AO\r\n" GOOD),
	 2, {GOOD_READING, GOOD_READING}, 0, {.model = ""}, 0, 1},
	{"garbage line", IN(GOOD "%$#@! random text\r\n" GOOD), 2, {GOOD_READING, GOOD_READING},
	 0, {.model = ""}, 0, 1},
};

Test(driver_nellcor, table)
{
	const struct vt_driver *d = vt_driver_find("nellcor-ascii");
	cr_assert_not_null(d);
	for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
		const struct s_case *c = &s_cases[i];
		struct vt_rig_collect got = {0};
		struct vt_driver_stats st;
		bool same = vt_rig_feed_all(d, (const uint8_t *)c->input, c->len, &got, &st);
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
		cr_expect_eq(got.ninfo, c->ninfo, "%s: %zu infos", c->name, got.ninfo);
		if (got.ninfo == 1 && c->ninfo == 1) {
			const struct vt_device_info *g = &got.infos[0];
			cr_expect(vt_rig_info_equal(g, &c->info),
			          "%s: info {%s %s %s %g-%g %g-%g}", c->name, g->model, g->version,
			          g->mode, g->spo2_low, g->spo2_high, g->pr_low, g->pr_high);
			cr_expect_eq(got.info_at[0], c->info_at, "%s: info after %zu readings", c->name,
			             got.info_at[0]);
		}
		cr_expect_eq(st.records, got.count, "%s", c->name);
		cr_expect_eq(st.bytes, c->len, "%s", c->name);
		cr_expect_eq(st.dropped, c->dropped, "%s: dropped %llu, expected %llu", c->name,
		             (unsigned long long)st.dropped, (unsigned long long)c->dropped);
		vt_rig_collect_free(&got);
	}
}

/* Every documented status code alone. */
Test(driver_nellcor, every_status_code)
{
	static const struct {
		const char *code;
		uint32_t flags;
	} codes[] = {
		{"SO", VT_FLAG_SENSOR_OFF},
		{"SD", VT_FLAG_NO_SENSOR},
		{"MO", VT_FLAG_ARTIFACT},
		{"LP", VT_FLAG_LOSS_OF_PULSE},
		{"PS", VT_FLAG_PULSE_SEARCH},
		{"LM", VT_FLAG_LOSS_OF_PULSE | VT_FLAG_ARTIFACT},
		{"LB", VT_FLAG_LOW_BATTERY},
		{"AO", VT_FLAG_DEVICE_SILENCED},
		{"AS", VT_FLAG_DEVICE_SILENCED},
		{"SL", VT_FLAG_DEVICE_ALARM},
		{"SH", VT_FLAG_DEVICE_ALARM},
		{"PL", VT_FLAG_DEVICE_ALARM},
		{"PH", VT_FLAG_DEVICE_ALARM},
		{"BU", 0},
	};
	const struct vt_driver *d = vt_driver_find("nellcor-ascii");
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		char line[128];
		int n = snprintf(line, sizeof line, "07-Jan-04 11:24:50   93     88      40    %s\r\n",
		                 codes[i].code);
		struct vt_rig_collect got = {0};
		cr_assert(vt_rig_feed_all(d, (const uint8_t *)line, (size_t)n, &got, NULL));
		cr_assert_eq(got.count, 1, "%s", codes[i].code);
		cr_expect_eq(got.readings[0].flags, codes[i].flags, "%s: flags 0x%x, expected 0x%x",
		             codes[i].code, (unsigned)got.readings[0].flags, (unsigned)codes[i].flags);
		cr_expect(got.readings[0].has_status);
		cr_expect_eq(got.readings[0].value[VT_SPO2], 93);
		vt_rig_collect_free(&got);
	}
}

/* An overlong line is dropped and the stream goes on. */
Test(driver_nellcor, overlong_line)
{
	const struct vt_driver *d = vt_driver_find("nellcor-ascii");
	static char buf[4096];
	size_t n = 0;
	memcpy(buf, GOOD, strlen(GOOD));
	n = strlen(GOOD);
	memcpy(buf + n, "07-Jan-04 11:24:50   100     105      88", 40);
	n += 40;
	while (n < 1500)
		buf[n++] = ' ';
	memcpy(buf + n, "AO\r\n" GOOD, strlen("AO\r\n" GOOD));
	n += strlen("AO\r\n" GOOD);
	struct vt_rig_collect got = {0};
	struct vt_driver_stats st;
	cr_assert(vt_rig_feed_all(d, (const uint8_t *)buf, n, &got, &st));
	cr_expect_eq(got.count, 2);
	cr_expect_eq(st.dropped, 1);
	vt_rig_collect_free(&got);
}

/* 4 KiB of random bytes in front of a valid stream cost at most the line
 * they run into and never produce a reading of their own. */
Test(driver_nellcor, random_garbage_in_front)
{
	const struct vt_driver *d = vt_driver_find("nellcor-ascii");
	enum { NGARBAGE = 4096, NLINES = 20 };
	static const struct vt_reading want = GOOD_READING;
	static uint8_t buf[NGARBAGE + NLINES * 100 + 256];
	for (uint32_t seed = 1; seed <= 50; seed++) {
		uint32_t r = seed;
		for (size_t i = 0; i < NGARBAGE; i++)
			buf[i] = (uint8_t)vt_rig_rand(&r);
		size_t n = NGARBAGE;
		memcpy(buf + n, HEADER, strlen(HEADER));
		n += strlen(HEADER);
		for (int k = 0; k < NLINES; k++) {
			memcpy(buf + n, GOOD, strlen(GOOD));
			n += strlen(GOOD);
		}
		struct vt_rig_collect got = {0};
		cr_assert(vt_rig_feed_all(d, buf, n, &got, NULL), "seed %u", seed);
		cr_expect_eq(got.count, NLINES, "seed %u: %zu readings", seed, got.count);
		for (size_t k = 0; k < got.count; k++)
			cr_expect(vt_rig_reading_equal(&got.readings[k], &want), "seed %u reading %zu",
			          seed, k);
		/* The heading's first line is the one the noise runs into. */
		cr_expect_eq(got.ninfo, 1, "seed %u", seed);
		if (got.ninfo == 1)
			cr_expect_str_eq(got.infos[0].mode, "ADULT");
		vt_rig_collect_free(&got);
	}
}

/* Real N-560 output: five data lines, then the heading. */
Test(driver_nellcor, capture)
{
	size_t len;
	uint8_t *data = (uint8_t *)vt_rig_slurp(vt_rig_capture("nellcor_n560_ascii_hansmuc.txt"), &len);
	cr_assert_not_null(data);
	struct vt_rig_collect got = {0};
	struct vt_driver_stats st;
	cr_assert(vt_rig_feed_all(vt_driver_find("nellcor-ascii"), data, len, &got, &st));
	static const struct vt_reading want[] = {
		READING(100, 105, VT_FLAG_DEVICE_SILENCED),
		READING(100, 104, VT_FLAG_DEVICE_SILENCED),
		READING(100, 102, VT_FLAG_DEVICE_SILENCED | VT_FLAG_ARTIFACT),
		READING(100, 101, VT_FLAG_DEVICE_SILENCED | VT_FLAG_ARTIFACT),
		READING(100, 101, VT_FLAG_DEVICE_SILENCED),
	};
	cr_assert_eq(got.count, 5);
	for (size_t k = 0; k < 5; k++) {
		char a[256];
		cr_expect(vt_rig_reading_equal(&got.readings[k], &want[k]), "line %zu: {%s}", k + 1,
		          vt_rig_reading_str(&got.readings[k], a, sizeof a));
	}
	cr_expect_eq(st.dropped, 0);
	cr_assert_eq(got.ninfo, 1);
	cr_expect(vt_rig_info_equal(&got.infos[0], &s_n560));
	cr_expect_eq(got.info_at[0], 5);
	vt_rig_collect_free(&got);
	free(data);
}
