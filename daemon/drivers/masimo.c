/*
 * Masimo "ASCII 1": the one-line-per-second text that Rad-8, Rad-87,
 * Radical-7, Rad-97 and Root monitors send out of their serial port, e.g.
 *
 *   02/22/16 22:47:45 SN=0000056661 SPO2=098% BPM=097 PI=03.60% SPCO=--.-%
 *   SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800
 *
 * (one line on the wire). Models add and drop fields and change their widths,
 * so the line is read by KEY, never by column. There is no checksum, so the
 * grammar is the only integrity check there is: a line must start with the
 * device's date and time, every token after it must be KEY=VALUE, every
 * value we use must parse and be in range, and no key may repeat (two lines
 * run together when a terminator is lost). Anything else drops the line.
 *
 * EXC is the device's view of the sensor and signal; ALARM is the device's
 * own alarm state. Both become flags, never alarms of ours.
 */
#include <stdbool.h>
#include <string.h>

#include "vitals/drivers/driver.h"
#include "vitals/drivers/linebuf.h"

/* EXC bits (Rad-8 manual for the low 12 bits, MD PnP for the cable bits). */
#define EXC_NO_SENSOR 0x000001u
#define EXC_DEFECTIVE_SENSOR 0x000002u
#define EXC_LOW_PERFUSION 0x000004u
#define EXC_PULSE_SEARCH 0x000008u
#define EXC_INTERFERENCE 0x000010u
#define EXC_SENSOR_OFF 0x000020u
#define EXC_AMBIENT_LIGHT 0x000040u
#define EXC_UNRECOGNIZED_SENSOR 0x000080u
#define EXC_INCOMPATIBLE_SENSOR 0x000100u /* reserved on Rad-8 */
#define EXC_LOW_SIQ 0x000400u
#define EXC_NO_CABLE 0x001000u
#define EXC_INCOMPATIBLE_CABLE 0x004000u
#define EXC_UNRECOGNIZED_CABLE 0x008000u
#define EXC_DEFECTIVE_CABLE 0x010000u

/* ALARM bits (MD PnP's list; the low six checked on a Rad-8). */
#define ALARM_LIMITS 0x3F0Fu /* SpO2, PR, SpCO, SpMet, desat, PI-delta limits */
#define ALARM_ACTIVE 0x0010u
#define ALARM_SILENCED 0x0020u
#define ALARM_LOW_BATTERY 0x0040u

/* One EXC bit and the flag it raises. */
struct s_bit_flag {
	uint32_t bit;
	uint32_t flag;
};

static const struct s_bit_flag s_exc_flags[] = {
	{EXC_NO_SENSOR, VT_FLAG_NO_SENSOR},
	{EXC_NO_CABLE, VT_FLAG_NO_SENSOR},
	{EXC_SENSOR_OFF, VT_FLAG_SENSOR_OFF},
	{EXC_DEFECTIVE_SENSOR, VT_FLAG_SENSOR_FAULT},
	{EXC_UNRECOGNIZED_SENSOR, VT_FLAG_SENSOR_FAULT},
	{EXC_INCOMPATIBLE_SENSOR, VT_FLAG_SENSOR_FAULT},
	{EXC_INCOMPATIBLE_CABLE, VT_FLAG_SENSOR_FAULT},
	{EXC_UNRECOGNIZED_CABLE, VT_FLAG_SENSOR_FAULT},
	{EXC_DEFECTIVE_CABLE, VT_FLAG_SENSOR_FAULT},
	{EXC_LOW_PERFUSION, VT_FLAG_LOW_PERFUSION},
	{EXC_LOW_SIQ, VT_FLAG_LOW_SIGNAL_IQ},
	{EXC_INTERFERENCE, VT_FLAG_ARTIFACT},
	{EXC_PULSE_SEARCH, VT_FLAG_PULSE_SEARCH},
	{EXC_AMBIENT_LIGHT, VT_FLAG_AMBIENT_LIGHT},
	/* 0x800 (Masimo SET) is set in normal operation. Cable/sensor life,
	 * calibration, emitter temperature and low-confidence bits are left
	 * unmapped: their effect on the readings is not documented, and a
	 * sensor flag would stop physiological alarms (see docs/drivers.md). */
};

/* What a known key holds and where it goes. */
enum s_key_kind {
	KEY_VALUE, /* a decimal value or all dashes; `param` receives it */
	KEY_ALARM, /* the device's alarm bitmask, hex */
	KEY_EXC    /* the exception bitmask, hex */
};

struct s_key {
	const char *name;
	enum s_key_kind kind;
	int param;    /* enum vt_param for KEY_VALUE */
	double lo, hi; /* plausible range; outside means a corrupted line */
};

/* Keys we use; every other KEY=VALUE token is ignored. Ranges are wider than
 * any Masimo display range: they catch corrupted digits, not patients. */
static const struct s_key s_keys[] = {
	{"SPO2", KEY_VALUE, VT_SPO2, 0, 100},
	{"BPM", KEY_VALUE, VT_PR, 0, 350},
	{"PI", KEY_VALUE, VT_PI, 0, 100},
	{"SPCO", KEY_VALUE, VT_SPCO, 0, 100},
	{"SPMET", KEY_VALUE, VT_SPMET, 0, 100},
	{"PVI", KEY_VALUE, VT_PVI, 0, 100},
	{"ALARM", KEY_ALARM, -1, 0, 0},
	{"EXC", KEY_EXC, -1, 0, 0},
};
#define S_NKEYS (sizeof s_keys / sizeof s_keys[0])

struct s_state {
	struct vt_linebuf lb;         /* line assembly */
	struct vt_driver_stats stats; /* counters */
};

/* Context for one feed call: the line callback needs both. */
struct s_feed {
	struct s_state *st;
	const struct vt_driver_sink *sink;
};

static bool
s_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* "MM/DD/YY HH:MM:SS" at the start of the line, then a space. */
static bool
s_has_timestamp(const char *s, size_t n)
{
	static const char pat[] = "dd/dd/dd dd:dd:dd ";
	if (n < sizeof pat - 1)
		return false;
	for (size_t i = 0; i < sizeof pat - 1; i++) {
		if (pat[i] == 'd' ? !s_isdigit(s[i]) : s[i] != pat[i])
			return false;
	}
	return true;
}

/*
 * A value field: "098", "03.60", "-02", or all dashes ("---", "--.-",
 * "+--"). Sets *missing for the dashes. Returns false if it is neither.
 */
static bool
s_parse_value(const char *v, size_t n, double *out, bool *missing)
{
	if (n > 0 && v[n - 1] == '%')
		n--;
	size_t i = 0;
	bool neg = false;
	if (n > 0 && (v[0] == '+' || v[0] == '-')) {
		neg = v[0] == '-';
		i = 1;
	}
	/* All dashes (and the decimal point that keeps the width) is no value.
	 * A lone sign ("-", "+") means the same thing: no digit was sent. */
	bool dashes_only = n > 0, dash = i == 1 && v[0] == '-';
	for (size_t k = i; k < n; k++) {
		if (v[k] == '-')
			dash = true;
		else if (v[k] != '.')
			dashes_only = false;
	}
	if (dashes_only && (dash || (i == 1 && n == 1))) {
		*missing = true;
		return true;
	}
	/* Digits with at most one decimal point; at most 9 digits in all. */
	double whole = 0, scale = 1;
	int digits = 0;
	bool point = false;
	for (; i < n; i++) {
		if (v[i] == '.' && !point) {
			point = true;
		} else if (s_isdigit(v[i]) && digits < 9) {
			digits++;
			whole = whole * 10 + (v[i] - '0');
			if (point)
				scale *= 10;
		} else {
			return false;
		}
	}
	if (digits == 0)
		return false;
	*out = (neg ? -whole : whole) / scale;
	*missing = false;
	return true;
}

/* 1 to 8 hex digits. */
static bool
s_parse_hex(const char *v, size_t n, uint32_t *out)
{
	if (n == 0 || n > 8)
		return false;
	uint32_t x = 0;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		uint32_t d;
		if (s_isdigit(c))
			d = (uint32_t)(c - '0');
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else
			return false;
		x = x << 4 | d;
	}
	*out = x;
	return true;
}

/* Flags for an EXC mask. */
static uint32_t
s_exc_to_flags(uint32_t exc)
{
	uint32_t flags = 0;
	for (size_t i = 0; i < sizeof s_exc_flags / sizeof s_exc_flags[0]; i++)
		if (exc & s_exc_flags[i].bit)
			flags |= s_exc_flags[i].flag;
	return flags;
}

/* Flags for an ALARM mask: the device's own alarm state. */
static uint32_t
s_alarm_to_flags(uint32_t alarm)
{
	uint32_t flags = 0;
	if (alarm & (ALARM_LIMITS | ALARM_ACTIVE))
		flags |= VT_FLAG_DEVICE_ALARM;
	if (alarm & ALARM_SILENCED)
		flags |= VT_FLAG_DEVICE_SILENCED;
	if (alarm & ALARM_LOW_BATTERY)
		flags |= VT_FLAG_LOW_BATTERY;
	return flags;
}

/*
 * Read one line (timestamp already checked) into `r`. Returns false if the
 * line breaks the grammar, repeats a key, lacks SPO2 or BPM, or holds a
 * value out of range.
 */
static bool
s_parse_line(const char *s, size_t n, struct vt_reading *r)
{
	memset(r, 0, sizeof *r);
	unsigned seen = 0; /* bit per s_keys row */
	size_t i = 17;     /* just after "MM/DD/YY HH:MM:SS" */
	while (i < n) {
		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			break;
		size_t start = i;
		while (i < n && s[i] != ' ')
			i++;
		const char *tok = s + start;
		size_t toklen = i - start;
		const char *eq = memchr(tok, '=', toklen);
		if (eq == NULL || eq == tok)
			return false;
		size_t keylen = (size_t)(eq - tok);
		for (size_t k = 0; k < keylen; k++) {
			char c = tok[k];
			if (!((c >= 'A' && c <= 'Z') || s_isdigit(c)))
				return false;
		}
		const char *val = eq + 1;
		size_t vallen = toklen - keylen - 1;
		for (size_t k = 0; k < S_NKEYS; k++) {
			const struct s_key *key = &s_keys[k];
			if (strlen(key->name) != keylen || memcmp(key->name, tok, keylen) != 0)
				continue;
			if (seen & (1u << k))
				return false;
			seen |= 1u << k;
			if (key->kind != KEY_VALUE) {
				uint32_t mask;
				if (!s_parse_hex(val, vallen, &mask))
					return false;
				if (key->kind == KEY_EXC) {
					r->flags |= s_exc_to_flags(mask);
					r->has_status = true;
				} else {
					r->flags |= s_alarm_to_flags(mask);
				}
			} else {
				double x = 0;
				bool missing = false;
				if (!s_parse_value(val, vallen, &x, &missing))
					return false;
				if (missing)
					vt_reading_set_missing(r, (enum vt_param)key->param);
				else if (x >= key->lo && x <= key->hi)
					vt_reading_set(r, (enum vt_param)key->param, x);
				else
					return false;
			}
			break;
		}
	}
	/* Every variant in the field sends both (rows 0 and 1 of s_keys); a
	 * line without them is not a record, or is another format such as the
	 * trend dump. */
	return (seen & 3u) == 3u;
}

/* One line from the line assembler. */
static void
s_on_line(void *ctx, const char *line, size_t len, enum vt_line_kind kind)
{
	struct s_feed *f = ctx;
	struct s_state *st = f->st;
	if (kind == VT_LINE_OVERLONG) {
		st->stats.dropped++;
		st->stats.why = "line too long (no line end)";
		return;
	}
	bool stamped = s_has_timestamp(line, len);
	if (kind == VT_LINE_FIRST && !stamped) {
		/* The port opened mid-line: this is the tail of a record. A first
		 * line that starts with the timestamp is whole and is kept. */
		st->stats.discarded += len;
		st->stats.why = "the tail of a line (the port opened mid-line)";
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7E) {
			st->stats.dropped++;
			st->stats.why = "a byte that is not printable text";
			return;
		}
	}
	struct vt_reading r;
	if (!stamped || !s_parse_line(line, len, &r)) {
		st->stats.dropped++;
		st->stats.why = stamped ? "a line without SPO2= and BPM=" : "a line without a timestamp";
		return;
	}
	st->stats.records++;
	if (f->sink != NULL && f->sink->reading != NULL)
		f->sink->reading(f->sink->ctx, &r);
}

static void
s_reset(void *state, const struct vt_driver_opts *opts)
{
	struct s_state *st = state;
	memset(st, 0, sizeof *st);
	vt_linebuf_reset(&st->lb, false);
}

static void
s_feed(void *state, const uint8_t *bytes, size_t len, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	struct s_feed f = {.st = st, .sink = sink};
	st->stats.bytes += len;
	vt_linebuf_feed(&st->lb, bytes, len, s_on_line, &f);
}

static void
s_stats(const void *state, struct vt_driver_stats *out)
{
	const struct s_state *st = state;
	*out = st->stats;
}

const struct vt_driver vt_driver_masimo = {
	.name = "masimo-ascii",                      /* protocol name in the configuration */
	.description = "Masimo Rad-8/Radical-7/Rad-97/Root ASCII 1 text lines",
	.default_baud = 9600,                        /* Rad-8/Rad-87 manual: 9600 8N1 */
	.default_flow = VT_FLOW_NONE,                /* the manual: no handshake */
	.nominal_period_ms = 1000,                   /* one line per second */
	.state_size = sizeof(struct s_state),        /* line buffer and counters */
	.reset = s_reset,                            /* hunt for the first line end */
	.feed = s_feed,                              /* bytes in, readings out */
	.stats = s_stats,                            /* counters */
	.text = true,                                /* printable lines */
	.params = VT_PARAMS_PULSE_OXIMETER,          /* SPO2 and BPM: on every line */
	.params_optional = VT_PARAM_BIT(VT_PI) | VT_PARAM_BIT(VT_SPCO) | /* as the model */
	                   VT_PARAM_BIT(VT_SPMET) | VT_PARAM_BIT(VT_PVI), /* and sensor give */
};
