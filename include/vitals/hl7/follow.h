/*
 * What the HL7 bridge knows of the daemons it follows, and what it must
 * therefore tell the interface engine. It is fed the daemon's published
 * messages and snapshot replies (docs/protocol.md) and the time, and it
 * says which ORU^R01 and ORU^R40 to send; it is pure (no I/O, no clock),
 * so that every rule below is tested without a socket:
 *
 *  - each alarm event the engine must hear of becomes one R40: raised
 *    (start), escalated, deescalated, acknowledged and silenced (update:
 *    the inactivation state), cleared (end); `updated` does not (the
 *    value follows in the observations), see docs/integration.md;
 *  - a bed's latest values become an R01 every interval, aligned on the
 *    clock (every minute on the minute), while they are current;
 *  - the alarms reported and not yet ended are kept (vt_follow_alarms and
 *    vt_follow_restore carry them across restarts of the bridge); a
 *    snapshot is compared with them, so that an alarm already reported is
 *    never reported again, one that changed while the bridge was not
 *    listening gets the report that brings the engine up to date, and one
 *    that ended unheard gets its end;
 *  - the messages of several daemons (behind vitals-hub) are followed as
 *    one stream per `instance`; a gap in a stream's seq, or a new
 *    instance, asks for a snapshot, and messages are kept meanwhile;
 *  - a daemon that restarted (a new instance for its beds) forgot its
 *    alarms: each one reported under the old instance gets its end, and
 *    what the new instance has active is reported as new.
 */
#ifndef VITALS_HL7_FOLLOW_H
#define VITALS_HL7_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/hl7/pcd.h"

/* Alarms kept (reported, not yet ended); one more is reported but not kept, and counted. */
#define VT_FOLLOW_MAX_ALARMS 1024
/* Beds followed; the messages of one more bed are ignored, and counted. */
#define VT_FOLLOW_MAX_BEDS 256
/* Daemons followed at once (a hub's). */
#define VT_FOLLOW_MAX_STREAMS 32
/* Messages kept while a snapshot is awaited; beyond, they are dropped and another is asked for. */
#define VT_FOLLOW_BUFFER_MAX 10000
/* A snapshot is asked for at most this often (after a failure, or after another one). */
#define VT_FOLLOW_RETRY_MS 2000
/* A bed's values are reported only if a vitals message came within this long (they come every second). */
#define VT_FOLLOW_FRESH_MS 5000

/* A message the engine must get. */
struct vt_follow_out {
	const char *bed;
	bool alarm;                       /* an R40 (else an R01) */
	const struct vt_pcd_obs *obs;     /* R01: the bed's values */
	const struct vt_pcd_alarm *event; /* R40: the event */
	/*
	 * R40: the alarm as it stands after this event, as one line of JSON,
	 * for vt_follow_replay (the bridge writes it beside the message, so
	 * that a crash between the queue and its state loses nothing).
	 */
	const char *record;
};

/* Takes each message to send, in order. */
typedef void (*vt_follow_emit_fn)(void *ctx, const struct vt_follow_out *out);

/* What crossed a bound or was not understood, counted since the start. */
struct vt_follow_counts {
	uint64_t unreadable;    /* published messages that are not JSON with seq and instance */
	uint64_t gaps;          /* seq gaps and new instances (each asked for a snapshot) */
	uint64_t snapshots;     /* snapshots applied */
	uint64_t restart_ends;  /* alarms ended because their daemon restarted */
	uint64_t alarms_full;   /* alarms reported but not kept (VT_FOLLOW_MAX_ALARMS) */
	uint64_t beds_full;     /* messages of beds beyond VT_FOLLOW_MAX_BEDS */
	uint64_t buffer_full;   /* times the buffer overflowed while awaiting a snapshot */
};

struct vt_follow;

/* Every bed reports every `interval_ms` (0: no R01 at all) unless told otherwise. */
struct vt_follow *vt_follow_new(int64_t interval_ms, vt_follow_emit_fn emit, void *ctx);
void vt_follow_free(struct vt_follow **f);

/* Bed `bed` reports every `interval_ms` (0: never). -1 if the bed table is full. */
int vt_follow_bed_interval(struct vt_follow *f, const char *bed, int64_t interval_ms);

/*
 * A published message (its JSON body) received at `now` (ms: the
 * bridge's clock, wall time that never jumps). 1: applied; 0: kept for
 * after the snapshot, or an old duplicate; -1: unreadable.
 */
int vt_follow_message(struct vt_follow *f, const char *body, size_t len, int64_t now);

/* Whether to ask for a snapshot now; then call vt_follow_snapshot_sent. */
bool vt_follow_wants_snapshot(const struct vt_follow *f, int64_t now);
void vt_follow_snapshot_sent(struct vt_follow *f, int64_t now);
/*
 * The snapshot reply: compared with the alarms reported, then the kept
 * messages applied. 0, or -1 with a reason in err (asked again after
 * VT_FOLLOW_RETRY_MS).
 */
int vt_follow_snapshot(struct vt_follow *f, const char *reply, size_t len, int64_t now, char *err,
                       size_t errlen);
/* The request got no reply: ask again after VT_FOLLOW_RETRY_MS. */
void vt_follow_snapshot_failed(struct vt_follow *f, int64_t now);

/* Emit the R01s due at `now`. */
void vt_follow_tick(struct vt_follow *f, int64_t now);
/* When vt_follow_tick or a snapshot retry next has something to do; INT64_MAX if never. */
int64_t vt_follow_next(const struct vt_follow *f);

/* Whether every followed stream is up to date (a snapshot applied, no gap since). */
bool vt_follow_synced(const struct vt_follow *f);
/* Alarms reported and not ended. */
size_t vt_follow_active(const struct vt_follow *f);
const struct vt_follow_counts *vt_follow_counts(const struct vt_follow *f);

/* The alarms reported and not ended, as JSON text (malloc'd), for vt_follow_restore. */
char *vt_follow_alarms(const struct vt_follow *f);
/* Take back what vt_follow_alarms wrote, replacing the alarms kept. 0, or -1 with err (none kept). */
int vt_follow_restore(struct vt_follow *f, const char *json, char *err, size_t errlen);
/* Apply one `record` of a vt_follow_out again (its message is queued). 0, or -1 with err. */
int vt_follow_replay(struct vt_follow *f, const char *record, char *err, size_t errlen);

#endif
