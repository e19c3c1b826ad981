/*
 * What a bed measures (docs/alarms.md): one rule file serves pulse
 * oximeters and multiparameter monitors, so a bed's rules and its no-data
 * alarm concern only what its monitor can measure. An oximeter's bed never
 * hears of blood pressure; a monitor's capnograph that was never fitted
 * raises nothing, one unplugged during the infusion raises no-data. Each
 * case gives the readings of one bed and the exact technical and
 * physiological events expected.
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
	int param;
};

struct fixture {
	struct vt_config *cfg;
	struct vt_alarms *a;
	struct event ev[64];
	size_t n;
};

static void
s_on_event(void *ctx, const struct vt_alert_event *ev)
{
	struct fixture *f = ctx;
	if (ev->type != VT_EV_RAISED && ev->type != VT_EV_CLEARED)
		return;
	cr_assert_lt(f->n, 64, "too many events");
	struct event *x = &f->ev[f->n++];
	snprintf(x->id, sizeof(x->id), "%s", ev->alert->id);
	x->type = ev->type;
	x->t = ev->time_ms;
	x->param = ev->alert->param;
}

/* Beds 0..3: a Nonin and a Masimo oximeter, an IntelliVue and an Ivy 450C. */
static const char s_config_text[] =
    "publish: tcp://127.0.0.1:5556\n"
    "monitors:\n"
    "  - {bed: oximeter, port: /dev/vt-1, protocol: nonin-df7, stale_after: 10s}\n"
    "  - {bed: masimo, port: /dev/vt-2, protocol: masimo-ascii, stale_after: 10s}\n"
    "  - {bed: intellivue, port: /dev/vt-3, protocol: philips-mib, stale_after: 10s}\n"
    "  - {bed: ivy, port: /dev/vt-4, protocol: ivy-ansarb, stale_after: 10s}\n"
    "rules:\n"
    "  - {name: spo2-low, parameter: spo2, below: 90}\n"
    "  - {name: hr-high, parameter: hr, above: 120}\n"
    "  - {name: rr-low, parameter: rr, below: 8}\n"
    "  - {name: etco2-high, parameter: etco2, above: 50}\n"
    "  - {name: sys-high, parameter: nibp_sys, above: 160}\n"
    "  - {name: temp-high, parameter: temp, above: 38.5}\n"
    "  - {name: spco-high, parameter: spco, above: 10}\n";

enum { OXIMETER, MASIMO, INTELLIVUE, IVY };
#define BED(b) (1u << (b))

/* An engine with the beds of `beds` (a bit each) monitored and connected at 0. */
static void
s_open(struct fixture *f, unsigned beds)
{
	memset(f, 0, sizeof(*f));
	struct vt_diag diag = {0};
	f->cfg = vt_config_parse("t.yaml", s_config_text, strlen(s_config_text), &diag);
	if (f->cfg == NULL) {
		vt_diag_print(&diag, stderr);
		cr_assert_fail("configuration refused");
	}
	vt_diag_clear(&diag);
	f->a = vt_alarms_new(f->cfg);
	cr_assert_not_null(f->a);
	for (int b = 0; b < 4; b++) {
		if (!(beds & (1u << b)))
			continue;
		vt_alarms_monitor_start(f->a, b, 0);
		vt_alarms_port_connected(f->a, b, 0);
	}
}

static void
s_close(struct fixture *f)
{
	vt_alarms_free(&f->a);
	vt_config_free(&f->cfg);
}

/* What a reading carries: a value, reported without one, or not at all. */
#define ABSENT (-1.0)
#define EMPTY NAN

struct values {
	double spo2, pr, hr, etco2, sys, spco;
	uint32_t flags;
};

/* One reading of `bed` at t seconds, deadlines first. */
static void
s_read(struct fixture *f, int bed, int t_s, struct values v)
{
	int64_t t = (int64_t)t_s * 1000;
	vt_alarms_advance(f->a, t - 1, s_on_event, f);
	struct vt_reading r = {.flags = v.flags, .has_status = true};
	const struct { enum vt_param p; double x; } put[] = {
	    {VT_SPO2, v.spo2}, {VT_PR, v.pr}, {VT_HR, v.hr},
	    {VT_ETCO2, v.etco2}, {VT_NIBP_SYS, v.sys}, {VT_SPCO, v.spco}};
	for (size_t i = 0; i < sizeof(put) / sizeof(put[0]); i++) {
		if (isnan(put[i].x))
			vt_reading_set_missing(&r, put[i].p);
		else if (put[i].x != ABSENT)
			vt_reading_set(&r, put[i].p, put[i].x);
	}
	vt_alarms_reading(f->a, bed, t, &r, s_on_event, f);
}

static void
s_until(struct fixture *f, int t_s)
{
	vt_alarms_advance(f->a, (int64_t)t_s * 1000, s_on_event, f);
}

/* The events, one a line ("12000 raised oximeter/no-data/1 spo2"), for comparing whole. */
static const char *
s_log(const struct fixture *f, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < f->n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%lld %s %s %s\n", (long long)f->ev[i].t,
		                      vt_alert_event_name(f->ev[i].type), f->ev[i].id,
		                      f->ev[i].param >= 0 ? vt_param_info(f->ev[i].param)->name : "-");
	return buf;
}

static void
s_expect_log(const struct fixture *f, const char *want)
{
	char got[4096];
	cr_expect_str_eq(s_log(f, got, sizeof(got)), want);
}

/* SpO2 and pulse rate, nothing else: what a pulse oximeter sends. */
static struct values
s_oximetry(double spo2)
{
	return (struct values){spo2, 72, ABSENT, ABSENT, ABSENT, ABSENT, 0};
}

Test(alarm_measures, an_oximeter_bed_raises_nothing_for_what_it_does_not_measure)
{
	struct fixture f;
	s_open(&f, BED(OXIMETER));
	/* 25 minutes: past every stale_after, the cuff's 20 minutes included. */
	for (int t = 1; t <= 1500; t++)
		s_read(&f, OXIMETER, t, s_oximetry(97));
	s_expect_log(&f, "");
	s_close(&f);
}

Test(alarm_measures, a_silent_spo2_still_raises_no_data_and_comm_lost)
{
	struct fixture f;
	s_open(&f, BED(OXIMETER));
	/* Reported, never with a value (no sensor condition): SpO2 is always
	 * measured by an oximeter, so it is awaited from the connection. */
	for (int t = 1; t <= 30; t++)
		s_read(&f, OXIMETER, t, s_oximetry(EMPTY));
	s_read(&f, OXIMETER, 31, s_oximetry(96));
	s_until(&f, 60); /* then the oximeter falls silent */
	s_expect_log(&f, "10000 raised oximeter/no-data/1 spo2\n"
	                 "31000 cleared oximeter/no-data/1 spo2\n"
	                 "41000 raised oximeter/comm-lost/1 -\n");
	s_close(&f);
}

Test(alarm_measures, rules_on_what_the_driver_cannot_give_are_inactive)
{
	struct fixture f;
	s_open(&f, BED(OXIMETER));
	/* No oximeter driver reports a heart rate; were a reading to carry one,
	 * the rule on it is not in force on this bed. */
	struct values v = s_oximetry(97);
	v.hr = 180;
	v.sys = 200;
	for (int t = 1; t <= 5; t++)
		s_read(&f, OXIMETER, t, v);
	s_expect_log(&f, "");
	s_close(&f);
}

Test(alarm_measures, a_module_never_fitted_raises_nothing_one_unplugged_raises_no_data)
{
	struct fixture f;
	s_open(&f, BED(INTELLIVUE) | BED(IVY));
	/* An Ivy reports its capnograph's EtCO2 empty when none is fitted; the
	 * IntelliVue does not report it at all. Neither is awaited. */
	struct values v = {97, 72, 75, EMPTY, ABSENT, ABSENT, 0};
	for (int t = 1; t <= 60; t++) {
		s_read(&f, IVY, t, v);
		s_read(&f, INTELLIVUE, t, (struct values){97, 72, 75, ABSENT, ABSENT, ABSENT, 0});
	}
	/* The capnograph is plugged in at 61 s, on both, and shows EtCO2 ... */
	v.etco2 = 35;
	for (int t = 61; t <= 100; t++) {
		s_read(&f, IVY, t, v);
		s_read(&f, INTELLIVUE, t, v);
	}
	/* ... and is pulled out at 101 s: the Ivy sends an empty EtCO2, the
	 * IntelliVue stops reporting it. Then it is plugged back at 130 s. */
	for (int t = 101; t <= 140; t++) {
		v.etco2 = t < 130 ? EMPTY : 36;
		s_read(&f, IVY, t, v);
		struct values w = v;
		w.etco2 = t < 130 ? ABSENT : 36;
		s_read(&f, INTELLIVUE, t, w);
	}
	s_expect_log(&f, "110000 raised intellivue/no-data/1 etco2\n"
	                 "110000 raised ivy/no-data/1 etco2\n"
	                 "130000 cleared ivy/no-data/1 etco2\n"
	                 "130000 cleared intellivue/no-data/1 etco2\n");
	s_close(&f);
}

Test(alarm_measures, a_reconnected_monitor_awaits_its_modules_afresh)
{
	struct fixture f;
	s_open(&f, BED(INTELLIVUE));
	struct values v = {97, 72, 75, 35, ABSENT, ABSENT, 0};
	for (int t = 1; t <= 5; t++)
		s_read(&f, INTELLIVUE, t, v);
	/* The cable is pulled and plugged back: what is fitted now is not known. */
	vt_alarms_port_disconnected(f.a, INTELLIVUE, 6000);
	vt_alarms_port_connected(f.a, INTELLIVUE, 8000);
	v.etco2 = ABSENT;
	for (int t = 8; t <= 60; t++)
		s_read(&f, INTELLIVUE, t, v);
	s_expect_log(&f, "");
	s_close(&f);
}

Test(alarm_measures, a_condition_of_a_module_proves_it_fitted)
{
	struct fixture f;
	s_open(&f, BED(INTELLIVUE));
	/* The sample line is occluded from the start: there is a capnograph,
	 * though it has shown no value yet. Once clear, EtCO2 is awaited. */
	struct values v = {97, 72, 75, EMPTY, ABSENT, ABSENT, VT_FLAG_CO2_OCCLUSION};
	for (int t = 1; t <= 20; t++)
		s_read(&f, INTELLIVUE, t, v);
	v.flags = 0;
	for (int t = 21; t <= 40; t++)
		s_read(&f, INTELLIVUE, t, v);
	s_expect_log(&f, "1000 raised intellivue/co2-occlusion/1 -\n"
	                 "21000 cleared intellivue/co2-occlusion/1 -\n"
	                 "31000 raised intellivue/no-data/1 etco2\n");
	s_close(&f);
}

Test(alarm_measures, an_oximeter_option_counts_once_it_shows_a_value)
{
	struct fixture f;
	s_open(&f, BED(MASIMO));
	/* A Masimo without a rainbow sensor sends SPCO=--.-: not awaited. */
	struct values v = s_oximetry(97);
	v.spco = EMPTY;
	for (int t = 1; t <= 30; t++)
		s_read(&f, MASIMO, t, v);
	/* With one, SpCO shows; when it stops, that is no-data. */
	v.spco = 2;
	for (int t = 31; t <= 40; t++)
		s_read(&f, MASIMO, t, v);
	v.spco = EMPTY;
	for (int t = 41; t <= 55; t++)
		s_read(&f, MASIMO, t, v);
	s_expect_log(&f, "50000 raised masimo/no-data/1 spco\n");
	s_close(&f);
}

Test(alarm_measures, a_source_may_say_what_it_measures)
{
	struct fixture f;
	s_open(&f, BED(OXIMETER));
	/* A numerics CSV replayed on the oximeter's bed carries an ECG heart
	 * rate: the replay says so, and the rule on it is in force. */
	vt_alarms_bed_measures(f.a, OXIMETER, VT_PARAMS_PULSE_OXIMETER, VT_PARAMS_ALL);
	struct values v = s_oximetry(97);
	v.hr = 130;
	for (int t = 1; t <= 5; t++)
		s_read(&f, OXIMETER, t, v);
	v.hr = ABSENT;
	for (int t = 6; t <= 20; t++)
		s_read(&f, OXIMETER, t, v);
	s_expect_log(&f, "1000 raised oximeter/hr-high/1 hr\n"
	                 "15000 raised oximeter/no-data/1 hr\n");
	s_close(&f);
}
