/*
 * libFuzzer target for HL7: the syntax reader (hl7.h), what IHE PCD means
 * (hl7_pcd.h: observations, alarms, senders, acknowledgements) and the
 * hl7-mllp driver around them. The input is read as one message, then fed
 * to the driver framed, whole and in chunks sized by the input, and
 * followed by a good message. It stops on a crash, a sanitizer report, or a
 * broken promise:
 *   - every piece lies inside the message; decoded text is terminated and
 *     within its buffer;
 *   - a reading has only known parameters, valid within reported, values
 *     finite and in range, ages never negative, spot and timed within valid;
 *   - alarms have terminated text and known kinds and priorities;
 *   - an acknowledgement is always there, bounded, framed, has no control
 *     byte but the segment ends, reads back as HL7 with our separators, and
 *     acknowledges the message's own control id;
 *   - the driver's output does not depend on how the bytes were split, and a
 *     good frame after anything at all is read and answered AA (unless the
 *     transmit buffer of one call was full, which the driver counts).
 */
#include "fuzz_check.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/drivers/driver.h"
#include "vitals/drivers/hl7_pcd.h"
#include "vitals/drivers/mllp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_inside(const struct vt_hl7_msg *m, struct vt_hl7_str s)
{
	fuzz_check(s.n == 0 || (s.p >= m->p && s.p + s.n <= m->p + m->n));
}

static void
s_reading(const struct vt_reading *r)
{
	fuzz_check((r->valid & ~r->reported) == 0);
	fuzz_check((r->reported >> VT_PARAM_COUNT) == 0);
	fuzz_check(((r->spot | r->timed) & ~r->valid) == 0);
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		if (!(r->valid & VT_PARAM_BIT(p)))
			continue;
		fuzz_check(isfinite(r->value[p]));
		fuzz_check(r->value[p] >= vt_param_info(p)->min && r->value[p] <= vt_param_info(p)->max);
		fuzz_check(!(r->timed & VT_PARAM_BIT(p)) || r->age_ms[p] >= 0);
	}
}

static void
s_alarm(const struct vt_device_alarm *a)
{
	fuzz_check(memchr(a->code, 0, sizeof a->code) && memchr(a->source, 0, sizeof a->source) &&
	        memchr(a->text, 0, sizeof a->text));
	fuzz_check(a->code[0] != '\0');
	fuzz_check(a->kind == VT_KIND_TECHNICAL || a->kind == VT_KIND_PHYSIOLOGICAL);
	fuzz_check(a->priority >= VT_PRIO_LOW && a->priority <= VT_PRIO_HIGH);
	fuzz_check(a->param >= -1 && a->param < VT_PARAM_COUNT);
}

/* An acknowledgement of m (NULL: of no message) keeps its promises. */
static void
s_ack(const struct vt_hl7_msg *m)
{
	uint8_t out[VT_HL7_ACK_MAX];
	size_t n = vt_hl7_ack(m, m ? "AA" : "AE", m ? NULL : "why", 1700000000000, 7, out, sizeof out);
	fuzz_check(n >= 3 && n <= VT_HL7_ACK_MAX);
	fuzz_check(out[0] == VT_MLLP_START && out[n - 2] == VT_MLLP_END && out[n - 1] == '\r');
	for (size_t i = 1; i + 2 < n; i++)
		fuzz_check(out[i] >= 0x20 || out[i] == '\r');
	struct vt_hl7_msg a;
	char err[128];
	fuzz_check(vt_hl7_open(&a, (const char *)out + 1, n - 3, err, sizeof err) == 0);
	fuzz_check(a.field == '|' && a.comp == '^' && a.rep == '~' && a.esc == '\\' && a.sub == '&');
	struct vt_hl7_str msa;
	fuzz_check(vt_hl7_find(&a, "MSA", &msa));
	if (m == NULL)
		return;
	/* The control id comes back as it was (when it is short enough to be kept whole). */
	char want[64], got[64];
	size_t wn = vt_hl7_text(m, vt_hl7_field(m, vt_hl7_msh(m), 10), want, sizeof want);
	vt_hl7_text(&a, vt_hl7_field(&a, msa, 2), got, sizeof got);
	bool printable = true;
	for (size_t i = 0; i < wn; i++)
		printable &= (unsigned char)want[i] >= 0x20;
	if (wn < 40 && printable)
		fuzz_check(strcmp(want, got) == 0);
}

static void
s_message(const uint8_t *data, size_t size)
{
	struct vt_hl7_msg m;
	char err[160];
	if (vt_hl7_open(&m, (const char *)data, size, err, sizeof err) != 0) {
		fuzz_check(memchr(err, 0, sizeof err) != NULL && err[0] != '\0');
		s_ack(NULL);
		return;
	}
	size_t pos = 0;
	struct vt_hl7_str seg;
	for (int k = 0; k < 64 && vt_hl7_segment(&m, &pos, &seg); k++) {
		s_inside(&m, seg);
		for (int f = 1; f <= 20; f++) {
			struct vt_hl7_str field = vt_hl7_field(&m, seg, f);
			s_inside(&m, field);
			for (int c = 1; c <= 4; c++) {
				struct vt_hl7_str comp = vt_hl7_comp(&m, field, c);
				s_inside(&m, comp);
				char t[16];
				size_t n = vt_hl7_text(&m, comp, t, sizeof t);
				fuzz_check(n < sizeof t && t[n] == '\0');
			}
			int64_t local;
			int zone;
			bool zoned;
			if (vt_hl7_time(&m, field, &local, &zone, &zoned) == 0)
				fuzz_check(zone >= -14 * 60 && zone <= 14 * 60);
		}
	}
	struct vt_reading r;
	struct vt_hl7_skips sk;
	int n = vt_hl7_observations(&m, &r, &sk);
	fuzz_check(n == __builtin_popcount(r.reported));
	s_reading(&r);
	struct vt_device_alarm da[4];
	size_t na = vt_hl7_alarms(&m, da, 4);
	fuzz_check(na <= 4);
	for (size_t i = 0; i < na; i++)
		s_alarm(&da[i]);
	vt_hl7_from(&m, "ICU^^1");
	vt_hl7_from(&m, "00A0370098007A80");
	s_ack(&m);
}

/* What the driver did with one feed of the bytes. */
struct s_run {
	vt_param_mask mine;       /* the parameters the driver declares it yields */
	uint64_t hash, readings, alarms;
	uint64_t sent_hash, sent; /* the bytes sent, apart: a full buffer drops some */
	uint32_t dropped;         /* messages the transmit buffer could not take */
	bool good_acked;          /* the last acknowledgement is the good message's AA */
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
	s_reading(r);
	fuzz_check((r->reported & ~run->mine) == 0);
	s_mix(run, &r->reported, sizeof r->reported);
	s_mix(run, &r->valid, sizeof r->valid);
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		if (r->valid & VT_PARAM_BIT(p))
			s_mix(run, &r->value[p], sizeof r->value[p]);
	run->readings++;
}

static void
s_on_alarm(void *ctx, const struct vt_device_alarm *da)
{
	struct s_run *run = ctx;
	s_alarm(da);
	s_mix(run, da->code, strlen(da->code));
	run->alarms++;
}

#define S_GOOD "MSH|^~\\&|M||||||ORU^R01|GOOD1|P|2.6\rOBX|1|NM|147842^^MDC|1|77||||||R\r"

static struct s_run
s_feed(const struct vt_driver *d, void *state, const uint8_t *in, size_t len,
       const uint8_t *cuts, size_t ncuts)
{
	struct s_run run = {.mine = vt_driver_params(d), .hash = 0xCBF29CE484222325ull};
	static struct vt_tx tx;
	struct vt_driver_sink sink = {.reading = s_on_reading, .device_alarm = s_on_alarm,
	                              .ctx = &run, .now = 0, .tx = &tx};
	d->reset(state, NULL);
	for (size_t pos = 0, k = 0; pos < len; k++) {
		size_t n = len - pos;
		if (ncuts > 0 && (size_t)cuts[k % ncuts] * 13 % 257 + 1 < n)
			n = (size_t)cuts[k % ncuts] * 13 % 257 + 1;
		tx.len = 0;
		tx.dropped = 0;
		d->feed(state, in + pos, n, &sink);
		uint64_t h = run.hash;
		run.hash = run.sent_hash;
		s_mix(&run, tx.buf, tx.len);
		run.sent_hash = run.hash;
		run.hash = h;
		run.sent += tx.len;
		run.dropped += tx.dropped;
		if (tx.len > 0)
			run.good_acked = memmem(tx.buf, tx.len, "MSA|AA|GOOD1\r", 13) != NULL &&
			                 tx.buf[tx.len - 1] == '\r';
		pos += n;
	}
	struct vt_driver_stats st;
	d->stats(state, &st);
	fuzz_check(st.bytes == len && st.records == run.readings && st.discarded <= len);
	return run;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 32768)
		return 0;
	s_message(data, size);

	const struct vt_driver *d = vt_driver_find("hl7-mllp");
	fuzz_check(d != NULL);
	void *state = malloc(d->state_size);
	uint8_t *in = malloc(size + 3 + sizeof S_GOOD + 3);
	fuzz_check(state != NULL && in != NULL);
	size_t n = vt_mllp_frame(data, size, in, size + 3);
	n += vt_mllp_frame((const uint8_t *)S_GOOD, sizeof S_GOOD - 1, in + n, sizeof S_GOOD + 2);
	struct s_run whole = s_feed(d, state, in, n, NULL, 0);
	struct s_run split = s_feed(d, state, in, n, data, size < 8 ? size : 8);
	fuzz_check(whole.hash == split.hash && whole.readings == split.readings &&
	        whole.alarms == split.alarms);
	/* A frame of many messages can fill the transmit buffer of one call. */
	if (whole.dropped == 0 && split.dropped == 0)
		fuzz_check(whole.sent_hash == split.sent_hash && whole.sent == split.sent);
	if (split.dropped == 0)
		fuzz_check(split.good_acked);
	fuzz_check(whole.readings >= 1);
	free(in);
	free(state);
	return 0;
}
