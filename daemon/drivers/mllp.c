/*
 * MLLP framing (mllp.h). The rules, in the order they matter:
 *
 *  - VT always starts a frame. A VT inside a frame means the sender gave up
 *    on the one before (a reconnect, a crash mid-message): that partial
 *    frame is cut and counted, never delivered.
 *  - FS ends a frame whether or not the CR follows (some senders leave it
 *    out); a CR right after FS is part of the trailer.
 *  - Bytes outside a frame (keep-alive newlines, noise) are discarded and
 *    counted.
 *  - A frame longer than VT_MLLP_MAX keeps its head and is delivered as
 *    truncated at its FS, so that the receiver can still answer it.
 */
#include <string.h>

#include "vitals/drivers/mllp.h"

void
vt_mllp_reset(struct vt_mllp *d)
{
	d->in_frame = false;
	d->after_end = false;
	d->truncated = false;
	d->len = 0;
}

void
vt_mllp_feed(struct vt_mllp *d, const uint8_t *bytes, size_t len, vt_mllp_frame_fn fn, void *ctx,
             struct vt_mllp_counts *counts)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = bytes[i];
		bool trailer = d->after_end && c == '\r';
		d->after_end = false;
		if (c == VT_MLLP_START) {
			if (d->in_frame)
				counts->cut++;
			d->in_frame = true;
			d->truncated = false;
			d->len = 0;
			continue;
		}
		if (!d->in_frame) {
			if (!trailer)
				counts->discarded++;
			continue;
		}
		if (c == VT_MLLP_END) {
			d->in_frame = false;
			d->after_end = true;
			if (fn != NULL)
				fn(ctx, d->buf, d->len, d->truncated);
			d->len = 0;
			continue;
		}
		/* Copy the run up to the next framing byte in one go. */
		size_t j = i;
		while (j < len && bytes[j] != VT_MLLP_START && bytes[j] != VT_MLLP_END)
			j++;
		size_t run = j - i, room = VT_MLLP_MAX - d->len;
		if (run > room) {
			d->truncated = true;
			run = room;
		}
		memcpy(d->buf + d->len, bytes + i, run);
		d->len += run;
		i = j - 1;
	}
}

size_t
vt_mllp_frame(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
	if (cap < 3 || len > cap - 3)
		return 0;
	out[0] = VT_MLLP_START;
	memcpy(out + 1, msg, len);
	out[len + 1] = VT_MLLP_END;
	out[len + 2] = '\r';
	return len + 3;
}
