/*
 * The model as the page sees it (see vitals/web/view.h). Changes are found
 * by writing each bed, the alert list and each bed's newest trend slice
 * as JSON and comparing with what was sent last: a few kilobytes per
 * update, and no second bookkeeping of the model's state to go wrong.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/base/sample.h"
#include "vitals/console/history.h"
#include "vitals/console/trend.h"
#include "vitals/console/views.h"
#include "vitals/web/view.h"

/* Numbers with at most this many significant digits: 3.6, not 3.6000000000000001. */
#define S_DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

/* What was sent about one bed. */
struct sent_bed {
	char name[128];
	char *json;        /* the bed object */
	int64_t trend_t;   /* newest trend slice sent; INT64_MIN none */
	char *trend_json;  /* and how it was */
	bool seen;         /* still in the model (this round) */
};

struct vt_view {
	uint64_t n;              /* number of the last update */
	struct sent_bed *beds;
	size_t n_beds, cap_beds;
	char *alerts_json;
	char *order_json;        /* the bed names in order */
	uint64_t history_version;
};

struct vt_view *
vt_view_new(void)
{
	return calloc(1, sizeof(struct vt_view));
}

void
vt_view_free(struct vt_view **vp)
{
	if (vp == NULL || *vp == NULL)
		return;
	struct vt_view *v = *vp;
	for (size_t i = 0; i < v->n_beds; i++) {
		free(v->beds[i].json);
		free(v->beds[i].trend_json);
	}
	free(v->beds);
	free(v->alerts_json);
	free(v->order_json);
	free(v);
	*vp = NULL;
}

uint64_t
vt_view_number(const struct vt_view *v)
{
	return v->n;
}

/* ---- JSON values ------------------------------------------------------------ */

/* A string as JSON; a fixed-size field cut inside a UTF-8 sequence loses the piece. */
static json_t *
s_str(const char *s)
{
	json_t *j = json_string(s);
	for (size_t len = strlen(s); j == NULL && len > 0; len--)
		j = json_stringn(s, len - 1);
	return j != NULL ? j : json_string("");
}

/* obj[name] = val (consumed), the name cut as s_str cuts it. */
static void
s_set_named(json_t *obj, const char *name, json_t *val)
{
	json_t *key = s_str(name);
	json_object_set_new(obj, json_string_value(key), val);
	json_decref(key);
}

static json_t *
s_time(int64_t ms)
{
	return ms > 0 ? json_integer(ms) : json_null();
}

static json_t *
s_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static const char *
s_prio(enum vt_console_priority p)
{
	return vt_console_priority_name(p);
}

static char *
s_dump(json_t *j)
{
	char *s = j != NULL ? json_dumps(j, S_DUMP_FLAGS) : NULL;
	json_decref(j);
	return s;
}

/* ---- the parts ---------------------------------------------------------------- */

static json_t *
s_station(const struct vt_console *m, int64_t mono, const struct vt_view_extra *x)
{
	int64_t now = vt_console_daemon_time(m, mono);
	size_t count = 0;
	int level = vt_console_sounding(m, now > 0 ? now : 0, &count);
	static const char *const sync[] = {"unsynced", "syncing", "synced"};
	return json_pack("{s:o,s:b,s:I,s:I,s:I,s:s,s:o,s:o,s:o,s:I,s:o,s:o}", "now", s_time(now),
	                 "lost", vt_console_lost(m), "silent_ms", (json_int_t)vt_console_silence_ms(m, mono),
	                 "interval_ms", (json_int_t)vt_console_interval_ms(m), "lost_after_ms",
	                 (json_int_t)(VT_CONSOLE_LOST_INTERVALS * vt_console_interval_ms(m)), "sync",
	                 sync[vt_console_sync_state(m)], "reason", s_str(vt_console_sync_reason(m)),
	                 "instance", s_str(vt_console_instance(m)), "sounding",
	                 level >= 0 ? json_string(s_prio((enum vt_console_priority)level)) : json_null(),
	                 "sounding_count", (json_int_t)count, "problem",
	                 s_str(x && x->problem ? x->problem : ""), "publish",
	                 s_str(x && x->publish ? x->publish : ""));
}

/* Is an alert quiet at daemon time now (acknowledged, or under an audio pause)? */
static bool
s_quiet(const struct vt_console_alert *a, int64_t now)
{
	return a->acknowledged || a->silenced_until > now;
}

/*
 * A spot measurement of a value (a cuff reading, an aperiodic temperature)
 * at daemon time now: when it was measured and how long ago (the
 * measurement's age, not the message's), and whether the daemon still
 * gives it; null for a continuous value.
 */
static json_t *
s_spot_value(const struct vt_console_value *cv, int64_t now)
{
	if (cv->last_measured <= 0 || (cv->valid && cv->measured <= 0))
		return json_null();
	struct vt_console_value shown = {.valid = true, .value = cv->last};
	char text[32], ago[40];
	vt_console_format_value(&shown, text, sizeof(text));
	return json_pack("{s:s,s:I,s:o,s:b}", "text", text, "measured", (json_int_t)cv->last_measured,
	                 "age",
	                 now > 0 ? json_string(vt_console_format_ago(now - cv->last_measured, ago,
	                                                             sizeof(ago)))
	                         : json_null(),
	                 "current", cv->valid);
}

/* The bed's blood pressure as the console shows it (vt_console_spot), or null. */
static json_t *
s_nibp(const struct vt_console_bed *b, int64_t now)
{
	struct vt_console_spot spot;
	if (!vt_console_spot(b, now, &spot))
		return json_null();
	return json_pack("{s:s,s:o,s:o,s:b}", "text", spot.value, "measured", s_time(spot.measured),
	                 "age", spot.age[0] ? json_string(spot.age) : json_null(), "current",
	                 spot.current);
}

static json_t *
s_bed(const struct vt_console *m, const struct vt_console_bed *b, int64_t now)
{
	json_t *values = json_array();
	for (size_t i = 0; i < b->n_values; i++) {
		const struct vt_console_value *cv = &b->values[i];
		int p = vt_param_by_name(cv->name);
		const struct vt_param_info *info = p >= 0 ? vt_param_info((enum vt_param)p) : NULL;
		char text[32];
		vt_console_format_value(cv, text, sizeof(text));
		json_array_append_new(values,
		                      json_pack("{s:o,s:s,s:s,s:o,s:s,s:o}", "name", s_str(cv->name), "label",
		                                info ? info->label : cv->name, "unit", info ? info->unit : "",
		                                "value", cv->valid ? s_num(cv->value) : json_null(), "text",
		                                text, "spot", s_spot_value(cv, now)));
	}
	json_t *flags = json_array();
	for (const char *f = b->flags; *f;) {
		size_t n = strcspn(f, " ");
		if (n > 0)
			json_array_append_new(flags, json_stringn(f, n));
		f += n + (f[n] == ' ');
	}
	/* The bed's alarm state: its most urgent unanswered alarm, and whether one is answered. */
	int loud = -1, quiet = -1;
	bool comm_lost = false;
	int64_t silenced = b->silenced_until;
	for (size_t i = 0; i < vt_console_alert_count(m); i++) {
		const struct vt_console_alert *a = vt_console_alert_at(m, i);
		if (strcmp(a->bed, b->name) != 0)
			continue;
		comm_lost = comm_lost || (a->technical && strcmp(a->rule, "comm-lost") == 0);
		if (a->silenced_until > silenced)
			silenced = a->silenced_until;
		int *slot = s_quiet(a, now) ? &quiet : &loud;
		if ((int)a->priority > *slot)
			*slot = (int)a->priority;
	}
	double dose = vt_console_dose(b, now);
	return json_pack("{s:o,s:o,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "name",
	                 s_str(b->name), "port", s_str(b->port), "lost",
	                 comm_lost || strcmp(b->port, "lost") == 0, "values", values, "nibp",
	                 s_nibp(b, now), "flags", flags, "vitals_time", s_time(b->vitals_time), "phase",
	                 b->phase[0] ? s_str(b->phase) : json_null(), "phase_since",
	                 s_time(b->phase_since), "weight_kg", s_num(b->weight_kg), "rate",
	                 s_num(b->rate_mg_per_kg_h), "dose_mg",
	                 s_num(isfinite(dose) ? round(dose * 10) / 10 : NAN), "silenced_until",
	                 s_time(silenced > now ? silenced : 0), "alarm",
	                 loud >= 0 ? json_string(s_prio((enum vt_console_priority)loud)) : json_null(),
	                 "answered",
	                 quiet >= 0 ? json_string(s_prio((enum vt_console_priority)quiet)) : json_null());
}

static json_t *
s_alerts(const struct vt_console *m, int64_t now)
{
	json_t *list = json_array();
	for (size_t i = 0; i < vt_console_alert_count(m); i++) {
		const struct vt_console_alert *a = vt_console_alert_at(m, i);
		json_array_append_new(
		    list, json_pack("{s:o,s:o,s:o,s:o,s:b,s:s,s:o,s:o,s:o,s:b,s:o,s:o,s:o,s:b}", "id",
		                    s_str(a->id), "bed", s_str(a->bed), "rule", s_str(a->rule), "parameter",
		                    s_str(a->parameter), "technical", a->technical, "priority",
		                    s_prio(a->priority), "value", a->has_value ? s_num(a->value) : json_null(),
		                    "limit", a->has_limit ? s_num(a->limit) : json_null(), "onset",
		                    s_time(a->onset), "acknowledged", a->acknowledged, "by", s_str(a->by),
		                    "silenced_until", s_time(a->silenced_until > now ? a->silenced_until : 0),
		                    "text", s_str(a->text), "sounding", !s_quiet(a, now)));
	}
	return list;
}

static json_t *
s_point(const struct vt_trend_point *p)
{
	json_t *vals = json_object();
	for (int q = 0; q < VT_PARAM_COUNT; q++)
		if (p->has & VT_PARAM_BIT(q))
			json_object_set_new(vals, vt_param_info((enum vt_param)q)->name,
			                    json_pack("[o,o]", s_num(p->lo[q]), s_num(p->hi[q])));
	return json_pack("[I,o]", (json_int_t)p->t, vals);
}

static json_t *
s_history_entry(const struct vt_history_entry *e)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:b,s:s,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:s,s:o,s:o}",
	                 "instance", s_str(e->instance), "id", s_str(e->id), "bed", s_str(e->bed),
	                 "rule", s_str(e->rule), "parameter", s_str(e->parameter), "technical",
	                 e->technical, "priority", s_prio(e->priority), "text", s_str(e->text), "onset",
	                 s_time(e->onset), "limit", e->has_limit ? s_num(e->limit) : json_null(),
	                 "worst", e->has_worst ? s_num(e->worst) : json_null(), "acknowledged",
	                 e->acknowledged, "by", s_str(e->by), "acked_at", s_time(e->acked_at), "end",
	                 vt_history_end_name(e->end), "ended", s_time(e->ended), "end_text",
	                 s_str(e->end_text));
}

/* ---- what was sent --------------------------------------------------------------- */

static struct sent_bed *
s_sent(struct vt_view *v, const char *name)
{
	for (size_t i = 0; i < v->n_beds; i++)
		if (strcmp(v->beds[i].name, name) == 0)
			return &v->beds[i];
	if (v->n_beds == v->cap_beds) {
		size_t cap = v->cap_beds ? v->cap_beds * 2 : 8;
		struct sent_bed *b = realloc(v->beds, cap * sizeof(*b));
		if (b == NULL)
			return NULL;
		v->beds = b;
		v->cap_beds = cap;
	}
	struct sent_bed *s = &v->beds[v->n_beds++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->trend_t = INT64_MIN;
	return s;
}

/* Replace *slot with a copy of `now` if it differs; true if it did. */
static bool
s_changed(char **slot, const char *now)
{
	if (now == NULL || (*slot != NULL && strcmp(*slot, now) == 0))
		return false;
	char *copy = strdup(now);
	if (copy == NULL)
		return false;
	free(*slot);
	*slot = copy;
	return true;
}

/* Every trend slice of a bed. */
static json_t *
s_trend_all(const struct vt_trend *t)
{
	json_t *out = json_array();
	for (size_t i = 0; t != NULL && i < vt_trend_count(t); i++)
		json_array_append_new(out, s_point(vt_trend_at(t, i)));
	return out;
}

/*
 * The trend slices of a bed the page lacks: those after the newest sent,
 * and that one again if it changed. Remembers the newest.
 */
static json_t *
s_trend_news(struct sent_bed *s, const struct vt_trend *t)
{
	json_t *out = json_array();
	size_t n = t != NULL ? vt_trend_count(t) : 0;
	for (size_t i = 0; i < n; i++) {
		const struct vt_trend_point *p = vt_trend_at(t, i);
		if (p->t < s->trend_t)
			continue;
		json_t *pj = s_point(p);
		if (i + 1 == n) {
			char *text = json_dumps(pj, S_DUMP_FLAGS);
			bool same = p->t == s->trend_t && text != NULL && s->trend_json != NULL &&
			            strcmp(text, s->trend_json) == 0;
			free(s->trend_json);
			s->trend_json = text;
			s->trend_t = p->t;
			if (same) {
				json_decref(pj);
				continue;
			}
		}
		json_array_append_new(out, pj);
	}
	return out;
}

/* Everything, without touching what the updates remember. */
static void
s_all(const struct vt_console *m, int64_t now, json_t *o)
{
	json_t *names = json_array(), *beds = json_array(), *trends = json_object();
	for (size_t i = 0; i < vt_console_bed_count(m); i++) {
		const struct vt_console_bed *b = vt_console_bed_at(m, i);
		json_array_append_new(names, s_str(b->name));
		json_array_append_new(beds, s_bed(m, b, now));
		s_set_named(trends, b->name, s_trend_all(vt_console_trend(m, b->name)));
	}
	json_object_set_new(o, "order", names);
	json_object_set_new(o, "beds", beds);
	json_object_set_new(o, "trends", trends);
	json_object_set_new(o, "alerts", s_alerts(m, now));
	const struct vt_history *h = vt_console_history(m);
	json_t *hist = json_array();
	for (size_t i = 0; i < vt_history_count(h); i++)
		json_array_append_new(hist, s_history_entry(vt_history_at(h, i)));
	json_object_set_new(o, "history", hist);
}

/* What changed since the last update; remembered for the next. */
static void
s_news(struct vt_view *v, const struct vt_console *m, int64_t now, json_t *o)
{
	json_t *names = json_array(), *beds = json_array(), *trends = json_object();
	for (size_t i = 0; i < v->n_beds; i++)
		v->beds[i].seen = false;
	for (size_t i = 0; i < vt_console_bed_count(m); i++) {
		const struct vt_console_bed *b = vt_console_bed_at(m, i);
		json_array_append_new(names, s_str(b->name));
		json_t *bj = s_bed(m, b, now);
		struct sent_bed *s = s_sent(v, b->name);
		if (s == NULL) { /* out of memory: send it, remember nothing */
			json_array_append_new(beds, bj);
			continue;
		}
		s->seen = true;
		char *text = json_dumps(bj, S_DUMP_FLAGS);
		if (s_changed(&s->json, text))
			json_array_append(beds, bj);
		free(text);
		json_decref(bj);
		json_t *news = s_trend_news(s, vt_console_trend(m, b->name));
		if (json_array_size(news) > 0)
			s_set_named(trends, b->name, news);
		else
			json_decref(news);
	}
	/* Forget the beds the model no longer has: should they come back, all is sent again. */
	for (size_t i = 0; i < v->n_beds;) {
		if (v->beds[i].seen) {
			i++;
			continue;
		}
		free(v->beds[i].json);
		free(v->beds[i].trend_json);
		v->beds[i] = v->beds[--v->n_beds];
	}
	char *text = json_dumps(names, S_DUMP_FLAGS);
	if (s_changed(&v->order_json, text))
		json_object_set(o, "order", names);
	free(text);
	json_decref(names);
	if (json_array_size(beds) > 0)
		json_object_set(o, "beds", beds);
	if (json_object_size(trends) > 0)
		json_object_set(o, "trends", trends);
	json_decref(beds);
	json_decref(trends);

	json_t *alerts = s_alerts(m, now);
	text = json_dumps(alerts, S_DUMP_FLAGS);
	if (s_changed(&v->alerts_json, text))
		json_object_set(o, "alerts", alerts);
	free(text);
	json_decref(alerts);

	const struct vt_history *h = vt_console_history(m);
	json_t *hist = json_array();
	for (size_t i = 0; i < vt_history_count(h); i++) {
		const struct vt_history_entry *e = vt_history_at(h, i);
		if (e->version > v->history_version)
			json_array_append_new(hist, s_history_entry(e));
	}
	v->history_version = vt_history_version(h);
	if (json_array_size(hist) > 0)
		json_object_set(o, "history", hist);
	json_decref(hist);
}

static char *
s_build(struct vt_view *v, const struct vt_console *m, int64_t mono, const struct vt_view_extra *x,
        bool all)
{
	int64_t now = vt_console_daemon_time(m, mono);
	if (!all)
		v->n++;
	json_t *o = json_object();
	json_object_set_new(o, "n", json_integer((json_int_t)v->n));
	json_object_set_new(o, "kind", json_string(all ? "snapshot" : "update"));
	json_object_set_new(o, "station", s_station(m, mono, x));
	if (all)
		s_all(m, now, o);
	else
		s_news(v, m, now, o);
	return s_dump(o);
}

char *
vt_view_snapshot(struct vt_view *v, const struct vt_console *m, int64_t mono,
                 const struct vt_view_extra *x)
{
	return s_build(v, m, mono, x, true);
}

char *
vt_view_update(struct vt_view *v, const struct vt_console *m, int64_t mono,
               const struct vt_view_extra *x)
{
	return s_build(v, m, mono, x, false);
}
