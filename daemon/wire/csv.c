/*
 * The canonical numerics CSV, one line at a time. The recordings grow
 * columns over time, so columns are matched by header name and unknown ones
 * are skipped; an empty field is a value the device did not report, which
 * must stay distinct from zero all the way to the alarm engine; an empty
 * blood-pressure field is no measurement in that row, and `nibp_time` says
 * when the measurement in a row was taken, so that two equal measurements
 * stay two (a repeat carries the time of the first). A file without that
 * column still says it where it is sparse: a pressure after an empty field
 * is a cuff measurement completing in its row (vt_csv_time_sparse).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/wire/csv.h"

/* Length of the field starting at line[i], up to a comma or the end. */
static size_t
s_field_len(const char *line, size_t len, size_t i)
{
	size_t j = i;
	while (j < len && line[j] != ',')
		j++;
	return j - i;
}

/* Strip surrounding blanks and a trailing CR. */
static void
s_trim(const char **p, size_t *n)
{
	while (*n > 0 && ((*p)[0] == ' ' || (*p)[0] == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
		(*n)--;
}

int
vt_csv_parse_header(struct vt_csv_layout *layout, const char *line, size_t len, char *err,
                    size_t errlen, int *column)
{
	memset(layout, 0, sizeof(*layout));
	layout->t_column = -1;
	layout->flags_column = -1;
	layout->nibp_time_column = -1;
	size_t i = 0;
	int col = 0;
	for (;;) {
		size_t n = s_field_len(line, len, i);
		const char *f = line + i;
		size_t fn = n;
		s_trim(&f, &fn);
		if (col >= VT_CSV_MAX_COLUMNS) {
			snprintf(err, errlen, "too many columns (at most %d)", VT_CSV_MAX_COLUMNS);
			*column = (int)i + 1;
			return -1;
		}
		char name[32];
		layout->param[col] = -1;
		if (fn > 0 && fn < sizeof(name)) {
			memcpy(name, f, fn);
			name[fn] = '\0';
			int *at = strcmp(name, "t") == 0                ? &layout->t_column
			          : strcmp(name, VT_CSV_FLAGS) == 0     ? &layout->flags_column
			          : strcmp(name, VT_CSV_NIBP_TIME) == 0 ? &layout->nibp_time_column
			                                                : NULL;
			if (at != NULL) {
				if (*at >= 0) {
					snprintf(err, errlen, "column \"%s\" appears twice", name);
					*column = (int)i + 1;
					return -1;
				}
				*at = col;
			} else {
				int p = vt_param_by_name(name);
				if (p >= 0 && (layout->columns & VT_PARAM_BIT(p))) {
					snprintf(err, errlen, "column \"%s\" appears twice", name);
					*column = (int)i + 1;
					return -1;
				}
				if (p >= 0) {
					layout->param[col] = p;
					layout->columns |= VT_PARAM_BIT(p);
				}
			}
		}
		col++;
		i += n;
		if (i >= len)
			break;
		i++; /* the comma */
	}
	layout->n_columns = col;
	if (layout->t_column < 0) {
		snprintf(err, errlen, "no \"t\" column in the header (expected e.g. t,spo2,pr,hr,pi,rr)");
		*column = 1;
		return -1;
	}
	return 0;
}

/*
 * The common field, [-]digits[.digits] with at most 15 digits, converted
 * without strtod: the digits make an exact integer below 2^53 and 10^k is
 * exact, so one division rounds once, exactly as strtod rounds (Clinger's
 * fast path). Anything else returns -1 for the general path. Reading
 * numbers was the largest cost of a replay after message encoding.
 */
static int
s_plain_number(const char *f, size_t n, double *out)
{
	static const double pow10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
	                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
	size_t i = 0;
	bool neg = n > 0 && f[0] == '-';
	i += neg;
	int64_t m = 0;
	int digits = 0, frac = 0;
	bool point = false;
	for (; i < n; i++) {
		if (f[i] >= '0' && f[i] <= '9') {
			if (++digits > 15)
				return -1;
			m = m * 10 + (f[i] - '0');
			frac += point;
		} else if (f[i] == '.' && !point) {
			point = true;
		} else {
			return -1;
		}
	}
	if (digits == 0)
		return -1;
	double v = (double)m / pow10[frac];
	*out = neg ? -v : v;
	return 0;
}

/* Parse a finite decimal number filling the whole field. */
static int
s_number(const char *f, size_t n, double *out)
{
	if (s_plain_number(f, n, out) == 0)
		return 0;
	char buf[64];
	/* A NUL inside the field would end strtod's string early (found by fuzzing). */
	if (n == 0 || n >= sizeof(buf) || memchr(f, '\0', n) != NULL)
		return -1;
	memcpy(buf, f, n);
	buf[n] = '\0';
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v))
		return -1;
	/* strtod accepts hex and "inf"; recordings never hold those. */
	for (size_t k = 0; k < n; k++)
		if (buf[k] == 'x' || buf[k] == 'X')
			return -1;
	*out = v;
	return 0;
}

/*
 * The flags field: device conditions by name, separated by blanks. 0, or
 * -1 with the offset and length of the unknown name in *bad and *bad_len.
 */
static int
s_flags(const char *f, size_t n, uint32_t *flags, size_t *bad, size_t *bad_len)
{
	size_t i = 0;
	while (i < n) {
		if (f[i] == ' ' || f[i] == '\t') {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && f[j] != ' ' && f[j] != '\t')
			j++;
		uint32_t bit = 0;
		for (int k = 0; k < VT_FLAG_COUNT && bit == 0; k++) {
			const char *name = vt_flag_name(1u << k);
			if (strlen(name) == j - i && memcmp(name, f + i, j - i) == 0)
				bit = 1u << k;
		}
		if (bit == 0) {
			*bad = i;
			*bad_len = j - i;
			return -1;
		}
		*flags |= bit;
		i = j;
	}
	return 0;
}

int
vt_csv_parse_row(const struct vt_csv_layout *layout, const char *line, size_t len, double *t,
                 struct vt_reading *r, char *err, size_t errlen, int *column)
{
	memset(r, 0, sizeof(*r));
	r->reported = layout->columns;
	r->has_status = layout->flags_column >= 0;
	bool have_t = false;
	double measured = NAN;        /* nibp_time, when the row has one */
	const char *measured_f = NULL; /* its field, trimmed, for an error */
	size_t measured_n = 0, measured_at = 0;
	const char *t_f = NULL;       /* the field of t, trimmed */
	size_t t_n = 0;
	size_t i = 0;
	int col = 0;
	for (;;) {
		size_t n = s_field_len(line, len, i);
		const char *f = line + i;
		size_t fn = n;
		s_trim(&f, &fn);
		if (col >= layout->n_columns) {
			snprintf(err, errlen, "more fields than the header's %d columns",
			         layout->n_columns);
			*column = (int)i + 1;
			return -1;
		}
		if (col == layout->t_column) {
			/* Some recordings start at t=-1: any finite number of seconds will do. */
			if (s_number(f, fn, t) != 0) {
				snprintf(err, errlen, "t: expected seconds (a number), got \"%.*s\"",
				         (int)(fn > 40 ? 40 : fn), f);
				*column = (int)i + 1;
				return -1;
			}
			have_t = true;
			t_f = f, t_n = fn;
		} else if (col == layout->nibp_time_column) {
			if (fn > 0 && s_number(f, fn, &measured) != 0) {
				snprintf(err, errlen, VT_CSV_NIBP_TIME ": expected the seconds (on the clock "
				         "of t) when the cuff measured, or an empty field, got \"%.*s\"",
				         (int)(fn > 40 ? 40 : fn), f);
				*column = (int)i + 1;
				return -1;
			}
			if (fn > 0 && fabs(measured) > VT_CSV_MAX_SECONDS) {
				snprintf(err, errlen, VT_CSV_NIBP_TIME ": %.*s seconds is out of range",
				         (int)(fn > 40 ? 40 : fn), f);
				*column = (int)i + 1;
				return -1;
			}
			measured_f = f, measured_n = fn, measured_at = i;
		} else if (col == layout->flags_column) {
			size_t bad, bn;
			if (s_flags(f, fn, &r->flags, &bad, &bn) != 0) {
				snprintf(err, errlen, "flags: unknown device condition \"%.*s\" (expected names "
				         "such as sensor-off or artifact, separated by spaces)",
				         (int)(bn > 40 ? 40 : bn), f + bad);
				*column = (int)(f - line + bad) + 1;
				return -1;
			}
		} else if (layout->param[col] >= 0 && fn > 0) {
			int p = layout->param[col];
			double v;
			if (s_number(f, fn, &v) != 0) {
				snprintf(err, errlen, "%s: expected a number or an empty field, got \"%.*s\"",
				         vt_param_info(p)->name, (int)(fn > 40 ? 40 : fn), f);
				*column = (int)i + 1;
				return -1;
			}
			vt_reading_set(r, p, v);
		}
		col++;
		i += n;
		if (i >= len)
			break;
		i++;
	}
	if (!have_t) {
		snprintf(err, errlen, "row has %d fields but the header has %d columns", col,
		         layout->n_columns);
		*column = (int)len + 1;
		return -1;
	}
	/* A blood pressure is in the rows where a measurement completed: an
	 * empty field there is no measurement in this row, not a missing value
	 * (the last one stays current). */
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		if (vt_param_info(p)->episodic && !(r->valid & VT_PARAM_BIT(p)))
			r->reported &= ~VT_PARAM_BIT(p);
	/* The cuff's time: the age and the stamp of each pressure of the row. A
	 * `t` beyond milliseconds is refused by the file reader; none here. */
	if (!isnan(measured) && fabs(*t) <= VT_CSV_MAX_SECONDS) {
		int64_t at = llround(measured * 1000.0), row = llround(*t * 1000.0);
		if (at > row) {
			snprintf(err, errlen, VT_CSV_NIBP_TIME ": the measurement at %.*s s is after the "
			         "row's t=%.*s s", (int)(measured_n > 30 ? 30 : measured_n), measured_f,
			         (int)(t_n > 30 ? 30 : t_n), t_f);
			*column = (int)measured_at + 1;
			return -1;
		}
		for (int p = 0; p < VT_PARAM_COUNT; p++)
			if ((VT_CSV_NIBP_PARAMS & r->valid) & VT_PARAM_BIT(p))
				vt_reading_set_age(r, (enum vt_param)p, row - at, at);
	}
	return 0;
}

void
vt_csv_time_sparse(const struct vt_csv_layout *layout, vt_param_mask *had, int64_t t_ms,
                   struct vt_reading *r)
{
	/* A file with nibp_time says itself which measurement each row shows. */
	if (layout->nibp_time_column >= 0)
		return;
	vt_param_mask held = 0;
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		vt_param_mask bit = VT_PARAM_BIT(p);
		if (!vt_param_info(p)->episodic || !(r->valid & bit))
			continue;
		held |= bit;
		/* The field before was empty: the device showed no measurement
		 * there, so this one completed in this row, even if it equals the
		 * last. Consecutive values stay untimed: the core's old rule (an
		 * equal value is the last one repeated) still tells them apart. */
		if (!(*had & bit) && !(r->timed & bit))
			vt_reading_set_age(r, (enum vt_param)p, 0, t_ms);
	}
	*had = held;
}
