/*
 * Device conditions of a multiparameter monitor as technical alarms
 * (docs/alarms.md, "Technical alarms"): each takes away only the values it
 * concerns. The SpO2 sensor falling off must not silence the blood
 * pressure; ECG leads off must not silence SpO2.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "vitals/alarm/alarm.h"

struct event {
	char id[VT_ALERT_ID_MAX];
	enum vt_alert_event_type type;
	enum vt_priority priority;
	char text[160];
	int64_t t;
};

struct events {
	struct event ev[64];
	size_t n;
};

static void
s_on_event(void *ctx, const struct vt_alert_event *ev)
{
	struct events *e = ctx;
	cr_assert_lt(e->n, 64);
	struct event *x = &e->ev[e->n++];
	snprintf(x->id, sizeof(x->id), "%s", ev->alert->id);
	snprintf(x->text, sizeof(x->text), "%s", ev->alert->text);
	x->type = ev->type;
	x->priority = ev->alert->priority;
	x->t = ev->time_ms;
}

/* Index of the event about `id` of `type`, or -1. */
static int
s_find(const struct events *e, const char *id, enum vt_alert_event_type type)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->ev[i].id, id) == 0 && e->ev[i].type == type)
			return (int)i;
	return -1;
}

static const char s_config_text[] =
    "publish: tcp://127.0.0.1:5556\n"
    "monitors:\n"
    "  - bed: chair-1\n"
    "    port: /dev/null\n"
    "    protocol: philips-mib\n"
    "    stale_after: 10s\n"
    "rules:\n"
    "  - {name: hr-high, parameter: hr, above: 120}\n"
    "  - {name: spo2-low, parameter: spo2, below: 90}\n"
    "  - {name: etco2-high, parameter: etco2, above: 50}\n"
    "  - {name: sys-high, parameter: nibp_sys, above: 160}\n";

static struct vt_config *
s_config(void)
{
	struct vt_diag diag = {0};
	struct vt_config *cfg =
	    vt_config_parse("t.yaml", s_config_text, strlen(s_config_text), &diag);
	cr_assert_not_null(cfg);
	vt_diag_clear(&diag);
	return cfg;
}

/* A multiparameter record: every value beyond its limit, with `flags`. */
static struct vt_reading
s_bad_record(uint32_t flags)
{
	struct vt_reading r = {.flags = flags, .has_status = true};
	vt_reading_set(&r, VT_HR, 130);
	vt_reading_set(&r, VT_SPO2, 85);
	vt_reading_set(&r, VT_ETCO2, 60);
	vt_reading_set(&r, VT_NIBP_SYS, 170);
	return r;
}

/* Whether rule `rule` of chair-1 raised in `e`. */
static bool
s_raised(const struct events *e, const char *rule)
{
	char id[VT_ALERT_ID_MAX];
	snprintf(id, sizeof(id), "chair-1/%s/1", rule);
	return s_find(e, id, VT_EV_RAISED) >= 0;
}

struct condition_case {
	uint32_t flags;
	const char *alarm;     /* the technical alarm it raises */
	enum vt_priority priority;
	const char *blinded[4]; /* the rules that must not raise */
	const char *seeing[4];  /* the rules that still raise */
};

static const struct condition_case s_cases[] = {
    {VT_FLAG_LEADS_OFF, "leads-off", VT_PRIO_MEDIUM, {"hr-high"},
     {"spo2-low", "etco2-high", "sys-high"}},
    {VT_FLAG_SENSOR_OFF, "sensor-off", VT_PRIO_MEDIUM, {"spo2-low"},
     {"hr-high", "etco2-high", "sys-high"}},
    {VT_FLAG_NO_SENSOR, "sensor-off", VT_PRIO_MEDIUM, {"spo2-low"},
     {"hr-high", "etco2-high", "sys-high"}},
    {VT_FLAG_CO2_OCCLUSION, "co2-occlusion", VT_PRIO_MEDIUM, {"etco2-high"},
     {"hr-high", "spo2-low", "sys-high"}},
    {VT_FLAG_NIBP_FAILED, "cuff-error", VT_PRIO_LOW, {NULL},
     {"hr-high", "spo2-low", "etco2-high", "sys-high"}},
    {VT_FLAG_CUFF_OVERPRESSURE, "cuff-error", VT_PRIO_LOW, {NULL},
     {"hr-high", "spo2-low", "etco2-high", "sys-high"}},
    {VT_FLAG_DEMO_DATA, "demo-data", VT_PRIO_MEDIUM,
     {"hr-high", "spo2-low", "etco2-high", "sys-high"}, {NULL}},
};

Test(alarm_conditions, each_condition_raises_its_alarm_and_blinds_only_its_values)
{
	for (size_t k = 0; k < sizeof(s_cases) / sizeof(s_cases[0]); k++) {
		const struct condition_case *cc = &s_cases[k];
		struct vt_config *cfg = s_config();
		struct vt_alarms *a = vt_alarms_new(cfg);
		struct events e = {0};
		vt_alarms_monitor_start(a, 0, 0);
		vt_alarms_port_connected(a, 0, 0);
		struct vt_reading r = s_bad_record(cc->flags);
		vt_alarms_reading(a, 0, 1000, &r, s_on_event, &e);
		char id[VT_ALERT_ID_MAX];
		snprintf(id, sizeof(id), "chair-1/%s/1", cc->alarm);
		int i = s_find(&e, id, VT_EV_RAISED);
		cr_expect_geq(i, 0, "flag 0x%x: %s not raised", cc->flags, cc->alarm);
		if (i >= 0)
			cr_expect_eq(e.ev[i].priority, cc->priority, "%s priority", cc->alarm);
		for (int j = 0; j < 4 && cc->blinded[j]; j++)
			cr_expect(!s_raised(&e, cc->blinded[j]), "flag 0x%x: %s raised on a value the "
			          "device is not measuring", cc->flags, cc->blinded[j]);
		for (int j = 0; j < 4 && cc->seeing[j]; j++)
			cr_expect(s_raised(&e, cc->seeing[j]), "flag 0x%x: %s did not raise", cc->flags,
			          cc->seeing[j]);
		/* The device stops saying so: the technical alarm clears. */
		struct vt_reading ok = s_bad_record(0);
		vt_alarms_reading(a, 0, 2000, &ok, s_on_event, &e);
		cr_expect_geq(s_find(&e, id, VT_EV_CLEARED), 0, "%s not cleared", cc->alarm);
		vt_alarms_free(&a);
		vt_config_free(&cfg);
	}
}

Test(alarm_conditions, cuff_overpressure_says_so)
{
	struct vt_config *cfg = s_config();
	struct vt_alarms *a = vt_alarms_new(cfg);
	struct events e = {0};
	vt_alarms_monitor_start(a, 0, 0);
	struct vt_reading r = s_bad_record(VT_FLAG_CUFF_OVERPRESSURE);
	vt_alarms_reading(a, 0, 1000, &r, s_on_event, &e);
	int i = s_find(&e, "chair-1/cuff-error/1", VT_EV_RAISED);
	cr_assert_geq(i, 0);
	cr_expect(strstr(e.ev[i].text, "overpressure") != NULL, "%s", e.ev[i].text);
	vt_alarms_free(&a);
	vt_config_free(&cfg);
}

/*
 * While the leads are off, no-data for HR is not raised (leads-off says
 * why); when they are back, HR gets a fresh stale_after to show a value.
 * SpO2 keeps its own clock throughout.
 */
Test(alarm_conditions, no_data_waits_for_a_blinded_value)
{
	struct vt_config *cfg = s_config();
	struct vt_alarms *a = vt_alarms_new(cfg);
	struct events e = {0};
	vt_alarms_monitor_start(a, 0, 0);
	vt_alarms_port_connected(a, 0, 0);
	for (int t = 1; t <= 60; t++) {
		struct vt_reading r = {.flags = t <= 30 ? VT_FLAG_LEADS_OFF : 0, .has_status = true};
		vt_reading_set(&r, VT_SPO2, 97);
		vt_reading_set_missing(&r, VT_HR);
		vt_alarms_advance(a, t * 1000 - 1, s_on_event, &e);
		vt_alarms_reading(a, 0, t * 1000, &r, s_on_event, &e);
	}
	/* EtCO2, never reported, has its own no-data at 10 s; HR and SpO2 are the point. */
	int hr = -1, spo2 = -1;
	for (size_t i = 0; i < e.n; i++) {
		if (e.ev[i].type != VT_EV_RAISED || strstr(e.ev[i].id, "/no-data/") == NULL)
			continue;
		if (strstr(e.ev[i].text, "valid HR") != NULL)
			hr = (int)i;
		if (strstr(e.ev[i].text, "valid SpO2") != NULL)
			spo2 = (int)i;
	}
	cr_assert_geq(hr, 0, "HR missing with the leads on raises no-data");
	cr_expect_eq(e.ev[hr].t, 41000, "10 s after the leads came back at 31 s");
	cr_expect_lt(spo2, 0, "SpO2 was there throughout");
	vt_alarms_free(&a);
	vt_config_free(&cfg);
}

Test(alarm_conditions, flag_names_and_blind_sets)
{
	cr_expect_str_eq(vt_flag_name(VT_FLAG_LEADS_OFF), "leads-off");
	cr_expect_str_eq(vt_flag_name(VT_FLAG_NIBP_FAILED), "nibp-failed");
	cr_expect_str_eq(vt_flag_name(VT_FLAG_CUFF_OVERPRESSURE), "cuff-overpressure");
	cr_expect_str_eq(vt_flag_name(VT_FLAG_CO2_OCCLUSION), "co2-occlusion");
	cr_expect_str_eq(vt_flag_name(VT_FLAG_DEMO_DATA), "demo-data");
	cr_expect_eq(vt_flags_blind(VT_FLAG_NIBP_FAILED), 0, "a failed cuff keeps the last value");
	cr_expect_eq(vt_flags_blind(VT_FLAG_LOW_PERFUSION), 0);
	cr_expect_eq(vt_flags_blind(VT_FLAG_DEMO_DATA), VT_PARAMS_ALL);
	cr_expect_eq(vt_flags_blind(VT_FLAG_SENSOR_FAULT), VT_PARAMS_OXIMETRY);
	cr_expect_str_eq(vt_technical_name(VT_TECH_CUFF_ERROR), "cuff-error");
}
