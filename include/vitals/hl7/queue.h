/*
 * The HL7 bridge's outbox: every message for the engine is a file in one
 * directory until the engine acknowledges it, so that nothing is lost while
 * the engine is down, the bridge restarts or the machine loses power.
 *
 * A message's file (NNNN.hl7, its number zero-padded so that names sort in
 * order) is written beside, fsync'd, renamed and its directory fsync'd
 * before vt_queue_push returns. Its first line is the record of the alarm
 * state it carries (or "-"), the rest the message as it goes on the wire.
 * The message's number is its MSH-13, and its control id (MSH-10) is the
 * queue's own random id and the number: both fixed when the message is
 * made, so that every resend is the same message (docs/integration.md).
 *
 * state.json beside them holds the next number, the queue's id and the
 * alarms reported (vitals/hl7/follow.h), written whole and renamed into
 * place. A crash between a message and the state loses nothing: the
 * records of the messages numbered from the state's next number are
 * applied again at the start (vt_queue_pending).
 *
 * Bounded: at most `max` messages; past it observations (R01) are dropped
 * and alarm reports (R40) still queued, up to a tenth more. The crossing
 * is logged once (and again only after the queue has been under the bound)
 * and every dropped message is counted.
 */
#ifndef VITALS_HL7_QUEUE_H
#define VITALS_HL7_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a control id: 8 hex digits, '-', a number. */
#define VT_QUEUE_ID_MAX 32

struct vt_queue_counts {
	uint64_t queued;          /* messages written */
	uint64_t sent;            /* acknowledged and removed */
	uint64_t dropped_obs;     /* observations not queued: the queue was full */
	uint64_t dropped_alarms;  /* alarm reports not queued: full beyond the reserve */
	uint64_t rejected;        /* set aside after the engine refused them */
	uint64_t write_errors;    /* messages that could not be written (disk full, ...) */
};

struct vt_queue;

/*
 * The queue in `dir` (made if missing, mode 0750), holding at most `max`
 * messages. NULL with err when it cannot be used (not writable, a state
 * file that cannot be read).
 */
struct vt_queue *vt_queue_open(const char *dir, size_t max, char *err, size_t errlen);
void vt_queue_free(struct vt_queue **q);

/* The number and control id the next message gets. */
uint64_t vt_queue_next_number(const struct vt_queue *q);
void vt_queue_control_id(const struct vt_queue *q, uint64_t number, char *buf, size_t len);

/*
 * Queue message `msg` (its MSH-13 is vt_queue_next_number) with the alarm
 * `record` to replay (NULL: none). 0: on disk; 1: not queued, the queue is
 * full (counted); -1: could not be written (errno; counted).
 */
int vt_queue_push(struct vt_queue *q, const char *msg, size_t len, const char *record, bool alarm);

/* Messages waiting. */
size_t vt_queue_length(const struct vt_queue *q);

/*
 * The oldest message (read from disk once, then kept): its text, length,
 * number and control id (held by the queue until pop or reject). 0; 1 when
 * empty; -1 when its file cannot be read (it is set aside, as rejected).
 */
int vt_queue_head(struct vt_queue *q, const char **msg, size_t *len, uint64_t *number,
                  const char **control_id);
/* The engine has the oldest message: remove it. */
void vt_queue_pop(struct vt_queue *q);
/* The engine keeps refusing the oldest message: move it to DIR/rejected/. */
void vt_queue_reject(struct vt_queue *q);

/* Write state.json: the next number and `alarms` (JSON text). 0 or -1 (errno). */
int vt_queue_save(struct vt_queue *q, const char *alarms);
/* The alarms of state.json as read at open (JSON text), or NULL without a state file. */
const char *vt_queue_saved_alarms(const struct vt_queue *q);
/*
 * Call fn with the record of each queued message the state did not yet
 * account for, in order (at the start, after vt_follow_restore).
 */
void vt_queue_pending(const struct vt_queue *q, void (*fn)(void *ctx, const char *record), void *ctx);

const struct vt_queue_counts *vt_queue_counts(const struct vt_queue *q);
/* The directory, for messages. */
const char *vt_queue_dir(const struct vt_queue *q);

#endif
