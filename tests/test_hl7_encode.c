/*
 * Tests of what vitals-hl7 writes and reads: the PCD-01 and PCD-04
 * messages (vitals/hl7/pcd.h) read back with the project's HL7 reader,
 * text from outside escaped so that it cannot add a field or a segment,
 * the golden messages of the daemon's golden replays (tests/golden/hl7/,
 * rewritten on purpose by `make goldens`), the engine's acknowledgements
 * (vitals/hl7/ack.h) and the bridge's configuration file.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "vitals/drivers/hl7.h"
#include "vitals/hl7/ack.h"
#include "vitals/hl7/config.h"
#include "vitals/hl7/pcd.h"

static const struct vt_pcd_sender s_sender = {"VITALSD", "CLINIC", "MIRTH", "HOSP", 'P'};
static const struct vt_pcd_id s_id = {"0badcafe-42", 42, 1795253643120}; /* 2026-11-21T09:34:03.120Z */

/* The `nth` (from 1) segment `seg` of `msg`, opened in *m; false if there is none. */
static bool
s_segment(const char *msg, const char *seg, int nth, struct vt_hl7_msg *m, struct vt_hl7_str *s)
{
	char err[128];
	cr_assert_eq(vt_hl7_open(m, msg, strlen(msg), err, sizeof(err)), 0, "%s", err);
	size_t pos = 0;
	while (vt_hl7_segment(m, &pos, s))
		if (vt_hl7_is(*s, seg) && --nth == 0)
			return true;
	return false;
}

/* The text of field `n` of the `nth` segment `seg` of `msg`. */
static const char *
s_field(const char *msg, const char *seg, int nth, int n, char *buf, size_t len)
{
	struct vt_hl7_msg m;
	struct vt_hl7_str s;
	cr_assert(s_segment(msg, seg, nth, &m, &s), "no %s number %d in:\n%s", seg, nth, msg);
	vt_hl7_text(&m, vt_hl7_field(&m, s, n), buf, len);
	return buf;
}

/* How many times `sep` occurs in `msg`. */
static int
s_count(const char *msg, char sep)
{
	int n = 0;
	for (const char *p = msg; *p; p++)
		n += *p == sep;
	return n;
}

/* Field `field` of the OBX whose OBX-3 has code `code`; NULL if there is none. */
static const char *
s_obx(const char *msg, const char *code, int field, char *buf, size_t len)
{
	struct vt_hl7_msg m;
	struct vt_hl7_str s;
	char id[64];
	for (int i = 1; s_segment(msg, "OBX", i, &m, &s); i++) {
		vt_hl7_text(&m, vt_hl7_comp(&m, vt_hl7_field(&m, s, 3), 1), id, sizeof(id));
		if (strcmp(id, code) == 0) {
			vt_hl7_text(&m, vt_hl7_field(&m, s, field), buf, len);
			return buf;
		}
	}
	return NULL;
}

Test(pcd, r01_has_every_parameter_with_its_code_unit_and_place)
{
	struct vt_pcd_obs obs = {.time = 1795253640000};
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		obs.valid |= VT_PARAM_BIT(p);
		obs.value[p] = 10 + p + 0.5 * (p % 2);
	}
	obs.measured[VT_NIBP_SYS] = 1795253399000;
	struct vt_pcd_bed bed = {"chair-1", NULL, NULL};
	char msg[VT_PCD_MAX], buf[128], want[64], number[16];
	size_t len = vt_pcd_r01(msg, sizeof(msg), &s_sender, &bed, &s_id, &obs);
	cr_assert_gt(len, 0);
	cr_assert_eq(len, strlen(msg));
	cr_expect_str_eq(s_field(msg, "MSH", 1, 9, buf, sizeof(buf)), "ORU^R01^ORU_R01");
	cr_expect_str_eq(s_field(msg, "MSH", 1, 10, buf, sizeof(buf)), "0badcafe-42");
	cr_expect_str_eq(s_field(msg, "MSH", 1, 13, buf, sizeof(buf)), "42");
	cr_expect_str_eq(s_field(msg, "MSH", 1, 7, buf, sizeof(buf)), "20261121093403.120+0000");
	cr_expect_str_eq(s_field(msg, "PV1", 1, 3, buf, sizeof(buf)), "^^chair-1");
	cr_expect_str_eq(s_field(msg, "OBR", 1, 7, buf, sizeof(buf)), "20261121093400.000+0000");
	cr_expect_str_eq(s_field(msg, "OBX", 1, 4, buf, sizeof(buf)), "1.0.0.0", "the MDS row first");
	cr_expect_str_eq(s_field(msg, "OBX", 1, 18, buf, sizeof(buf)), "chair-1^VITALSD");
	char paths[VT_PARAM_COUNT][32];
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		const struct vt_param_info *pi = vt_param_info((enum vt_param)p);
		snprintf(number, sizeof(number), "%u", (unsigned)pi->mdc_code);
		const char *code = pi->mdc != NULL ? number : pi->name;
		cr_assert_not_null(s_obx(msg, code, 5, buf, sizeof(buf)), "no OBX for %s:\n%s", pi->name,
		                   msg);
		snprintf(want, sizeof(want), "%.10g", obs.value[p]);
		cr_expect_str_eq(buf, want, "%s's value", pi->name);
		s_obx(msg, code, 6, buf, sizeof(buf));
		const char *unit = strcmp(pi->unit, "%") == 0      ? "262688^MDC_DIM_PERCENT^MDC"
		                   : strcmp(pi->unit, "bpm") == 0  ? "264864^MDC_DIM_BEAT_PER_MIN^MDC"
		                   : strcmp(pi->unit, "/min") == 0 ? "264928^MDC_DIM_RESP_PER_MIN^MDC"
		                   : strcmp(pi->unit, "mmHg") == 0 ? "266016^MDC_DIM_MMHG^MDC"
		                                                   : "268192^MDC_DIM_DEGC^MDC";
		cr_expect_str_eq(buf, unit, "%s's unit", pi->name);
		s_obx(msg, code, 4, paths[p], sizeof(paths[p]));
		cr_expect_eq(s_count(paths[p], '.'), 3, "%s: OBX-4 %s is MDS.VMD.CHAN.METRIC", pi->name,
		             paths[p]);
		for (int q = 0; q < p; q++)
			cr_expect_str_neq(paths[p], paths[q], "%s and %s share a path", pi->name,
			                  vt_param_info((enum vt_param)q)->name);
		s_obx(msg, code, 11, buf, sizeof(buf));
		cr_expect_str_eq(buf, "R");
		s_obx(msg, code, 14, buf, sizeof(buf));
		cr_expect_str_eq(buf, p == VT_NIBP_SYS ? "20261121092959.000+0000" : "20261121093400.000+0000",
		                 "%s: OBX-14 is the measurement's own time for a spot value", pi->name);
		s_obx(msg, code, 17, buf, sizeof(buf));
		cr_expect_str_eq(buf, p == VT_NIBP_SYS ? "^APERIODIC" : "");
	}
	cr_expect_str_eq(paths[VT_SPO2], "1.1.1.1");
	cr_expect_str_eq(paths[VT_HR], "1.2.1.1");
}

Test(pcd, r01_leaves_out_missing_values_and_refuses_what_does_not_fit)
{
	struct vt_pcd_obs obs = {.time = 1000, .valid = VT_PARAM_BIT(VT_SPO2)};
	obs.value[VT_SPO2] = 97;
	obs.value[VT_PR] = 80; /* not valid: never sent */
	struct vt_pcd_bed bed = {"chair-2", "INF^2^CHAIR2", "00A0370000000002"};
	char msg[VT_PCD_MAX], buf[64];
	cr_assert_gt(vt_pcd_r01(msg, sizeof(msg), &s_sender, &bed, &s_id, &obs), 0);
	cr_expect_eq(s_count(msg, '\r'), 7, "MSH PID PV1 OBR, MDS, VMD and SpO2:\n%s", msg);
	cr_expect_null(s_obx(msg, "149530", 5, buf, sizeof(buf)), "a pulse rate without a value");
	cr_expect_str_eq(s_field(msg, "PV1", 1, 3, buf, sizeof(buf)), "INF^2^CHAIR2");
	cr_expect_str_eq(s_field(msg, "OBX", 3, 18, buf, sizeof(buf)), "00A0370000000002^VITALSD");
	size_t len = strlen(msg);
	cr_expect_eq(vt_pcd_r01(msg, len, &s_sender, &bed, &s_id, &obs), 0, "one byte short");
	cr_expect_eq(vt_pcd_r01(msg, len + 1, &s_sender, &bed, &s_id, &obs), len);
	obs.valid = 0;
	cr_expect_eq(vt_pcd_r01(msg, sizeof(msg), &s_sender, &bed, &s_id, &obs), 0, "no value at all");
}

/* The R40 rows by facet: 1 identity ... 7 type; a field of one, as s_field gives it. */
static const char *
s_facet(const char *msg, int facet, int field, char *buf, size_t len)
{
	/* OBX 1 is the MDS; facets 1..7 follow in order. */
	return s_field(msg, "OBX", facet + 1, field, buf, len);
}

Test(pcd, r40_rows_say_phase_state_inactivation_priority_and_type)
{
	struct vt_pcd_alarm a = {.uid = "3f9c0a1b2c3d/chair-1/spo2-low/3", .phase = VT_PCD_START,
	                         .time = 1795253643120, .priority = VT_PRIO_HIGH, .parameter = VT_SPO2,
	                         .has_value = true, .value = 86, .has_limit = true, .limit = 90,
	                         .direction = -1, .text = "SpO2 86 % below 90 % for 15 s"};
	struct vt_pcd_bed bed = {"chair-1", NULL, NULL};
	char msg[VT_PCD_MAX], buf[128];
	cr_assert_gt(vt_pcd_r40(msg, sizeof(msg), &s_sender, &bed, &s_id, &a), 0);
	cr_expect_str_eq(s_field(msg, "MSH", 1, 9, buf, sizeof(buf)), "ORU^R40^ORU_R40");
	cr_expect_str_eq(s_field(msg, "OBR", 1, 3, buf, sizeof(buf)),
	                 "3f9c0a1b2c3d/chair-1/spo2-low/3^VITALSD");
	cr_expect_str_eq(s_field(msg, "OBR", 1, 4, buf, sizeof(buf)), "196616^MDC_EVT_ALARM^MDC");
	cr_expect_str_eq(s_facet(msg, 1, 3, buf, sizeof(buf)), "196674^MDC_EVT_LO_VAL_LT_LIM^MDC");
	cr_expect_str_eq(s_facet(msg, 1, 5, buf, sizeof(buf)), "SpO2 86 % below 90 % for 15 s");
	cr_expect_str_eq(s_facet(msg, 1, 8, buf, sizeof(buf)), "L~PH~SP");
	cr_expect_str_eq(s_facet(msg, 2, 3, buf, sizeof(buf)), "150456^MDC_PULS_OXIM_SAT_O2^MDC");
	cr_expect_str_eq(s_facet(msg, 2, 5, buf, sizeof(buf)), "86");
	cr_expect_str_eq(s_facet(msg, 2, 6, buf, sizeof(buf)), "262688^MDC_DIM_PERCENT^MDC");
	cr_expect_str_eq(s_facet(msg, 2, 7, buf, sizeof(buf)), ">=90");
	static const char *const facets[][2] = {{"68481^MDC_ATTR_EVENT_PHASE^MDC", "start"},
	                                        {"68482^MDC_ATTR_ALARM_STATE^MDC", "active"},
	                                        {"68483^MDC_ATTR_ALARM_INACTIVATION_STATE^MDC", "enabled"},
	                                        {"68484^MDC_ATTR_ALARM_PRIORITY^MDC", "PH"},
	                                        {"68485^MDC_ATTR_ALERT_TYPE^MDC", "SP"}};
	for (int f = 3; f <= 7; f++) {
		cr_expect_str_eq(s_facet(msg, f, 3, buf, sizeof(buf)), facets[f - 3][0]);
		cr_expect_str_eq(s_facet(msg, f, 5, buf, sizeof(buf)), facets[f - 3][1]);
		s_facet(msg, f, 4, buf, sizeof(buf));
		char want[32];
		snprintf(want, sizeof(want), "1.1.1.1.%d", f);
		cr_expect_str_eq(buf, want, "the rows share the SpO2 metric's path");
	}
	/* The same alarm acknowledged, paused, escalated, ended. */
	struct {
		enum vt_pcd_phase phase;
		bool ack, silenced;
		const char *phase_text, *state, *inactivation;
	} cases[] = {{VT_PCD_UPDATE, true, false, "update", "active", "alert-acknowledged"},
	             {VT_PCD_UPDATE, false, true, "update", "active", "audio-paused"},
	             {VT_PCD_UPDATE, true, true, "update", "active", "alert-acknowledged"},
	             {VT_PCD_ESCALATE, false, false, "escalate", "active", "enabled"},
	             {VT_PCD_DEESCALATE, false, false, "deescalate", "active", "enabled"},
	             {VT_PCD_END, false, false, "end", "inactive", "enabled"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a.phase = cases[i].phase;
		a.acknowledged = cases[i].ack;
		a.silenced = cases[i].silenced;
		cr_assert_gt(vt_pcd_r40(msg, sizeof(msg), &s_sender, &bed, &s_id, &a), 0);
		cr_expect_str_eq(s_facet(msg, 3, 5, buf, sizeof(buf)), cases[i].phase_text);
		cr_expect_str_eq(s_facet(msg, 4, 5, buf, sizeof(buf)), cases[i].state);
		cr_expect_str_eq(s_facet(msg, 5, 5, buf, sizeof(buf)), cases[i].inactivation);
	}
}

Test(pcd, r40_of_a_technical_alarm_names_the_monitor_as_source)
{
	struct vt_pcd_alarm a = {.uid = "u/chair-1/comm-lost/1", .phase = VT_PCD_START, .time = 0,
	                         .technical = true, .priority = VT_PRIO_MEDIUM, .parameter = -1,
	                         .text = "No data from the monitor for 10 s"};
	struct vt_pcd_bed bed = {"chair-1", NULL, NULL};
	char msg[VT_PCD_MAX], buf[128];
	cr_assert_gt(vt_pcd_r40(msg, sizeof(msg), &s_sender, &bed, &s_id, &a), 0);
	cr_expect_str_eq(s_facet(msg, 1, 3, buf, sizeof(buf)), "196616^MDC_EVT_ALARM^MDC");
	cr_expect_str_eq(s_facet(msg, 1, 4, buf, sizeof(buf)), "1.0.0.0.1",
	                 "a technical alarm is the MDS's");
	cr_expect_str_eq(s_facet(msg, 1, 8, buf, sizeof(buf)), "A~PM~ST");
	cr_expect_str_eq(s_facet(msg, 2, 3, buf, sizeof(buf)), "68480^MDC_ATTR_ALERT_SOURCE^MDC");
	cr_expect_str_eq(s_facet(msg, 2, 5, buf, sizeof(buf)),
	                 "69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC");
	cr_expect_str_eq(s_facet(msg, 7, 5, buf, sizeof(buf)), "ST");
	/* A rise above a limit. */
	a = (struct vt_pcd_alarm){.uid = "u", .priority = VT_PRIO_LOW, .parameter = VT_PR,
	                          .has_value = true, .value = 131, .has_limit = true, .limit = 120,
	                          .direction = 1, .text = "PR high"};
	cr_assert_gt(vt_pcd_r40(msg, sizeof(msg), &s_sender, &bed, &s_id, &a), 0);
	cr_expect_str_eq(s_facet(msg, 1, 3, buf, sizeof(buf)), "196652^MDC_EVT_HI_VAL_GT_LIM^MDC");
	cr_expect_str_eq(s_facet(msg, 2, 7, buf, sizeof(buf)), "<=120");
	cr_expect_str_eq(s_facet(msg, 2, 8, buf, sizeof(buf)), "H~PL~SP");
}

Test(pcd, text_from_outside_cannot_add_a_field_or_a_segment)
{
	static const char hostile[] = "a|b^c&d~e\\f\rMSH|x\ny\x01z";
	struct vt_pcd_alarm a = {.uid = "u|1^x", .phase = VT_PCD_START, .priority = VT_PRIO_HIGH,
	                         .parameter = -1, .text = hostile};
	struct vt_pcd_bed bed = {"chair|1", NULL, "dev^ice\r"};
	struct vt_pcd_sender s = {"APP|X", "F^A", "R~C", "R\\F", 'T'};
	char msg[VT_PCD_MAX], buf[256];
	cr_assert_gt(vt_pcd_r40(msg, sizeof(msg), &s, &bed, &s_id, &a), 0);
	cr_expect_eq(s_count(msg, '\r'), 3 + 1 + 1 + 7, "MSH PID PV1 OBR and 8 OBX:\n%s", msg);
	s_facet(msg, 1, 5, buf, sizeof(buf));
	/* HL7 has no escape for the control bytes the reader would give back: \X..\ is dropped. */
	cr_expect_str_eq(buf, "a|b^c&d~e\\fMSH|xyz", "the text reads back:\n%s", msg);
	cr_expect_str_eq(s_field(msg, "MSH", 1, 3, buf, sizeof(buf)), "APP|X");
	cr_expect_str_eq(s_field(msg, "MSH", 1, 11, buf, sizeof(buf)), "T");
	cr_expect_str_eq(s_field(msg, "PV1", 1, 3, buf, sizeof(buf)), "^^chair|1");
	cr_expect_str_eq(s_field(msg, "OBR", 1, 3, buf, sizeof(buf)), "u|1^x^APP|X");
	cr_expect_eq(s_count(msg, '\n'), 0, "no LF on the wire");
	cr_expect(vt_pcd_plain("INF^2^CHAIR2", true));
	cr_expect(!vt_pcd_plain("INF^2^CHAIR2", false));
	cr_expect(!vt_pcd_plain("a|b", true) && !vt_pcd_plain("a\rb", true) && !vt_pcd_plain("a&b", true));
}

Test(pcd, times_are_utc_with_milliseconds)
{
	char t[40];
	cr_expect_str_eq(vt_pcd_time(0, t, sizeof(t)), "19700101000000.000+0000");
	cr_expect_str_eq(vt_pcd_time(1795253643120, t, sizeof(t)), "20261121093403.120+0000");
	cr_expect_str_eq(vt_pcd_time(951825599999, t, sizeof(t)), "20000229115959.999+0000");
	cr_expect_str_eq(vt_pcd_time(-1, t, sizeof(t)), "19691231235959.999+0000");
}

/* ---- the golden messages ---------------------------------------------------------- */

/*
 * `vitals-hl7 --replay` of a daemon golden replay gives the checked-in
 * messages: the whole way from published messages to HL7 text.
 */
static void
s_golden(const char *name)
{
	char input[256], golden[256];
	snprintf(input, sizeof(input), "tests/golden/%s.jsonl", name);
	snprintf(golden, sizeof(golden), "tests/golden/hl7/%s.hl7", name);
	char prog[4096];
	snprintf(prog, sizeof(prog), "%s", vt_rig_build("vitals-hl7"));
	char *argv[] = {prog, "-c", "tests/data/hl7/bridge.yaml", "--replay", input, NULL};
	struct vt_rig_output r;
	cr_assert_eq(vt_rig_run(argv, &r), 0, "vitals-hl7 --replay %s: %s", input, r.err);
	size_t len;
	char *want = vt_rig_slurp(vt_rig_root(golden), &len);
	cr_assert_not_null(want, "%s is missing; run `make goldens` and review it", golden);
	cr_expect(len == r.out_len && memcmp(want, r.out, len) == 0,
	          "%s: the messages differ from %s (`make goldens` rewrites it on purpose)", name,
	          golden);
	cr_expect_gt(s_count(r.out, 'M'), 3);
	free(want);
	vt_rig_output_free(&r);
}

Test(pcd, golden_tiered_desaturation)
{
	s_golden("depth-desaturation");
}

Test(pcd, golden_technical_alarms)
{
	s_golden("artefacts");
}

/* ---- acknowledgements ------------------------------------------------------------ */

Test(ack, codes_control_id_and_text)
{
	struct {
		const char *text;
		enum vt_ack_code code;
		const char *id, *why;
	} cases[] = {
	    {"MSH|^~\\&|MIRTH|H|VITALSD|C|20261121||ACK^R01^ACK|9|P|2.6\rMSA|AA|0badcafe-42", VT_ACK_ACCEPT,
	     "0badcafe-42", ""},
	    {"MSH|^~\\&|||||||ACK|9|P|2.6\rMSA|CA|x-1\r", VT_ACK_ACCEPT, "x-1", ""},
	    {"MSH|^~\\&|||||||ACK|9|P|2.6\nMSA|AE|x-2|database down\n", VT_ACK_ERROR, "x-2",
	     "database down"},
	    {"MSH|^~\\&|||||||ACK|9|P|2.6\rMSA|AR|x-3\rERR||||E||||Unknown \\F\\ profile", VT_ACK_REJECT,
	     "x-3", "Unknown | profile"},
	    {"MSH|^~\\&|||||||ACK|9|P|2.6\rMSA|CR|x-4\rERR|MSH^1^21", VT_ACK_REJECT, "x-4", "MSH^1^21"},
	    {"MSH|^~\\&|||||||ACK|9|P|2.6\rMSA|CE|x-5", VT_ACK_ERROR, "x-5", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vt_ack a;
		char err[128];
		cr_assert_eq(vt_ack_parse(cases[i].text, strlen(cases[i].text), &a, err, sizeof(err)), 0,
		             "case %zu: %s", i, err);
		cr_expect_eq(a.code, cases[i].code, "case %zu", i);
		cr_expect_str_eq(a.control_id, cases[i].id, "case %zu", i);
		cr_expect_str_eq(a.text, cases[i].why, "case %zu", i);
	}
	static const char *const bad[] = {"", "MSA|AA|1", "MSH|^~\\&|||||||ACK|9|P|2.6\r",
	                                  "MSH|^~\\&|||||||ACK|9|P|2.6\rMSA|OK|1", "MSH|^\rMSA|AA|1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vt_ack a;
		char err[128] = "";
		cr_expect_eq(vt_ack_parse(bad[i], strlen(bad[i]), &a, err, sizeof(err)), -1, "bad %zu", i);
		cr_expect_neq(err[0], '\0', "bad %zu says why", i);
	}
}

/* ---- the configuration ------------------------------------------------------------- */

static struct vt_bridge_config *
s_parse(const char *text, struct vt_diag *d)
{
	return vt_bridge_config_parse("hl7.yaml", text, strlen(text), d);
}

Test(bridge_config, defaults_and_beds)
{
	struct vt_diag d = {0};
	struct vt_bridge_config *cfg = s_parse("publish: tcp://127.0.0.1:5556\n"
	                                       "control: tcp://127.0.0.1:5557\n"
	                                       "engine: '[::1]:6661'\n"
	                                       "beds:\n"
	                                       "  - {bed: chair-1, location: INF^1^C1, interval: 30s}\n"
	                                       "  - {bed: chair-2, interval: 0s, device: ABC}\n",
	                                       &d);
	cr_assert_not_null(cfg, "%s", d.count ? d.entries[0].message : "");
	cr_expect_str_eq(cfg->engine_host, "::1");
	cr_expect_str_eq(cfg->engine_port, "6661");
	cr_expect_eq(cfg->ack_timeout_ms, 10000);
	cr_expect_eq(cfg->retry_ms, 1000);
	cr_expect_eq(cfg->retry_max_ms, 60000);
	cr_expect_eq(cfg->reject_after, 5);
	cr_expect_eq(cfg->queue_max, 10000);
	cr_expect_eq(cfg->interval_ms, 60000);
	cr_expect_str_eq(cfg->queue_dir, "/var/lib/vitals-hl7");
	cr_expect_str_eq(cfg->sending_application, "VITALSD");
	cr_expect_str_eq(cfg->processing_id, "P");
	cr_expect_null(cfg->server_key);
	const struct vt_bridge_bed *b1 = vt_bridge_config_bed(cfg, "chair-1");
	const struct vt_bridge_bed *b2 = vt_bridge_config_bed(cfg, "chair-2");
	cr_assert(b1 != NULL && b2 != NULL);
	cr_expect_str_eq(b1->location, "INF^1^C1");
	cr_expect_eq(b1->interval_ms, 30000);
	cr_expect_null(b1->device);
	cr_expect_eq(b2->interval_ms, 0);
	cr_expect_str_eq(b2->device, "ABC");
	cr_expect_null(vt_bridge_config_bed(cfg, "chair-3"));
	vt_bridge_config_free(&cfg);
	cr_expect_null(cfg);
}

Test(bridge_config, every_error_at_its_line_and_column)
{
	struct vt_diag d = {0};
	struct vt_bridge_config *cfg = s_parse("publish: tcp://127.0.0.1:5556\n"      /* 1 */
	                                       "control: nowhere\n"                   /* 2 */
	                                       "engine: mirth\n"                      /* 3 */
	                                       "retry: 10s\n"                         /* 4 */
	                                       "retry_max: 5s\n"                      /* 5 */
	                                       "queue_max: 0\n"                       /* 6 */
	                                       "interval: 200ms\n"                    /* 7 */
	                                       "sending_facility: 'A|B'\n"            /* 8 */
	                                       "processing_id: X\n"                   /* 9 */
	                                       "colour: blue\n"                       /* 10 */
	                                       "beds:\n"                              /* 11 */
	                                       "  - {bed: chair-1, location: 'a&b'}\n" /* 12 */
	                                       "  - {bed: chair-1}\n",                /* 13 */
	                                       &d);
	cr_expect_null(cfg);
	static const int lines[] = {2, 3, 5, 6, 7, 8, 9, 10, 12, 13};
	cr_assert_eq(d.count, sizeof(lines) / sizeof(lines[0]), "%zu errors", d.count);
	for (size_t i = 0; i < d.count; i++) {
		cr_expect_eq(d.entries[i].line, lines[i], "error %zu (%s) on line %d", i,
		             d.entries[i].message, d.entries[i].line);
		cr_expect_gt(d.entries[i].column, 0);
	}
	cr_expect(strstr(d.entries[2].message, "retry_max") != NULL, "%s", d.entries[2].message);
	cr_expect(strstr(d.entries[9].message, "chair-1") != NULL, "%s", d.entries[9].message);
	vt_diag_clear(&d);
	cfg = s_parse("publish: tcp://127.0.0.1:5556\n", &d);
	cr_expect_null(cfg);
	cr_expect_geq(d.count, 1, "control and engine are required");
	vt_diag_clear(&d);
}
