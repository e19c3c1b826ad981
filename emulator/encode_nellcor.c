/*
 * Nellcor N-560-style real-time ASCII encoder: a fixed-column data line
 * every 2 s, and the 3-line column heading (model, alarm limits, patient
 * mode) before the first line and again after every 25 lines (reference
 * §3.2). The columns are those of the real N-560 output in the reference:
 *
 *   TIME                 %SpO2   BPM     PA     Status
 *   07-Jan-04 11:24:54   100     102      36    MO             AO
 *
 * Like the device, the encoder checks SpO2 and pulse rate against the alarm
 * limits it prints in the heading: a value outside them gets a `*` and the
 * status code SL/SH or PL/PH.
 */
#include <stdio.h>
#include <string.h>

#include "vitals/emulator/encode.h"

#define LINES_PER_HEADING 25

/* Columns (0-based) where each numeric field ends, as on the N-560. */
#define COL_SPO2_END 23
#define COL_BPM_END 31
#define COL_PA_END 39
/*
 * Status codes sit in fixed slots (the capture shows MO at 44 and AO at 59
 * with nothing between): one slot per kind of condition, 5 columns apart.
 */
enum { SLOT_PULSE, SLOT_SENSOR, SLOT_SPO2, SLOT_AUDIO, SLOT_PR, SLOT_BATTERY, SLOT_COUNT };
#define COL_SLOT0 44
#define SLOT_PITCH 5
#define LINE_WIDTH (COL_SLOT0 + SLOT_COUNT * SLOT_PITCH)

struct s_nellcor {
	struct vt_encode_config cfg; /* limits and audio setting the heading shows */
	int lines;                   /* data lines since the last heading; -1 before the first */
};

static void
s_reset(void *state, const struct vt_encode_config *cfg)
{
	struct s_nellcor *s = state;
	memset(s, 0, sizeof(*s));
	if (cfg != NULL)
		s->cfg = *cfg;
	else
		vt_encode_config_default(&s->cfg);
	s->lines = -1;
}

/*
 * Right-align the value of `p` (or `---`) so that it ends at column `end`,
 * with `*` just after it when it is outside lo..hi (lo > hi: no limits).
 * Returns 1 below, 2 above the limits, else 0.
 */
static int
s_field(char *line, int end, const struct vt_reading *r, enum vt_param p, int lo, int hi)
{
	char digits[16];
	int v, out = 0;
	if (vt_encode_int(r, p, 1.0, 0, 999, &v)) {
		snprintf(digits, sizeof(digits), "%d", v);
		if (lo <= hi)
			out = v < lo ? 1 : v > hi ? 2 : 0;
	} else {
		memcpy(digits, "---", 4);
	}
	size_t n = strlen(digits);
	memcpy(line + end + 1 - n, digits, n);
	if (out)
		line[end + 1] = '*';
	return out;
}

static void
s_slot(char *line, int slot, const char *code)
{
	if (code != NULL)
		memcpy(line + COL_SLOT0 + slot * SLOT_PITCH, code, 2);
}

/* The pulse slot shows the most serious of the pulse conditions. */
static const char *
s_pulse_code(uint32_t flags)
{
	if (flags & VT_FLAG_LOSS_OF_PULSE)
		return (flags & VT_FLAG_ARTIFACT) ? "LM" : "LP";
	if (flags & VT_FLAG_PULSE_SEARCH)
		return "PS";
	if (flags & VT_FLAG_ARTIFACT)
		return "MO";
	return NULL;
}

static size_t
s_heading(const struct s_nellcor *s, char *dst, size_t cap)
{
	int n = snprintf(dst, cap,
	                 "N-560    VERSION 1.61.00    CRC:XXXX  SpO2 Limit: %d-%d%%    "
	                 "PR Limit: %d-%dBPM\r\n"
	                 "                             ADULT           25SAT-S \r\n"
	                 "TIME                 %%SpO2   BPM     PA     Status\r\n",
	                 s->cfg.spo2_low, s->cfg.spo2_high, s->cfg.pr_low, s->cfg.pr_high);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static size_t
s_encode(void *state, const struct vt_reading *r, int64_t wall_ms, uint8_t *out, size_t cap)
{
	static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct s_nellcor *s = state;
	char text[VT_ENCODE_MAX];
	size_t len = 0;
	if (s->lines < 0 || s->lines >= LINES_PER_HEADING) {
		len = s_heading(s, text, sizeof(text));
		if (len == 0)
			return 0;
	}

	char line[LINE_WIDTH + 4];
	memset(line, ' ', sizeof(line));
	struct vt_encode_tm tm;
	vt_encode_tm(wall_ms, &tm);
	char stamp[24];
	snprintf(stamp, sizeof(stamp), "%02d-%s-%02d %02d:%02d:%02d", tm.day, months[tm.month - 1],
	         ((tm.year % 100) + 100) % 100, tm.hour, tm.min, tm.sec);
	memcpy(line, stamp, 18);

	int sat = s_field(line, COL_SPO2_END, r, VT_SPO2, s->cfg.spo2_low, s->cfg.spo2_high);
	int rate = s_field(line, COL_BPM_END, r, VT_PR, s->cfg.pr_low, s->cfg.pr_high);
	/* Pulse amplitude: the recordings carry it in `pi`; no limits. */
	s_field(line, COL_PA_END, r, VT_PI, 1, 0);

	uint32_t f = r->flags;
	s_slot(line, SLOT_PULSE, s_pulse_code(f));
	s_slot(line, SLOT_SENSOR, (f & VT_FLAG_SENSOR_OFF) ? "SO"
	                          : (f & (VT_FLAG_NO_SENSOR | VT_FLAG_SENSOR_FAULT)) ? "SD"
	                                                                             : NULL);
	s_slot(line, SLOT_SPO2, sat == 1 ? "SL" : sat == 2 ? "SH" : NULL);
	s_slot(line, SLOT_AUDIO, s->cfg.audio_off ? "AO" : (f & VT_FLAG_DEVICE_SILENCED) ? "AS" : NULL);
	s_slot(line, SLOT_PR, rate == 1 ? "PL" : rate == 2 ? "PH" : NULL);
	s_slot(line, SLOT_BATTERY, (f & VT_FLAG_LOW_BATTERY) ? "LB" : NULL);

	/* The device ends the line after its last code; no trailing blanks. */
	size_t n = LINE_WIDTH;
	while (n > 0 && line[n - 1] == ' ')
		n--;
	if (len + n + 2 > sizeof(text) || len + n + 2 > cap)
		return 0;
	memcpy(text + len, line, n);
	len += n;
	text[len++] = '\r';
	text[len++] = '\n';
	s->lines = s->lines < 0 || s->lines >= LINES_PER_HEADING ? 1 : s->lines + 1;
	memcpy(out, text, len);
	return len;
}

const struct vt_encoder vt_encoder_nellcor_ascii = {
	.name = "nellcor-ascii",
	.description = "Nellcor N-560-style real-time ASCII table, a line every 2 s",
	.default_baud = 9600,
	.period_num_ms = 2000,
	.period_den = 1,
	.state_size = sizeof(struct s_nellcor),
	.reset = s_reset,
	.encode = s_encode,
};
