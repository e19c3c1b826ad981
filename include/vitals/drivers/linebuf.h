/*
 * Line assembly for the text protocols (Masimo ASCII 1, Nellcor real-time
 * ASCII). Both send one record per line with no checksum, so they share the
 * same framing worries: lines split across reads, CR LF or bare LF, NUL
 * padding in front of a line, a partial first line when the port opens in
 * the middle of one, and garbage that never ends a line. This module solves
 * those once, in a fixed buffer, and leaves the meaning of a line to the
 * driver.
 */
#ifndef VITALS_LINEBUF_H
#define VITALS_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line kept, in bytes, without its terminator. A Radical-7 rainbow
 * line is about 170 bytes; a Nellcor header about 90. */
#define VT_LINEBUF_MAX 512

/* How a delivered line came to be. */
enum vt_line_kind {
	VT_LINE_WHOLE,    /* a line between two terminators */
	VT_LINE_FIRST,    /* the first line since reset: its start may be missing */
	VT_LINE_OVERLONG  /* longer than VT_LINEBUF_MAX: text is cut, drop it */
};

/* Receives each non-empty line, NUL-terminated, without its terminator. */
typedef void (*vt_line_fn)(void *ctx, const char *line, size_t len, enum vt_line_kind kind);

struct vt_linebuf {
	char line[VT_LINEBUF_MAX + 1]; /* the line so far, NUL-terminated on delivery */
	size_t len;                    /* bytes in `line` */
	bool overlong;                 /* the current line outgrew the buffer */
	bool started;                  /* a line terminator has been seen since reset */
	bool skip_xonxoff;             /* drop DC1/DC3 (XON/XOFF) bytes wherever they are */
};

/* Forget any partial line; the next line delivered is VT_LINE_FIRST. */
void vt_linebuf_reset(struct vt_linebuf *lb, bool skip_xonxoff);

/*
 * Split `bytes` into lines. A line ends at CR or LF (so CR LF, LF and a bare
 * CR all work); empty lines are not delivered; NUL bytes before the first
 * character of a line are skipped. Calls `fn` once per completed line.
 */
void vt_linebuf_feed(struct vt_linebuf *lb, const uint8_t *bytes, size_t len,
                     vt_line_fn fn, void *ctx);

#endif
