/*
 * GE / Datex-Ohmeda S/5 monitor, computer interface (`ge-dri`): the
 * monitor's side of what the ge-dri driver speaks (dri.h holds the bytes
 * both use). It sends nothing until asked; a displayed-values request
 * with an interval makes it send one record at once and one every
 * interval after, until a request with interval 0 stops it (-1: one
 * record only).
 *
 * Each record holds the basic physiological subrecord: ECG heart rate
 * (and the impedance breathing rate when there is no capnograph), NIBP,
 * T1, SpO2 and pulse rate, EtCO2 and the capnograph's breathing rate,
 * each group with its "exists" bit; values it does not have are the
 * invalid marker. The NIBP shows the last measurement with the "older
 * than 60 s" bit once it is. Every cuff cycle shows as the monitor shows
 * it: the "measuring" bit over the value shown before, in the next record
 * due, then the cycle's result without the bit: the new value, or for a
 * failed cycle the old one again. So a measurement is shown from the
 * record after the one due with the row that brings it (the cycle ran
 * meanwhile).
 */
#include <math.h>
#include <string.h>

#include "vitals/drivers/dri.h"
#include "vitals/emulator/encode.h"

/* The ambient pressure the capnograph reports, 1/10 mmHg. */
#define S_AMBIENT 7600

struct s_dri {
	struct vt_reading r;     /* what the monitor shows now */
	int64_t now_ms;          /* at the last period */
	int interval_s;          /* records every this often; 0: not asked */
	int64_t next_ms;         /* when the next one is due */
	struct vt_encode_polled faults; /* deaf, or spoiling the next record */
	struct vt_encode_cuff cuff; /* the last NIBP measurement */
	struct vt_encode_cuff before; /* the one shown while the cycle runs */
	bool failing;            /* the monitor says the last measurement failed */
	bool cycle;              /* the next record shows a measurement cycle running */
	struct vt_dri_reader in;  /* the host's request being read */
};

static void
s_reset(void *state, const struct vt_encode_config *cfg)
{
	(void)cfg;
	memset(state, 0, sizeof(struct s_dri));
	vt_dri_reader_reset(&((struct s_dri *)state)->in);
}

/* An int16 field: the value of `p` times `scale`, or the invalid marker. */
static int
s_field(const struct vt_reading *r, enum vt_param p, double scale)
{
	int v;
	return vt_encode_int(r, p, scale, -32000, 32767, &v) ? v : VT_DRI_INVALID;
}

/* A group's header: status (exists, and `bits`), label. */
static void
s_group(uint8_t *g, bool exists, uint32_t bits, uint16_t label)
{
	vt_dri_put32(g, exists ? VT_DRI_EXISTS | bits : 0);
	vt_dri_put16(g + 4, label);
}

/* The basic class of a displayed-values subrecord. */
static void
s_basic(struct s_dri *s, uint8_t *b)
{
	const struct vt_reading *r = &s->r;
	vt_param_mask rep = r->reported;
	bool capno = rep & VT_PARAM_BIT(VT_ETCO2);
	/* Every field starts invalid; the groups fill in what they have. */
	for (size_t i = 0; i + 1 < 270; i += 2)
		vt_dri_put16(b + i, VT_DRI_INVALID);
	/* ECG: 16 bytes; P1..P4: 14 each; NIBP 14; T1..T4: 8 each; SpO2 14; CO2 14. */
	static const size_t groups[] = {0, 16, 30, 44, 58, VT_DRI_NIBP, VT_DRI_T1, VT_DRI_T2, 102,
	                                110, VT_DRI_SPO2, VT_DRI_CO2};
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		s_group(b + groups[i], false, 0, 0);

	s_group(b + VT_DRI_ECG, rep & VT_PARAM_BIT(VT_HR),
	        (r->flags & VT_FLAG_LEADS_OFF) ? VT_DRI_ECG_CH1_OFF : 0, 0);
	vt_dri_put16(b + VT_DRI_ECG + 6, s_field(r, VT_HR, 1));
	if (!capno)
		vt_dri_put16(b + VT_DRI_ECG + 14, s_field(r, VT_RR, 1));

	const struct vt_encode_cuff *shown = s->cycle ? &s->before : &s->cuff;
	bool nibp = s->cuff.have || s->cycle || (rep & VT_PARAM_BIT(VT_NIBP_SYS));
	uint16_t label = 0;
	if (s->cycle)
		label |= VT_DRI_NIBP_MEASURING;
	if (shown->have && s->now_ms - shown->at_ms > 60000)
		label |= VT_DRI_NIBP_OLD;
	s_group(b + VT_DRI_NIBP, nibp, 0, label);
	for (int k = 0; k < 3; k++)
		vt_dri_put16(b + VT_DRI_NIBP + 6 + 2 * k,
		             shown->have ? (int)lround(shown->bp[k] * 100) : VT_DRI_INVALID);

	s_group(b + VT_DRI_T1, rep & VT_PARAM_BIT(VT_TEMP), 0, 0);
	vt_dri_put16(b + VT_DRI_T1 + 6, s_field(r, VT_TEMP, 100));

	s_group(b + VT_DRI_SPO2, rep & (VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_PR)), 0, 0);
	vt_dri_put16(b + VT_DRI_SPO2 + 6, s_field(r, VT_SPO2, 100));
	vt_dri_put16(b + VT_DRI_SPO2 + 8, s_field(r, VT_PR, 1));

	s_group(b + VT_DRI_CO2, capno, (r->flags & VT_FLAG_CO2_OCCLUSION) ? VT_DRI_CO2_OCCLUSION : 0,
	        0);
	/* EtCO2 as 1/100 % of the ambient pressure. */
	vt_dri_put16(b + VT_DRI_CO2 + 6, s_field(r, VT_ETCO2, 1e5 / S_AMBIENT));
	vt_dri_put16(b + VT_DRI_CO2 + 10, capno ? s_field(r, VT_RR, 1) : VT_DRI_INVALID);
	vt_dri_put16(b + VT_DRI_CO2 + 12, S_AMBIENT);
}

/* A wrong checksum: one bit of the first plain byte after the flag flipped. */
static void
s_spoil(uint8_t *frame, size_t n)
{
	for (size_t i = 1; i + 1 < n; i++) {
		if (frame[i] == VT_DRI_ESC || frame[i - 1] == VT_DRI_ESC)
			continue;
		uint8_t b = (uint8_t)(frame[i] ^ 0x01);
		if (b == VT_DRI_FLAG || b == VT_DRI_ESC)
			b = (uint8_t)(frame[i] ^ 0x02);
		frame[i] = b;
		return;
	}
}

/* One displayed-values record, framed, appended to out. */
static void
s_record(struct s_dri *s, uint8_t *out, size_t cap, size_t *n)
{
	uint8_t basic[270], rec[VT_DRI_HDR + VT_DRI_PHDB_LEN];
	s_basic(s, basic);
	s->cycle = false;
	vt_dri_displayed(basic, (uint32_t)(s->now_ms / 1000), rec);
	size_t f = vt_dri_frame(rec, sizeof rec, out + *n, cap - *n);
	if (f == 0)
		return;
	if (s->faults.bad_check)
		s_spoil(out + *n, f);
	s->faults.bad_check = false;
	*n += f;
}

/* A request record from the host. */
static void
s_request(struct s_dri *s, const uint8_t *rec, size_t len, uint8_t *out, size_t cap, size_t *n)
{
	if (len < 49 || (size_t)vt_dri_i16(rec) != len || vt_dri_i16(rec + 14) != VT_DRI_MT_PHDB ||
	    rec[16 + 2] != VT_DRI_SR_REQ || rec[40] != VT_DRI_PH_DISPL || s->faults.deaf)
		return;
	int interval = vt_dri_i16(rec + 41);
	if (interval == 0) {
		s->interval_s = 0;
		return;
	}
	s_record(s, out, cap, n);
	s->interval_s = interval > 0 ? interval : 0;
	s->next_ms = s->now_ms + (int64_t)s->interval_s * 1000;
}

static size_t
s_respond(void *state, const uint8_t *in, size_t len, int64_t wall_ms, uint8_t *out, size_t cap)
{
	struct s_dri *s = state;
	size_t n = 0;
	s->now_ms = wall_ms;
	for (size_t i = 0; i < len; i++) {
		const uint8_t *rec;
		size_t rlen;
		const char *why = NULL;
		/* What it cannot read, a monitor ignores. */
		if (vt_dri_reader_byte(&s->in, in[i], &rec, &rlen, &why) == VT_GOT_FRAME)
			s_request(s, rec, rlen, out, cap, &n);
	}
	return n;
}

static size_t
s_encode(void *state, const struct vt_reading *r, int64_t wall_ms, uint8_t *out, size_t cap)
{
	struct s_dri *s = state;
	s->r = *r;
	s->now_ms = wall_ms;
	struct vt_encode_cuff last = s->cuff;
	vt_encode_cuff_update(&s->cuff, r, wall_ms);
	/* A cuff cycle ran: one that measured, or one that failed (the old value stays). */
	bool failing = (r->flags & VT_FLAG_NIBP_FAILED) != 0;
	if ((s->cuff.have && (!last.have || s->cuff.at_ms != last.at_ms)) || (failing && !s->failing)) {
		s->before = last;
		s->cycle = true;
	}
	s->failing = failing;
	size_t n = 0;
	if (s->interval_s > 0 && wall_ms >= s->next_ms) {
		s_record(s, out, cap, &n);
		s->next_ms += (int64_t)s->interval_s * 1000;
		if (s->next_ms <= wall_ms)
			s->next_ms = wall_ms + (int64_t)s->interval_s * 1000;
	}
	return n;
}

static size_t
s_misbehave(void *state, enum vt_encode_fault f, int64_t wall_ms, uint8_t *out, size_t cap)
{
	struct s_dri *s = state;
	if (!vt_encode_polled_fault(&s->faults, f))
		s->interval_s = 0; /* a drop: restarted, the request is forgotten */
	(void)wall_ms;
	(void)out;
	(void)cap;
	return 0;
}

const struct vt_encoder vt_encoder_ge_dri = {
	.name = "ge-dri",
	.description = "GE / Datex-Ohmeda S/5 monitor, computer interface (answers requests)",
	.default_baud = 19200,
	.period_num_ms = 1000,
	.period_den = 1,
	.state_size = sizeof(struct s_dri),
	.reset = s_reset,
	.encode = s_encode,
	.respond = s_respond,
	.faults = VT_ENCODE_POLLED_FAULTS,
	.misbehave = s_misbehave,
};
