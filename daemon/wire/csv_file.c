/*
 * Reading a numerics CSV file: the I/O around csv.c. Rows are checked as
 * they come (numbers, time never going backwards) and every error names the
 * file and line, so a broken recording is rejected before it can produce a
 * half-written replay.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/wire/csv.h"

struct vt_csv_file {
	FILE *fp;                   /* the open file */
	char *path;                 /* for messages */
	char *line;                 /* getline buffer */
	size_t cap;                 /* its capacity */
	int lineno;                 /* line number of the last line read */
	int64_t last_ms;            /* time of the previous row */
	vt_param_mask had;          /* its pressures (vt_csv_time_sparse) */
	struct vt_csv_layout layout;
};

/* Read the next non-blank line; its length, or -1 at end of file. */
static ssize_t
s_next_line(struct vt_csv_file *f)
{
	for (;;) {
		ssize_t n = getline(&f->line, &f->cap, f->fp);
		if (n < 0)
			return -1;
		f->lineno++;
		while (n > 0 && (f->line[n - 1] == '\n' || f->line[n - 1] == '\r'))
			f->line[--n] = '\0';
		if (n > 0)
			return n;
	}
}

/* Read the header of a file opened as f->fp; f, or NULL with diagnostics (f freed). */
static struct vt_csv_file *s_header(struct vt_csv_file *f, const char *path, struct vt_diag *diag);

struct vt_csv_file *
vt_csv_file_open(const char *path, struct vt_diag *diag)
{
	struct vt_csv_file *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		vt_diag_add(diag, path, 0, 0, NULL, "out of memory");
		return NULL;
	}
	f->path = strdup(path);
	f->fp = fopen(path, "r");
	if (f->fp == NULL) {
		vt_diag_add(diag, path, 0, 0, NULL, "cannot read: %s", strerror(errno));
		vt_csv_file_close(&f);
		return NULL;
	}
	return s_header(f, path, diag);
}

struct vt_csv_file *
vt_csv_file_open_mem(const char *name, const void *bytes, size_t len, struct vt_diag *diag)
{
	struct vt_csv_file *f = calloc(1, sizeof(*f));
	if (f == NULL || (f->path = strdup(name)) == NULL) {
		vt_diag_add(diag, name, 0, 0, NULL, "out of memory");
		vt_csv_file_close(&f);
		return NULL;
	}
	/* An empty buffer cannot be fmemopen'd: read it as an empty stream. */
	f->fp = len > 0 ? fmemopen((void *)bytes, len, "r") : fopen("/dev/null", "r");
	if (f->fp == NULL) {
		vt_diag_add(diag, name, 0, 0, NULL, "cannot read: %s", strerror(errno));
		vt_csv_file_close(&f);
		return NULL;
	}
	return s_header(f, name, diag);
}

static struct vt_csv_file *
s_header(struct vt_csv_file *f, const char *path, struct vt_diag *diag)
{
	ssize_t n = s_next_line(f);
	if (n < 0) {
		vt_diag_add(diag, path, 0, 0, NULL, "empty file: expected a header such as t,spo2,pr,hr,pi,rr");
		vt_csv_file_close(&f);
		return NULL;
	}
	char err[160];
	int column = 0;
	const char *text = f->line;
	size_t len = (size_t)n;
	/* A UTF-8 byte-order mark is not part of the first column's name. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if (vt_csv_parse_header(&f->layout, text, len, err, sizeof(err), &column) != 0) {
		vt_diag_add(diag, path, f->lineno, column, f->line, "%s", err);
		vt_csv_file_close(&f);
		return NULL;
	}
	f->last_ms = INT64_MIN;
	return f;
}

int
vt_csv_file_next(struct vt_csv_file *f, int64_t *t_ms, struct vt_reading *r, struct vt_diag *diag)
{
	ssize_t n = s_next_line(f);
	if (n < 0) {
		if (ferror(f->fp)) {
			vt_diag_add(diag, f->path, f->lineno, 0, NULL, "read error: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	char err[160];
	int column = 0;
	double t;
	if (vt_csv_parse_row(&f->layout, f->line, (size_t)n, &t, r, err, sizeof(err), &column) != 0) {
		vt_diag_add(diag, f->path, f->lineno, column, f->line, "%s", err);
		return -1;
	}
	if (t > VT_CSV_MAX_SECONDS || t < -VT_CSV_MAX_SECONDS) {
		vt_diag_add(diag, f->path, f->lineno, 1, f->line, "t: %g seconds is out of range", t);
		return -1;
	}
	int64_t ms = llround(t * 1000.0);
	if (ms < f->last_ms) {
		vt_diag_add(diag, f->path, f->lineno, 1, f->line,
		            "time goes backwards: t=%g after t=%g", t, (double)f->last_ms / 1000.0);
		return -1;
	}
	f->last_ms = ms;
	vt_csv_time_sparse(&f->layout, &f->had, ms, r);
	*t_ms = ms;
	return 1;
}

const struct vt_csv_layout *
vt_csv_file_layout(const struct vt_csv_file *f)
{
	return &f->layout;
}

void
vt_csv_file_close(struct vt_csv_file **fp)
{
	if (fp == NULL || *fp == NULL)
		return;
	struct vt_csv_file *f = *fp;
	if (f->fp)
		fclose(f->fp);
	free(f->line);
	free(f->path);
	free(f);
	*fp = NULL;
}
