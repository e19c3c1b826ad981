/*
 * The state kept across restarts, to JSON and back (state.h). Decoding
 * trusts nothing: a member of the wrong type, a phase or parameter it does
 * not know, a time that does not parse, are each an error that names the
 * member, and the caller then sets the whole file aside rather than restore
 * half of it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/base/timefmt.h"
#include "vitals/wire/state.h"

static json_t *
s_time(int64_t ms)
{
	char buf[VT_TIME_BUFSZ];
	return json_string(vt_time_format(ms, buf));
}

static json_t *
s_number(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *
s_bed(const struct vt_state_bed *b)
{
	const struct vt_infusion *s = &b->inf;
	json_t *o = json_object(), *base = json_object(), *samples = json_object(),
	       *acked = json_array();
	json_object_set_new(o, "bed", json_string(b->bed));
	json_object_set_new(o, "phase", json_string(vt_phase_name(s->phase)));
	json_object_set_new(o, "phase_since", s_time(s->phase_since));
	json_object_set_new(o, "weight_kg", s_number(s->weight_kg));
	json_object_set_new(o, "dose_mg_per_kg_h", s_number(s->rate_mg_per_kg_h));
	json_object_set_new(o, "dose_mg", json_real(s->dose_mg));
	json_object_set_new(o, "dose_at", s_time(s->dose_at));
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		const char *name = vt_param_info(p)->name;
		if (!isnan(s->baseline[p]))
			json_object_set_new(base, name, json_real(s->baseline[p]));
		size_t n = s->n_samples[p], from = n > VT_STATE_SAMPLES_MAX ? n - VT_STATE_SAMPLES_MAX : 0;
		if (n == 0 || s->samples[p] == NULL)
			continue;
		json_t *a = json_array();
		for (size_t i = from; i < n; i++)
			json_array_append_new(a, json_real(s->samples[p][i]));
		json_object_set_new(samples, name, a);
	}
	json_object_set_new(o, "baseline", base);
	json_object_set_new(o, "samples", samples);
	json_object_set_new(o, "back_at", s->back_reported ? s_time(s->back_at) : json_null());
	for (size_t i = 0; i < b->n_acked; i++)
		json_array_append_new(acked, json_string(b->acked[i]));
	json_object_set_new(o, "acknowledged", acked);
	return o;
}

char *
vt_state_encode(const struct vt_state_bed *beds, size_t n, int64_t t)
{
	json_t *o = json_object(), *a = json_array();
	json_object_set_new(o, "format", json_string(VT_STATE_FORMAT));
	json_object_set_new(o, "version", json_integer(VT_STATE_VERSION));
	json_object_set_new(o, "written", s_time(t));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, s_bed(&beds[i]));
	json_object_set_new(o, "beds", a);
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	json_decref(o);
	return text;
}

/* ---- decoding ---------------------------------------------------------------- */

struct dec {
	char *err;
	size_t errlen;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
s_fail(struct dec *d, const char *fmt, ...)
{
	if (d->failed)
		return;
	d->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
}

static int64_t
s_get_time(struct dec *d, json_t *o, const char *key, const char *bed)
{
	int64_t ms = 0;
	const char *s = json_string_value(json_object_get(o, key));
	if (s == NULL || vt_time_parse(s, &ms) != 0)
		s_fail(d, "beds[%s].%s: expected a time such as 2026-11-21T10:14:03.120Z", bed, key);
	return ms;
}

static double
s_get_number(struct dec *d, json_t *o, const char *key, const char *bed, bool nullable)
{
	json_t *v = json_object_get(o, key);
	if (nullable && json_is_null(v))
		return NAN;
	if (!json_is_number(v) || !isfinite(json_number_value(v))) {
		s_fail(d, "beds[%s].%s: expected a number%s", bed, key, nullable ? " or null" : "");
		return NAN;
	}
	return json_number_value(v);
}

/* A per-parameter object (baseline, samples): its members checked by `one`. */
static void
s_per_param(struct dec *d, json_t *o, const char *key, const char *bed,
            void (*one)(struct dec *, struct vt_infusion *, int, json_t *, const char *),
            struct vt_infusion *s)
{
	json_t *m = json_object_get(o, key);
	if (!json_is_object(m)) {
		s_fail(d, "beds[%s].%s: expected an object of parameters", bed, key);
		return;
	}
	const char *name;
	json_t *v;
	json_object_foreach(m, name, v)
	{
		int p = vt_param_by_name(name);
		if (p < 0) {
			s_fail(d, "beds[%s].%s: unknown parameter \"%.32s\"", bed, key, name);
			return;
		}
		one(d, s, p, v, bed);
	}
}

static void
s_baseline_one(struct dec *d, struct vt_infusion *s, int p, json_t *v, const char *bed)
{
	if (!json_is_number(v))
		s_fail(d, "beds[%s].baseline.%s: expected a number", bed, vt_param_info(p)->name);
	else
		s->baseline[p] = json_number_value(v);
}

static void
s_samples_one(struct dec *d, struct vt_infusion *s, int p, json_t *v, const char *bed)
{
	size_t n = json_array_size(v);
	if (!json_is_array(v) || n > VT_STATE_SAMPLES_MAX) {
		s_fail(d, "beds[%s].samples.%s: expected at most %d numbers", bed,
		       vt_param_info(p)->name, VT_STATE_SAMPLES_MAX);
		return;
	}
	s->samples[p] = malloc(VT_BASELINE_MAX * sizeof(double));
	if (s->samples[p] == NULL) {
		s_fail(d, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(v, i);
		if (!json_is_number(x)) {
			s_fail(d, "beds[%s].samples.%s: expected numbers", bed, vt_param_info(p)->name);
			return;
		}
		s->samples[p][s->n_samples[p]++] = json_number_value(x);
	}
}

static void
s_decode_bed(struct dec *d, json_t *o, struct vt_state_bed *b)
{
	const char *name = json_string_value(json_object_get(o, "bed"));
	vt_infusion_init(&b->inf);
	if (!json_is_object(o) || name == NULL || strlen(name) >= sizeof(b->bed)) {
		s_fail(d, "beds: expected objects with a \"bed\" name");
		return;
	}
	snprintf(b->bed, sizeof(b->bed), "%s", name);
	struct vt_infusion *s = &b->inf;
	int phase = vt_phase_by_name(json_string_value(json_object_get(o, "phase")));
	if (phase < 0)
		s_fail(d, "beds[%s].phase: expected baseline, infusion, recovery or ended", name);
	s->active = true;
	s->phase = (enum vt_phase)(phase < 0 ? 0 : phase);
	s->phase_since = s_get_time(d, o, "phase_since", name);
	s->weight_kg = s_get_number(d, o, "weight_kg", name, true);
	s->rate_mg_per_kg_h = s_get_number(d, o, "dose_mg_per_kg_h", name, true);
	s->dose_mg = s_get_number(d, o, "dose_mg", name, false);
	s->dose_at = s_get_time(d, o, "dose_at", name);
	s_per_param(d, o, "baseline", name, s_baseline_one, s);
	s_per_param(d, o, "samples", name, s_samples_one, s);
	json_t *back = json_object_get(o, "back_at");
	if (!json_is_null(back)) {
		s->back_reported = true;
		s->back_at = s_get_time(d, o, "back_at", name);
	}
	json_t *acked = json_object_get(o, "acknowledged");
	size_t i;
	json_t *v;
	if (!json_is_array(acked) || json_array_size(acked) > VT_STATE_ACKED_MAX) {
		s_fail(d, "beds[%s].acknowledged: expected at most %d rule names", name,
		       VT_STATE_ACKED_MAX);
		return;
	}
	json_array_foreach(acked, i, v)
	{
		const char *rule = json_string_value(v);
		if (rule == NULL || strlen(rule) >= sizeof(b->acked[0])) {
			s_fail(d, "beds[%s].acknowledged: expected rule names", name);
			return;
		}
		snprintf(b->acked[b->n_acked++], sizeof(b->acked[0]), "%s", rule);
	}
}

int
vt_state_decode(const char *text, size_t len, struct vt_state_bed **beds, size_t *n,
                int64_t *written, char *err, size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen};
	json_error_t je;
	*beds = NULL;
	*n = 0;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		snprintf(err, errlen, "not JSON (line %d: %s)", je.line, je.text);
		return -1;
	}
	const char *format = json_string_value(json_object_get(o, "format"));
	json_t *a = json_object_get(o, "beds");
	if (format == NULL || strcmp(format, VT_STATE_FORMAT) != 0)
		s_fail(&d, "not a vitalsd state file (no \"format\":\"%s\")", VT_STATE_FORMAT);
	else if (json_integer_value(json_object_get(o, "version")) != VT_STATE_VERSION)
		s_fail(&d, "written in version %lld of the state format; this vitalsd reads version %d",
		       (long long)json_integer_value(json_object_get(o, "version")), VT_STATE_VERSION);
	else if (!json_is_array(a))
		s_fail(&d, "beds: expected a list");
	if (!d.failed)
		*written = s_get_time(&d, o, "written", "");
	size_t count = d.failed ? 0 : json_array_size(a);
	struct vt_state_bed *v = calloc(count + 1, sizeof(*v));
	if (v == NULL)
		s_fail(&d, "out of memory");
	for (size_t i = 0; v != NULL && i < count && !d.failed; i++) {
		s_decode_bed(&d, json_array_get(a, i), &v[i]);
		*n = i + 1;
	}
	json_decref(o);
	*beds = v;
	if (d.failed) {
		vt_state_beds_free(beds, *n);
		*n = 0;
		return -1;
	}
	return 0;
}

void
vt_state_beds_free(struct vt_state_bed **beds, size_t n)
{
	if (beds == NULL || *beds == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		vt_infusion_release(&(*beds)[i].inf);
	free(*beds);
	*beds = NULL;
}
