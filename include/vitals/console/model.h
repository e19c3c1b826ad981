/*
 * What a console knows about the daemon: beds, active alerts, infusion
 * sessions, and whether that knowledge can be trusted. It is pure (no I/O,
 * no clock: times are arguments) so that the rules a nurse relies on can be
 * tested without a terminal:
 *
 *  - joining late (the Clone pattern): messages that arrive before the
 *    snapshot reply are kept; the snapshot replaces the view, then the
 *    kept messages newer than the snapshot's seq are applied on top;
 *  - a gap in seq, or a new daemon instance, means the view may be wrong:
 *    a new snapshot is asked for;
 *  - no message for three heartbeat intervals means contact is lost, and
 *    the view must say so until messages come again (then resync);
 *  - through vitals-hub the messages of several daemons arrive, each with
 *    its own seq, instance and heartbeat: each is followed as its own
 *    stream (the hub's snapshot lists them as `sources`), and a daemon that
 *    falls silent for three of its heartbeats makes its own beds lost.
 *
 * Live messages are shown even before a snapshot arrives (a console whose
 * control socket is unreachable still shows what it hears), with the sync
 * state telling the screen to say the picture may be incomplete.
 */
#ifndef VITALS_CONSOLE_MODEL_H
#define VITALS_CONSOLE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/sample.h"

/* Contact is lost after this many heartbeat intervals without a message. */
#define VT_CONSOLE_LOST_INTERVALS 3
/* Heartbeat interval assumed until a heartbeat says otherwise. */
#define VT_CONSOLE_DEFAULT_INTERVAL_MS 1000
/* A failed snapshot request is tried again after this long. */
#define VT_CONSOLE_RETRY_MS 2000
/* Daemons' streams followed at once (a hub's daemons; more are not followed). */
#define VT_CONSOLE_MAX_SOURCES 32
/* Messages kept while waiting for a snapshot; older ones are dropped. */
#define VT_CONSOLE_BUFFER_MAX 10000

/* One vital sign of a bed, in the order the daemon lists them. */
struct vt_console_value {
	char name[16];   /* "spo2", as in messages */
	bool valid;      /* false: the device has no value now (shown as ---) */
	double value;
	int64_t measured; /* a spot measurement (blood pressure): when it was taken; 0 otherwise */
	/* The latest spot measurement of this parameter heard since the bed was
	 * last (re)synchronised, kept after the daemon stops giving it (it grew
	 * older than the monitor's nibp_stale_after, or the port was lost), so
	 * that a station can show it as no longer current, with its age. While
	 * the value is valid and measured, the same as value and measured.
	 * last_measured 0: none. */
	double last;
	int64_t last_measured;
};

struct vt_console_bed {
	char name[128];
	char port[16];                                 /* "connected", "lost"...; "" unknown */
	struct vt_console_value values[VT_PARAM_COUNT];
	size_t n_values;
	char flags[256];                               /* device flags, space-separated */
	int64_t vitals_time;                           /* daemon time of its latest values; 0 unknown */
	int64_t restored;                              /* the session was carried over a daemon
	                                                  restart then (daemon time); 0: no */
	char phase[16];                                /* "" without a session */
	int64_t phase_since;                           /* daemon time (ms); 0 unknown */
	double weight_kg;                              /* NAN unknown */
	double rate_mg_per_kg_h;                       /* NAN unknown */
	double dose_mg;                                /* at dose_time; NAN unknown */
	int64_t dose_time;                             /* daemon time dose_mg was true at */
	int64_t silenced_until;                        /* daemon time; 0 none */
	int64_t back_at_baseline;                      /* when recovery got back to baseline; 0 not */
	vt_param_mask baseline;                        /* parameters with a baseline value */
	double baseline_value[VT_PARAM_COUNT];         /* that value, for each one in baseline */
	bool lost;                                     /* contact lost with the daemon serving it */
	int source;                                    /* its stream (model's own); -1 unknown */
};

enum vt_console_priority { VT_CONSOLE_LOW, VT_CONSOLE_MEDIUM, VT_CONSOLE_HIGH };

struct vt_console_alert {
	char id[160];                     /* BED/RULE/N */
	char bed[128];
	char rule[64];
	char parameter[16];               /* "" for technical alerts without one */
	bool technical;
	enum vt_console_priority priority;
	bool has_value, has_limit, has_worst;
	double value, limit;
	double worst;                     /* physiological: the furthest beyond the limit so far */
	int64_t onset;                    /* daemon time */
	bool acknowledged;
	char by[64];                      /* who acknowledged, when the event said */
	int64_t silenced_until;           /* daemon time; 0 none */
	char text[256];
	uint64_t seq;                     /* seq of its latest object */
};

enum vt_console_sync {
	VT_CONSOLE_UNSYNCED, /* a snapshot is needed */
	VT_CONSOLE_SYNCING,  /* one was asked for; messages are kept meanwhile */
	VT_CONSOLE_SYNCED    /* the view is the daemon's state */
};

struct vt_console;

/* An empty model; contact is counted from `now` (monotonic ms). */
struct vt_console *vt_console_new(int64_t now);
void vt_console_free(struct vt_console **m);

/*
 * A message from the publish socket (its JSON body) received at `now`.
 * 1: applied; 0: ignored (an old duplicate); -1: unreadable (ignored, but
 * it still proves the daemon is there).
 */
int vt_console_message(struct vt_console *m, const char *body, size_t len, int64_t now);

/* Whether to send a snapshot request now; then call vt_console_snapshot_sent. */
bool vt_console_wants_snapshot(const struct vt_console *m, int64_t now);
void vt_console_snapshot_sent(struct vt_console *m, int64_t now);

/*
 * The reply to a snapshot request. 0: applied (the model may still ask
 * for another one if the kept messages do not follow on from it); -1 with
 * a reason in err: not usable, asked again after VT_CONSOLE_RETRY_MS.
 */
int vt_console_snapshot(struct vt_console *m, const char *reply, size_t len, int64_t now,
                        char *err, size_t errlen);
/* The snapshot request got no reply: ask again after VT_CONSOLE_RETRY_MS. */
void vt_console_snapshot_failed(struct vt_console *m, int64_t now);

/* Re-check the clocks at `now`; true if the lost state changed. */
bool vt_console_tick(struct vt_console *m, int64_t now);
/* Contact lost (as of the last tick or message). */
bool vt_console_lost(const struct vt_console *m);
/* Milliseconds since the last message at `now`. */
int64_t vt_console_silence_ms(const struct vt_console *m, int64_t now);
/* The next time the model's state may change by itself; INT64_MAX if none. */
int64_t vt_console_next_deadline(const struct vt_console *m);

enum vt_console_sync vt_console_sync_state(const struct vt_console *m);
/* Why the view is not synchronised ("starting", "missed 3 messages", ...). */
const char *vt_console_sync_reason(const struct vt_console *m);
/* seq of the last message applied (or of the snapshot). */
uint64_t vt_console_seq(const struct vt_console *m);
/* The daemon instance the view belongs to ("" before the first). */
const char *vt_console_instance(const struct vt_console *m);
/* Whether `instance` is one of the streams the view follows. */
bool vt_console_has_instance(const struct vt_console *m, const char *instance);
/* Beds whose daemon is out of contact (all of them when contact is lost). */
size_t vt_console_beds_lost(const struct vt_console *m);
/* Heartbeat interval in force (ms). */
int64_t vt_console_interval_ms(const struct vt_console *m);
/* Snapshots applied so far. */
unsigned vt_console_snapshots(const struct vt_console *m);

/*
 * The daemon's clock at local monotonic `now`, from the latest message
 * time (or, before any, the snapshot's sessions); 0 when unknown.
 */
int64_t vt_console_daemon_time(const struct vt_console *m, int64_t now);

size_t vt_console_bed_count(const struct vt_console *m);
const struct vt_console_bed *vt_console_bed_at(const struct vt_console *m, size_t i);
const struct vt_console_bed *vt_console_bed_named(const struct vt_console *m, const char *name);

/* Active alerts, most urgent first: priority, then unacknowledged, then onset. */
size_t vt_console_alert_count(const struct vt_console *m);
const struct vt_console_alert *vt_console_alert_at(const struct vt_console *m, size_t i);
const struct vt_console_alert *vt_console_alert_by_id(const struct vt_console *m, const char *id);

/* Every alarm heard of since the model was made (vitals/console/history.h). */
struct vt_history;
const struct vt_history *vt_console_history(const struct vt_console *m);

/* A bed's last half hour of values (vitals/console/trend.h); NULL for a bed never heard of. */
struct vt_trend;
const struct vt_trend *vt_console_trend(const struct vt_console *m, const char *bed);

/*
 * A bed's audio pause as the control reply to `silence` told it (a pause
 * of a bed without active alerts is published nowhere else).
 */
void vt_console_set_silenced(struct vt_console *m, const char *bed, int64_t until);

/*
 * What the station must sound at daemon time `now`: the highest priority
 * of the active alerts that are neither acknowledged nor under an audio
 * pause, or -1 when none is (acknowledged and paused alarms stay on the
 * screen but are quiet); how many such alerts there are goes to *count
 * (may be NULL), so that a new one can be sounded at once. Contact lost is
 * the console's own concern: the caller sounds that whatever this says,
 * since alarms may be missing.
 */
int vt_console_sounding(const struct vt_console *m, int64_t now, size_t *count);

/* A bed's dose (mg) at daemon time t, counting on at the current rate; NAN unknown. */
double vt_console_dose(const struct vt_console_bed *b, int64_t t);

/* "high", "medium", "low". */
const char *vt_console_priority_name(enum vt_console_priority p);
/* A value as a device shows it ("97", "3.6", "---" when not valid) into buf. */
const char *vt_console_format_value(const struct vt_console_value *v, char *buf, size_t len);
/* A duration as "m:ss" or "h:mm:ss" into buf ("--" if negative). */
const char *vt_console_format_elapsed(int64_t ms, char *buf, size_t len);

/* Whether the bed's session has a baseline (of any parameter). */
bool vt_console_has_baseline(const struct vt_console_bed *b);

/* The parameters any bed has, in the order of the parameter table; how many. */
size_t vt_console_param_columns(const struct vt_console *m, const char *names[VT_PARAM_COUNT]);

#endif
