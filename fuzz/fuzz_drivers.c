/*
 * libFuzzer target for every device driver. Each input is fed to every
 * driver in vt_drivers[], once whole and once in chunks whose sizes come
 * from the input itself, and the fuzzer stops on any crash, sanitizer
 * report, or broken promise of the driver interface:
 *   - valid is a subset of reported, only the parameters the driver declares
 *     (vt_driver_params: the alarm engine awaits nothing else), known flags;
 *   - every value is finite and in the range the driver claims for it;
 *   - device info strings are terminated and limits are NaN or plausible;
 *   - the counters match what was fed and what was delivered;
 *   - how the bytes were split never changes what comes out.
 */
#include "fuzz_check.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/drivers/driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one run produced, folded into a digest so runs can be compared. */
struct s_run {
	vt_param_mask mine;      /* the parameters the driver declares it yields */
	uint64_t hash;
	uint64_t readings, infos;
};

static void
s_mix(struct s_run *run, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		run->hash = (run->hash ^ b[i]) * 0x100000001B3ull;
}

static void
s_on_reading(void *ctx, const struct vt_reading *r)
{
	struct s_run *run = ctx;
	fuzz_check((r->valid & ~r->reported) == 0);
	/* Only what it declares: the alarm engine awaits nothing else of the bed. */
	fuzz_check((r->reported & ~run->mine) == 0);
	fuzz_check((r->flags >> VT_FLAG_COUNT) == 0);
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		if (!(r->reported & VT_PARAM_BIT(p)))
			continue;
		if (r->valid & VT_PARAM_BIT(p)) {
			fuzz_check(isfinite(r->value[p]));
			fuzz_check(r->value[p] >= vt_param_info(p)->min && r->value[p] <= vt_param_info(p)->max);
			s_mix(run, &r->value[p], sizeof r->value[p]);
		}
	}
	s_mix(run, &r->reported, sizeof r->reported);
	s_mix(run, &r->valid, sizeof r->valid);
	s_mix(run, &r->flags, sizeof r->flags);
	uint8_t st = r->has_status;
	s_mix(run, &st, 1);
	run->readings++;
}

static void
s_limit(double v, double max)
{
	fuzz_check(isnan(v) || (v >= 0 && v <= max));
}

static void
s_on_info(void *ctx, const struct vt_device_info *info)
{
	struct s_run *run = ctx;
	fuzz_check(memchr(info->model, 0, sizeof info->model) != NULL);
	fuzz_check(memchr(info->version, 0, sizeof info->version) != NULL);
	fuzz_check(memchr(info->mode, 0, sizeof info->mode) != NULL);
	s_limit(info->spo2_low, 100);
	s_limit(info->spo2_high, 100);
	s_limit(info->pr_low, 350);
	s_limit(info->pr_high, 350);
	s_mix(run, info->model, strlen(info->model));
	s_mix(run, info->version, strlen(info->version));
	s_mix(run, info->mode, strlen(info->mode));
	run->infos++;
}

/* Feed `data` to `d` in chunks of the sizes listed in `cuts` (cycled), or
 * whole when ncuts is 0; check the counters. */
static struct s_run
s_feed(const struct vt_driver *d, void *state, const uint8_t *data, size_t size,
       const uint8_t *cuts, size_t ncuts)
{
	struct s_run run = {.mine = vt_driver_params(d), .hash = 0xCBF29CE484222325ull};
	struct vt_driver_sink sink = {.reading = s_on_reading, .info = s_on_info, .ctx = &run};
	d->reset(state, NULL);
	size_t pos = 0, k = 0;
	while (pos < size) {
		size_t n = size - pos;
		if (ncuts > 0) {
			size_t want = (size_t)cuts[k++ % ncuts] % 17 + 1;
			n = want < n ? want : n;
		}
		d->feed(state, data + pos, n, &sink);
		pos += n;
	}
	struct vt_driver_stats st;
	d->stats(state, &st);
	fuzz_check(st.bytes == size);
	fuzz_check(st.records == run.readings);
	fuzz_check(st.discarded <= size);
	return run;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* State as the core would allocate it: malloc, so aligned for anything. */
	for (size_t i = 0; vt_drivers[i] != NULL; i++) {
		const struct vt_driver *d = vt_drivers[i];
		void *state = malloc(d->state_size ? d->state_size : 1);
		fuzz_check(state != NULL);
		struct s_run whole = s_feed(d, state, data, size, NULL, 0);
		/* The chunk sizes come from the input's own first bytes. */
		struct s_run split = s_feed(d, state, data, size, data, size < 8 ? size : 8);
		fuzz_check(whole.hash == split.hash && whole.readings == split.readings &&
		        whole.infos == split.infos);
		free(state);
	}
	return 0;
}
