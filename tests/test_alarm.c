/*
 * The alarm engine against docs/alarms.md, clause by clause. Each case is a
 * rule, a sequence of samples and the exact events expected, so a reader
 * can check the table against the design without reading the engine.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vitals/alarm/alarm.h"

#define MISSING NAN   /* a sample with no value */
#define ACK (-1.0)    /* acknowledge the newest active alert instead of a sample */
#define OFF (-2.0)    /* a sample whose device says the sensor is off */

struct step {
	double t; /* seconds */
	double v; /* value, MISSING, ACK or OFF */
};

struct expect {
	double t;          /* seconds */
	const char *event; /* "raised", "cleared", "acknowledged" */
	const char *id;
	double value;      /* value carried by the event (NAN: none expected) */
};

struct rule_case {
	const char *name;
	int direction;     /* -1 below, +1 above */
	double limit;
	double clear_at;   /* NAN: default */
	double for_s;
	bool latching;
	struct step steps[40];
	struct expect want[12];
};

#define E(t, ev, id, v) {t, ev, id, v}

static const struct rule_case cases[] = {
    {"strict inequality: the limit itself is not below it", -1, 90, NAN, 0, false,
     {{0, 90}, {1, 90}, {2, 90.0}, {3, 89.9}},
     {E(3, "raised", "chair-1/r/1", 89.9)}},
    {"for: 0s raises on the first sample", -1, 90, NAN, 0, false,
     {{0, 89}},
     {E(0, "raised", "chair-1/r/1", 89)}},
    {"for: raise at the first sample at least `for` after the run began", -1, 90, NAN, 15,
     false,
     {{0, 89}, {5, 88}, {14, 87}, {14.999, 86}, {15, 86}, {16, 85}},
     {E(15, "raised", "chair-1/r/1", 86)}},
    {"a sample with no value ends the run", -1, 90, NAN, 15, false,
     {{0, 89}, {10, 89}, {11, MISSING}, {12, 89}, {26, 89}, {27, 88}},
     {E(27, "raised", "chair-1/r/1", 88)}},
    {"a sample on the other side ends the run", -1, 90, NAN, 15, false,
     {{0, 89}, {10, 89}, {11, 90}, {12, 89}, {26, 89}, {27, 88}},
     {E(27, "raised", "chair-1/r/1", 88)}},
    {"samples are what count, not elapsed time between them", -1, 90, NAN, 15, false,
     {{0, 89}, {30, 89}},
     {E(30, "raised", "chair-1/r/1", 89)}},
    {"hysteresis: clear only at clear_at", -1, 90, 92, 0, false,
     {{0, 85}, {1, 90}, {2, 91.9}, {3, 92}, {4, 93}},
     {E(0, "raised", "chair-1/r/1", 85), E(3, "cleared", "chair-1/r/1", 92)}},
    {"no clear without clear_at: the limit itself clears", -1, 90, NAN, 0, false,
     {{0, 85}, {1, 89.9}, {2, 90}},
     {E(0, "raised", "chair-1/r/1", 85), E(2, "cleared", "chair-1/r/1", 90)}},
    {"samples with no value never clear", -1, 90, 92, 0, false,
     {{0, 85}, {1, MISSING}, {2, MISSING}, {30, MISSING}, {31, 95}},
     {E(0, "raised", "chair-1/r/1", 85), E(31, "cleared", "chair-1/r/1", 95)}},
    {"a new run after clearing is a new instance", -1, 90, 92, 5, false,
     {{0, 85}, {5, 85}, {6, 93}, {7, 85}, {11, 85}, {12, 85}},
     {E(5, "raised", "chair-1/r/1", 85), E(6, "cleared", "chair-1/r/1", 93),
      E(12, "raised", "chair-1/r/2", 85)}},
    {"the clearing sample does not start a run", -1, 90, 92, 0, false,
     {{0, 85}, {1, 92}, {2, 92}, {3, 89}},
     {E(0, "raised", "chair-1/r/1", 85), E(1, "cleared", "chair-1/r/1", 92),
      E(3, "raised", "chair-1/r/2", 89)}},
    {"above mirrors below", +1, 120, 115, 10, false,
     {{0, 121}, {9, 130}, {10, 125}, {11, 116}, {12, 115}},
     {E(10, "raised", "chair-1/r/1", 125), E(12, "cleared", "chair-1/r/1", 115)}},
    {"above: strict inequality", +1, 120, NAN, 0, false,
     {{0, 120}, {1, 120.5}},
     {E(1, "raised", "chair-1/r/1", 120.5)}},
    {"latching: clear condition first, acknowledgement clears", -1, 90, 92, 0, true,
     {{0, 85}, {1, 95}, {2, 96}, {5, ACK}},
     {E(0, "raised", "chair-1/r/1", 85), E(5, "acknowledged", "chair-1/r/1", 96),
      E(5, "cleared", "chair-1/r/1", 96)}},
    {"latching: acknowledgement first, the clear condition clears", -1, 90, 92, 0, true,
     {{0, 85}, {1, ACK}, {2, 88}, {3, 93}},
     {E(0, "raised", "chair-1/r/1", 85), E(1, "acknowledged", "chair-1/r/1", 85),
      E(3, "cleared", "chair-1/r/1", 93)}},
    {"latching: a condition that returns must be met again", -1, 90, 92, 0, true,
     {{0, 85}, {1, 95}, {2, 85}, {3, ACK}, {4, 93}},
     {E(0, "raised", "chair-1/r/1", 85), E(3, "acknowledged", "chair-1/r/1", 85),
      E(4, "cleared", "chair-1/r/1", 93)}},
    {"non-latching: acknowledged alarm clears by itself", -1, 90, 92, 0, false,
     {{0, 85}, {1, ACK}, {2, 93}},
     {E(0, "raised", "chair-1/r/1", 85), E(1, "acknowledged", "chair-1/r/1", 85),
      E(2, "cleared", "chair-1/r/1", 93)}},
    {"sensor off: samples count as no value and raise nothing", -1, 90, 92, 0, false,
     {{0, OFF}, {1, OFF}, {2, 95}, {3, 85}},
     {E(0, "raised", "chair-1/sensor-off/1", NAN), E(2, "cleared", "chair-1/sensor-off/1", NAN),
      E(3, "raised", "chair-1/r/1", 85)}},
};

/* ---- a tiny configuration built in memory ---- */

static char *bed_names[] = {"chair-1", "chair-2"};

static void
s_config(struct vt_config *cfg, struct vt_monitor_config *mons, size_t n_mons,
         struct vt_rule_config *rules, size_t n_rules)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < n_mons; i++) {
		memset(&mons[i], 0, sizeof(mons[i]));
		mons[i].bed = bed_names[i];
		mons[i].port = "/dev/null";
		mons[i].stale_after_ms = 10000;
	}
	cfg->monitors = mons;
	cfg->n_monitors = n_mons;
	cfg->rules = rules;
	cfg->n_rules = n_rules;
	cfg->heartbeat_ms = 1000;
}

static void
s_rule(struct vt_rule_config *r, char *name, enum vt_param p, int dir, double limit,
       double clear_at, double for_s)
{
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->param = p;
	r->kind = VT_RULE_LIMIT;
	r->direction = dir;
	r->limit = limit;
	r->clear_at = isnan(clear_at) ? limit : clear_at;
	r->clear_at_set = !isnan(clear_at);
	r->for_ms = (int64_t)llround(for_s * 1000);
	r->priority = VT_PRIO_HIGH;
}

/* ---- event collection ---- */

struct got {
	int64_t t;
	char event[16];
	char id[VT_ALERT_ID_MAX];
	bool has_value;
	double value;
	enum vt_priority priority;
	char text[160];
	int64_t onset;
};

struct log {
	struct got ev[64];
	size_t n;
	char last_id[VT_ALERT_ID_MAX];
	bool updates;      /* keep `updated` events (the tables are about raising and clearing) */
	double worst, onset_value; /* of the latest event kept */
};

static void
s_collect(void *ctx, const struct vt_alert_event *ev)
{
	struct log *l = ctx;
	if (ev->type == VT_EV_UPDATED && !l->updates)
		return;
	cr_assert_lt(l->n, 64, "too many events");
	l->worst = ev->alert->worst;
	l->onset_value = ev->alert->onset_value;
	struct got *g = &l->ev[l->n++];
	g->t = ev->time_ms;
	snprintf(g->event, sizeof(g->event), "%s", vt_alert_event_name(ev->type));
	snprintf(g->id, sizeof(g->id), "%s", ev->alert->id);
	g->has_value = ev->alert->has_value;
	g->value = ev->alert->value;
	g->priority = ev->alert->priority;
	g->onset = ev->alert->onset_ms;
	snprintf(g->text, sizeof(g->text), "%s", ev->alert->text);
	if (ev->type == VT_EV_RAISED)
		snprintf(l->last_id, sizeof(l->last_id), "%s", ev->alert->id);
}

static void
s_sample(struct vt_alarms *a, int bed, double t, double v, struct log *l)
{
	struct vt_reading r = {0};
	if (v == OFF) {
		vt_reading_set_missing(&r, VT_SPO2);
		r.has_status = true;
		r.flags = VT_FLAG_SENSOR_OFF;
	} else {
		if (isnan(v))
			vt_reading_set_missing(&r, VT_SPO2);
		else
			vt_reading_set(&r, VT_SPO2, v);
		r.has_status = true;
	}
	vt_alarms_reading(a, bed, (int64_t)llround(t * 1000), &r, s_collect, l);
}

Test(alarm, limit_rule_table)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct rule_case *rc = &cases[c];
		struct vt_config cfg;
		struct vt_monitor_config mons[1];
		struct vt_rule_config rule;
		s_rule(&rule, "r", VT_SPO2, rc->direction, rc->limit, rc->clear_at, rc->for_s);
		rule.latching = rc->latching;
		s_config(&cfg, mons, 1, &rule, 1);
		struct vt_alarms *a = vt_alarms_new(&cfg);
		struct log l = {0};
		for (size_t i = 0; i < 40; i++) {
			const struct step *s = &rc->steps[i];
			if (i > 0 && s->t == 0 && s->v == 0)
				break;
			if (s->v == ACK)
				cr_assert_eq(vt_alarms_ack(a, l.last_id, "test", (int64_t)(s->t * 1000),
				                           s_collect, &l),
				             0, "%s: ack failed", rc->name);
			else
				s_sample(a, 0, s->t, s->v, &l);
		}
		size_t n_want = 0;
		while (n_want < 12 && rc->want[n_want].event != NULL)
			n_want++;
		cr_expect_eq(l.n, n_want, "%s: %zu events, expected %zu", rc->name, l.n, n_want);
		for (size_t i = 0; i < n_want && i < l.n; i++) {
			const struct expect *w = &rc->want[i];
			cr_expect_eq(l.ev[i].t, (int64_t)llround(w->t * 1000), "%s: event %zu at %lld ms",
			             rc->name, i, (long long)l.ev[i].t);
			cr_expect_str_eq(l.ev[i].event, w->event, "%s: event %zu", rc->name, i);
			cr_expect_str_eq(l.ev[i].id, w->id, "%s: event %zu", rc->name, i);
			if (!isnan(w->value)) {
				cr_expect(l.ev[i].has_value, "%s: event %zu has no value", rc->name, i);
				cr_expect_eq(l.ev[i].value, w->value, "%s: event %zu value %g", rc->name,
				             i, l.ev[i].value);
			}
		}
		vt_alarms_free(&a);
	}
}

Test(alarm, raised_alert_describes_itself)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	struct vt_rule_config rule;
	s_rule(&rule, "spo2-low", VT_SPO2, -1, 90, 92, 15);
	s_config(&cfg, mons, 1, &rule, 1);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	s_sample(a, 0, 100, 88, &l);
	s_sample(a, 0, 115, 86, &l);
	cr_assert_eq(l.n, 1);
	cr_expect_str_eq(l.ev[0].id, "chair-1/spo2-low/1");
	cr_expect_str_eq(l.ev[0].text, "SpO2 86 % below 90 % for 15 s");
	cr_expect_eq(l.ev[0].onset, 100000, "onset is the run's first sample");
	cr_expect_eq(l.ev[0].priority, VT_PRIO_HIGH);
	const struct vt_alert *al = vt_alarms_active(a, 0);
	cr_assert_not_null(al);
	cr_expect_eq(al->limit, 90);
	cr_expect_eq(vt_alarms_active_count(a), 1);
	vt_alarms_free(&a);
}

/*
 * docs/alarms.md: while an alarm is active its value follows the latest
 * sample (an `updated` event each time it moves, its text saying the value
 * now), with the worst value and the value at onset beside it.
 */
Test(alarm, value_follows_the_latest_sample_with_worst_and_onset)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	struct vt_rule_config rule;
	s_rule(&rule, "spo2-low", VT_SPO2, -1, 90, 92, 2);
	rule.latching = true;
	s_config(&cfg, mons, 1, &rule, 1);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {.updates = true};
	s_sample(a, 0, 0, 89, &l);
	s_sample(a, 0, 1, 84, &l); /* the worst comes before the raise */
	s_sample(a, 0, 2, 86, &l);
	cr_assert_eq(l.n, 1);
	cr_expect_str_eq(l.ev[0].event, "raised");
	cr_expect_eq(l.ev[0].value, 86);
	cr_expect_eq(l.worst, 84);
	cr_expect_eq(l.onset_value, 89, "the run's first sample");
	cr_expect_str_eq(l.ev[0].text, "SpO2 86 % below 90 % for 2 s, worst 84 %");

	s_sample(a, 0, 3, 86, &l); /* the same value: nothing to say */
	cr_expect_eq(l.n, 1);
	s_sample(a, 0, 4, 79, &l);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.ev[1].event, "updated");
	cr_expect_eq(l.ev[1].t, 4000);
	cr_expect_eq(l.ev[1].value, 79);
	cr_expect_eq(l.worst, 79);
	cr_expect_eq(l.onset_value, 89, "the onset value stays");
	cr_expect_str_eq(l.ev[1].text, "SpO2 79 % below 90 % for 2 s");
	cr_expect_eq(l.ev[1].onset, 0, "the onset stays");

	s_sample(a, 0, 5, MISSING, &l); /* no value: the alarm keeps its last one */
	cr_expect_eq(l.n, 2);
	cr_expect_eq(vt_alarms_active(a, 0)->value, 79);

	s_sample(a, 0, 6, 91, &l); /* between the limit and clear_at */
	cr_assert_eq(l.n, 3);
	cr_expect_eq(l.ev[2].value, 91);
	cr_expect_str_eq(l.ev[2].text, "SpO2 91 %, not yet back to 92 %, worst 79 %");
	s_sample(a, 0, 7, 95, &l); /* back, but latched */
	cr_assert_eq(l.n, 4);
	cr_expect_str_eq(l.ev[3].event, "updated");
	cr_expect_str_eq(l.ev[3].text,
	                 "SpO2 back to 95 % (clears at 92 %); latched until acknowledged, worst 79 %");
	cr_expect_eq(vt_alarms_ack(a, "chair-1/spo2-low/1", "x", 8000, s_collect, &l), 0);
	cr_assert_eq(l.n, 6);
	cr_expect_str_eq(l.ev[4].event, "acknowledged");
	cr_expect_eq(l.ev[4].value, 95, "every event carries the value now");
	cr_expect_str_eq(l.ev[5].event, "cleared");
	cr_expect_eq(l.worst, 79);
	vt_alarms_free(&a);
}

Test(alarm, several_rules_and_beds_at_once)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[2];
	struct vt_rule_config rules[3];
	char *only_two[] = {"chair-2"};
	s_rule(&rules[0], "spo2-low", VT_SPO2, -1, 90, 92, 0);
	s_rule(&rules[1], "spo2-crit", VT_SPO2, -1, 85, 88, 0);
	s_rule(&rules[2], "spo2-chair2", VT_SPO2, -1, 95, 96, 0);
	rules[2].beds = only_two;
	rules[2].n_beds = 1;
	s_config(&cfg, mons, 2, rules, 3);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	s_sample(a, 0, 0, 94, &l); /* chair-1: only spo2-chair2 would fire, and it does not apply */
	cr_expect_eq(l.n, 0);
	s_sample(a, 1, 0, 94, &l); /* chair-2: spo2-chair2 */
	cr_assert_eq(l.n, 1);
	cr_expect_str_eq(l.ev[0].id, "chair-2/spo2-chair2/1");
	s_sample(a, 0, 1, 84, &l); /* chair-1: spo2-low and spo2-crit, in rule order */
	cr_assert_eq(l.n, 3);
	cr_expect_str_eq(l.ev[1].id, "chair-1/spo2-low/1");
	cr_expect_str_eq(l.ev[2].id, "chair-1/spo2-crit/1");
	s_sample(a, 0, 2, 89, &l); /* clears crit (>= 88), not low */
	cr_assert_eq(l.n, 4);
	cr_expect_str_eq(l.ev[3].event, "cleared");
	cr_expect_str_eq(l.ev[3].id, "chair-1/spo2-crit/1");
	cr_expect_eq(vt_alarms_active_count(a), 2);
	/* A reading that does not report SpO2 is not a sample of SpO2. */
	struct vt_reading r = {0};
	vt_reading_set(&r, VT_PR, 80);
	vt_alarms_reading(a, 0, 3000, &r, s_collect, &l);
	cr_expect_eq(l.n, 4);
	vt_alarms_free(&a);
}

Test(alarm, unknown_ack_is_refused)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	s_config(&cfg, mons, 1, NULL, 0);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	cr_expect_eq(vt_alarms_ack(a, "chair-1/nothing/1", "x", 0, NULL, NULL), -1);
	vt_alarms_free(&a);
}

Test(alarm, comm_lost_at_its_deadline_and_cleared_by_data)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	s_config(&cfg, mons, 1, NULL, 0);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	vt_alarms_monitor_start(a, 0, 0);
	cr_expect_eq(vt_alarms_next_deadline(a), 10000);
	s_sample(a, 0, 3, 97, &l);
	cr_expect_eq(vt_alarms_next_deadline(a), 13000);
	vt_alarms_advance(a, 12999, s_collect, &l);
	cr_expect_eq(l.n, 0);
	vt_alarms_advance(a, 20000, s_collect, &l);
	cr_assert_eq(l.n, 1);
	cr_expect_str_eq(l.ev[0].id, "chair-1/comm-lost/1");
	cr_expect_eq(l.ev[0].t, 13000, "raised at the deadline, not when noticed");
	vt_alarms_advance(a, 40000, s_collect, &l);
	cr_expect_eq(l.n, 1, "raised once");
	s_sample(a, 0, 41, 97, &l);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.ev[1].event, "cleared");
	cr_expect_eq(l.ev[1].t, 41000);
	vt_alarms_free(&a);
}

Test(alarm, no_data_for_watched_parameters_only)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	struct vt_rule_config rule;
	s_rule(&rule, "spo2-low", VT_SPO2, -1, 90, 92, 15);
	s_config(&cfg, mons, 1, &rule, 1);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	vt_alarms_monitor_start(a, 0, 0);
	vt_alarms_port_connected(a, 0, 0);
	for (int t = 0; t <= 5; t++)
		s_sample(a, 0, t, 97, &l);
	for (int t = 6; t <= 20; t++) {
		vt_alarms_advance(a, t * 1000 - 1, s_collect, &l);
		s_sample(a, 0, t, MISSING, &l);
	}
	cr_assert_eq(l.n, 1);
	cr_expect_str_eq(l.ev[0].id, "chair-1/no-data/1");
	cr_expect_eq(l.ev[0].t, 15000, "10 s after the last valid value at 5 s");
	s_sample(a, 0, 21, 96, &l);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.ev[1].event, "cleared");
	cr_expect_eq(l.ev[1].value, 96);
	vt_alarms_free(&a);
}

Test(alarm, no_data_waits_while_sensor_off_explains_it)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	struct vt_rule_config rule;
	s_rule(&rule, "spo2-low", VT_SPO2, -1, 90, 92, 0);
	s_config(&cfg, mons, 1, &rule, 1);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	vt_alarms_monitor_start(a, 0, 0);
	vt_alarms_port_connected(a, 0, 0);
	s_sample(a, 0, 0, 97, &l);
	for (int t = 1; t <= 30; t++) {
		vt_alarms_advance(a, t * 1000 - 1, s_collect, &l);
		s_sample(a, 0, t, OFF, &l);
	}
	cr_assert_eq(l.n, 1, "only sensor-off, no no-data");
	cr_expect_str_eq(l.ev[0].id, "chair-1/sensor-off/1");
	/* Sensor back at 31 s but no value yet: no-data gets a fresh stale_after. */
	for (int t = 31; t <= 45; t++) {
		vt_alarms_advance(a, t * 1000 - 1, s_collect, &l);
		s_sample(a, 0, t, MISSING, &l);
	}
	cr_assert_eq(l.n, 3);
	cr_expect_str_eq(l.ev[1].event, "cleared");
	cr_expect_str_eq(l.ev[2].id, "chair-1/no-data/1");
	cr_expect_eq(l.ev[2].t, 41000);
	vt_alarms_free(&a);
}

Test(alarm, signal_quality_is_low_priority_and_not_with_sensor_off)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	s_config(&cfg, mons, 1, NULL, 0);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	struct vt_reading r = {0};
	vt_reading_set(&r, VT_SPO2, 95);
	r.has_status = true;
	r.flags = VT_FLAG_LOW_PERFUSION;
	vt_alarms_reading(a, 0, 0, &r, s_collect, &l);
	cr_assert_eq(l.n, 1);
	cr_expect_str_eq(l.ev[0].id, "chair-1/signal-quality/1");
	cr_expect_eq(l.ev[0].priority, VT_PRIO_LOW);
	r.flags = VT_FLAG_NO_SENSOR | VT_FLAG_PULSE_SEARCH;
	vt_alarms_reading(a, 0, 1000, &r, s_collect, &l);
	cr_assert_eq(l.n, 3);
	cr_expect_str_eq(l.ev[1].id, "chair-1/sensor-off/1");
	cr_expect_str_eq(l.ev[2].event, "cleared");
	cr_expect_str_eq(l.ev[2].id, "chair-1/signal-quality/1");
	/* A reading without status says nothing about the sensor. */
	struct vt_reading plain = {0};
	vt_reading_set(&plain, VT_SPO2, 95);
	vt_alarms_reading(a, 0, 2000, &plain, s_collect, &l);
	cr_expect_eq(l.n, 3);
	vt_alarms_free(&a);
}

/* ---- acknowledge, silence, escalate ---- */

/* Run the engine's deadlines up to t, as the core does. */
static void
s_advance(struct vt_alarms *a, double t, struct log *l)
{
	int64_t until = (int64_t)llround(t * 1000);
	for (int64_t next; (next = vt_alarms_next_deadline(a)) <= until;)
		vt_alarms_advance(a, next, s_collect, l);
}

Test(alarm, escalation_rises_one_priority_per_interval_until_acknowledged)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	struct vt_rule_config rule;
	s_rule(&rule, "pr-high", VT_PR, +1, 120, 115, 0);
	rule.priority = VT_PRIO_LOW;
	rule.escalate_after_ms = 60000;
	s_config(&cfg, mons, 1, &rule, 1);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	struct vt_reading r = {0};
	vt_reading_set(&r, VT_PR, 130);
	vt_alarms_reading(a, 0, 0, &r, s_collect, &l);
	cr_expect_eq(vt_alarms_next_deadline(a), 60000);
	s_advance(a, 59.999, &l);
	cr_expect_eq(l.n, 1);
	s_advance(a, 60, &l);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.ev[1].event, "escalated");
	cr_expect_eq(l.ev[1].t, 60000);
	cr_expect_eq(l.ev[1].priority, VT_PRIO_MEDIUM);
	s_advance(a, 120, &l);
	cr_assert_eq(l.n, 3);
	cr_expect_eq(l.ev[2].priority, VT_PRIO_HIGH);
	s_advance(a, 1000, &l);
	cr_expect_eq(l.n, 3, "high is the top: no further escalation");
	vt_alarms_free(&a);

	/* Acknowledged before the deadline: no escalation. */
	a = vt_alarms_new(&cfg);
	l.n = 0;
	vt_alarms_reading(a, 0, 0, &r, s_collect, &l);
	cr_assert_eq(vt_alarms_ack(a, "chair-1/pr-high/1", "station-2", 30000, s_collect, &l), 0);
	s_advance(a, 1000, &l);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.ev[1].event, "acknowledged");
	vt_alarms_free(&a);
}

Test(alarm, silence_pauses_breaks_through_and_expires)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[2];
	struct vt_rule_config rules[2];
	s_rule(&rules[0], "pr-high", VT_PR, +1, 120, 115, 0);
	rules[0].priority = VT_PRIO_MEDIUM;
	s_rule(&rules[1], "spo2-low", VT_SPO2, -1, 90, 92, 0);
	rules[1].priority = VT_PRIO_HIGH;
	s_config(&cfg, mons, 2, rules, 2);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	struct vt_reading r = {0};
	vt_reading_set(&r, VT_PR, 130);
	vt_alarms_reading(a, 0, 0, &r, s_collect, &l);
	cr_assert_eq(l.n, 1);

	/* Silence chair-1 for 2 min at t=10 s. */
	int64_t until = vt_alarms_silence(a, 0, 120000, "station-2", 10000, s_collect, &l);
	cr_expect_eq(until, 130000);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.ev[1].event, "silenced");
	cr_expect_eq(vt_alarms_active(a, 0)->silenced_until, 130000);

	/* chair-2 is not affected. */
	vt_alarms_reading(a, 1, 20000, &r, s_collect, &l);
	cr_assert_eq(l.n, 3);
	cr_expect_eq(vt_alarms_active(a, 1)->silenced_until, 0);

	/* A high-priority alarm on chair-1 breaks through: the pause ends first. */
	struct vt_reading low = {0};
	vt_reading_set(&low, VT_SPO2, 85);
	vt_alarms_reading(a, 0, 30000, &low, s_collect, &l);
	cr_assert_eq(l.n, 5);
	cr_expect_str_eq(l.ev[3].event, "silenced");
	cr_expect_str_eq(l.ev[3].id, "chair-1/pr-high/1");
	cr_expect_eq(vt_alarms_silenced_until(a, 0), 0);
	cr_expect_str_eq(l.ev[4].event, "raised");
	cr_expect_str_eq(l.ev[4].id, "chair-1/spo2-low/1");
	vt_alarms_free(&a);

	/* Expiry is an event at the end of the pause; a same-priority alarm stays quiet. */
	a = vt_alarms_new(&cfg);
	l.n = 0;
	vt_alarms_reading(a, 0, 0, &r, s_collect, &l);
	vt_alarms_silence(a, 0, 60000, NULL, 0, s_collect, &l);
	struct vt_reading other = {0};
	vt_reading_set(&other, VT_PR, 130);
	vt_alarms_reading(a, 1, 5000, &other, s_collect, &l);
	s_advance(a, 59.999, &l);
	cr_assert_eq(l.n, 3);
	s_advance(a, 60, &l);
	cr_assert_eq(l.n, 4);
	cr_expect_str_eq(l.ev[3].event, "silenced");
	cr_expect_eq(l.ev[3].t, 60000);
	cr_expect_eq(vt_alarms_active(a, 0)->silenced_until, 0);
	vt_alarms_free(&a);
}

Test(alarm, silence_without_alarms_covers_up_to_medium)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	struct vt_rule_config rules[2];
	s_rule(&rules[0], "pr-high", VT_PR, +1, 120, 115, 0);
	rules[0].priority = VT_PRIO_MEDIUM;
	s_rule(&rules[1], "spo2-low", VT_SPO2, -1, 90, 92, 0);
	rules[1].priority = VT_PRIO_HIGH;
	s_config(&cfg, mons, 1, rules, 2);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	vt_alarms_silence(a, 0, 60000, NULL, 0, s_collect, &l);
	cr_expect_eq(l.n, 0);
	struct vt_reading r = {0};
	vt_reading_set(&r, VT_PR, 130);
	vt_alarms_reading(a, 0, 1000, &r, s_collect, &l);
	cr_assert_eq(l.n, 1);
	cr_expect_eq(vt_alarms_active(a, 0)->silenced_until, 60000, "medium joins the pause");
	vt_reading_set(&r, VT_SPO2, 80);
	vt_alarms_reading(a, 0, 2000, &r, s_collect, &l);
	cr_expect_eq(vt_alarms_silenced_until(a, 0), 0, "high breaks through");
	vt_alarms_free(&a);
}

/* ---- phases, baseline-relative and rate rules ---- */

static void
s_value(struct vt_alarms *a, int bed, enum vt_param p, double t, double v, struct log *l)
{
	struct vt_reading r = {0};
	vt_reading_set(&r, p, v);
	vt_alarms_reading(a, bed, (int64_t)llround(t * 1000), &r, s_collect, l);
}

Test(alarm, phase_bound_rules_apply_only_in_their_phases)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	struct vt_rule_config rule;
	s_rule(&rule, "pr-high-infusion", VT_PR, +1, 110, 105, 0);
	rule.phases = VT_PHASE_BIT(VT_PHASE_INFUSION);
	s_config(&cfg, mons, 1, &rule, 1);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	s_value(a, 0, VT_PR, 0, 130, &l);
	cr_expect_eq(l.n, 0, "no session: not in force");
	vt_alarms_set_phase(a, 0, VT_PHASE_BASELINE, 1000, s_collect, &l);
	s_value(a, 0, VT_PR, 2, 130, &l);
	cr_expect_eq(l.n, 0, "baseline: not in force");
	vt_alarms_set_phase(a, 0, VT_PHASE_INFUSION, 3000, s_collect, &l);
	s_value(a, 0, VT_PR, 4, 130, &l);
	cr_assert_eq(l.n, 1);
	cr_expect_str_eq(l.ev[0].event, "raised");
	vt_alarms_set_phase(a, 0, VT_PHASE_RECOVERY, 5000, s_collect, &l);
	cr_assert_eq(l.n, 2, "leaving the phase clears the rule's alarm");
	cr_expect_str_eq(l.ev[1].event, "cleared");
	cr_expect_eq(l.ev[1].t, 5000);
	cr_expect_str_eq(l.ev[1].text, "Rule pr-high-infusion not in force in phase recovery");
	vt_alarms_free(&a);
}

Test(alarm, baseline_relative_rules)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	struct vt_rule_config rules[2];
	s_rule(&rules[0], "pr-rise", VT_PR, +1, 0, NAN, 10);
	rules[0].kind = VT_RULE_BASELINE;
	rules[0].delta = 30;
	rules[0].delta_percent = true;
	s_rule(&rules[1], "spo2-drop", VT_SPO2, -1, 0, NAN, 0);
	rules[1].kind = VT_RULE_BASELINE;
	rules[1].delta = 4;
	s_config(&cfg, mons, 1, rules, 2);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	s_value(a, 0, VT_PR, 0, 150, &l);
	cr_expect_eq(l.n, 0, "no baseline yet");
	vt_alarms_set_baseline(a, 0, VT_PR, 80);
	vt_alarms_set_baseline(a, 0, VT_SPO2, 97);
	s_value(a, 0, VT_PR, 1, 104, &l); /* 80 + 30 % = 104: not above */
	s_value(a, 0, VT_PR, 2, 105, &l);
	s_value(a, 0, VT_PR, 11, 110, &l);
	cr_expect_eq(l.n, 0);
	s_value(a, 0, VT_PR, 12, 111, &l);
	cr_assert_eq(l.n, 1);
	cr_expect_str_eq(l.ev[0].id, "chair-1/pr-rise/1");
	cr_expect_str_eq(l.ev[0].text, "PR 111 bpm above 104 bpm (baseline 80 bpm) for 10 s");
	s_value(a, 0, VT_PR, 13, 104, &l);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.ev[1].event, "cleared");
	s_value(a, 0, VT_SPO2, 14, 93, &l); /* 97 - 4 = 93: not below */
	s_value(a, 0, VT_SPO2, 15, 92, &l);
	cr_assert_eq(l.n, 3);
	cr_expect_str_eq(l.ev[2].id, "chair-1/spo2-drop/1");
	vt_alarms_free(&a);
}

Test(alarm, rate_rule_falls_by_within)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	struct vt_rule_config rule;
	s_rule(&rule, "spo2-falling", VT_SPO2, -1, 0, NAN, 0);
	rule.kind = VT_RULE_RATE;
	rule.delta = 4;
	rule.within_ms = 60000;
	s_config(&cfg, mons, 1, &rule, 1);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	s_value(a, 0, VT_SPO2, 0, 98, &l);
	s_value(a, 0, VT_SPO2, 30, 96, &l);
	s_value(a, 0, VT_SPO2, 61, 95, &l); /* 98 at t=0 fell out of the window: 96 - 95 = 1 */
	cr_expect_eq(l.n, 0);
	s_value(a, 0, VT_SPO2, 70, 92, &l); /* 96 - 92 = 4 within 60 s */
	cr_assert_eq(l.n, 1);
	cr_expect_str_eq(l.ev[0].text, "SpO2 fell by 4 % to 92 % within 1 min");
	s_value(a, 0, VT_SPO2, 80, 94, &l); /* 96 - 94 = 2: not yet half of 4 */
	cr_expect_eq(l.n, 1);
	cr_expect_eq(l.ev[0].t, 70000);
	s_value(a, 0, VT_SPO2, 91, 94, &l); /* 96 at 30 s is out: max is 95 → fell by 1 */
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.ev[1].event, "cleared");
	vt_alarms_free(&a);
}

Test(alarm, recording_failed_is_raised_once_and_cleared_when_recording_works)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[2];
	struct vt_rule_config rule;
	s_rule(&rule, "spo2-low", VT_SPO2, -1, 90, NAN, 0);
	s_config(&cfg, mons, 2, &rule, 1);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	vt_alarms_recording(a, 0, true, 500, NULL, s_collect, &l);
	cr_expect_eq(l.n, 0, "working recording: nothing");
	vt_alarms_recording(a, 0, false, 1000, "No space left on device", s_collect, &l);
	vt_alarms_recording(a, 0, false, 2000, "No space left on device", s_collect, &l);
	cr_assert_eq(l.n, 1, "raised once, not at every failed write");
	cr_expect_str_eq(l.ev[0].event, "raised");
	cr_expect_str_eq(l.ev[0].id, "chair-1/recording-failed/1");
	cr_expect_eq(l.ev[0].t, 1000);
	cr_expect_eq(l.ev[0].priority, VT_PRIO_MEDIUM);
	cr_expect_str_eq(l.ev[0].text,
	                 "Recording failed: No space left on device; monitoring continues");
	const struct vt_alert *al = vt_alarms_active(a, 0);
	cr_assert_not_null(al);
	cr_expect_eq(al->kind, VT_KIND_TECHNICAL);
	cr_expect_str_eq(al->rule, "recording-failed");
	cr_expect_eq(al->param, -1);
	cr_expect_str_eq(vt_technical_name(VT_TECH_RECORDING_FAILED), "recording-failed");

	/* Monitoring goes on: physiological alarms are raised as ever. */
	s_sample(a, 0, 3, 85, &l);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.ev[1].id, "chair-1/spo2-low/1");
	/* Another bed's recorder is its own business. */
	vt_alarms_recording(a, 1, true, 3500, NULL, s_collect, &l);
	cr_expect_eq(l.n, 2);

	vt_alarms_recording(a, 0, true, 4000, NULL, s_collect, &l);
	cr_assert_eq(l.n, 3);
	cr_expect_str_eq(l.ev[2].event, "cleared");
	cr_expect_str_eq(l.ev[2].id, "chair-1/recording-failed/1");
	cr_expect_str_eq(l.ev[2].text, "Recording again");
	vt_alarms_recording(a, 0, false, 5000, NULL, s_collect, &l);
	cr_assert_eq(l.n, 4);
	cr_expect_str_eq(l.ev[3].id, "chair-1/recording-failed/2", "a new failure, a new instance");
	cr_expect_str_eq(l.ev[3].text, "Recording failed; monitoring continues");
	vt_alarms_free(&a);
}

/* Bytes that arrive but never decode are not silence: undecodable-data takes
 * comm-lost's place, names the count, and the two hand over to each other
 * as the line changes (docs/alarms.md). */
Test(alarm, undecodable_data_instead_of_comm_lost)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	s_config(&cfg, mons, 1, NULL, 0);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	vt_alarms_monitor_start(a, 0, 0);
	/* A kilobyte a second from 0.5 s on, none of it decodable. */
	for (int i = 0; i < 12; i++) {
		vt_alarms_advance(a, 500 + i * 1000 - 1, s_collect, &l);
		vt_alarms_undecoded(a, 0, 500 + i * 1000, (uint64_t)(i + 1) * 1000, "nonin-df7",
		                    s_collect, &l);
	}
	cr_assert_eq(l.n, 1, "one alarm, and not comm-lost");
	cr_expect_str_eq(l.ev[0].id, "chair-1/undecodable-data/1");
	cr_expect_eq(l.ev[0].t, 10000, "at stale_after, as comm-lost would have been");
	cr_expect_eq(l.ev[0].priority, VT_PRIO_MEDIUM);
	cr_expect_str_eq(l.ev[0].text, "Receiving data that cannot be decoded (wrong protocol or baud "
	                               "rate?): 10000 bytes, no valid frame for 10 s; it looks like "
	                               "nonin-df7");
	/* The bytes stop: after stale_after of quiet it is comm-lost. */
	vt_alarms_advance(a, 21499, s_collect, &l);
	cr_expect_eq(l.n, 1);
	cr_expect_eq(vt_alarms_next_deadline(a), 21500);
	vt_alarms_advance(a, 30000, s_collect, &l);
	cr_assert_eq(l.n, 3);
	cr_expect_str_eq(l.ev[1].event, "cleared");
	cr_expect_str_eq(l.ev[1].id, "chair-1/undecodable-data/1");
	cr_expect_eq(l.ev[1].t, 21500);
	cr_expect_str_eq(l.ev[2].id, "chair-1/comm-lost/1");
	cr_expect_eq(l.ev[2].t, 21500);
	/* Bytes again, undecodable: a little noise is not enough ... */
	vt_alarms_undecoded(a, 0, 40000, 3, NULL, s_collect, &l);
	vt_alarms_undecoded(a, 0, 45000, 6, NULL, s_collect, &l);
	cr_expect_eq(l.n, 3, "not for less than stale_after of bytes");
	/* ... but a stream for stale_after is. */
	vt_alarms_undecoded(a, 0, 50000, 9000, NULL, s_collect, &l);
	cr_assert_eq(l.n, 5);
	cr_expect_str_eq(l.ev[3].event, "cleared");
	cr_expect_str_eq(l.ev[3].id, "chair-1/comm-lost/1");
	cr_expect_str_eq(l.ev[4].id, "chair-1/undecodable-data/2");
	cr_expect_eq(l.ev[4].t, 50000);
	cr_expect(strstr(l.ev[4].text, "9000 bytes") != NULL, "%s", l.ev[4].text);
	cr_expect(strstr(l.ev[4].text, "looks like") == NULL, "no guess without one: %s",
	          l.ev[4].text);
	/* A valid reading ends it. */
	s_sample(a, 0, 51, 97, &l);
	cr_assert_eq(l.n, 6);
	cr_expect_str_eq(l.ev[5].event, "cleared");
	cr_expect_str_eq(l.ev[5].id, "chair-1/undecodable-data/2");
	cr_expect_str_eq(l.ev[5].text, "Valid data again");
	vt_alarms_free(&a);
}

/* A frame cut off when the cable is pulled is not undecodable data: the
 * driver has rejected nothing, so silence is comm-lost. */
Test(alarm, silence_after_good_frames_is_comm_lost)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	s_config(&cfg, mons, 1, NULL, 0);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	vt_alarms_monitor_start(a, 0, 0);
	vt_alarms_undecoded(a, 0, 100, 40, NULL, s_collect, &l); /* leading garbage */
	s_sample(a, 0, 1, 97, &l);
	vt_alarms_advance(a, 20000, s_collect, &l);
	cr_assert_eq(l.n, 1);
	cr_expect_str_eq(l.ev[0].id, "chair-1/comm-lost/1");
	cr_expect_eq(l.ev[0].t, 11000);
	vt_alarms_free(&a);
}

/* ---- the monitor's own alarms ---- */

static struct vt_device_alarm
s_monitor_alarm(const char *code, const char *source, enum vt_alert_kind kind,
                enum vt_priority prio, bool active)
{
	struct vt_device_alarm da = {.kind = kind, .priority = prio, .active = active, .param = -1};
	snprintf(da.code, sizeof da.code, "%s", code);
	snprintf(da.source, sizeof da.source, "%s", source);
	snprintf(da.text, sizeof da.text, "%s on %s", code, source[0] ? source : "the monitor");
	return da;
}

Test(alarm, the_monitors_own_alarms_start_update_and_end)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[2];
	s_config(&cfg, mons, 2, NULL, 0);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	struct vt_device_alarm lead = s_monitor_alarm("MDC_EVT_LEAD_OFF", "", VT_KIND_TECHNICAL,
	                                              VT_PRIO_LOW, true);
	struct vt_device_alarm hr_hi = s_monitor_alarm("MDC_EVT_HI", "MDC_ECG_HEART_RATE",
	                                               VT_KIND_PHYSIOLOGICAL, VT_PRIO_MEDIUM, true);
	struct vt_device_alarm spo2_hi = s_monitor_alarm("MDC_EVT_HI", "MDC_PULS_OXIM_SAT_O2",
	                                                 VT_KIND_PHYSIOLOGICAL, VT_PRIO_HIGH, true);
	vt_alarms_device(a, 0, 1000, &lead, s_collect, &l);
	vt_alarms_device(a, 0, 2000, &lead, s_collect, &l); /* an update: nothing new */
	vt_alarms_device(a, 0, 3000, &hr_hi, s_collect, &l);
	vt_alarms_device(a, 0, 4000, &spo2_hi, s_collect, &l); /* same code, other source */
	vt_alarms_device(a, 1, 4000, &hr_hi, s_collect, &l);   /* another bed */
	cr_assert_eq(l.n, 4);
	cr_expect_str_eq(l.ev[0].id, "chair-1/monitor:MDC_EVT_LEAD_OFF/1");
	cr_expect_str_eq(l.ev[0].event, "raised");
	cr_expect_eq(l.ev[0].priority, VT_PRIO_LOW);
	cr_expect_str_eq(l.ev[0].text, "Monitor: MDC_EVT_LEAD_OFF on the monitor");
	cr_expect_str_eq(l.ev[1].id, "chair-1/monitor:MDC_EVT_HI/2");
	cr_expect_str_eq(l.ev[2].id, "chair-1/monitor:MDC_EVT_HI/3");
	cr_expect_str_eq(l.ev[3].id, "chair-2/monitor:MDC_EVT_HI/1");
	cr_assert_eq(vt_alarms_active_count(a), 4);
	const struct vt_alert *al = vt_alarms_active(a, 0);
	cr_expect(al->monitor);
	cr_expect_str_eq(al->rule, "monitor:MDC_EVT_LEAD_OFF");
	cr_expect_eq(al->kind, VT_KIND_TECHNICAL);
	cr_expect_eq(vt_alarms_active(a, 1)->kind, VT_KIND_PHYSIOLOGICAL);

	/* The monitor raises the priority: escalated. */
	lead.priority = VT_PRIO_MEDIUM;
	vt_alarms_device(a, 0, 5000, &lead, s_collect, &l);
	cr_assert_eq(l.n, 5);
	cr_expect_str_eq(l.ev[4].event, "escalated");
	cr_expect_eq(l.ev[4].priority, VT_PRIO_MEDIUM);
	/* And lowers it again: deescalated. */
	lead.priority = VT_PRIO_LOW;
	vt_alarms_device(a, 0, 5500, &lead, s_collect, &l);
	cr_assert_eq(l.n, 6);
	cr_expect_str_eq(l.ev[5].event, "deescalated");
	l.n = 5;
	/* It ends: cleared, by code and source; an end never seen begun changes nothing. */
	hr_hi.active = false;
	vt_alarms_device(a, 0, 6000, &hr_hi, s_collect, &l);
	struct vt_device_alarm never = s_monitor_alarm("MDC_EVT_LO", "", VT_KIND_TECHNICAL,
	                                               VT_PRIO_LOW, false);
	vt_alarms_device(a, 0, 6000, &never, s_collect, &l);
	cr_assert_eq(l.n, 6);
	cr_expect_str_eq(l.ev[5].event, "cleared");
	cr_expect_str_eq(l.ev[5].id, "chair-1/monitor:MDC_EVT_HI/2");
	cr_expect_eq(l.ev[5].t, 6000);
	/* Acknowledged like any alert. */
	cr_expect_eq(vt_alarms_ack(a, "chair-1/monitor:MDC_EVT_LEAD_OFF/1", "nurse", 7000,
	                           s_collect, &l), 0);
	cr_expect_str_eq(l.ev[6].event, "acknowledged");
	vt_alarms_free(&a);
}

Test(alarm, comm_lost_ends_the_monitors_alarms)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	s_config(&cfg, mons, 1, NULL, 0);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	vt_alarms_monitor_start(a, 0, 0);
	s_sample(a, 0, 1, 97, &l);
	struct vt_device_alarm lead = s_monitor_alarm("MDC_EVT_LEAD_OFF", "", VT_KIND_TECHNICAL,
	                                              VT_PRIO_LOW, true);
	vt_alarms_device(a, 0, 1000, &lead, s_collect, &l);
	vt_alarms_advance(a, 30000, s_collect, &l);
	cr_assert_eq(l.n, 3);
	cr_expect_str_eq(l.ev[1].id, "chair-1/comm-lost/1");
	cr_expect_str_eq(l.ev[2].event, "cleared");
	cr_expect_str_eq(l.ev[2].id, "chair-1/monitor:MDC_EVT_LEAD_OFF/1");
	cr_expect_eq(l.ev[2].t, 11000, "at comm-lost's deadline");
	cr_expect_eq(vt_alarms_active_count(a), 1);
	vt_alarms_free(&a);
}

Test(alarm, at_most_sixteen_monitor_alarms_a_bed)
{
	struct vt_config cfg;
	struct vt_monitor_config mons[1];
	s_config(&cfg, mons, 1, NULL, 0);
	struct vt_alarms *a = vt_alarms_new(&cfg);
	struct log l = {0};
	for (int i = 0; i < VT_MONITOR_ALARMS_MAX + 4; i++) {
		char code[32];
		snprintf(code, sizeof code, "CODE_%d", i);
		struct vt_device_alarm da = s_monitor_alarm(code, "", VT_KIND_TECHNICAL, VT_PRIO_LOW, true);
		vt_alarms_device(a, 0, 1000, &da, s_collect, &l);
	}
	cr_expect_eq(vt_alarms_active_count(a), VT_MONITOR_ALARMS_MAX);
	/* One ends: room for the next. */
	struct vt_device_alarm end = s_monitor_alarm("CODE_0", "", VT_KIND_TECHNICAL, VT_PRIO_LOW, false);
	vt_alarms_device(a, 0, 2000, &end, s_collect, &l);
	struct vt_device_alarm more = s_monitor_alarm("CODE_99", "", VT_KIND_TECHNICAL, VT_PRIO_LOW, true);
	vt_alarms_device(a, 0, 2000, &more, s_collect, &l);
	cr_expect_eq(vt_alarms_active_count(a), VT_MONITOR_ALARMS_MAX);
	cr_expect_str_eq(l.ev[l.n - 1].id, "chair-1/monitor:CODE_99/17");
	vt_alarms_free(&a);
}

Test(alarm, a_reload_keeps_the_monitors_alarms_of_beds_that_stay)
{
	struct vt_config cfg, next;
	struct vt_monitor_config mons[1], next_mons[1];
	s_config(&cfg, mons, 1, NULL, 0);
	s_config(&next, next_mons, 1, NULL, 0);
	struct vt_alarms *a = vt_alarms_new(&cfg), *b = vt_alarms_new(&next);
	struct log l = {0};
	struct vt_device_alarm lead = s_monitor_alarm("MDC_EVT_LEAD_OFF", "", VT_KIND_TECHNICAL,
	                                              VT_PRIO_LOW, true);
	vt_alarms_device(a, 0, 1000, &lead, s_collect, &l);
	const int map[1] = {0};
	vt_alarms_adopt(b, a, map, 2000, s_collect, &l);
	cr_expect_eq(l.n, 1, "nothing cleared by the reload");
	cr_assert_eq(vt_alarms_active_count(b), 1);
	cr_expect_str_eq(vt_alarms_active(b, 0)->rule, "monitor:MDC_EVT_LEAD_OFF");
	lead.active = false;
	vt_alarms_device(b, 0, 3000, &lead, s_collect, &l);
	cr_assert_eq(l.n, 2, "the end is still matched after the reload");
	cr_expect_str_eq(l.ev[1].event, "cleared");
	vt_alarms_free(&a);
	vt_alarms_free(&b);
}
