/*
 * libFuzzer target for the GE / Datex-Ohmeda DRI bytes: the ge-dri driver
 * (host side) and the emulated S/5 monitor (device side) that share dri.h.
 * Each input is played four ways:
 *
 *   1. raw line bytes, whole and in chunks the input sizes;
 *   2. as a record in a frame with a good checksum, and as the basic
 *      class of a well-formed displayed-values record (its first 270
 *      bytes; shorter inputs padded with the invalid marker), so the
 *      fuzzer works on the record and value decoding;
 *   3. raw bytes followed by a good record, which must be decoded to its
 *      values whatever came before (a flag always starts a frame);
 *   4. as the host's bytes to the emulated monitor (its respond()), whose
 *      records, whatever it was sent, the driver reads without a drop.
 *
 * It stops on a crash, a sanitizer report, or a broken promise: only the
 * driver's parameters and flags, valid a subset of reported, values finite
 * and in range; the counters match what was fed and delivered; the split
 * never changes the result.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/drivers/dri.h"
#include "fuzz_readings.h"
#include "vitals/drivers/driver.h"
#include "vitals/emulator/encode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_run
s_feed(const struct vt_driver *d, void *state, const uint8_t *data, size_t size,
       const uint8_t *cuts, size_t ncuts)
{
	struct fuzz_run run = fuzz_run_new(vt_driver_params(d));
	struct vt_tx tx = {0};
	struct vt_driver_sink sink = {.reading = fuzz_on_reading, .ctx = &run, .now = 1000, .tx = &tx};
	d->reset(state, NULL);
	d->connect(state, NULL, 0, &sink);
	for (size_t pos = 0, k = 0; pos < size;) {
		size_t n = fuzz_chunk(cuts, ncuts, k++, size - pos);
		d->feed(state, data + pos, n, &sink);
		pos += n;
	}
	fuzz_check(tx.dropped == 0);
	struct vt_driver_stats st;
	d->stats(state, &st);
	fuzz_check(st.bytes == size);
	fuzz_check(st.records == run.readings);
	fuzz_check(st.discarded <= size);
	size_t flags = 0;
	for (size_t i = 0; i < size; i++)
		flags += data[i] == VT_DRI_FLAG;
	fuzz_check(run.readings <= flags);
	return run;
}

static struct fuzz_run
s_both(const struct vt_driver *d, void *state, const uint8_t *data, size_t size,
       const uint8_t *cuts, size_t ncuts)
{
	struct fuzz_run whole = s_feed(d, state, data, size, NULL, 0);
	struct fuzz_run split = s_feed(d, state, data, size, cuts, ncuts);
	fuzz_check(whole.hash == split.hash && whole.readings == split.readings);
	return whole;
}

/* A displayed-values record at t_s whose basic class is `b`, framed. */
static size_t
s_record(const uint8_t b[270], uint32_t t_s, uint8_t *out, size_t cap)
{
	uint8_t rec[VT_DRI_HDR + VT_DRI_PHDB_LEN];
	vt_dri_displayed(b, t_s, rec);
	return vt_dri_frame(rec, sizeof rec, out, cap);
}

/* A good record: HR 66 with the leads off, SpO2 95.5 and PR 67. */
static size_t
s_good(uint8_t *out, size_t cap)
{
	uint8_t b[270] = {0};
	vt_dri_put32(b + VT_DRI_ECG, VT_DRI_EXISTS | VT_DRI_ECG_CH1_OFF);
	vt_dri_put16(b + VT_DRI_ECG + 6, 66);
	vt_dri_put16(b + VT_DRI_ECG + 14, VT_DRI_INVALID);
	vt_dri_put32(b + VT_DRI_SPO2, VT_DRI_EXISTS);
	vt_dri_put16(b + VT_DRI_SPO2 + 6, 9550);
	vt_dri_put16(b + VT_DRI_SPO2 + 8, 67);
	return s_record(b, 5000, out, cap);
}

/* The emulated monitor answers `data` as the host's bytes; the driver reads every record. */
static void
s_device(const uint8_t *data, size_t size)
{
	struct fuzz_device f = fuzz_device_open("ge-dri");
	struct vt_reading shown = {0};
	vt_reading_set(&shown, VT_HR, 64);
	vt_reading_set(&shown, VT_ETCO2, 36);
	vt_reading_set(&shown, VT_NIBP_SYS, 120);
	vt_reading_set(&shown, VT_NIBP_DIA, 80);
	struct fuzz_run run = fuzz_run_new(vt_driver_params(f.d));
	struct vt_driver_sink sink = {.reading = fuzz_on_reading, .ctx = &run, .now = 1000};
	size_t n = f.e->encode(f.es, &shown, 1000, f.out, VT_ENCODE_MAX);
	f.d->feed(f.ds, f.out, n, &sink);
	fuzz_device_answer(&f, data, size, 2000, &sink);
	for (int64_t t = 3000; t < 8000; t += 1000) {
		n = f.e->encode(f.es, &shown, t, f.out, VT_ENCODE_MAX);
		f.d->feed(f.ds, f.out, n, &sink);
	}
	fuzz_device_close(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	const struct vt_driver *d = vt_driver_find("ge-dri");
	fuzz_check(d != NULL);
	void *state = malloc(d->state_size);
	uint8_t *buf = malloc(2 * size + 4096);
	fuzz_check(state != NULL && buf != NULL);
	const uint8_t *cuts = data;
	size_t ncuts = size < 8 ? size : 8;

	/* 1: raw bytes. */
	s_both(d, state, data, size, cuts, ncuts);

	/* 2: a record in a good frame; the basic class of a good record. */
	size_t n = vt_dri_frame(data, size, buf, 2 * size + 4096);
	fuzz_check(n > 0);
	s_both(d, state, buf, n, cuts, ncuts);
	uint8_t b[270];
	for (size_t i = 0; i + 1 < sizeof b; i += 2)
		vt_dri_put16(b + i, VT_DRI_INVALID);
	memcpy(b, data, size < sizeof b ? size : sizeof b);
	n = s_record(b, 7000, buf, 4096);
	struct fuzz_run one = s_both(d, state, buf, n, cuts, ncuts);
	fuzz_check(one.readings == 1);

	/* 3: anything, then a good record. */
	memcpy(buf, data, size);
	n = size + s_good(buf + size, 4096);
	struct fuzz_run tail = s_both(d, state, buf, n, cuts, ncuts);
	fuzz_check(tail.readings >= 1);
	const struct vt_reading *r = &tail.last;
	fuzz_check(r->valid == (VT_PARAM_BIT(VT_HR) | VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_PR)));
	fuzz_check(r->value[VT_HR] == 66 && fabs(r->value[VT_SPO2] - 95.5) < 1e-9 &&
	        r->value[VT_PR] == 67);
	fuzz_check(r->flags == VT_FLAG_LEADS_OFF);

	/* 4: the monitor's side. */
	s_device(data, size);
	free(buf);
	free(state);
	return 0;
}
