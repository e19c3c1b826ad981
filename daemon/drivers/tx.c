/*
 * What the drivers of framed, two-way protocols share (driver.h): the
 * transmit buffer they fill, whole messages or nothing, so a full buffer
 * can never put half a frame on the wire (drivers queue a few small
 * messages per call, so a message that does not fit is a driver bug,
 * counted rather than truncated); and one way of counting what their
 * frame readers make of the bytes.
 */
#include <string.h>

#include "vitals/drivers/driver.h"

bool
vt_tx_put(struct vt_tx *tx, const void *bytes, size_t len)
{
	if (tx == NULL)
		return false;
	if (len > sizeof(tx->buf) - tx->len) {
		tx->dropped++;
		return false;
	}
	if (len > 0)
		memcpy(tx->buf + tx->len, bytes, len);
	tx->len += len;
	return true;
}

bool
vt_tx_put_datagram(struct vt_tx *tx, const void *bytes, size_t len)
{
	if (tx == NULL)
		return false;
	if (len > 0xFFFF || len + 2 > sizeof(tx->buf) - tx->len) {
		tx->dropped++;
		return false;
	}
	tx->buf[tx->len] = (uint8_t)(len >> 8);
	tx->buf[tx->len + 1] = (uint8_t)len;
	if (len > 0)
		memcpy(tx->buf + tx->len + 2, bytes, len);
	tx->len += len + 2;
	return true;
}

bool
vt_driver_got(struct vt_driver_stats *st, enum vt_got got, const char *why)
{
	switch (got) {
	case VT_GOT_OUTSIDE:
		st->discarded++;
		return false;
	case VT_GOT_BAD_CHECK:
		st->checksum++;
		/* fall through */
	case VT_GOT_BAD:
		st->dropped++;
		st->why = why;
		return false;
	case VT_GOT_FRAME:
		return true;
	case VT_GOT_NOTHING:
		break;
	}
	return false;
}
