/*
 * A station: the console model on a daemon's (or a hub's) real sockets,
 * driven as vitals-console's loop drives it (its own client code: a
 * subscription made first, snapshots through the control socket when the
 * model asks for one). Tests read what a console would show from it.
 */
#ifndef VT_RIG_STATION_H
#define VT_RIG_STATION_H

#include <stdbool.h>

struct vt_client;
struct vt_console;
struct vt_console_bed;
struct vt_curve_keys;

struct vt_rig_station {
	void *sub;                /* SUB on the publish endpoint */
	struct vt_client *snap;   /* the snapshot client on the control endpoint */
	struct vt_console *m;     /* the model: what the console shows */
	char problem[256];        /* why the last snapshot request failed, or "" */
};

/* Connected to `pub` and `ctl` (CURVE with `keys` unless NULL); 0, or -1 with problem set. */
int vt_rig_station_open(struct vt_rig_station *st, const char *pub, const char *ctl,
                        const struct vt_curve_keys *keys);
/* One turn of the loop: messages (waiting up to 20 ms for one), snapshot, clocks. */
void vt_rig_station_turn(struct vt_rig_station *st);
/* Bed `name` in the model, or NULL. */
const struct vt_console_bed *vt_rig_station_bed(const struct vt_rig_station *st, const char *name);
/*
 * Turn the loop until bed `name` is known and lost (or not lost, with the
 * view synchronised); true if it came within timeout_ms.
 */
bool vt_rig_station_until(struct vt_rig_station *st, const char *name, bool lost, int timeout_ms);
void vt_rig_station_close(struct vt_rig_station *st);

#endif
