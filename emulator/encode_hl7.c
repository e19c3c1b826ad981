/*
 * HL7 encoder: one IHE PCD-01 observation message (ORU^R01, HL7 v2.6) every
 * five seconds, MLLP-framed, laid out as the Mindray messages of the
 * reference (shared/reference/hl7-pcd.md): MSH with an EUI-64 in MSH-3,
 * PID, PV1 whose PV1-3 is the bed (vt_encode_config.hl7_bed), OBR, then one
 * OBX per vital sign with its MDC code, containment path and MDC unit.
 *
 * A blood pressure is a spot measurement, as a monitor shows it: the last
 * cuff reading is sent in every message with OBX-14 the time it was taken
 * and OBX-17 APERIODIC, until the next one. A value the monitor has not is
 * an empty OBX-5; a monitor in demo mode marks every row DEMO in OBX-8.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vitals/emulator/encode.h"

/* The rows sent, in order: code and name, containment, unit code and name, decimals. */
static const struct {
	enum vt_param p;
	const char *code;
	const char *path;
	const char *unit;
	int decimals;
} s_rows[] = {
	{VT_HR, "147842^MDC_ECG_HEART_RATE^MDC", "1.1.1.147842", "264864^MDC_DIM_BEAT_PER_MIN^MDC", 0},
	{VT_SPO2, "150456^MDC_PULS_OXIM_SAT_O2^MDC", "1.3.1.150456", "262688^MDC_DIM_PERCENT^MDC", 0},
	{VT_PR, "149530^MDC_PULS_OXIM_PULS_RATE^MDC", "1.3.1.149530",
	 "264864^MDC_DIM_BEAT_PER_MIN^MDC", 0},
	{VT_PI, "150488^MDC_BLD_PERF_INDEX^MDC", "1.3.1.150488", "262688^MDC_DIM_PERCENT^MDC", 2},
	{VT_RR, "151562^MDC_RESP_RATE^MDC", "1.2.1.151562", "264928^MDC_DIM_RESP_PER_MIN^MDC", 0},
	{VT_ETCO2, "151708^MDC_AWAY_CO2_ET^MDC", "1.4.1.151708", "266016^MDC_DIM_MMHG^MDC", 0},
	{VT_TEMP, "150364^MDC_TEMP_BODY^MDC", "1.5.1.150364", "268192^MDC_DIM_DEGC^MDC", 1},
};

static const struct {
	enum vt_param p;
	const char *code;
} s_cuff[] = {
	{VT_NIBP_SYS, "150021^MDC_PRESS_BLD_NONINV_SYS^MDC"},
	{VT_NIBP_DIA, "150022^MDC_PRESS_BLD_NONINV_DIA^MDC"},
	{VT_NIBP_MAP, "150023^MDC_PRESS_BLD_NONINV_MEAN^MDC"},
};

struct s_hl7 {
	uint32_t id;                 /* MSH-10 of the last message */
	char bed[32];                /* PV1-3 */
	struct vt_encode_cuff cuff;  /* the last cuff reading, and when it was taken */
};

static void
s_reset(void *state, const struct vt_encode_config *cfg)
{
	struct vt_encode_config def;
	if (cfg == NULL) {
		vt_encode_config_default(&def);
		cfg = &def;
	}
	struct s_hl7 *s = state;
	memset(s, 0, sizeof *s);
	snprintf(s->bed, sizeof s->bed, "%s", cfg->hl7_bed);
}

/* YYYYMMDDHHMMSS+0000 */
static void
s_time(int64_t ms, char *buf, size_t len)
{
	struct vt_encode_tm tm;
	vt_encode_tm(ms, &tm);
	snprintf(buf, len, "%04d%02d%02d%02d%02d%02d+0000", tm.year, tm.month, tm.day, tm.hour,
	         tm.min, tm.sec);
}

struct s_out {
	char *p;
	size_t n, cap;
	bool full;
};

static void __attribute__((format(printf, 2, 3)))
s_put(struct s_out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = o->full ? -1 : vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->n)
		o->full = true;
	else
		o->n += (size_t)n;
}

static size_t
s_encode(void *state, const struct vt_reading *r, int64_t wall_ms, uint8_t *out, size_t cap)
{
	struct s_hl7 *s = state;
	/* A new cuff reading is a new measurement, even one equal to the last. */
	vt_encode_cuff_update(&s->cuff, r, wall_ms);
	char now[24], taken[24];
	s_time(wall_ms, now, sizeof now);
	s_time(s->cuff.at_ms, taken, sizeof taken);
	const char *demo = (r->flags & VT_FLAG_DEMO_DATA) ? "DEMO" : "";
	uint32_t id = ++s->id;
	struct s_out o = {(char *)out, 0, cap, false};
	s_put(&o, "\x0bMSH|^~\\&|VITALS_EMULATE^0000000000000001^EUI-64|VITALS|||%s||ORU^R01^ORU_R01|"
	          "%u|P|2.6|||AL|NE||UNICODE UTF-8|||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1"
	          "^ISO\r",
	      now, id);
	s_put(&o, "PID|||^^^Hospital^PI||^^^^^^L\rPV1||I|%s\r", s->bed);
	s_put(&o, "OBR|1|%u^VITALS_EMULATE|%u^VITALS_EMULATE|182777000^monitoring of patient^SCT|||%s\r",
	      id, id, now);
	int set = 0;
	for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++) {
		int scale = s_rows[i].decimals == 2 ? 100 : s_rows[i].decimals == 1 ? 10 : 1, v;
		char value[24] = "";
		if (vt_encode_int(r, s_rows[i].p, scale, -99999, 99999, &v))
			snprintf(value, sizeof value, scale == 1 ? "%d" : "%d.%0*d", v / scale,
			         s_rows[i].decimals, v % scale);
		s_put(&o, "OBX|%d|NM|%s|%s|%s|%s||%s|||R|||%s\r", ++set, s_rows[i].code, s_rows[i].path,
		      value, s_rows[i].unit, demo, now);
	}
	for (size_t i = 0; s->cuff.have && i < 3; i++) {
		/* Whole mmHg, within what a cuff can read. */
		double v = s->cuff.bp[i];
		int mmhg = !(v > 0) ? 0 : v > 350 ? 350 : (int)lround(v);
		s_put(&o, "OBX|%d|NM|%s|1.6.1.%.6s|%d|266016^MDC_DIM_MMHG^MDC||%s|||R|||%s|||^APERIODIC\r",
		      ++set, s_cuff[i].code, s_cuff[i].code, mmhg, demo, taken);
	}
	s_put(&o, "\x1c\r");
	return o.full ? 0 : o.n;
}

const struct vt_encoder vt_encoder_hl7_mllp = {
	.name = "hl7-mllp",
	.description = "HL7 v2 ORU^R01 (IHE PCD-01) over MLLP, one message every 5 s",
	.default_baud = 9600, /* unused: MLLP goes over TCP */
	.period_num_ms = 5000,
	.period_den = 1,
	.state_size = sizeof(struct s_hl7),
	.reset = s_reset,
	.encode = s_encode,
};
