/*
 * The pieces every page of the infusion record is drawn with
 * (vitals/report/page.h). Text goes through cairo's toy font API, which
 * asks fontconfig for the family: DejaVu Sans and DejaVu Sans Mono, from
 * fonts-dejavu-core, which scripts/deps.sh installs. Hinting is off, so a
 * page is laid out the same whatever the machine's font settings, and
 * the golden image of the trend page holds on another machine.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <fontconfig/fontconfig.h>

#include "vitals/report/page.h"

static bool s_utc;

void
vt_page_paper(enum vt_paper paper, double *w, double *h)
{
	if (paper == VT_PAPER_LETTER) {
		*w = 612;
		*h = 792;
	} else {
		*w = 595.276; /* 210 x 297 mm */
		*h = 841.89;
	}
}

int
vt_page_paper_by_name(const char *name)
{
	if (strcasecmp(name, "a4") == 0)
		return VT_PAPER_A4;
	if (strcasecmp(name, "letter") == 0)
		return VT_PAPER_LETTER;
	return -1;
}

bool
vt_page_fonts_found(char *family, size_t len)
{
	snprintf(family, len, "?");
	FcPattern *want = FcNameParse((const FcChar8 *)"DejaVu Sans");
	if (want == NULL)
		return false;
	FcConfigSubstitute(NULL, want, FcMatchPattern);
	FcDefaultSubstitute(want);
	FcResult res;
	FcPattern *got = FcFontMatch(NULL, want, &res);
	FcChar8 *name = NULL;
	bool found = false;
	if (got != NULL && FcPatternGetString(got, FC_FAMILY, 0, &name) == FcResultMatch) {
		snprintf(family, len, "%s", (const char *)name);
		found = strcmp((const char *)name, "DejaVu Sans") == 0;
	}
	if (got != NULL)
		FcPatternDestroy(got);
	FcPatternDestroy(want);
	return found;
}

void
vt_page_fonts_release(void)
{
	cairo_debug_reset_static_data();
	FcFini();
}

static void
s_options(cairo_t *cr)
{
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	cairo_set_font_options(cr, fo);
	cairo_font_options_destroy(fo);
}

void
vt_page_font(cairo_t *cr, double size, bool bold)
{
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
	                       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	s_options(cr);
}

void
vt_page_mono(cairo_t *cr, double size)
{
	cairo_select_font_face(cr, "DejaVu Sans Mono", CAIRO_FONT_SLANT_NORMAL,
	                       CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	s_options(cr);
}

double
vt_page_width(cairo_t *cr, const char *s)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	return e.x_advance;
}

double
vt_page_text(cairo_t *cr, double x, double y, const char *s)
{
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, s);
	return x + vt_page_width(cr, s);
}

void
vt_page_text_right(cairo_t *cr, double x_right, double y, const char *s)
{
	vt_page_text(cr, x_right - vt_page_width(cr, s), y, s);
}

/* Bytes of the UTF-8 character starting at s. */
static size_t
s_char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0x80 ? 1 : c >> 5 == 6 ? 2 : c >> 4 == 14 ? 3 : c >> 3 == 30 ? 4 : 1;
	for (size_t i = 1; i < n; i++)
		if (s[i] == '\0')
			return i;
	return n;
}

/* The width of s[0..n). */
static double
s_width_n(cairo_t *cr, const char *s, size_t n)
{
	char buf[1024];
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return vt_page_width(cr, buf);
}

void
vt_page_text_fit(cairo_t *cr, double x, double y, double max_w, const char *s)
{
	if (vt_page_width(cr, s) <= max_w) {
		vt_page_text(cr, x, y, s);
		return;
	}
	static const char ell[] = "\xe2\x80\xa6"; /* … */
	double room = max_w - vt_page_width(cr, ell);
	size_t n = 0;
	while (s[n] != '\0') {
		size_t c = s_char_len(s + n);
		if (s_width_n(cr, s, n + c) > room)
			break;
		n += c;
	}
	char buf[1024];
	snprintf(buf, sizeof(buf), "%.*s%s", (int)n, s, ell);
	vt_page_text(cr, x, y, buf);
}

size_t
vt_page_wrap(cairo_t *cr, const char *s, double width, struct vt_page_span *out, size_t max)
{
	size_t lines = 0, at = 0, len = strlen(s);
	while (at < len) {
		while (s[at] == ' ')
			at++;
		if (at >= len)
			break;
		/* As many whole words as fit; at least one character. */
		size_t end = at, fit = 0;
		while (end < len) {
			size_t next = end;
			while (next < len && s[next] == ' ')
				next++;
			while (next < len && s[next] != ' ')
				next += s_char_len(s + next);
			if (s_width_n(cr, s + at, next - at) > width)
				break;
			end = fit = next;
		}
		if (fit == 0) { /* one word wider than the line: break inside it */
			end = at + s_char_len(s + at);
			while (end < len && s[end] != ' ' &&
			       s_width_n(cr, s + at, end + s_char_len(s + end) - at) <= width)
				end += s_char_len(s + end);
		}
		if (lines < max)
			out[lines] = (struct vt_page_span){at, end - at};
		lines++;
		at = end;
	}
	return lines;
}

void
vt_page_rgb(cairo_t *cr, double r, double g, double b)
{
	cairo_set_source_rgb(cr, r, g, b);
}

void
vt_page_priority(cairo_t *cr, enum vt_priority p, double alpha)
{
	/* The colours of IEC 60601-1-8: red high, yellow (here amber, to print) medium, cyan low. */
	static const double rgb[3][3] = {
	    [VT_PRIO_LOW] = {0.0, 0.55, 0.70},
	    [VT_PRIO_MEDIUM] = {0.85, 0.55, 0.0},
	    [VT_PRIO_HIGH] = {0.80, 0.05, 0.05},
	};
	cairo_set_source_rgba(cr, rgb[p][0], rgb[p][1], rgb[p][2], alpha);
}

void
vt_page_phase(cairo_t *cr, enum vt_phase p, double alpha)
{
	static const double rgb[VT_PHASE_COUNT][3] = {
	    [VT_PHASE_BASELINE] = {0.55, 0.70, 0.95},
	    [VT_PHASE_INFUSION] = {0.98, 0.70, 0.40},
	    [VT_PHASE_RECOVERY] = {0.55, 0.85, 0.55},
	    [VT_PHASE_ENDED] = {0.75, 0.75, 0.75},
	};
	cairo_set_source_rgba(cr, rgb[p][0], rgb[p][1], rgb[p][2], alpha);
}

void
vt_page_set_utc(bool utc)
{
	s_utc = utc;
}

static struct tm *
s_tm(int64_t ms, struct tm *tm)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
	return s_utc ? gmtime_r(&secs, tm) : localtime_r(&secs, tm);
}

static const char *
s_strftime(int64_t ms, const char *fmt, char *buf, size_t len)
{
	struct tm tm;
	if (s_tm(ms, &tm) == NULL || strftime(buf, len, fmt, &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

const char *
vt_page_clock(int64_t ms, char *buf, size_t len)
{
	return s_strftime(ms, "%H:%M:%S", buf, len);
}

const char *
vt_page_hhmm(int64_t ms, char *buf, size_t len)
{
	return s_strftime(ms, "%H:%M", buf, len);
}

const char *
vt_page_datetime(int64_t ms, char *buf, size_t len)
{
	return s_strftime(ms, "%Y-%m-%d %H:%M:%S", buf, len);
}

const char *
vt_page_zone(int64_t ms, char *buf, size_t len)
{
	struct tm tm;
	if (s_tm(ms, &tm) == NULL) {
		snprintf(buf, len, "?");
		return buf;
	}
	long off = s_utc ? 0 : tm.tm_gmtoff;
	char name[32];
	strftime(name, sizeof(name), "%Z", &tm);
	snprintf(buf, len, "%s, UTC%c%02ld:%02ld", s_utc ? "UTC" : name, off < 0 ? '-' : '+',
	         labs(off) / 3600, labs(off) / 60 % 60);
	return buf;
}

const char *
vt_page_duration(int64_t ms, char *buf, size_t len)
{
	if (ms < 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	long long s = (long long)((ms + 500) / 1000);
	if (s >= 3600)
		snprintf(buf, len, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%lld:%02lld", s / 60, s % 60);
	return buf;
}
