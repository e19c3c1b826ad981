/*
 * IHE PCD over HL7 v2 (hl7_pcd.h): the observations of PCD-01.
 *
 * Sources: the IHE PCD Technical Framework as real messages quote it, and
 * real or vendor messages from Mindray, GE, Philips, Draeger and Comen
 * senders (shared/reference/hl7-pcd.md sums them up). The rules that matter
 * and why:
 *
 *  - A vital sign is known by the number in OBX-3, never by its name: names
 *    differ between vendors for the same number (MDC_ECG_HEART_RATE and
 *    MDC_ECG_CARD_BEAT_RATE are both 147842). Unknown numbers and private
 *    coding systems are skipped, never fatal.
 *  - Units are read from OBX-6 by number first (a vendor example labels a
 *    unit wrongly but numbers it right), then by UCUM or MDC name. Blood
 *    pressure, EtCO2 and temperature must say their unit (mmHg or kPa, °C
 *    or °F cannot be told apart otherwise); a rate or a percentage may
 *    leave it out.
 *  - No sentinel is standard: an empty value, a value that is not a
 *    number, a negative one (Mindray's -100 and -999) or one out of the
 *    parameter's range is no value.
 *  - OBX-8 DEMO (a monitor in demo mode) is never a patient value.
 *  - Spot measurements keep their own time: a blood pressure, or any row
 *    whose OBX-17 says APERIODIC, is timed by OBX-14 (else OBR-7) against
 *    MSH-7, both from the monitor's clock, so a monitor clock that is off
 *    still gives the right age.
 *
 * Alarms are read in hl7_alarms.c, senders told apart and answered in
 * hl7_ack.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vitals/base/timefmt.h"
#include "vitals/drivers/hl7_pcd.h"

/* ---- kinds of message ----------------------------------------------------- */

enum vt_hl7_kind
vt_hl7_kind(const struct vt_hl7_msg *m)
{
	struct vt_hl7_str type = vt_hl7_field(m, vt_hl7_msh(m), 9);
	if (!vt_hl7_eq(m, vt_hl7_comp(m, type, 1), "ORU"))
		return VT_HL7_OTHER;
	struct vt_hl7_str event = vt_hl7_comp(m, type, 2);
	if (vt_hl7_eq(m, event, "R01") || vt_hl7_eq(m, event, "W01"))
		return VT_HL7_OBSERVATIONS;
	if (vt_hl7_eq(m, event, "R40"))
		return VT_HL7_ALARMS;
	return VT_HL7_OTHER;
}

/* ---- units ------------------------------------------------------------------ */

enum s_unit {
	S_NO_UNIT,   /* OBX-6 empty */
	S_UNKNOWN,   /* something we cannot read */
	S_PER_MIN,   /* a rate: UCUM "/min", or beats or breaths per minute */
	S_PERCENT,
	S_MMHG,
	S_KPA,
	S_DEGC,
	S_DEGF
};

/* What a parameter may be measured in. */
enum s_dimension { S_RATE, S_FRACTION, S_PRESSURE, S_TEMPERATURE };

static const struct {
	uint32_t code;     /* IEEE 11073-10101 partition 4 */
	const char *name;  /* its MDC name */
	enum s_unit unit;
} s_mdc_units[] = {
	{264864, "MDC_DIM_BEAT_PER_MIN", S_PER_MIN},
	{264928, "MDC_DIM_RESP_PER_MIN", S_PER_MIN},
	{262688, "MDC_DIM_PERCENT", S_PERCENT},
	{266016, "MDC_DIM_MMHG", S_MMHG},
	/* MDC_DIM_PASCAL 3840 with the kilo prefix (3): 4 x 65536 + 3843. */
	{265987, "MDC_DIM_KILO_PASCAL", S_KPA},
	{268192, "MDC_DIM_DEGC", S_DEGC},
	{268160, "MDC_DIM_FAHR", S_DEGF},
};

static const struct {
	const char *name; /* UCUM, and the spellings senders use beside it */
	enum s_unit unit;
} s_ucum_units[] = {
	{"/min", S_PER_MIN},      {"{beats}/min", S_PER_MIN}, {"{beat}/min", S_PER_MIN},
	{"{breaths}/min", S_PER_MIN}, {"{breath}/min", S_PER_MIN}, {"{resp}/min", S_PER_MIN},
	{"bpm", S_PER_MIN},       {"rpm", S_PER_MIN},         {"%", S_PERCENT},
	{"mm[Hg]", S_MMHG},       {"mmHg", S_MMHG},           {"kPa", S_KPA},
	{"Cel", S_DEGC},          {"degC", S_DEGC},           {"[degF]", S_DEGF},
	{"degF", S_DEGF},
};

static enum s_unit
s_unit(const struct vt_hl7_msg *m, struct vt_hl7_str field)
{
	char c1[64], c2[64];
	vt_hl7_text(m, vt_hl7_comp(m, field, 1), c1, sizeof c1);
	vt_hl7_text(m, vt_hl7_comp(m, field, 2), c2, sizeof c2);
	if (c1[0] == '\0' && c2[0] == '\0')
		return S_NO_UNIT;
	/* The number, where there is one, decides. */
	char *end;
	unsigned long code = strtoul(c1, &end, 10);
	if (c1[0] >= '0' && c1[0] <= '9' && *end == '\0') {
		for (size_t i = 0; i < sizeof s_mdc_units / sizeof s_mdc_units[0]; i++)
			if (s_mdc_units[i].code == code)
				return s_mdc_units[i].unit;
		return S_UNKNOWN;
	}
	for (int k = 0; k < 2; k++) {
		const char *name = k == 0 ? c1 : c2;
		for (size_t i = 0; i < sizeof s_mdc_units / sizeof s_mdc_units[0]; i++)
			if (strcmp(name, s_mdc_units[i].name) == 0)
				return s_mdc_units[i].unit;
		for (size_t i = 0; i < sizeof s_ucum_units / sizeof s_ucum_units[0]; i++)
			if (strcmp(name, s_ucum_units[i].name) == 0)
				return s_ucum_units[i].unit;
	}
	return S_UNKNOWN;
}

/* `v` in `unit` as the parameter's own unit into *out; false if the unit does not fit. */
static bool
s_convert(enum s_dimension dim, enum s_unit unit, double v, double *out)
{
	switch (dim) {
	case S_RATE:
		*out = v;
		return unit == S_NO_UNIT || unit == S_PER_MIN;
	case S_FRACTION:
		*out = v;
		return unit == S_NO_UNIT || unit == S_PERCENT;
	case S_PRESSURE:
		*out = unit == S_KPA ? v * 7.500617 : v; /* 1 kPa = 7.500617 mmHg */
		return unit == S_MMHG || unit == S_KPA;
	case S_TEMPERATURE:
		*out = unit == S_DEGF ? (v - 32.0) * 5.0 / 9.0 : v;
		return unit == S_DEGC || unit == S_DEGF;
	}
	return false;
}

/* ---- observations ----------------------------------------------------------- */

/* An OBX-3 number vitalsd reads, and how much it trusts it beside the others. */
struct s_metric {
	uint32_t code;
	enum vt_param param;
	int rank;               /* lower wins where one message carries several */
	enum s_dimension dim;
};

static const struct s_metric s_metrics[] = {
	{147842, VT_HR, 0, S_RATE},          /* MDC_ECG_HEART_RATE */
	{150456, VT_SPO2, 0, S_FRACTION},    /* MDC_PULS_OXIM_SAT_O2 */
	{149530, VT_PR, 0, S_RATE},          /* MDC_PULS_OXIM_PULS_RATE */
	{150488, VT_PI, 0, S_FRACTION},      /* MDC_BLD_PERF_INDEX */
	{150021, VT_NIBP_SYS, 0, S_PRESSURE}, /* MDC_PRESS_BLD_NONINV_SYS */
	{150022, VT_NIBP_DIA, 0, S_PRESSURE},
	{150023, VT_NIBP_MAP, 0, S_PRESSURE},
	{150301, VT_NIBP_SYS, 1, S_PRESSURE}, /* MDC_PRESS_CUFF_SYS (Mindray) */
	{150302, VT_NIBP_DIA, 1, S_PRESSURE},
	{150303, VT_NIBP_MAP, 1, S_PRESSURE},
	/* Respiration: the capnograph's rate is the one that sees breathing
	 * stop; thoracic impedance and pleth-derived rates come after it. */
	{151594, VT_RR, 0, S_RATE},          /* MDC_CO2_RESP_RATE */
	{151562, VT_RR, 1, S_RATE},          /* MDC_RESP_RATE */
	{151578, VT_RR, 2, S_RATE},          /* MDC_TTHOR_RESP_RATE */
	{151658, VT_RR, 3, S_RATE},          /* Mindray's pleth-derived rate */
	/* End-tidal CO2 under its three numbers (the name is doubtful). */
	{151708, VT_ETCO2, 0, S_PRESSURE},
	{151712, VT_ETCO2, 1, S_PRESSURE},   /* MDC_CONC_AWAY_CO2_EXP (GE) */
	{151728, VT_ETCO2, 2, S_PRESSURE},
	{150364, VT_TEMP, 0, S_TEMPERATURE}, /* MDC_TEMP_BODY */
	{150344, VT_TEMP, 1, S_TEMPERATURE}, /* MDC_TEMP */
	{188496, VT_TEMP, 2, S_TEMPERATURE}, /* MDC_TEMP_AXIL (Mindray) */
};

static const struct s_metric *
s_metric(const struct vt_hl7_msg *m, struct vt_hl7_str field)
{
	char c1[24];
	vt_hl7_text(m, vt_hl7_comp(m, field, 1), c1, sizeof c1);
	char *end;
	unsigned long code = strtoul(c1, &end, 10);
	if (c1[0] < '0' || c1[0] > '9' || *end != '\0')
		return NULL;
	for (size_t i = 0; i < sizeof s_metrics / sizeof s_metrics[0]; i++)
		if (s_metrics[i].code == code)
			return &s_metrics[i];
	return NULL;
}

/* A decimal number, nothing else around it but spaces; false if it is not one. */
static bool
s_number(const struct vt_hl7_msg *m, struct vt_hl7_str s, bool *empty, double *v)
{
	char t[40];
	size_t n = vt_hl7_text(m, s, t, sizeof t);
	size_t b = 0;
	while (b < n && t[b] == ' ')
		b++;
	while (n > b && t[n - 1] == ' ')
		n--;
	*empty = n == b;
	if (*empty || n - b >= sizeof t - 1)
		return false;
	size_t i = b;
	if (t[i] == '-' || t[i] == '+')
		i++;
	size_t digits = 0, point = 0;
	for (; i < n; i++) {
		if (t[i] >= '0' && t[i] <= '9')
			digits++;
		else if (t[i] == '.' && point++ == 0)
			continue;
		else
			return false;
	}
	if (digits == 0)
		return false;
	t[n] = '\0';
	*v = strtod(t + b, NULL);
	return true;
}

/* Whether any repetition (or component of the first) of `field` is `word`. */
static bool
s_says(const struct vt_hl7_msg *m, struct vt_hl7_str field, const char *word)
{
	for (int r = 1; r <= 8; r++) {
		struct vt_hl7_str rep = vt_hl7_rep(m, field, r);
		if (rep.n == 0 && r > 1)
			break;
		for (int k = 1; k <= 6; k++)
			if (vt_hl7_eq(m, vt_hl7_comp(m, rep, k), word))
				return true;
	}
	return false;
}

/* A time of the monitor's clock, as local time and zone. */
struct s_time {
	bool ok, zoned;
	int64_t local;
	int zone_min;
};

static struct s_time
s_time(const struct vt_hl7_msg *m, struct vt_hl7_str s)
{
	struct s_time t = {0};
	t.ok = s.n > 0 && vt_hl7_time(m, s, &t.local, &t.zone_min, &t.zoned) == 0;
	return t;
}

/* A time as the sender's clock gives it: UTC where it says its zone. */
static int64_t
s_utc(struct s_time t)
{
	return t.zoned ? t.local - t.zone_min * 60000LL : t.local;
}

/* How long before `msg` the observation at `obs` was made. */
static int64_t
s_age(struct s_time msg, struct s_time obs)
{
	if (msg.zoned && obs.zoned)
		return s_utc(msg) - s_utc(obs);
	return msg.local - obs.local;
}

int
vt_hl7_observations(const struct vt_hl7_msg *m, struct vt_reading *r, struct vt_hl7_skips *skips)
{
	memset(r, 0, sizeof *r);
	memset(skips, 0, sizeof *skips);
	struct s_time sent = s_time(m, vt_hl7_field(m, vt_hl7_msh(m), 7)), started = {0};
	int rank[VT_PARAM_COUNT];
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		rank[p] = 1 << 30;
	int reported = 0;
	size_t pos = 0;
	struct vt_hl7_str seg;
	while (vt_hl7_segment(m, &pos, &seg)) {
		if (vt_hl7_is(seg, "OBR")) {
			started = s_time(m, vt_hl7_field(m, seg, 7));
			continue;
		}
		if (!vt_hl7_is(seg, "OBX"))
			continue;
		/* Numbers only; hierarchy rows, waveforms and text are not vital signs. */
		if (!vt_hl7_eq(m, vt_hl7_field(m, seg, 2), "NM"))
			continue;
		struct vt_hl7_str status = vt_hl7_field(m, seg, 11);
		if (status.n > 0 && !vt_hl7_eq(m, status, "R") && !vt_hl7_eq(m, status, "F") &&
		    !vt_hl7_eq(m, status, "C"))
			continue; /* X (no value), D (deleted), W (wrong), P (preliminary) */
		const struct s_metric *mt = s_metric(m, vt_hl7_field(m, seg, 3));
		if (mt == NULL) {
			skips->code++;
			continue;
		}
		enum vt_param p = mt->param;
		if (mt->rank >= rank[p])
			continue; /* a better code for it came first */
		rank[p] = mt->rank;
		reported += !(r->reported & VT_PARAM_BIT(p));
		vt_reading_set_missing(r, p);
		r->spot &= ~VT_PARAM_BIT(p);
		r->timed &= ~VT_PARAM_BIT(p);
		if (s_says(m, vt_hl7_field(m, seg, 8), "DEMO")) {
			r->flags |= VT_FLAG_DEMO_DATA;
			skips->demo++;
			continue;
		}
		bool empty;
		double v, own;
		if (!s_number(m, vt_hl7_field(m, seg, 5), &empty, &v)) {
			skips->value += !empty;
			continue;
		}
		if (!s_convert(mt->dim, s_unit(m, vt_hl7_field(m, seg, 6)), v, &own)) {
			skips->unit++;
			continue;
		}
		const struct vt_param_info *pi = vt_param_info(p);
		if (v < 0 || own < pi->min || own > pi->max) {
			skips->value++;
			continue;
		}
		vt_reading_set(r, p, own);
		if (!vt_param_info(p)->episodic && !s_says(m, vt_hl7_field(m, seg, 17), "APERIODIC"))
			continue;
		r->spot |= VT_PARAM_BIT(p);
		struct s_time taken = s_time(m, vt_hl7_field(m, seg, 14));
		if (!taken.ok)
			taken = started;
		if (taken.ok && sent.ok)
			vt_reading_set_age(r, p, s_age(sent, taken), s_utc(taken));
	}
	/* Observation messages say whether the monitor is in demo mode. */
	r->has_status = reported > 0;
	return reported;
}

int
vt_hl7_param_of(const struct vt_hl7_msg *m, struct vt_hl7_str code)
{
	const struct s_metric *mt = s_metric(m, code);
	return mt ? (int)mt->param : -1;
}
