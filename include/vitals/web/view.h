/*
 * What the browser is told: the console model (vitals/console/model.h)
 * written as JSON for the page, which draws it and decides nothing the
 * model already decides (contact lost, synchronised or not, what sounds).
 *
 * A browser's stream starts with a `snapshot` of everything, then gets an
 * `update` with what changed: the station's state always (it carries the
 * daemon's clock, so it also proves the stream is alive), a bed whenever
 * anything of it changed (sent whole), the alert list whenever it changed
 * (whole), the trend slices that are new or grew, and the history entries
 * that changed. Every event has a number, one more than the last; a page
 * that sees a jump reconnects and starts again from a snapshot. Updates
 * carry whole objects, so one built before a snapshot and applied after it
 * changes nothing. Pure: the model, the times and the extra facts of the
 * server are arguments.
 */
#ifndef VITALS_WEB_VIEW_H
#define VITALS_WEB_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "vitals/console/model.h"

/* What the server knows beside the model. */
struct vt_view_extra {
	const char *problem;   /* why the control socket does not serve snapshots; "" none */
	const char *publish;   /* the PUB endpoint listened to, for the banner */
};

struct vt_view;

struct vt_view *vt_view_new(void);
void vt_view_free(struct vt_view **v);

/*
 * Everything, as of local monotonic `mono` (the model's clock), numbered
 * with the last update's number: {"n":N,"kind":"snapshot","station":{...},
 * "beds":[...],"alerts":[...],"trends":{BED:[[t,{"spo2":[lo,hi]}],...]},
 * "history":[...]}. malloc'd JSON text (no newline), or NULL.
 */
char *vt_view_snapshot(struct vt_view *v, const struct vt_console *m, int64_t mono,
                       const struct vt_view_extra *x);

/*
 * What changed since the last update, numbered one more:
 * {"n":N,"kind":"update","station":{...}, and "beds", "alerts", "trends",
 * "history" when they have something}. malloc'd, or NULL when out of memory.
 */
char *vt_view_update(struct vt_view *v, const struct vt_console *m, int64_t mono,
                     const struct vt_view_extra *x);

/* The number of the last update. */
uint64_t vt_view_number(const struct vt_view *v);

#endif
