/*
 * MLLP, the Minimal Lower Layer Protocol that carries HL7 v2 over TCP: each
 * message is framed as VT (0x0B), the message, FS (0x1C), CR (0x0D). This
 * finds the frames in a byte stream that arrives in arbitrary pieces, the
 * way a socket delivers it: a frame split across reads, several frames in
 * one read, bytes between frames, a frame cut off by the next one's VT, and
 * a frame too long to keep. Pure, and bounded by VT_MLLP_MAX: a sender that
 * never ends its frame costs that much memory and no more.
 */
#ifndef VITALS_DRIVERS_MLLP_H
#define VITALS_DRIVERS_MLLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VT_MLLP_START 0x0B /* VT: a frame begins */
#define VT_MLLP_END 0x1C   /* FS: the frame ends (a CR follows) */

/*
 * The longest message kept, in bytes. A one-second ECG waveform message
 * from a bedside monitor is about 3 KB and numerics far less; a longer
 * message is still answered (its head, which holds MSH, is kept), but it
 * is not read.
 */
#define VT_MLLP_MAX 65536

struct vt_mllp {
	bool in_frame;              /* between VT and FS */
	bool after_end;             /* FS seen: a CR here belongs to it */
	bool truncated;             /* the frame outgrew buf; only its head is kept */
	size_t len;                 /* bytes of the frame in buf */
	uint8_t buf[VT_MLLP_MAX];   /* the frame so far, without VT */
};

/*
 * Receives each frame without VT, FS and CR. `truncated`: longer than
 * VT_MLLP_MAX, and `len` bytes are its head.
 */
typedef void (*vt_mllp_frame_fn)(void *ctx, const uint8_t *frame, size_t len, bool truncated);

/* Counters the caller keeps (a driver's stats). */
struct vt_mllp_counts {
	uint64_t discarded; /* bytes outside any frame */
	uint64_t cut;       /* frames cut short by the next VT, never ended */
};

/* Forget any partial frame. */
void vt_mllp_reset(struct vt_mllp *d);

/* Find the frames in `bytes`; call fn once per complete frame. */
void vt_mllp_feed(struct vt_mllp *d, const uint8_t *bytes, size_t len, vt_mllp_frame_fn fn,
                  void *ctx, struct vt_mllp_counts *counts);

/*
 * `len` bytes of message framed for the wire into out (len + 3 bytes).
 * Returns the framed length, or 0 if cap is too small.
 */
size_t vt_mllp_frame(const uint8_t *msg, size_t len, uint8_t *out, size_t cap);

#endif
