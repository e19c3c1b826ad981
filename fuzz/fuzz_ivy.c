/*
 * libFuzzer target for the Ivy 450C ANSAR-B driver. The input is played
 * three ways: as raw line bytes; as the numeric records of one message
 * (between a real start, a waveform block and the end byte), so the fuzzer
 * spends its time on the record grammar rather than on finding the
 * 409-byte message start; and as raw bytes followed by one good message.
 * It stops on a crash, a sanitizer report, or a broken promise:
 *   - only the driver's parameters, valid a subset of reported, every value
 *     finite and in its parameter's range;
 *   - the counters match what was fed and what was delivered;
 *   - the split of the bytes never changes what comes out;
 *   - no more readings than message starts (0xFF) fed;
 *   - whatever came before, a whole good message that follows is decoded
 *     to its values (0xFF always starts a message: no input can wedge the
 *     driver past the next one).
 */
#include "fuzz_check.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/drivers/driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_GOOD_TEXT "HR=1;80;ECG-II-DIAG;\rSPO2=1;97;PR=81 ;\rNIBP=4;121;75;92;80;;\r"

struct s_run {
	vt_param_mask mine;      /* the parameters the driver declares it yields */
	uint64_t hash;
	uint64_t readings;
	struct vt_reading last;
};

static void
s_on_reading(void *ctx, const struct vt_reading *r)
{
	struct s_run *run = ctx;
	fuzz_check((r->reported & ~run->mine) == 0);
	fuzz_check((r->valid & ~r->reported) == 0);
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		if (!(r->valid & VT_PARAM_BIT(p)))
			continue;
		fuzz_check(isfinite(r->value[p]));
		fuzz_check(r->value[p] >= vt_param_info(p)->min && r->value[p] <= vt_param_info(p)->max);
		const uint8_t *b = (const uint8_t *)&r->value[p];
		for (size_t i = 0; i < sizeof r->value[p]; i++)
			run->hash = (run->hash ^ b[i]) * 0x100000001B3ull;
	}
	run->hash = (run->hash ^ r->reported ^ (uint64_t)r->valid << 32) * 0x100000001B3ull;
	run->readings++;
	run->last = *r;
}

/* Feed `data`, whole (ncuts 0) or in chunks sized by `cuts`; check the counters. */
static struct s_run
s_feed(const struct vt_driver *d, void *state, const uint8_t *data, size_t size,
       const uint8_t *cuts, size_t ncuts)
{
	struct s_run run = {.mine = vt_driver_params(d), .hash = 0xCBF29CE484222325ull};
	struct vt_driver_sink sink = {.reading = s_on_reading, .ctx = &run};
	d->reset(state, NULL);
	for (size_t pos = 0, k = 0; pos < size;) {
		size_t n = size - pos;
		if (ncuts > 0 && (size_t)cuts[k % ncuts] % 23 + 1 < n)
			n = (size_t)cuts[k % ncuts] % 23 + 1;
		k++;
		d->feed(state, data + pos, n, &sink);
		pos += n;
	}
	struct vt_driver_stats st;
	d->stats(state, &st);
	fuzz_check(st.bytes == size);
	fuzz_check(st.records == run.readings);
	fuzz_check(st.discarded <= size);
	size_t starts = 0;
	for (size_t i = 0; i < size; i++)
		starts += data[i] == 0xFF;
	fuzz_check(run.readings <= starts);
	return run;
}

/* Whole and split give the same; the whole run. */
static struct s_run
s_both(const struct vt_driver *d, void *state, const uint8_t *data, size_t size,
       const uint8_t *cuts, size_t ncuts)
{
	struct s_run whole = s_feed(d, state, data, size, NULL, 0);
	struct s_run split = s_feed(d, state, data, size, cuts, ncuts);
	fuzz_check(whole.hash == split.hash && whole.readings == split.readings);
	return whole;
}

/* Append one message with `text` as its records. */
static size_t
s_message(uint8_t *out, const uint8_t *text, size_t len)
{
	memcpy(out, "\xff" "ANSAR-B ", 9);
	for (size_t i = 0; i < 400; i++)
		out[9 + i] = (uint8_t)(100 + i % 50);
	memcpy(out + 409, text, len);
	out[409 + len] = 0xFE;
	return 410 + len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	const struct vt_driver *d = vt_driver_find("ivy-ansarb");
	fuzz_check(d != NULL);
	void *state = malloc(d->state_size);
	uint8_t *buf = malloc(size + 2 * 420 + sizeof S_GOOD_TEXT);
	fuzz_check(state != NULL && buf != NULL);
	const uint8_t *cuts = data;
	size_t ncuts = size < 8 ? size : 8;

	s_both(d, state, data, size, cuts, ncuts);

	size_t n = s_message(buf, data, size);
	s_both(d, state, buf, n, cuts, ncuts);

	memcpy(buf, data, size);
	n = size + s_message(buf + size, (const uint8_t *)S_GOOD_TEXT, sizeof S_GOOD_TEXT - 1);
	struct s_run tail = s_both(d, state, buf, n, cuts, ncuts);
	fuzz_check(tail.readings >= 1);
	const struct vt_reading *r = &tail.last;
	fuzz_check(r->valid == (VT_PARAM_BIT(VT_HR) | VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_PR) |
	                     VT_PARAM_BIT(VT_NIBP_SYS) | VT_PARAM_BIT(VT_NIBP_DIA) |
	                     VT_PARAM_BIT(VT_NIBP_MAP)));
	fuzz_check(r->value[VT_HR] == 80 && r->value[VT_SPO2] == 97 && r->value[VT_PR] == 81 &&
	        r->value[VT_NIBP_SYS] == 121 && r->value[VT_NIBP_DIA] == 75 &&
	        r->value[VT_NIBP_MAP] == 92);
	free(buf);
	free(state);
	return 0;
}
