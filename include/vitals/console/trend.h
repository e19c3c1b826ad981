/*
 * The last half hour of a bed's vital signs, as a central station draws it
 * beside the numbers: a nurse judges a value by where it has been going
 * (an SpO2 of 91 % sliding down from 98 % is not one climbing back from
 * 85 %). Values are kept per fixed slice of daemon time with their lowest
 * and highest value, so a short dip stays visible however the trend is
 * drawn, and so that applying the same message twice (as the console
 * model does around a snapshot) changes nothing. Pure: times are
 * arguments; the size is fixed.
 */
#ifndef VITALS_CONSOLE_TREND_H
#define VITALS_CONSOLE_TREND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/sample.h"

/* How far back a trend goes, and the slice each point covers. */
#define VT_TREND_WINDOW_MS (30 * 60 * 1000)
#define VT_TREND_SLICE_MS 10000
#define VT_TREND_POINTS (VT_TREND_WINDOW_MS / VT_TREND_SLICE_MS)

/* One slice: its start and, per parameter, the range of its valid values. */
struct vt_trend_point {
	int64_t t;                   /* start of the slice, daemon time (ms) */
	vt_param_mask has;           /* parameters with at least one value in it */
	float lo[VT_PARAM_COUNT];    /* lowest value, where `has` */
	float hi[VT_PARAM_COUNT];    /* highest value, where `has` */
};

struct vt_trend {
	struct vt_trend_point ring[VT_TREND_POINTS];
	size_t first;                /* index of the oldest point */
	size_t n;                    /* points held */
};

/* Forget everything. */
void vt_trend_clear(struct vt_trend *t);

/*
 * A valid value of `p` at daemon time `time`. A value older than the
 * window behind the newest point is ignored (it can only come from a
 * message replayed out of order); one more than a window ahead of it
 * starts the trend again (the daemon's clock jumped). Slices with no
 * value leave gaps: no point is made for them.
 */
void vt_trend_add(struct vt_trend *t, int64_t time, enum vt_param p, double value);

/* Points held, oldest first; NULL past the end. */
size_t vt_trend_count(const struct vt_trend *t);
const struct vt_trend_point *vt_trend_at(const struct vt_trend *t, size_t i);

/* Drop the points that ended more than a window before `now`. */
void vt_trend_expire(struct vt_trend *t, int64_t now);

#endif
