/*
 * Nellcor N-5xx / N-395 / NPB-29x real-time data port: a text table, one
 * data line every two seconds, with a three-line heading repeated every 25
 * lines or whenever a heading value changes:
 *
 *   N-560    VERSION 1.61.00    CRC:XXXX  SpO2 Limit: 95-100%    PR Limit: 59-148BPM
 *                                ADULT           25SAT-S
 *   TIME                 %SpO2   BPM     PA     Status
 *   07-Jan-04 11:24:54   100     102      36    MO             AO
 *
 * Data lines become readings; the heading becomes a struct vt_device_info
 * (the device's own limits and patient mode). A value followed by `*` is
 * outside the device's limits but still a measurement; `---` is no value.
 * Status codes are two capital letters each; unknown codes are ignored, so
 * a model with more codes still works. There is no checksum: anything that
 * is not one of the known line shapes is dropped.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "vitals/drivers/driver.h"
#include "vitals/drivers/linebuf.h"

/* A two-letter status code and the flags it raises. */
struct s_code {
	char code[3];
	uint32_t flags;
};

static const struct s_code s_codes[] = {
	{"SO", VT_FLAG_SENSOR_OFF},
	{"SD", VT_FLAG_NO_SENSOR},
	{"MO", VT_FLAG_ARTIFACT},
	{"LP", VT_FLAG_LOSS_OF_PULSE},
	{"PS", VT_FLAG_PULSE_SEARCH},
	{"LM", VT_FLAG_LOSS_OF_PULSE | VT_FLAG_ARTIFACT},
	{"LB", VT_FLAG_LOW_BATTERY},
	{"AO", VT_FLAG_DEVICE_SILENCED},
	{"AS", VT_FLAG_DEVICE_SILENCED},
	{"SL", VT_FLAG_DEVICE_ALARM},
	{"SH", VT_FLAG_DEVICE_ALARM},
	{"PL", VT_FLAG_DEVICE_ALARM},
	{"PH", VT_FLAG_DEVICE_ALARM},
};

struct s_state {
	struct vt_linebuf lb;         /* line assembly */
	struct vt_device_info info;   /* heading read since the last one was delivered */
	bool info_pending;            /* `info` holds something not yet delivered */
	bool interactive;             /* the device is in its interactive menu */
	struct vt_driver_stats stats; /* counters */
};

/* Context for one feed call. */
struct s_feed {
	struct s_state *st;
	const struct vt_driver_sink *sink;
};

/* A whitespace-separated token of a line. */
struct s_tok {
	const char *s;
	size_t n;
};

static bool
s_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
s_isspace(char c)
{
	return c == ' ' || c == '\t';
}

static char
s_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Split `s` into at most `max` tokens; returns how many, or max + 1 if more. */
static size_t
s_split(const char *s, size_t n, struct s_tok *toks, size_t max)
{
	size_t count = 0, i = 0;
	for (;;) {
		while (i < n && s_isspace(s[i]))
			i++;
		if (i == n)
			return count;
		if (count == max)
			return max + 1;
		size_t start = i;
		while (i < n && !s_isspace(s[i]))
			i++;
		toks[count].s = s + start;
		toks[count].n = i - start;
		count++;
	}
}

static bool
s_tok_is(const struct s_tok *t, const char *word)
{
	size_t n = strlen(word);
	if (t->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s_upper(t->s[i]) != word[i])
			return false;
	return true;
}

/* Case-insensitive search for `word` in s[0..n); index or -1. */
static long
s_find(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);
	for (size_t i = 0; i + w <= n; i++) {
		size_t k = 0;
		while (k < w && s_upper(s[i + k]) == word[k])
			k++;
		if (k == w)
			return (long)i;
	}
	return -1;
}

/* "DD-MMM-YY HH:MM:SS" with an English month, then a space or the end. */
static bool
s_has_timestamp(const char *s, size_t n)
{
	static const char pat[] = "dd-aaa-dd dd:dd:dd";
	static const char months[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";
	if (n < sizeof pat - 1 || (n > sizeof pat - 1 && !s_isspace(s[sizeof pat - 1])))
		return false;
	for (size_t i = 0; i < sizeof pat - 1; i++) {
		if (pat[i] == 'd' ? !s_isdigit(s[i]) : pat[i] == 'a' ? false : s[i] != pat[i])
			return false;
	}
	for (size_t m = 0; m < 12; m++)
		if (s_upper(s[3]) == months[3 * m] && s_upper(s[4]) == months[3 * m + 1] &&
		    s_upper(s[5]) == months[3 * m + 2])
			return true;
	return false;
}

/*
 * A value column: 1-3 digits with an optional `*` (outside the device's
 * limits), or dashes (no value). Returns false for anything else.
 */
static bool
s_parse_value(const struct s_tok *t, int *out, bool *missing, bool *starred)
{
	size_t n = t->n;
	*starred = n > 0 && t->s[n - 1] == '*';
	if (*starred)
		n--;
	if (n == 0)
		return false;
	bool dashes = true;
	for (size_t i = 0; i < n; i++)
		dashes = dashes && t->s[i] == '-';
	if (dashes) {
		*missing = true;
		return !*starred;
	}
	if (n > 3)
		return false;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!s_isdigit(t->s[i]))
			return false;
		v = v * 10 + (t->s[i] - '0');
	}
	*missing = false;
	*out = v;
	return true;
}

/* Two capital letters. */
static bool
s_is_code(const struct s_tok *t)
{
	return t->n == 2 && t->s[0] >= 'A' && t->s[0] <= 'Z' && t->s[1] >= 'A' && t->s[1] <= 'Z';
}

/* Put one measured column into `r`, or fail if out of range. */
static bool
s_put(struct vt_reading *r, enum vt_param p, int v, bool missing, int hi)
{
	if (missing)
		vt_reading_set_missing(r, p);
	else if (v <= hi)
		vt_reading_set(r, p, v);
	else
		return false;
	return true;
}

/* Read a data line (timestamp already checked) into `r`. */
static bool
s_parse_data(const char *s, size_t n, struct vt_reading *r)
{
	struct s_tok toks[16];
	size_t nt = s_split(s + 18, n - 18, toks, 16);
	if (nt < 2 || nt > 16)
		return false;
	memset(r, 0, sizeof *r);
	r->has_status = true;
	int spo2 = 0, bpm = 0, pa = 0;
	bool spo2_missing, bpm_missing, pa_missing, star;
	if (!s_parse_value(&toks[0], &spo2, &spo2_missing, &star))
		return false;
	if (star)
		r->flags |= VT_FLAG_DEVICE_ALARM;
	if (!s_parse_value(&toks[1], &bpm, &bpm_missing, &star))
		return false;
	if (star)
		r->flags |= VT_FLAG_DEVICE_ALARM;
	if (!s_put(r, VT_SPO2, spo2, spo2_missing, 100) || !s_put(r, VT_PR, bpm, bpm_missing, 350))
		return false;
	/* The pulse amplitude column is read for the grammar only: vitalsd has
	 * no parameter for a relative amplitude. Some models may not send it,
	 * so a code in its place is accepted. */
	size_t i = 2;
	if (i < nt && !s_is_code(&toks[i])) {
		if (!s_parse_value(&toks[i], &pa, &pa_missing, &star))
			return false;
		i++;
	}
	for (; i < nt; i++) {
		if (!s_is_code(&toks[i]))
			return false;
		for (size_t k = 0; k < sizeof s_codes / sizeof s_codes[0]; k++)
			if (toks[i].s[0] == s_codes[k].code[0] && toks[i].s[1] == s_codes[k].code[1])
				r->flags |= s_codes[k].flags;
	}
	return true;
}

/* Copy a token into a fixed field, cut to fit. */
static void
s_copy(char *dst, size_t cap, const struct s_tok *t)
{
	size_t n = t->n < cap - 1 ? t->n : cap - 1;
	memcpy(dst, t->s, n);
	dst[n] = '\0';
}

/* "lo-hi" with optional spaces after the colon and around the dash; the
 * unit follows. Both must be within [0, max] and in order. */
static bool
s_parse_limits(const char *s, size_t n, int max, double *lo, double *hi)
{
	size_t i = 0;
	int v[2] = {0, 0};
	for (int k = 0; k < 2; k++) {
		while (i < n && s[i] == ' ')
			i++;
		size_t start = i;
		while (i < n && s_isdigit(s[i]) && i - start < 4)
			v[k] = v[k] * 10 + (s[i++] - '0');
		if (i == start)
			return false;
		while (k == 0 && i < n && s[i] == ' ')
			i++;
		if (k == 0 && (i == n || s[i++] != '-'))
			return false;
	}
	if (v[0] > v[1] || v[1] > max)
		return false;
	*lo = v[0];
	*hi = v[1];
	return true;
}

static void
s_info_clear(struct vt_device_info *info)
{
	memset(info, 0, sizeof *info);
	info->spo2_low = info->spo2_high = NAN;
	info->pr_low = info->pr_high = NAN;
}

/* Heading line 1: model, VERSION, CRC, SpO2 and PR limits (or INFO, SEC). */
static void
s_header1(struct s_state *st, const char *s, size_t n, const struct s_tok *toks, size_t nt)
{
	s_info_clear(&st->info);
	s_copy(st->info.model, sizeof st->info.model, &toks[0]);
	for (size_t i = 1; i + 1 < nt; i++)
		if (s_tok_is(&toks[i], "VERSION"))
			s_copy(st->info.version, sizeof st->info.version, &toks[i + 1]);
	long at = s_find(s, n, "SPO2 LIMIT:");
	if (at >= 0) {
		size_t from = (size_t)at + 11;
		if (!s_parse_limits(s + from, n - from, 100, &st->info.spo2_low, &st->info.spo2_high))
			st->info.spo2_low = st->info.spo2_high = NAN;
	}
	at = s_find(s, n, "PR LIMIT:");
	if (at >= 0) {
		size_t from = (size_t)at + 9;
		if (!s_parse_limits(s + from, n - from, 350, &st->info.pr_low, &st->info.pr_high))
			st->info.pr_low = st->info.pr_high = NAN;
	}
	st->info_pending = true;
}

/* Heading line 2: patient mode ("ADULT", "NEO"), then "nnSAT-S", then on
 * the N-595 the response mode. The mode is the word before SAT-S. */
static void
s_header2(struct s_state *st, const struct s_tok *toks, size_t nt)
{
	if (!st->info_pending)
		s_info_clear(&st->info);
	bool alpha = nt >= 2 && toks[0].n > 0;
	for (size_t k = 0; alpha && k < toks[0].n; k++)
		alpha = s_upper(toks[0].s[k]) >= 'A' && s_upper(toks[0].s[k]) <= 'Z';
	if (alpha)
		s_copy(st->info.mode, sizeof st->info.mode, &toks[0]);
	st->info_pending = true;
}

static void
s_flush_info(struct s_state *st, const struct vt_driver_sink *sink)
{
	if (!st->info_pending)
		return;
	st->info_pending = false;
	if (sink != NULL && sink->info != NULL)
		sink->info(sink->ctx, &st->info);
}

/* Lines of the N-595 interactive menu ("NPB-595   Interactive Mode",
 * "    1) Dump Instrument Info", "    Command?"). */
static bool
s_is_menu(const char *s, size_t n, const struct s_tok *toks, size_t nt)
{
	if (s_find(s, n, "INTERACTIVE MODE") >= 0)
		return true;
	if (nt >= 1 && s_tok_is(&toks[0], "COMMAND?"))
		return true;
	return nt >= 2 && toks[0].n == 2 && s_isdigit(toks[0].s[0]) && toks[0].s[1] == ')';
}

/* Does the line start like heading line 1, "N-560    VERSION ..."? A model
 * name (capitals, a dash, digits) at column 0, then VERSION. */
static bool
s_is_header1_start(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] >= 'A' && s[i] <= 'Z')
		i++;
	if (i == 0 || i == n || s[i++] != '-' || i == n || !s_isdigit(s[i]))
		return false;
	while (i < n && !s_isspace(s[i]))
		i++;
	while (i < n && s_isspace(s[i]))
		i++;
	return n - i >= 7 && memcmp(s + i, "VERSION", 7) == 0;
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
	if (kind == VT_LINE_FIRST && !stamped && !s_is_header1_start(line, len)) {
		/* The port opened mid-line. A first line that starts with a
		 * timestamp or a model name is whole and is kept. */
		st->stats.discarded += len;
		st->stats.why = "the tail of a line (the port opened mid-line)";
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c > 0x7E) {
			st->stats.dropped++;
			st->stats.why = "a byte that is not printable text";
			return;
		}
	}
	if (stamped) {
		struct vt_reading r;
		if (st->interactive || !s_parse_data(line, len, &r)) {
			/* In the menu, stamped lines may be a trend dump of old
			 * values: never report them as live. */
			st->stats.dropped++;
			st->stats.why = st->interactive ? "a trend line while the menu is open"
			                                : "a timestamped line that does not parse";
			return;
		}
		s_flush_info(st, f->sink);
		st->stats.records++;
		if (f->sink != NULL && f->sink->reading != NULL)
			f->sink->reading(f->sink->ctx, &r);
		return;
	}

	struct s_tok toks[24];
	size_t nt = s_split(line, len, toks, 24);
	if (nt == 0)
		return; /* blank line */
	if (nt > 24) {
		st->stats.dropped++;
		st->stats.why = "a line with too many fields";
		return;
	}
	if (nt >= 3 && s_tok_is(&toks[0], "TIME") &&
	    (s_tok_is(&toks[1], "%SPO2") || s_tok_is(&toks[2], "BPM"))) {
		/* Column titles end the heading; real-time output has resumed. */
		st->interactive = false;
		s_flush_info(st, f->sink);
		return;
	}
	if (nt >= 2 && s_find(line, len, "VERSION") >= 0) {
		s_header1(st, line, len, toks, nt);
		return;
	}
	if (s_find(line, len, "SAT-S") >= 0) {
		s_header2(st, toks, nt);
		return;
	}
	if (s_is_menu(line, len, toks, nt)) {
		st->interactive = true;
		return;
	}
	st->stats.dropped++;
	st->stats.why = "a line that is neither data nor heading";
}

static void
s_reset(void *state, const struct vt_driver_opts *opts)
{
	struct s_state *st = state;
	memset(st, 0, sizeof *st);
	s_info_clear(&st->info);
	/* With XON/XOFF flow control enabled the device may send DC1/DC3. */
	vt_linebuf_reset(&st->lb, true);
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

const struct vt_driver vt_driver_nellcor = {
	.name = "nellcor-ascii",               /* protocol name in the configuration */
	.description = "Nellcor N-5xx/N-395/NPB-29x real-time ASCII data port",
	.default_baud = 9600,                  /* 9600 8N1 */
	.default_flow = VT_FLOW_NONE,          /* XON/XOFF works if configured */
	.nominal_period_ms = 2000,             /* one data line every two seconds */
	.state_size = sizeof(struct s_state),  /* line buffer, heading, counters */
	.reset = s_reset,                      /* hunt for the first line end */
	.feed = s_feed,                        /* bytes in, readings and info out */
	.stats = s_stats,                      /* counters */
	.text = true,                          /* printable lines */
	.params = VT_PARAMS_PULSE_OXIMETER,    /* SpO2 and pulse rate, nothing else */
};
