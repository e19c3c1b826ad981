/*
 * Session recordings: every byte a port delivered, with its receive time,
 * in a line-oriented text format a human can read and a test can replay.
 * The format is documented in docs/recording.md. Files are appended and
 * written with write(2) on every read, so a crash (even SIGKILL) loses
 * nothing the kernel has seen; rotation starts a new file.
 *
 *   # vitalsd session recording
 *   # version: 0.1.0
 *   # bed: chair-1
 *   # port: /dev/serial/by-id/usb-FTDI...
 *   # protocol: nonin-df7
 *   # baud: 9600
 *   # start: 2026-11-21T10:00:00.000Z
 *   0 open
 *   13 data 81960600 1d809614 5e88...
 *   9000 lost read: Input/output error
 *
 * Each event line is: milliseconds since `start`, an event word (open,
 * data, lost, close), and its argument (hex bytes for data, at most 64 a
 * line; an optional reason otherwise). A file that carries on from a
 * rotated one has `# continues: PREVIOUS-FILE` after `start`.
 */
#ifndef VITALS_RECORDER_H
#define VITALS_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "vitals/diag.h"

enum vt_rec_event { VT_REC_OPEN, VT_REC_DATA, VT_REC_LOST, VT_REC_CLOSE };

struct vt_rec_info {
	const char *bed;
	const char *port;
	const char *protocol;
	int baud;
};

struct vt_recorder;

/* A file that has passed this many bytes is closed and a new one started. */
#define VT_RECORDER_ROTATE_BYTES (16u * 1024u * 1024u)

/*
 * Start recording for one port under `dir` (created if needed, mode 0750):
 * DIR/BED/BED-YYYYmmddTHHMMSSZ.vsr, the header written at once. `now` is
 * wall-clock ms. NULL with err on failure (the daemon keeps monitoring,
 * raises a technical alarm, and may call again later to retry).
 */
struct vt_recorder *vt_recorder_open(const char *dir, const struct vt_rec_info *info,
                                     int64_t now, char *err, size_t errlen);

/*
 * Append one event at wall-clock `now` with one write(2): for DATA, `len`
 * bytes of `data` (as several lines if long; len 0 records nothing); for
 * the others, `reason` (may be NULL). Rotates first when the file is past
 * its size limit, the UTC day changed, or the clock stepped back. 0, or -1
 * with err (disk full, unwritable): that file is closed and a later event
 * starts a new one (at most one attempt a second while failing).
 */
int vt_recorder_event(struct vt_recorder *r, int64_t now, enum vt_rec_event ev,
                      const uint8_t *data, size_t len, const char *reason, char *err,
                      size_t errlen);

/* Wait for the file to reach the disk, close it, free, set *r to NULL. */
void vt_recorder_close(struct vt_recorder **r);

/* The file being written (or the last one tried); for logs and tests. */
const char *vt_recorder_path(const struct vt_recorder *r);

/* Change the rotation size (0: back to VT_RECORDER_ROTATE_BYTES); tests use
 * a small one to see rotation without writing megabytes. */
void vt_recorder_set_rotate_bytes(struct vt_recorder *r, uint64_t bytes);

/* ---- reading a session back ---- */

struct vt_session_reader;

/* Whether the file at `path` starts like a session recording. */
int vt_session_detect(const char *path);

/* Open a session file and read its header; NULL with diagnostics. */
struct vt_session_reader *vt_session_open(const char *path, struct vt_diag *diag);

/* The same from memory (copied); `name` is used in diagnostics. */
struct vt_session_reader *vt_session_open_mem(const char *name, const void *bytes, size_t len,
                                              struct vt_diag *diag);

/* Header fields (valid while the reader is open). */
const struct vt_rec_info *vt_session_info(const struct vt_session_reader *s);
int64_t vt_session_start(const struct vt_session_reader *s);

/*
 * Next event: 1 with *t_ms (absolute, wall clock of the recording), *ev and,
 * for data, *data and *len (valid until the next call); 0 at end; -1 with a
 * diagnostic naming file and line. A truncated last line (crash while
 * writing) ends the file without an error.
 */
int vt_session_next(struct vt_session_reader *s, int64_t *t_ms, enum vt_rec_event *ev,
                    const uint8_t **data, size_t *len, struct vt_diag *diag);

void vt_session_close(struct vt_session_reader **s);

#endif
