/*
 * vitals-hl7's loop: one zmq_poll over the daemon's publish socket, its
 * control socket (snapshots), the connection to the interface engine and
 * a signalfd, with the nearest deadline as its timeout. What the daemon
 * says goes through the follower (vitals/hl7/follow.h) into messages
 * (vitals/hl7/pcd.h), which are queued on disk (vitals/hl7/queue.h)
 * before the link (vitals/hl7/link.h) sends the oldest one.
 *
 * The bridge is a process of its own, not part of vitalsd, so that
 * nothing an interface engine does (a slow answer, a dead connection, a
 * week-long outage filling a disk) can reach the loop that watches the
 * patients: the daemon publishes and forgets, as it does for consoles.
 */
#ifndef VITALS_HL7_BRIDGE_H
#define VITALS_HL7_BRIDGE_H

#include <stddef.h>
#include <stdio.h>

#include "vitals/hl7/config.h"
#include "vitals/hl7/follow.h"
#include "vitals/hl7/pcd.h"

struct vt_bridge;

/*
 * A bridge for `cfg` (kept by reference): the queue opened, the alarms
 * reported before a restart taken back, the sockets connected. NULL with
 * err when it cannot start (an unusable queue directory, a key file).
 */
struct vt_bridge *vt_bridge_new(const struct vt_bridge_config *cfg, char *err, size_t errlen);
void vt_bridge_free(struct vt_bridge **b);

/* Run until SIGTERM or SIGINT arrive on `sfd` (a signalfd). 0, or -1 after a fatal error. */
int vt_bridge_run(struct vt_bridge *b, int sfd);

/* MSH-3 to MSH-6 and MSH-11 as the file says them. */
struct vt_pcd_sender vt_bridge_sender(const struct vt_bridge_config *cfg);

/*
 * A follower's message as HL7 text with identity `id`, with the location
 * and device the file gives its bed. Its length, or 0 if it does not fit.
 */
size_t vt_bridge_encode(const struct vt_bridge_config *cfg, const struct vt_follow_out *out,
                        const struct vt_pcd_id *id, char *buf, size_t cap);

/*
 * vitals-hl7 --replay: the messages the bridge would send for a daemon's
 * published messages (JSON Lines, as `vitalsd --replay` writes them) read
 * from `in`, in the messages' own time, written to `out` with segments one
 * a line and a blank line after each message. The control ids are
 * "replay-N". 0, or -1 with err (a line that is not a published message).
 */
int vt_bridge_replay(const struct vt_bridge_config *cfg, FILE *in, FILE *out, char *err,
                     size_t errlen);

#endif
