/*
 * Event streams (see vitals/web/stream.h). A stream's queue is one byte
 * buffer with a read offset; libmicrohttpd pulls from it through the
 * content reader and frees the stream through the reader's free callback,
 * which is the only place a stream leaves the list.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/io/log.h"
#include "vitals/web/stream.h"

struct stream {
	struct vt_streams *set;
	struct MHD_Connection *conn;
	char owner[80];
	char *buf;            /* bytes to write: [off, len) */
	size_t off, len, cap;
	bool suspended;
	bool ended;           /* write what is left, then end */
	struct stream *next;
};

struct vt_streams {
	struct stream *list;
	size_t n, max, queue_max;
	uint64_t dropped;
	bool warned;
};

struct vt_streams *
vt_streams_new(size_t max, size_t queue_max)
{
	struct vt_streams *s = calloc(1, sizeof(*s));
	if (s != NULL) {
		s->max = max;
		s->queue_max = queue_max;
	}
	return s;
}

void
vt_streams_free(struct vt_streams **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	/* Streams still listed belong to responses libmicrohttpd has not freed: detach them. */
	for (struct stream *t = (*sp)->list; t != NULL; t = t->next)
		t->set = NULL;
	free(*sp);
	*sp = NULL;
}

static void
s_resume(struct stream *t)
{
	if (t->suspended) {
		t->suspended = false;
		MHD_resume_connection(t->conn);
	}
}

static ssize_t
s_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *t = cls;
	size_t left = t->len - t->off;
	if (left == 0) {
		if (t->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		/* Nothing to say: sleep until an event comes (vt_streams_broadcast resumes). */
		t->suspended = true;
		MHD_suspend_connection(t->conn);
		return 0;
	}
	size_t n = left < max ? left : max;
	memcpy(buf, t->buf + t->off, n);
	t->off += n;
	if (t->off == t->len)
		t->off = t->len = 0;
	return (ssize_t)n;
}

static void
s_free(void *cls)
{
	struct stream *t = cls;
	struct vt_streams *s = t->set;
	if (s != NULL) {
		for (struct stream **pp = &s->list; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == t) {
				*pp = t->next;
				s->n--;
				break;
			}
		}
	}
	free(t->buf);
	free(t);
}

/* Append bytes to a stream's queue; false if that would pass the bound. */
static bool
s_append(struct stream *t, const char *data, size_t n, size_t bound)
{
	if (t->off > 0 && t->off * 2 >= t->len) { /* written half: move the rest to the front */
		memmove(t->buf, t->buf + t->off, t->len - t->off);
		t->len -= t->off;
		t->off = 0;
	}
	if (t->len - t->off + n > bound)
		return false;
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (cap < t->len + n)
			cap *= 2;
		char *b = realloc(t->buf, cap);
		if (b == NULL)
			return false;
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, data, n);
	t->len += n;
	return true;
}

struct MHD_Response *
vt_streams_open(struct vt_streams *s, struct MHD_Connection *c, const char *owner,
                const char *first)
{
	if (s->n >= s->max)
		return NULL;
	struct stream *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->set = s;
	t->conn = c;
	snprintf(t->owner, sizeof(t->owner), "%s", owner);
	/* The first event, however large (a snapshot), is always taken. */
	if (!s_append(t, first, strlen(first), SIZE_MAX)) {
		free(t);
		return NULL;
	}
	struct MHD_Response *r =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, s_read, t, s_free);
	if (r == NULL) {
		free(t->buf);
		free(t);
		return NULL;
	}
	t->next = s->list;
	s->list = t;
	s->n++;
	return r;
}

char *
vt_streams_event(const char *name, uint64_t id, const char *json)
{
	size_t len = strlen(name) + strlen(json) + 64;
	char *e = malloc(len);
	if (e != NULL)
		snprintf(e, len, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", id, name, json);
	return e;
}

void
vt_streams_broadcast(struct vt_streams *s, const char *event)
{
	size_t n = strlen(event);
	for (struct stream *t = s->list; t != NULL; t = t->next) {
		if (t->ended)
			continue;
		if (!s_append(t, event, n, s->queue_max)) {
			/* Behind by more than the bound: end it; the page starts again. */
			t->ended = true;
			t->off = t->len = 0;
			s->dropped++;
			if (!s->warned)
				vt_warnx("web: a browser fell %zu bytes behind its event stream; ended it "
				         "(it reconnects; logged once, counted in the status line)",
				         s->queue_max);
			s->warned = true;
		}
		s_resume(t);
	}
}

void
vt_streams_end(struct vt_streams *s, const char *owner)
{
	for (struct stream *t = s->list; t != NULL; t = t->next) {
		if (owner == NULL || strcmp(t->owner, owner) == 0) {
			t->ended = true;
			s_resume(t);
		}
	}
}

size_t
vt_streams_prune(struct vt_streams *s, bool (*alive)(void *arg, const char *owner), void *arg)
{
	size_t ended = 0;
	for (struct stream *t = s->list; t != NULL; t = t->next) {
		if (!t->ended && !alive(arg, t->owner)) {
			t->ended = true;
			s_resume(t);
			ended++;
		}
	}
	return ended;
}

size_t
vt_streams_count(const struct vt_streams *s)
{
	return s->n;
}

uint64_t
vt_streams_dropped(const struct vt_streams *s)
{
	return s->dropped;
}
