/*
 * Crossings of a bound, logged once per burst and counted (crossing.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "vitals/io/crossing.h"
#include "vitals/io/log.h"

void
vt_crossing_hit(struct vt_crossing *x, int64_t now, const char *fmt, ...)
{
	x->total++;
	x->burst++;
	x->last = now;
	if (x->active)
		return;
	x->active = true;
	x->first = now;
	char line[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	vt_warnx("%s (further ones are counted, not logged)", line);
}

void
vt_crossing_quiet(struct vt_crossing *x, int64_t now)
{
	if (!x->active || now - x->last < VT_CROSSING_QUIET_MS)
		return;
	vt_warnx("%s: %" PRIu64 " in %.1f s, %" PRIu64 " since the start", x->name, x->burst,
	         (double)(x->last - x->first) / 1000.0, x->total);
	x->active = false;
	x->burst = 0;
}

int64_t
vt_crossing_deadline(const struct vt_crossing *x)
{
	return x->active ? x->last + VT_CROSSING_QUIET_MS : INT64_MAX;
}
