/*
 * For the fuzz targets of the polled monitors' drivers (fuzz_philips.c,
 * fuzz_ge.c), which check the readings they deliver the same way: only the
 * driver's parameters, valid a subset of reported, timed a subset of valid,
 * known flags, every value finite and in its parameter's range; and a
 * digest of everything delivered, so that two runs (whole and split) can
 * be compared. A broken promise aborts, which libFuzzer reports.
 */
#ifndef FUZZ_READINGS_H
#define FUZZ_READINGS_H

#include "fuzz_check.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "vitals/base/sample.h"

/* What one run delivered. */
struct fuzz_run {
	vt_param_mask mine;      /* the parameters the driver may report */
	uint64_t hash;           /* FNV-1a over every reading */
	uint64_t readings;
	struct vt_reading last;
};

static inline void
fuzz_mix(struct fuzz_run *run, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		run->hash = (run->hash ^ b[i]) * 0x100000001B3ull;
}

/* A sink's reading callback; ctx is a struct fuzz_run. */
static inline void
fuzz_on_reading(void *ctx, const struct vt_reading *r)
{
	struct fuzz_run *run = ctx;
	fuzz_check((r->reported & ~run->mine) == 0);
	fuzz_check((r->valid & ~r->reported) == 0);
	fuzz_check((r->timed & ~r->valid) == 0);
	fuzz_check((r->flags >> VT_FLAG_COUNT) == 0);
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		if (!(r->valid & VT_PARAM_BIT(p)))
			continue;
		fuzz_check(isfinite(r->value[p]));
		fuzz_check(r->value[p] >= vt_param_info(p)->min && r->value[p] <= vt_param_info(p)->max);
		fuzz_mix(run, &r->value[p], sizeof r->value[p]);
		if (r->timed & VT_PARAM_BIT(p)) {
			fuzz_mix(run, &r->age_ms[p], sizeof r->age_ms[p]);
			fuzz_mix(run, &r->stamp_ms[p], sizeof r->stamp_ms[p]);
		}
	}
	fuzz_mix(run, &r->reported, sizeof r->reported);
	fuzz_mix(run, &r->valid, sizeof r->valid);
	fuzz_mix(run, &r->flags, sizeof r->flags);
	run->readings++;
	run->last = *r;
}

/* A fresh run for a driver that may report `mine`. */
static inline struct fuzz_run
fuzz_run_new(vt_param_mask mine)
{
	return (struct fuzz_run){.mine = mine, .hash = 0xCBF29CE484222325ull};
}

#endif
