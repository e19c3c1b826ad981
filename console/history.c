/*
 * The alarm history (see vitals/console/history.h): an array in raising
 * order, found by instance and id. A few hundred entries are searched from
 * the newest end, where the alerts that change are.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/console/history.h"

struct vt_history {
	struct vt_history_entry *v; /* VT_HISTORY_MAX of them */
	size_t n;
	uint64_t version;
};

struct vt_history *
vt_history_new(void)
{
	struct vt_history *h = calloc(1, sizeof(*h));
	if (h != NULL && (h->v = calloc(VT_HISTORY_MAX, sizeof(*h->v))) == NULL) {
		free(h);
		h = NULL;
	}
	return h;
}

void
vt_history_free(struct vt_history **hp)
{
	if (hp == NULL || *hp == NULL)
		return;
	free((*hp)->v);
	free(*hp);
	*hp = NULL;
}

static void
s_copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static struct vt_history_entry *
s_find(struct vt_history *h, const char *instance, const char *id)
{
	for (size_t i = h->n; i > 0; i--) {
		struct vt_history_entry *e = &h->v[i - 1];
		if (strcmp(e->id, id) == 0 && strcmp(e->instance, instance) == 0)
			return e;
	}
	return NULL;
}

/* Room for one more: the oldest ended entry goes, or the oldest of all. */
static struct vt_history_entry *
s_append(struct vt_history *h)
{
	if (h->n == VT_HISTORY_MAX) {
		size_t drop = 0;
		while (drop < h->n && h->v[drop].end == VT_HISTORY_ACTIVE)
			drop++;
		if (drop == h->n)
			drop = 0;
		memmove(&h->v[drop], &h->v[drop + 1], (h->n - drop - 1) * sizeof(*h->v));
		h->n--;
	}
	struct vt_history_entry *e = &h->v[h->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* Is `v` worse than the worst so far, for an alarm on the side of its limit where it was raised? */
static void
s_worst(struct vt_history_entry *e, const struct vt_console_alert *a)
{
	if (!(a->has_value || a->has_worst) || !e->has_limit || e->technical)
		return;
	/* The daemon's own worst when it says it (it saw every sample), else the value. */
	double v = a->has_worst ? a->worst : a->value;
	bool below = e->has_worst ? e->worst < e->limit : v < e->limit;
	if (!e->has_worst || (below ? v < e->worst : v > e->worst)) {
		e->worst = v;
		e->has_worst = true;
	}
}

void
vt_history_alert(struct vt_history *h, const char *instance, const char *event,
                 const struct vt_console_alert *a, int64_t time)
{
	if (instance == NULL || event == NULL || a->id[0] == '\0')
		return;
	bool cleared = strcmp(event, "cleared") == 0;
	struct vt_history_entry *e = s_find(h, instance, a->id);
	if (e == NULL) {
		if (cleared)
			return; /* ended before we heard of it: nothing to review */
		e = s_append(h);
		s_copy(e->instance, sizeof(e->instance), instance);
		s_copy(e->id, sizeof(e->id), a->id);
		s_copy(e->bed, sizeof(e->bed), a->bed);
		s_copy(e->rule, sizeof(e->rule), a->rule);
		s_copy(e->parameter, sizeof(e->parameter), a->parameter);
		e->technical = a->technical;
		e->priority = a->priority;
		s_copy(e->text, sizeof(e->text), a->text);
		e->onset = a->onset;
		e->has_limit = a->has_limit;
		e->limit = a->limit;
	} else if (e->end != VT_HISTORY_ACTIVE && !cleared) {
		return; /* a late duplicate of an event before its end */
	}
	if (a->priority > e->priority)
		e->priority = a->priority;
	if (e->end == VT_HISTORY_ACTIVE)
		s_worst(e, a);
	if (a->acknowledged && !e->acknowledged) {
		e->acknowledged = true;
		e->acked_at = strcmp(event, "acknowledged") == 0 ? time : 0;
	}
	if (a->by[0] != '\0' && strcmp(event, "acknowledged") == 0)
		s_copy(e->by, sizeof(e->by), a->by);
	if (cleared && e->end != VT_HISTORY_CLEARED) {
		e->end = VT_HISTORY_CLEARED;
		e->ended = time;
		s_copy(e->end_text, sizeof(e->end_text), a->text);
	}
	e->version = ++h->version;
}

void
vt_history_resync(struct vt_history *h, const struct vt_console *m, int64_t time)
{
	for (size_t i = 0; i < h->n; i++) {
		struct vt_history_entry *e = &h->v[i];
		if (e->end != VT_HISTORY_ACTIVE)
			continue;
		if (!vt_console_has_instance(m, e->instance))
			e->end = VT_HISTORY_RESTARTED;
		else if (vt_console_alert_by_id(m, e->id) == NULL)
			e->end = VT_HISTORY_UNSEEN;
		else
			continue;
		e->ended = time;
		e->version = ++h->version;
	}
}

size_t
vt_history_count(const struct vt_history *h)
{
	return h->n;
}

const struct vt_history_entry *
vt_history_at(const struct vt_history *h, size_t i)
{
	return i < h->n ? &h->v[i] : NULL;
}

uint64_t
vt_history_version(const struct vt_history *h)
{
	return h->version;
}

const char *
vt_history_end_name(enum vt_history_end e)
{
	switch (e) {
	case VT_HISTORY_ACTIVE: return "active";
	case VT_HISTORY_CLEARED: return "cleared";
	case VT_HISTORY_UNSEEN: return "ended unseen";
	case VT_HISTORY_RESTARTED: return "daemon restarted";
	}
	return "?";
}
