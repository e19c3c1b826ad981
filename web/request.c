/*
 * Request parsing (see vitals/web/request.h). Nothing here allocates:
 * values are decoded straight into the caller's bounded buffers.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "vitals/web/request.h"

/* RFC 6265 cookie-octet, and the token characters of a cookie name. */
static bool
s_cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
	       (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

int
vt_web_cookie(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	int found = 0;
	const char *p = header;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (*p == '\0')
			break;
		const char *pair = p;
		size_t n = strcspn(p, ";");
		p += n;
		while (n > 0 && (pair[n - 1] == ' ' || pair[n - 1] == '\t'))
			n--;
		const char *eq = memchr(pair, '=', n);
		if (eq == NULL || (size_t)(eq - pair) != nlen || memcmp(pair, name, nlen) != 0)
			continue;
		if (found)
			return -1;
		const char *v = eq + 1;
		size_t vlen = n - nlen - 1;
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (vlen >= outlen)
			return -1;
		for (size_t i = 0; i < vlen; i++)
			if (!s_cookie_octet((unsigned char)v[i]))
				return -1;
		memcpy(out, v, vlen);
		out[vlen] = '\0';
		found = 1;
	}
	return found;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
s_utf8(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
	if (len == 0 || s[0] > 0xF4 || n < len)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
	    (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
		return 0;
	return len;
}

/*
 * Decode one form component (no '&') into out (outlen > 0): 0, or -1 when
 * malformed or too long. NULL out: only check.
 */
static int
s_decode(const char *s, size_t n, char *out, size_t outlen, size_t *olen)
{
	unsigned char buf[VT_WEB_FORM_MAX];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			unsigned char byte;
			size_t got = 0;
			if (n - i < 3 || sodium_hex2bin(&byte, 1, s + i + 1, 2, NULL, &got, NULL) != 0 ||
			    got != 1)
				return -1;
			c = byte;
			i += 2;
		}
		if (c == 0 || o == sizeof(buf))
			return -1;
		buf[o++] = (unsigned char)c;
	}
	for (size_t i = 0; i < o;) {
		size_t l = s_utf8(buf + i, o - i);
		if (l == 0)
			return -1;
		i += l;
	}
	if (out != NULL) {
		if (o >= outlen)
			return -1;
		memcpy(out, buf, o);
		out[o] = '\0';
	}
	if (olen != NULL)
		*olen = o;
	return 0;
}

/*
 * Walk the pairs of a body: for each, call `visit` with the decoded key.
 * -1 if the body is malformed or visit says stop with an error.
 */
typedef int (*s_visit_fn)(void *arg, const char *key, const char *value, size_t vlen);

static int
s_walk(const char *body, size_t len, s_visit_fn visit, void *arg)
{
	if (len > VT_WEB_FORM_MAX)
		return -1;
	size_t pos = 0;
	while (pos < len) {
		const char *pair = body + pos;
		const char *amp = memchr(pair, '&', len - pos);
		size_t n = amp ? (size_t)(amp - pair) : len - pos;
		pos += n + (amp != NULL);
		if (n == 0)
			continue;
		const char *eq = memchr(pair, '=', n);
		size_t klen = eq ? (size_t)(eq - pair) : n;
		char key[64];
		if (s_decode(pair, klen, key, sizeof(key), NULL) != 0)
			return -1;
		const char *v = eq ? eq + 1 : pair + n;
		size_t vlen = eq ? n - klen - 1 : 0;
		if (s_decode(v, vlen, NULL, 0, NULL) != 0)
			return -1;
		if (visit(arg, key, v, vlen) != 0)
			return -1;
	}
	return 0;
}

struct s_find {
	const char *key;
	char *out;
	size_t outlen;
	int found;
};

static int
s_find_visit(void *arg, const char *key, const char *value, size_t vlen)
{
	struct s_find *f = arg;
	if (strcmp(key, f->key) != 0)
		return 0;
	if (f->found)
		return -1;
	f->found = 1;
	return s_decode(value, vlen, f->out, f->outlen, NULL);
}

int
vt_web_form(const char *body, size_t len, const char *key, char *out, size_t outlen)
{
	struct s_find f = {.key = key, .out = out, .outlen = outlen};
	if (outlen == 0 || s_walk(body, len, s_find_visit, &f) != 0)
		return -1;
	return f.found;
}

struct s_check {
	const char *const *allowed;
	unsigned seen;
	char *why;
	size_t whylen;
};

static int
s_check_visit(void *arg, const char *key, const char *value, size_t vlen)
{
	struct s_check *c = arg;
	for (unsigned i = 0; c->allowed[i] != NULL && i < 32; i++) {
		if (strcmp(key, c->allowed[i]) != 0)
			continue;
		if (c->seen & (1u << i)) {
			snprintf(c->why, c->whylen, "\"%s\" given twice", c->allowed[i]);
			return -1;
		}
		c->seen |= 1u << i;
		return 0;
	}
	snprintf(c->why, c->whylen, "unknown field \"%.40s\"", key);
	return -1;
}

bool
vt_web_form_check(const char *body, size_t len, const char *const allowed[], char *why,
                  size_t whylen)
{
	struct s_check c = {.allowed = allowed, .why = why, .whylen = whylen};
	why[0] = '\0';
	if (s_walk(body, len, s_check_visit, &c) != 0) {
		if (why[0] == '\0')
			snprintf(why, whylen, "malformed form body");
		return false;
	}
	return true;
}

bool
vt_web_origin_ok(const char *origin, const char *host, bool tls, const char *expected)
{
	if (origin == NULL)
		return false;
	if (expected != NULL && *expected != '\0')
		return strcmp(origin, expected) == 0;
	if (host == NULL || *host == '\0')
		return false;
	const char *scheme = tls ? "https://" : "http://";
	size_t sl = strlen(scheme);
	return strncmp(origin, scheme, sl) == 0 && strcmp(origin + sl, host) == 0;
}
