/*
 * The session table (see vitals/web/sessions.h): a small array searched
 * whole, comparing every id in constant time, so neither a match nor its
 * position shows in the timing.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vitals/web/sessions.h"

struct vt_sessions {
	struct vt_web_session *v;
	size_t n, max;
	int64_t idle_ms, max_ms;
};

struct vt_sessions *
vt_sessions_new(size_t max, int64_t idle_ms, int64_t max_ms)
{
	struct vt_sessions *s = calloc(1, sizeof(*s));
	if (s == NULL || max == 0 || (s->v = calloc(max, sizeof(*s->v))) == NULL) {
		free(s);
		return NULL;
	}
	s->max = max;
	s->idle_ms = idle_ms;
	s->max_ms = max_ms;
	return s;
}

void
vt_sessions_free(struct vt_sessions **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	sodium_memzero((*sp)->v, (*sp)->max * sizeof(*(*sp)->v));
	free((*sp)->v);
	free(*sp);
	*sp = NULL;
}

static void
s_remove(struct vt_sessions *s, size_t i)
{
	s->v[i] = s->v[--s->n];
	sodium_memzero(&s->v[s->n], sizeof(s->v[s->n]));
}

static void
s_hex(char out[VT_SESSION_TOKEN_HEX], const uint8_t *bytes)
{
	sodium_bin2hex(out, VT_SESSION_TOKEN_HEX, bytes, VT_SESSION_TOKEN_BYTES);
}

const struct vt_web_session *
vt_sessions_create(struct vt_sessions *s, const char *user, enum vt_web_role role,
                   const uint8_t random[2 * VT_SESSION_TOKEN_BYTES], int64_t now, bool *evicted)
{
	if (evicted != NULL)
		*evicted = false;
	if (s->n == s->max) {
		size_t lru = 0;
		for (size_t i = 1; i < s->n; i++)
			if (s->v[i].used < s->v[lru].used)
				lru = i;
		s_remove(s, lru);
		if (evicted != NULL)
			*evicted = true;
	}
	struct vt_web_session *w = &s->v[s->n++];
	memset(w, 0, sizeof(*w));
	s_hex(w->id, random);
	s_hex(w->csrf, random + VT_SESSION_TOKEN_BYTES);
	strncpy(w->user, user, sizeof(w->user) - 1);
	w->role = role;
	w->created = w->used = now;
	return w;
}

static bool
s_same(const char *a, const char *b)
{
	/* Both are hex of one length when well formed; anything else differs. */
	size_t la = strnlen(a, VT_SESSION_TOKEN_HEX), lb = strnlen(b, VT_SESSION_TOKEN_HEX);
	return la == VT_SESSION_TOKEN_HEX - 1 && lb == la && sodium_memcmp(a, b, la) == 0;
}

const struct vt_web_session *
vt_sessions_find(struct vt_sessions *s, const char *id, int64_t now)
{
	struct vt_web_session *hit = NULL;
	for (size_t i = 0; i < s->n;) {
		struct vt_web_session *w = &s->v[i];
		if (now - w->used >= s->idle_ms || now - w->created >= s->max_ms) {
			s_remove(s, i);
			continue;
		}
		if (s_same(w->id, id))
			hit = w;
		i++;
	}
	/* A removal moves the last entry into the slot it frees, always one after
	 * the hit once the hit is found: the hit stays where it is. */
	if (hit != NULL)
		hit->used = now;
	return hit;
}

bool
vt_sessions_csrf_ok(const struct vt_web_session *w, const char *token)
{
	return token != NULL && s_same(w->csrf, token);
}

bool
vt_sessions_end(struct vt_sessions *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s_same(s->v[i].id, id)) {
			s_remove(s, i);
			return true;
		}
	}
	return false;
}

size_t
vt_sessions_revise(struct vt_sessions *s, const struct vt_web_users *users)
{
	size_t ended = 0;
	for (size_t i = 0; i < s->n;) {
		const struct vt_web_user *u = vt_users_find(users, s->v[i].user);
		if (u == NULL) {
			s_remove(s, i);
			ended++;
			continue;
		}
		s->v[i].role = u->role;
		i++;
	}
	return ended;
}

size_t
vt_sessions_count(const struct vt_sessions *s)
{
	return s->n;
}
