/*
 * Login rate limiting (see vitals/web/ratelimit.h). Buckets hold tokens in
 * thousandths so that refilling is integer arithmetic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/web/ratelimit.h"

struct bucket {
	char key[96];
	int64_t milli;   /* tokens x 1000 at `at` */
	int64_t at;      /* when milli was computed */
};

struct vt_ratelimit {
	struct bucket *v;
	size_t n, max;
	int64_t burst_milli, refill_ms;
	uint64_t refused, evicted;
};

struct vt_ratelimit *
vt_ratelimit_new(size_t keys, int burst, int64_t refill_ms)
{
	struct vt_ratelimit *r = calloc(1, sizeof(*r));
	if (r == NULL || keys == 0 || burst < 1 || refill_ms < 1 ||
	    (r->v = calloc(keys, sizeof(*r->v))) == NULL) {
		free(r);
		return NULL;
	}
	r->max = keys;
	r->burst_milli = (int64_t)burst * 1000;
	r->refill_ms = refill_ms;
	return r;
}

void
vt_ratelimit_free(struct vt_ratelimit **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	free((*rp)->v);
	free(*rp);
	*rp = NULL;
}

/* A bucket's tokens (x 1000) at `now`. */
static int64_t
s_level(const struct vt_ratelimit *r, const struct bucket *b, int64_t now)
{
	int64_t dt = now > b->at ? now - b->at : 0;
	/* Capped before multiplying, so a long pause cannot overflow. */
	if (dt >= r->refill_ms * (r->burst_milli / 1000))
		return r->burst_milli;
	int64_t level = b->milli + dt * 1000 / r->refill_ms;
	return level < r->burst_milli ? level : r->burst_milli;
}

static struct bucket *
s_find(struct vt_ratelimit *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].key, key) == 0)
			return &r->v[i];
	return NULL;
}

bool
vt_ratelimit_allow(struct vt_ratelimit *r, const char *key, int64_t now, int64_t *retry_ms)
{
	struct bucket *b = s_find(r, key);
	if (b == NULL)
		return true;
	int64_t level = s_level(r, b, now);
	if (level >= 1000)
		return true;
	r->refused++;
	if (retry_ms != NULL)
		*retry_ms = ((1000 - level) * r->refill_ms + 999) / 1000;
	return false;
}

bool
vt_ratelimit_fail(struct vt_ratelimit *r, const char *key, int64_t now)
{
	struct bucket *b = s_find(r, key);
	if (b == NULL) {
		if (r->n == r->max) {
			size_t victim = 0;
			for (size_t i = 0; i < r->n; i++) {
				if (s_level(r, &r->v[i], now) == r->burst_milli) {
					victim = i;
					break;
				}
				if (r->v[i].at < r->v[victim].at)
					victim = i;
			}
			r->v[victim] = r->v[--r->n];
			r->evicted++;
		}
		b = &r->v[r->n++];
		snprintf(b->key, sizeof(b->key), "%s", key);
		b->milli = r->burst_milli;
		b->at = now;
	}
	int64_t level = s_level(r, b, now) - 1000;
	b->milli = level > 0 ? level : 0;
	b->at = now;
	return level >= 0 && level < 1000;
}

void
vt_ratelimit_forget(struct vt_ratelimit *r, const char *key)
{
	struct bucket *b = s_find(r, key);
	if (b != NULL)
		*b = r->v[--r->n];
}

uint64_t
vt_ratelimit_refused(const struct vt_ratelimit *r)
{
	return r->refused;
}

uint64_t
vt_ratelimit_evicted(const struct vt_ratelimit *r)
{
	return r->evicted;
}
