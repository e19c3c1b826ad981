/*
 * The line diagnostics of one port (include/vitals/drivers/line.h): the
 * driver's counters turned into what a clinical engineer asks first when a
 * new monitor shows nothing, "is anything arriving, and why is it thrown
 * away?", and a guess at the protocol when it is not the configured one.
 */
#include <string.h>

#include "vitals/drivers/line.h"
#include "vitals/drivers/sniff.h"

void
vt_line_init(struct vt_line *l, const struct vt_driver *driver, const struct vt_driver_opts *opts,
             void *state, void *scratch)
{
	memset(l, 0, sizeof(*l));
	l->driver = driver;
	l->opts = vt_driver_opts_resolve(driver, opts);
	l->state = state;
	l->scratch = scratch;
	vt_line_reset(l);
}

void
vt_line_reset(struct vt_line *l)
{
	l->driver->reset(l->state, &l->opts);
	memset(&l->stats, 0, sizeof(l->stats));
	l->recent_len = l->recent_head = 0;
	l->sniffed_at = INT64_MIN;
}

/* Keep the latest VT_LINE_RECENT bytes. */
static void
s_remember(struct vt_line *l, const uint8_t *bytes, size_t len)
{
	if (len > VT_LINE_RECENT) {
		bytes += len - VT_LINE_RECENT;
		len = VT_LINE_RECENT;
	}
	for (size_t i = 0; i < len; i++) {
		l->recent[(l->recent_head + l->recent_len) % VT_LINE_RECENT] = bytes[i];
		if (l->recent_len < VT_LINE_RECENT)
			l->recent_len++;
		else
			l->recent_head = (l->recent_head + 1) % VT_LINE_RECENT;
	}
}

/* Which other protocol the recent bytes look like (NULL: none). */
static const struct vt_driver *
s_sniff(struct vt_line *l)
{
	uint8_t flat[VT_LINE_RECENT];
	size_t first = VT_LINE_RECENT - l->recent_head;
	if (first > l->recent_len)
		first = l->recent_len;
	memcpy(flat, l->recent + l->recent_head, first);
	memcpy(flat + first, l->recent, l->recent_len - first);
	return vt_driver_sniff(flat, l->recent_len, l->driver, l->scratch);
}

bool
vt_line_feed(struct vt_line *l, int64_t t, const uint8_t *bytes, size_t len,
             const struct vt_driver_sink *sink)
{
	struct vt_driver_stats before, after;
	l->driver->stats(l->state, &before);
	l->driver->feed(l->state, bytes, len, sink);
	l->driver->stats(l->state, &after);
	s_remember(l, bytes, len);

	struct vt_line_stats *s = &l->stats;
	s->bytes += len;
	s->frames += after.records - before.records;
	s->dropped += after.dropped - before.dropped;
	s->discarded += after.discarded - before.discarded;
	s->checksum += after.checksum - before.checksum;
	if (after.why != NULL)
		s->why = after.why;
	if (after.records > before.records) {
		s->last_frame = t;
		s->undecoded = 0;
		s->looks_like = NULL;
		return false;
	}
	s->undecoded += len;
	if (after.dropped == before.dropped && after.discarded == before.discarded)
		return false; /* a frame still under way */
	if (l->scratch != NULL && (l->sniffed_at == INT64_MIN || t - l->sniffed_at >= VT_LINE_SNIFF_MS)) {
		l->sniffed_at = t;
		const struct vt_driver *like = s_sniff(l);
		s->looks_like = like ? like->name : NULL;
	}
	return true;
}
