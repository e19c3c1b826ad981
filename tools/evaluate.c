/*
 * The arithmetic of vitals-evaluate: sustained events found in the readings,
 * alarms taken from the daemon's own alert events, and the pairing of the
 * two. It lives apart from the program so that the figures a configuration
 * is judged by can be tested on hand-made sequences with exact times.
 *
 * Decisions (docs/alarms.md, "Measuring alarms"):
 *  - a sample stands for the time since the previous sample of its
 *    parameter, as a monitor's averaged value does; so a run of samples
 *    beyond the limit lasts from the sample before its first to its last,
 *    and one sample of a once-a-minute trend is a minute;
 *  - an alarm is graded against the definitions of its rule's parameter and
 *    direction (a below rule against the below events); alarms of rules no
 *    definition watches are counted but not graded;
 *  - an event is alarmed by any graded alarm active at some time during it,
 *    and its delay runs from its first sample to that alarm's raise (0 when
 *    the alarm was already on).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/timefmt.h"
#include "vitals/tools/evaluate.h"

const struct vt_eval_def vt_eval_default_defs[3] = {
	{.param = VT_SPO2, .direction = -1, .limit = 90, .min_ms = 30000},
	{.param = VT_PR, .direction = +1, .limit = 120, .min_ms = 30000},
	{.param = VT_PR, .direction = -1, .limit = 50, .min_ms = 30000},
};

/* A definition's run of samples beyond its limit in the current recording. */
struct def_run {
	bool in_run;
	int64_t span_start;  /* the sample before the run's first, or the first */
	int64_t onset, last; /* the run's first and last samples */
	double worst;
	bool have_prev;      /* a sample of the parameter came before */
	int64_t prev_t;
};

struct vt_eval {
	const struct vt_config *cfg;
	struct vt_eval_def defs[VT_EVAL_MAX_DEFS];
	size_t n_defs;
	struct def_run run[VT_EVAL_MAX_DEFS];
	size_t bare[VT_EVAL_MAX_DEFS];
	size_t recording;       /* index of the current recording */
	size_t n_recordings;
	bool has_t;             /* the current recording has had a reading */
	int64_t first_t, last_t;
	double hours;           /* monitored time of the finished recordings */
	struct vt_eval_event *events;
	size_t n_events, cap_events;
	size_t rec_events;      /* first event of the current recording */
	struct vt_eval_alarm *alarms;
	size_t n_alarms, cap_alarms;
	size_t rec_alarms;      /* first alarm of the current recording */
	long *event_alarm;      /* per paired event: index of its covering alarm, or -1 */
	size_t n_paired;        /* events of finished recordings */
	bool oom;               /* memory ran out: the figures are incomplete */
};

int
vt_eval_def_parse(const char *s, struct vt_eval_def *d, char *err, size_t errlen)
{
	static const char want[] = "expected PARAMETER<LIMIT/DURATION or PARAMETER>LIMIT/DURATION, "
	                           "such as spo2<90/30s";
	size_t n = strcspn(s, "<>");
	char name[32];
	if (s[n] == '\0' || n == 0 || n >= sizeof(name)) {
		snprintf(err, errlen, "%s: %s", s, want);
		return -1;
	}
	memcpy(name, s, n);
	name[n] = '\0';
	int p = vt_param_by_name(name);
	if (p < 0) {
		snprintf(err, errlen, "%s: unknown parameter \"%s\"", s, name);
		return -1;
	}
	char *end;
	double limit = strtod(s + n + 1, &end);
	if (end == s + n + 1 || *end != '/' || !isfinite(limit)) {
		snprintf(err, errlen, "%s: %s", s, want);
		return -1;
	}
	const char *why;
	int64_t ms;
	if (vt_duration_parse(end + 1, &ms, &why) != 0) {
		snprintf(err, errlen, "%s: %s", s, why);
		return -1;
	}
	d->param = (enum vt_param)p;
	d->direction = s[n] == '<' ? -1 : +1;
	d->limit = limit;
	d->min_ms = ms;
	return 0;
}

char *
vt_eval_def_format(const struct vt_eval_def *d, char *buf, size_t len)
{
	/* The duration as the parser reads it: "30s", "2m", "1500ms". */
	static const struct {
		int64_t ms;
		const char *unit;
	} units[] = {{3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
	size_t u = 0;
	while (d->min_ms == 0 ? units[u].ms != 1000 : d->min_ms % units[u].ms != 0)
		u++;
	snprintf(buf, len, "%s%c%g/%lld%s", vt_param_info(d->param)->name,
	         d->direction < 0 ? '<' : '>', d->limit, (long long)(d->min_ms / units[u].ms),
	         units[u].unit);
	return buf;
}

struct vt_eval *
vt_eval_new(const struct vt_config *cfg, const struct vt_eval_def *defs, size_t n_defs)
{
	if (n_defs > VT_EVAL_MAX_DEFS)
		return NULL;
	struct vt_eval *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->cfg = cfg;
	memcpy(e->defs, defs, n_defs * sizeof(*defs));
	e->n_defs = n_defs;
	return e;
}

void
vt_eval_free(struct vt_eval **ep)
{
	if (ep == NULL || *ep == NULL)
		return;
	free((*ep)->events);
	free((*ep)->alarms);
	free((*ep)->event_alarm);
	free(*ep);
	*ep = NULL;
}

/* Whether definition d watches what rule r watches. */
static bool
s_matches(const struct vt_eval_def *d, const struct vt_rule_config *r)
{
	return d->param == r->param && d->direction == r->direction;
}

static bool
s_beyond(const struct vt_eval_def *d, double v)
{
	return d->direction < 0 ? v < d->limit : v > d->limit;
}

/* Room for one more element of a growing array; false when memory ran out. */
static bool
s_grow(void **v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return true;
	size_t c = *cap ? *cap * 2 : 64;
	void *nv = realloc(*v, c * size);
	if (nv == NULL)
		return false;
	*v = nv;
	*cap = c;
	return true;
}

void
vt_eval_begin(struct vt_eval *e)
{
	memset(e->run, 0, sizeof(e->run));
	e->recording = e->n_recordings++;
	e->has_t = false;
	e->rec_events = e->n_events;
	e->rec_alarms = e->n_alarms;
}

/* The run of definition d has ended: keep it if it lasted. */
static void
s_close_run(struct vt_eval *e, size_t d)
{
	struct def_run *run = &e->run[d];
	if (!run->in_run)
		return;
	run->in_run = false;
	if (run->last - run->span_start < e->defs[d].min_ms)
		return;
	if (!s_grow((void **)&e->events, e->n_events, &e->cap_events, sizeof(*e->events))) {
		e->oom = true;
		return;
	}
	e->events[e->n_events++] = (struct vt_eval_event){
	    .recording = e->recording,
	    .def = d,
	    .onset_ms = run->onset,
	    .end_ms = run->last,
	    .worst = run->worst,
	    .delay_ms = -1,
	};
}

void
vt_eval_reading(struct vt_eval *e, int64_t t, const struct vt_reading *r)
{
	if (!e->has_t)
		e->first_t = t;
	e->has_t = true;
	e->last_t = t;
	for (size_t d = 0; d < e->n_defs; d++) {
		const struct vt_eval_def *def = &e->defs[d];
		vt_param_mask bit = VT_PARAM_BIT(def->param);
		if (!(r->reported & bit))
			continue;
		struct def_run *run = &e->run[d];
		double v = r->value[def->param];
		if ((r->valid & bit) && s_beyond(def, v)) {
			if (!run->in_run) {
				run->in_run = true;
				run->span_start = run->have_prev ? run->prev_t : t;
				run->onset = t;
				run->worst = v;
				e->bare[d]++;
			}
			run->last = t;
			if (def->direction < 0 ? v < run->worst : v > run->worst)
				run->worst = v;
		} else {
			s_close_run(e, d);
		}
		run->have_prev = true;
		run->prev_t = t;
	}
}

/* Index of the rule named `name`, or -1. */
static long
s_rule_index(const struct vt_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_rules; i++)
		if (strcmp(cfg->rules[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Whether some definition grades rule r. */
static bool
s_graded(const struct vt_eval *e, const struct vt_rule_config *r)
{
	for (size_t d = 0; d < e->n_defs; d++)
		if (s_matches(&e->defs[d], r))
			return true;
	return false;
}

/* Whether two rules watch the same thing (so one alarm duplicates the other). */
static bool
s_same_kind(const struct vt_rule_config *a, const struct vt_rule_config *b)
{
	return a->param == b->param && a->direction == b->direction;
}

void
vt_eval_alert(struct vt_eval *e, const char *id, const char *rule, const char *event, int64_t t)
{
	long ri = s_rule_index(e->cfg, rule);
	if (ri < 0)
		return; /* a technical alarm: not graded here */
	const struct vt_rule_config *rc = &e->cfg->rules[ri];
	if (strcmp(event, "raised") == 0) {
		if (!s_grow((void **)&e->alarms, e->n_alarms, &e->cap_alarms, sizeof(*e->alarms))) {
			e->oom = true;
			return;
		}
		struct vt_eval_alarm *al = &e->alarms[e->n_alarms];
		memset(al, 0, sizeof(*al));
		al->recording = e->recording;
		snprintf(al->id, sizeof(al->id), "%s", id);
		al->rule = (size_t)ri;
		al->raised_ms = t;
		al->cleared_ms = INT64_MAX;
		al->graded = s_graded(e, rc);
		for (size_t i = e->rec_alarms; i < e->n_alarms && al->graded; i++) {
			const struct vt_eval_alarm *o = &e->alarms[i];
			if (o->graded && o->cleared_ms == INT64_MAX &&
			    s_same_kind(&e->cfg->rules[o->rule], rc))
				al->duplicate = true;
		}
		e->n_alarms++;
	} else if (strcmp(event, "cleared") == 0) {
		for (size_t i = e->rec_alarms; i < e->n_alarms; i++)
			if (strcmp(e->alarms[i].id, id) == 0 && e->alarms[i].cleared_ms == INT64_MAX)
				e->alarms[i].cleared_ms = t;
	}
}

static bool
s_overlap(const struct vt_eval_alarm *al, const struct vt_eval_event *ev)
{
	return al->raised_ms <= ev->end_ms && al->cleared_ms >= ev->onset_ms;
}

void
vt_eval_end(struct vt_eval *e)
{
	for (size_t d = 0; d < e->n_defs; d++)
		s_close_run(e, d);
	if (e->has_t)
		e->hours += (double)(e->last_t - e->first_t) / 3600000.0;
	long *ea = realloc(e->event_alarm, (e->n_events + 1) * sizeof(*ea));
	if (ea == NULL) {
		e->oom = true;
		return;
	}
	e->event_alarm = ea;
	for (size_t i = e->rec_events; i < e->n_events; i++) {
		struct vt_eval_event *ev = &e->events[i];
		const struct vt_eval_def *def = &e->defs[ev->def];
		long best = -1;
		for (size_t k = e->rec_alarms; k < e->n_alarms; k++) {
			const struct vt_eval_alarm *al = &e->alarms[k];
			if (!al->graded || !s_matches(def, &e->cfg->rules[al->rule]) || !s_overlap(al, ev))
				continue;
			if (best < 0 || al->raised_ms < e->alarms[best].raised_ms)
				best = (long)k;
		}
		e->event_alarm[i] = best;
		if (best < 0)
			continue;
		ev->alarmed = true;
		int64_t d = e->alarms[best].raised_ms - ev->onset_ms;
		ev->delay_ms = d > 0 ? d : 0;
		snprintf(ev->alarm_id, sizeof(ev->alarm_id), "%s", e->alarms[best].id);
	}
	e->n_paired = e->n_events;
	for (size_t k = e->rec_alarms; k < e->n_alarms; k++) {
		struct vt_eval_alarm *al = &e->alarms[k];
		if (!al->graded)
			continue;
		al->false_alarm = true;
		for (size_t i = e->rec_events; i < e->n_events && al->false_alarm; i++)
			if (s_matches(&e->defs[e->events[i].def], &e->cfg->rules[al->rule]) &&
			    s_overlap(al, &e->events[i]))
				al->false_alarm = false;
	}
}

static int
s_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Whether alarm al overlaps some event of definition d. */
static bool
s_covers_def(const struct vt_eval *e, const struct vt_eval_alarm *al, size_t d)
{
	for (size_t i = 0; i < e->n_events; i++)
		if (e->events[i].def == d && e->events[i].recording == al->recording &&
		    s_overlap(al, &e->events[i]))
			return true;
	return false;
}

void
vt_eval_summarise(const struct vt_eval *e, long def, struct vt_eval_summary *out)
{
	memset(out, 0, sizeof(*out));
	out->hours = e->hours;
	out->median_ms = out->p90_ms = out->max_ms = -1;
	int64_t *delays = malloc((e->n_events + 1) * sizeof(*delays));
	size_t n = 0;
	for (size_t i = 0; i < e->n_events; i++) {
		const struct vt_eval_event *ev = &e->events[i];
		if (def >= 0 && ev->def != (size_t)def)
			continue;
		out->events++;
		if (!ev->alarmed)
			continue;
		out->alarmed++;
		if (delays != NULL)
			delays[n++] = ev->delay_ms;
	}
	if (n > 0) {
		qsort(delays, n, sizeof(*delays), s_cmp_i64);
		out->median_ms = n % 2 ? delays[n / 2] : (delays[n / 2 - 1] + delays[n / 2]) / 2;
		out->p90_ms = delays[(9 * n + 9) / 10 - 1]; /* nearest rank: ceil(0.9 n) */
		out->max_ms = delays[n - 1];
	}
	free(delays);
	for (size_t k = 0; k < e->n_alarms; k++) {
		const struct vt_eval_alarm *al = &e->alarms[k];
		if (!al->graded)
			continue;
		if (def >= 0 && !s_matches(&e->defs[def], &e->cfg->rules[al->rule]))
			continue;
		out->alarms++;
		out->duplicates += al->duplicate;
		out->false_alarms += def >= 0 ? !s_covers_def(e, al, (size_t)def) : al->false_alarm;
	}
	for (size_t d = 0; d < e->n_defs; d++)
		if (def < 0 || d == (size_t)def)
			out->bare += e->bare[d];
}

void
vt_eval_rule(const struct vt_eval *e, size_t rule, struct vt_eval_rule_summary *out)
{
	memset(out, 0, sizeof(*out));
	out->graded = s_graded(e, &e->cfg->rules[rule]);
	for (size_t k = 0; k < e->n_alarms; k++) {
		const struct vt_eval_alarm *al = &e->alarms[k];
		if (al->rule != rule)
			continue;
		out->alarms++;
		out->false_alarms += al->false_alarm;
		out->duplicates += al->duplicate;
	}
	for (size_t i = 0; i < e->n_paired; i++)
		if (e->event_alarm[i] >= 0 && e->alarms[e->event_alarm[i]].rule == rule)
			out->first++;
}

bool
vt_eval_failed(const struct vt_eval *e)
{
	return e->oom;
}

size_t
vt_eval_event_count(const struct vt_eval *e)
{
	return e->n_events;
}

const struct vt_eval_event *
vt_eval_event_at(const struct vt_eval *e, size_t i)
{
	return i < e->n_events ? &e->events[i] : NULL;
}

size_t
vt_eval_alarm_count(const struct vt_eval *e)
{
	return e->n_alarms;
}

const struct vt_eval_alarm *
vt_eval_alarm_at(const struct vt_eval *e, size_t i)
{
	return i < e->n_alarms ? &e->alarms[i] : NULL;
}
