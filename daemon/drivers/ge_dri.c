/*
 * GE / Datex-Ohmeda S/5 monitors (AS/3, CS/3, and the CARESCAPE B-series'
 * S/5 computer interface) over the Datex Record Interface (`ge-dri`).
 *
 * The monitor sends its displayed values every `interval` seconds once
 * asked, until told to stop. So the driver asks on connect, asks again when
 * records stop coming for three intervals (a monitor restarted, a cable
 * changed), and tells the monitor to stop on disconnect. Each record's
 * basic physiological subrecord gives one reading: ECG heart rate, NIBP,
 * SpO2 and pulse rate, EtCO2 and respiratory rate, temperature.
 *
 * The basic subrecord gives no time of its own to a blood pressure. A
 * measurement is timed by the record in which it first appears (the
 * monitor's own clock, at most one interval late); the NIBP group's
 * "measuring" and "older than 60 s" status bits tell a new measurement
 * from a repeated one, and a failed one (a measurement cycle that ended
 * with the old value still shown), so a new measurement of exactly the
 * last pressures is still new. Pure.
 */
#include <math.h>
#include <string.h>

#include "vitals/drivers/dri.h"
#include "vitals/drivers/driver.h"

extern const struct vt_driver vt_driver_ge_dri;

/* No record for this many intervals (and at least S_SILENCE_MIN_MS): ask again. */
#define S_SILENCE_INTERVALS 3
#define S_SILENCE_MIN_MS 10000

struct s_state {
	struct vt_driver_opts opts;
	struct vt_dri_reader in; /* the frame being read */
	int64_t next;          /* the next tick: ask again when nothing came */
	bool asked;            /* a request is out */
	/* the blood pressure on the monitor's screen */
	int16_t bp[3];         /* sys, dia, mean as last seen */
	bool have_bp;          /* a measurement was seen */
	uint32_t bp_at;        /* its time on the monitor's clock (s) */
	bool bp_timed;         /* bp_at is its measurement time (not a guess) */
	bool measuring;        /* a measurement cycle was running at the last record */
	bool cycle_took;       /* the running cycle already gave a new value */
	bool shown_old;        /* the last settled record showed it older than a minute */
	bool failed;           /* the last cycle ended without a new value */
	struct vt_driver_stats stats;
};

/* The request interval in whole seconds (at least 1). */
static int16_t
s_interval_s(const struct s_state *st)
{
	int64_t s = (st->opts.poll_ms + 999) / 1000;
	return (int16_t)(s < 1 ? 1 : s > 3600 ? 3600 : s);
}

static void
s_reset(void *state, const struct vt_driver_opts *opts)
{
	struct s_state *st = state;
	memset(st, 0, sizeof(*st));
	st->opts = vt_driver_opts_resolve(&vt_driver_ge_dri, opts);
	st->next = INT64_MAX;
}

static void
s_request(struct s_state *st, const struct vt_driver_sink *sink, int16_t interval)
{
	uint8_t rec[49], frame[2 * 49 + 4];
	vt_dri_request(VT_DRI_PH_DISPL, interval, 0, rec);
	if (sink != NULL && sink->tx != NULL)
		vt_tx_put(sink->tx, frame, vt_dri_frame(rec, sizeof rec, frame, sizeof frame));
}

/* When silence means the monitor forgot the request. */
static int64_t
s_silence_ms(const struct s_state *st)
{
	int64_t ms = (int64_t)S_SILENCE_INTERVALS * s_interval_s(st) * 1000;
	return ms < S_SILENCE_MIN_MS ? S_SILENCE_MIN_MS : ms;
}

/* ---- a record ------------------------------------------------------------ */

/* An int16 field `v` scaled to a value, or reported as no value. */
static void
s_value(struct vt_reading *r, enum vt_param p, int v, double scale)
{
	const struct vt_param_info *pi = vt_param_info(p);
	double x = v * scale;
	if (v <= VT_DRI_INVALID_LIMIT || x < pi->min || x > pi->max)
		vt_reading_set_missing(r, p);
	else
		vt_reading_set(r, p, x);
}

/*
 * The blood pressure of a record at `t` (monitor clock, s). A new
 * measurement is a value that changed; or, when the monitor is not
 * measuring, a value younger than a minute after a cycle ran (the
 * "measuring" bit) or after it was shown as older than a minute (a cycle
 * that fell between two records): the same pressures measured again are
 * still a new measurement. One cycle gives one measurement at most, even
 * when its value shows before the cycle's end; a cycle that ends without
 * one failed.
 */
static void
s_nibp(struct s_state *st, const uint8_t *g, uint32_t t, struct vt_reading *r)
{
	uint16_t label = (uint16_t)vt_dri_i16(g + 4);
	bool measuring = (label & VT_DRI_NIBP_MEASURING) != 0;
	bool old = (label & VT_DRI_NIBP_OLD) != 0;
	int16_t bp[3] = {vt_dri_i16(g + 6), vt_dri_i16(g + 8), vt_dri_i16(g + 10)};
	bool valid = bp[0] > VT_DRI_INVALID_LIMIT && bp[1] > VT_DRI_INVALID_LIMIT &&
	             bp[2] > VT_DRI_INVALID_LIMIT;
	if (measuring && !st->measuring)
		st->cycle_took = false; /* a cycle starts */
	bool changed = !st->have_bp || memcmp(bp, st->bp, sizeof bp) != 0;
	bool ended = st->measuring && !measuring;
	bool fresh = !measuring && !old && ((ended && !st->cycle_took) || st->shown_old);
	if (valid && (changed || fresh)) {
		/* A new measurement: now, unless it is already known to be older. */
		memcpy(st->bp, bp, sizeof bp);
		st->bp_at = t;
		st->bp_timed = !(old && !st->have_bp);
		st->have_bp = true;
		st->failed = false;
		st->cycle_took = measuring;
	} else if (ended && !st->cycle_took) {
		st->failed = true; /* the cycle ended and the old value stayed */
	}
	if (valid && !measuring)
		st->shown_old = old;
	st->measuring = measuring;
	if (st->failed)
		r->flags |= VT_FLAG_NIBP_FAILED;
	/* A value already older than a minute when first seen has no known time:
	 * it is not taken (it could be as old as the monitor's own limit). */
	if (valid && !st->bp_timed)
		return;
	static const enum vt_param ps[3] = {VT_NIBP_SYS, VT_NIBP_DIA, VT_NIBP_MAP};
	for (int i = 0; i < 3; i++) {
		s_value(r, ps[i], bp[i], 0.01);
		if (r->valid & VT_PARAM_BIT(ps[i]))
			vt_reading_set_age(r, ps[i], ((int64_t)t - st->bp_at) * 1000,
			                   (int64_t)st->bp_at * 1000);
	}
}

/* The basic class of a displayed-values subrecord at `t`. */
static void
s_basic(struct s_state *st, const uint8_t *b, uint32_t t, struct vt_reading *r)
{
	uint32_t ecg = vt_dri_u32(b + VT_DRI_ECG);
	if (ecg & VT_DRI_EXISTS) {
		s_value(r, VT_HR, vt_dri_i16(b + VT_DRI_ECG + 6), 1);
		if (ecg & VT_DRI_ECG_CH1_OFF)
			r->flags |= VT_FLAG_LEADS_OFF;
	}
	if (vt_dri_u32(b + VT_DRI_NIBP) & VT_DRI_EXISTS)
		s_nibp(st, b + VT_DRI_NIBP, t, r);
	if (vt_dri_u32(b + VT_DRI_SPO2) & VT_DRI_EXISTS) {
		s_value(r, VT_SPO2, vt_dri_i16(b + VT_DRI_SPO2 + 6), 0.01);
		s_value(r, VT_PR, vt_dri_i16(b + VT_DRI_SPO2 + 8), 1);
	}
	uint32_t co2 = vt_dri_u32(b + VT_DRI_CO2);
	if (co2 & VT_DRI_EXISTS) {
		/* EtCO2 comes as 1/100 % of the ambient pressure (1/10 mmHg). */
		int et = vt_dri_i16(b + VT_DRI_CO2 + 6), amb = vt_dri_i16(b + VT_DRI_CO2 + 12);
		if (amb <= VT_DRI_INVALID_LIMIT)
			et = VT_DRI_INVALID;
		s_value(r, VT_ETCO2, et, amb * 1e-5);
		/* To the tenth of a mmHg: the product carries no finer precision. */
		if (r->valid & VT_PARAM_BIT(VT_ETCO2))
			r->value[VT_ETCO2] = round(r->value[VT_ETCO2] * 10) / 10;
		if (co2 & VT_DRI_CO2_OCCLUSION)
			r->flags |= VT_FLAG_CO2_OCCLUSION;
	}
	/* Respiration: the capnograph's rate, else the ECG's impedance rate. */
	int rr = (co2 & VT_DRI_EXISTS) ? vt_dri_i16(b + VT_DRI_CO2 + 10) : VT_DRI_INVALID;
	if (rr <= VT_DRI_INVALID_LIMIT && (ecg & VT_DRI_EXISTS))
		rr = vt_dri_i16(b + VT_DRI_ECG + 14);
	if ((co2 | ecg) & VT_DRI_EXISTS)
		s_value(r, VT_RR, rr, 1);
	/* Body temperature: T1, else T2. */
	const uint8_t *t1 = b + VT_DRI_T1, *t2 = b + VT_DRI_T2;
	bool e1 = vt_dri_u32(t1) & VT_DRI_EXISTS, e2 = vt_dri_u32(t2) & VT_DRI_EXISTS;
	int temp = e1 ? vt_dri_i16(t1 + 6) : VT_DRI_INVALID;
	if (temp <= VT_DRI_INVALID_LIMIT && e2)
		temp = vt_dri_i16(t2 + 6);
	if (e1 || e2)
		s_value(r, VT_TEMP, temp, 0.01);
}

/* A complete, checked record. */
static void
s_record(struct s_state *st, const uint8_t *rec, size_t len, const struct vt_driver_sink *sink)
{
	if (len < VT_DRI_HDR || (size_t)vt_dri_i16(rec) != len) {
		st->stats.dropped++;
		st->stats.why = "record length does not match its frame";
		return;
	}
	if (vt_dri_i16(rec + 14) != VT_DRI_MT_PHDB)
		return; /* waveforms, alarms: not asked for, not read */
	for (int i = 0; i < 8; i++) {
		const uint8_t *d = rec + 16 + 3 * i;
		if (d[2] == VT_DRI_SR_END)
			break;
		size_t off = (size_t)(uint16_t)vt_dri_i16(d);
		if (d[2] != VT_DRI_PH_DISPL)
			continue;
		if (off > len - VT_DRI_HDR || len - VT_DRI_HDR - off < 4 + 270) {
			st->stats.dropped++;
			st->stats.why = "subrecord past the end of its record";
			return;
		}
		const uint8_t *sr = rec + VT_DRI_HDR + off;
		struct vt_reading r = {.has_status = true};
		s_basic(st, sr + 4, vt_dri_u32(sr), &r);
		st->stats.records++;
		if (sink != NULL && sink->reading != NULL)
			sink->reading(sink->ctx, &r);
		if (sink != NULL)
			st->next = sink->now + s_silence_ms(st);
	}
}

static void
s_feed(void *state, const uint8_t *bytes, size_t len, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	st->stats.bytes += len;
	for (size_t i = 0; i < len; i++) {
		const uint8_t *rec;
		size_t n;
		const char *why = NULL;
		enum vt_got got = vt_dri_reader_byte(&st->in, bytes[i], &rec, &n, &why);
		if (vt_driver_got(&st->stats, got, why))
			s_record(st, rec, n, sink);
	}
}

static void
s_stats(const void *state, struct vt_driver_stats *out)
{
	*out = ((const struct s_state *)state)->stats;
}

static void
s_connect(void *state, const uint8_t *hello, size_t hello_len, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	s_request(st, sink, s_interval_s(st));
	st->asked = true;
	st->next = sink->now + s_silence_ms(st);
}

static void
s_tick(void *state, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	/* Nothing for three intervals: the monitor has forgotten us; ask again. */
	st->stats.why = "the monitor stopped sending; asked again";
	s_request(st, sink, s_interval_s(st));
	st->next = sink->now + s_silence_ms(st);
}

static int64_t
s_wake(const void *state)
{
	return ((const struct s_state *)state)->next;
}

static void
s_disconnect(void *state, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	if (st->asked)
		s_request(st, sink, 0); /* stop */
	st->asked = false;
	st->next = INT64_MAX;
}

const struct vt_driver vt_driver_ge_dri = {
	.name = "ge-dri",                      /* protocol name in the configuration */
	.description = "GE / Datex-Ohmeda S/5 computer interface (DRI), displayed values",
	.default_baud = 19200,                 /* S/5 computer interface: 19200 8E1 */
	.default_flow = VT_FLOW_RTSCTS,        /* RTS/CTS hardware handshake */
	.default_parity = VT_PARITY_EVEN,      /* 8E1 */
	.nominal_period_ms = 5000,             /* one record per interval */
	.default_poll_ms = 5000,               /* the interval asked for */
	.state_size = sizeof(struct s_state),  /* one record and the NIBP's history */
	.reset = s_reset,                      /* hunt for a flag */
	.feed = s_feed,                        /* frames in, readings out */
	.stats = s_stats,                      /* counters */
	.text = false,                         /* binary frames */
	.params_optional = VT_PARAMS_BEDSIDE,  /* the modules plugged into the monitor */
	.connect = s_connect,                  /* ask for displayed values */
	.tick = s_tick,                        /* ask again after silence */
	.wake = s_wake,                        /* when that would be */
	.disconnect = s_disconnect,            /* ask the monitor to stop */
};
