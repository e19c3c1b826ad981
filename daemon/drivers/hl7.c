/*
 * HL7 v2 syntax, read in place (hl7.h). Everything here is a bounded scan
 * of the bytes it is given: a hostile message costs time proportional to
 * its length and nothing else, and no piece ever points outside it.
 */
#include <stdio.h>
#include <string.h>

#include "vitals/base/timefmt.h"
#include "vitals/drivers/hl7.h"

static const struct vt_hl7_str s_empty = {"", 0};

/* A separator must be a printable character that is not a letter or digit. */
static bool
s_separator(char c)
{
	return c > ' ' && c < 0x7F && !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') &&
	       !(c >= 'a' && c <= 'z');
}

int
vt_hl7_open(struct vt_hl7_msg *m, const char *p, size_t len, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	if (len < 8 || memcmp(p, "MSH", 3) != 0) {
		snprintf(err, errlen, "not an HL7 message (it must begin with MSH)");
		return -1;
	}
	m->p = p;
	m->n = len;
	m->field = p[3];
	/* MSH-2: three to five encoding characters, up to the next field separator. */
	size_t k = 4;
	while (k < len && k < 9 && p[k] != m->field && p[k] != '\r' && p[k] != '\n')
		k++;
	size_t enc = k - 4;
	if (k >= len || p[k] != m->field || enc < 3 || enc > 5) {
		snprintf(err, errlen, "MSH-2 must hold 3 to 5 encoding characters before the next %c",
		         s_separator(m->field) ? m->field : '|');
		return -1;
	}
	m->comp = p[4];
	m->rep = p[5];
	m->esc = p[6];
	m->sub = enc >= 4 ? p[7] : 0;
	/* The field separator and every encoding character (the fifth is
	 * v2.7's truncation character): punctuation, all different. */
	for (size_t i = 3; i < k; i++) {
		if (!s_separator(p[i])) {
			snprintf(err, errlen, "MSH: separator %zu is not a printable punctuation character",
			         i - 2);
			return -1;
		}
		if (memchr(p + 3, p[i], i - 3) != NULL) {
			snprintf(err, errlen, "MSH: the separators are not all different");
			return -1;
		}
	}
	return 0;
}

bool
vt_hl7_segment(const struct vt_hl7_msg *m, size_t *pos, struct vt_hl7_str *seg)
{
	size_t i = *pos;
	while (i < m->n && (m->p[i] == '\r' || m->p[i] == '\n'))
		i++;
	if (i >= m->n) {
		*pos = m->n;
		return false;
	}
	size_t start = i;
	while (i < m->n && m->p[i] != '\r' && m->p[i] != '\n')
		i++;
	seg->p = m->p + start;
	seg->n = i - start;
	*pos = i;
	return true;
}

struct vt_hl7_str
vt_hl7_msh(const struct vt_hl7_msg *m)
{
	struct vt_hl7_str seg = {m->p, 0};
	size_t pos = 0;
	vt_hl7_segment(m, &pos, &seg);
	return seg;
}

bool
vt_hl7_is(struct vt_hl7_str seg, const char *id)
{
	/* Segment ids are three letters or digits, then a field separator. */
	return seg.n >= 3 && strlen(id) == 3 && memcmp(seg.p, id, 3) == 0 &&
	       (seg.n == 3 || s_separator(seg.p[3]));
}

bool
vt_hl7_find(const struct vt_hl7_msg *m, const char *id, struct vt_hl7_str *seg)
{
	size_t pos = 0;
	while (vt_hl7_segment(m, &pos, seg))
		if (vt_hl7_is(*seg, id))
			return true;
	return false;
}

/* Piece `k` (0 = the segment id) of `s` split on `sep`; empty when absent. */
static struct vt_hl7_str
s_piece(struct vt_hl7_str s, char sep, int k)
{
	size_t i = 0;
	for (int at = 0; at < k; at++) {
		const char *next = memchr(s.p + i, sep, s.n - i);
		if (next == NULL)
			return s_empty;
		i = (size_t)(next - s.p) + 1;
	}
	const char *end = memchr(s.p + i, sep, s.n - i);
	size_t e = end ? (size_t)(end - s.p) : s.n;
	return (struct vt_hl7_str){s.p + i, e - i};
}

struct vt_hl7_str
vt_hl7_field(const struct vt_hl7_msg *m, struct vt_hl7_str seg, int n)
{
	if (n < 1)
		return s_empty;
	if (vt_hl7_is(seg, "MSH") && seg.p == m->p) {
		if (n == 1)
			return (struct vt_hl7_str){seg.p + 3, 1};
		n--;
	}
	return s_piece(seg, m->field, n);
}

struct vt_hl7_str
vt_hl7_rep(const struct vt_hl7_msg *m, struct vt_hl7_str field, int r)
{
	return r < 1 ? s_empty : s_piece(field, m->rep, r - 1);
}

struct vt_hl7_str
vt_hl7_comp(const struct vt_hl7_msg *m, struct vt_hl7_str field, int k)
{
	return k < 1 ? s_empty : s_piece(vt_hl7_rep(m, field, 1), m->comp, k - 1);
}

static int
s_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t
vt_hl7_text(const struct vt_hl7_msg *m, struct vt_hl7_str s, char *out, size_t cap)
{
	if (cap == 0)
		return 0;
	size_t o = 0;
	for (size_t i = 0; i < s.n && o + 1 < cap; i++) {
		char c = s.p[i];
		const char *close = c == m->esc ? memchr(s.p + i + 1, m->esc, s.n - i - 1) : NULL;
		if (close == NULL) {
			out[o++] = c;
			continue;
		}
		const char *e = s.p + i + 1;
		size_t len = (size_t)(close - e);
		char one = 0;
		if (len == 1 && *e == 'F')
			one = m->field;
		else if (len == 1 && *e == 'S')
			one = m->comp;
		else if (len == 1 && *e == 'T')
			one = m->sub;
		else if (len == 1 && *e == 'R')
			one = m->rep;
		else if (len == 1 && *e == 'E')
			one = m->esc;
		if (one != 0)
			out[o++] = one;
		else if (len >= 3 && len % 2 == 1 && *e == 'X')
			for (size_t k = 1; k + 1 < len && o + 1 < cap; k += 2) {
				int hi = s_hex(e[k]), lo = s_hex(e[k + 1]);
				/* Control characters stay out: the text is for logs and ids. */
				if (hi >= 0 && lo >= 0 && hi * 16 + lo >= 0x20)
					out[o++] = (char)(hi * 16 + lo);
			}
		/* Any other escape (highlighting, line breaks, character sets) carries no text. */
		i = (size_t)(close - s.p);
	}
	out[o] = '\0';
	return o;
}

bool
vt_hl7_eq(const struct vt_hl7_msg *m, struct vt_hl7_str s, const char *lit)
{
	char buf[128];
	size_t n = strlen(lit);
	if (n >= sizeof buf || s.n < n)
		return false;
	return vt_hl7_text(m, s, buf, sizeof buf) == n && memcmp(buf, lit, n) == 0;
}

static bool
s_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

int
vt_hl7_time(const struct vt_hl7_msg *m, struct vt_hl7_str s, int64_t *local_ms, int *zone_min,
            bool *has_zone)
{
	char t[48];
	size_t n = vt_hl7_text(m, s, t, sizeof t);
	if (n == sizeof t - 1)
		return -1;
	size_t d = 0;
	while (d < n && t[d] >= '0' && t[d] <= '9')
		d++;
	/* Date and time in pairs of digits after the year; more digits are
	 * the fraction some monitors write without a point. */
	if (d < 4 || (d <= 14 && d % 2 != 0))
		return -1;
	const char *frac = "";
	size_t nfrac = 0, i = d;
	if (d > 14) {
		frac = t + 14;
		nfrac = d - 14;
	} else if (i < n && t[i] == '.') {
		if (d != 14)
			return -1;
		size_t f = ++i;
		while (i < n && t[i] >= '0' && t[i] <= '9')
			i++;
		frac = t + f;
		nfrac = i - f;
		if (nfrac == 0)
			return -1;
	}
	*has_zone = false;
	*zone_min = 0;
	if (i < n && (t[i] == '+' || t[i] == '-')) {
		if (n - i != 5 || !s_digits(t + i + 1, 4))
			return -1;
		int hh = (t[i + 1] - '0') * 10 + (t[i + 2] - '0');
		int mm = (t[i + 3] - '0') * 10 + (t[i + 4] - '0');
		/* Zones run from -12:00 to +14:00; +1459 is no place. */
		if (mm > 59 || hh * 60 + mm > 14 * 60)
			return -1;
		*zone_min = (t[i] == '-' ? -1 : 1) * (hh * 60 + mm);
		*has_zone = true;
		i += 5;
	}
	if (i != n)
		return -1;
	/* The same instant in RFC 3339, for the one time parser we have. */
	char rfc[64];
	const char *dflt = "0101000000"; /* MMDDHHMMSS where the sender stopped */
	char full[15];
	memcpy(full, t, d < 14 ? d : 14);
	memcpy(full + (d < 14 ? d : 14), dflt + (d < 14 ? d - 4 : 10), d < 14 ? 14 - d : 0);
	full[14] = '\0';
	char ms[4] = "000";
	for (size_t k = 0; k < 3 && k < nfrac; k++)
		ms[k] = frac[k];
	snprintf(rfc, sizeof rfc, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s.%sZ", full, full + 4, full + 6,
	         full + 8, full + 10, full + 12, ms);
	return vt_time_parse(rfc, local_ms) == 0 ? 0 : -1;
}
