/*
 * Slowing down password guessing: a token bucket per key (the client's
 * address, and the user name tried, so that guesses spread over many
 * addresses still meet the user's bucket). Each failed login takes a
 * token; a bucket refills one token per `refill_ms` up to `burst`; with no
 * token left the login is refused at once (429) without looking at the
 * password. A success forgets the key. The table is bounded: when it is
 * full, a key whose bucket has refilled goes first, otherwise the one
 * unused longest. Pure: times are arguments.
 */
#ifndef VITALS_WEB_RATELIMIT_H
#define VITALS_WEB_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults: 5 tries at once, then one every 30 s, for each of 4,096 keys. */
#define VT_RATELIMIT_BURST 5
#define VT_RATELIMIT_REFILL_MS 30000
#define VT_RATELIMIT_KEYS 4096

struct vt_ratelimit;

struct vt_ratelimit *vt_ratelimit_new(size_t keys, int burst, int64_t refill_ms);
void vt_ratelimit_free(struct vt_ratelimit **r);

/* May `key` try now? If not, *retry_ms (may be NULL) says how long until it may. */
bool vt_ratelimit_allow(struct vt_ratelimit *r, const char *key, int64_t now, int64_t *retry_ms);
/* `key` failed at `now`; true if that emptied its bucket (worth one log line). */
bool vt_ratelimit_fail(struct vt_ratelimit *r, const char *key, int64_t now);
/* `key` succeeded: forget it. */
void vt_ratelimit_forget(struct vt_ratelimit *r, const char *key);

/* Attempts refused so far, and keys pushed out of a full table. */
uint64_t vt_ratelimit_refused(const struct vt_ratelimit *r);
uint64_t vt_ratelimit_evicted(const struct vt_ratelimit *r);

#endif
