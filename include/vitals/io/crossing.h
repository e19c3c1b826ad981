/*
 * A bound being crossed, told once. Every bound the daemon keeps
 * (connections per endpoint, reload rate, a port's recording rate) can be
 * crossed thousands of times a second by whoever pushes against it; a log
 * line each time would be a flood of its own. So the first crossing of a
 * burst is logged at once, the rest are only counted, and when the
 * crossings have stopped for VT_CROSSING_QUIET_MS one more line says how
 * many there were. The totals are kept for `vitalsctl ping`, where an
 * operator reads them.
 */
#ifndef VITALS_IO_CROSSING_H
#define VITALS_IO_CROSSING_H

#include <stdbool.h>
#include <stdint.h>

/* Crossings this far apart belong to one burst. */
#define VT_CROSSING_QUIET_MS 10000

struct vt_crossing {
	const char *name;  /* what is counted, for logs and ping: "publish connections refused" */
	uint64_t total;    /* since the daemon started */
	uint64_t burst;    /* in the burst going on */
	int64_t first;     /* when the burst began */
	int64_t last;      /* the latest crossing */
	bool active;       /* a burst is going on */
};

/*
 * One crossing at `now`. The first of a burst logs `fmt` (a warning);
 * later ones are counted.
 */
void vt_crossing_hit(struct vt_crossing *x, int64_t now, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Close a burst that has been quiet long enough, with its count. Call every turn. */
void vt_crossing_quiet(struct vt_crossing *x, int64_t now);

/* When vt_crossing_quiet has something to say, or INT64_MAX. */
int64_t vt_crossing_deadline(const struct vt_crossing *x);

#endif
