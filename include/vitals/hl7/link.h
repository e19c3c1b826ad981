/*
 * The bridge's connection to the interface engine: MLLP over TCP, one
 * message at a time, each waited for until its acknowledgement comes
 * (vitals/hl7/ack.h) or `ack_timeout` passes. A refusal (AE, AR, CE, CR),
 * no answer or a lost connection make the next attempt wait: `retry_first`,
 * doubled after each failure up to `retry_max`, back to `retry_first` after
 * a success. Nothing here blocks but the name lookup of the engine's host
 * (give an address to avoid even that): the caller polls vt_link_fd for
 * vt_link_events and calls vt_link_run, with a monotonic clock in ms.
 */
#ifndef VITALS_HL7_LINK_H
#define VITALS_HL7_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/hl7/ack.h"

/* What became of the message in flight. */
enum vt_link_result {
	VT_LINK_BUSY,     /* nothing new: still sending or waiting, or idle */
	VT_LINK_ACCEPTED, /* acknowledged (AA, CA): the engine has it */
	VT_LINK_REFUSED,  /* answered AE, AR, CE or CR (in *ack): try again after the backoff */
	VT_LINK_FAILED    /* no connection, no answer in time, or the connection lost: likewise */
};

struct vt_link_counts {
	uint64_t connects;   /* connections made */
	uint64_t sent;       /* messages written (resends included) */
	uint64_t accepted;
	uint64_t refused;
	uint64_t timeouts;   /* no acknowledgement within ack_timeout */
	uint64_t failures;   /* connections refused or lost */
	uint64_t stray;      /* acknowledgements of another message, or unreadable ones */
};

struct vt_link;

/*
 * A link to `host`:`port`; it connects when it first has something to
 * send. NULL when out of memory.
 */
struct vt_link *vt_link_new(const char *host, const char *port, int64_t ack_timeout_ms,
                            int64_t retry_first_ms, int64_t retry_max_ms);
void vt_link_free(struct vt_link **l);

/* Whether a message may be handed over at `now`: none in flight, and no backoff running. */
bool vt_link_ready(const struct vt_link *l, int64_t now);

/*
 * Send `msg` (no framing) whose MSH-10 is `control_id`. The link copies
 * both. -1 if not ready or the message is too large.
 */
int vt_link_send(struct vt_link *l, const char *msg, size_t len, const char *control_id,
                 int64_t now);

/* The descriptor to poll (-1: none) and the events to poll it for. */
int vt_link_fd(const struct vt_link *l);
short vt_link_events(const struct vt_link *l);
/*
 * When vt_link_run must be called at the latest (a timeout; the end of a
 * backoff, if a message is `queued` for it); INT64_MAX if never.
 */
int64_t vt_link_deadline(const struct vt_link *l, bool queued);

/*
 * Move on at `now` (after poll said the descriptor is ready, or a deadline
 * passed). The acknowledgement of an ACCEPTED or REFUSED message goes to
 * *ack; `why` says what failed on FAILED.
 */
enum vt_link_result vt_link_run(struct vt_link *l, int64_t now, struct vt_ack *ack, char *why,
                                size_t whylen);

/* Whether a connection is up. */
bool vt_link_connected(const struct vt_link *l);
/* The delay the next failure will impose. */
int64_t vt_link_backoff(const struct vt_link *l);
const struct vt_link_counts *vt_link_counts(const struct vt_link *l);

#endif
