/*
 * Ivy Biomedical 450C "ANSAR-B" output: about one message a second, each
 *
 *   0xFF "ANSAR-B " <400 waveform bytes> <numeric records> 0xFE
 *
 * where every numeric record is ASCII ending in CR:
 *
 *   HR=1;80;ECG-II-DIAG;           NIBP=4;121;75;92;80;;
 *   SPO2=1;100;PR=80 ;             P2=3;;;;NO TRANSDUCER;
 *
 * The digit after `=` is how many values follow (every record of the real
 * capture agrees: HR 1, NIBP 4, P1 3, ...); after the values comes one
 * text field (a label such as the ECG lead, the SpO2 record's pulse rate
 * as `PR=nn`, or a message such as NO TRANSDUCER), then the closing `;`.
 * An empty value is no value. The waveform bytes never reach 0xFE (they
 * top out at 251 in the capture), so 0xFF always starts a message and
 * 0xFE always ends one.
 *
 * There is no checksum: the message's grammar is the integrity check.
 * A message with a record of the wrong shape, a value that is not a number,
 * or an impossible value is dropped whole, never reported in part.
 *
 * The monitor repeats its last cuff reading in every message until the
 * next measurement, with no time. A reading that differs from the last one
 * (its four values, the pulse during the measurement among them) is a new
 * measurement, measured when it first arrived; every repeat reports that
 * time as its age, so the core counts one measurement per cuff cycle. The
 * reading of the first message after the port opened was taken who knows
 * when: it goes untimed, and the core takes it for the one it held if the
 * values agree.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/drivers/driver.h"

#define S_START "\xff" "ANSAR-B "
#define S_START_LEN 9
#define S_WAVE_LEN 400
#define S_END 0xFE
/* The numeric records of the capture take 153 bytes; room for a model
 * with more records or longer messages, bounded. */
#define S_TEXT_MAX 1024
/* The most values a record carries (NIBP: sys, dia, mean, pulse). */
#define S_VALUES_MAX 8
/* The NIBP record's values: sys, dia, mean, and the pulse during the measurement. */
#define S_CUFF_VALUES 4

enum s_phase {
	S_HUNT,  /* looking for 0xFF */
	S_MAGIC, /* inside "ANSAR-B " */
	S_WAVE,  /* skipping the waveform block */
	S_TEXT   /* reading numeric records up to 0xFE */
};

/* A message's NIBP record as it came: which values it has, and them. */
struct s_cuff {
	bool seen;                    /* the message has one */
	bool has[S_CUFF_VALUES];
	double v[S_CUFF_VALUES];
};

struct s_state {
	enum s_phase phase;
	size_t n;                     /* bytes of the current phase seen */
	size_t msg_bytes;             /* bytes of the current message so far */
	char text[S_TEXT_MAX];        /* the numeric records */
	struct s_cuff cuff;           /* the NIBP record of the last message that had one */
	bool cuff_timed;              /* its measurement time is known: cuff_at */
	int64_t cuff_at;              /* when it first arrived (ms, our clock: also its stamp) */
	struct vt_driver_stats stats; /* counters */
};

/* A record the driver knows: its label, how many values, where they go. */
struct s_record {
	const char *label;
	int values;
	int param[S_VALUES_MAX]; /* enum vt_param per value, -1: not read */
};

/* P1/P2 are invasive pressures and T2 a second temperature: vitalsd has no
 * parameter for them, but their shape is still checked. */
static const struct s_record s_records[] = {
	{"HR", 1, {VT_HR}},
	{"RR", 1, {VT_RR}},
	{"ETCO2", 1, {VT_ETCO2}},
	{"SPO2", 1, {VT_SPO2}},
	{"NIBP", 4, {VT_NIBP_SYS, VT_NIBP_DIA, VT_NIBP_MAP, -1}},
	{"P1", 3, {-1, -1, -1}},
	{"P2", 3, {-1, -1, -1}},
	{"T1", 1, {VT_TEMP}},
	{"T2", 1, {-1}},
};

static bool
s_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * A value field: empty (no value, *has false) or a decimal number with at
 * most one point and no sign ("80", "36.5"). False if malformed.
 */
static bool
s_number(const char *s, size_t n, bool *has, double *v)
{
	*has = false;
	if (n == 0)
		return true;
	if (n > 7)
		return false;
	char buf[8];
	bool digit = false, point = false;
	for (size_t i = 0; i < n; i++) {
		if (s_isdigit(s[i]))
			digit = true;
		else if (s[i] == '.' && !point)
			point = true;
		else
			return false;
		buf[i] = s[i];
	}
	if (!digit)
		return false;
	buf[n] = '\0';
	*v = strtod(buf, NULL);
	*has = true;
	return true;
}

/*
 * A temperature in degrees Celsius. The stream does not say which unit the
 * monitor is set to; the plausible ranges do not overlap (a body or probe
 * reads 0-50 degrees C, 77-113 degrees F), so the value says it. Anything
 * between or beyond is no value.
 */
static bool
s_celsius(double *v)
{
	if (*v >= 77 && *v <= 113) {
		*v = (*v - 32) * 5 / 9;
		return true;
	}
	return *v <= 50;
}

/* The SpO2 record's text field: "PR=80 " (spaces after), or anything else (no pulse rate). */
static void
s_spo2_pulse(const char *s, size_t n, struct vt_reading *r)
{
	while (n > 0 && s[n - 1] == ' ')
		n--;
	bool has = false;
	double v = 0;
	if (n > 3 && memcmp(s, "PR=", 3) == 0 && s_number(s + 3, n - 3, &has, &v) && has &&
	    v <= vt_param_info(VT_PR)->max)
		vt_reading_set(r, VT_PR, v);
	else
		vt_reading_set_missing(r, VT_PR);
}

/* Text fields are printable ASCII without the field separator. */
static bool
s_text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7E || s[i] == ';')
			return false;
	return true;
}

/*
 * One record line (without its CR) into `r`. False if it is malformed;
 * records with a label the driver does not know are checked for shape
 * and otherwise ignored.
 */
static bool
s_line(const char *s, size_t n, struct vt_reading *r, unsigned *seen, struct s_cuff *cuff)
{
	const char *eq = memchr(s, '=', n);
	if (eq == NULL || eq == s || (size_t)(eq - s) > 8)
		return false;
	size_t llen = (size_t)(eq - s);
	for (size_t i = 0; i < llen; i++)
		if (!(s_isdigit(s[i]) || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	/* "=N;" then N values and one text field, each closed by ';'. */
	if (n < llen + 3 || !s_isdigit(eq[1]) || eq[1] == '0' || eq[2] != ';' || s[n - 1] != ';')
		return false;
	int count = eq[1] - '0';
	const char *f = eq + 3, *end = s + n;
	const char *field[S_VALUES_MAX + 1];
	size_t flen[S_VALUES_MAX + 1];
	int nf = 0;
	while (f < end) {
		const char *semi = memchr(f, ';', (size_t)(end - f));
		if (nf == count + 1)
			return false; /* more fields than the count says */
		field[nf] = f;
		flen[nf] = (size_t)(semi - f);
		nf++;
		f = semi + 1;
	}
	if (nf != count + 1 || !s_text_ok(field[count], flen[count]))
		return false;

	const struct s_record *rec = NULL;
	size_t k;
	for (k = 0; k < sizeof s_records / sizeof s_records[0]; k++)
		if (strlen(s_records[k].label) == llen && memcmp(s_records[k].label, s, llen) == 0) {
			rec = &s_records[k];
			break;
		}
	double v[S_VALUES_MAX];
	bool has[S_VALUES_MAX];
	for (int i = 0; i < count; i++)
		if (!s_number(field[i], flen[i], &has[i], &v[i]))
			return false;
	if (rec == NULL)
		return true;
	/* A known record twice means two messages ran together; a different
	 * count means a model whose layout we do not know. */
	if (rec->values != count || (*seen & (1u << k)))
		return false;
	*seen |= 1u << k;
	for (int i = 0; i < count; i++) {
		int p = rec->param[i];
		if (p < 0)
			continue;
		if (!has[i]) {
			vt_reading_set_missing(r, (enum vt_param)p);
			continue;
		}
		if (p == VT_TEMP && !s_celsius(&v[i])) {
			vt_reading_set_missing(r, VT_TEMP);
			continue;
		}
		const struct vt_param_info *pi = vt_param_info((enum vt_param)p);
		if (v[i] < pi->min || v[i] > pi->max)
			return false;
		vt_reading_set(r, (enum vt_param)p, v[i]);
	}
	if (strcmp(rec->label, "SPO2") == 0)
		s_spo2_pulse(field[count], flen[count], r);
	if (strcmp(rec->label, "NIBP") == 0) {
		cuff->seen = true;
		for (int i = 0; i < S_CUFF_VALUES; i++) {
			cuff->has[i] = has[i];
			cuff->v[i] = has[i] ? v[i] : 0;
		}
	}
	return true;
}

/* The numeric records of a whole message: its reading and NIBP record; false to drop it. */
static bool
s_decode(const char *text, size_t len, struct vt_reading *r, struct s_cuff *cuff)
{
	memset(r, 0, sizeof *r);
	memset(cuff, 0, sizeof *cuff);
	unsigned seen = 0;
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '\r')
			continue;
		if (i > start && !s_line(text + start, i - start, r, &seen, cuff))
			return false;
		start = i + 1;
	}
	/* Every record ends in CR; a message with none carries nothing. */
	return start == len && seen != 0;
}

/*
 * The time of the cuff reading of a message that arrived at `now`: a
 * reading other than the last one shown is a new measurement, taken now
 * if a message came before it (the first one shown after the port opened
 * was taken at a time nobody knows). Its repeats keep that time.
 */
static void
s_cuff_time(struct s_state *st, const struct s_cuff *cuff, int64_t now, struct vt_reading *r)
{
	if (!cuff->seen)
		return;
	if (!st->cuff.seen || memcmp(cuff->has, st->cuff.has, sizeof cuff->has) != 0 ||
	    memcmp(cuff->v, st->cuff.v, sizeof cuff->v) != 0) {
		st->cuff_timed = st->cuff.seen;
		st->cuff_at = now;
		st->cuff = *cuff;
	}
	if (!st->cuff_timed)
		return;
	static const enum vt_param ps[] = {VT_NIBP_SYS, VT_NIBP_DIA, VT_NIBP_MAP};
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
		if (r->valid & VT_PARAM_BIT(ps[i]))
			vt_reading_set_age(r, ps[i], now - st->cuff_at, st->cuff_at);
}

static void
s_drop(struct s_state *st)
{
	st->stats.dropped++;
	st->phase = S_HUNT;
}

static void
s_byte(struct s_state *st, uint8_t c, const struct vt_driver_sink *sink)
{
	if (c == 0xFF) {
		/* A message always starts here, even in the middle of another:
		 * the one before was cut short. */
		if (st->phase == S_MAGIC)
			st->stats.discarded += st->n;
		else if (st->phase != S_HUNT)
			st->stats.dropped++;
		st->phase = S_MAGIC;
		st->n = 1;
		return;
	}
	switch (st->phase) {
	case S_HUNT:
		st->stats.discarded++;
		return;
	case S_MAGIC:
		if (c != (uint8_t)S_START[st->n]) {
			/* 0xFF and a few bytes that were not the magic: noise. */
			st->stats.discarded += st->n + 1;
			st->phase = S_HUNT;
			return;
		}
		if (++st->n == S_START_LEN) {
			st->phase = S_WAVE;
			st->n = 0;
		}
		return;
	case S_WAVE:
		if (c == S_END) {
			s_drop(st); /* the message ended inside its waveform */
			return;
		}
		if (++st->n == S_WAVE_LEN) {
			st->phase = S_TEXT;
			st->n = 0;
		}
		return;
	case S_TEXT:
		if (c == S_END) {
			struct vt_reading r;
			struct s_cuff cuff;
			st->phase = S_HUNT;
			if (!s_decode(st->text, st->n, &r, &cuff)) {
				st->stats.dropped++;
				return;
			}
			s_cuff_time(st, &cuff, sink != NULL ? sink->now : 0, &r);
			st->stats.records++;
			if (sink != NULL && sink->reading != NULL)
				sink->reading(sink->ctx, &r);
			return;
		}
		if (st->n == S_TEXT_MAX || (c != '\r' && (c < 0x20 || c > 0x7E))) {
			s_drop(st); /* overlong, or a byte no record has */
			return;
		}
		st->text[st->n++] = (char)c;
		return;
	}
}

static void
s_reset(void *state, const struct vt_driver_opts *opts)
{
	struct s_state *st = state;
	memset(st, 0, sizeof *st);
	st->phase = S_HUNT;
}

static void
s_feed(void *state, const uint8_t *bytes, size_t len, const struct vt_driver_sink *sink)
{
	struct s_state *st = state;
	st->stats.bytes += len;
	for (size_t i = 0; i < len; i++)
		s_byte(st, bytes[i], sink);
}

static void
s_stats(const void *state, struct vt_driver_stats *out)
{
	const struct s_state *st = state;
	*out = st->stats;
}

const struct vt_driver vt_driver_ivy_ansarb = {
	.name = "ivy-ansarb",                  /* protocol name in the configuration */
	.description = "Ivy Biomedical 450C ANSAR-B stream (one message a second)",
	.default_baud = 9600,                  /* OpenICE's settings for the 450C: 9600 8N1 */
	.default_flow = VT_FLOW_NONE,          /* none: the monitor only sends */
	.nominal_period_ms = 1000,             /* one message a second (the capture) */
	.state_size = sizeof(struct s_state),  /* one message's records, the last cuff reading */
	.reset = s_reset,                      /* hunt for 0xFF */
	.feed = s_feed,                        /* bytes in, readings out */
	.stats = s_stats,                      /* counters */
	.params_optional = VT_PARAMS_BEDSIDE,  /* as the monitor is fitted (EtCO2 an option) */
};
