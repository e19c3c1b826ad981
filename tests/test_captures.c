/*
 * Bytes that real monitors sent, through `vitalsd --replay` and the bed's
 * driver at the line speed. The captures carry no licence, so they are read
 * from outside the tree ($VITALS_CAPTURES, by default ../shared/captures),
 * never copied.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"

/* `vitalsd -c config --replay chair-1=CAPTURE` into r; skipped without the captures. */
static void
s_replay(const char *capture, const char *config, struct vt_rig_output *r)
{
	const char *cap = vt_rig_capture(capture);
	char spec[4200];
	snprintf(spec, sizeof(spec), "chair-1=%s", cap);
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", (char *)config, "--replay", spec,
	                NULL};
	vt_rig_run(argv, r);
	cr_assert_eq(r->status, 0, "%s", r->err);
}

Test(captures, nonin_df7_capture_replays_to_its_values)
{
	struct vt_rig_output r;
	s_replay("nonin_oem3_df7_60s.dat", "tests/data/captures.yaml", &r);
	/* The capture's README: 4-beat HR 92-101, SpO2 94-98, no alarm or sensor-off episode.
	 * The driver reports the display-mode values, which swing a little wider. */
	int vitals = 0, alerts = 0;
	char *save = NULL;
	for (char *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, NULL);
		cr_assert_not_null(o);
		const char *type = json_string_value(json_object_get(o, "type"));
		if (strcmp(type, "alert") == 0)
			alerts++;
		if (strcmp(type, "vitals") == 0) {
			json_t *v = json_object_get(o, "values");
			json_t *spo2 = json_object_get(v, "spo2"), *pr = json_object_get(v, "pr");
			if (json_is_number(spo2) && json_is_number(pr)) {
				vitals++;
				cr_expect(json_number_value(spo2) >= 93 && json_number_value(spo2) <= 99,
				          "SpO2 %g", json_number_value(spo2));
				cr_expect(json_number_value(pr) >= 85 && json_number_value(pr) <= 110, "PR %g",
				          json_number_value(pr));
			}
			cr_expect_eq(json_array_size(json_object_get(o, "flags")), 0, "%s", line);
		}
		json_decref(o);
	}
	cr_expect_gt(vitals, 30, "only %d vitals messages from 60 s of data", vitals);
	cr_expect_eq(alerts, 0, "a normal patient raised %d alerts", alerts);
	vt_rig_output_free(&r);
}

/* The Ivy 450C capture (a patient simulator): HR 80, RR 35, SpO2 100, PR 80,
 * NIBP 121/75 (92), no EtCO2 and no temperature (their fields empty), in
 * each of its 27 messages (the 562-byte messages come faster than one a
 * second at the replay's 9600 baud). Read off the bytes by the layout of
 * the device-protocol reference, not from the driver: the first message
 * starts at byte 252 and its 0xFE is byte 813, so its values arrive
 * 814 x 10 bits / 9600 baud = 847.9 ms into the replay. */
Test(captures, ivy_capture_replays_to_its_values)
{
	struct vt_rig_output r;
	s_replay("ivy450c_ansarb_1.data", "tests/data/captures-ivy.yaml", &r);
	static const struct {
		const char *name;
		double value;
	} want[] = {{"hr", 80},       {"rr", 35},       {"spo2", 100},    {"pr", 80},
	            {"nibp_sys", 121}, {"nibp_dia", 75}, {"nibp_map", 92}};
	int vitals = 0, alerts = 0;
	char *save = NULL;
	for (char *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, NULL);
		cr_assert_not_null(o);
		const char *type = json_string_value(json_object_get(o, "type"));
		alerts += strcmp(type, "alert") == 0;
		if (strcmp(type, "vitals") == 0) {
			json_t *v = json_object_get(o, "values");
			if (vitals++ == 0)
				cr_expect_str_eq(json_string_value(json_object_get(o, "time")),
				                 "1970-01-01T00:00:00.847Z", "the first message's end");
			for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
				json_t *x = json_object_get(v, want[i].name);
				cr_expect(json_is_number(x) && json_number_value(x) == want[i].value,
				          "%s in %s", want[i].name, line);
			}
			cr_expect(json_is_null(json_object_get(v, "etco2")), "no EtCO2: %s", line);
			cr_expect(json_is_null(json_object_get(v, "temp")), "no temperature: %s", line);
		}
		json_decref(o);
	}
	/* 15,426 bytes at 9600 baud are 16 s of line time; unchanged values
	 * are published once a second. */
	cr_expect_geq(vitals, 15, "only %d vitals messages from 16 s of data", vitals);
	cr_expect_eq(alerts, 0, "a steady simulator raised %d alerts", alerts);
	vt_rig_output_free(&r);
}
