/*
 * The JSON objects of docs/protocol.md. Keys come out in a fixed order (jansson
 * keeps insertion order) and numbers come out the way a device shows them
 * (96, not 96.0; 2.1, not 2.1000000000000001), so replay output is stable
 * enough to diff against golden files.
 *
 * The two messages sent all the time, vitals and heartbeat, are written
 * straight into a buffer by jsonw.c, which prints exactly what jansson
 * would: building and dumping a jansson tree for each was most of the cost
 * of a replay (docs/PERFORMANCE.md). The rare ones keep jansson.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "vitals/alarm/infusion.h"
#include "vitals/base/timefmt.h"
#include "vitals/wire/jsonw.h"
#include "vitals/wire/message.h"

/* A number as a device would print it: integral values as integers. */
static json_t *
s_number(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static json_t *
s_time(int64_t ms)
{
	char buf[VT_TIME_BUFSZ];
	return json_string(vt_time_format(ms, buf));
}

/* An object with the members every message starts with. */
static json_t *
s_begin(const struct vt_msg_header *h, const char *type)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	if (h->topic != NULL)
		json_object_set_new(o, "topic", json_string(h->topic));
	json_object_set_new(o, "v", json_integer(VT_SCHEMA_VERSION));
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "seq", json_integer((json_int_t)h->seq));
	json_object_set_new(o, "time", s_time(h->time_ms));
	json_object_set_new(o, "instance", json_string(h->instance));
	return o;
}

/* Serialise and free `o`. */
static char *
s_finish(json_t *o)
{
	if (o == NULL)
		return NULL;
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(o);
	return s;
}

char *
vt_msg_topic(char *buf, size_t len, const char *type, const char *bed)
{
	if (bed != NULL)
		snprintf(buf, len, "%s.%s", type, bed);
	else
		snprintf(buf, len, "%s", type);
	return buf;
}

char *
vt_msg_alert(const struct vt_msg_header *h, const struct vt_alert_event *ev)
{
	const struct vt_alert *al = ev->alert;
	json_t *o = s_begin(h, "alert");
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "bed", json_string(al->bed_name));
	json_object_set_new(o, "id", json_string(al->id));
	json_object_set_new(o, "event", json_string(vt_alert_event_name(ev->type)));
	json_object_set_new(o, "rule", json_string(al->rule));
	json_object_set_new(o, "kind", json_string(al->kind == VT_KIND_TECHNICAL ? "technical"
	                                                                          : "physiological"));
	if (al->monitor) /* the monitor's own alarm, not one of our rules */
		json_object_set_new(o, "source", json_string("monitor"));
	json_object_set_new(o, "priority", json_string(vt_priority_name(al->priority)));
	json_object_set_new(o, "parameter",
	                    al->param >= 0 ? json_string(vt_param_info(al->param)->name) : json_null());
	json_object_set_new(o, "value", al->has_value ? s_number(al->value) : json_null());
	json_object_set_new(o, "worst", s_number(al->worst));
	json_object_set_new(o, "onset_value", s_number(al->onset_value));
	json_object_set_new(o, "limit", al->has_limit ? s_number(al->limit) : json_null());
	json_object_set_new(o, "onset", s_time(al->onset_ms));
	json_object_set_new(o, "acknowledged", json_boolean(al->acknowledged));
	json_object_set_new(o, "silenced_until",
	                    al->silenced_until > 0 ? s_time(al->silenced_until) : json_null());
	if (ev->by != NULL)
		json_object_set_new(o, "by", json_string(ev->by));
	json_object_set_new(o, "text", json_string(al->text));
	return s_finish(o);
}

void *
vt_msg_values_object(const struct vt_msg_vitals *v)
{
	json_t *values = json_object();
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		if (!(v->known & VT_PARAM_BIT(p)))
			continue;
		json_object_set_new(values, vt_param_info(p)->name,
		                    (v->valid & VT_PARAM_BIT(p)) ? s_number(v->value[p]) : json_null());
	}
	return values;
}

/* Whole seconds from `at` to `t`; never negative. */
static int64_t
s_age_s(int64_t at, int64_t t)
{
	return t > at ? (t - at) / 1000 : 0;
}

void *
vt_msg_measured_object(const struct vt_msg_vitals *v)
{
	json_t *o = json_object();
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		if (v->spot & VT_PARAM_BIT(p))
			json_object_set_new(o, vt_param_info(p)->name, s_time(v->measured[p]));
	return o;
}

void *
vt_msg_age_object(const struct vt_msg_vitals *v, int64_t t)
{
	json_t *o = json_object();
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		if (v->spot & VT_PARAM_BIT(p))
			json_object_set_new(o, vt_param_info(p)->name,
			                    json_integer((json_int_t)s_age_s(v->measured[p], t)));
	return o;
}

/* ---- the frequent messages, written directly ------------------------------ */

/* A string member; left out, as jansson leaves it out, when not valid UTF-8. */
static void
s_w_string(struct vt_jsonw *w, const char *key, const char *value)
{
	if (value == NULL || !vt_jsonw_utf8_ok(value))
		return;
	vt_jsonw_key(w, key);
	vt_jsonw_string(w, value);
}

/* s_number's rules: null, an integer, or a real. */
static void
s_w_number(struct vt_jsonw *w, double v)
{
	if (!isfinite(v))
		vt_jsonw_null(w);
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		vt_jsonw_int(w, (int64_t)v);
	else
		vt_jsonw_real(w, v);
}

/* s_begin's members, in its order. */
static void
s_w_begin(struct vt_jsonw *w, const struct vt_msg_header *h, const char *type)
{
	char buf[VT_TIME_BUFSZ];
	vt_jsonw_init(w);
	vt_jsonw_open(w, '{');
	if (h->topic != NULL)
		s_w_string(w, "topic", h->topic);
	vt_jsonw_key(w, "v");
	vt_jsonw_int(w, VT_SCHEMA_VERSION);
	s_w_string(w, "type", type);
	vt_jsonw_key(w, "seq");
	vt_jsonw_int(w, (int64_t)h->seq);
	s_w_string(w, "time", vt_time_format(h->time_ms, buf));
	s_w_string(w, "instance", h->instance);
}

char *
vt_msg_vitals(const struct vt_msg_header *h, const struct vt_msg_vitals *v)
{
	struct vt_jsonw w;
	s_w_begin(&w, h, "vitals");
	s_w_string(&w, "bed", v->bed);
	/* The members of vt_msg_values_object, which snapshots use. */
	vt_jsonw_key(&w, "values");
	vt_jsonw_open(&w, '{');
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		if (!(v->known & VT_PARAM_BIT(p)))
			continue;
		vt_jsonw_key(&w, vt_param_info(p)->name);
		if (v->valid & VT_PARAM_BIT(p))
			s_w_number(&w, v->value[p]);
		else
			vt_jsonw_null(&w);
	}
	vt_jsonw_close(&w, '}');
	/* Spot measurements carry their time and age (only when there are some,
	 * so an oximeter's messages are unchanged). */
	if (v->spot != 0) {
		char buf[VT_TIME_BUFSZ];
		vt_jsonw_key(&w, "measured");
		vt_jsonw_open(&w, '{');
		for (int p = 0; p < VT_PARAM_COUNT; p++)
			if (v->spot & VT_PARAM_BIT(p))
				s_w_string(&w, vt_param_info(p)->name, vt_time_format(v->measured[p], buf));
		vt_jsonw_close(&w, '}');
		vt_jsonw_key(&w, "age_s");
		vt_jsonw_open(&w, '{');
		for (int p = 0; p < VT_PARAM_COUNT; p++) {
			if (!(v->spot & VT_PARAM_BIT(p)))
				continue;
			vt_jsonw_key(&w, vt_param_info(p)->name);
			vt_jsonw_int(&w, s_age_s(v->measured[p], h->time_ms));
		}
		vt_jsonw_close(&w, '}');
	}
	vt_jsonw_key(&w, "flags");
	vt_jsonw_open(&w, '[');
	for (int i = 0; i < VT_FLAG_COUNT; i++)
		if ((v->flags & (1u << i)) && vt_flag_name(1u << i) != NULL)
			vt_jsonw_string(&w, vt_flag_name(1u << i));
	vt_jsonw_close(&w, ']');
	vt_jsonw_close(&w, '}');
	return vt_jsonw_finish(&w);
}

char *
vt_msg_heartbeat(const struct vt_msg_header *h, size_t active_alarms, int64_t interval_ms)
{
	struct vt_jsonw w;
	s_w_begin(&w, h, "heartbeat");
	vt_jsonw_key(&w, "active_alarms");
	vt_jsonw_int(&w, (int64_t)active_alarms);
	vt_jsonw_key(&w, "interval_ms");
	vt_jsonw_int(&w, interval_ms);
	vt_jsonw_close(&w, '}');
	return vt_jsonw_finish(&w);
}

char *
vt_msg_status(const struct vt_msg_header *h, const struct vt_msg_status *s)
{
	json_t *o = s_begin(h, "status");
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "bed", json_string(s->bed));
	json_object_set_new(o, "state", json_string(s->state));
	json_object_set_new(o, "port", s->port ? json_string(s->port) : json_null());
	json_object_set_new(o, "protocol", s->protocol ? json_string(s->protocol) : json_null());
	json_object_set_new(o, "detail", s->detail ? json_string(s->detail) : json_null());
	if (s->line != NULL)
		json_object_set_new(o, "line", vt_msg_line_object(s->line));
	return s_finish(o);
}

void *
vt_msg_line_object(const struct vt_line_stats *l)
{
	json_t *o = json_object();
	json_object_set_new(o, "bytes", json_integer((json_int_t)l->bytes));
	json_object_set_new(o, "frames", json_integer((json_int_t)l->frames));
	json_object_set_new(o, "dropped", json_integer((json_int_t)l->dropped));
	json_object_set_new(o, "discarded", json_integer((json_int_t)l->discarded));
	json_object_set_new(o, "checksum_failures", json_integer((json_int_t)l->checksum));
	json_object_set_new(o, "last_frame", l->last_frame > 0 ? s_time(l->last_frame) : json_null());
	json_object_set_new(o, "why", l->why ? json_string(l->why) : json_null());
	json_object_set_new(o, "looks_like", l->looks_like ? json_string(l->looks_like) : json_null());
	return o;
}

static json_t *
s_maybe(double v)
{
	return isnan(v) ? json_null() : s_number(v);
}

/* The members describing a session, added to `o`. */
static void
s_session_members(json_t *o, const struct vt_infusion *inf, int64_t t)
{
	json_object_set_new(o, "phase", inf->active ? json_string(vt_phase_name(inf->phase))
	                                            : json_null());
	json_object_set_new(o, "phase_since", inf->active ? s_time(inf->phase_since) : json_null());
	json_object_set_new(o, "time_in_phase_s",
	                    inf->active ? json_integer((json_int_t)((t - inf->phase_since) / 1000))
	                                : json_null());
	json_object_set_new(o, "weight_kg", s_maybe(inf->weight_kg));
	json_object_set_new(o, "dose_mg_per_kg_h", s_maybe(inf->rate_mg_per_kg_h));
	/* Milligrams to 0.1 mg: what a pump display shows. */
	double dose = vt_infusion_dose(inf, t);
	json_object_set_new(o, "dose_mg", s_maybe(isnan(dose) ? dose : round(dose * 10) / 10));
	json_t *base = json_object();
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		if (!isnan(inf->baseline[p]))
			json_object_set_new(base, vt_param_info(p)->name, s_number(inf->baseline[p]));
	json_object_set_new(o, "baseline", base);
}

void *
vt_msg_session_object(const char *bed, const struct vt_infusion *inf, int64_t t)
{
	json_t *o = json_object();
	s_session_members(o, inf, t);
	/* A console that joins late still knows the patient is back at baseline
	 * (the session messages said it once, with event back-to-baseline). */
	json_object_set_new(o, "back_at_baseline",
	                    inf->active && inf->back_at > 0 ? s_time(inf->back_at) : json_null());
	return o;
}

char *
vt_msg_session(const struct vt_msg_header *h, const char *bed, const char *event,
               const struct vt_infusion *inf, const char *by)
{
	json_t *o = s_begin(h, "session");
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "bed", json_string(bed));
	json_object_set_new(o, "event", json_string(event));
	s_session_members(o, inf, h->time_ms);
	if (by != NULL)
		json_object_set_new(o, "by", json_string(by));
	return s_finish(o);
}
