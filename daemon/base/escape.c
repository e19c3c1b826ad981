/*
 * Escaping outside text for logs and text files (escape.h): one function,
 * which the log writer and the recorder's header call, so that no path to
 * a log line or a file can forget it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vitals/base/escape.h"

/* Length of the valid, printable UTF-8 sequence at s (n bytes left), or 0. */
static size_t
s_utf8(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond Unicode, and the C1 controls (which
	 * some terminals obey as escapes) are not text. */
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
	    (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

size_t
vt_escape(char *out, size_t outlen, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t used = 0;
	if (outlen == 0)
		return 0;
	for (size_t i = 0; i < len;) {
		char esc[5];
		const char *piece = esc;
		size_t plen;
		size_t u = s[i] >= 0x80 ? s_utf8(s + i, len - i) : 0;
		if (u > 0) {
			piece = (const char *)s + i;
			plen = u;
		} else if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') {
			piece = (const char *)s + i;
			plen = 1;
		} else if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = s[i] == '\n' ? 'n' : s[i] == '\r' ? 'r' : s[i] == '\t' ? 't' : '\\';
			plen = 2;
		} else {
			snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
			plen = 4;
		}
		if (used + plen >= outlen)
			break;
		for (size_t k = 0; k < plen; k++)
			out[used++] = piece[k];
		i += u > 0 ? u : 1;
	}
	out[used] = '\0';
	return used;
}
