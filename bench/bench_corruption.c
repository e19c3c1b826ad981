/*
 * How often a damaged serial line makes a driver report a wrong number.
 * Nothing a driver does can catch every corrupted byte: only DF#7 and DF#2
 * carry a checksum; Masimo and Nellcor ASCII lines and DF#8 records have
 * none, and a flipped bit can turn a 9 into an 8. A clinical engineer
 * choosing a protocol (and a cable) should know what that costs, so this
 * measures it: each protocol's own encoder sends the same reading (SpO2
 * 97 %, PR 72 bpm) period after period, every byte is hit with probability
 * p by a one-bit flip (the common line error), and the readings that come
 * out are counted: decoded, and wrong (a value present and not the one
 * sent). Beside it, in the same run, the clean line (p = 0), where every
 * period must decode and none be wrong. A program that prints figures; the
 * same seed gives the same figures on every machine.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/xorshift.h"
#include "vitals/drivers/driver.h"
#include "vitals/emulator/encode.h"

#define PERIODS 200000
#define SPO2 97
#define PR 72

struct tally {
	unsigned long readings, wrong_spo2, wrong_pr;
};

static void
s_on_reading(void *ctx, const struct vt_reading *r)
{
	struct tally *t = ctx;
	t->readings++;
	if ((r->valid & VT_PARAM_BIT(VT_SPO2)) && r->value[VT_SPO2] != SPO2)
		t->wrong_spo2++;
	if ((r->valid & VT_PARAM_BIT(VT_PR)) && r->value[VT_PR] != PR)
		t->wrong_pr++;
}

/* PERIODS periods of driver d's protocol, each byte flipped with probability p. */
static struct tally
s_run(const struct vt_driver *d, const struct vt_encoder *enc, double p, uint64_t seed,
      unsigned long *bytes, unsigned long *hits)
{
	struct tally t = {0};
	void *state = calloc(1, d->state_size ? d->state_size : 1);
	_Alignas(max_align_t) uint8_t es[VT_ENCODE_STATE_MAX];
	if (state == NULL) {
		perror("calloc");
		exit(1);
	}
	d->reset(state, NULL);
	enc->reset(es, NULL);
	struct vt_driver_sink sink = {.reading = s_on_reading, .ctx = &t};
	struct vt_reading truth = {0};
	vt_reading_set(&truth, VT_SPO2, SPO2);
	vt_reading_set(&truth, VT_PR, PR);
	vt_reading_set(&truth, VT_PI, 3.5);
	truth.has_status = true;
	uint64_t threshold = (uint64_t)(p * 18446744073709551615.0);
	uint64_t rng = seed;
	*bytes = *hits = 0;
	int64_t wall = 1795600000000;
	for (int i = 0; i < PERIODS; i++, wall += 1000) {
		uint8_t buf[VT_ENCODE_MAX];
		size_t len = enc->encode(es, &truth, wall, buf, sizeof(buf));
		for (size_t k = 0; p > 0 && k < len; k++)
			if (vt_xorshift64s(&rng) < threshold) {
				buf[k] ^= (uint8_t)(1u << (vt_xorshift64s(&rng) % 8));
				++*hits;
			}
		*bytes += len;
		d->feed(state, buf, len, &sink);
	}
	free(state);
	return t;
}

int
main(void)
{
	static const double rates[] = {0, 1e-5, 1e-4, 1e-3, 1e-2};
	printf("bench_corruption: %d periods of SpO2 %d %%, PR %d bpm per protocol; each byte flipped "
	       "(one bit) with probability p\n\n",
	       PERIODS, SPO2, PR);
	printf("%-14s %-7s %12s %10s %10s %12s %12s\n", "driver", "p", "bytes", "flips", "readings",
	       "wrong SpO2", "wrong PR");
	int bad = 0;
	for (size_t i = 0; vt_drivers[i] != NULL; i++) {
		const struct vt_driver *d = vt_drivers[i];
		const struct vt_encoder *enc = vt_encoder_find(d->name);
		if (enc == NULL) {
			fprintf(stderr, "%s: no encoder\n", d->name);
			return 1;
		}
		for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
			unsigned long bytes, hits;
			struct tally t = s_run(d, enc, rates[r], 0x9E3779B97F4A7C15ull + r, &bytes, &hits);
			printf("%-14s %-7g %12lu %10lu %10lu %12lu %12lu\n", d->name, rates[r], bytes, hits,
			       t.readings, t.wrong_spo2, t.wrong_pr);
			/* The baseline: a clean line decodes (nearly) every period, never wrongly. */
			if (rates[r] == 0 && (t.wrong_spo2 || t.wrong_pr || t.readings + 3 < PERIODS)) {
				fprintf(stderr, "%s: the clean line did not decode as sent\n", d->name);
				bad = 1;
			}
		}
	}
	return bad;
}
