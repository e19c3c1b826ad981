/*
 * Tests for IHE PCD over HL7 v2 (hl7_pcd.h): observations, alarms, who sent
 * a message, acknowledgements. The messages here are written from the
 * profile and the vendor quirks of shared/reference/hl7-pcd.md (codes,
 * units, containment, alarm rows as Mindray, GE and Draeger send them); the
 * real Mindray messages are read from the shared captures when they are
 * there (they carry no licence and are never copied into the tree).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/base/timefmt.h"
#include "vitals/drivers/hl7_pcd.h"

#define P(x) VT_PARAM_BIT(VT_##x)

/* A monitor's numerics, one of each kind of row the profile allows. */
#define OBS                                                                                 \
	"MSH|^~\\&|MON^0123456789ABCDEF^EUI-64|FAC|||20261121100000+0100||ORU^R01^ORU_R01|42|P|" \
	"2.6|||AL|NE\r"                                                                           \
	"PID|||^^^H^PI\r"                                                                         \
	"PV1||I|ICU^^12\r"                                                                        \
	"OBR|1|||182777000^monitoring of patient^SCT|||20261121100000+0100\r"                    \
	"OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0|||||||X\r"                 \
	"OBX|2|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.147842|72|264864^MDC_DIM_BEAT_PER_MIN^MDC|" \
	"50-120||||R\r"                                                                           \
	"OBX|3|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.2.1.150456|97|262688^MDC_DIM_PERCENT^MDC|||" \
	"||R\r"                                                                                   \
	"OBX|4|NM|149530^MDC_PULS_OXIM_PULS_RATE^MDC|1.2.1.149530|71|/min^/min^UCUM|||||F\r"      \
	"OBX|5|NM|151578^MDC_TTHOR_RESP_RATE^MDC|1.3.1.151578|18|264928^MDC_DIM_RESP_PER_MIN^MDC" \
	"|||||R\r"                                                                                \
	"OBX|6|NM|151594^MDC_CO2_RESP_RATE^MDC|1.4.1.151594|16|264928^MDC_DIM_RESP_PER_MIN^MDC|" \
	"||||R\r"                                                                                 \
	"OBX|7|NM|151712^MDC_CONC_AWAY_CO2_EXP^MDC|1.4.1.151712|5.0|kPa^kPa^UCUM|||||R\r"         \
	"OBX|8|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.5.1.150021|128|266016^MDC_DIM_MMHG^MDC|" \
	"||||R|||20261121095500+0100\r"                                                           \
	"OBX|9|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.5.1.150022|81|mm[Hg]^mm[Hg]^UCUM|||||R||" \
	"|20261121095500+0100\r"                                                                  \
	"OBX|10|NM|150023^MDC_PRESS_BLD_NONINV_MEAN^MDC|1.5.1.150023|97|266016^MDC_DIM_MMHG^MDC|" \
	"||||R|||20261121095500+0100\r"                                                           \
	"OBX|11|NM|150364^MDC_TEMP_BODY^MDC|1.6.1.150364|98.6|268160^MDC_DIM_FAHR^MDC|||||R|||" \
	"20261121095930+0100|||^APERIODIC\r"                                                      \
	"OBX|12|NM|150488^MDC_BLD_PERF_INDEX^MDC|1.2.1.150488|2.5|262688^MDC_DIM_PERCENT^MDC|||" \
	"||R\r"                                                                                   \
	"OBX|13|NA|131329^MDC_ECG_ELEC_POTL_I^MDC|1.7.6.131329|80^88^92|||||||R\r"               \
	"OBX|14|NM|108^MNDRY_ECG_PAUSE_RATE^99MNDRY|1.1.1.108|0||||||R\r"

static struct vt_hl7_msg
s_open(const char *text, size_t len)
{
	struct vt_hl7_msg m;
	char err[160];
	cr_assert_eq(vt_hl7_open(&m, text, len, err, sizeof err), 0, "%s", err);
	return m;
}

Test(hl7_pcd, observations_by_number_with_units_and_times)
{
	struct vt_hl7_msg m = s_open(OBS, strlen(OBS));
	cr_assert_eq(vt_hl7_kind(&m), VT_HL7_OBSERVATIONS);
	struct vt_reading r;
	struct vt_hl7_skips sk;
	int n = vt_hl7_observations(&m, &r, &sk);
	vt_param_mask all = P(HR) | P(SPO2) | P(PR) | P(RR) | P(ETCO2) | P(NIBP_SYS) | P(NIBP_DIA) |
	                    P(NIBP_MAP) | P(TEMP) | P(PI);
	cr_expect_eq(n, 10);
	cr_expect_eq(r.reported, all);
	cr_expect_eq(r.valid, all);
	cr_expect_eq(r.value[VT_HR], 72);
	cr_expect_eq(r.value[VT_SPO2], 97);
	cr_expect_eq(r.value[VT_PR], 71);
	cr_expect_eq(r.value[VT_RR], 16, "the capnograph's rate wins over impedance");
	cr_expect(fabs(r.value[VT_ETCO2] - 37.503) < 0.01, "5.0 kPa is %g mmHg", r.value[VT_ETCO2]);
	cr_expect_eq(r.value[VT_NIBP_SYS], 128);
	cr_expect_eq(r.value[VT_NIBP_DIA], 81);
	cr_expect_eq(r.value[VT_NIBP_MAP], 97);
	cr_expect(fabs(r.value[VT_TEMP] - 37.0) < 1e-9, "98.6 F is %g C", r.value[VT_TEMP]);
	cr_expect_eq(r.value[VT_PI], 2.5);
	/* Spot measurements keep their own time, as an age against MSH-7. */
	cr_expect_eq(r.spot & (P(NIBP_SYS) | P(TEMP)), P(NIBP_SYS) | P(TEMP));
	cr_expect_eq(r.timed, P(NIBP_SYS) | P(NIBP_DIA) | P(NIBP_MAP) | P(TEMP));
	cr_expect_eq(r.age_ms[VT_NIBP_SYS], 5 * 60 * 1000);
	cr_expect_eq(r.age_ms[VT_TEMP], 30 * 1000);
	cr_expect(!(r.spot & P(HR)), "continuous values are not spot measurements");
	cr_expect(r.has_status);
	cr_expect_eq(r.flags, 0);
	/* The private Mindray code; the hierarchy row and the waveform are not counted. */
	cr_expect_eq(sk.code, 1);
	cr_expect_eq(sk.unit + sk.value + sk.demo, 0);
}

/* One OBX in a minimal message, and what it gives. */
struct s_row {
	const char *name;
	const char *obx; /* after "OBX|1|" */
	enum vt_param p;
	bool valid;
	double v;
	uint32_t skip_unit, skip_value;
};

static const struct s_row s_rows[] = {
	{"empty value", "NM|147842^MDC_ECG_HEART_RATE^MDC|1|||||||R", VT_HR, false, 0, 0, 0},
	{"Mindray's -100", "NM|147842^MDC_ECG_HEART_RATE^MDC|1|-100|264864^^MDC|||||R", VT_HR, false, 0,
	 0, 1},
	{"-999", "NM|150456^^MDC|1|-999|262688^^MDC|||||R", VT_SPO2, false, 0, 0, 1},
	{"not a number", "NM|150456^^MDC|1|9x|262688^^MDC|||||R", VT_SPO2, false, 0, 0, 1},
	{"out of range", "NM|150456^^MDC|1|101|262688^^MDC|||||R", VT_SPO2, false, 0, 0, 1},
	{"spaces around", "NM|150456^^MDC|1| 96 |%^%^UCUM|||||R", VT_SPO2, true, 96, 0, 0},
	{"a rate needs no unit", "NM|149530^^MDC|1|64||||||F", VT_PR, true, 64, 0, 0},
	{"a rate in a pressure unit", "NM|149530^^MDC|1|64|266016^^MDC|||||F", VT_PR, false, 0, 1, 0},
	{"a pressure must say its unit", "NM|150021^^MDC|1|120||||||F", VT_NIBP_SYS, false, 0, 1, 0},
	{"Mindray's cuff code", "NM|150301^MDC_PRESS_CUFF_SYS^MDC|1.1.9.150301|147|266016^^MDC|||||R",
	 VT_NIBP_SYS, true, 147, 0, 0},
	{"the unit's number beats its name", "NM|150456^^MDC|1|93|262688^MDC_DIM_MILLI_VOLT^MDC|||||R",
	 VT_SPO2, true, 93, 0, 0},
	{"an unknown unit number", "NM|150456^^MDC|1|93|999999^^MDC|||||R", VT_SPO2, false, 0, 1, 0},
	{"a temperature must say its unit", "NM|188496^MDC_TEMP_AXIL^MDC|1|36.6||||||R", VT_TEMP,
	 false, 0, 1, 0},
	{"Celsius by UCUM", "NM|188496^MDC_TEMP_AXIL^MDC|1|36.6|Cel^Cel^UCUM|||||R", VT_TEMP, true, 36.6,
	 0, 0},
	{"EtCO2 in percent is not converted", "NM|151708^^MDC|1|5.0|%^%^UCUM|||||R", VT_ETCO2, false, 0,
	 1, 0},
	{"EtCO2 in mmHg", "NM|151728^^MDC|1|38|mm[Hg]^^UCUM|||||R", VT_ETCO2, true, 38, 0, 0},
};

Test(hl7_pcd, one_row_each)
{
	for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++) {
		char text[512];
		int n = snprintf(text, sizeof text, "MSH|^~\\&|A||||20261121100000||ORU^R01|1|P|2.6\r"
		                 "OBX|1|%s\r", s_rows[i].obx);
		struct vt_hl7_msg m = s_open(text, (size_t)n);
		struct vt_reading r;
		struct vt_hl7_skips sk;
		cr_expect_eq(vt_hl7_observations(&m, &r, &sk), 1, "%s", s_rows[i].name);
		cr_expect_eq(r.reported, VT_PARAM_BIT(s_rows[i].p), "%s", s_rows[i].name);
		cr_expect_eq((r.valid & VT_PARAM_BIT(s_rows[i].p)) != 0, s_rows[i].valid, "%s",
		             s_rows[i].name);
		if (s_rows[i].valid)
			cr_expect(fabs(r.value[s_rows[i].p] - s_rows[i].v) < 1e-9, "%s: %g", s_rows[i].name,
			          r.value[s_rows[i].p]);
		cr_expect_eq(sk.unit, s_rows[i].skip_unit, "%s: unit skips", s_rows[i].name);
		cr_expect_eq(sk.value, s_rows[i].skip_value, "%s: value skips", s_rows[i].name);
	}
}

Test(hl7_pcd, rows_that_are_not_values)
{
	/* Status X, D and W; a text row; none of them a value. */
	static const char text[] = "MSH|^~\\&|A||||20261121100000||ORU^R01|1|P|2.6\r"
	                           "OBX|1|NM|147842^^MDC|1|70||||||X\r"
	                           "OBX|2|NM|150456^^MDC|1|90|262688^^MDC|||||D\r"
	                           "OBX|3|NM|149530^^MDC|1|60||||||W\r"
	                           "OBX|4|ST|151562^^MDC|1|fast||||||R\r";
	struct vt_hl7_msg m = s_open(text, sizeof text - 1);
	struct vt_reading r;
	struct vt_hl7_skips sk;
	cr_expect_eq(vt_hl7_observations(&m, &r, &sk), 0);
	cr_expect_eq(r.reported, 0);
	cr_expect(!r.has_status);
}

Test(hl7_pcd, demo_data_is_never_a_value)
{
	static const char text[] =
	    "MSH|^~\\&|A||||20200212125541||ORU^R01^ORU_R01|13|P|2.6\r"
	    "OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.3.1.150456|100|262688^MDC_DIM_PERCENT^MDC||"
	    "DEMO|||R\r"
	    "OBX|2|NM|149530^MDC_PULS_OXIM_PULS_RATE^MDC|1.3.1.149530|80|264864^^MDC||N~DEMO|||R\r";
	struct vt_hl7_msg m = s_open(text, sizeof text - 1);
	struct vt_reading r;
	struct vt_hl7_skips sk;
	cr_expect_eq(vt_hl7_observations(&m, &r, &sk), 2);
	cr_expect_eq(r.reported, P(SPO2) | P(PR));
	cr_expect_eq(r.valid, 0);
	cr_expect_eq(r.flags, VT_FLAG_DEMO_DATA);
	cr_expect(r.has_status);
	cr_expect_eq(sk.demo, 2);
}

/* A row-by-row alarm: the rows, and what comes out. */
struct s_alarm_case {
	const char *name;
	const char *rows;
	size_t n;
	const char *code, *source, *text;
	enum vt_alert_kind kind;
	enum vt_priority prio;
	bool active;
	int param;
};

#define R40 "MSH|^~\\&|A||||20260124124738+0800||ORU^R40^ORU_R40|1|P|2.6\rPV1||I|HDU^507^3\r" \
	    "OBR|1|||196616^MDC_EVT_ALARM^MDC\r"

static const struct s_alarm_case s_alarms[] = {
	/* As Mindray sends lead-off (the capture's rows, codes 68480...). */
	{"Mindray lead off",
	 R40 "OBX|1|CWE|196616^MDC_EVT_ALARM^MDC|1.7.0.196680.1|196680^MDC_EVT_LEAD_OFF^MDC|||"
	     "A~PL~ST|||R\r"
	     "OBX|2|CWE|68480^MDC_ATTR_ALERT_SOURCE^MDC|1.7.0.196680.2|69953^MDC_DEV_MON_PT_PHYSIO_"
	     "MULTI_PARAM_MDS^MDC||||||R\r"
	     "OBX|3|ST|68481^MDC_ATTR_EVENT_PHASE^MDC|1.7.0.196680.3|start||||||R\r"
	     "OBX|4|ST|68482^MDC_ATTR_ALARM_STATE^MDC|1.7.0.196680.4|active||||||R\r"
	     "OBX|5|ST|68483^MDC_ATTR_ALARM_INACTIVATION_STATE^MDC|1.7.0.196680.5|||||||R\r"
	     "OBX|6|ST|68484^MDC_ATTR_ALARM_PRIORITY^MDC|1.7.0.196680.6|PL||||||R\r"
	     "OBX|7|ST|68485^MDC_ATTR_ALERT_TYPE^MDC|1.7.0.196680.7|ST||||||R\r",
	 1, "MDC_EVT_LEAD_OFF", "", "lead off", VT_KIND_TECHNICAL, VT_PRIO_LOW, true, -1},
	/* GE numbers the attributes differently; a physiological high on the heart rate ends. */
	{"GE-style codes, a high heart rate ending",
	 R40 "OBX|1|CWE|196616^MDC_EVT_ALARM^MDC|1.1.1.147842.1|196648^MDC_EVT_HI^MDC|||H~PH~SP|||F\r"
	     "OBX|2|NM|68164^MDC_ATTR_ALERT_SOURCE^MDC|1.1.1.147842.2|147842^MDC_ECG_HEART_RATE^MDC||||"
	     "||F\r"
	     "OBX|3|ST|68165^MDC_ATTR_EVENT_PHASE^MDC|1.1.1.147842.3|end||||||F\r"
	     "OBX|4|ST|68166^MDC_ATTR_ALERT_STATE^MDC|1.1.1.147842.4|inactive||||||F\r"
	     "OBX|5|ST|68484^MDC_ATTR_ALARM_PRIORITY^MDC|1.1.1.147842.6|PH||||||F\r"
	     "OBX|6|ST|68485^MDC_ATTR_ALERT_TYPE^MDC|1.1.1.147842.7|SP||||||F\r",
	 1, "MDC_EVT_HI", "MDC_ECG_HEART_RATE", "HR hi", VT_KIND_PHYSIOLOGICAL, VT_PRIO_HIGH, false,
	 VT_HR},
	/* Draeger: OBX-3 is the event itself, its text in OBX-5; no names on the facets. */
	{"Draeger-style event with text",
	 R40 "OBX|1|ST|196650^^MDC|1.2.3.4.1|PVC/min > 10||||||F\r"
	     "OBX|2|ST|68165|1.2.3.4.3|start||||||F\r"
	     "OBX|3|ST|68168|1.2.3.4.6|PM||||||F\r"
	     "OBX|4|ST|68485|1.2.3.4.7|SP||||||F\r",
	 1, "196650", "", "PVC/min > 10", VT_KIND_PHYSIOLOGICAL, VT_PRIO_MEDIUM, true, -1},
	/* A keep-alive raises nothing. */
	{"Draeger heartbeat",
	 R40 "OBX|1|CWE|196616^MDC_EVT_ALARM^MDC|1.0.0.0.1|258047^MDC_EVT_ACTIVE^MDC|||||F\r"
	     "OBX|2|ST|68484^MDC_ATTR_ALARM_PRIORITY^MDC|1.0.0.0.6|PN||||||F\r",
	 0, NULL, NULL, NULL, 0, 0, false, -1},
};

Test(hl7_pcd, alarms_as_three_vendors_send_them)
{
	for (size_t i = 0; i < sizeof s_alarms / sizeof s_alarms[0]; i++) {
		const struct s_alarm_case *c = &s_alarms[i];
		struct vt_hl7_msg m = s_open(c->rows, strlen(c->rows));
		cr_assert_eq(vt_hl7_kind(&m), VT_HL7_ALARMS);
		struct vt_device_alarm da[4];
		size_t n = vt_hl7_alarms(&m, da, 4);
		cr_assert_eq(n, c->n, "%s: %zu alarms", c->name, n);
		if (n == 0)
			continue;
		cr_expect_str_eq(da[0].code, c->code, "%s", c->name);
		cr_expect_str_eq(da[0].source, c->source, "%s", c->name);
		cr_expect_str_eq(da[0].text, c->text, "%s", c->name);
		cr_expect_eq(da[0].kind, c->kind, "%s", c->name);
		cr_expect_eq(da[0].priority, c->prio, "%s", c->name);
		cr_expect_eq(da[0].active, c->active, "%s", c->name);
		cr_expect_eq(da[0].param, c->param, "%s", c->name);
	}
}

Test(hl7_pcd, two_alarms_in_one_message)
{
	static const char text[] =
	    R40 "OBX|1|CWE|196616^MDC_EVT_ALARM^MDC|1.1.1.1.1|196648^MDC_EVT_HI^MDC|||H~PM~SP|||F\r"
	        "OBX|2|CWE|68480^MDC_ATTR_ALERT_SOURCE^MDC|1.1.1.1.2|150456^MDC_PULS_OXIM_SAT_O2^MDC||||"
	        "||F\r"
	        "OBX|3|CWE|196616^MDC_EVT_ALARM^MDC|1.2.1.1.1|196680^MDC_EVT_LEAD_OFF^MDC|||A~PL~ST|||F\r";
	struct vt_hl7_msg m = s_open(text, sizeof text - 1);
	struct vt_device_alarm da[4];
	cr_assert_eq(vt_hl7_alarms(&m, da, 4), 2);
	cr_expect_str_eq(da[0].text, "SpO2 hi");
	cr_expect_eq(da[0].priority, VT_PRIO_MEDIUM, "from OBX-8");
	cr_expect_eq(da[0].kind, VT_KIND_PHYSIOLOGICAL, "from OBX-8");
	cr_expect_str_eq(da[1].code, "MDC_EVT_LEAD_OFF");
	cr_expect_eq(vt_hl7_alarms(&m, da, 1), 1, "bounded by max");
}

Test(hl7_pcd, who_sent_it)
{
	struct vt_hl7_msg m = s_open(OBS, strlen(OBS));
	cr_expect(vt_hl7_from(&m, "ICU^^12"), "PV1-3 as sent");
	cr_expect(vt_hl7_from(&m, "icu^^12"), "in any case");
	cr_expect(vt_hl7_from(&m, "0123456789ABCDEF"), "MSH-3's EUI-64");
	cr_expect(!vt_hl7_from(&m, "ICU^^13"));
	cr_expect(!vt_hl7_from(&m, "ICU"));
	static const char gw[] = "MSH|^~\\&|GW||||20261121100000||ORU^R01|1|P|2.6\r"
	                         "PV1||I|HDU^507^3^^^\r"
	                         "OBX|1|NM|147842^^MDC|1|70||||||R|||||||080019FFFE1443EC^B40_GE\r";
	struct vt_hl7_msg g = s_open(gw, sizeof gw - 1);
	cr_expect(vt_hl7_from(&g, "HDU^507^3"), "trailing empty components do not count");
	cr_expect(vt_hl7_from(&g, "080019fffe1443ec"), "OBX-18's equipment id");
	cr_expect(!vt_hl7_from(&g, "B40_GE"));
}

Test(hl7_pcd, acknowledgements_are_golden)
{
	struct vt_hl7_msg m = s_open(OBS, strlen(OBS));
	int64_t now;
	cr_assert_eq(vt_time_parse("2026-11-21T09:00:01.500Z", &now), 0);
	uint8_t out[VT_HL7_ACK_MAX];
	size_t n = vt_hl7_ack(&m, "AA", NULL, now, 7, out, sizeof out);
	static const char aa[] = "\x0bMSH|^~\\&|VITALSD||MON^0123456789ABCDEF^EUI-64|FAC|"
	                         "20261121090001+0000||ACK^R01^ACK|VT7|P|2.6\rMSA|AA|42\r\x1c\r";
	cr_assert_eq(n, sizeof aa - 1, "%.*s", (int)n, (const char *)out);
	cr_expect_eq(memcmp(out, aa, n), 0, "%.*s", (int)n, (const char *)out);
	n = vt_hl7_ack(&m, "AE", "MSH-9 | empty", now, 8, out, sizeof out);
	static const char ae[] = "\x0bMSH|^~\\&|VITALSD||MON^0123456789ABCDEF^EUI-64|FAC|"
	                         "20261121090001+0000||ACK^R01^ACK|VT8|P|2.6\rMSA|AE|42|MSH-9 \\F\\ "
	                         "empty\rERR|||207^Application internal error^HL70357|E||||MSH-9 "
	                         "\\F\\ empty\r\x1c\r";
	cr_assert_eq(n, sizeof ae - 1, "%.*s", (int)n, (const char *)out);
	cr_expect_eq(memcmp(out, ae, n), 0, "%.*s", (int)n, (const char *)out);
	/* Not a message at all: still an answer. */
	n = vt_hl7_ack(NULL, "AE", "not HL7", now, 9, out, sizeof out);
	static const char none[] = "\x0bMSH|^~\\&|VITALSD||||20261121090001+0000||ACK^^ACK|VT9|P|2.6"
	                           "\rMSA|AE||not HL7\rERR|||207^Application internal error^HL70357|"
	                           "E||||not HL7\r\x1c\r";
	cr_assert_eq(n, sizeof none - 1, "%.*s", (int)n, (const char *)out);
	cr_expect_eq(memcmp(out, none, n), 0);
	cr_expect_eq(vt_hl7_ack(&m, "AA", NULL, now, 7, out, 20), 0, "too small: nothing");
}

Test(hl7_pcd, an_acknowledgement_of_anything_is_bounded_and_escaped)
{
	/* Other separators, huge fields, control bytes: the answer stays ours. */
	static char text[8192];
	int n = snprintf(text, sizeof text, "MSH#$*@%%#");
	for (int k = 0; k < 4; k++) {
		for (int i = 0; i < 600; i++)
			text[n++] = (char)("A|^~&\\"[i % 6]);
		text[n++] = '#';
	}
	n += snprintf(text + n, sizeof text - (size_t)n, "##ORU$R01#ID|^~\\&\x01#P#2.6");
	struct vt_hl7_msg m = s_open(text, (size_t)n);
	uint8_t out[VT_HL7_ACK_MAX];
	size_t len = vt_hl7_ack(&m, "AA", NULL, 0, 1, out, sizeof out);
	cr_assert_gt(len, 0);
	cr_assert_leq(len, VT_HL7_ACK_MAX);
	struct vt_hl7_msg ack = s_open((const char *)out + 1, len - 3);
	struct vt_hl7_str msa;
	cr_assert(vt_hl7_find(&ack, "MSA", &msa));
	char id[64];
	vt_hl7_text(&ack, vt_hl7_field(&ack, msa, 2), id, sizeof id);
	cr_expect_str_eq(id, "ID|^~\\&", "the control id comes back as it was");
	for (size_t i = 1; i + 2 < len; i++)
		cr_expect(out[i] >= 0x20 || out[i] == '\r', "control byte at %zu", i);
}

/* ---- the real Mindray messages (shared/captures) ---- */

static char *
s_capture(const char *name, size_t *len)
{
	const char *path = vt_rig_capture(name); /* skips the test where there are none */
	char *text = vt_rig_slurp(path, len);
	cr_assert_not_null(text);
	/* Files hold LF where the wire had CR. */
	for (size_t i = 0; i < *len; i++)
		if (text[i] == '\n')
			text[i] = '\r';
	return text;
}

Test(hl7_pcd, mindray_vs900_capture)
{
	size_t len;
	char *text = s_capture("mindray_vs900_oru_r01_embedded_a.hl7", &len);
	struct vt_hl7_msg m = s_open(text, len);
	struct vt_reading r;
	struct vt_hl7_skips sk;
	cr_expect_eq(vt_hl7_observations(&m, &r, &sk), 7);
	cr_expect_eq(r.valid, P(SPO2) | P(PR) | P(PI) | P(NIBP_SYS) | P(NIBP_DIA) | P(NIBP_MAP) |
	                          P(TEMP));
	cr_expect_eq(r.value[VT_SPO2], 99);
	cr_expect_eq(r.value[VT_PR], 94);
	cr_expect(fabs(r.value[VT_PI] - 0.94) < 1e-9);
	cr_expect_eq(r.value[VT_NIBP_SYS], 147);
	cr_expect_eq(r.value[VT_NIBP_DIA], 90);
	cr_expect_eq(r.value[VT_NIBP_MAP], 109);
	cr_expect(fabs(r.value[VT_TEMP] - 35.1) < 1e-9);
	/* Measured at 11:10:16 and 11:34:15, sent at 11:34:52. */
	cr_expect_eq(r.age_ms[VT_NIBP_SYS], (24 * 60 + 36) * 1000);
	cr_expect_eq(r.age_ms[VT_TEMP], 37 * 1000);
	cr_expect(vt_hl7_from(&m, "00A0370098007A80"));
	free(text);
}

Test(hl7_pcd, mindray_demo_mode_capture)
{
	size_t len;
	char *text = s_capture("mindray_vs900_oru_r01_demo_mode_embedded_b.hl7", &len);
	struct vt_hl7_msg m = s_open(text, len);
	struct vt_reading r;
	struct vt_hl7_skips sk;
	cr_expect_eq(vt_hl7_observations(&m, &r, &sk), 6);
	cr_expect_eq(r.valid, 0, "demo values are no patient values");
	cr_expect_eq(r.flags, VT_FLAG_DEMO_DATA);
	cr_expect_eq(sk.demo, 6);
	free(text);
}

Test(hl7_pcd, mindray_alarm_capture)
{
	size_t len;
	char *text = s_capture("mindray_oru_r40_r01_panda666789.hl7", &len);
	/* Two messages, a blank line between them: the first is the alarm. */
	char *second = strstr(text, "\r\rMSH|");
	cr_assert_not_null(second);
	struct vt_hl7_msg m = s_open(text, (size_t)(second - text));
	cr_assert_eq(vt_hl7_kind(&m), VT_HL7_ALARMS);
	struct vt_device_alarm da[2];
	cr_assert_eq(vt_hl7_alarms(&m, da, 2), 1);
	cr_expect_str_eq(da[0].code, "MDC_EVT_LEAD_OFF");
	cr_expect_eq(da[0].kind, VT_KIND_TECHNICAL);
	cr_expect_eq(da[0].priority, VT_PRIO_LOW);
	cr_expect(da[0].active);
	cr_expect(vt_hl7_from(&m, "HDU^507^3"));
	/* The second is a waveform message: no numerics. */
	struct vt_hl7_msg w = s_open(second + 2, len - (size_t)(second + 2 - text));
	struct vt_reading r;
	struct vt_hl7_skips sk;
	cr_expect_eq(vt_hl7_kind(&w), VT_HL7_OBSERVATIONS);
	cr_expect_eq(vt_hl7_observations(&w, &r, &sk), 0);
	free(text);
}
