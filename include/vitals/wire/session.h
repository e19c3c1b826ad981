/*
 * Session recordings, the format (docs/recording.md): what a recording's
 * header says and the events it holds, and reading one back. The recorder
 * that writes them is io/recorder.h; replay and the emulator read them.
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
#ifndef VITALS_WIRE_SESSION_H
#define VITALS_WIRE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "vitals/base/diag.h"

enum vt_rec_event { VT_REC_OPEN, VT_REC_DATA, VT_REC_LOST, VT_REC_CLOSE };

struct vt_rec_info {
	const char *bed;
	const char *port;
	const char *protocol;
	int baud;
};

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
