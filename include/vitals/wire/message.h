/*
 * Message encoding (docs/protocol.md): every object vitalsd publishes, built with
 * jansson so that escaping and number formatting are never hand-rolled.
 * Pure: the caller supplies seq, time and instance; the result is a
 * malloc'd NUL-terminated string the caller frees.
 */
#ifndef VITALS_MESSAGE_H
#define VITALS_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/alarm/alarm.h"
#include "vitals/base/sample.h"
#include "vitals/drivers/line.h"

#define VT_SCHEMA_VERSION 1

/* What every message starts with. */
struct vt_msg_header {
	const char *topic;    /* embedded as "topic" when non-NULL (replay output) */
	uint64_t seq;         /* gapless across all topics, from 1 */
	int64_t time_ms;      /* the event's time */
	const char *instance; /* this daemon run */
};

/* A bed's latest values. */
struct vt_msg_vitals {
	const char *bed;
	vt_param_mask known;   /* parameters to list (null where not valid) */
	vt_param_mask valid;
	const double *value;   /* VT_PARAM_COUNT entries */
	uint32_t flags;
	vt_param_mask spot;    /* valid values that are spot measurements (NIBP) */
	int64_t measured[VT_PARAM_COUNT]; /* for those: when they were measured */
};

struct vt_msg_status {
	const char *bed;
	const char *state;     /* vt_port_state_name() */
	const char *port;
	const char *protocol;
	const char *detail;    /* why, or NULL */
	const struct vt_line_stats *line; /* NULL: the port has delivered no byte yet */
};

char *vt_msg_alert(const struct vt_msg_header *h, const struct vt_alert_event *ev);
char *vt_msg_vitals(const struct vt_msg_header *h, const struct vt_msg_vitals *v);
char *vt_msg_status(const struct vt_msg_header *h, const struct vt_msg_status *s);
struct vt_infusion;
/* A session.BED message; `event` is "phase", "update" or "back-to-baseline". */
char *vt_msg_session(const struct vt_msg_header *h, const char *bed, const char *event,
                     const struct vt_infusion *inf, const char *by);
/* The "session" object alone (for snapshots); a jansson json_t* as void*. */
void *vt_msg_session_object(const char *bed, const struct vt_infusion *inf, int64_t t);
/* The "line" object of a status message alone (for snapshots). */
void *vt_msg_line_object(const struct vt_line_stats *l);
/* The "values" object of a vitals message alone (for snapshots). */
void *vt_msg_values_object(const struct vt_msg_vitals *v);
/* The "measured" and "age_s" objects (spot values' times, their ages at t). */
void *vt_msg_measured_object(const struct vt_msg_vitals *v);
void *vt_msg_age_object(const struct vt_msg_vitals *v, int64_t t);

char *vt_msg_heartbeat(const struct vt_msg_header *h, size_t active_alarms, int64_t interval_ms);

/* Topic names: "alert.BED" etc. into buf; returns buf. */
char *vt_msg_topic(char *buf, size_t len, const char *type, const char *bed);

#endif
