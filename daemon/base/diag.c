/*
 * Positioned diagnostics, printed the way compilers do it, because that is
 * what administrators and editors already understand: the position, the
 * message, the line itself, and a caret under the column.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/diag.h"

static char *
s_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

void
vt_diag_add(struct vt_diag *d, const char *file, int line, int column, const char *source,
            const char *fmt, ...)
{
	if (d->count == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct vt_diag_entry *e = realloc(d->entries, cap * sizeof(*e));
		if (e == NULL)
			return; /* out of memory: the caller still sees the failure */
		d->entries = e;
		d->cap = cap;
	}
	struct vt_diag_entry *e = &d->entries[d->count];
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&e->message, fmt, ap) < 0)
		e->message = NULL;
	va_end(ap);
	if (e->message == NULL)
		return;
	e->file = s_strdup(file ? file : "-");
	e->line = line;
	e->column = column;
	e->source = s_strdup(source);
	d->count++;
}

const char *
vt_diag_format(const struct vt_diag_entry *e, char *buf, size_t len)
{
	if (e->line > 0 && e->column > 0)
		snprintf(buf, len, "%s:%d:%d: %s", e->file, e->line, e->column, e->message);
	else if (e->line > 0)
		snprintf(buf, len, "%s:%d: %s", e->file, e->line, e->message);
	else
		snprintf(buf, len, "%s: %s", e->file, e->message);
	return buf;
}

void
vt_diag_print(const struct vt_diag *d, FILE *out)
{
	for (size_t i = 0; i < d->count; i++) {
		const struct vt_diag_entry *e = &d->entries[i];
		char head[2048];
		fprintf(out, "%s\n", vt_diag_format(e, head, sizeof(head)));
		if (e->source == NULL)
			continue;
		fprintf(out, "  %s\n", e->source);
		if (e->column > 0) {
			/* Keep tabs so the caret lines up under the same column. */
			fputs("  ", out);
			for (int c = 1; c < e->column && e->source[c - 1]; c++)
				fputc(e->source[c - 1] == '\t' ? '\t' : ' ', out);
			fputs("^\n", out);
		}
	}
}

void
vt_diag_clear(struct vt_diag *d)
{
	for (size_t i = 0; i < d->count; i++) {
		free(d->entries[i].file);
		free(d->entries[i].message);
		free(d->entries[i].source);
	}
	free(d->entries);
	d->entries = NULL;
	d->count = d->cap = 0;
}
