/*
 * The core: readings in, messages out. It owns the alarm engine, each bed's
 * latest values, the gapless `seq` counter and the message encoding, and it
 * decides when a vitals, status or heartbeat message is due. It does no I/O
 * and reads no clock: the shell (live event loop or offline replay) passes
 * the time and hands every encoded message to a publish callback.
 */
#ifndef VITALS_CORE_H
#define VITALS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/alarm/alarm.h"
#include "vitals/base/sample.h"
#include "vitals/config/config.h"
#include "vitals/drivers/driver.h"
#include "vitals/drivers/line.h"

/* Called for every message, in `seq` order. `json` is NUL-terminated. */
typedef void (*vt_publish_fn)(void *ctx, const char *topic, const char *json, size_t len);

struct vt_core_options {
	const char *instance; /* changes on every daemon start */
	bool embed_topic;     /* add a "topic" member (replay's JSON Lines) */
	vt_publish_fn publish;
	void *ctx;
};

enum vt_port_state {
	VT_PORT_CLOSED,       /* not open yet, or closed on purpose */
	VT_PORT_CONNECTING,   /* opening / TCP connect in progress */
	VT_PORT_CONNECTED,    /* open and readable */
	VT_PORT_LOST          /* was open, went away; reopening with backoff */
};
const char *vt_port_state_name(enum vt_port_state s);

struct vt_core;

struct vt_core *vt_core_new(const struct vt_config *cfg, const struct vt_core_options *opt);
void vt_core_free(struct vt_core **c);

/* Start at time t: heartbeats begin. */
void vt_core_start(struct vt_core *c, int64_t t);
/* Start watching `bed` at t: its comm-lost clock runs from now. */
void vt_core_watch_bed(struct vt_core *c, int bed, int64_t t);
/* What `bed`'s source measures, when it is not the bed's driver (replay of a
 * numerics CSV): vt_alarms_bed_measures. Before the bed's first reading. */
void vt_core_bed_measures(struct vt_core *c, int bed, vt_param_mask measures,
                          vt_param_mask may_measure);
/* Stop watching `bed` (its recording ended); nothing is published. */
void vt_core_stop_bed(struct vt_core *c, int bed);

/* A reading from `bed`'s device at time t. */
void vt_core_reading(struct vt_core *c, int bed, int64_t t, const struct vt_reading *r);
/*
 * The bed's line after bytes arrived at t: its counters (kept for status
 * messages and snapshots) and whether the driver rejected bytes and decoded
 * none (`undecoded`), which the alarm engine turns into undecodable-data.
 */
void vt_core_line(struct vt_core *c, int bed, int64_t t, const struct vt_line_stats *l,
                  bool undecoded);
/* The bed's line counters as last told. */
const struct vt_line_stats *vt_core_line_stats(const struct vt_core *c, int bed);

/* What the device told about itself. */
void vt_core_device_info(struct vt_core *c, int bed, int64_t t, const struct vt_device_info *info);
/* The bed's port changed state; `detail` (may be NULL) says why. */
void vt_core_port_state(struct vt_core *c, int bed, int64_t t, enum vt_port_state s,
                        const char *detail);

/*
 * The bed's recorder worked (`ok`) or failed (`why`) at t: the
 * recording-failed technical alarm follows (see vt_alarms_recording).
 */
void vt_core_recording(struct vt_core *c, int bed, int64_t t, bool ok, const char *why);

/* An alarm the bed's monitor raised, updated or ended itself (vt_alarms_device). */
void vt_core_device_alarm(struct vt_core *c, int bed, int64_t t, const struct vt_device_alarm *da);

/* Do everything due at or before t. */
void vt_core_advance(struct vt_core *c, int64_t t);
/* The next time something is due, or INT64_MAX. */
int64_t vt_core_next_deadline(const struct vt_core *c);

/* Acknowledge an alert. 0, or -1 if unknown. */
int vt_core_ack(struct vt_core *c, const char *id, const char *by, int64_t t);

/* Pause the audio of a bed; returns when the pause ends. */
int64_t vt_core_silence(struct vt_core *c, int bed, int64_t duration_ms, const char *by,
                        int64_t t);

/* Move a bed's infusion session to `phase` (weight/rate NAN: unchanged). */
void vt_core_phase(struct vt_core *c, int bed, enum vt_phase phase, double weight_kg,
                   double rate_mg_per_kg_h, const char *by, int64_t t);

/*
 * The control reply to `snapshot` (docs/protocol.md), malloc'd: seq of the last
 * message published, every active alert as its latest object, each bed's
 * values, port state, session and audio pause.
 */
char *vt_core_snapshot(const struct vt_core *c, int64_t t);

/*
 * After a reload: continue from `old` (same instance, same seq counter):
 * bed state by bed_map (new bed index → old index or -1), infusion
 * sessions, and the alarms that survive (see vt_alarms_adopt). `old` is
 * left empty and is freed by the caller.
 */
void vt_core_adopt(struct vt_core *c, struct vt_core *old, const int *bed_map, int64_t t);

/* The infusion session of `bed` (its phase, baseline, dose; vitals/alarm/infusion.h). */
struct vt_infusion;
const struct vt_infusion *vt_core_infusion(const struct vt_core *c, int bed);

/*
 * The state kept across restarts (wire/state.h): each bed's infusion
 * session and its acknowledged alarms. It is due to be written when it
 * has changed (a phase, an acknowledgement, an acknowledged alarm ending,
 * back at baseline) and, while a baseline phase collects samples, every
 * VT_CORE_STATE_SAMPLES_MS.
 */
#define VT_CORE_STATE_SAMPLES_MS 60000
/* An alarm acknowledged before a restart starts acknowledged if raised this soon after it. */
#define VT_CORE_RESTORE_ACK_MS 120000
bool vt_core_state_due(const struct vt_core *c, int64_t t);
/* The state document at t (malloc'd; NULL: no memory); then, once it is on disk, _written. */
char *vt_core_state(struct vt_core *c, int64_t t);
void vt_core_state_written(struct vt_core *c, int64_t t);
/*
 * Take up a state document at t, before vt_core_start: the sessions of the
 * configured beds it names, their baselines and phases given to the
 * alarms, their acknowledged alarms carried over (vt_alarms_restore_ack);
 * a `session` message with event "restored" for each, and "restored" in
 * their snapshot session until the next phase change. *written: when the
 * document was written. The beds restored, or -1 with err (nothing taken).
 */
int vt_core_restore(struct vt_core *c, const char *text, size_t len, int64_t t, int64_t *written,
                    char *err, size_t errlen);

/* The engine, for snapshots. */
const struct vt_alarms *vt_core_alarms(const struct vt_core *c);
/* seq of the last message published (0 before the first). */
uint64_t vt_core_last_seq(const struct vt_core *c);

#endif
