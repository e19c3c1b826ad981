/*
 * The parts of an HTTP request the web station reads itself: the Cookie
 * header, form bodies (application/x-www-form-urlencoded, what the page
 * posts) and the Origin header. Whatever a hostile client sends arrives
 * here, so these are pure, bounded and strict: anything unusual (a bad
 * escape, a NUL, a key twice, a value too long) is refused rather than
 * guessed at, and they are fuzzed (fuzz/fuzz_web.c).
 */
#ifndef VITALS_WEB_REQUEST_H
#define VITALS_WEB_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/* A form body larger than this is refused unread (413). */
#define VT_WEB_FORM_MAX 4096

/*
 * The value of cookie `name` in a Cookie header ("a=1; b=2") into out.
 * 1: found; 0: absent; -1: present twice (a fixation attempt through a
 * sibling domain looks like that), too long for out, or not a token.
 */
int vt_web_cookie(const char *header, const char *name, char *out, size_t outlen);

/*
 * The value of `key` in a form body, percent- and '+'-decoded into out
 * (NUL-terminated, valid UTF-8). 1: found; 0: absent; -1: the body is
 * malformed (a bad %XX, a NUL, invalid UTF-8, `key` twice, the value too
 * long for out).
 */
int vt_web_form(const char *body, size_t len, const char *key, char *out, size_t outlen);

/*
 * Is every key of the body one of `allowed` (NULL-terminated), each at
 * most once, and the body well formed? false with a reason in why.
 */
bool vt_web_form_check(const char *body, size_t len, const char *const allowed[], char *why,
                       size_t whylen);

/*
 * Does an Origin header name this server? `origin` must be exactly
 * "http://HOST" or "https://HOST" (scheme from `tls`) where HOST is the
 * request's Host header (with its port) or, when configured, equals
 * `expected` ("https://station.example.org") exactly.
 */
bool vt_web_origin_ok(const char *origin, const char *host, bool tls, const char *expected);

#endif
