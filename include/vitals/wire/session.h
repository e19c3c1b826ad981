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
 *
 * Format 4 adds `gap`: bytes the port delivered that a recording bound
 * (limits.record_*) kept out of the file, counted where they would have
 * been, so that a replay knows the stream is cut there.
 *
 * Format 2 (`# format: 2`) adds what happened at the station, so that a
 * recording is the whole record of a session: the commands the daemon
 * executed for the bed (control: phase, ack, silence), the alert and
 * session messages it published about it (alert, session), and a change
 * of configuration (config), each with one JSON object as its argument;
 * the header names the configuration and its SHA-256. A format-1 file
 * (no `format:` line) reads as before, with none of these. Either format
 * may hold `sent` lines: the bytes vitalsd sent a polled monitor, in hex
 * like `data`.
 */
#ifndef VITALS_WIRE_SESSION_H
#define VITALS_WIRE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "vitals/base/diag.h"

enum vt_rec_event {
	VT_REC_OPEN,    /* the port opened */
	VT_REC_DATA,    /* bytes the device sent */
	VT_REC_LOST,    /* the port went away */
	VT_REC_CLOSE,   /* the daemon closed the port */
	VT_REC_CONTROL, /* a command executed for the bed: its request as JSON (format 2) */
	VT_REC_ALERT,   /* an alert message published about the bed, as JSON (format 2) */
	VT_REC_SESSION, /* a session message (phase, back-to-baseline), as JSON (format 2) */
	VT_REC_CONFIG,  /* the configuration changed: {"path","sha256"} (format 2) */
	VT_REC_SENT,    /* bytes vitalsd sent the device: polls, replies (hex, as data) */
	VT_REC_GAP,     /* bytes the device sent that were not kept (a recording bound): how
	                 * many, and which bound (format 4) */
	VT_REC_EVENT_COUNT
};

/* The format the recorder writes, and the newest the reader reads. */
#define VT_SESSION_FORMAT 4

/* The event word of `ev` ("open", "alert", ...). */
const char *vt_rec_event_name(enum vt_rec_event ev);
/* Whether `ev` carries bytes (hex) as its argument. */
#define VT_REC_IS_BYTES(ev) ((ev) == VT_REC_DATA || (ev) == VT_REC_SENT)
/* Whether `ev` carries one JSON object as its argument. */
#define VT_REC_IS_JSON(ev) ((ev) >= VT_REC_CONTROL && (ev) <= VT_REC_CONFIG)

struct vt_rec_info {
	const char *bed;
	const char *port;
	const char *protocol;
	int baud;
	const char *version;       /* the vitalsd that wrote it (reader; the recorder writes its own) */
	const char *config;        /* the configuration file's path; NULL: not said */
	const char *config_sha256; /* its SHA-256 in hex; NULL: not said */
	int format;                /* 1 (no `format:` line) or VT_SESSION_FORMAT; the
	                            * recorder always writes VT_SESSION_FORMAT */
};

struct vt_session_reader;

/* Bytes of one `data` or `sent` line at most: 16 groups of 4. */
#define VT_SESSION_BYTES_PER_LINE 64
/* The longest hex argument of one such line, with its NUL. */
#define VT_SESSION_HEX_MAX (VT_SESSION_BYTES_PER_LINE * 2 + VT_SESSION_BYTES_PER_LINE / 4 + 1)

/*
 * The header every recording starts with (the magic line, then format,
 * version, bed, port, protocol, baud and start), as snprintf would write
 * it into out[cap]: its length, which may be more than fits. The values
 * must each be one line already (writers escape them). The recorder adds
 * `continues` and the configuration after it.
 */
int vt_session_format_header(char *out, size_t cap, const struct vt_rec_info *info,
                             int64_t start_ms);

/*
 * At most VT_SESSION_BYTES_PER_LINE bytes as the argument of a data or sent
 * line: lowercase hex, a space before each group of four (" 01800062 e3").
 * Writes a NUL after it into out (VT_SESSION_HEX_MAX); returns its length.
 */
size_t vt_session_hex(char *out, const uint8_t *bytes, size_t n);

/* Whether the file at `path` starts like a session recording. */
int vt_session_detect(const char *path);
/* The same for bytes in memory. */
int vt_session_detect_mem(const void *bytes, size_t len);

/* Open a session file and read its header; NULL with diagnostics. */
struct vt_session_reader *vt_session_open(const char *path, struct vt_diag *diag);

/* The same from memory (copied); `name` is used in diagnostics. */
struct vt_session_reader *vt_session_open_mem(const char *name, const void *bytes, size_t len,
                                              struct vt_diag *diag);

/* Header fields (valid while the reader is open). */
const struct vt_rec_info *vt_session_info(const struct vt_session_reader *s);
int64_t vt_session_start(const struct vt_session_reader *s);

/*
 * Next event: 1 with *t_ms (absolute, wall clock of the recording), *ev and
 * *data, *len (valid until the next call): the bytes of a data line, the
 * text of any other (a reason; for the JSON events, an object the reader
 * has checked parses); 0 at end; -1 with a diagnostic naming file and
 * line. A truncated last line (crash while writing) ends the file without
 * an error. JSON events in a format-1 file are errors.
 */
int vt_session_next(struct vt_session_reader *s, int64_t *t_ms, enum vt_rec_event *ev,
                    const uint8_t **data, size_t *len, struct vt_diag *diag);

/* The line of the event vt_session_next returned last (for diagnostics of its argument). */
int vt_session_line(const struct vt_session_reader *s);

void vt_session_close(struct vt_session_reader **s);

#endif
