/*
 * vitals-hub's running part: the publish path is ZeroMQ's own proxy
 * (zmq_proxy_steerable between an XSUB connected to every daemon and an
 * XPUB the consoles subscribe to) on a thread of its own; the control path
 * is a ROUTER whose requests go to the daemon serving their bed (merge.h
 * decides) over one DEALER per daemon, or to every daemon and back as one
 * reply. docs/hub.md has the whole picture.
 */
#ifndef VITALS_HUB_HUB_H
#define VITALS_HUB_HUB_H

#include <stdint.h>

#include "vitals/hub/config.h"

/* Requests waiting for daemons at once; one more is refused with an error. */
#define VT_HUB_MAX_PENDING 256

/*
 * Run the hub on `cfg` until SIGTERM or SIGINT: bind, report READY=1 to
 * systemd, serve. The exit status: 0 after a signal, 69 (EX_UNAVAILABLE)
 * when an endpoint cannot be bound, 78 (EX_CONFIG) when a key file cannot
 * be read.
 */
int vt_hub_run(const struct vt_hub_config *cfg);

#endif
