/*
 * Grading alarms against what happened to the patient (vitals-evaluate).
 * A sustained event is a parameter beyond a limit for long enough that a
 * nurse should have been told; an alarm is what the daemon raised. This
 * module is told both (the readings the engine judged, the alert events it
 * published) one recording at a time, pairs them up and counts: events
 * alarmed and missed, delay from onset, alarms without an event (false),
 * second alarms for one episode (duplicate), and what a bare threshold
 * would have raised. It is pure: no I/O, no clock; docs/alarms.md
 * ("Measuring alarms") defines every figure.
 */
#ifndef VITALS_TOOLS_EVALUATE_H
#define VITALS_TOOLS_EVALUATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/alarm/alarm.h"
#include "vitals/base/sample.h"
#include "vitals/config/config.h"

/* Event definitions one evaluation takes at most. */
#define VT_EVAL_MAX_DEFS 16

/* A sustained event: `param` beyond `limit` (strictly) for at least `min_ms`. */
struct vt_eval_def {
	enum vt_param param;
	int direction;  /* -1 below, +1 above */
	double limit;
	int64_t min_ms;
};

/* The defaults: SpO2 below 90 %, pulse rate above 120 or below 50, each for 30 s. */
extern const struct vt_eval_def vt_eval_default_defs[3];

/* Parse "spo2<90/30s" into d. 0, or -1 with what was expected in err. */
int vt_eval_def_parse(const char *s, struct vt_eval_def *d, char *err, size_t errlen);
/* "spo2<90/30s": the same text the parser reads. */
char *vt_eval_def_format(const struct vt_eval_def *d, char *buf, size_t len);

/* One sustained event found in a recording, and the alarm that covered it. */
struct vt_eval_event {
	size_t recording;         /* index of its recording, in vt_eval_begin order */
	size_t def;               /* which definition */
	int64_t onset_ms;         /* first sample beyond the limit */
	int64_t end_ms;           /* last sample beyond the limit */
	double worst;             /* the deepest value */
	bool alarmed;             /* some graded alarm was active during it */
	int64_t delay_ms;         /* from onset to that alarm's raise (0 if it was already on) */
	char alarm_id[VT_ALERT_ID_MAX]; /* the earliest alarm raised that covered it */
};

/* One physiological alarm instance the daemon raised. */
struct vt_eval_alarm {
	size_t recording;
	char id[VT_ALERT_ID_MAX];
	size_t rule;              /* index in the configuration */
	int64_t raised_ms;
	int64_t cleared_ms;       /* INT64_MAX: still active when the recording ended */
	bool graded;              /* some definition watches its parameter and direction */
	bool false_alarm;         /* graded, and no event of its kind during it */
	bool duplicate;           /* raised while another alarm of its kind was active */
};

/* Figures over one definition (or all of them). Delays are -1 when nothing was alarmed. */
struct vt_eval_summary {
	size_t events, alarmed;
	int64_t median_ms, p90_ms, max_ms;
	size_t alarms, false_alarms, duplicates;
	size_t bare;              /* alarms a bare threshold (no delay, no hysteresis) would raise */
	double hours;             /* monitored time of every recording */
};

/* Figures of one rule. */
struct vt_eval_rule_summary {
	bool graded;              /* some definition watches its parameter and direction */
	size_t alarms, false_alarms, duplicates;
	size_t first;             /* events whose covering alarm was one of this rule's */
};

struct vt_eval;

/* An evaluation of the rules of `cfg` (which must outlive it) against `defs`. */
struct vt_eval *vt_eval_new(const struct vt_config *cfg, const struct vt_eval_def *defs,
                            size_t n_defs);
void vt_eval_free(struct vt_eval **e);

/* A recording begins; its readings and alert events follow in time order. */
void vt_eval_begin(struct vt_eval *e);
void vt_eval_reading(struct vt_eval *e, int64_t t, const struct vt_reading *r);
/* An alert event: `event` as on the wire ("raised", "cleared", ...), `rule` its rule. */
void vt_eval_alert(struct vt_eval *e, const char *id, const char *rule, const char *event,
                   int64_t t);
/* The recording ended: its events and alarms are paired up. */
void vt_eval_end(struct vt_eval *e);

/* def: an index, or -1 for every definition together. */
void vt_eval_summarise(const struct vt_eval *e, long def, struct vt_eval_summary *out);
void vt_eval_rule(const struct vt_eval *e, size_t rule, struct vt_eval_rule_summary *out);

/* Whether memory ran out at some point, leaving the figures incomplete. */
bool vt_eval_failed(const struct vt_eval *e);

/* Every event and every alarm so far, in recording and time order. */
size_t vt_eval_event_count(const struct vt_eval *e);
const struct vt_eval_event *vt_eval_event_at(const struct vt_eval *e, size_t i);
size_t vt_eval_alarm_count(const struct vt_eval *e);
const struct vt_eval_alarm *vt_eval_alarm_at(const struct vt_eval *e, size_t i);

#endif
