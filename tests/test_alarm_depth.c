/*
 * Depth-aware rules against docs/alarms.md ("Area" and "Tiers"), sample by
 * sample: when an area rule raises, how tiers move one alarm's priority up
 * and down, what an acknowledgement covers, and that every event comes at
 * the exact sample time the document says. Each case is a table a reader
 * can check against the document without reading the engine.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vitals/alarm/alarm.h"
#include "vitals/alarm/trigger.h"

#define MISSING NAN   /* a sample with no value */
#define ACK (-1.0)    /* acknowledge the newest alarm instead of a sample */
#define RECONNECT (-3.0) /* the port is lost and connected again */

#define L VT_PRIO_LOW
#define M VT_PRIO_MEDIUM
#define H VT_PRIO_HIGH
#define ANY (-1)      /* acknowledged: either */

struct step {
	double t; /* seconds */
	double v; /* SpO2, MISSING, ACK or RECONNECT; 0 ends the steps */
};

struct want {
	double t;
	const char *event;
	int n;            /* the instance: chair-1/spo2/N */
	int priority;     /* its priority after the event */
	double limit;     /* the limit in force */
	int acknowledged; /* ANY, 0 or 1 */
};

struct tier {
	double limit, clear_at, for_s, area;
	enum vt_priority priority;
};

struct depth_case {
	const char *name;
	double for_s, area, clear_at;
	enum vt_priority priority;
	bool latching;
	struct tier tiers[VT_RULE_MAX_TIERS];
	size_t n_tiers;
	struct step steps[48];
	struct want want[20];
};

#define W(t, ev, n, p, lim, ack) {t, ev, n, p, lim, ack}

/* Below 90 for 20 s, or sooner once 30 %·s below 90 have accumulated; clears at 92. */
#define AREA_RULE 20, 30, 92, H, false, {}, 0

/* Below 90 low after 10 s; below 85 medium after 5 s (stops at 87); below 80 high at once (82). */
#define TIERED_RULE                                                                               \
	10, 0, 92, L, false, {{85, 87, 5, 0, M}, {80, 82, 0, 0, H}}, 2

static const struct depth_case cases[] = {
    {"area: a shallow crossing alarms at `for`, the longest delay",
     AREA_RULE,
     {{0, 95}, {1, 89}, {10, 89}, {20, 89}, {21, 89}, {22, 92}},
     /* 1 %·s a second (the 10 -> 20 step stands for 10 s): 21 at t=21, but for is 20 s. */
     {W(21, "raised", 1, H, 90, 0), W(22, "cleared", 1, H, 90, ANY)}},
    {"area: a deep drop alarms once the area reaches it",
     AREA_RULE,
     {{30, 95}, {31, 80}, {32, 80}, {33, 80}, {34, 93}},
     /* 10 %·s a second: 10, 20, 30 at t=33, two seconds after onset. */
     {W(33, "raised", 1, H, 90, 0), W(34, "cleared", 1, H, 90, ANY)}},
    {"area: a very deep sample alarms at once",
     AREA_RULE,
     {{40, 95}, {41, 60}, {42, 95}},
     {W(41, "raised", 1, H, 90, 0), W(42, "cleared", 1, H, 90, ANY)}},
    {"area: a shallow dip that resolves raises nothing",
     AREA_RULE,
     {{50, 95}, {51, 88}, {52, 88}, {53, 91}, {54, 88}, {55, 95}},
     {}},
    {"area: a sample stands for the time since the previous one (a trend every minute)",
     AREA_RULE,
     {{60, 95}, {120, 88}, {121, 93}},
     /* 2 % below for the 60 s it stands for: 120 %·s at once. */
     {W(120, "raised", 1, H, 90, 0), W(121, "cleared", 1, H, 90, ANY)}},
    {"area: a sample with no value ends the run and its area",
     AREA_RULE,
     {{129, 95}, {130, 85}, {131, MISSING}, {132, 85}, {133, 85}, {134, 85}, {135, 85},
      {136, 85}, {137, 85}, {138, 95}},
     /* 5 at t=130, lost; then 5 a second from t=132: 30 at t=137. */
     {W(137, "raised", 1, H, 90, 0), W(138, "cleared", 1, H, 90, ANY)}},
    {"area: the first sample after a reconnection stands for no time",
     AREA_RULE,
     {{300, 95}, {301, RECONNECT}, {400, 80}, {401, 80}, {402, 80}, {403, 80}, {404, 95}},
     {W(403, "raised", 1, H, 90, 0), W(404, "cleared", 1, H, 90, ANY)}},
    {"tiers: one alarm rises and falls with the value",
     TIERED_RULE,
     {{0, 95}, {1, 88}, {6, 88}, {11, 88}, {12, 84}, {17, 84}, {18, 79}, {19, 81}, {20, 83},
      {24, 88}, {25, 92}},
     {W(11, "raised", 1, L, 90, 0), W(12, "updated", 1, L, 90, 0),
      W(17, "escalated", 1, M, 85, 0), W(18, "escalated", 1, H, 80, 0),
      /* 81 is above 80 but not back at 82: the tier holds. */
      W(19, "updated", 1, H, 80, 0), W(20, "deescalated", 1, M, 85, 0),
      W(24, "deescalated", 1, L, 90, 0), W(25, "cleared", 1, L, 90, 0)}},
    {"tiers: a deep first sample raises at the deep tier's priority; no second alarm follows",
     TIERED_RULE,
     {{30, 95}, {31, 78}, {32, 86}, {41, 86}, {42, 88}, {43, 93}},
     {W(31, "raised", 1, H, 80, 0), W(32, "deescalated", 1, L, 90, 0),
      W(42, "updated", 1, L, 90, 0), W(43, "cleared", 1, L, 90, 0)}},
    {"tiers: an acknowledgement covers the instance up to the priority it was given at",
     TIERED_RULE,
     {{0, 95}, {1, 84}, {6, 84}, {7, ACK}, {8, 88}, {9, 84}, {14, 84}, {15, 79}, {16, ACK},
      {17, 88}, {18, 79}, {19, 93}},
     {W(6, "raised", 1, M, 85, 0), W(7, "acknowledged", 1, M, 85, 1),
      W(8, "deescalated", 1, L, 90, 1), W(9, "updated", 1, L, 90, 1),
      /* Back at medium, which was acknowledged: still acknowledged. */
      W(14, "escalated", 1, M, 85, 1),
      /* Above it: the patient is worse than when acknowledged, so it sounds again. */
      W(15, "escalated", 1, H, 80, 0), W(16, "acknowledged", 1, H, 80, 1),
      W(17, "deescalated", 1, L, 90, 1), W(18, "escalated", 1, H, 80, 1),
      W(19, "cleared", 1, H, 80, 1)}},
    {"tiers with latching: the alarm waits for the acknowledgement at its base priority",
     10, 0, 92, L, true, {{85, 87, 5, 0, M}, {80, 82, 0, 0, H}}, 2,
     {{0, 95}, {1, 79}, {2, 95}, {5, ACK}},
     {W(1, "raised", 1, H, 80, 0), W(2, "deescalated", 1, L, 90, 0),
      W(5, "acknowledged", 1, L, 90, 1), W(5, "cleared", 1, L, 90, 1)}},
    {"a tier with an area of its own",
     20, 0, 92, M, false, {{85, 87, 10, 12, H}}, 1,
     {{0, 95}, {1, 80}, {2, 84}, {3, 84}, {4, 95}},
     /* Below 85: 5, 6, 7, short of 12 and of 10 s; below 90 not for 20 s: nothing. */
     {}},
    {"a tier with an area of its own reaches it",
     20, 0, 92, M, false, {{85, 87, 10, 12, H}}, 1,
     {{0, 95}, {1, 80}, {2, 78}, {3, 95}},
     /* Below 85: 5 at t=1, 5 + 7 = 12 at t=2: raised at the tier's priority and limit. */
     {W(2, "raised", 1, H, 85, 0), W(3, "cleared", 1, H, 85, ANY)}},
};

/* ---- harness ---- */

struct got {
	int64_t t;
	char event[16];
	char id[VT_ALERT_ID_MAX];
	enum vt_priority priority;
	double limit;
	bool acknowledged;
};

struct log {
	struct got ev[48];
	size_t n;
	char last_id[VT_ALERT_ID_MAX];
};

static void
s_collect(void *ctx, const struct vt_alert_event *ev)
{
	struct log *l = ctx;
	cr_assert_lt(l->n, 48, "too many events");
	struct got *g = &l->ev[l->n++];
	g->t = ev->time_ms;
	snprintf(g->event, sizeof(g->event), "%s", vt_alert_event_name(ev->type));
	snprintf(g->id, sizeof(g->id), "%s", ev->alert->id);
	g->priority = ev->alert->priority;
	g->limit = ev->alert->limit;
	g->acknowledged = ev->alert->acknowledged;
	if (ev->type == VT_EV_RAISED)
		snprintf(l->last_id, sizeof(l->last_id), "%s", ev->alert->id);
}

static char s_bed[] = "chair-1";
static char s_rule_name[] = "spo2";

static void
s_setup(struct vt_config *cfg, struct vt_monitor_config *mon, struct vt_rule_config *r,
        const struct depth_case *dc)
{
	memset(cfg, 0, sizeof(*cfg));
	memset(mon, 0, sizeof(*mon));
	memset(r, 0, sizeof(*r));
	mon->bed = s_bed;
	mon->port = "/dev/null";
	mon->stale_after_ms = 1000000;
	r->name = s_rule_name;
	r->param = VT_SPO2;
	r->kind = VT_RULE_LIMIT;
	r->direction = -1;
	r->limit = 90;
	r->clear_at = dc->clear_at;
	r->for_ms = (int64_t)llround(dc->for_s * 1000);
	r->area = dc->area;
	r->priority = dc->priority;
	r->latching = dc->latching;
	for (size_t i = 0; i < dc->n_tiers; i++) {
		const struct tier *t = &dc->tiers[i];
		r->tiers[i] = (struct vt_rule_tier){t->limit, t->clear_at, (int64_t)llround(t->for_s * 1000),
		                                    t->area, t->priority};
	}
	r->n_tiers = dc->n_tiers;
	cfg->monitors = mon;
	cfg->n_monitors = 1;
	cfg->rules = r;
	cfg->n_rules = 1;
	cfg->heartbeat_ms = 1000;
}

static void
s_sample(struct vt_alarms *a, double t, double v, struct log *l)
{
	struct vt_reading r = {0};
	if (isnan(v))
		vt_reading_set_missing(&r, VT_SPO2);
	else
		vt_reading_set(&r, VT_SPO2, v);
	vt_alarms_reading(a, 0, (int64_t)llround(t * 1000), &r, s_collect, l);
}

/* What a case runs on: its one bed and one rule, and the events it gave. */
struct rig {
	struct vt_config cfg;
	struct vt_monitor_config mon;
	struct vt_rule_config rule;
	struct log l;
};

/* Play a case's steps into a fresh engine on g; the events go to g->l. */
static struct vt_alarms *
s_play(const struct depth_case *dc, struct rig *g)
{
	memset(g, 0, sizeof(*g));
	struct log *l = &g->l;
	s_setup(&g->cfg, &g->mon, &g->rule, dc);
	struct vt_alarms *a = vt_alarms_new(&g->cfg);
	cr_assert_not_null(a);
	vt_alarms_port_connected(a, 0, 0);
	for (size_t i = 0; i < 48; i++) {
		const struct step *s = &dc->steps[i];
		int64_t t = (int64_t)llround(s->t * 1000);
		if (s->v == 0) /* the end of the steps: no SpO2 is ever 0 here */
			break;
		if (s->v == ACK) {
			cr_assert_eq(vt_alarms_ack(a, l->last_id, "test", t, s_collect, l), 0,
			             "%s: ack at %g failed", dc->name, s->t);
		} else if (s->v == RECONNECT) {
			vt_alarms_port_disconnected(a, 0, t);
			vt_alarms_port_connected(a, 0, t);
		} else {
			s_sample(a, s->t, s->v, l);
		}
	}
	return a;
}

Test(alarm_depth, area_and_tier_table)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct depth_case *dc = &cases[c];
		static struct rig rig;
		struct vt_alarms *a = s_play(dc, &rig);
		const struct log l = rig.l;
		size_t n_want = 0;
		while (n_want < 20 && dc->want[n_want].event != NULL)
			n_want++;
		cr_expect_eq(l.n, n_want, "%s: %zu events, expected %zu", dc->name, l.n, n_want);
		for (size_t i = 0; i < l.n && l.n != n_want; i++) /* what came instead */
			cr_log_info("%s: %lld %s %s %s limit %g%s", dc->name, (long long)l.ev[i].t,
			            l.ev[i].event, l.ev[i].id, vt_priority_name(l.ev[i].priority),
			            l.ev[i].limit, l.ev[i].acknowledged ? " acknowledged" : "");
		for (size_t i = 0; i < n_want && i < l.n; i++) {
			const struct want *w = &dc->want[i];
			const struct got *g = &l.ev[i];
			char id[32];
			snprintf(id, sizeof(id), "chair-1/spo2/%d", w->n);
			cr_expect_eq(g->t, (int64_t)llround(w->t * 1000), "%s: event %zu at %lld ms",
			             dc->name, i, (long long)g->t);
			cr_expect_str_eq(g->event, w->event, "%s: event %zu", dc->name, i);
			cr_expect_str_eq(g->id, id, "%s: event %zu", dc->name, i);
			cr_expect_eq((int)g->priority, w->priority, "%s: event %zu priority %s", dc->name,
			             i, vt_priority_name(g->priority));
			cr_expect_eq(g->limit, w->limit, "%s: event %zu limit %g", dc->name, i, g->limit);
			if (w->acknowledged != ANY)
				cr_expect_eq(g->acknowledged, w->acknowledged == 1, "%s: event %zu ack",
				             dc->name, i);
		}
		vt_alarms_free(&a);
	}
}

Test(alarm_depth, a_rising_tier_breaks_through_an_audio_pause)
{
	const struct depth_case dc = {"pause", TIERED_RULE, {}, {}};
	static struct rig g;
	struct vt_alarms *a = s_play(&dc, &g);
	struct log *l = &g.l;
	s_sample(a, 0, 95, l);
	s_sample(a, 1, 88, l);
	s_sample(a, 11, 88, l);
	cr_assert_eq(l->n, 1, "raised at low");
	/* Paused at low: a low alarm stays quiet, medium breaks through. */
	vt_alarms_silence(a, 0, 120000, "station", 12000, s_collect, l);
	cr_assert_eq(l->n, 2);
	cr_expect_str_eq(l->ev[1].event, "silenced");
	s_sample(a, 13, 84, l);
	s_sample(a, 18, 84, l);
	cr_assert_eq(l->n, 5, "updated, then the pause ends and the alarm escalates");
	cr_expect_str_eq(l->ev[2].event, "updated");
	cr_expect_str_eq(l->ev[3].event, "silenced");
	cr_expect_eq(vt_alarms_active(a, 0)->silenced_until, 0);
	cr_expect_str_eq(l->ev[4].event, "escalated");
	cr_expect_eq(l->ev[4].priority, VT_PRIO_MEDIUM);
	cr_expect_eq(vt_alarms_silenced_until(a, 0), 0);
	vt_alarms_free(&a);
}

Test(alarm_depth, texts_name_the_rule_limit_and_never_a_delay_that_did_not_happen)
{
	const struct depth_case dc = {"text", AREA_RULE, {}, {}};
	static struct rig g;
	struct vt_alarms *a = s_play(&dc, &g);
	struct log *l = &g.l;
	s_sample(a, 0, 95, l);
	s_sample(a, 1, 70, l);
	cr_expect_null(vt_alarms_active(a, 0), "20 %·s in the first second");
	s_sample(a, 2, 70, l);
	const struct vt_alert *al = vt_alarms_active(a, 0);
	cr_assert_not_null(al, "40 %·s after the second");
	cr_expect_str_eq(al->text, "SpO2 70 % below 90 %");
	cr_expect_eq(al->onset_ms, 1000);
	vt_alarms_free(&a);
}

Test(alarm_depth, trigger_levels_and_their_priorities)
{
	struct vt_rule_config r = {0};
	r.kind = VT_RULE_LIMIT;
	r.direction = +1;
	r.limit = 120;
	r.clear_at = 115;
	r.priority = VT_PRIO_MEDIUM;
	cr_expect_not(vt_trigger_applies(&r), "a plain limit rule keeps the plain path");
	r.tiers[0] = (struct vt_rule_tier){.limit = 150, .clear_at = 140, .priority = VT_PRIO_HIGH};
	r.n_tiers = 1;
	cr_expect(vt_trigger_applies(&r));
	cr_expect_eq(vt_trigger_limit(&r, 0), 120);
	cr_expect_eq(vt_trigger_limit(&r, 1), 150);
	cr_expect_eq(vt_trigger_priority(&r, 1), VT_PRIO_HIGH);
	/* Above mirrors below: 151 meets the tier at once; 145 holds it; 140 ends it. */
	struct vt_trigger tr[VT_TRIGGER_LEVELS];
	vt_trigger_reset(tr);
	struct vt_trigger_result res = vt_trigger_sample(&r, tr, true, 151, 0, 0);
	cr_expect(res.met);
	cr_expect_eq(res.level, 1);
	res = vt_trigger_sample(&r, tr, true, 145, 1000, 1000);
	cr_expect_eq(res.level, 1);
	res = vt_trigger_sample(&r, tr, false, 0, 2000, 1000);
	cr_expect_eq(res.level, 1, "no value changes no tier");
	res = vt_trigger_sample(&r, tr, true, 140, 3000, 1000);
	cr_expect_eq(res.level, 0);
	r.tiers[0].clear_at = 150;
	r.area = 10;
	r.for_ms = 20000;
	vt_trigger_reset(tr);
	res = vt_trigger_sample(&r, tr, true, 125, 0, 1000);
	cr_expect_not(res.met, "5 bpm·s");
	res = vt_trigger_sample(&r, tr, true, 125, 1000, 1000);
	cr_expect(res.met, "10 bpm·s");
}

Test(alarm_depth, a_rule_back_in_force_counts_no_time_it_did_not_see)
{
	const struct depth_case dc = {"phases", AREA_RULE, {}, {}};
	static struct rig g;
	struct vt_alarms *a = s_play(&dc, &g);
	vt_alarms_free(&a);
	g.rule.phases = VT_PHASE_BIT(VT_PHASE_INFUSION);
	a = vt_alarms_new(&g.cfg);
	struct log *l = &g.l;
	vt_alarms_set_phase(a, 0, VT_PHASE_INFUSION, 0, s_collect, l);
	s_sample(a, 0, 95, l);
	vt_alarms_set_phase(a, 0, VT_PHASE_RECOVERY, 1000, s_collect, l);
	s_sample(a, 50, 80, l); /* out of force: not seen */
	vt_alarms_set_phase(a, 0, VT_PHASE_INFUSION, 100000, s_collect, l);
	s_sample(a, 100, 80, l);
	cr_expect_eq(l->n, 0, "the 99 s out of force do not count: 0 %·s at t=100");
	s_sample(a, 101, 80, l);
	s_sample(a, 102, 80, l);
	cr_expect_eq(l->n, 0, "20 %·s at t=102");
	s_sample(a, 103, 80, l);
	cr_assert_eq(l->n, 1, "30 %·s at t=103");
	cr_expect_eq(l->ev[0].t, 103000);
	vt_alarms_free(&a);
}
