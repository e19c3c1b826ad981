/*
 * Spot measurements in the core (docs/protocol.md, "Spot measurements"): a
 * blood pressure is held with its own measurement time, repeated reports of
 * it are one measurement, it leaves the display after nibp_stale_after, and
 * only new measurements reach the rules and the baseline. The core runs
 * here as replay and the live loop run it: readings and times in, JSON
 * messages out; in the last cases fed by a monitor that gives no time (the
 * emulated Ivy 450C through the ivy-ansarb driver).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/core.h"
#include "vitals/drivers/driver.h"
#include "vitals/emulator/encode.h"

#define MAX_MSGS 16384

struct out {
	char *topic[MAX_MSGS];
	char *json[MAX_MSGS];
	size_t n;
};

static void
s_collect(void *ctx, const char *topic, const char *json, size_t len)
{
	struct out *o = ctx;
	cr_assert_lt(o->n, MAX_MSGS);
	o->topic[o->n] = strdup(topic);
	o->json[o->n] = strdup(json);
	o->n++;
}

static void
s_out_free(struct out *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->topic[i]);
		free(o->json[i]);
	}
	o->n = 0;
}

/* The rule most cases watch: a systolic pressure above 160 mmHg. */
#define SYS_HIGH "  - {name: sys-high, parameter: nibp_sys, above: 160}\n"

/* A core on a one-bed configuration with `rules` (YAML, indented) and NIBP stale after 20 min. */
static struct vt_core *
s_core(struct vt_config **cfg, struct out *o, const char *rules)
{
	char text[2048];
	snprintf(text, sizeof(text),
	         "publish: tcp://127.0.0.1:5556\n"
	         "monitors:\n"
	         "  - bed: chair-1\n"
	         "    port: /dev/null\n"
	         "    protocol: philips-mib\n"
	         "    stale_after: 10s\n"
	         "rules:\n%s",
	         rules ? rules : "");
	struct vt_diag diag = {0};
	*cfg = vt_config_parse("t.yaml", text, strlen(text), &diag);
	if (*cfg == NULL) {
		vt_diag_print(&diag, stderr);
		cr_assert_fail("config does not parse");
	}
	vt_diag_clear(&diag);
	struct vt_core_options opt = {.instance = "test", .publish = s_collect, .ctx = o};
	struct vt_core *c = vt_core_new(*cfg, &opt);
	cr_assert_not_null(c);
	vt_core_start(c, 0);
	vt_core_watch_bed(c, 0, 0);
	vt_core_port_state(c, 0, 0, VT_PORT_CONNECTED, NULL);
	return c;
}

static void
s_done(struct vt_core **c, struct vt_config **cfg, struct out *o)
{
	vt_core_free(c);
	vt_config_free(cfg);
	s_out_free(o);
}

/* A monitor's record at `t_s`: HR always, and a blood pressure measured
 * `age_s` before it (NAN: none), its clock running with ours. */
static struct vt_reading
s_record(double sys, double age_s, double t_s)
{
	struct vt_reading r = {0};
	vt_reading_set(&r, VT_HR, 72);
	if (isnan(sys)) {
		vt_reading_set_missing(&r, VT_NIBP_SYS);
	} else {
		vt_reading_set(&r, VT_NIBP_SYS, sys);
		vt_reading_set_age(&r, VT_NIBP_SYS, (int64_t)(age_s * 1000),
		                   (int64_t)((t_s - age_s) * 1000));
	}
	return r;
}

/* The last vitals message, parsed (caller decrefs), or NULL. */
static json_t *
s_last_vitals(const struct out *o)
{
	for (size_t i = o->n; i-- > 0;)
		if (strncmp(o->topic[i], "vitals.", 7) == 0)
			return json_loads(o->json[i], 0, NULL);
	return NULL;
}

/* How many alert events of `rule` with `event` were published. */
static int
s_count_alerts(const struct out *o, const char *rule, const char *event)
{
	int n = 0;
	for (size_t i = 0; i < o->n; i++) {
		if (strncmp(o->topic[i], "alert.", 6) != 0)
			continue;
		json_t *j = json_loads(o->json[i], 0, NULL);
		if (j && strcmp(json_string_value(json_object_get(j, "rule")), rule) == 0 &&
		    strcmp(json_string_value(json_object_get(j, "event")), event) == 0)
			n++;
		json_decref(j);
	}
	return n;
}

/* Feed a record at t seconds after running everything due before it. */
static void
s_feed(struct vt_core *c, double t_s, const struct vt_reading *r)
{
	int64_t t = (int64_t)(t_s * 1000);
	vt_core_advance(c, t - 1);
	vt_core_reading(c, 0, t, r);
}

Test(core_spot, value_carries_its_measurement_time_and_age)
{
	struct vt_config *cfg;
	struct out o = {0};
	struct vt_core *c = s_core(&cfg, &o, NULL);
	struct vt_reading r = s_record(128, 90, 100); /* measured 90 s before this record */
	s_feed(c, 100, &r);
	json_t *v = s_last_vitals(&o);
	cr_assert_not_null(v);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(v, "values"), "nibp_sys")),
	             128);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(v, "measured"),
	                                                   "nibp_sys")),
	                 "1970-01-01T00:00:10.000Z");
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(v, "age_s"), "nibp_sys")), 90);
	cr_expect_null(json_object_get(json_object_get(v, "measured"), "hr"),
	               "a continuous value has no measurement time of its own");
	json_decref(v);

	/* The refresh a second later shows the age going on. */
	vt_core_advance(c, 101000);
	v = s_last_vitals(&o);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(v, "age_s"), "nibp_sys")), 91);
	json_decref(v);

	/* So does a snapshot. */
	char *snap = vt_core_snapshot(c, 130000);
	json_t *s = json_loads(snap, 0, NULL);
	cr_expect_str_eq(json_string_value(json_object_get(
	                     json_object_get(json_object_get(s, "measured"), "chair-1"), "nibp_sys")),
	                 "1970-01-01T00:00:10.000Z");
	cr_expect_eq(json_integer_value(json_object_get(
	                 json_object_get(json_object_get(s, "age_s"), "chair-1"), "nibp_sys")),
	             120);
	json_decref(s);
	free(snap);
	s_done(&c, &cfg, &o);
}

Test(core_spot, an_oximeter_message_has_no_measured_member)
{
	struct vt_config *cfg;
	struct out o = {0};
	struct vt_core *c = s_core(&cfg, &o, NULL);
	struct vt_reading r = {0};
	vt_reading_set(&r, VT_SPO2, 97);
	s_feed(c, 1, &r);
	json_t *v = s_last_vitals(&o);
	cr_expect_null(json_object_get(v, "measured"));
	cr_expect_null(json_object_get(v, "age_s"));
	json_decref(v);
	s_done(&c, &cfg, &o);
}

/*
 * A monitor polled every second repeats its last blood pressure: one
 * measurement, one sample for the rules. With `for: 2` meaning two
 * measurements, two polls of one measurement must not raise.
 */
Test(core_spot, repeats_are_one_measurement_for_the_rules)
{
	struct vt_config *cfg;
	struct out o = {0};
	struct vt_core *c = s_core(&cfg, &o,
	                           SYS_HIGH);
	/* Measured at t=0, reported every second for a minute with a growing age. */
	for (int t = 1; t <= 60; t++) {
		struct vt_reading r = s_record(170, t, t);
		s_feed(c, t, &r);
	}
	cr_expect_eq(s_count_alerts(&o, "sys-high", "raised"), 1, "one measurement, one alarm");
	/* The same value measured again three minutes later is a new measurement. */
	struct vt_reading r = s_record(150, 0, 180);
	s_feed(c, 180, &r);
	cr_expect_eq(s_count_alerts(&o, "sys-high", "cleared"), 1);
	s_done(&c, &cfg, &o);
}

/*
 * A monitor whose clock runs ten times as fast as ours (the demo's emulated
 * IntelliVue at 10x): polled every second, each repeat of its measurement is
 * 10 s older on its clock. It is still one measurement, measured when we
 * first saw it, whose age counts our seconds; the next one, 3 minutes later
 * on its clock, is a second measurement even with the same value.
 */
Test(core_spot, a_fast_device_clock_does_not_make_repeats_new)
{
	struct vt_config *cfg;
	struct out o = {0};
	struct vt_core *c = s_core(&cfg, &o,
	                           "  - {name: sys-high, parameter: nibp_sys, above: 160, for: 2}\n");
	for (int t = 1; t <= 17; t++) {
		struct vt_reading r = {0};
		vt_reading_set(&r, VT_HR, 72);
		vt_reading_set(&r, VT_NIBP_SYS, 170);
		vt_reading_set_age(&r, VT_NIBP_SYS, 1000 + (t - 1) * 10000, 100000);
		s_feed(c, t, &r);
	}
	cr_expect_eq(s_count_alerts(&o, "sys-high", "raised"), 0, "one measurement, not two");
	json_t *v = s_last_vitals(&o);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(v, "measured"),
	                                                   "nibp_sys")),
	                 "1970-01-01T00:00:00.000Z", "when first seen, less its age then (1 s)");
	json_decref(v);
	char *snap = vt_core_snapshot(c, 17000);
	v = json_loads(snap, 0, NULL);
	cr_expect_eq(json_integer_value(json_object_get(
	                 json_object_get(json_object_get(v, "age_s"), "chair-1"), "nibp_sys")),
	             17, "17 of our seconds, not 160 of its");
	json_decref(v);
	free(snap);
	struct vt_reading r = {0};
	vt_reading_set(&r, VT_HR, 72);
	vt_reading_set(&r, VT_NIBP_SYS, 170);
	vt_reading_set_age(&r, VT_NIBP_SYS, 2000, 280000);
	s_feed(c, 18, &r);
	cr_expect_eq(s_count_alerts(&o, "sys-high", "raised"), 1, "the second measurement raises");
	s_done(&c, &cfg, &o);
}

Test(core_spot, stale_after_nibp_stale_after_and_not_revived_by_repeats)
{
	struct vt_config *cfg;
	struct out o = {0};
	struct vt_core *c = s_core(&cfg, &o,
	                           SYS_HIGH);
	/* Measured at 10 s and repeated every 5 s by the monitor, with its age. */
	for (int t = 10; t < 10 + 20 * 60; t += 5) {
		struct vt_reading r = s_record(120, t - 10, t);
		s_feed(c, t, &r);
	}
	vt_core_advance(c, 10000 + 20 * 60000 - 1);
	json_t *v = s_last_vitals(&o);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(v, "values"), "nibp_sys")),
	             120);
	json_decref(v);
	/* 20 min after the measurement the value leaves the display... */
	vt_core_advance(c, 10000 + 20 * 60000);
	v = s_last_vitals(&o);
	cr_expect(json_is_null(json_object_get(json_object_get(v, "values"), "nibp_sys")),
	          "a blood pressure 20 min old is not current");
	json_decref(v);
	/* ...and the monitor repeating the old measurement does not bring it back. */
	struct vt_reading r = s_record(120, 20 * 60 + 5, 15 + 20 * 60);
	s_feed(c, 15 + 20 * 60, &r);
	v = s_last_vitals(&o);
	cr_expect(json_is_null(json_object_get(json_object_get(v, "values"), "nibp_sys")));
	json_decref(v);
	s_done(&c, &cfg, &o);
}

Test(core_spot, comm_lost_hides_it_and_reconnection_shows_it_again_as_the_same_measurement)
{
	struct vt_config *cfg;
	struct out o = {0};
	struct vt_core *c = s_core(&cfg, &o,
	                           SYS_HIGH);
	struct vt_reading r = s_record(170, 0, 1);
	s_feed(c, 1, &r);
	cr_expect_eq(s_count_alerts(&o, "sys-high", "raised"), 1);
	/* Silence: comm-lost at 11 s, and every value goes null. */
	vt_core_advance(c, 30000);
	cr_expect_eq(s_count_alerts(&o, "comm-lost", "raised"), 1);
	json_t *v = s_last_vitals(&o);
	cr_expect(json_is_null(json_object_get(json_object_get(v, "values"), "nibp_sys")));
	json_decref(v);
	/* Back: the monitor shows the same measurement, 40 s old. */
	r = s_record(170, 40, 41);
	s_feed(c, 41, &r);
	v = s_last_vitals(&o);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(v, "values"), "nibp_sys")),
	             170);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(v, "measured"),
	                                                   "nibp_sys")),
	                 "1970-01-01T00:00:01.000Z");
	json_decref(v);
	cr_expect_eq(s_count_alerts(&o, "sys-high", "raised"), 1, "not a second measurement");
	s_done(&c, &cfg, &o);
}

/* A device that gives no measurement time: the same value is the same measurement. */
Test(core_spot, untimed_repeats_keep_the_first_arrival_time)
{
	struct vt_config *cfg;
	struct out o = {0};
	struct vt_core *c = s_core(&cfg, &o, NULL);
	for (int t = 5; t <= 65; t += 30) {
		struct vt_reading r = {0};
		vt_reading_set(&r, VT_NIBP_SYS, 131);
		s_feed(c, t, &r);
	}
	json_t *v = s_last_vitals(&o);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(v, "measured"),
	                                                   "nibp_sys")),
	                 "1970-01-01T00:00:05.000Z");
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(v, "age_s"), "nibp_sys")), 60);
	json_decref(v);
	s_done(&c, &cfg, &o);
}

/* The no-data clock of a spot parameter is nibp_stale_after long, from the measurement. */
Test(core_spot, no_data_for_a_watched_blood_pressure_after_nibp_stale_after)
{
	struct vt_config *cfg;
	struct out o = {0};
	struct vt_core *c = s_core(&cfg, &o,
	                           SYS_HIGH);
	/* HR every 5 s keeps the link alive; one NIBP measured at 30 s, reported at 60 s. */
	for (int t = 5; t <= 25 * 60; t += 5) {
		struct vt_reading r = s_record(t >= 60 ? 125 : NAN, t - 30, t);
		s_feed(c, t, &r);
	}
	cr_expect_eq(s_count_alerts(&o, "comm-lost", "raised"), 0);
	cr_expect_eq(s_count_alerts(&o, "no-data", "raised"), 1,
	             "once: not before the first 20 min, and once the measurement is 20 min old");
	for (size_t i = 0; i < o.n; i++) {
		if (strstr(o.json[i], "\"rule\":\"no-data\"") == NULL)
			continue;
		json_t *j = json_loads(o.json[i], 0, NULL);
		cr_expect_str_eq(json_string_value(json_object_get(j, "time")),
		                 "1970-01-01T00:20:30.000Z", "20 min after the measurement at 30 s");
		json_decref(j);
	}
	s_done(&c, &cfg, &o);
}

Test(core_spot, the_baseline_is_the_median_of_measurements_not_of_polls)
{
	struct vt_config *cfg;
	struct out o = {0};
	struct vt_core *c = s_core(&cfg, &o, NULL);
	vt_core_phase(c, 0, VT_PHASE_BASELINE, 70, NAN, "test", 0);
	/* Three measurements, 120, 124 and 140; the 140 is repeated by 50 polls. */
	double sys[] = {120, 124, 140};
	int t = 1;
	for (int m = 0; m < 3; m++) {
		for (int k = 0; k < (m == 2 ? 50 : 1); k++, t++) {
			struct vt_reading r = s_record(sys[m], k, t);
			s_feed(c, t, &r);
		}
		t += 180;
	}
	vt_core_phase(c, 0, VT_PHASE_INFUSION, NAN, 0.5, "test", (int64_t)t * 1000);
	char *snap = vt_core_snapshot(c, (int64_t)t * 1000);
	json_t *s = json_loads(snap, 0, NULL);
	json_t *base = json_object_get(json_object_get(json_object_get(s, "sessions"), "chair-1"),
	                               "baseline");
	cr_expect_eq(json_integer_value(json_object_get(base, "nibp_sys")), 124);
	json_decref(s);
	free(snap);
	s_done(&c, &cfg, &o);
}

/* The baseline of `param` fixed when the infusion starts at t_s. */
static double
s_baseline_at(struct vt_core *c, int t_s, const char *param)
{
	vt_core_phase(c, 0, VT_PHASE_INFUSION, NAN, 0.5, "test", (int64_t)t_s * 1000);
	char *snap = vt_core_snapshot(c, (int64_t)t_s * 1000);
	json_t *s = json_loads(snap, 0, NULL);
	json_t *base = json_object_get(json_object_get(json_object_get(s, "sessions"), "chair-1"),
	                               "baseline");
	json_t *v = json_object_get(base, param);
	double x = json_is_number(v) ? json_number_value(v) : NAN;
	json_decref(s);
	free(snap);
	return x;
}

/*
 * A device that gave a value untimed (the first one it showed) and later
 * a measurement of the same value with its time: taken after the untimed
 * one arrived, it is another measurement (both in the baseline); taken
 * before, it may be the same one, now with its true time.
 */
Test(core_spot, a_timed_measurement_after_an_untimed_one_of_the_same_value_is_new)
{
	static const struct {
		int measured_s;  /* when the timed report says it was measured */
		double baseline; /* the median of the measurements */
		const char *why;
	} cases[] = {{200, 120, "measured after: 120, 120 and 150"},
	             {0, 135, "measured before: the same one, 120 and 150"}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct vt_config *cfg;
		struct out o = {0};
		struct vt_core *c = s_core(&cfg, &o, NULL);
		vt_core_phase(c, 0, VT_PHASE_BASELINE, 70, NAN, "test", 0);
		struct vt_reading r = {0};
		vt_reading_set(&r, VT_NIBP_SYS, 120);
		s_feed(c, 5, &r); /* untimed: measured at 5 s at the latest */
		r = s_record(120, 210 - cases[i].measured_s, 210);
		s_feed(c, 210, &r);
		r = s_record(150, 0, 400);
		s_feed(c, 400, &r);
		cr_expect_float_eq(s_baseline_at(c, 500, "nibp_sys"), cases[i].baseline, 1e-9, "%s",
		                   cases[i].why);
		s_done(&c, &cfg, &o);
	}
}

/* An Ivy 450C (the emulated monitor) read by the ivy-ansarb driver into the core. */
struct s_ivy {
	const struct vt_encoder *e;
	const struct vt_driver *d;
	_Alignas(max_align_t) unsigned char es[VT_ENCODE_STATE_MAX];
	void *ds;
	struct vt_core *c;
	int64_t now;
};

static void
s_ivy_reading(void *ctx, const struct vt_reading *r)
{
	struct s_ivy *b = ctx;
	vt_core_advance(b->c, b->now - 1);
	vt_core_reading(b->c, 0, b->now, r);
}

/* The monitor's message at t_s showing `r`, through the driver into the core. */
static void
s_ivy_second(struct s_ivy *b, int t_s, const struct vt_reading *r)
{
	uint8_t out[VT_ENCODE_MAX];
	b->now = (int64_t)t_s * 1000;
	size_t n = b->e->encode(b->es, r, b->now, out, sizeof out);
	cr_assert_gt(n, 0);
	struct vt_driver_sink sink = {.reading = s_ivy_reading, .ctx = b, .now = b->now};
	b->d->feed(b->ds, out, n, &sink);
}

/*
 * The Ivy repeats its last cuff reading in every message, once a second,
 * and gives it no time. Four cuff cycles three minutes apart in the
 * baseline phase, the second with the systolic pressure of the first: the
 * blood pressure stays current between them, each keeps the time it
 * arrived, and the baseline is the median of the four measurements (135),
 * not of the messages (160), nor of three (150).
 */
Test(core_spot, an_ivy_monitor_gives_one_measurement_per_cuff_cycle)
{
	struct vt_config *cfg;
	struct out o = {0};
	struct s_ivy b = {.e = vt_encoder_find("ivy-ansarb"), .d = vt_driver_find("ivy-ansarb")};
	cr_assert(b.e != NULL && b.d != NULL && b.e->state_size <= sizeof b.es);
	b.e->reset(b.es, NULL);
	b.ds = malloc(b.d->state_size);
	cr_assert_not_null(b.ds);
	b.d->reset(b.ds, NULL);
	b.c = s_core(&cfg, &o, NULL);
	vt_core_phase(b.c, 0, VT_PHASE_BASELINE, 70, NAN, "test", 0);
	static const struct {
		int t_s, sys, dia;
	} cuff[] = {{10, 120, 80}, {190, 120, 84}, {370, 150, 84}, {550, 160, 88}};
	size_t k = 0;
	for (int t = 1; t < 1500; t++) {
		struct vt_reading r = {0};
		vt_reading_set(&r, VT_HR, 72);
		if (k < 4 && cuff[k].t_s == t) {
			vt_reading_set(&r, VT_NIBP_SYS, cuff[k].sys);
			vt_reading_set(&r, VT_NIBP_DIA, cuff[k].dia);
			k++;
		}
		s_ivy_second(&b, t, &r);
		if (t < cuff[0].t_s)
			continue;
		json_t *v = s_last_vitals(&o);
		json_t *sys = json_object_get(json_object_get(v, "values"), "nibp_sys");
		cr_assert(json_is_integer(sys) && json_integer_value(sys) == cuff[k - 1].sys,
		          "%d s: the blood pressure is not the last measurement's", t);
		char want[48];
		snprintf(want, sizeof want, "1970-01-01T00:%02d:%02d.000Z", cuff[k - 1].t_s / 60,
		         cuff[k - 1].t_s % 60);
		cr_assert_str_eq(json_string_value(json_object_get(json_object_get(v, "measured"),
		                                                   "nibp_sys")),
		                 want, "%d s", t);
		json_decref(v);
	}
	cr_expect_float_eq(s_baseline_at(b.c, 1500, "nibp_sys"), 135, 1e-9);
	cr_expect_float_eq(s_baseline_at(b.c, 1500, "nibp_dia"), 84, 1e-9);
	free(b.ds);
	s_done(&b.c, &cfg, &o);
}
