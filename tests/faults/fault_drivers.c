/*
 * Fault: a serial line that carries nothing but rubbish. A wrong baud
 * rate, a loose connector or a monitor in the wrong output mode gives a
 * driver megabytes of noise; it must neither crash nor report a value the
 * device never sent, and it must find the real protocol again as soon as
 * it comes back. Every driver in the table gets 10 MB, in read-sized
 * chunks of random length: half uniform random bytes, half mutated copies
 * of its own protocol (valid periods with bytes flipped, dropped and
 * inserted, which reach deeper into a parser than uniform noise). Then
 * twenty good periods from the protocol's encoder must decode to exactly
 * their values. A monitor that answers a host (philips-mib, ge-dri) sends
 * what it answers its own driver's polls in a session in process
 * (driver_talk.h): the noise is that stream mutated, and the good periods
 * begin with a new association. Pass: no crash or sanitizer report; counters add up
 * (bytes fed, readings delivered, nothing dropped or discarded beyond what
 * was fed); every reading reported is well formed and in range; the good
 * periods after the noise decode.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/xorshift.h"
#include "vitals/drivers/driver.h"
#include "vitals/emulator/encode.h"

#include "../support/support.h"

#define NOISE_BYTES (10u << 20)
#define GOOD_PERIODS 20

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t
s_next(void)
{
	return vt_xorshift64s(&rng);
}

/* Whether any of these drivers produces parameter p (its range is vt_param_info's). */
static bool
s_driver_param(int p)
{
	return p == VT_SPO2 || p == VT_PR || p == VT_PI || p == VT_SPCO || p == VT_SPMET || p == VT_PVI ||
	       p == VT_HR || p == VT_RR || p == VT_ETCO2 || p == VT_NIBP_SYS || p == VT_NIBP_DIA ||
	       p == VT_NIBP_MAP || p == VT_TEMP;
}

struct sink {
	uint64_t readings;
	uint64_t bad;              /* readings that broke a promise */
	struct vt_reading last[GOOD_PERIODS * 2];
	size_t n_last;             /* readings kept while collecting the good tail */
	bool keep;
};

static void
s_on_reading(void *ctx, const struct vt_reading *r)
{
	struct sink *s = ctx;
	s->readings++;
	bool ok = (r->valid & ~r->reported) == 0 && (r->reported >> VT_PARAM_COUNT) == 0 &&
	          (r->flags >> VT_FLAG_COUNT) == 0;
	for (int p = 0; ok && p < VT_PARAM_COUNT; p++)
		if (r->valid & VT_PARAM_BIT(p))
			ok = s_driver_param(p) && isfinite(r->value[p]) &&
			     r->value[p] >= vt_param_info(p)->min && r->value[p] <= vt_param_info(p)->max;
	s->bad += !ok;
	if (s->keep && s->n_last < sizeof(s->last) / sizeof(s->last[0]))
		s->last[s->n_last++] = *r;
}

/* A device of the protocol: its encoder's state, and for a monitor that
 * answers a host, the session with its driver that makes it talk. */
struct s_dev {
	const struct vt_encoder *enc;
	_Alignas(max_align_t) uint8_t state[VT_ENCODE_STATE_MAX];
	struct vt_rig_talk talk;
	bool polled;
};

static void
s_dev_start(struct s_dev *dv, const struct vt_encoder *enc, int64_t t0)
{
	dv->enc = enc;
	dv->polled = enc->respond != NULL;
	if (!dv->polled) {
		enc->reset(dv->state, NULL);
		return;
	}
	/* Polled every second: a period's answer each second. */
	struct vt_driver_opts o = {.poll_ms = 1000};
	cr_assert_eq(vt_rig_talk_start(&dv->talk, enc->name, &o, NULL, t0), 0);
}

static void
s_dev_free(struct s_dev *dv)
{
	if (dv->polled)
		vt_rig_talk_free(&dv->talk);
}

/* One valid period of the protocol with these values (what the device sends in it). */
static size_t
s_period(struct s_dev *dv, int spo2, int pr, int64_t t, uint8_t *out)
{
	struct vt_reading r = {0};
	vt_reading_set(&r, VT_SPO2, spo2);
	vt_reading_set(&r, VT_PR, pr);
	vt_reading_set(&r, VT_PI, 3.5);
	r.has_status = true;
	if (!dv->polled)
		return dv->enc->encode(dv->state, &r, t, out, VT_ENCODE_MAX);
	/* The bytes it sent its driver during the next second (the association first). */
	dv->talk.shown = r;
	vt_rig_talk_run(&dv->talk, dv->talk.now + 1000);
	size_t n = dv->talk.wire_len < VT_ENCODE_MAX ? dv->talk.wire_len : VT_ENCODE_MAX;
	memcpy(out, dv->talk.wire, n);
	dv->talk.wire_len = 0;
	return n;
}

/* 10 MB of noise for driver d, built as described at the top. */
static uint8_t *
s_noise(const struct vt_encoder *enc)
{
	uint8_t *buf = malloc(NOISE_BYTES);
	cr_assert_not_null(buf);
	size_t half = NOISE_BYTES / 2, n = 0;
	while (n < half)
		buf[n++] = (uint8_t)s_next();
	static struct s_dev dv;
	int64_t t = 1795600000000;
	s_dev_start(&dv, enc, t);
	while (n < NOISE_BYTES) {
		uint8_t period[VT_ENCODE_MAX];
		size_t len = s_period(&dv, 80 + (int)(s_next() % 21), 40 + (int)(s_next() % 200), t,
		                      period);
		t += 1000;
		/* A few edits per period: flip, drop or insert a byte. */
		for (int e = (int)(s_next() % 4); e > 0 && len > 1; e--) {
			size_t at = s_next() % len;
			switch (s_next() % 3) {
			case 0: period[at] ^= (uint8_t)(1u << (s_next() % 8)); break;
			case 1: memmove(period + at, period + at + 1, len - at - 1), len--; break;
			default:
				if (len < VT_ENCODE_MAX) {
					memmove(period + at + 1, period + at, len - at);
					period[at] = (uint8_t)s_next();
					len++;
				}
			}
		}
		for (size_t i = 0; i < len && n < NOISE_BYTES; i++)
			buf[n++] = period[i];
	}
	s_dev_free(&dv);
	return buf;
}

Test(fault_drivers, ten_megabytes_of_noise_into_every_driver, .timeout = 300)
{
	for (size_t i = 0; vt_drivers[i] != NULL; i++) {
		const struct vt_driver *d = vt_drivers[i];
		const struct vt_encoder *enc = vt_encoder_find(d->name);
		cr_assert_not_null(enc, "%s has no encoder to make its protocol from", d->name);
		uint8_t *noise = s_noise(enc);
		void *state = malloc(d->state_size ? d->state_size : 1);
		cr_assert_not_null(state);
		d->reset(state, NULL);
		struct sink sink = {0};
		struct vt_driver_sink ds = {.reading = s_on_reading, .ctx = &sink};
		for (size_t pos = 0; pos < NOISE_BYTES;) {
			size_t n = 1 + s_next() % 4096;
			if (n > NOISE_BYTES - pos)
				n = NOISE_BYTES - pos;
			d->feed(state, noise + pos, n, &ds);
			pos += n;
		}
		struct vt_driver_stats st;
		d->stats(state, &st);
		cr_expect_eq(st.bytes, NOISE_BYTES, "%s: bytes counted", d->name);
		cr_expect_eq(st.records, sink.readings, "%s: readings counted", d->name);
		cr_expect_leq(st.discarded, st.bytes, "%s: discarded", d->name);
		cr_expect_leq(st.dropped, st.bytes, "%s: dropped", d->name);
		cr_expect_eq(sink.bad, 0, "%s: %llu readings out of range or malformed", d->name,
		             (unsigned long long)sink.bad);

		/* The device comes back: good periods decode to their values. */
		static struct s_dev dv;
		s_dev_start(&dv, enc, 1795700000000);
		sink.keep = true;
		for (int k = 0; k < GOOD_PERIODS; k++) {
			uint8_t period[VT_ENCODE_MAX];
			size_t len = s_period(&dv, 90 + k % 10, 60 + k, 1795700000000 + k * 1000, period);
			d->feed(state, period, len, &ds);
		}
		s_dev_free(&dv);
		/* The first period or two may be swallowed while the driver resynchronises. */
		cr_assert_geq(sink.n_last, GOOD_PERIODS - 2, "%s: only %zu of %d good periods decoded",
		              d->name, sink.n_last, GOOD_PERIODS);
		for (size_t k = 0; k < 5; k++) {
			const struct vt_reading *r = &sink.last[sink.n_last - 1 - k];
			int want = GOOD_PERIODS - 1 - (int)k;
			cr_expect(r->valid & VT_PARAM_BIT(VT_PR), "%s: no pulse rate", d->name);
			cr_expect_eq(r->value[VT_PR], 60 + want, "%s: pr %g", d->name, r->value[VT_PR]);
			cr_expect_eq(r->value[VT_SPO2], 90 + want % 10, "%s: spo2 %g", d->name,
			             r->value[VT_SPO2]);
		}
		cr_log_info("%s: %llu readings, %llu dropped, %llu bytes discarded in 10 MB of noise",
		            d->name, (unsigned long long)st.records, (unsigned long long)st.dropped,
		            (unsigned long long)st.discarded);
		free(state);
		free(noise);
	}
}
