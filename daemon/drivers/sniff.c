/*
 * Which protocol do these bytes look like? When a port receives bytes its
 * driver cannot decode, the clinical engineer's first question is whether
 * the monitor speaks another protocol (the wrong DF# setting on a Nonin, a
 * Masimo where a Nellcor was expected). Every other driver is run over the
 * recent bytes from a fresh state; the one that decodes the most readings
 * (at least two, so that one lucky frame does not decide) is the answer.
 * Pure: the caller lends the scratch state.
 */
#include <string.h>

#include "vitals/drivers/sniff.h"

/* Readings a driver must decode from the bytes to be named. */
#define S_MIN_RECORDS 2

size_t
vt_driver_sniff_scratch_size(void)
{
	size_t most = 1;
	for (size_t i = 0; vt_drivers[i] != NULL; i++)
		if (vt_drivers[i]->state_size > most)
			most = vt_drivers[i]->state_size;
	return most;
}

const struct vt_driver *
vt_driver_sniff(const uint8_t *bytes, size_t len, const struct vt_driver *configured,
                void *scratch)
{
	const struct vt_driver *best = NULL;
	uint64_t best_records = S_MIN_RECORDS - 1;
	for (size_t i = 0; vt_drivers[i] != NULL; i++) {
		const struct vt_driver *d = vt_drivers[i];
		if (d == configured)
			continue;
		struct vt_driver_stats st;
		memset(scratch, 0, d->state_size);
		d->reset(scratch, NULL);
		d->feed(scratch, bytes, len, NULL);
		d->stats(scratch, &st);
		if (st.records > best_records) {
			best = d;
			best_records = st.records;
		}
	}
	return best;
}
