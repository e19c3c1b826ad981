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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/core.h"
#include "vitals/message.h"

/* Vitals are re-sent at least this often while a bed is connected. */
#define VT_VITALS_REFRESH_MS 1000

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
};

struct vt_core {
	const struct vt_config *cfg;
	struct vt_core_options opt;
	struct vt_alarms *alarms;
	struct core_bed *beds;
	uint64_t seq;                 /* seq of the last message published */
	bool started;
	int64_t next_heartbeat;       /* when the next heartbeat is due */
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
	for (size_t b = 0; b < cfg->n_monitors; b++)
		c->beds[b].mon = &cfg->monitors[b];
	c->next_heartbeat = INT64_MAX;
	return c;
}

void
vt_core_free(struct vt_core **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	vt_alarms_free(&(*cp)->alarms);
	free((*cp)->beds);
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

static void
s_send_vitals(struct vt_core *c, int bed, int64_t t)
{
	struct core_bed *cb = &c->beds[bed];
	char topic[160];
	vt_msg_topic(topic, sizeof(topic), "vitals", cb->mon->bed);
	struct vt_msg_header h = s_header(c, topic, t);
	struct vt_msg_vitals v = {
	    .bed = cb->mon->bed,
	    .known = cb->known,
	    .valid = cb->valid,
	    .value = cb->value,
	    .flags = cb->flags,
	};
	char *json = vt_msg_vitals(&h, &v);
	if (json == NULL) {
		c->seq--;
		return;
	}
	s_publish(c, topic, json);
	cb->last_vitals = t;
	cb->sent_vitals = true;
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
	s_publish(c, topic, json);

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
vt_core_stop_bed(struct vt_core *c, int bed)
{
	c->beds[bed].watched = false;
	c->beds[bed].connected = false;
	vt_alarms_monitor_stop(c->alarms, bed);
}

void
vt_core_reading(struct vt_core *c, int bed, int64_t t, const struct vt_reading *r)
{
	struct core_bed *cb = &c->beds[bed];
	bool changed = !cb->sent_vitals;
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		vt_param_mask bit = VT_PARAM_BIT(p);
		if (!(r->reported & bit))
			continue;
		if (!(cb->known & bit))
			changed = true;
		cb->known |= bit;
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
	vt_alarms_reading(c->alarms, bed, t, r, s_on_alert, c);
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
	};
	char *json = vt_msg_status(&h, &st);
	if (json == NULL) {
		c->seq--;
		return;
	}
	s_publish(c, topic, json);
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
		int64_t vitals;
		int bed = s_next_vitals(c, &vitals);
		int64_t next = engine;
		if (vitals < next)
			next = vitals;
		if (c->next_heartbeat < next)
			next = c->next_heartbeat;
		if (next > t)
			return;
		if (engine == next) {
			vt_alarms_advance(c->alarms, next, s_on_alert, c);
		} else if (vitals == next) {
			s_send_vitals(c, bed, next);
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
	int64_t next = vt_alarms_next_deadline(c->alarms), vitals;
	s_next_vitals(c, &vitals);
	if (vitals < next)
		next = vitals;
	if (c->next_heartbeat < next)
		next = c->next_heartbeat;
	return next;
}

int
vt_core_ack(struct vt_core *c, const char *id, const char *by, int64_t t)
{
	return vt_alarms_ack(c->alarms, id, by, t, s_on_alert, c);
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
