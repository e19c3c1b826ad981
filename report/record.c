/*
 * The infusion record (vitals/report/record.h): samples, phases, alarms
 * and the session's baseline gathered from a replay and the recorded
 * station events, and what the chart derives from them (the interval
 * table of medians, the summary). Pure: times are arguments.
 *
 * Alarms are keyed by daemon run and id, because ids start again when the
 * daemon restarts; every `raised` starts a new instance, and the other
 * events go to the latest instance of their id.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/base/timefmt.h"
#include "vitals/report/record.h"

void
vt_record_init(struct vt_record *r, const char *bed, int64_t from, int64_t to, int64_t gap_ms)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->bed, sizeof(r->bed), "%s", bed ? bed : "");
	r->from = from;
	r->to = to;
	r->gap_ms = gap_ms > 0 ? gap_ms : 10000;
	r->format = 2;
	r->dose_mg = NAN;
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		r->baseline[p] = NAN;
}

void
vt_record_release(struct vt_record *r)
{
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		free(r->series[p].p);
	free(r->alarms);
	memset(r, 0, sizeof(*r));
}

bool
vt_record_episodic(enum vt_param p)
{
	return vt_param_info(p)->episodic;
}

const char *
vt_record_format(enum vt_param p, double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (p == VT_PI || p == VT_SPCO || p == VT_SPMET || p == VT_TEMP)
		snprintf(buf, len, "%.1f", round(v * 10) / 10); /* a tenth matters (36.7 against 37.4 °C) */
	else
		snprintf(buf, len, "%.0f", round(v));
	return buf;
}

/* ---- samples ------------------------------------------------------------- */

static void
s_push(struct vt_record *r, enum vt_param p, int64_t t, double v)
{
	struct vt_record_series *s = &r->series[p];
	/* A gap after a gap says nothing more. */
	if (isnan(v) && (s->n == 0 || isnan(s->p[s->n - 1].v)))
		return;
	if (s->n == VT_RECORD_MAX_SAMPLES) {
		r->dropped++;
		return;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		if (cap > VT_RECORD_MAX_SAMPLES)
			cap = VT_RECORD_MAX_SAMPLES;
		struct vt_record_point *np = realloc(s->p, cap * sizeof(*np));
		if (np == NULL) {
			r->dropped++;
			return;
		}
		s->p = np;
		s->cap = cap;
	}
	s->p[s->n++] = (struct vt_record_point){t, v};
	if (!isnan(v))
		r->present |= VT_PARAM_BIT(p);
}

/* The latest valid point of `p`, or NULL. */
static const struct vt_record_point *
s_last_value(const struct vt_record *r, enum vt_param p)
{
	const struct vt_record_series *s = &r->series[p];
	return s->n > 0 && !isnan(s->p[s->n - 1].v) ? &s->p[s->n - 1] : NULL;
}

void
vt_record_reading(struct vt_record *r, int64_t t, const struct vt_reading *rd)
{
	if (t < r->from || t > r->to)
		return;
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		if (!(rd->reported & VT_PARAM_BIT(p)))
			continue;
		bool valid = rd->valid & VT_PARAM_BIT(p);
		bool spot = vt_record_episodic((enum vt_param)p) || (rd->spot & VT_PARAM_BIT(p));
		if (spot && !valid)
			continue; /* between measurements a cuff has no value; that is no gap */
		int64_t at = t;
		if (spot) {
			/* A measurement the monitor repeats in every record counts once: the
			 * same stamp on the monitor's clock, when the monitor gives it, or
			 * else the same value again within gap_ms of the last time it was
			 * seen. (Not the same derived time: a repeat's age grows with the
			 * monitor's clock, which need not run at ours.) */
			const struct vt_record_point *last = s_last_value(r, (enum vt_param)p);
			vt_param_mask bit = VT_PARAM_BIT(p);
			bool timed = rd->timed & bit;
			at = timed ? t - rd->age_ms[p] : t;
			bool same = last != NULL &&
			            (timed ? (r->stamped & bit) && vt_reading_same_stamp(rd->stamp_ms[p],
			                                                                 r->stamp[p])
			                   : last->v == rd->value[p] && t - r->seen[p] <= r->gap_ms);
			r->seen[p] = t;
			if (same || at < r->from)
				continue;
			r->stamped = timed ? r->stamped | bit : r->stamped & ~bit;
			r->stamp[p] = rd->stamp_ms[p];
		}
		s_push(r, (enum vt_param)p, at, valid ? rd->value[p] : NAN);
	}
}

void
vt_record_gap(struct vt_record *r, int64_t t)
{
	if (t < r->from || t > r->to)
		return;
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		if (!vt_record_episodic((enum vt_param)p))
			s_push(r, (enum vt_param)p, t, NAN);
}

/* ---- station events ------------------------------------------------------ */

static const char *
s_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static double
s_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A time member, or `fallback`. */
static int64_t
s_time(json_t *o, const char *key, int64_t fallback)
{
	int64_t ms;
	const char *v = json_string_value(json_object_get(o, key));
	return v != NULL && vt_time_parse(v, &ms) == 0 ? ms : fallback;
}

static int
s_priority(const char *name)
{
	for (int p = VT_PRIO_LOW; p <= VT_PRIO_HIGH; p++)
		if (strcmp(name, vt_priority_name((enum vt_priority)p)) == 0)
			return p;
	return -1;
}

static void
s_phase(struct vt_record *r, int64_t t, json_t *o)
{
	int phase = vt_phase_by_name(s_str(o, "phase"));
	if (phase < 0)
		return;
	if (r->n_phases == VT_RECORD_MAX_PHASES)
		return;
	struct vt_record_phase *ph = &r->phases[r->n_phases++];
	ph->t = t;
	ph->phase = (enum vt_phase)phase;
	snprintf(ph->by, sizeof(ph->by), "%s", s_str(o, "by"));
	ph->weight_kg = s_num(o, "weight_kg");
	ph->dose_mg_per_kg_h = s_num(o, "dose_mg_per_kg_h");
}

/* The latest instance of alert `id` of daemon run `instance`, or NULL. */
static struct vt_record_alarm *
s_alarm(struct vt_record *r, const char *instance, const char *id)
{
	for (size_t i = r->n_alarms; i-- > 0;)
		if (strcmp(r->alarms[i].id, id) == 0 && strcmp(r->alarms[i].instance, instance) == 0)
			return &r->alarms[i];
	return NULL;
}

static struct vt_record_alarm *
s_new_alarm(struct vt_record *r)
{
	if (r->n_alarms == VT_RECORD_MAX_ALARMS) {
		r->alarms_dropped++;
		return NULL;
	}
	if (r->n_alarms == r->cap_alarms) {
		size_t cap = r->cap_alarms ? r->cap_alarms * 2 : 32;
		struct vt_record_alarm *na = realloc(r->alarms, cap * sizeof(*na));
		if (na == NULL) {
			r->alarms_dropped++;
			return NULL;
		}
		r->alarms = na;
		r->cap_alarms = cap;
	}
	struct vt_record_alarm *a = &r->alarms[r->n_alarms++];
	memset(a, 0, sizeof(*a));
	return a;
}

/* One alert event (raised, acknowledged, silenced, escalated, updated, cleared, ...). */
static void
s_alert(struct vt_record *r, json_t *o)
{
	const char *id = s_str(o, "id"), *event = s_str(o, "event"), *instance = s_str(o, "instance");
	int64_t t = s_time(o, "time", 0);
	int prio = s_priority(s_str(o, "priority"));
	if (*id == '\0' || *event == '\0' || t == 0 || prio < 0)
		return;
	struct vt_record_alarm *a = s_alarm(r, instance, id);
	bool raised = strcmp(event, "raised") == 0;
	if (raised || a == NULL) {
		/* An alarm first met after its raising (a file begun mid-alarm) starts at its onset. */
		if ((a = s_new_alarm(r)) == NULL)
			return;
		snprintf(a->instance, sizeof(a->instance), "%s", instance);
		snprintf(a->id, sizeof(a->id), "%s", id);
		snprintf(a->rule, sizeof(a->rule), "%s", s_str(o, "rule"));
		snprintf(a->text, sizeof(a->text), "%s", s_str(o, "text"));
		a->param = vt_param_by_name(s_str(o, "parameter"));
		a->technical = strcmp(s_str(o, "kind"), "technical") == 0;
		a->priority = (enum vt_priority)prio;
		a->onset = s_time(o, "onset", t);
		a->raised = raised ? t : a->onset;
		a->limit = s_num(o, "limit");
		a->has_limit = !isnan(a->limit);
	}
	if ((int)a->priority < prio)
		a->priority = (enum vt_priority)prio;
	double worst = s_num(o, "worst");
	if (isnan(worst) && !a->technical)
		worst = s_num(o, "value");
	if (!isnan(worst) && !a->technical) {
		/* The daemon's worst is the furthest beyond the limit so far. */
		a->peak = worst;
		a->has_peak = true;
	}
	if (strcmp(event, "acknowledged") == 0 && a->acked == 0) {
		a->acked = t;
		snprintf(a->acked_by, sizeof(a->acked_by), "%s", s_str(o, "by"));
	} else if ((strcmp(event, "silenced") == 0 || raised) && a->silenced == 0 &&
	           json_is_string(json_object_get(o, "silenced_until"))) {
		/* Paused by a nurse, or raised while the bed's audio was paused. */
		a->silenced = t;
		snprintf(a->silenced_by, sizeof(a->silenced_by), "%s", s_str(o, "by"));
	} else if (strcmp(event, "cleared") == 0) {
		a->cleared = t;
		snprintf(a->end_text, sizeof(a->end_text), "%s", s_str(o, "text"));
	}
}

/* A session message: the baseline, the dose, back to baseline. */
static void
s_session(struct vt_record *r, json_t *o)
{
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(o, "baseline"), key, v)
	{
		int p = vt_param_by_name(key);
		if (p >= 0 && json_is_number(v))
			r->baseline[p] = json_number_value(v);
	}
	double dose = s_num(o, "dose_mg");
	int64_t t = s_time(o, "time", 0);
	if (!isnan(dose)) {
		double kg = s_num(o, "weight_kg"), rate = s_num(o, "dose_mg_per_kg_h");
		bool infusing = strcmp(s_str(o, "phase"), "infusion") == 0 && !isnan(kg) && !isnan(rate);
		r->dose_mg = dose;
		r->dose_time = t;
		r->dose_mg_per_h = infusing ? kg * rate : 0;
	}
	if (strcmp(s_str(o, "event"), "back-to-baseline") == 0 && r->back_to_baseline == 0 &&
	    t >= r->from && t <= r->to)
		r->back_to_baseline = t;
}

int
vt_record_station(struct vt_record *r, enum vt_rec_event ev, int64_t t, const char *json,
                  size_t len)
{
	if (!VT_REC_IS_JSON(ev))
		return -1;
	json_t *o = json_loadb(json, len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return 0;
	}
	if (ev == VT_REC_CONTROL && strcmp(s_str(o, "cmd"), "phase") == 0)
		s_phase(r, t, o);
	else if (ev == VT_REC_ALERT)
		s_alert(r, o);
	else if (ev == VT_REC_SESSION)
		s_session(r, o);
	else if (ev == VT_REC_CONFIG && strcmp(s_str(o, "sha256"), r->config_sha256) != 0) {
		r->config_changes++;
		snprintf(r->config_sha256, sizeof(r->config_sha256), "%s", s_str(o, "sha256"));
		snprintf(r->config_path, sizeof(r->config_path), "%s", s_str(o, "path"));
	}
	json_decref(o);
	return 0;
}

void
vt_record_replayed(struct vt_record *r, const char *json, size_t len)
{
	json_t *o = json_loadb(json, len, 0, NULL);
	const char *type = s_str(o, "type");
	if (strcmp(type, "alert") == 0 && r->alarms_replayed)
		s_alert(r, o);
	else if (strcmp(type, "session") == 0 && r->format < 2)
		s_session(r, o);
	json_decref(o);
}

/* ---- phases -------------------------------------------------------------- */

int
vt_record_phase_at(const struct vt_record *r, int64_t t)
{
	int phase = -1;
	for (size_t i = 0; i < r->n_phases && r->phases[i].t <= t; i++)
		phase = (int)r->phases[i].phase;
	return phase;
}

int64_t
vt_record_phase_start(const struct vt_record *r, enum vt_phase phase)
{
	for (size_t i = 0; i < r->n_phases; i++)
		if (r->phases[i].phase == phase && r->phases[i].t >= r->from && r->phases[i].t <= r->to)
			return r->phases[i].t;
	return 0;
}

void
vt_record_trim(struct vt_record *r)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n_alarms; i++) {
		const struct vt_record_alarm *a = &r->alarms[i];
		if (a->raised <= r->to && (a->cleared == 0 || a->cleared >= r->from))
			r->alarms[k++] = *a;
	}
	r->n_alarms = k;
	/* The phase in force at `from` stays: the record opens in it. */
	size_t first = 0;
	for (size_t i = 0; i < r->n_phases; i++)
		if (r->phases[i].t <= r->from)
			first = i;
	k = 0;
	for (size_t i = first; i < r->n_phases; i++)
		if (r->phases[i].t <= r->to)
			r->phases[k++] = r->phases[i];
	r->n_phases = k;
}

double
vt_record_dose_at(const struct vt_record *r, int64_t t)
{
	if (isnan(r->dose_mg) || t <= r->dose_time)
		return r->dose_mg;
	return r->dose_mg + r->dose_mg_per_h * (double)(t - r->dose_time) / 3600000.0;
}

/* ---- the table ----------------------------------------------------------- */

static int
s_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of vals[0..n) (sorted in place); NAN for none. */
static double
s_median(double *vals, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(vals, n, sizeof(*vals), s_cmp_double);
	return n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2;
}

/* floor(t / step) * step, for negative t too. */
static int64_t
s_floor(int64_t t, int64_t step)
{
	int64_t q = t / step;
	if (t % step != 0 && t < 0)
		q--;
	return q * step;
}

size_t
vt_record_table(const struct vt_record *r, int64_t interval_ms, struct vt_record_row **rows)
{
	*rows = NULL;
	if (interval_ms <= 0 || r->to < r->from)
		return 0;
	int64_t first = s_floor(r->from, interval_ms);
	size_t n = (size_t)((s_floor(r->to, interval_ms) - first) / interval_ms + 1);
	struct vt_record_row *out = calloc(n, sizeof(*out));
	size_t most = 0;
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		most = r->series[p].n > most ? r->series[p].n : most;
	double *vals = malloc((most ? most : 1) * sizeof(*vals));
	if (out == NULL || vals == NULL) {
		free(out);
		free(vals);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		out[i].t = first + (int64_t)i * interval_ms;
		out[i].phase = vt_record_phase_at(r, out[i].t < r->from ? r->from : out[i].t);
		out[i].spo2_min = NAN;
		for (int p = 0; p < VT_PARAM_COUNT; p++)
			out[i].median[p] = NAN;
	}
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		const struct vt_record_series *s = &r->series[p];
		size_t j = 0;
		for (size_t i = 0; i < n; i++) {
			int64_t end = out[i].t + interval_ms;
			size_t k = 0;
			double lo = NAN;
			for (; j < s->n && s->p[j].t < end; j++) {
				if (s->p[j].t < out[i].t || isnan(s->p[j].v))
					continue;
				vals[k++] = s->p[j].v;
				if (isnan(lo) || s->p[j].v < lo)
					lo = s->p[j].v;
			}
			out[i].median[p] = s_median(vals, k);
			if (k > 0)
				out[i].has |= VT_PARAM_BIT(p);
			if (p == VT_SPO2)
				out[i].spo2_min = lo;
		}
	}
	free(vals);
	*rows = out;
	return n;
}

/* ---- the summary --------------------------------------------------------- */

void
vt_record_summarise(const struct vt_record *r, struct vt_record_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->pulse_param = -1;
	s->back_ms = -1;
	const struct vt_record_series *spo2 = &r->series[VT_SPO2];
	for (size_t i = 0; i < spo2->n; i++) {
		const struct vt_record_point *pt = &spo2->p[i];
		if (isnan(pt->v))
			continue;
		if (!s->has_spo2 || pt->v < s->spo2_min) {
			s->spo2_min = pt->v;
			s->spo2_min_t = pt->t;
		}
		s->has_spo2 = true;
		/* Below 90 % until the next sample, unless the next is a gap away. */
		if (pt->v < 90 && i + 1 < spo2->n && !isnan(spo2->p[i + 1].v) &&
		    spo2->p[i + 1].t - pt->t <= r->gap_ms)
			s->below90_ms += spo2->p[i + 1].t - pt->t;
	}
	int pulse = r->present & VT_PARAM_BIT(VT_PR) ? VT_PR : r->present & VT_PARAM_BIT(VT_HR) ? VT_HR : -1;
	s->pulse_param = pulse;
	for (size_t i = 0; pulse >= 0 && i < r->series[pulse].n; i++) {
		const struct vt_record_point *pt = &r->series[pulse].p[i];
		if (!isnan(pt->v) && (s->pulse_max_t == 0 || pt->v > s->pulse_max)) {
			s->pulse_max = pt->v;
			s->pulse_max_t = pt->t;
		}
	}
	const struct vt_record_series *sys = &r->series[VT_NIBP_SYS];
	for (size_t i = 0; i < sys->n; i++) {
		const struct vt_record_point *pt = &sys->p[i];
		if (isnan(pt->v) || (s->has_bp && pt->v <= s->sys_max))
			continue;
		s->has_bp = true;
		s->sys_max = pt->v;
		s->bp_t = pt->t;
		s->dia_at_sys_max = NAN;
		const struct vt_record_series *dia = &r->series[VT_NIBP_DIA];
		for (size_t k = 0; k < dia->n; k++)
			if (dia->p[k].t == pt->t)
				s->dia_at_sys_max = dia->p[k].v;
	}
	s->recovery_t = vt_record_phase_start(r, VT_PHASE_RECOVERY);
	if (s->recovery_t != 0 && r->back_to_baseline >= s->recovery_t)
		s->back_ms = r->back_to_baseline - s->recovery_t;
	for (size_t i = 0; i < r->n_alarms; i++) {
		if (r->alarms[i].technical)
			s->technical++;
		else
			s->alarms[r->alarms[i].priority]++;
	}
}

size_t
vt_record_columns(const struct vt_record *r, int *out)
{
	static const int order[] = {VT_SPO2, VT_PR, VT_HR, VT_NIBP_SYS, VT_NIBP_DIA, VT_NIBP_MAP,
	                            VT_RR, VT_ETCO2, VT_PI, VT_SPCO, VT_SPMET, VT_PVI};
	size_t n = 0;
	bool listed[VT_PARAM_COUNT] = {false};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		listed[order[i]] = true;
		if (r->present & VT_PARAM_BIT(order[i]))
			out[n++] = order[i];
	}
	for (int p = 0; p < VT_PARAM_COUNT; p++) /* parameters added later */
		if (!listed[p] && (r->present & VT_PARAM_BIT(p)))
			out[n++] = p;
	return n;
}
