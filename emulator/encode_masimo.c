/*
 * Masimo Rad-8 "ASCII 1" encoder: one fixed-width key=value line per second,
 * as a Rad-8 prints it on its serial port (reference §1.3):
 *
 *   02/22/16 22:47:45 SN=0000056661 SPO2=098% BPM=097 PI=03.60% SPCO=--.-%
 *   SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800 CR LF
 *
 * (one line on the wire, 125 characters before CR LF). A missing value keeps
 * its width with dashes; device conditions become EXC exception bits, with
 * 0x800 ("Masimo SET") set as on a normally working unit.
 */
#include <stdio.h>
#include <string.h>

#include "vitals/emulator/encode.h"

/* EXC bits (reference §1.5). */
#define EXC_NO_SENSOR 0x001
#define EXC_DEFECTIVE_SENSOR 0x002
#define EXC_LOW_PERFUSION 0x004
#define EXC_PULSE_SEARCH 0x008
#define EXC_INTERFERENCE 0x010
#define EXC_SENSOR_OFF 0x020
#define EXC_AMBIENT_LIGHT 0x040
#define EXC_LOW_SIQ 0x400
#define EXC_SET 0x800

/* ALARM bits (reference §1.6; only the ones our flags can say). */
#define ALARM_ACTIVE 0x0010
#define ALARM_SILENCED 0x0020
#define ALARM_LOW_BATTERY 0x0040

struct s_masimo {
	char serial[11]; /* SN= field, exactly 10 characters */
};

static void
s_reset(void *state, const struct vt_encode_config *cfg)
{
	struct s_masimo *s = state;
	struct vt_encode_config def;
	if (cfg == NULL) {
		vt_encode_config_default(&def);
		cfg = &def;
	}
	memset(s, 0, sizeof(*s));
	/* The field is always 10 characters: pad a short serial with zeros. */
	size_t len = strnlen(cfg->serial, 10);
	memset(s->serial, '0', 10 - len);
	memcpy(s->serial + 10 - len, cfg->serial, len);
	s->serial[10] = '\0';
}

/* The EXC mask a Rad-8 would show for `flags`. */
static unsigned
s_exc(uint32_t flags)
{
	unsigned exc = EXC_SET;
	if (flags & VT_FLAG_NO_SENSOR)
		exc |= EXC_NO_SENSOR;
	if (flags & VT_FLAG_SENSOR_FAULT)
		exc |= EXC_DEFECTIVE_SENSOR;
	if (flags & VT_FLAG_LOW_PERFUSION)
		exc |= EXC_LOW_PERFUSION;
	/* The Rad-8 has no "loss of pulse"; it searches for the pulse. */
	if (flags & (VT_FLAG_PULSE_SEARCH | VT_FLAG_LOSS_OF_PULSE))
		exc |= EXC_PULSE_SEARCH;
	if (flags & VT_FLAG_ARTIFACT)
		exc |= EXC_INTERFERENCE;
	if (flags & VT_FLAG_SENSOR_OFF)
		exc |= EXC_SENSOR_OFF;
	if (flags & VT_FLAG_AMBIENT_LIGHT)
		exc |= EXC_AMBIENT_LIGHT;
	if (flags & VT_FLAG_LOW_SIGNAL_IQ)
		exc |= EXC_LOW_SIQ;
	return exc;
}

static unsigned
s_alarm(uint32_t flags)
{
	unsigned alarm = 0;
	if (flags & VT_FLAG_DEVICE_ALARM)
		alarm |= ALARM_ACTIVE;
	if (flags & VT_FLAG_DEVICE_SILENCED)
		alarm |= ALARM_SILENCED;
	if (flags & VT_FLAG_LOW_BATTERY)
		alarm |= ALARM_LOW_BATTERY;
	return alarm;
}

/* "ddd" or "---". */
static void
s_int3(char *dst, size_t len, const struct vt_reading *r, enum vt_param p, int hi)
{
	int v;
	if (vt_encode_int(r, p, 1.0, 0, hi, &v))
		snprintf(dst, len, "%03d", v);
	else
		snprintf(dst, len, "---");
}

/* "dd.dd" (hundredths) or "--.--"; "dd.d" (tenths) or "--.-". */
static void
s_fixed(char *dst, size_t len, const struct vt_reading *r, enum vt_param p, int decimals)
{
	int scale = decimals == 2 ? 100 : 10;
	int v;
	if (vt_encode_int(r, p, scale, 0, 100 * scale - 1, &v))
		snprintf(dst, len, "%02d.%0*d", v / scale, decimals, v % scale);
	else
		snprintf(dst, len, decimals == 2 ? "--.--" : "--.-");
}

static size_t
s_encode(void *state, const struct vt_reading *r, int64_t wall_ms, uint8_t *out, size_t cap)
{
	const struct s_masimo *s = state;
	struct vt_encode_tm tm;
	vt_encode_tm(wall_ms, &tm);
	char spo2[24], bpm[24], pi[24], spco[24], spmet[24];
	s_int3(spo2, sizeof(spo2), r, VT_SPO2, 100);
	s_int3(bpm, sizeof(bpm), r, VT_PR, 999);
	s_fixed(pi, sizeof(pi), r, VT_PI, 2);
	s_fixed(spco, sizeof(spco), r, VT_SPCO, 1);
	s_fixed(spmet, sizeof(spmet), r, VT_SPMET, 1);
	/* The year field has two digits; keep it two whatever the year is. */
	int yy = ((tm.year % 100) + 100) % 100;
	char line[VT_ENCODE_MAX];
	int n = snprintf(line, sizeof(line),
	                 "%02d/%02d/%02d %02d:%02d:%02d SN=%s SPO2=%s%% BPM=%s PI=%s%% "
	                 "SPCO=%s%% SPMET=%s%% DESAT=-- PIDELTA=+-- ALARM=%04X EXC=%06X\r\n",
	                 tm.month, tm.day, yy, tm.hour, tm.min, tm.sec, s->serial, spo2, bpm, pi,
	                 spco, spmet, s_alarm(r->flags), s_exc(r->flags));
	if (n < 0 || (size_t)n >= sizeof(line) || (size_t)n > cap)
		return 0;
	memcpy(out, line, (size_t)n);
	return (size_t)n;
}

const struct vt_encoder vt_encoder_masimo_ascii = {
	.name = "masimo-ascii",
	.description = "Masimo Rad-8 / Radical-7 ASCII 1 serial lines, 1 per second",
	.default_baud = 9600,
	.period_num_ms = 1000,
	.period_den = 1,
	.state_size = sizeof(struct s_masimo),
	.reset = s_reset,
	.encode = s_encode,
};
