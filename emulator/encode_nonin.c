/*
 * Nonin encoders: Serial Data Formats #7 and #2 (a 25-frame packet every
 * 1/3 s, 75 frames/s) and #8 (4 bytes a second), as an OEM III module or a
 * 9560/3150 sends them (reference §2.3-2.7).
 *
 * A DF#7/#2 packet carries far more than the numbers: every frame has a
 * status byte and a plethysmogram sample, and the perfusion bits light up
 * for a moment on each beat. A driver that is to survive a real device must
 * see all of that, so the encoder synthesises a pulse waveform at the pulse
 * rate (from a fixed table: the bytes are the same on every machine) and
 * keeps its phase across calls. Display-mode values (SpO2-D, HR-D, and DF#8)
 * hold the last good value for 10 s after it goes missing, with SNSA set,
 * as the 9560 specification describes.
 */
#include <string.h>

#include "vitals/emulator/encode.h"

/* Status byte bits, DF#2 and DF#7 (reference §2.3). */
#define ST_ALWAYS 0x80 /* marks a status byte */
#define ST_SNSD 0x40   /* sensor disconnected */
#define ST_ARTF 0x20   /* artifact */
#define ST_OOT 0x10    /* out of track */
#define ST_SNSA 0x08   /* sensor alarm (unusable data, finger out) */
#define ST_GREEN 0x02  /* perfusion 01: good signal */
#define ST_YELLOW 0x06 /* perfusion 11: marginal */
#define ST_RED 0x04    /* perfusion 10: low or no signal */
#define ST_SYNC 0x01   /* frame 1 of the packet */

/* DF#8 byte 1 and byte 4 bits (reference §2.7). */
#define D8_OOT 0x20
#define D8_LPRF 0x10
#define D8_MPRF 0x08
#define D8_ARTF 0x04
#define D8_SNSA 0x08
#define D8_LOW_BAT 0x01

#define MISSING_SPO2 127
#define MISSING_HR 511
#define FRAMES 25
#define FRAMES_PER_MIN (75 * 60)
/* Perfusion bits stay on for 12 frames (160 ms) of each pulse (9560 spec). */
#define PERFUSION_FRAMES 12
/* Display mode holds a lost value this long before it goes missing. */
#define HOLD_MS 10000

enum s_format { S_DF2, S_DF7, S_DF8 };

/* One display-mode value. */
struct s_held {
	int value; /* last value shown while in track */
	int left;  /* periods it may still be held */
	bool have; /* value is meaningful */
};

struct s_nonin {
	enum s_format format;
	int srev;          /* firmware revision for frame 4 */
	int hold_periods;  /* HOLD_MS in this format's periods */
	uint32_t phase;    /* position in the current beat; 2^32 is one beat, 0 the peak */
	int perf_left;     /* frames of this beat's perfusion window still to mark */
	struct s_held spo2, hr; /* display-mode SpO2-D and HR-D */
};

/*
 * One beat of a fingertip plethysmogram, peak at 0, in thousandths of the
 * pulse height at 32 equal steps (the last row closes the loop): the fall
 * after systole, the dicrotic notch and wave, the slow run-off to the foot,
 * and the steep upstroke of the next beat. The shape of the OEM III capture.
 */
static const int16_t s_beat[33] = {
	1000, 975, 900, 790, 670, 560, 470, 410, 380, 390, 410, 405, 385, 360, 330, 300, 270,
	240,  210, 180, 152, 125, 100, 78,  58,  40,  20,  0,   120, 400, 720, 930, 1000,
};

/* Height of the waveform at `phase`, 0..1000, linearly interpolated. */
static int
s_wave(uint32_t phase)
{
	int i = (int)(phase >> 27);
	int32_t frac = (int32_t)((phase >> 11) & 0xFFFF);
	return s_beat[i] + (int)((s_beat[i + 1] - s_beat[i]) * frac / 65536);
}

static void
s_reset_common(struct s_nonin *s, enum s_format format, const struct vt_encode_config *cfg)
{
	struct vt_encode_config def;
	if (cfg == NULL) {
		vt_encode_config_default(&def);
		cfg = &def;
	}
	memset(s, 0, sizeof(*s));
	s->format = format;
	s->srev = cfg->nonin_srev & 0x7F;
	s->hold_periods = format == S_DF8 ? HOLD_MS / 1000 : HOLD_MS * 3 / 1000;
}

static void
s_reset_df7(void *state, const struct vt_encode_config *cfg)
{
	s_reset_common(state, S_DF7, cfg);
}

static void
s_reset_df2(void *state, const struct vt_encode_config *cfg)
{
	s_reset_common(state, S_DF2, cfg);
}

static void
s_reset_df8(void *state, const struct vt_encode_config *cfg)
{
	s_reset_common(state, S_DF8, cfg);
}

/*
 * The display-mode value: the standard value while there is one, then the
 * last one for `hold` more periods (*holding set), then `missing`.
 */
static int
s_display(struct s_held *h, bool valid, int v, int missing, int hold, bool *holding)
{
	if (valid) {
		h->value = v;
		h->left = hold;
		h->have = true;
		return v;
	}
	if (h->have && h->left > 0) {
		h->left--;
		*holding = true;
		return h->value;
	}
	h->have = false;
	return missing;
}

/* What one period shows, worked out once for all its frames. */
struct s_period {
	int spo2, hr;      /* standard mode, or 127 / 511 */
	int dspo2, dhr;    /* display mode */
	bool pulse;        /* a pulse to draw and to mark */
	bool holding;      /* a display value is being held: SNSA */
	uint8_t perfusion; /* the perfusion colour of a pulse */
};

static void
s_period(struct s_nonin *s, const struct vt_reading *r, struct s_period *p)
{
	bool spo2_ok = vt_encode_int(r, VT_SPO2, 1.0, 0, 100, &p->spo2);
	/* 511 means missing: a real rate never reaches it (the display stops at 321). */
	bool hr_ok = vt_encode_int(r, VT_PR, 1.0, 0, 510, &p->hr);
	if (!spo2_ok)
		p->spo2 = MISSING_SPO2;
	if (!hr_ok)
		p->hr = MISSING_HR;
	p->holding = false;
	p->dspo2 = s_display(&s->spo2, spo2_ok, p->spo2, MISSING_SPO2, s->hold_periods, &p->holding);
	p->dhr = s_display(&s->hr, hr_ok, p->hr, MISSING_HR, s->hold_periods, &p->holding);
	p->pulse = hr_ok && p->hr > 0 && !(r->flags & VT_FLAGS_SENSOR_OFF);
	if (r->flags & VT_FLAG_LOW_PERFUSION)
		p->perfusion = ST_RED;
	else if (r->flags & VT_FLAG_LOW_SIGNAL_IQ)
		p->perfusion = ST_YELLOW;
	else
		p->perfusion = ST_GREEN;
}

/* The status bits every frame of the packet shares. */
static uint8_t
s_status(const struct vt_reading *r, const struct s_period *p)
{
	uint8_t st = ST_ALWAYS;
	if (r->flags & (VT_FLAG_NO_SENSOR | VT_FLAG_SENSOR_FAULT))
		st |= ST_SNSD;
	if (r->flags & VT_FLAG_ARTIFACT)
		st |= ST_ARTF;
	if (r->flags & (VT_FLAG_PULSE_SEARCH | VT_FLAG_LOSS_OF_PULSE))
		st |= ST_OOT;
	if ((r->flags & VT_FLAG_SENSOR_OFF) || p->holding)
		st |= ST_SNSA;
	return st;
}

/*
 * Byte 4 of frame `f` (1-based). The layout is the specification's; frame 5,
 * reserved there, carries SpO2 as the real OEM III does, and frame 8 is the
 * 9560's STAT2 (zero on an OEM III, which has no battery).
 */
static uint8_t
s_float(int f, const struct s_nonin *s, const struct vt_reading *r, const struct s_period *p)
{
	switch (f) {
	case 1:  /* HR MSB: HR8 in bit 1, HR7 in bit 0 */
	case 14: /* E-HR MSB */
		return (uint8_t)((p->hr >> 7) & 0x03);
	case 2:  /* HR LSB */
	case 15: /* E-HR LSB */
		return (uint8_t)(p->hr & 0x7F);
	case 3:  /* SpO2 */
	case 5:  /* (as observed) */
	case 10: /* SpO2 Fast */
	case 11: /* SpO2 B-B */
	case 16: /* E-SpO2 */
		return (uint8_t)p->spo2;
	case 4:
		return (uint8_t)s->srev;
	case 8: /* STAT2 */
		return (r->flags & VT_FLAG_LOW_BATTERY) ? 0x01 : 0x00;
	case 9:  /* SpO2-D */
	case 17: /* E-SpO2-D */
		return (uint8_t)p->dspo2;
	case 20: /* HR-D MSB */
	case 22: /* E-HR-D MSB */
		return (uint8_t)((p->dhr >> 7) & 0x03);
	case 21: /* HR-D LSB */
	case 23: /* E-HR-D LSB */
		return (uint8_t)(p->dhr & 0x7F);
	default: /* reserved; TMR frames 6-7 are zero on the OEM III */
		return 0;
	}
}

/* One packet of 25 frames, DF#7 (5 bytes, 16-bit pleth) or DF#2 (0x01 first, 8-bit pleth). */
static size_t
s_encode_packet(void *state, const struct vt_reading *r, int64_t wall_ms, uint8_t *out,
                size_t cap)
{
	struct s_nonin *s = state;
	if (cap < FRAMES * 5)
		return 0;
	struct s_period p;
	s_period(s, r, &p);
	uint8_t status = s_status(r, &p);
	/* Per frame, the beat advances by rate/4500 of a beat (75 frames a second). */
	uint32_t step = p.pulse ? (uint32_t)(((uint64_t)p.hr << 32) / FRAMES_PER_MIN) : 0;
	if (!p.pulse)
		s->perf_left = 0;
	uint8_t *o = out;
	for (int f = 1; f <= FRAMES; f++) {
		uint8_t st = status | (f == 1 ? ST_SYNC : 0);
		int height = 500; /* no pulse: a flat line at mid-scale */
		if (p.pulse) {
			uint32_t next = s->phase + step;
			if (next < s->phase) /* wrapped: a new beat's peak */
				s->perf_left = PERFUSION_FRAMES;
			s->phase = next;
			height = s_wave(s->phase);
		}
		if (s->perf_left > 0) {
			st |= p.perfusion;
			s->perf_left--;
		}
		uint8_t fl = s_float(f, s, r, &p);
		if (s->format == S_DF7) {
			/* 29000..38000 of 65535, the swing of the OEM III capture */
			unsigned pleth = p.pulse ? 29000u + (unsigned)height * 9u : 32768u;
			o[0] = st;
			o[1] = (uint8_t)(pleth >> 8);
			o[2] = (uint8_t)(pleth & 0xFF);
		} else {
			o[0] = 0x01;
			o[1] = st;
			o[2] = (uint8_t)(p.pulse ? 64 + height * 128 / 1000 : 128);
		}
		o[3] = fl;
		o[4] = (uint8_t)(o[0] + o[1] + o[2] + o[3]);
		o += 5;
	}
	return (size_t)(o - out);
}

/* DF#8: one 4-byte record a second, display-mode values. */
static size_t
s_encode_df8(void *state, const struct vt_reading *r, int64_t wall_ms, uint8_t *out, size_t cap)
{
	struct s_nonin *s = state;
	if (cap < 4)
		return 0;
	struct s_period p;
	s_period(s, r, &p);
	uint8_t b1 = 0x80 | (uint8_t)((p.dhr >> 7) & 0x03);
	if (r->flags & (VT_FLAG_PULSE_SEARCH | VT_FLAG_LOSS_OF_PULSE))
		b1 |= D8_OOT;
	if (r->flags & VT_FLAG_LOW_PERFUSION)
		b1 |= D8_LPRF;
	if (r->flags & VT_FLAG_LOW_SIGNAL_IQ)
		b1 |= D8_MPRF;
	if (r->flags & VT_FLAG_ARTIFACT)
		b1 |= D8_ARTF;
	uint8_t b4 = 0;
	/* DF#8 has no SNSD: any sensor problem is a sensor alarm. */
	if ((r->flags & VT_FLAGS_SENSOR_OFF) || p.holding)
		b4 |= D8_SNSA;
	if (r->flags & VT_FLAG_LOW_BATTERY)
		b4 |= D8_LOW_BAT;
	out[0] = b1;
	out[1] = (uint8_t)(p.dhr & 0x7F);
	out[2] = (uint8_t)(p.dspo2 & 0x7F);
	out[3] = b4;
	return 4;
}

const struct vt_encoder vt_encoder_nonin_df7 = {
	.name = "nonin-df7",
	.description = "Nonin Serial Data Format #7: 25-frame packets, 16-bit pleth, 75 frames/s",
	.default_baud = 9600,
	.period_num_ms = 1000,
	.period_den = 3,
	.state_size = sizeof(struct s_nonin),
	.reset = s_reset_df7,
	.encode = s_encode_packet,
};

const struct vt_encoder vt_encoder_nonin_df2 = {
	.name = "nonin-df2",
	.description = "Nonin Serial Data Format #2: 25-frame packets, 8-bit pleth, 75 frames/s",
	.default_baud = 9600,
	.period_num_ms = 1000,
	.period_den = 3,
	.state_size = sizeof(struct s_nonin),
	.reset = s_reset_df2,
	.encode = s_encode_packet,
};

const struct vt_encoder vt_encoder_nonin_df8 = {
	.name = "nonin-df8",
	.description = "Nonin Serial Data Format #8: 4 bytes a second, display-mode values",
	.default_baud = 9600,
	.period_num_ms = 1000,
	.period_den = 1,
	.state_size = sizeof(struct s_nonin),
	.reset = s_reset_df8,
	.encode = s_encode_df8,
};
