/*
 * A monitor's cable for tests: a pseudo-terminal pair. The test writes
 * device bytes into the master; the daemon opens the slave through a
 * symlink, as it would open /dev/serial/by-id/... The cable can be pulled
 * and plugged back in (a new pty behind the same link).
 */
#ifndef VT_RIG_PTY_H
#define VT_RIG_PTY_H

#include <stddef.h>

/*
 * The slave is put in raw mode from the master's side at once, so bytes
 * written before the daemon opens it are not echoed back into the
 * master's buffer.
 */
struct vt_rig_pty {
	int master;        /* -1 while unplugged */
	char slave[64];    /* /dev/pts/N */
	char link[256];    /* the path in the configuration */
};
/* Open a pty and point `link` at it. 0 or -1 (errno). */
int vt_rig_pty_open(struct vt_rig_pty *p, const char *link);
/* Pull the cable: close the master and remove the link. */
void vt_rig_pty_unplug(struct vt_rig_pty *p);
/* Plug a new cable in: a new pty, the link replaced atomically. 0 or -1. */
int vt_rig_pty_plug(struct vt_rig_pty *p);
/*
 * A quick re-plug: the new pty is linked in before the old one hangs up,
 * so the daemon's first reopen finds it however late the test is
 * scheduled. 0 or -1 (the old cable is then still in).
 */
int vt_rig_pty_swap(struct vt_rig_pty *p);
/* Write everything (the master is blocking); 0 or -1. */
int vt_rig_pty_write(struct vt_rig_pty *p, const void *buf, size_t len);
/* Close for good. */
void vt_rig_pty_close(struct vt_rig_pty *p);

/* One Masimo Radical ASCII 1 line (as the device sends once a second) into
 * buf; its length. SPO2 and BPM as given, PI 3.60 %, no alarm. */
int vt_rig_masimo_line(char *buf, size_t len, int spo2, int bpm);
/* Write that line into the cable; 0 or -1. */
int vt_rig_pty_masimo(struct vt_rig_pty *p, int spo2, int bpm);

#endif
