/*
 * For the fuzz targets of the polled monitors' drivers (fuzz_philips.c,
 * fuzz_ge.c), which check the readings they deliver the same way: only the
 * driver's parameters, valid a subset of reported, timed a subset of valid,
 * known flags, every value finite and in its parameter's range; and a
 * digest of everything delivered, so that two runs (whole and split) can
 * be compared; the same split of the input into chunks; and the same
 * monitor's side, the emulated monitor answering the input as the host's
 * bytes while the driver reads what it sends. A broken promise aborts,
 * which libFuzzer reports.
 */
#ifndef FUZZ_READINGS_H
#define FUZZ_READINGS_H

#include "fuzz_check.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "vitals/base/sample.h"
#include "vitals/drivers/driver.h"
#include "vitals/emulator/encode.h"

/* What one run delivered. */
struct fuzz_run {
	vt_param_mask mine;      /* the parameters the driver declares it yields (vt_driver_params) */
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

/*
 * The k-th chunk of a split feed with `left` bytes still to go: 1 to 23
 * bytes as the cuts (the input's first bytes) say, all that is left when
 * there are no cuts.
 */
static inline size_t
fuzz_chunk(const uint8_t *cuts, size_t ncuts, size_t k, size_t left)
{
	if (ncuts > 0 && (size_t)cuts[k % ncuts] % 23 + 1 < left)
		return (size_t)cuts[k % ncuts] % 23 + 1;
	return left;
}

/* A driver face to face with the emulated monitor of its protocol, both reset. */
struct fuzz_device {
	const struct vt_encoder *e;
	const struct vt_driver *d;
	void *es, *ds;  /* their states */
	uint8_t *out;   /* VT_ENCODE_REPLY_MAX bytes: what the monitor sends */
};

static inline struct fuzz_device
fuzz_device_open(const char *protocol)
{
	struct fuzz_device f = {.e = vt_encoder_find(protocol), .d = vt_driver_find(protocol)};
	fuzz_check(f.e != NULL && f.d != NULL);
	f.es = malloc(f.e->state_size);
	f.ds = malloc(f.d->state_size);
	f.out = malloc(VT_ENCODE_REPLY_MAX);
	fuzz_check(f.es != NULL && f.ds != NULL && f.out != NULL);
	f.e->reset(f.es, NULL);
	f.d->reset(f.ds, NULL);
	return f;
}

/* The monitor's answer to the host's `in` at wall_ms, read by the driver. */
static inline void
fuzz_device_answer(struct fuzz_device *f, const uint8_t *in, size_t len, int64_t wall_ms,
                   struct vt_driver_sink *sink)
{
	size_t n = f->e->respond(f->es, in, len, wall_ms, f->out, VT_ENCODE_REPLY_MAX);
	fuzz_check(n <= VT_ENCODE_REPLY_MAX);
	f->d->feed(f->ds, f->out, n, sink);
}

/* The driver read whatever the monitor sent without a drop; both are freed. */
static inline void
fuzz_device_close(struct fuzz_device *f)
{
	struct vt_driver_stats st;
	f->d->stats(f->ds, &st);
	fuzz_check(st.dropped == 0);
	free(f->out);
	free(f->es);
	free(f->ds);
}

#endif
