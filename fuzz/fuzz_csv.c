/*
 * libFuzzer target for the numerics CSV parser: the format of every
 * recording the tests, the demo and the emulator replay, and of files a
 * clinical engineer may hand-edit. The first line of an input is the
 * header, every further line a row (LF-separated, without the LF). The
 * fuzzer stops on a crash, a sanitizer report, or a broken promise:
 *   - a header that parsed names a `t` column, at most 64 columns, each
 *     parameter once, and the layout's parameter set matches its columns;
 *   - a row that parsed reports exactly the header's parameters (but a
 *     blood pressure only where its field has a value: no measurement in
 *     that row), values only for non-empty fields, each value finite and
 *     exactly what strtod reads from the whole (trimmed) field, bit for
 *     bit: the parser's fast path for plain decimals must never differ from
 *     the general one;
 *   - a `flags` column, when there is one, is no parameter, and every row
 *     then carries the device's status: the flags its field names;
 *   - a `nibp_time` column, when there is one, is no parameter; a row whose
 *     field has a time times exactly its pressures with values: the stamp
 *     that time in ms, the age the row's t less it (never negative); no
 *     other row and no other value is timed;
 *   - what the writer makes of a parsed row reads back as the same reading,
 *     the cuff's time included;
 *   - a failure has a message and a column inside the line (or one past it).
 */
#include "fuzz_check.h"
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/wire/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The field `col` of a line, trimmed as the parser trims; false if there is none. */
static bool
s_field(const char *line, size_t len, int col, const char **f, size_t *n)
{
	size_t i = 0;
	for (int c = 0; c < col; c++) {
		while (i < len && line[i] != ',')
			i++;
		if (i >= len)
			return false;
		i++;
	}
	size_t j = i;
	while (j < len && line[j] != ',')
		j++;
	*f = line + i;
	*n = j - i;
	while (*n > 0 && ((*f)[0] == ' ' || (*f)[0] == '\t'))
		(*f)++, (*n)--;
	while (*n > 0 && ((*f)[*n - 1] == ' ' || (*f)[*n - 1] == '\t' || (*f)[*n - 1] == '\r'))
		(*n)--;
	return true;
}

/* The value strtod reads from the whole field, as the reference. */
static bool
s_reference(const char *f, size_t n, double *out)
{
	char buf[64];
	if (n == 0 || n >= sizeof(buf) || memchr(f, '\0', n) != NULL)
		return false;
	memcpy(buf, f, n);
	buf[n] = '\0';
	char *end;
	*out = strtod(buf, &end);
	return end == buf + n && isfinite(*out);
}

static void
s_check_layout(const struct vt_csv_layout *l)
{
	fuzz_check(l->n_columns >= 1 && l->n_columns <= VT_CSV_MAX_COLUMNS);
	fuzz_check(l->t_column >= 0 && l->t_column < l->n_columns);
	vt_param_mask seen = 0;
	for (int c = 0; c < l->n_columns; c++) {
		int p = l->param[c];
		fuzz_check(p >= -1 && p < VT_PARAM_COUNT);
		fuzz_check(p < 0 || c != l->t_column);
		if (p >= 0) {
			fuzz_check(!(seen & VT_PARAM_BIT(p)));
			seen |= VT_PARAM_BIT(p);
		}
	}
	fuzz_check(seen == l->columns);
	fuzz_check(l->flags_column >= -1 && l->flags_column < l->n_columns);
	fuzz_check(l->flags_column < 0 || (l->flags_column != l->t_column && l->param[l->flags_column] < 0));
	fuzz_check(l->nibp_time_column >= -1 && l->nibp_time_column < l->n_columns);
	fuzz_check(l->nibp_time_column < 0 ||
	           (l->nibp_time_column != l->t_column && l->nibp_time_column != l->flags_column &&
	            l->param[l->nibp_time_column] < 0));
}

/* The flags a field names, separated by blanks, as the reference; false for an unknown name. */
static bool
s_reference_flags(const char *f, size_t n, uint32_t *flags)
{
	*flags = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && f[j] != ' ' && f[j] != '\t')
			j++;
		if (j > i) {
			int k = 0;
			while (k < VT_FLAG_COUNT && (strlen(vt_flag_name(1u << k)) != j - i ||
			                             memcmp(vt_flag_name(1u << k), f + i, j - i) != 0))
				k++;
			if (k == VT_FLAG_COUNT)
				return false;
			*flags |= 1u << k;
		}
		i = j + 1;
	}
	return true;
}

/* The writer's line for `r` parses back to `r`. */
static void
s_check_written(const struct vt_csv_layout *l, double t, const struct vt_reading *r)
{
	if (fabs(t) > 9e12)
		return; /* beyond what milliseconds hold */
	char line[4096];
	int n = vt_csv_format_row(line, sizeof(line), l->columns, l->flags_column >= 0,
	                          llround(t * 1000), r);
	if (n < 0)
		return; /* does not fit the line */
	char header[1024];
	int hn = vt_csv_format_header(header, sizeof(header), l->columns, l->flags_column >= 0);
	fuzz_check(hn > 0);
	struct vt_csv_layout back;
	char err[160];
	int column;
	fuzz_check(vt_csv_parse_header(&back, header, (size_t)hn, err, sizeof(err), &column) == 0);
	double bt;
	struct vt_reading br;
	fuzz_check(vt_csv_parse_row(&back, line, (size_t)n, &bt, &br, err, sizeof(err), &column) == 0);
	fuzz_check(llround(bt * 1000) == llround(t * 1000));
	fuzz_check(br.valid == r->valid && br.flags == r->flags && br.has_status == r->has_status);
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		fuzz_check(!(r->valid & VT_PARAM_BIT(p)) ||
		        memcmp(&br.value[p], &r->value[p], sizeof(double)) == 0);
	/* The writer always has the cuff's column: what was timed stays timed, at the same time. */
	fuzz_check(br.timed == r->timed);
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		fuzz_check(!(r->timed & VT_PARAM_BIT(p)) ||
		           (br.age_ms[p] == r->age_ms[p] && br.stamp_ms[p] == r->stamp_ms[p]));
}

/* The cuff's time: which values the row times, and when, read independently of the parser. */
static void
s_check_timed(const struct vt_csv_layout *l, const char *line, size_t len, double t,
              const struct vt_reading *r)
{
	const char *f;
	size_t n;
	double at;
	if (l->nibp_time_column < 0 || !s_field(line, len, l->nibp_time_column, &f, &n) || n == 0 ||
	    fabs(t) > VT_CSV_MAX_SECONDS) {
		fuzz_check(r->timed == 0);
		return;
	}
	fuzz_check(s_reference(f, n, &at) && fabs(at) <= VT_CSV_MAX_SECONDS);
	fuzz_check(r->timed == (r->valid & VT_CSV_NIBP_PARAMS));
	int64_t stamp = llround(at * 1000), row = llround(t * 1000);
	fuzz_check(stamp <= row);
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		fuzz_check(!(r->timed & VT_PARAM_BIT(p)) ||
		           (r->stamp_ms[p] == stamp && r->age_ms[p] == row - stamp));
}

static void
s_check_row(const struct vt_csv_layout *l, const char *line, size_t len, double t,
            const struct vt_reading *r)
{
	fuzz_check(isfinite(t));
	vt_param_mask no_cuff = VT_CSV_NIBP_PARAMS & ~r->valid;
	fuzz_check(r->reported == (l->columns & ~no_cuff));
	fuzz_check((r->valid & ~r->reported) == 0);
	const char *f;
	size_t n;
	double ref;
	fuzz_check(s_field(line, len, l->t_column, &f, &n));
	fuzz_check(s_reference(f, n, &ref) && memcmp(&ref, &t, sizeof(t)) == 0);
	for (int c = 0; c < l->n_columns; c++) {
		int p = l->param[c];
		if (p < 0)
			continue;
		if (!s_field(line, len, c, &f, &n) || n == 0) {
			fuzz_check(!(r->valid & VT_PARAM_BIT(p)));
			continue;
		}
		fuzz_check(r->valid & VT_PARAM_BIT(p));
		fuzz_check(s_reference(f, n, &ref) && memcmp(&ref, &r->value[p], sizeof(ref)) == 0);
	}
	fuzz_check(r->has_status == (l->flags_column >= 0));
	uint32_t flags = 0;
	if (l->flags_column >= 0 && s_field(line, len, l->flags_column, &f, &n))
		fuzz_check(s_reference_flags(f, n, &flags));
	fuzz_check(r->flags == flags);
	s_check_timed(l, line, len, t, r);
	s_check_written(l, t, r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	size_t hlen = nl ? (size_t)(nl - text) : size;
	struct vt_csv_layout layout;
	char err[160];
	int column = -1;
	if (vt_csv_parse_header(&layout, text, hlen, err, sizeof(err), &column) != 0) {
		fuzz_check(err[0] != '\0' && column >= 1 && (size_t)column <= hlen + 1);
		return 0;
	}
	s_check_layout(&layout);
	size_t pos = nl ? hlen + 1 : size;
	while (pos < size) {
		const char *line = text + pos;
		const char *end = memchr(line, '\n', size - pos);
		size_t len = end ? (size_t)(end - line) : size - pos;
		double t = NAN;
		struct vt_reading r;
		column = -1;
		err[0] = '\0';
		if (vt_csv_parse_row(&layout, line, len, &t, &r, err, sizeof(err), &column) == 0)
			s_check_row(&layout, line, len, t, &r);
		else
			fuzz_check(err[0] != '\0' && column >= 1 && (size_t)column <= len + 1);
		pos += len + 1;
	}
	return 0;
}
