/*
 * The core between the drivers and the wire. It keeps each bed's latest
 * values, feeds the alarm engine, numbers every message with one gapless
 * seq, and decides when vitals, status and heartbeat messages are due.
 * Both the live event loop and offline replay drive it with explicit
 * times, which is what makes a replay reproduce a live run exactly.
 *
 * Ordering rules (also in docs/alarms.md): for a reading, the vitals
 * message comes before the alert events it causes; deadlines due at the
 * same instant fire in the order engine, vitals refresh, heartbeat.
 *
 * Spot measurements (NIBP, docs/protocol.md): a monitor repeats its last
 * blood pressure in every record for minutes. The core holds each spot
 * value with its measurement time until a new measurement replaces it or
 * it is older than the monitor's nibp_stale_after, and passes only new
 * measurements on to the rules and the baseline, so a rule counts
 * measurements, not polls.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/alarm/infusion.h"
#include "vitals/base/timefmt.h"
#include "vitals/core.h"
#include "vitals/wire/message.h"
#include "vitals/wire/state.h"

/* Vitals are re-sent at least this often while a bed is connected. */
#define VT_VITALS_REFRESH_MS 1000
/* Session messages are re-sent this often during an infusion session. */
#define VT_SESSION_REFRESH_MS 60000
/* The last spot measurement of a parameter, shown or not. */
struct spot {
	bool have;        /* a measurement was ever reported */
	double value;     /* its value */
	int64_t at;       /* when it was measured (our clock: its arrival less its age) */
	int64_t stamp;    /* timed: when, on the device's clock (vt_reading.stamp_ms) */
	bool timed;       /* `at` came from the device (else: when it arrived) */
};

struct core_bed {
	const struct vt_monitor_config *mon;
	vt_param_mask known;          /* parameters the device has ever reported */
	vt_param_mask valid;          /* which of them hold a value now */
	double value[VT_PARAM_COUNT]; /* latest values */
	uint32_t flags;               /* latest device flags */
	bool connected;               /* port connected: vitals refresh runs */
	bool watched;                 /* alarm clocks run */
	int64_t last_vitals;          /* time of the last vitals message */
	bool sent_vitals;             /* a vitals message went out since connecting */
	enum vt_port_state port;      /* last published port state */
	struct vt_infusion inf;       /* the infusion session */
	int64_t next_session;         /* next session update; INT64_MAX: none */
	vt_param_mask rule_params;    /* parameters the bed's rules watch */
	struct vt_line_stats line;    /* the line diagnostics since the port connected */
	vt_param_mask spot;           /* parameters whose held value is a spot measurement */
	struct spot last[VT_PARAM_COUNT]; /* the last spot measurement of each */
	int64_t restored;             /* the session came from a state file written then; 0: no */
};

/* The latest published object of an active alert, for snapshots. */
struct cached_alert {
	char id[VT_ALERT_ID_MAX];
	char *json;
};

struct vt_core {
	const struct vt_config *cfg;
	struct vt_core_options opt;
	struct vt_alarms *alarms;
	struct core_bed *beds;
	uint64_t seq;                 /* seq of the last message published */
	bool started;
	int64_t next_heartbeat;       /* when the next heartbeat is due */
	struct cached_alert *cache;   /* active alerts' latest objects */
	size_t n_cache, cap_cache;
	struct vt_back_to_baseline btb; /* recovery criteria */
	bool state_changed;           /* the state kept across restarts changed (wire/state.h) */
	int64_t state_written;        /* when it was last taken to be written */
};

static const char *const port_state_names[] = {"closed", "connecting", "connected", "lost"};

const char *
vt_port_state_name(enum vt_port_state s)
{
	return port_state_names[s];
}

struct vt_core *
vt_core_new(const struct vt_config *cfg, const struct vt_core_options *opt)
{
	struct vt_core *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->cfg = cfg;
	c->opt = *opt;
	c->alarms = vt_alarms_new(cfg);
	c->beds = calloc(cfg->n_monitors ? cfg->n_monitors : 1, sizeof(*c->beds));
	if (c->alarms == NULL || c->beds == NULL) {
		vt_core_free(&c);
		return NULL;
	}
	for (size_t b = 0; b < cfg->n_monitors; b++) {
		struct core_bed *cb = &c->beds[b];
		cb->mon = &cfg->monitors[b];
		vt_infusion_init(&cb->inf);
		cb->next_session = INT64_MAX;
		for (size_t r = 0; r < cfg->n_rules; r++)
			if (vt_rule_applies_to_bed(cfg, &cfg->rules[r], b))
				cb->rule_params |= VT_PARAM_BIT(cfg->rules[r].param);
	}
	c->next_heartbeat = INT64_MAX;
	c->btb.band = cfg->btb_band > 0 ? cfg->btb_band : 10;
	c->btb.band_percent = cfg->btb_band > 0 ? cfg->btb_band_percent : true;
	c->btb.for_ms = cfg->btb_for_ms > 0 ? cfg->btb_for_ms : 5 * 60000;
	return c;
}

void
vt_core_free(struct vt_core **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	struct vt_core *c = *cp;
	vt_alarms_free(&c->alarms);
	for (size_t b = 0; c->beds && b < c->cfg->n_monitors; b++)
		vt_infusion_release(&c->beds[b].inf);
	for (size_t i = 0; i < c->n_cache; i++)
		free(c->cache[i].json);
	free(c->cache);
	free(c->beds);
	free(*cp);
	*cp = NULL;
}

/* Hand one encoded message to the publisher; `json` is consumed. */
static void
s_publish(struct vt_core *c, const char *topic, char *json)
{
	if (json == NULL)
		return; /* out of memory in the encoder: the seq was not consumed */
	c->opt.publish(c->opt.ctx, topic, json, strlen(json));
	free(json);
}

/* The header for the next message; reserves its seq. */
static struct vt_msg_header
s_header(struct vt_core *c, const char *topic, int64_t t)
{
	struct vt_msg_header h = {
	    .topic = c->opt.embed_topic ? topic : NULL,
	    .seq = ++c->seq,
	    .time_ms = t,
	    .instance = c->opt.instance,
	};
	return h;
}

/* What a vitals message (or a snapshot) shows of a bed. */
static void
s_vitals_view(const struct core_bed *cb, struct vt_msg_vitals *v)
{
	*v = (struct vt_msg_vitals){
	    .bed = cb->mon->bed,
	    .known = cb->known,
	    .valid = cb->valid,
	    .value = cb->value,
	    .flags = cb->flags,
	    .spot = cb->spot & cb->valid,
	};
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		v->measured[p] = cb->last[p].at;
}

static void
s_send_vitals(struct vt_core *c, int bed, int64_t t)
{
	struct core_bed *cb = &c->beds[bed];
	char topic[160];
	vt_msg_topic(topic, sizeof(topic), "vitals", cb->mon->bed);
	struct vt_msg_header h = s_header(c, topic, t);
	struct vt_msg_vitals v;
	s_vitals_view(cb, &v);
	char *json = vt_msg_vitals(&h, &v);
	if (json == NULL) {
		c->seq--;
		return;
	}
	s_publish(c, topic, json);
	cb->last_vitals = t;
	cb->sent_vitals = true;
}

/* Keep the latest object of every active alert; forget cleared ones. */
static void
s_cache_alert(struct vt_core *c, const struct vt_alert_event *ev, const char *json)
{
	size_t i = 0;
	while (i < c->n_cache && strcmp(c->cache[i].id, ev->alert->id) != 0)
		i++;
	if (ev->type == VT_EV_CLEARED) {
		if (i < c->n_cache) {
			free(c->cache[i].json);
			memmove(&c->cache[i], &c->cache[i + 1], (c->n_cache - i - 1) * sizeof(c->cache[0]));
			c->n_cache--;
		}
		return;
	}
	char *copy = strdup(json);
	if (copy == NULL)
		return;
	if (i == c->n_cache) {
		if (c->n_cache == c->cap_cache) {
			size_t cap = c->cap_cache ? c->cap_cache * 2 : 16;
			struct cached_alert *v = realloc(c->cache, cap * sizeof(*v));
			if (v == NULL) {
				free(copy);
				return;
			}
			c->cache = v;
			c->cap_cache = cap;
		}
		snprintf(c->cache[i].id, sizeof(c->cache[i].id), "%s", ev->alert->id);
		c->cache[i].json = NULL;
		c->n_cache++;
	}
	free(c->cache[i].json);
	c->cache[i].json = copy;
}

static void
s_send_session(struct vt_core *c, int bed, int64_t t, const char *event, const char *by)
{
	struct core_bed *cb = &c->beds[bed];
	char topic[160];
	vt_msg_topic(topic, sizeof(topic), "session", cb->mon->bed);
	struct vt_msg_header h = s_header(c, topic, t);
	char *json = vt_msg_session(&h, cb->mon->bed, event, &cb->inf, by);
	if (json == NULL) {
		c->seq--;
		return;
	}
	s_publish(c, topic, json);
	cb->next_session = cb->inf.active && cb->inf.phase != VT_PHASE_ENDED
	                       ? t + VT_SESSION_REFRESH_MS
	                       : INT64_MAX;
}

/* Alarm engine callback: publish the event. */
static void
s_on_alert(void *ctx, const struct vt_alert_event *ev)
{
	struct vt_core *c = ctx;
	char topic[160];
	vt_msg_topic(topic, sizeof(topic), "alert", ev->alert->bed_name);
	struct vt_msg_header h = s_header(c, topic, ev->time_ms);
	char *json = vt_msg_alert(&h, ev);
	if (json == NULL) {
		c->seq--;
		return;
	}
	s_cache_alert(c, ev, json);
	s_publish(c, topic, json);
	/* What a restart must keep: which active alarms are acknowledged. */
	if (ev->type == VT_EV_ACKNOWLEDGED || (ev->type == VT_EV_CLEARED && ev->alert->acknowledged))
		c->state_changed = true;

	/* Values from a monitor we lost are not current: stop showing them. */
	if (ev->type == VT_EV_RAISED && ev->alert->kind == VT_KIND_TECHNICAL &&
	    strcmp(ev->alert->rule, vt_technical_name(VT_TECH_COMM_LOST)) == 0) {
		struct core_bed *cb = &c->beds[ev->alert->bed];
		if (cb->valid != 0 || cb->flags != 0) {
			cb->valid = 0;
			cb->flags = 0;
			s_send_vitals(c, ev->alert->bed, ev->time_ms);
		}
	}
}

void
vt_core_start(struct vt_core *c, int64_t t)
{
	c->started = true;
	c->next_heartbeat = t + c->cfg->heartbeat_ms;
}

void
vt_core_watch_bed(struct vt_core *c, int bed, int64_t t)
{
	c->beds[bed].watched = true;
	vt_alarms_monitor_start(c->alarms, bed, t);
}

void
vt_core_bed_measures(struct vt_core *c, int bed, vt_param_mask measures, vt_param_mask may_measure)
{
	vt_alarms_bed_measures(c->alarms, bed, measures, may_measure);
}

void
vt_core_stop_bed(struct vt_core *c, int bed)
{
	c->beds[bed].watched = false;
	c->beds[bed].connected = false;
	vt_alarms_monitor_stop(c->alarms, bed);
}

/*
 * A spot value `p` of reading `r` at t: update what the bed shows, and say
 * whether it is news for the rules (a new measurement, or the device no
 * longer showing one). Repeats of the measurement already held, and
 * measurements already older than nibp_stale_after, are not.
 */
static bool
s_spot(struct core_bed *cb, const struct vt_reading *r, enum vt_param p, int64_t t)
{
	vt_param_mask bit = VT_PARAM_BIT(p);
	struct spot *sp = &cb->last[p];
	int64_t stale = cb->mon->nibp_stale_after_ms;
	cb->spot |= bit;
	if (!(r->valid & bit)) {
		bool news = (cb->valid & bit) != 0;
		cb->valid &= ~bit;
		return news;
	}
	bool timed = (r->timed & bit) != 0;
	int64_t at = timed ? t - r->age_ms[p] : t;
	/* A repeat keeps the time first derived for it: the age of a repeat
	 * grows with the device's clock, which need not run at our rate. An
	 * untimed value was measured at the latest when it first arrived (its
	 * `at`): a timed one measured after that is another measurement. */
	bool same = sp->have && sp->value == r->value[p] &&
	            (!timed || (sp->timed ? vt_reading_same_stamp(r->stamp_ms[p], sp->stamp)
	                                  : at <= sp->at + VT_SPOT_SAME_MS));
	if (same && timed && !sp->timed) {
		sp->at = at; /* the device's time is better than our arrival time */
		sp->stamp = r->stamp_ms[p];
		sp->timed = true;
	}
	if (!same)
		*sp = (struct spot){.have = true, .value = r->value[p], .at = at,
		                    .stamp = r->stamp_ms[p], .timed = timed};
	if (sp->at + stale <= t) {
		cb->valid &= ~bit; /* measured too long ago to be current */
		return false;
	}
	cb->valid |= bit;
	cb->value[p] = sp->value;
	return !same;
}

void
vt_core_reading(struct vt_core *c, int bed, int64_t t, const struct vt_reading *r)
{
	struct core_bed *cb = &c->beds[bed];
	bool changed = !cb->sent_vitals;
	/* What the rules and the baseline see: spot repeats taken out. */
	struct vt_reading news = *r;
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		vt_param_mask bit = VT_PARAM_BIT(p);
		if (!(r->reported & bit))
			continue;
		if (!(cb->known & bit))
			changed = true;
		cb->known |= bit;
		if (vt_reading_is_spot(r, (enum vt_param)p)) {
			vt_param_mask was_valid = cb->valid & bit;
			int64_t was_at = cb->last[p].at;
			double was_value = cb->value[p];
			if (!s_spot(cb, r, (enum vt_param)p, t))
				news.reported &= ~bit, news.valid &= ~bit;
			if ((cb->valid & bit) != was_valid ||
			    ((cb->valid & bit) && (cb->last[p].at != was_at || cb->value[p] != was_value)))
				changed = true;
			continue;
		}
		cb->spot &= ~bit;
		if (r->valid & bit) {
			if (!(cb->valid & bit) || cb->value[p] != r->value[p])
				changed = true;
			cb->valid |= bit;
			cb->value[p] = r->value[p];
		} else if (cb->valid & bit) {
			changed = true;
			cb->valid &= ~bit;
		}
	}
	if (r->has_status && r->flags != cb->flags) {
		changed = true;
		cb->flags = r->flags;
	}
	if (changed)
		s_send_vitals(c, bed, t);
	vt_alarms_reading(c->alarms, bed, t, &news, s_on_alert, c);
	if (vt_infusion_reading(&cb->inf, &news, cb->rule_params, &c->btb, t)) {
		s_send_session(c, bed, t, "back-to-baseline", NULL);
		c->state_changed = true;
	}
}

void
vt_core_line(struct vt_core *c, int bed, int64_t t, const struct vt_line_stats *l, bool undecoded)
{
	c->beds[bed].line = *l;
	if (undecoded)
		vt_alarms_undecoded(c->alarms, bed, t, l->undecoded, l->looks_like, s_on_alert, c);
}

const struct vt_line_stats *
vt_core_line_stats(const struct vt_core *c, int bed)
{
	return &c->beds[bed].line;
}

void
vt_core_device_info(struct vt_core *c, int bed, int64_t t, const struct vt_device_info *info)
{
	/* Device limits and modes are logged by the shell; nothing is published yet. */
}

void
vt_core_port_state(struct vt_core *c, int bed, int64_t t, enum vt_port_state s,
                   const char *detail)
{
	struct core_bed *cb = &c->beds[bed];
	if (s == VT_PORT_CONNECTED) {
		cb->connected = true;
		cb->sent_vitals = false;
		memset(&cb->line, 0, sizeof(cb->line)); /* the driver starts afresh too */
		vt_alarms_port_connected(c->alarms, bed, t);
	} else if (cb->connected) {
		cb->connected = false;
		vt_alarms_port_disconnected(c->alarms, bed, t);
	}
	cb->port = s;
	char topic[160];
	vt_msg_topic(topic, sizeof(topic), "status", cb->mon->bed);
	struct vt_msg_header h = s_header(c, topic, t);
	struct vt_msg_status st = {
	    .bed = cb->mon->bed,
	    .state = vt_port_state_name(s),
	    .port = cb->mon->port,
	    .protocol = cb->mon->driver ? cb->mon->driver->name : NULL,
	    .detail = detail,
	    /* What the connection that ends (or is under way) carried, once it carried anything. */
	    .line = cb->line.bytes > 0 ? &cb->line : NULL,
	};
	char *json = vt_msg_status(&h, &st);
	if (json == NULL) {
		c->seq--;
		return;
	}
	s_publish(c, topic, json);
}

void
vt_core_recording(struct vt_core *c, int bed, int64_t t, bool ok, const char *why)
{
	vt_alarms_recording(c->alarms, bed, ok, t, why, s_on_alert, c);
}

void
vt_core_device_alarm(struct vt_core *c, int bed, int64_t t, const struct vt_device_alarm *da)
{
	vt_alarms_device(c->alarms, bed, t, da, s_on_alert, c);
}

/* The bed whose session update is due first, and when; -1 if none. */
static int
s_next_session(const struct vt_core *c, int64_t *due)
{
	int best = -1;
	*due = INT64_MAX;
	for (size_t b = 0; b < c->cfg->n_monitors; b++)
		if (c->beds[b].next_session < *due) {
			*due = c->beds[b].next_session;
			best = (int)b;
		}
	return best;
}

/* The bed whose shown spot value expires first, and when; -1 if none. */
static int
s_next_expiry(const struct vt_core *c, int64_t *due)
{
	int best = -1;
	*due = INT64_MAX;
	for (size_t b = 0; b < c->cfg->n_monitors; b++) {
		const struct core_bed *cb = &c->beds[b];
		for (vt_param_mask m = cb->spot & cb->valid; m != 0; m &= m - 1) {
			int p = __builtin_ctz(m);
			int64_t at = cb->last[p].at + cb->mon->nibp_stale_after_ms;
			if (at < *due) {
				*due = at;
				best = (int)b;
			}
		}
	}
	return best;
}

/* Take the spot values of `bed` that are too old by t off the display. */
static void
s_expire(struct vt_core *c, int bed, int64_t t)
{
	struct core_bed *cb = &c->beds[bed];
	for (vt_param_mask m = cb->spot & cb->valid; m != 0; m &= m - 1) {
		int p = __builtin_ctz(m);
		if (cb->last[p].at + cb->mon->nibp_stale_after_ms <= t)
			cb->valid &= ~VT_PARAM_BIT(p);
	}
	s_send_vitals(c, bed, t);
}

/* The bed whose vitals refresh is due first, and when; -1 if none. */
static int
s_next_vitals(const struct vt_core *c, int64_t *due)
{
	int best = -1;
	*due = INT64_MAX;
	for (size_t b = 0; b < c->cfg->n_monitors; b++) {
		const struct core_bed *cb = &c->beds[b];
		if (!cb->connected || !cb->watched || !cb->sent_vitals)
			continue;
		if (cb->last_vitals + VT_VITALS_REFRESH_MS < *due) {
			*due = cb->last_vitals + VT_VITALS_REFRESH_MS;
			best = (int)b;
		}
	}
	return best;
}

void
vt_core_advance(struct vt_core *c, int64_t t)
{
	for (;;) {
		int64_t engine = vt_alarms_next_deadline(c->alarms);
		int64_t vitals, session, expiry;
		int bed = s_next_vitals(c, &vitals);
		int sbed = s_next_session(c, &session);
		int xbed = s_next_expiry(c, &expiry);
		int64_t next = engine;
		if (expiry < next)
			next = expiry;
		if (vitals < next)
			next = vitals;
		if (session < next)
			next = session;
		if (c->next_heartbeat < next)
			next = c->next_heartbeat;
		if (next > t)
			return;
		if (engine == next) {
			vt_alarms_advance(c->alarms, next, s_on_alert, c);
		} else if (expiry == next) {
			s_expire(c, xbed, next);
		} else if (vitals == next) {
			s_send_vitals(c, bed, next);
		} else if (session == next) {
			s_send_session(c, sbed, next, "update", NULL);
		} else {
			char *json;
			struct vt_msg_header h = s_header(c, "heartbeat", next);
			json = vt_msg_heartbeat(&h, vt_alarms_active_count(c->alarms),
			                        c->cfg->heartbeat_ms);
			if (json == NULL)
				c->seq--;
			else
				s_publish(c, "heartbeat", json);
			c->next_heartbeat = next + c->cfg->heartbeat_ms;
		}
	}
}

int64_t
vt_core_next_deadline(const struct vt_core *c)
{
	int64_t next = vt_alarms_next_deadline(c->alarms), vitals, session, expiry;
	s_next_vitals(c, &vitals);
	s_next_session(c, &session);
	s_next_expiry(c, &expiry);
	if (expiry < next)
		next = expiry;
	if (vitals < next)
		next = vitals;
	if (session < next)
		next = session;
	if (c->next_heartbeat < next)
		next = c->next_heartbeat;
	return next;
}

int
vt_core_ack(struct vt_core *c, const char *id, const char *by, int64_t t)
{
	return vt_alarms_ack(c->alarms, id, by, t, s_on_alert, c);
}

int64_t
vt_core_silence(struct vt_core *c, int bed, int64_t duration_ms, const char *by, int64_t t)
{
	return vt_alarms_silence(c->alarms, bed, duration_ms, by, t, s_on_alert, c);
}

void
vt_core_phase(struct vt_core *c, int bed, enum vt_phase phase, double weight_kg,
              double rate_mg_per_kg_h, const char *by, int64_t t)
{
	struct core_bed *cb = &c->beds[bed];
	vt_infusion_set_phase(&cb->inf, phase, weight_kg, rate_mg_per_kg_h, t);
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		vt_alarms_set_baseline(c->alarms, bed, p, cb->inf.baseline[p]);
	vt_alarms_set_phase(c->alarms, bed, (int)phase, t, s_on_alert, c);
	cb->restored = 0;
	c->state_changed = true;
	s_send_session(c, bed, t, "phase", by);
}

char *
vt_core_snapshot(const struct vt_core *c, int64_t t)
{
	json_t *o = json_object();
	char now[VT_TIME_BUFSZ];
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "seq", json_integer((json_int_t)c->seq));
	/* Which daemon run, and when: a console needs both to trust the rest. */
	json_object_set_new(o, "instance", json_string(c->opt.instance));
	json_object_set_new(o, "time", json_string(vt_time_format(t, now)));
	json_t *alerts = json_array();
	for (size_t i = 0; i < c->n_cache; i++) {
		json_t *a = json_loads(c->cache[i].json, 0, NULL);
		if (a != NULL)
			json_array_append_new(alerts, a);
	}
	json_object_set_new(o, "alerts", alerts);
	json_t *vitals = json_object(), *ports = json_object(), *sessions = json_object(),
	       *silenced = json_object(), *flags = json_object(), *lines = json_object(),
	       *measured = json_object(), *ages = json_object();
	for (size_t b = 0; b < c->cfg->n_monitors; b++) {
		const struct core_bed *cb = &c->beds[b];
		struct vt_msg_vitals v;
		s_vitals_view(cb, &v);
		json_object_set_new(vitals, cb->mon->bed, vt_msg_values_object(&v));
		json_object_set_new(measured, cb->mon->bed, vt_msg_measured_object(&v));
		json_object_set_new(ages, cb->mon->bed, vt_msg_age_object(&v, t));
		json_object_set_new(ports, cb->mon->bed, json_string(vt_port_state_name(cb->port)));
		json_t *so = vt_msg_session_object(cb->mon->bed, &cb->inf, t);
		/* A session carried over a restart says so until its next phase. */
		char when[VT_TIME_BUFSZ];
		json_object_set_new(so, "restored", cb->restored ? json_string(vt_time_format(
		                                                       cb->restored, when))
		                                                 : json_null());
		json_object_set_new(sessions, cb->mon->bed, so);
		json_t *f = json_array();
		for (int i = 0; i < VT_FLAG_COUNT; i++)
			if (cb->flags & (1u << i))
				json_array_append_new(f, json_string(vt_flag_name(1u << i)));
		json_object_set_new(flags, cb->mon->bed, f);
		json_object_set_new(lines, cb->mon->bed, vt_msg_line_object(&cb->line));
		int64_t until = vt_alarms_silenced_until(c->alarms, (int)b);
		if (until <= t)
			until = 0; /* ended; its event is due on this very turn */
		char buf[VT_TIME_BUFSZ];
		json_object_set_new(silenced, cb->mon->bed,
		                    until > 0 ? json_string(vt_time_format(until, buf)) : json_null());
	}
	json_object_set_new(o, "vitals", vitals);
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "sessions", sessions);
	json_object_set_new(o, "silenced", silenced);
	json_object_set_new(o, "flags", flags);
	json_object_set_new(o, "lines", lines);
	json_object_set_new(o, "measured", measured);
	json_object_set_new(o, "age_s", ages);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(o);
	return s;
}

void
vt_core_adopt(struct vt_core *c, struct vt_core *old, const int *bed_map, int64_t t)
{
	c->seq = old->seq;
	c->started = old->started;
	c->next_heartbeat = old->next_heartbeat;
	/* The cache moves whole; alarms that end now leave it through s_on_alert. */
	c->cache = old->cache, c->n_cache = old->n_cache, c->cap_cache = old->cap_cache;
	old->cache = NULL, old->n_cache = old->cap_cache = 0;
	for (size_t b = 0; b < c->cfg->n_monitors; b++) {
		int ob = bed_map[b];
		if (ob < 0)
			continue;
		struct core_bed *nb = &c->beds[b], *obd = &old->beds[ob];
		nb->known = obd->known;
		nb->valid = obd->valid;
		memcpy(nb->value, obd->value, sizeof(nb->value));
		nb->flags = obd->flags;
		nb->spot = obd->spot;
		memcpy(nb->last, obd->last, sizeof(nb->last));
		nb->connected = obd->connected;
		nb->watched = obd->watched;
		nb->last_vitals = obd->last_vitals;
		nb->sent_vitals = obd->sent_vitals;
		nb->port = obd->port;
		vt_infusion_release(&nb->inf);
		nb->inf = obd->inf; /* the sample buffers move with it */
		vt_infusion_init(&obd->inf);
		nb->next_session = obd->next_session;
		nb->line = obd->line;
		nb->restored = obd->restored;
	}
	/* Beds may have gone with their sessions: the state is written again. */
	c->state_changed = true;
	c->state_written = old->state_written;
	vt_alarms_adopt(c->alarms, old->alarms, bed_map, t, s_on_alert, c);
}

const struct vt_infusion *
vt_core_infusion(const struct vt_core *c, int bed)
{
	return &c->beds[bed].inf;
}

const struct vt_alarms *
vt_core_alarms(const struct vt_core *c)
{
	return c->alarms;
}

uint64_t
vt_core_last_seq(const struct vt_core *c)
{
	return c->seq;
}

/* ---- the state kept across restarts ---------------------------------------------- */

bool
vt_core_state_due(const struct vt_core *c, int64_t t)
{
	if (c->state_changed)
		return true;
	/* A baseline phase collects samples: kept at most a minute behind. */
	if (t - c->state_written < VT_CORE_STATE_SAMPLES_MS)
		return false;
	for (size_t b = 0; b < c->cfg->n_monitors; b++)
		if (c->beds[b].inf.active && c->beds[b].inf.phase == VT_PHASE_BASELINE)
			return true;
	return false;
}

char *
vt_core_state(struct vt_core *c, int64_t t)
{
	size_t n = 0;
	struct vt_state_bed *beds = calloc(c->cfg->n_monitors + 1, sizeof(*beds));
	if (beds == NULL)
		return NULL;
	for (size_t b = 0; b < c->cfg->n_monitors; b++) {
		const struct core_bed *cb = &c->beds[b];
		if (!cb->inf.active)
			continue;
		struct vt_state_bed *sb = &beds[n++];
		snprintf(sb->bed, sizeof(sb->bed), "%s", cb->mon->bed);
		sb->inf = cb->inf; /* read only: its samples stay the core's */
		for (size_t i = 0; i < vt_alarms_active_count(c->alarms); i++) {
			const struct vt_alert *al = vt_alarms_active(c->alarms, i);
			if ((size_t)al->bed == b && al->acknowledged && sb->n_acked < VT_STATE_ACKED_MAX)
				snprintf(sb->acked[sb->n_acked++], sizeof(sb->acked[0]), "%s", al->rule);
		}
	}
	char *text = vt_state_encode(beds, n, t);
	free(beds);
	return text;
}

void
vt_core_state_written(struct vt_core *c, int64_t t)
{
	c->state_changed = false;
	c->state_written = t;
}

int
vt_core_restore(struct vt_core *c, const char *text, size_t len, int64_t t, int64_t *written,
                char *err, size_t errlen)
{
	struct vt_state_bed *beds;
	size_t n;
	if (vt_state_decode(text, len, &beds, &n, written, err, errlen) != 0)
		return -1;
	int restored = 0;
	for (size_t i = 0; i < n; i++) {
		int b = vt_config_bed_index(c->cfg, beds[i].bed);
		if (b < 0)
			continue; /* a bed no longer configured */
		struct core_bed *cb = &c->beds[b];
		vt_infusion_release(&cb->inf);
		cb->inf = beds[i].inf; /* its samples move with it */
		vt_infusion_init(&beds[i].inf);
		for (int p = 0; p < VT_PARAM_COUNT; p++)
			vt_alarms_set_baseline(c->alarms, b, p, cb->inf.baseline[p]);
		vt_alarms_set_phase(c->alarms, b, (int)cb->inf.phase, t, s_on_alert, c);
		for (size_t k = 0; k < beds[i].n_acked; k++)
			vt_alarms_restore_ack(c->alarms, b, beds[i].acked[k], t + VT_CORE_RESTORE_ACK_MS);
		cb->restored = *written;
		s_send_session(c, b, t, "restored", NULL);
		restored++;
	}
	vt_state_beds_free(&beds, n);
	c->state_written = t;
	return restored;
}
