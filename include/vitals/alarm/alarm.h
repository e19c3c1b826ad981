/*
 * The alarm engine: docs/alarms.md made executable. It is pure (no I/O, no clock,
 * no logging): every entry point takes the current time as an argument and
 * reports what happened through a callback. Live mode and replay run exactly
 * the same code, so a recorded session reproduces the live alert stream.
 *
 * Physiological alarms come from the configured rules; technical alarms
 * (comm-lost, sensor-off, no-data, signal-quality, recording-failed,
 * undecodable-data) are built in.
 */
#ifndef VITALS_ALARM_H
#define VITALS_ALARM_H

#include <stdbool.h>
#include <stdint.h>

#include "vitals/base/device_alarm.h"
#include "vitals/base/sample.h"
#include "vitals/config/config.h"

enum vt_alert_event_type {
	VT_EV_RAISED,
	VT_EV_CLEARED,
	VT_EV_ACKNOWLEDGED,
	VT_EV_SILENCED,
	VT_EV_ESCALATED,
	VT_EV_UPDATED,  /* an active alarm's value moved with a new sample */
	VT_EV_DEESCALATED /* a tiered alarm's value left a tier: its priority fell */
};
const char *vt_alert_event_name(enum vt_alert_event_type t);

#define VT_ALERT_ID_MAX 160

/* One alarm instance while it is active. */
struct vt_alert {
	char id[VT_ALERT_ID_MAX]; /* "BED/RULE/N", stable for every event */
	int bed;                  /* index of the bed's monitor in the config */
	const char *bed_name;
	const char *rule;         /* rule name, or the technical alarm's name */
	enum vt_alert_kind kind;
	enum vt_priority priority; /* current priority (escalation raises it) */
	int param;                /* enum vt_param, or -1 */
	bool has_limit;
	double limit;             /* the threshold that was crossed */
	int64_t onset_ms;         /* first sample of the run (technical: when it began) */
	int64_t raised_ms;        /* when it was raised */
	bool has_value;
	double value;             /* the latest valued sample while active (then the clearing one) */
	double worst;             /* physiological: the most extreme value since onset; else NAN */
	double onset_value;       /* physiological: the value at onset; else NAN */
	bool acknowledged;        /* a nurse has acknowledged it */
	enum vt_priority acked_at; /* its priority then: a tier rising above it sounds again */
	int64_t silenced_until;   /* audio paused until then; 0 when not paused */
	int64_t escalate_at;      /* next escalation (engine bookkeeping); INT64_MAX: none */
	bool clear_met;           /* latching: the clear condition has been met */
	char text[160];           /* for humans: "SpO2 86 % below 90 % for 15 s" */
	bool monitor;             /* raised by the monitor itself (vt_alarms_device) */
	char rule_buf[64];        /* a monitor's alarm: its rule name, "monitor:CODE" */
};

struct vt_alert_event {
	enum vt_alert_event_type type;
	const struct vt_alert *alert; /* state after the event */
	int64_t time_ms;              /* when (the causing sample's time, or the deadline) */
	const char *by;               /* who acknowledged/silenced, or NULL */
};

typedef void (*vt_alert_fn)(void *ctx, const struct vt_alert_event *ev);

struct vt_alarms;

/* An engine for `cfg` (which must outlive it). */
struct vt_alarms *vt_alarms_new(const struct vt_config *cfg);
void vt_alarms_free(struct vt_alarms **a);

/*
 * What the monitor of `bed` measures (docs/alarms.md, "What a bed
 * measures"): `measures` from the moment its port connects, `may_measure`
 * once each has shown a value since then (a module, an option). Rules on
 * any other parameter are inactive for the bed, and only these can raise
 * no-data. vt_alarms_new() takes them from the bed's driver; a source that
 * bypasses the driver (a numerics CSV in replay) says its own, before the
 * bed's first reading.
 */
void vt_alarms_bed_measures(struct vt_alarms *a, int bed, vt_param_mask measures,
                            vt_param_mask may_measure);

/* Monitoring of `bed` begins at t: the comm-lost clock starts. */
void vt_alarms_monitor_start(struct vt_alarms *a, int bed, int64_t t);
/* Monitoring of `bed` ends (end of a recording): its clocks stop, silently. */
void vt_alarms_monitor_stop(struct vt_alarms *a, int bed);
/* The bed's port connected at t: no-data clocks start. */
void vt_alarms_port_connected(struct vt_alarms *a, int bed, int64_t t);
/* The bed's port was lost at t: no-data clocks stop (comm-lost covers it). */
void vt_alarms_port_disconnected(struct vt_alarms *a, int bed, int64_t t);

/*
 * The bed's recorder worked (`ok`) or failed at t: recording-failed is
 * raised at the first failure (`why`, may be NULL, goes into its text) and
 * cleared when recording works again. Monitoring is not affected.
 */
void vt_alarms_recording(struct vt_alarms *a, int bed, bool ok, int64_t t, const char *why,
                         vt_alert_fn fn, void *ctx);

/*
 * The bed's driver rejected bytes at t (discarded while hunting, or a
 * dropped frame) and decoded nothing from them; `bytes` were received
 * since its last reading; `looks_like` (static, may be NULL) names the
 * protocol they resemble. When no reading comes for stale_after and bytes
 * were rejected meanwhile, undecodable-data is raised instead of
 * comm-lost; a comm-lost line that receives such bytes for stale_after
 * turns into undecodable-data, and one whose bytes stop for stale_after
 * back into comm-lost.
 */
void vt_alarms_undecoded(struct vt_alarms *a, int bed, int64_t t, uint64_t bytes,
                         const char *looks_like, vt_alert_fn fn, void *ctx);

/* A reading for `bed` at time t. Evaluates every rule of the bed. */
void vt_alarms_reading(struct vt_alarms *a, int bed, int64_t t, const struct vt_reading *r,
                       vt_alert_fn fn, void *ctx);

/*
 * An alarm the bed's monitor raised, updated or ended itself at t
 * (docs/alarms.md, the monitor's own alarms), known by its code and source.
 * A new active one is raised with rule "monitor:CODE", the monitor's kind
 * and priority, and `monitor` set; a new priority on an update is an
 * `escalated` or `deescalated` event; an end clears it. The monitor's alarms of a bed are
 * cleared when comm-lost is raised (their state is no longer known). At
 * most VT_MONITOR_ALARMS_MAX are active per bed; more are not raised.
 */
#define VT_MONITOR_ALARMS_MAX 16
void vt_alarms_device(struct vt_alarms *a, int bed, int64_t t, const struct vt_device_alarm *da,
                      vt_alert_fn fn, void *ctx);

/* Fire every deadline at or before t (comm-lost, no-data, escalation, ...). */
void vt_alarms_advance(struct vt_alarms *a, int64_t t, vt_alert_fn fn, void *ctx);

/* The earliest pending deadline, or INT64_MAX. */
int64_t vt_alarms_next_deadline(const struct vt_alarms *a);

/* Acknowledge alert `id`. 0, or -1 if no active alert has that id. */
int vt_alarms_ack(struct vt_alarms *a, const char *id, const char *by, int64_t t,
                  vt_alert_fn fn, void *ctx);

/*
 * Pause the audio of `bed` for `duration_ms` from t (docs/alarms.md, silence).
 * Every active alert of the bed gets a `silenced` event. Alerts raised
 * later at the same or a lower priority than the highest active one stay
 * quiet; a higher-priority alert (or an escalation above that level) breaks
 * through and ends the pause. Expiry is a `silenced` event whose
 * silenced_until is 0. Returns the end of the pause.
 */
int64_t vt_alarms_silence(struct vt_alarms *a, int bed, int64_t duration_ms, const char *by,
                          int64_t t, vt_alert_fn fn, void *ctx);
/*
 * The infusion phase of `bed` changed (-1: no session). Rules with
 * `phases` apply only in those phases; an active alarm of a rule that
 * stops applying is cleared at t.
 */
void vt_alarms_set_phase(struct vt_alarms *a, int bed, int phase, int64_t t, vt_alert_fn fn,
                         void *ctx);
/* The baseline of `param` on `bed` (NAN: none), for baseline-relative rules. */
void vt_alarms_set_baseline(struct vt_alarms *a, int bed, int param, double value);

/* When the audio pause of `bed` ends, or 0 if none. */
int64_t vt_alarms_silenced_until(const struct vt_alarms *a, int bed);

/*
 * After a configuration reload: carry the state of `old` into `a`, which
 * was built for the new configuration. bed_map[b] is the index in the old
 * configuration of new bed b (matched by name), or -1 for a new bed. Active
 * alarms of beds that stay and rules that did not change survive with their
 * ids; every other active alarm gets a `cleared` event at t. Instance
 * counters continue by rule name, so ids stay unique. `old` is left empty.
 */
void vt_alarms_adopt(struct vt_alarms *a, struct vt_alarms *old, const int *bed_map, int64_t t,
                     vt_alert_fn fn, void *ctx);

/* Alarms acknowledged before a restart that a bed may carry over. */
#define VT_ALARMS_RESTORED_MAX 32
/*
 * After a restart: the alarm of `rule` (a rule's name, or a technical
 * alarm's) on `bed` was active and acknowledged when the daemon stopped.
 * Its next raise, if it comes before `until` (its condition has held
 * since), starts acknowledged, so that nobody is alerted again for what a
 * nurse has already seen; a raise after `until` is a new episode.
 */
void vt_alarms_restore_ack(struct vt_alarms *a, int bed, const char *rule, int64_t until);

/* Number of active alerts, and the i-th of them (in raising order). */
size_t vt_alarms_active_count(const struct vt_alarms *a);
const struct vt_alert *vt_alarms_active(const struct vt_alarms *a, size_t i);

#endif
