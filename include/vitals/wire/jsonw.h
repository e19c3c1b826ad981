/*
 * A small streaming JSON writer for the messages vitalsd sends several
 * times a second per bed (vitals, heartbeat). Building a jansson tree and
 * serialising it costs an allocation per member and most of a replay's
 * time; appending to one buffer costs almost nothing. The output is byte
 * for byte what jansson's json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER |
 * JSON_REAL_PRECISION(10)) writes for the same members in the same order,
 * including its string escapes and real-number format, so messages built
 * either way are indistinguishable (tests/test_jsonw.c holds the two side
 * by side). Pure: no I/O; memory only through malloc.
 */
#ifndef VITALS_JSONW_H
#define VITALS_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vt_jsonw {
	char *buf;        /* the text so far (NUL-terminated while not failed) */
	size_t len, cap;
	bool failed;      /* out of memory: finish returns NULL */
	bool comma;       /* the next value or key needs a comma before it */
};

/* Start an empty text. */
void vt_jsonw_init(struct vt_jsonw *w);
/* '{' or '[' (open), '}' or ']' (close). */
void vt_jsonw_open(struct vt_jsonw *w, char bracket);
void vt_jsonw_close(struct vt_jsonw *w, char bracket);
/* An object member's key; the value follows with one of the calls below. */
void vt_jsonw_key(struct vt_jsonw *w, const char *key);
/* Values. A string must be valid UTF-8 (see vt_jsonw_utf8_ok), a real finite. */
void vt_jsonw_string(struct vt_jsonw *w, const char *s);
void vt_jsonw_int(struct vt_jsonw *w, int64_t v);
void vt_jsonw_real(struct vt_jsonw *w, double v);
void vt_jsonw_bool(struct vt_jsonw *w, bool v);
void vt_jsonw_null(struct vt_jsonw *w);

/*
 * Whether `s` is valid UTF-8 as jansson judges it. jansson refuses to make
 * a string of anything else, so the member is left out of its output; a
 * caller does the same to stay identical.
 */
bool vt_jsonw_utf8_ok(const char *s);

/* The text, malloc'd, for the caller to free; NULL if memory ran out. */
char *vt_jsonw_finish(struct vt_jsonw *w);

#endif
