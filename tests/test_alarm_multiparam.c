/*
 * The rules that watch a multiparameter monitor (docs/alarms.md): `for` on
 * a blood pressure counts measurements, a baseline rule may take "20% or
 * 25" (the ketamine surge), and apnea is no breath for a while on a
 * connected capnograph, raised by the clock whether or not samples come.
 * Each case is a configuration, a sequence of readings and deadlines, and
 * the exact events expected.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vitals/alarm/alarm.h"

struct event {
	char id[VT_ALERT_ID_MAX];
	enum vt_alert_event_type type;
	int64_t t;
	int64_t onset;
	double limit;
	char text[160];
};

struct events {
	struct event ev[256];
	size_t n;
};

static void
s_on_event(void *ctx, const struct vt_alert_event *ev)
{
	struct events *e = ctx;
	if (ev->type == VT_EV_UPDATED)
		return; /* the value following the sample: not what these cases are about */
	cr_assert_lt(e->n, 256);
	struct event *x = &e->ev[e->n++];
	snprintf(x->id, sizeof(x->id), "%s", ev->alert->id);
	snprintf(x->text, sizeof(x->text), "%s", ev->alert->text);
	x->type = ev->type;
	x->t = ev->time_ms;
	x->onset = ev->alert->onset_ms;
	x->limit = ev->alert->limit;
}

struct fixture {
	struct vt_config *cfg;
	struct vt_alarms *a;
	struct events e;
};

static void
s_open(struct fixture *f, const char *rules)
{
	char text[1024];
	snprintf(text, sizeof(text),
	         "publish: tcp://127.0.0.1:5556\n"
	         "monitors:\n"
	         "  - {bed: chair-1, port: /dev/null, protocol: philips-mib, stale_after: 10s}\n"
	         "rules:\n%s",
	         rules);
	struct vt_diag diag = {0};
	f->cfg = vt_config_parse("t.yaml", text, strlen(text), &diag);
	if (f->cfg == NULL) {
		vt_diag_print(&diag, stderr);
		cr_assert_fail("configuration refused");
	}
	vt_diag_clear(&diag);
	f->a = vt_alarms_new(f->cfg);
	f->e.n = 0;
	vt_alarms_monitor_start(f->a, 0, 0);
	vt_alarms_port_connected(f->a, 0, 0);
}

static void
s_close(struct fixture *f)
{
	vt_alarms_free(&f->a);
	vt_config_free(&f->cfg);
}

/* One reading at t seconds with `p` = v (NAN: reported without a value), deadlines first. */
static void
s_read(struct fixture *f, double t_s, enum vt_param p, double v)
{
	int64_t t = (int64_t)llround(t_s * 1000);
	vt_alarms_advance(f->a, t - 1, s_on_event, &f->e);
	struct vt_reading r = {0};
	if (isnan(v))
		vt_reading_set_missing(&r, p);
	else
		vt_reading_set(&r, p, v);
	vt_alarms_reading(f->a, 0, t, &r, s_on_event, &f->e);
}

/* Everything due up to t seconds. */
static void
s_until(struct fixture *f, double t_s)
{
	vt_alarms_advance(f->a, (int64_t)llround(t_s * 1000), s_on_event, &f->e);
}

/* The event about `id` of `type`, or NULL. */
static const struct event *
s_find(const struct fixture *f, const char *id, enum vt_alert_event_type type)
{
	for (size_t i = 0; i < f->e.n; i++)
		if (strcmp(f->e.ev[i].id, id) == 0 && f->e.ev[i].type == type)
			return &f->e.ev[i];
	return NULL;
}

/* ---- for: consecutive measurements ------------------------------------------ */

Test(alarm_multiparam, for_on_a_blood_pressure_counts_measurements)
{
	struct fixture f;
	s_open(&f, "  - {name: sys-high, parameter: nibp_sys, above: 160, for: 2}\n");
	/* One high measurement, a normal one, then two high ones 3 min apart. */
	s_read(&f, 0, VT_NIBP_SYS, 170);
	s_read(&f, 180, VT_NIBP_SYS, 150);
	s_read(&f, 360, VT_NIBP_SYS, 165);
	cr_expect_null(s_find(&f, "chair-1/sys-high/1", VT_EV_RAISED), "one measurement is not two");
	s_read(&f, 540, VT_NIBP_SYS, 168);
	const struct event *ev = s_find(&f, "chair-1/sys-high/1", VT_EV_RAISED);
	cr_assert_not_null(ev, "the second consecutive high measurement raises");
	cr_expect_eq(ev->t, 540000);
	cr_expect_eq(ev->onset, 360000, "onset: the first measurement of the run");
	cr_expect(strstr(ev->text, "in 2 measurements") != NULL, "%s", ev->text);
	s_close(&f);
}

Test(alarm_multiparam, a_failed_measurement_ends_the_run)
{
	struct fixture f;
	s_open(&f, "  - {name: sys-high, parameter: nibp_sys, above: 160, for: 2}\n");
	s_read(&f, 0, VT_NIBP_SYS, 170);
	s_read(&f, 180, VT_NIBP_SYS, NAN); /* the monitor shows no blood pressure */
	s_read(&f, 360, VT_NIBP_SYS, 170);
	cr_expect_null(s_find(&f, "chair-1/sys-high/1", VT_EV_RAISED));
	s_read(&f, 540, VT_NIBP_SYS, 170);
	cr_expect_not_null(s_find(&f, "chair-1/sys-high/1", VT_EV_RAISED));
	s_close(&f);
}

/* ---- baseline: 20 % or 25 mmHg ---------------------------------------------- */

struct surge_case {
	double baseline;
	double limit; /* the nearer of baseline x 1.2 and baseline + 25 */
};

Test(alarm_multiparam, a_surge_is_20_percent_or_25_mmhg_whichever_comes_first)
{
	static const struct surge_case cases[] = {
	    {100, 120}, /* 20 % is 20: the percentage comes first */
	    {125, 150}, /* both 25 */
	    {150, 175}, /* 20 % is 30: 25 mmHg comes first */
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct fixture f;
		s_open(&f, "  - {name: surge, parameter: nibp_sys, above_baseline: 20% or 25}\n");
		vt_alarms_set_baseline(f.a, 0, VT_NIBP_SYS, cases[k].baseline);
		s_read(&f, 0, VT_NIBP_SYS, cases[k].limit);
		cr_expect_null(s_find(&f, "chair-1/surge/1", VT_EV_RAISED), "baseline %g: %g is the "
		               "limit itself", cases[k].baseline, cases[k].limit);
		s_read(&f, 180, VT_NIBP_SYS, cases[k].limit + 1);
		const struct event *ev = s_find(&f, "chair-1/surge/1", VT_EV_RAISED);
		cr_assert_not_null(ev, "baseline %g: %g must raise", cases[k].baseline,
		                   cases[k].limit + 1);
		cr_expect_float_eq(ev->limit, cases[k].limit, 1e-9, "baseline %g", cases[k].baseline);
		s_close(&f);
	}
}

Test(alarm_multiparam, a_fall_takes_the_higher_of_the_two_limits)
{
	struct fixture f;
	s_open(&f, "  - {name: drop, parameter: nibp_sys, below_baseline: 20% or 25}\n");
	vt_alarms_set_baseline(f.a, 0, VT_NIBP_SYS, 150); /* 120 by 20 %, 125 by 25 mmHg */
	s_read(&f, 0, VT_NIBP_SYS, 125);
	cr_expect_null(s_find(&f, "chair-1/drop/1", VT_EV_RAISED));
	s_read(&f, 180, VT_NIBP_SYS, 124);
	const struct event *ev = s_find(&f, "chair-1/drop/1", VT_EV_RAISED);
	cr_assert_not_null(ev);
	cr_expect_float_eq(ev->limit, 125, 1e-9);
	s_close(&f);
}

/* ---- apnea -------------------------------------------------------------------- */

#define APNEA "  - {name: apnea, parameter: etco2, no_breath_for: 20s, priority: high}\n"

Test(alarm_multiparam, apnea_is_no_breath_for_the_delay)
{
	struct fixture f;
	s_open(&f, APNEA);
	s_read(&f, 1, VT_ETCO2, 35);
	s_read(&f, 5, VT_ETCO2, 34); /* the last breath */
	/* EtCO2 falls to nothing: samples below the floor every second. */
	for (int t = 6; t <= 24; t++)
		s_read(&f, t, VT_ETCO2, 2);
	cr_expect_null(s_find(&f, "chair-1/apnea/1", VT_EV_RAISED), "19 s without a breath");
	s_read(&f, 25, VT_ETCO2, 2);
	s_until(&f, 25); /* a deadline at a sample's time comes after the sample */
	const struct event *ev = s_find(&f, "chair-1/apnea/1", VT_EV_RAISED);
	cr_assert_not_null(ev);
	cr_expect_eq(ev->t, 25000, "20 s after the last breath, at its deadline");
	cr_expect_eq(ev->onset, 5000, "onset: the last breath");
	cr_expect_str_eq(ev->text, "Apnea: no breath for 20 s (EtCO2 below 10 mmHg)");
	/* A breath clears it. */
	for (int t = 26; t < 40; t++)
		s_read(&f, t, VT_ETCO2, 2);
	s_read(&f, 40, VT_ETCO2, 31);
	ev = s_find(&f, "chair-1/apnea/1", VT_EV_CLEARED);
	cr_assert_not_null(ev);
	cr_expect_str_eq(ev->text, "Breathing again: EtCO2 31 mmHg");
	s_close(&f);
}

Test(alarm_multiparam, apnea_raises_on_time_when_the_monitor_shows_no_value)
{
	struct fixture f;
	s_open(&f, APNEA);
	s_read(&f, 1, VT_ETCO2, 36);
	/* The monitor blanks EtCO2 in every record: no sample says "no breath", time does. */
	for (int t = 2; t <= 30; t++)
		s_read(&f, t, VT_ETCO2, NAN);
	const struct event *ev = s_find(&f, "chair-1/apnea/1", VT_EV_RAISED);
	cr_assert_not_null(ev, "a capnograph that shows no breath for 20 s is an apnea");
	cr_expect_eq(ev->t, 21000);
	s_close(&f);
}

Test(alarm_multiparam, no_apnea_without_a_capnograph)
{
	struct fixture f;
	s_open(&f, APNEA);
	/* A monitor that reports an EtCO2 field with no value, always (no capnograph). */
	for (int t = 1; t <= 60; t++)
		s_read(&f, t, VT_ETCO2, NAN);
	cr_expect_null(s_find(&f, "chair-1/apnea/1", VT_EV_RAISED));
	/* A reading without EtCO2 at all (the module unplugged) stops the clock. */
	s_read(&f, 61, VT_ETCO2, 30);
	s_read(&f, 62, VT_SPO2, 97);
	s_until(&f, 120);
	cr_expect_null(s_find(&f, "chair-1/apnea/1", VT_EV_RAISED),
	               "no capnograph reported: nothing is known about breathing");
	s_close(&f);
}

Test(alarm_multiparam, comm_lost_stops_the_apnea_clock)
{
	struct fixture f;
	s_open(&f, APNEA);
	s_read(&f, 1, VT_ETCO2, 30);
	/* Silence from 1 s: comm-lost at 11 s, long before the apnea deadline at 21 s. */
	s_until(&f, 60);
	cr_expect_not_null(s_find(&f, "chair-1/comm-lost/1", VT_EV_RAISED));
	cr_expect_null(s_find(&f, "chair-1/apnea/1", VT_EV_RAISED), "comm-lost says it");
	/* Back with a low EtCO2: the clock starts again from there. */
	s_read(&f, 70, VT_ETCO2, 3);
	for (int t = 71; t <= 89; t++)
		s_read(&f, t, VT_ETCO2, 3);
	s_until(&f, 90);
	const struct event *ev = s_find(&f, "chair-1/apnea/1", VT_EV_RAISED);
	cr_assert_not_null(ev);
	cr_expect_eq(ev->t, 90000);
	s_close(&f);
}

Test(alarm_multiparam, an_occluded_sample_line_is_not_an_apnea)
{
	struct fixture f;
	s_open(&f, APNEA);
	s_read(&f, 1, VT_ETCO2, 30);
	for (int t = 2; t <= 40; t++) {
		struct vt_reading r = {.flags = VT_FLAG_CO2_OCCLUSION, .has_status = true};
		vt_reading_set(&r, VT_ETCO2, 0);
		vt_alarms_advance(f.a, t * 1000 - 1, s_on_event, &f.e);
		vt_alarms_reading(f.a, 0, t * 1000, &r, s_on_event, &f.e);
	}
	cr_expect_not_null(s_find(&f, "chair-1/co2-occlusion/1", VT_EV_RAISED));
	cr_expect_null(s_find(&f, "chair-1/apnea/1", VT_EV_RAISED), "the occlusion alarm says it");
	s_close(&f);
}

Test(alarm_multiparam, apnea_floor_is_configurable)
{
	struct fixture f;
	s_open(&f, "  - {name: apnea, parameter: etco2, no_breath_for: 10s, floor: 5}\n");
	/* 6 mmHg is a breath above a floor of 5; from 21 s on, 4 mmHg is none. */
	for (int t = 1; t <= 45; t++)
		s_read(&f, t, VT_ETCO2, t <= 20 ? 6 : 4);
	const struct event *ev = s_find(&f, "chair-1/apnea/1", VT_EV_RAISED);
	cr_assert_not_null(ev);
	cr_expect_eq(ev->t, 30000, "10 s after the last breath at 20 s");
	cr_expect_float_eq(ev->limit, 5, 1e-9);
	s_close(&f);
}
