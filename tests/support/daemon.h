/*
 * A real vitalsd for a test: its configuration written from monitors and
 * rules as YAML text, publish and control on free 127.0.0.1 ports, started
 * and waited for until it is up, stopped and restarted. A bed is the usual
 * set-up around it: a temporary directory and one monitor, chair-1, on a
 * pty the test writes device bytes into.
 */
#ifndef VT_RIG_DAEMON_H
#define VT_RIG_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "child.h"
#include "pty.h"

/*
 * Write a configuration to `path`: publish and control on these ports,
 * then `extra` top-level YAML lines (heartbeat:, record_dir:, ...; may be
 * NULL), then the monitors and rules as the bodies of `monitors:` and
 * `rules:` (list items, already indented; NULL or "" for []). Nothing
 * else, so a test knows each line's number. 0 or -1.
 */
int vt_rig_config(const char *path, int pub_port, int ctl_port, const char *extra,
                  const char *monitors, const char *rules);

/* A running daemon and the endpoints a test reaches it by. */
struct vt_rig_daemon {
	struct vt_rig_child proc; /* the process; proc.log is its stderr, dir/vitalsd.log */
	char dir[256];            /* the test's directory, which holds the next two */
	char config[320];         /* dir/vitalsd.yaml */
	char pub[64];             /* tcp://127.0.0.1:P */
	char ctl[64];
	int pub_port, ctl_port;
};

/*
 * Write dir/vitalsd.yaml as vt_rig_config does on two free ports, start
 * build/vitalsd -c on it and wait (20 s at most) until it logs that it has
 * started: every socket bound, every monitor's port tried. A bind that
 * fails because another test took a port meanwhile is retried on new
 * ports. 0, or -1 with the reason and the daemon's log on stderr.
 */
int vt_rig_daemon_start(struct vt_rig_daemon *d, const char *dir, const char *extra,
                        const char *monitors, const char *rules);
/* Rewrite its configuration on the same ports (a reload test's next file). 0 or -1. */
int vt_rig_daemon_config(struct vt_rig_daemon *d, const char *extra, const char *monitors,
                         const char *rules);
/* Start it again on the same configuration and ports, after it was stopped or killed. */
int vt_rig_daemon_restart(struct vt_rig_daemon *d);
/* SIGTERM, then SIGKILL after 5 s; its exit status (0 when it stopped cleanly). */
int vt_rig_daemon_stop(struct vt_rig_daemon *d);
/* Whether the snapshot says monitor `bed`'s port is in `state` ("connected") within timeout_ms. */
bool vt_rig_daemon_port_is(const struct vt_rig_daemon *d, const char *bed, const char *state,
                           int timeout_ms);

/*
 * One monitor, chair-1, the way most tests and benchmarks want it: a fresh
 * /tmp/vt-TAG-* directory; chair-1's cable, a pty linked as dir/chair-1;
 * with `record`, record_dir dir/rec (made). `monitors` is chair-1's entry
 * on `protocol` (with `monitor_keys` added, e.g. "stale_after: 700ms"; may
 * be NULL) and `extra` the record_dir line or "", both for
 * vt_rig_daemon_start(d, b->dir, b->extra, b->monitors, rules).
 */
struct vt_rig_bed {
	char dir[128], link[200], rec[200];
	char monitors[512], extra[256];
	struct vt_rig_pty pty;
};
/* 0, or -1 with the reason on stderr. */
int vt_rig_bed_open(struct vt_rig_bed *b, const char *tag, const char *protocol,
                    const char *monitor_keys, bool record);
/* Pull the cable and remove the directory. */
void vt_rig_bed_close(struct vt_rig_bed *b);

/*
 * What the tests of the daemon's clients share: a bed on masimo-ascii with
 * stale_after 10m (the test writes lines when it chooses, not at the
 * device's pace), the daemon on it with heartbeat 1s and `rules`, back
 * when chair-1's port is connected. 0, or -1 with the reason on stderr.
 */
int vt_rig_bed_start(struct vt_rig_bed *b, struct vt_rig_daemon *d, const char *tag,
                     const char *rules);
/* Stop the daemon, then close the bed. */
void vt_rig_bed_stop(struct vt_rig_bed *b, struct vt_rig_daemon *d);

#endif
