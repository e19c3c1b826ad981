/*
 * Canonical numerics CSV ("t,spo2,pr,hr,pi,rr"): the format of the real
 * recordings and of the scenarios the emulator writes out. Columns are
 * found by header name, never by position; unknown columns are ignored; an
 * empty field is no value. An optional `flags` column carries the device's
 * conditions by name ("sensor-off artifact"); a file with it says, row by
 * row, that the device reported its status. The parser is pure (one line
 * in, one reading out); csv_file.c is the thin reader around it, and
 * csv_write.c the writer.
 */
#ifndef VITALS_CSV_H
#define VITALS_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vitals/base/diag.h"
#include "vitals/base/sample.h"

#define VT_CSV_MAX_COLUMNS 64
/* The name of the column of device conditions. */
#define VT_CSV_FLAGS "flags"
/* The name of the column of the cuff's measurement time, and what it times:
 * one cuff measurement gives the three pressures together. */
#define VT_CSV_NIBP_TIME "nibp_time"
#define VT_CSV_NIBP_PARAMS                                                      \
	(VT_PARAM_BIT(VT_NIBP_SYS) | VT_PARAM_BIT(VT_NIBP_DIA) | VT_PARAM_BIT(VT_NIBP_MAP))
/* Seconds beyond this (either way) are more than milliseconds in int64 hold. */
#define VT_CSV_MAX_SECONDS 9.2e12

/* What the header line said: which column holds what. */
struct vt_csv_layout {
	int t_column;                       /* index of `t` */
	int flags_column;                   /* index of `flags`, or -1 */
	int nibp_time_column;               /* index of `nibp_time`, or -1 */
	int n_columns;                      /* columns in the header */
	int param[VT_CSV_MAX_COLUMNS];      /* parameter of each column, or -1 */
	vt_param_mask columns;              /* parameters the file carries */
};

/*
 * Parse the header line (without its newline). Returns 0, or -1 with a
 * message in err and the 1-based column of the problem in *column.
 */
int vt_csv_parse_header(struct vt_csv_layout *layout, const char *line, size_t len,
                        char *err, size_t errlen, int *column);

/*
 * Parse one data line into seconds `*t` and reading `r`. Returns 0, or -1
 * with a message in err and the 1-based column of the problem in *column.
 * A blood pressure in a row whose `nibp_time` is filled is timed: measured
 * `t - nibp_time` before the row (its age_ms), stamped nibp_time in ms (its
 * stamp_ms); a `nibp_time` after `t` is an error. Where `nibp_time` is
 * empty or absent, the pressures carry no time.
 */
int vt_csv_parse_row(const struct vt_csv_layout *layout, const char *line, size_t len,
                     double *t, struct vt_reading *r, char *err, size_t errlen,
                     int *column);

/*
 * The sparse rule of a file without `nibp_time` (pure; the reader calls it
 * after each row, at `t_ms`): a blood pressure whose field in the previous
 * row was empty (or that is in the first row) is a new measurement taken at
 * its row's time, timed so (age 0, stamp t_ms) as `nibp_time` would time
 * it; one whose previous field had a value stays untimed (equal to it, it is
 * that measurement repeated). `*had` carries the pressures of the previous
 * row from call to call (0 before the first). A file with the column is
 * left as its `nibp_time` says.
 */
void vt_csv_time_sparse(const struct vt_csv_layout *layout, vt_param_mask *had, int64_t t_ms,
                        struct vt_reading *r);

/*
 * The writer, the mirror of the parser. The header for the parameters in
 * `columns` (in the order of enum vt_param), `nibp_time` after the
 * pressures when `columns` has any, and, with `flags`, the flags column; a
 * row of reading `r` at `t_ms`, a field left empty where r carries no
 * value, and `nibp_time` the measurement time (t_ms less the age) of the
 * first timed pressure of `columns` in r, empty if none is timed. Numbers are
 * written as short as they read back exactly. Each returns the length
 * written (without a newline), or -1 if `len` is too small (or, for a row,
 * the measurement time is beyond int64 milliseconds).
 */
int vt_csv_format_header(char *buf, size_t len, vt_param_mask columns, bool flags);
int vt_csv_format_row(char *buf, size_t len, vt_param_mask columns, bool flags, int64_t t_ms,
                      const struct vt_reading *r);

/* A CSV file being read row by row. */
struct vt_csv_file;

/* Open `path` and read its header. NULL with a diagnostic on failure. */
struct vt_csv_file *vt_csv_file_open(const char *path, struct vt_diag *diag);
/* The same from memory, which must outlive the reader; `name` is used in diagnostics. */
struct vt_csv_file *vt_csv_file_open_mem(const char *name, const void *bytes, size_t len,
                                         struct vt_diag *diag);

/*
 * Next row: 1 with *t_ms (milliseconds since the recording's start) and *r
 * set, 0 at end of file, -1 with a diagnostic (bad number, time going
 * backwards, ...). Blank lines are skipped.
 */
int vt_csv_file_next(struct vt_csv_file *f, int64_t *t_ms, struct vt_reading *r,
                     struct vt_diag *diag);

/* The layout read from the header. */
const struct vt_csv_layout *vt_csv_file_layout(const struct vt_csv_file *f);

/* Close and set *f to NULL. */
void vt_csv_file_close(struct vt_csv_file **f);

#endif
