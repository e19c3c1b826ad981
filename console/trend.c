/*
 * A bed's trend (see vitals/console/trend.h): a ring of fixed slices of
 * daemon time. A value lands in the slice its time falls in; only the
 * newest slices are ever written, so the ring only grows at its end.
 */
#include <math.h>
#include <string.h>

#include "vitals/console/trend.h"

void
vt_trend_clear(struct vt_trend *t)
{
	t->first = 0;
	t->n = 0;
}

static struct vt_trend_point *
s_at(struct vt_trend *t, size_t i)
{
	return &t->ring[(t->first + i) % VT_TREND_POINTS];
}

/* Floor division: slices start at multiples of the slice length, before 1970 too. */
static int64_t
s_slice(int64_t time)
{
	int64_t q = time / VT_TREND_SLICE_MS;
	if (time % VT_TREND_SLICE_MS < 0)
		q--;
	return q * VT_TREND_SLICE_MS;
}

void
vt_trend_add(struct vt_trend *t, int64_t time, enum vt_param p, double value)
{
	if ((int)p < 0 || p >= VT_PARAM_COUNT || !isfinite(value))
		return;
	int64_t start = s_slice(time);
	if (t->n > 0) {
		int64_t newest = s_at(t, t->n - 1)->t;
		if (start < newest - VT_TREND_WINDOW_MS)
			return;
		if (start > newest + VT_TREND_WINDOW_MS)
			vt_trend_clear(t);
	}
	/* The slice, if held: search back from the newest (values come in order). */
	struct vt_trend_point *pt = NULL;
	size_t i = t->n;
	while (i > 0 && s_at(t, i - 1)->t > start)
		i--;
	if (i > 0 && s_at(t, i - 1)->t == start) {
		pt = s_at(t, i - 1);
	} else if (i == t->n) {
		if (t->n == VT_TREND_POINTS) { /* full: the oldest goes */
			t->first = (t->first + 1) % VT_TREND_POINTS;
			t->n--;
		}
		pt = s_at(t, t->n++);
		memset(pt, 0, sizeof(*pt));
		pt->t = start;
	} else {
		return; /* a slice that had no value and now lies between others: a late value, dropped */
	}
	float v = (float)value;
	if (!(pt->has & VT_PARAM_BIT(p))) {
		pt->has |= VT_PARAM_BIT(p);
		pt->lo[p] = pt->hi[p] = v;
	} else {
		pt->lo[p] = v < pt->lo[p] ? v : pt->lo[p];
		pt->hi[p] = v > pt->hi[p] ? v : pt->hi[p];
	}
}

size_t
vt_trend_count(const struct vt_trend *t)
{
	return t->n;
}

const struct vt_trend_point *
vt_trend_at(const struct vt_trend *t, size_t i)
{
	return i < t->n ? &t->ring[(t->first + i) % VT_TREND_POINTS] : NULL;
}

void
vt_trend_expire(struct vt_trend *t, int64_t now)
{
	while (t->n > 0 && s_at(t, 0)->t + VT_TREND_SLICE_MS <= now - VT_TREND_WINDOW_MS) {
		t->first = (t->first + 1) % VT_TREND_POINTS;
		t->n--;
	}
}
