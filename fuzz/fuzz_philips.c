/*
 * libFuzzer target for the Philips IntelliVue Data Export bytes: the
 * philips-mib driver (host side) and the emulated monitor (device side)
 * that share intellivue.h. Each input is played four ways:
 *
 *   1. raw line bytes into an associated serial driver (after the monitor's
 *      MDS create event), whole and in chunks the input sizes;
 *   2. as one message: framed with a good FCS after the MDS create event,
 *      and as one datagram on a LAN driver, so the fuzzer works on the
 *      message reader (vt_iv_read) rather than on finding a frame;
 *   3. raw bytes followed by a good poll result, which must be decoded to
 *      its values whatever came before (BOF always starts a frame);
 *   4. as the host's bytes to the emulated monitor (its respond()), whose
 *      answers, whatever it was sent, are whole frames the driver reads
 *      without a drop.
 *
 * It stops on a crash, a sanitizer report, or a broken promise: only the
 * driver's parameters and flags, valid a subset of reported, values finite
 * and in range; the counters match what was fed and delivered; the split
 * never changes the result; the driver's transmit buffer never overflows.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_readings.h"
#include "vitals/drivers/driver.h"
#include "vitals/drivers/intellivue.h"
#include "vitals/emulator/encode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The monitor's MDS create event, framed (serial) or as one datagram. */
static size_t
s_hello(bool datagram, uint8_t *out, size_t cap)
{
	struct vt_iv_identity id = {.manufacturer = "Philips", .model = "MX450", .serial = "1"};
	uint8_t msg[256];
	size_t n = vt_iv_mds_create_event(1, &id, msg, sizeof msg);
	if (!datagram)
		return vt_iv_frame(msg, n, out, cap);
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	memcpy(out + 2, msg, n);
	return n + 2;
}

/* Reset, associate, then feed data whole (ncuts 0) or in chunks from `cuts`. */
static struct fuzz_run
s_feed(const struct vt_driver *d, void *state, bool datagram, const uint8_t *data, size_t size,
       const uint8_t *cuts, size_t ncuts)
{
	struct fuzz_run run = fuzz_run_new(vt_driver_params(d));
	struct vt_tx tx = {0};
	struct vt_driver_sink sink = {.reading = fuzz_on_reading, .ctx = &run, .now = 1000, .tx = &tx};
	struct vt_driver_opts o = {.datagram = datagram};
	d->reset(state, &o);
	d->connect(state, NULL, 0, &sink);
	uint8_t hello[512];
	size_t hn = s_hello(datagram, hello, sizeof hello);
	d->feed(state, hello, hn, &sink);
	for (size_t pos = 0, k = 0; pos < size;) {
		size_t n = fuzz_chunk(cuts, ncuts, k++, size - pos);
		tx.len = 0;
		sink.now += 10;
		d->feed(state, data + pos, n, &sink);
		fuzz_check(tx.dropped == 0);
		pos += n;
	}
	tx.len = 0;
	sink.now += 60000;
	d->tick(state, &sink);
	fuzz_check(tx.dropped == 0 && tx.len > 0);
	struct vt_driver_stats st;
	d->stats(state, &st);
	fuzz_check(st.bytes == size + hn);
	fuzz_check(st.records == run.readings);
	fuzz_check(st.discarded <= size + hn);
	return run;
}

static struct fuzz_run
s_both(const struct vt_driver *d, void *state, bool datagram, const uint8_t *data, size_t size,
       const uint8_t *cuts, size_t ncuts)
{
	struct fuzz_run whole = s_feed(d, state, datagram, data, size, NULL, 0);
	struct fuzz_run split = s_feed(d, state, datagram, data, size, cuts, ncuts);
	fuzz_check(whole.hash == split.hash && whole.readings == split.readings);
	return whole;
}

/* A good numerics result: HR 71, SpO2 96, NIBP 118/76/90 measured 3 s before. */
static size_t
s_good_result(uint8_t *out, size_t cap)
{
	struct vt_iv_poll poll = {.poll_no = 9, .code = VT_IV_MOC_VMO_METRIC_NU, .rel_time = 80000};
	struct vt_iv_object objs[3] = {
	    {.handle = 1, .n_obs = 1, .obs = {{.physio = VT_IV_ECG_HR, .unit = VT_IV_DIM_BPM,
	                                       .value = vt_iv_float_from(71, 0)}}},
	    {.handle = 2, .n_obs = 1, .obs = {{.physio = VT_IV_SPO2, .unit = VT_IV_DIM_PERCENT,
	                                       .value = vt_iv_float_from(96, 0)}}},
	    {.handle = 3, .n_obs = 3,
	     .obs = {{.physio = VT_IV_NIBP_SYS, .unit = VT_IV_DIM_MMHG, .value = vt_iv_float_from(118, 0),
	              .has_rel = true, .rel = 80000 - 3000 * VT_IV_REL_PER_MS},
	             {.physio = VT_IV_NIBP_DIA, .unit = VT_IV_DIM_MMHG, .value = vt_iv_float_from(76, 0)},
	             {.physio = VT_IV_NIBP_MEAN, .unit = VT_IV_DIM_MMHG,
	              .value = vt_iv_float_from(90, 0)}}},
	};
	uint8_t msg[512];
	size_t n = vt_iv_poll_result(7, &poll, objs, 3, msg, sizeof msg);
	return vt_iv_frame(msg, n, out, cap);
}

/* The emulated monitor answers `data` as the host's bytes; the driver reads every answer. */
static void
s_device(const uint8_t *data, size_t size)
{
	struct fuzz_device f = fuzz_device_open("philips-mib");
	struct vt_reading shown = {0};
	vt_reading_set(&shown, VT_HR, 64);
	vt_reading_set(&shown, VT_NIBP_SYS, 120);
	vt_reading_set(&shown, VT_NIBP_DIA, 80);
	fuzz_check(f.e->encode(f.es, &shown, 1000, f.out, VT_ENCODE_MAX) == 0);
	struct fuzz_run run = fuzz_run_new(vt_driver_params(f.d));
	struct vt_driver_sink sink = {.reading = fuzz_on_reading, .ctx = &run, .now = 2000};
	/* An association first, so that polls in the input are answered. */
	uint8_t aarq[512], frame[1100];
	size_t fn = vt_iv_frame(aarq, vt_iv_aarq(1000, aarq, sizeof aarq), frame, sizeof frame);
	fuzz_device_answer(&f, frame, fn, 2000, &sink);
	fuzz_device_answer(&f, data, size, 3000, &sink);
	fuzz_device_close(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	const struct vt_driver *d = vt_driver_find("philips-mib");
	fuzz_check(d != NULL);
	void *state = malloc(d->state_size);
	uint8_t *buf = malloc(2 * size + 4096);
	fuzz_check(state != NULL && buf != NULL);
	const uint8_t *cuts = data;
	size_t ncuts = size < 8 ? size : 8;

	/* 1: raw serial bytes. */
	s_both(d, state, false, data, size, cuts, ncuts);

	/* 2: one framed message, and one datagram. */
	size_t n = vt_iv_frame(data, size, buf, 2 * size + 4096);
	fuzz_check(n > 0);
	struct fuzz_run one = s_both(d, state, false, buf, n, cuts, ncuts);
	fuzz_check(one.readings <= 1);
	buf[0] = (uint8_t)(size >> 8);
	buf[1] = (uint8_t)size;
	memcpy(buf + 2, data, size);
	struct fuzz_run dg = s_both(d, state, true, buf, size + 2, cuts, ncuts);
	fuzz_check(dg.readings == one.readings && dg.hash == one.hash);

	/* 3: anything, then a good result. */
	memcpy(buf, data, size);
	n = size + s_good_result(buf + size, 4096);
	struct fuzz_run tail = s_both(d, state, false, buf, n, cuts, ncuts);
	fuzz_check(tail.readings >= 1);
	const struct vt_reading *r = &tail.last;
	fuzz_check(r->valid == (VT_PARAM_BIT(VT_HR) | VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_NIBP_SYS) |
	                     VT_PARAM_BIT(VT_NIBP_DIA) | VT_PARAM_BIT(VT_NIBP_MAP)));
	fuzz_check(r->value[VT_HR] == 71 && r->value[VT_SPO2] == 96 && r->value[VT_NIBP_SYS] == 118 &&
	        r->value[VT_NIBP_DIA] == 76 && r->value[VT_NIBP_MAP] == 90);
	fuzz_check((r->timed & VT_PARAM_BIT(VT_NIBP_SYS)) && r->age_ms[VT_NIBP_SYS] == 3000);

	/* 4: the monitor's side. */
	s_device(data, size);
	free(buf);
	free(state);
	return 0;
}
