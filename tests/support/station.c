/*
 * The console model on real sockets (station.h): the loop of vitals-console
 * without its screen, so that what a nurse would see can be asserted.
 */
#include <string.h>

#include <zmq.h>

#include "vitals/console/client.h"
#include "vitals/console/model.h"

#include "run.h"
#include "station.h"
#include "zmq_client.h"

int
vt_rig_station_open(struct vt_rig_station *st, const char *pub, const char *ctl,
                    const struct vt_curve_keys *keys)
{
	memset(st, 0, sizeof(*st));
	int bad = 0;
	st->sub = vt_client_subscribe(vt_rig_zctx(), pub, keys, st->problem, sizeof(st->problem));
	if (st->sub == NULL)
		return -1;
	st->snap = vt_client_new(vt_rig_zctx(), ctl, keys, &bad, st->problem, sizeof(st->problem));
	st->m = vt_console_new(vt_client_now());
	if (st->snap == NULL || st->m == NULL) {
		vt_rig_station_close(st);
		return -1;
	}
	st->problem[0] = '\0';
	return 0;
}

void
vt_rig_station_turn(struct vt_rig_station *st)
{
	zmq_pollitem_t item = {.socket = st->sub, .events = ZMQ_POLLIN};
	zmq_poll(&item, 1, 20);
	int64_t now = vt_client_now();
	vt_client_drain(st->sub, st->m, 1000);
	vt_client_sync(st->snap, st->m, now, st->problem, sizeof(st->problem));
	vt_console_tick(st->m, now);
}

const struct vt_console_bed *
vt_rig_station_bed(const struct vt_rig_station *st, const char *name)
{
	return vt_console_bed_named(st->m, name);
}

bool
vt_rig_station_until(struct vt_rig_station *st, const char *name, bool lost, int timeout_ms)
{
	int64_t end = vt_rig_now_ms() + timeout_ms;
	while (vt_rig_now_ms() < end) {
		vt_rig_station_turn(st);
		const struct vt_console_bed *b = vt_rig_station_bed(st, name);
		if (b != NULL && b->lost == lost &&
		    (lost || vt_console_sync_state(st->m) == VT_CONSOLE_SYNCED))
			return true;
	}
	return false;
}

void
vt_rig_station_close(struct vt_rig_station *st)
{
	vt_console_free(&st->m);
	vt_client_free(&st->snap);
	if (st->sub != NULL)
		zmq_close(st->sub);
	st->sub = NULL;
}
