/*
 * The DRI frame, its reader, and the records both sides build (dri.h).
 * The checksum is the sum of the record's bytes before escaping, and is
 * itself escaped: the vendor's own example frames include one whose
 * checksum is 0x7D, sent as 7D 5D.
 */
#include <string.h>

#include "vitals/drivers/dri.h"

/* Append `b` escaped; false when out is full. */
static bool
s_put(uint8_t b, uint8_t *out, size_t cap, size_t *n)
{
	bool esc = b == VT_DRI_FLAG || b == VT_DRI_ESC;
	if (*n + 1 + esc > cap)
		return false;
	if (esc) {
		out[(*n)++] = VT_DRI_ESC;
		b ^= 0x20;
	}
	out[(*n)++] = b;
	return true;
}

size_t
vt_dri_frame(const uint8_t *record, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0;
	uint8_t sum = 0;
	if (cap < 2)
		return 0;
	out[n++] = VT_DRI_FLAG;
	for (size_t i = 0; i < len; i++) {
		sum = (uint8_t)(sum + record[i]);
		if (!s_put(record[i], out, cap, &n))
			return 0;
	}
	if (!s_put(sum, out, cap, &n) || n + 1 > cap)
		return 0;
	out[n++] = VT_DRI_FLAG;
	return n;
}

size_t
vt_dri_request(uint8_t type, int16_t interval_s, uint32_t classes, uint8_t out[49])
{
	memset(out, 0, 49);
	vt_dri_put16(out, 49);                 /* r_len */
	vt_dri_put16(out + 14, VT_DRI_MT_PHDB); /* r_maintype */
	/* One subrecord, the request at offset 0, then the end of the list. */
	out[16 + 2] = VT_DRI_SR_REQ;
	out[19 + 2] = VT_DRI_SR_END;
	out[40] = type;
	vt_dri_put16(out + 41, interval_s);
	vt_dri_put32(out + 43, classes);
	return 49;
}

size_t
vt_dri_displayed(const uint8_t basic[270], uint32_t t_s, uint8_t out[VT_DRI_HDR + VT_DRI_PHDB_LEN])
{
	memset(out, 0, VT_DRI_HDR + VT_DRI_PHDB_LEN);
	vt_dri_put16(out, VT_DRI_HDR + VT_DRI_PHDB_LEN); /* r_len */
	vt_dri_put32(out + 6, t_s);                      /* r_time */
	vt_dri_put16(out + 14, VT_DRI_MT_PHDB);          /* r_maintype */
	out[16 + 2] = VT_DRI_PH_DISPL;                   /* subrecord 0 at offset 0 */
	out[19 + 2] = VT_DRI_SR_END;
	vt_dri_put32(out + VT_DRI_HDR, t_s);             /* its time */
	memcpy(out + VT_DRI_HDR + 4, basic, 270);
	return VT_DRI_HDR + VT_DRI_PHDB_LEN;
}

void
vt_dri_reader_reset(struct vt_dri_reader *r)
{
	memset(r, 0, sizeof(*r));
}

/* A frame ended at a flag: its checksum. */
static enum vt_got
s_frame_end(struct vt_dri_reader *r, const uint8_t **rec, size_t *len, const char **why)
{
	if (r->overflow || r->esc) {
		*why = r->overflow ? "frame too long" : "frame aborted";
		return VT_GOT_BAD;
	}
	if (r->n < 2) {
		*why = "frame too short";
		return r->n > 0 ? VT_GOT_BAD : VT_GOT_NOTHING;
	}
	uint8_t sum = 0;
	for (size_t i = 0; i + 1 < r->n; i++)
		sum = (uint8_t)(sum + r->rec[i]);
	if (sum != r->rec[r->n - 1]) {
		*why = "bad checksum";
		return VT_GOT_BAD_CHECK;
	}
	*rec = r->rec;
	*len = r->n - 1;
	return VT_GOT_FRAME;
}

enum vt_got
vt_dri_reader_byte(struct vt_dri_reader *r, uint8_t b, const uint8_t **rec, size_t *len,
                   const char **why)
{
	if (b == VT_DRI_FLAG) {
		/* The same flag closes one frame and may open the next. */
		enum vt_got got = r->in_frame ? s_frame_end(r, rec, len, why) : VT_GOT_NOTHING;
		r->in_frame = true;
		r->esc = r->overflow = false;
		r->n = 0;
		return got;
	}
	if (!r->in_frame)
		return VT_GOT_OUTSIDE;
	if (b == VT_DRI_ESC && !r->esc) {
		r->esc = true;
		return VT_GOT_NOTHING;
	}
	if (r->esc) {
		b ^= 0x20;
		r->esc = false;
	}
	if (r->n == sizeof r->rec)
		r->overflow = true;
	else
		r->rec[r->n++] = b;
	return VT_GOT_NOTHING;
}
