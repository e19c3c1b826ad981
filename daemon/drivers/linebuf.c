/*
 * Line assembly shared by the text drivers. It only finds line boundaries:
 * whether a line is a record, a header or garbage is the driver's business.
 * The buffer is fixed, so a stream that never sends a terminator costs a
 * bounded amount of memory and is reported as one overlong line per
 * terminator rather than growing without end.
 */
#include <string.h>

#include "vitals/drivers/linebuf.h"

void
vt_linebuf_reset(struct vt_linebuf *lb, bool skip_xonxoff)
{
	memset(lb, 0, sizeof *lb);
	lb->skip_xonxoff = skip_xonxoff;
}

/* Hand the current line to `fn` (if it has any text) and start a new one. */
static void
s_end_line(struct vt_linebuf *lb, vt_line_fn fn, void *ctx)
{
	if (lb->len > 0 || lb->overlong) {
		enum vt_line_kind kind = VT_LINE_WHOLE;
		if (lb->overlong)
			kind = VT_LINE_OVERLONG;
		else if (!lb->started)
			kind = VT_LINE_FIRST;
		lb->line[lb->len] = '\0';
		fn(ctx, lb->line, lb->len, kind);
	}
	lb->len = 0;
	lb->overlong = false;
	lb->started = true;
}

void
vt_linebuf_feed(struct vt_linebuf *lb, const uint8_t *bytes, size_t len,
                vt_line_fn fn, void *ctx)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = bytes[i];
		if (c == '\r' || c == '\n') {
			s_end_line(lb, fn, ctx);
			continue;
		}
		/* Masimo pads some lines with NULs in front; they carry nothing. */
		if (c == '\0' && lb->len == 0 && !lb->overlong)
			continue;
		if (lb->skip_xonxoff && (c == 0x11 || c == 0x13))
			continue;
		if (lb->len < VT_LINEBUF_MAX)
			lb->line[lb->len++] = (char)c;
		else
			lb->overlong = true;
	}
}
