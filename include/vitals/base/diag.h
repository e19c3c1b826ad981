/*
 * Diagnostics: a list of positioned error messages. The config loader and
 * the replay readers collect into one so that a user sees every problem at
 * once, each as FILE:LINE:COLUMN: message, then the offending line and a
 * caret under the column.
 */
#ifndef VITALS_DIAG_H
#define VITALS_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct vt_diag_entry {
	char *file;    /* file name as given by the user */
	int line;      /* 1-based; 0 when the problem is not on a line */
	int column;    /* 1-based; 0 when not known */
	char *message; /* what is wrong, and what was expected */
	char *source;  /* the text of the line, or NULL */
};

struct vt_diag {
	struct vt_diag_entry *entries;
	size_t count;
	size_t cap;
};

/* Add an entry. `source` (may be NULL) is the line's text, without newline. */
void vt_diag_add(struct vt_diag *d, const char *file, int line, int column,
                 const char *source, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* One entry as "FILE:LINE:COLUMN: message" ("FILE:LINE: ..." or "FILE: ..."
 * where the position is not known), truncated to fit; returns buf. */
const char *vt_diag_format(const struct vt_diag_entry *e, char *buf, size_t len);

/* Print every entry: "FILE:LINE:COLUMN: message", the source line, a caret. */
void vt_diag_print(const struct vt_diag *d, FILE *out);

/* Forget every entry; the struct can be reused. */
void vt_diag_clear(struct vt_diag *d);

#endif
