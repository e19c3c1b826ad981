/*
 * Session recordings: every byte a port delivered, with its receive time,
 * in a line-oriented text format a human can read and a test can replay.
 * The format is wire/session.h (docs/recording.md). Files are appended and
 * written with write(2) on every read, so a crash (even SIGKILL) loses
 * nothing the kernel has seen; rotation starts a new file.
 */
#ifndef VITALS_IO_RECORDER_H
#define VITALS_IO_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/wire/session.h"

struct vt_recorder;

/* A clock that goes back further than this starts a new file; less is the
 * jitter between two readings of the clock taken in one wake-up. */
#define VT_RECORDER_STEP_BACK_MS 1000

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
 * What one port may record (limits.record_*): a sustained rate (with a
 * burst of VT_RECORDER_BURST_S seconds of it), bytes per UTC day, and the
 * size past which a file is closed and the next begun. A device flooding
 * its port cannot fill the disk: bytes beyond a bound are not written, but
 * counted, and the file says so with a `gap` event where they would have
 * been. 0 in a field: that bound is off.
 */
struct vt_rec_limits {
	int64_t bytes_per_second;
	int64_t bytes_per_day;
	int64_t file_size;
};
#define VT_RECORDER_BURST_S 4
/* After the last bytes not kept, the port counts as over its bound this long. */
#define VT_RECORDER_LIMITED_MS 10000

void vt_recorder_set_limits(struct vt_recorder *r, const struct vt_rec_limits *limits);

/* Whether bytes were not kept within the last VT_RECORDER_LIMITED_MS; why, if so. */
bool vt_recorder_limited(const struct vt_recorder *r, int64_t now, const char **why);

/*
 * Append one event at wall-clock `now` with one write(2): for DATA, `len`
 * bytes of `data` (as several lines if long; len 0 records nothing); for
 * the station events (CONTROL, ALERT, SESSION, CONFIG), `reason` is their
 * JSON object on one line; for the others, `reason` may be NULL. The
 * header written with every new file names the configuration of `info`
 * (config, config_sha256) when given. Rotates first when the file is past
 * its size limit, the UTC day changed, or the clock stepped back by more
 * than VT_RECORDER_STEP_BACK_MS (a smaller step back is written at the
 * previous event's time, so offsets never decrease). 0; 1 when DATA was
 * over a bound and not kept (counted, and told by the next event's `gap`
 * line); or -1 with err (disk full, unwritable): that file is closed and a
 * later event starts a new one (at most one attempt a second while failing).
 */
int vt_recorder_event(struct vt_recorder *r, int64_t now, enum vt_rec_event ev,
                      const uint8_t *data, size_t len, const char *reason, char *err,
                      size_t errlen);

/* Wait for the file to reach the disk, close it, free, set *r to NULL. */
void vt_recorder_close(struct vt_recorder **r);

/* The bed as the recorder writes it in directory and file names (malloc'd; NULL: no memory). */
char *vt_recorder_file_name(const char *bed);

/* The file being written (or the last one tried); for logs and tests. */
const char *vt_recorder_path(const struct vt_recorder *r);

/* Change the rotation size (0: back to VT_RECORDER_ROTATE_BYTES); tests use
 * a small one to see rotation without writing megabytes. */
void vt_recorder_set_rotate_bytes(struct vt_recorder *r, uint64_t bytes);

#endif
