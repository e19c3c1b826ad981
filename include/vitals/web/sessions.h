/*
 * Logged-in browsers. A session is a random 256-bit id (the cookie) with
 * its own random CSRF token (sent back in a header on every change), the
 * user and role, and two clocks: it ends after VT_SESSION_IDLE_MS without
 * a request, and VT_SESSION_MAX_MS after the login whatever happens (a
 * shift). A login always makes a new session, whatever cookie came with
 * it, so an id planted before the login is worth nothing. The table is
 * bounded: a login into a full table ends the session used longest ago.
 * Pure: the random bytes and the time are arguments.
 */
#ifndef VITALS_WEB_SESSIONS_H
#define VITALS_WEB_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/web/users.h"

/* Random bytes of an id and of a token; they travel as hex. */
#define VT_SESSION_TOKEN_BYTES 32
#define VT_SESSION_TOKEN_HEX (2 * VT_SESSION_TOKEN_BYTES + 1)
/* Default bounds (vitals-web options override them). */
#define VT_SESSION_IDLE_MS (12LL * 3600 * 1000)
#define VT_SESSION_MAX_MS (24LL * 3600 * 1000)
#define VT_SESSIONS_MAX 256

struct vt_web_session {
	char id[VT_SESSION_TOKEN_HEX];   /* the cookie's value */
	char csrf[VT_SESSION_TOKEN_HEX]; /* what X-CSRF-Token must say */
	char user[VT_USER_NAME_MAX + 1];
	enum vt_web_role role;
	int64_t created;                 /* monotonic ms */
	int64_t used;                    /* last request, monotonic ms */
};

struct vt_sessions;

struct vt_sessions *vt_sessions_new(size_t max, int64_t idle_ms, int64_t max_ms);
void vt_sessions_free(struct vt_sessions **s);

/*
 * A new session for `user` at `now`, from 2 * VT_SESSION_TOKEN_BYTES
 * random bytes (the id's, then the token's). NULL only when out of memory.
 * *evicted (may be NULL) tells whether another session had to end.
 */
const struct vt_web_session *vt_sessions_create(struct vt_sessions *s, const char *user,
                                                enum vt_web_role role,
                                                const uint8_t random[2 * VT_SESSION_TOKEN_BYTES],
                                                int64_t now, bool *evicted);

/*
 * The live session with this id at `now` (its clock is reset), or NULL.
 * Expired sessions found on the way are ended. Ids are compared in
 * constant time.
 */
const struct vt_web_session *vt_sessions_find(struct vt_sessions *s, const char *id, int64_t now);

/* Does `token` equal the session's CSRF token? (constant time) */
bool vt_sessions_csrf_ok(const struct vt_web_session *w, const char *token);

/* End the session with this id (logout); true if there was one. */
bool vt_sessions_end(struct vt_sessions *s, const char *id);

/*
 * The users file changed: end the sessions of users no longer in it and
 * give the others their role now. How many ended.
 */
size_t vt_sessions_revise(struct vt_sessions *s, const struct vt_web_users *users);

size_t vt_sessions_count(const struct vt_sessions *s);

#endif
