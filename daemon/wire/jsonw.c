/*
 * The streaming JSON writer (see jsonw.h): what jansson would print, without
 * building a tree first. Every rule here mirrors one of jansson's so that the
 * two can be mixed freely: the escapes of its string dump, its integer
 * format, its real format (printf's %.10g, then ".0" when neither a point
 * nor an exponent shows, then the exponent without '+' or leading zeros),
 * and its strict UTF-8 check.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/wire/jsonw.h"

/* Most messages fit; the buffer grows for the rest. */
#define VT_JSONW_START 256

void
vt_jsonw_init(struct vt_jsonw *w)
{
	memset(w, 0, sizeof(*w));
}

/* Room for n more bytes and the terminating NUL. */
static bool
s_reserve(struct vt_jsonw *w, size_t n)
{
	if (w->failed)
		return false;
	if (w->len + n + 1 <= w->cap)
		return true;
	size_t cap = w->cap ? w->cap : VT_JSONW_START;
	while (cap < w->len + n + 1)
		cap *= 2;
	char *b = realloc(w->buf, cap);
	if (b == NULL) {
		w->failed = true;
		return false;
	}
	w->buf = b;
	w->cap = cap;
	return true;
}

static void
s_put(struct vt_jsonw *w, const char *s, size_t n)
{
	if (!s_reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* The comma between siblings. */
static void
s_sep(struct vt_jsonw *w)
{
	if (w->comma)
		s_put(w, ",", 1);
	w->comma = true;
}

void
vt_jsonw_open(struct vt_jsonw *w, char bracket)
{
	s_sep(w);
	s_put(w, &bracket, 1);
	w->comma = false;
}

void
vt_jsonw_close(struct vt_jsonw *w, char bracket)
{
	s_put(w, &bracket, 1);
	w->comma = true;
}

/* A quoted string with jansson's escapes: \" \\ \b \f \n \r \t, other controls as \u00XX. */
static void
s_quoted(struct vt_jsonw *w, const char *s)
{
	s_put(w, "\"", 1);
	const char *run = s;
	for (const char *p = s;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c != '\0' && c != '"' && c != '\\' && c >= 0x20)
			continue;
		s_put(w, run, (size_t)(p - run));
		if (c == '\0')
			break;
		char esc[8];
		switch (c) {
		case '"': s_put(w, "\\\"", 2); break;
		case '\\': s_put(w, "\\\\", 2); break;
		case '\b': s_put(w, "\\b", 2); break;
		case '\f': s_put(w, "\\f", 2); break;
		case '\n': s_put(w, "\\n", 2); break;
		case '\r': s_put(w, "\\r", 2); break;
		case '\t': s_put(w, "\\t", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			s_put(w, esc, 6);
			break;
		}
		run = p + 1;
	}
	s_put(w, "\"", 1);
}

void
vt_jsonw_key(struct vt_jsonw *w, const char *key)
{
	s_sep(w);
	s_quoted(w, key);
	s_put(w, ":", 1);
	w->comma = false;
}

void
vt_jsonw_string(struct vt_jsonw *w, const char *s)
{
	s_sep(w);
	s_quoted(w, s);
}

void
vt_jsonw_int(struct vt_jsonw *w, int64_t v)
{
	/* Digits by hand: snprintf is a large share of a message's cost. */
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	s_sep(w);
	s_put(w, p, (size_t)(buf + sizeof(buf) - p));
}

void
vt_jsonw_real(struct vt_jsonw *w, double v)
{
	/* jansson has no infinite or NaN reals: a caller that gets here is wrong. */
	if (!isfinite(v)) {
		w->failed = true;
		return;
	}
	char buf[40];
	int n = snprintf(buf, sizeof(buf), "%.10g", v);
	if (n < 0 || (size_t)n >= sizeof(buf) - 3) {
		w->failed = true;
		return;
	}
	size_t len = (size_t)n;
	/* The C locale is assumed, as everywhere in vitalsd: the point is '.'. */
	if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL) {
		memcpy(buf + len, ".0", 3);
		len += 2;
	}
	char *e = strchr(buf, 'e');
	if (e != NULL) {
		char *start = e + 1, *end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, len - (size_t)(end - buf) + 1);
			len -= (size_t)(end - start);
		}
	}
	s_sep(w);
	s_put(w, buf, len);
}

void
vt_jsonw_bool(struct vt_jsonw *w, bool v)
{
	s_sep(w);
	s_put(w, v ? "true" : "false", v ? 4 : 5);
}

void
vt_jsonw_null(struct vt_jsonw *w)
{
	s_sep(w);
	s_put(w, "null", 4);
}

bool
vt_jsonw_utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		int n;
		uint32_t cp;
		if (c >= 0xC2 && c <= 0xDF)
			n = 2, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 3, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 4, cp = c & 0x07;
		else
			return false; /* a continuation byte, an overlong lead or past U+10FFFF */
		for (int i = 1; i < n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false; /* also stops at the NUL */
			cp = cp << 6 | (p[i] & 0x3F);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += n;
	}
	return true;
}

char *
vt_jsonw_finish(struct vt_jsonw *w)
{
	if (!w->failed && s_reserve(w, 0)) {
		w->buf[w->len] = '\0';
		return w->buf; /* ownership passes to the caller */
	}
	free(w->buf);
	w->buf = NULL;
	return NULL;
}
