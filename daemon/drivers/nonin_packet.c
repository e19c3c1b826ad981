/*
 * Frame and packet synchronisation for Nonin DF#2 and DF#7 (see
 * nonin_packet.h). The OEM III integration guide's procedure: find a frame
 * whose checksum is right and whose SYNC bit is set, count frames, and check
 * that frames 2-25 are all in sync too; use the packet only when all 25 are.
 *
 * The unconfirmed bytes of a packet are kept, so that when a frame fails the
 * hunt starts again one byte after the failed packet's first byte. A sync
 * frame that was only a lucky pattern in line noise then costs nothing: the
 * real first frame, which may overlap it, is still found. Every start
 * position is tried at most once, so the work per byte stays bounded by the
 * packet length even on hostile input.
 */
#include <string.h>

#include "vitals/drivers/nonin_packet.h"

void
vt_nonin_parser_reset(struct vt_nonin_parser *p, enum vt_nonin_format format)
{
	memset(p, 0, sizeof *p);
	p->format = format;
}

/* The status byte, pleth and float byte of a frame. */
static uint8_t
s_status(const struct vt_nonin_parser *p, const uint8_t *f)
{
	return p->format == VT_NONIN_DF2 ? f[1] : f[0];
}

/*
 * Is `f` a good frame number `index` (1-25)? Status byte with bit 7 set,
 * SYNC set on frame 1 only, float byte below 0x80 (the guide allows frames
 * 24-25 to break this on firmware 50), DF#2's constant 0x01 first byte, and
 * the 8-bit sum.
 */
static const char s_bad_sum[] = "checksum wrong";

/* NULL when it is; otherwise what is wrong with it, for the diagnostics. */
static const char *
s_frame_fault(const struct vt_nonin_parser *p, const uint8_t *f, int index)
{
	uint8_t status = s_status(p, f);
	if (!(status & VT_NONIN_ST_ALWAYS))
		return "status byte without bit 7";
	if (((status & VT_NONIN_ST_SYNC) != 0) != (index == 1))
		return index == 1 ? "no SYNC bit where a packet should start" : "SYNC bit inside a packet";
	if (p->format == VT_NONIN_DF2 && f[0] != 0x01)
		return "first byte of a DF2 frame is not 01";
	if (index < 24 && f[3] >= 0x80)
		return "value byte above 7F";
	return (uint8_t)(f[0] + f[1] + f[2] + f[3]) == f[4] ? NULL : s_bad_sum;
}

/* Split 125 confirmed bytes into a packet. */
static void
s_unpack(const struct vt_nonin_parser *p, const uint8_t *b, struct vt_nonin_packet *pkt)
{
	for (int i = 0; i < VT_NONIN_FRAMES; i++) {
		const uint8_t *f = b + i * VT_NONIN_FRAME;
		pkt->status[i] = s_status(p, f);
		if (p->format == VT_NONIN_DF2)
			pkt->pleth[i] = f[2];
		else
			pkt->pleth[i] = (uint16_t)(f[1] << 8 | f[2]);
		pkt->value[i] = f[3];
	}
}

/* Resolve as many buffered bytes as possible. */
static void
s_run(struct vt_nonin_parser *p, vt_nonin_packet_fn fn, void *ctx)
{
	for (;;) {
		if (p->frames == 0) {
			/* Hunting: slide one byte at a time to a good first frame. */
			if (p->len - p->head < VT_NONIN_FRAME)
				return;
			const char *fault = s_frame_fault(p, p->buf + p->head, 1);
			if (fault == NULL) {
				p->frames = 1;
			} else {
				/* Right after a packet the next one must start
				 * here: if it does not, a frame was lost. */
				if (p->in_sync) {
					p->stats.dropped++;
					p->stats.checksum += fault == s_bad_sum;
				}
				p->head++;
				p->stats.discarded++;
				p->stats.why = fault;
			}
			p->in_sync = false;
			continue;
		}
		size_t off = p->head + (size_t)p->frames * VT_NONIN_FRAME;
		if (p->len - off < VT_NONIN_FRAME)
			return;
		const char *fault = s_frame_fault(p, p->buf + off, p->frames + 1);
		if (fault != NULL) {
			/* Discard the packet; hunt again from its second byte. */
			p->stats.dropped++;
			p->stats.checksum += fault == s_bad_sum;
			p->stats.why = fault;
			p->stats.discarded++;
			p->head++;
			p->frames = 0;
			continue;
		}
		if (++p->frames < VT_NONIN_FRAMES)
			continue;
		struct vt_nonin_packet pkt;
		s_unpack(p, p->buf + p->head, &pkt);
		p->head += VT_NONIN_PACKET;
		p->frames = 0;
		p->in_sync = true;
		p->stats.records++;
		if (fn != NULL)
			fn(ctx, &pkt);
	}
}

void
vt_nonin_parser_feed(struct vt_nonin_parser *p, const uint8_t *bytes, size_t len,
                     vt_nonin_packet_fn fn, void *ctx)
{
	p->stats.bytes += len;
	while (len > 0) {
		/* Move the unresolved bytes to the front only when the buffer is
		 * full (cheap when fed a byte at a time). At most a packet less
		 * one byte is ever unresolved after s_run, so that leaves room. */
		if (p->head == p->len) {
			p->head = p->len = 0;
		} else if (p->len == sizeof p->buf) {
			memmove(p->buf, p->buf + p->head, p->len - p->head);
			p->len -= p->head;
			p->head = 0;
		}
		size_t n = sizeof p->buf - p->len;
		if (n > len)
			n = len;
		memcpy(p->buf + p->len, bytes, n);
		p->len += n;
		bytes += n;
		len -= n;
		s_run(p, fn, ctx);
	}
}

/* The 9-bit heart rate: HR8 and HR7 in bits 1-0 of one byte, HR6-0 in the next. */
static int
s_hr(const struct vt_nonin_packet *pkt, int msb_frame)
{
	return (pkt->value[msb_frame - 1] & 0x03) << 7 | (pkt->value[msb_frame] & 0x7F);
}

/* A 7-bit SpO2 byte. */
static int
s_spo2(const struct vt_nonin_packet *pkt, int frame)
{
	return pkt->value[frame - 1] & 0x7F;
}

void
vt_nonin_packet_values(const struct vt_nonin_packet *pkt, struct vt_nonin_values *out)
{
	out->hr = s_hr(pkt, 1);
	out->spo2 = s_spo2(pkt, 3);
	out->srev = pkt->value[3];
	out->stat2 = pkt->value[7];
	out->spo2_d = s_spo2(pkt, 9);
	out->spo2_fast = s_spo2(pkt, 10);
	out->spo2_bb = s_spo2(pkt, 11);
	out->e_hr = s_hr(pkt, 14);
	out->e_spo2 = s_spo2(pkt, 16);
	out->e_spo2_d = s_spo2(pkt, 17);
	out->hr_d = s_hr(pkt, 20);
	out->e_hr_d = s_hr(pkt, 22);
}

void
vt_nonin_packet_reading(const struct vt_nonin_packet *pkt, struct vt_reading *r)
{
	struct vt_nonin_values v;
	vt_nonin_packet_values(pkt, &v);
	memset(r, 0, sizeof *r);

	/* Values outside the documented ranges (SpO2 0-100, HR up to 321) have
	 * passed 25 checksums, so they are what the device sent; but they are
	 * not measurements, so they are no value rather than a number. */
	if (v.spo2_d <= 100)
		vt_reading_set(r, VT_SPO2, v.spo2_d);
	else
		vt_reading_set_missing(r, VT_SPO2);
	if (v.hr_d <= 321)
		vt_reading_set(r, VT_PR, v.hr_d);
	else
		vt_reading_set_missing(r, VT_PR);

	/* A condition seen in any frame holds for the packet: perfusion is
	 * only indicated during a pulse, and a short artifact still matters. */
	uint32_t flags = 0;
	for (int i = 0; i < VT_NONIN_FRAMES; i++) {
		uint8_t s = pkt->status[i];
		if (s & VT_NONIN_ST_SNSD)
			flags |= VT_FLAG_NO_SENSOR;
		if (s & VT_NONIN_ST_SNSA)
			flags |= VT_FLAG_SENSOR_OFF;
		if (s & VT_NONIN_ST_OOT)
			flags |= VT_FLAG_PULSE_SEARCH;
		if (s & VT_NONIN_ST_ARTF)
			flags |= VT_FLAG_ARTIFACT;
		switch (s & VT_NONIN_ST_PERF) {
		case 0x04: /* red: low or no pulse signal */
			flags |= VT_FLAG_LOW_PERFUSION;
			break;
		case 0x06: /* yellow: marginal signal */
			flags |= VT_FLAG_LOW_SIGNAL_IQ;
			break;
		default: /* green, or not in a pulse */
			break;
		}
	}
	/* STAT2 bit 0 is LOW BAT on the 9560/3150; the OEM III reserves the
	 * byte and sends 0 (seen in every packet of the OEM III capture). */
	if (v.stat2 & 0x01)
		flags |= VT_FLAG_LOW_BATTERY;
	r->flags = flags;
	r->has_status = true;
}

/* ---- the driver hooks DF#2 and DF#7 share ---- */

/* Carries the sink into the packet callback. */
struct s_feed {
	const struct vt_driver_sink *sink;
};

static void
s_on_packet(void *ctx, const struct vt_nonin_packet *pkt)
{
	const struct vt_driver_sink *sink = ((struct s_feed *)ctx)->sink;
	struct vt_reading r;
	vt_nonin_packet_reading(pkt, &r);
	if (sink != NULL && sink->reading != NULL)
		sink->reading(sink->ctx, &r);
}

void
vt_nonin_driver_feed(void *state, const uint8_t *bytes, size_t len,
                     const struct vt_driver_sink *sink)
{
	struct s_feed f = {.sink = sink};
	vt_nonin_parser_feed(state, bytes, len, s_on_packet, &f);
}

void
vt_nonin_driver_stats(const void *state, struct vt_driver_stats *out)
{
	*out = ((const struct vt_nonin_parser *)state)->stats;
}
