/*
 * Ivy Biomedical 450C "ANSAR-B" encoder: one 0xFF ... 0xFE message a
 * second, laid out as the real capture (reference §7):
 *
 *   0xFF "ANSAR-B " ECG[200] RESP[50] PLETH[50] P1[50] P2[50]
 *   HR=1;80;ECG-II-DIAG;CR RR=1;35;APNEA: 20 SEC;CR ETCO2=1;;;CR
 *   SPO2=1;100;PR=80 ;CR NIBP=4;121;75;92;80;;CR P1=3;;;;NO TRANSDUCER;CR
 *   P2=3;;;;NO TRANSDUCER;CR T1=1;;;CR T2=1;;;CR 0xFE
 *
 * The waveforms are synthesised from fixed tables at the heart, pulse and
 * breathing rates (so the bytes are the same on every machine), with
 * their phases kept across messages; every waveform byte stays at or
 * below 251, as in the capture, so 0xFE and 0xFF only ever frame. The
 * emulated unit has no invasive pressure transducers (their channels show
 * 251, NO TRANSDUCER, as P2 in the capture) and one temperature probe (T1,
 * degrees Celsius).
 *
 * The NIBP record repeats the last cuff reading in every message until the
 * next measurement, as the real monitor does (the capture repeats 121/75
 * (92) in all its messages), with the pulse measured with it; a failed
 * measurement leaves the last one shown.
 */
#include <stdio.h>
#include <string.h>

#include "vitals/emulator/encode.h"

#define S_ECG 200  /* samples a second */
#define S_SLOW 50  /* resp, pleth, P1, P2 */
#define S_NO_TRANSDUCER 251

/* One QRS complex at 200 Hz, from the capture (baseline 120). */
static const uint8_t s_qrs[] = {115, 182, 231, 235, 202, 174, 144, 127, 116, 102, 98, 110, 113};
/* One pleth pulse at 50 Hz, from the capture (baseline 118). */
static const uint8_t s_pulse[] = {120, 125, 134, 143, 150, 153, 153, 148, 143, 136,
                                  132, 128, 126, 124, 123, 122, 121, 120, 120, 119};

struct s_ivy {
	uint32_t beat;   /* ECG phase: 2^32 is one heartbeat */
	uint32_t pulse;  /* pleth phase */
	uint32_t breath; /* resp phase */
	struct vt_encode_cuff cuff; /* the last cuff reading */
	char cuff_pulse[8];         /* the pulse measured with it, or "" */
};

static void
s_reset(void *state, const struct vt_encode_config *cfg)
{
	(void)cfg;
	memset(state, 0, sizeof(struct s_ivy));
}

/* Advance `phase` by one sample at `per_min` cycles a minute; true when a cycle starts. */
static bool
s_step(uint32_t *phase, int per_min, int samples_per_s)
{
	uint32_t before = *phase;
	*phase += (uint32_t)((uint64_t)per_min * 4294967296ull / 60u / (uint64_t)samples_per_s);
	return *phase < before;
}

/* The waveform block: 400 bytes, each at most 251. */
static void
s_waves(struct s_ivy *s, const struct vt_reading *r, uint8_t *w)
{
	int hr = 0, pr = 0, rr = 0;
	bool have_hr = vt_encode_int(r, VT_HR, 1.0, 0, 300, &hr);
	bool have_pr = vt_encode_int(r, VT_PR, 1.0, 0, 300, &pr);
	bool have_rr = vt_encode_int(r, VT_RR, 1.0, 0, 150, &rr);
	/* ECG: a flat line at 120 with a QRS at every beat. */
	for (int i = 0; i < S_ECG; i++) {
		/* Samples since the beat began: phase x samples a beat. */
		int k = have_hr && hr > 0 ? (int)(((uint64_t)s->beat * (60u * S_ECG) / (unsigned)hr) >> 32)
		                          : -1;
		w[i] = k >= 0 && k < (int)sizeof s_qrs ? s_qrs[k] : 120;
		if (have_hr && hr > 0)
			s_step(&s->beat, hr, S_ECG);
	}
	/* Resp: a triangle from 0 to 250 over each breath. */
	for (int i = 0; i < S_SLOW; i++) {
		uint32_t half = s->breath < 0x80000000u ? s->breath : ~s->breath;
		w[S_ECG + i] = have_rr && rr > 0 ? (uint8_t)((uint64_t)half * 500u >> 32) : 0;
		if (have_rr && rr > 0)
			s_step(&s->breath, rr, S_SLOW);
	}
	/* Pleth: a pulse at every beat of the oximeter. */
	for (int i = 0; i < S_SLOW; i++) {
		int k = have_pr && pr > 0
		            ? (int)(((uint64_t)s->pulse * (60u * S_SLOW) / (unsigned)pr) >> 32)
		            : -1;
		w[S_ECG + S_SLOW + i] = k >= 0 && k < (int)sizeof s_pulse ? s_pulse[k] : 118;
		if (have_pr && pr > 0)
			s_step(&s->pulse, pr, S_SLOW);
	}
	memset(w + S_ECG + 2 * S_SLOW, S_NO_TRANSDUCER, 2 * S_SLOW);
}

/* `p` as the integer the monitor shows, or "" when it has none. */
static const char *
s_int(char *buf, size_t len, const struct vt_reading *r, enum vt_param p, int hi)
{
	int v;
	if (vt_encode_int(r, p, 1.0, 0, hi, &v))
		snprintf(buf, len, "%d", v);
	else
		buf[0] = '\0';
	return buf;
}

/* The temperature in degrees Celsius with one decimal, as the monitor shows it, or "". */
static const char *
s_temp(char *buf, size_t len, const struct vt_reading *r)
{
	int v;
	if (vt_encode_int(r, VT_TEMP, 10.0, 0, 500, &v))
		snprintf(buf, len, "%d.%d", v / 10, v % 10);
	else
		buf[0] = '\0';
	return buf;
}

static size_t
s_encode(void *state, const struct vt_reading *r, int64_t wall_ms, uint8_t *out, size_t cap)
{
	struct s_ivy *s = state;
	char hr[8], rr[8], co2[8], spo2[8], pr[8], sys[8], dia[8], map[8], temp[24];
	char text[512];
	/* The cuff reading shown: the last measurement (the stream carries no clock). */
	int64_t measured = s->cuff.have ? s->cuff.at_ms : INT64_MIN;
	vt_encode_cuff_update(&s->cuff, r, wall_ms);
	if (s->cuff.have && s->cuff.at_ms != measured)
		s_int(s->cuff_pulse, sizeof s->cuff_pulse, r, VT_HR, 300);
	struct vt_reading cuff = {0};
	static const enum vt_param bp[3] = {VT_NIBP_SYS, VT_NIBP_DIA, VT_NIBP_MAP};
	for (int k = 0; k < 3 && s->cuff.have; k++)
		vt_reading_set(&cuff, bp[k], s->cuff.bp[k]);
	int n = snprintf(text, sizeof text,
	                 "HR=1;%s;ECG-II-DIAG;\r"
	                 "RR=1;%s;APNEA: 20 SEC;\r"
	                 "ETCO2=1;%s;;\r"
	                 "SPO2=1;%s;PR=%s ;\r"
	                 "NIBP=4;%s;%s;%s;%s;;\r"
	                 "P1=3;;;;NO TRANSDUCER;\r"
	                 "P2=3;;;;NO TRANSDUCER;\r"
	                 "T1=1;%s;;\r"
	                 "T2=1;;;\r",
	                 s_int(hr, sizeof hr, r, VT_HR, 300), s_int(rr, sizeof rr, r, VT_RR, 150),
	                 s_int(co2, sizeof co2, r, VT_ETCO2, 150),
	                 s_int(spo2, sizeof spo2, r, VT_SPO2, 100), s_int(pr, sizeof pr, r, VT_PR, 300),
	                 s_int(sys, sizeof sys, &cuff, VT_NIBP_SYS, 300),
	                 s_int(dia, sizeof dia, &cuff, VT_NIBP_DIA, 300),
	                 s_int(map, sizeof map, &cuff, VT_NIBP_MAP, 300),
	                 s->cuff.have ? s->cuff_pulse : "", s_temp(temp, sizeof temp, r));
	size_t need = 9 + 400 + (size_t)n + 1;
	if (n < 0 || (size_t)n >= sizeof text || need > cap)
		return 0;
	memcpy(out, "\xff" "ANSAR-B ", 9);
	s_waves(s, r, out + 9);
	memcpy(out + 409, text, (size_t)n);
	out[need - 1] = 0xFE;
	return need;
}

const struct vt_encoder vt_encoder_ivy_ansarb = {
	.name = "ivy-ansarb",
	.description = "Ivy Biomedical 450C ANSAR-B messages, 1 per second",
	.default_baud = 9600,
	.period_num_ms = 1000,
	.period_den = 1,
	.state_size = sizeof(struct s_ivy),
	.reset = s_reset,
	.encode = s_encode,
};
