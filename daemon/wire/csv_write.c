/*
 * Writing the numerics CSV: what the emulator writes when it plays a
 * scenario to a file, so that vitalsd --replay and any spreadsheet read
 * the same numbers. Each row is checked to read back as written: a number
 * goes out with 15 significant digits when that is exact, 17 otherwise.
 * A file with blood pressures has `nibp_time`, the time of each cuff
 * measurement, so that a replay counts two equal measurements as two.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/wire/csv.h"

/* Append to buf at *o; false when it does not fit. */
static bool
s_put(char *buf, size_t len, size_t *o, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static bool
s_put(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = *o < len ? vsnprintf(buf + *o, len - *o, fmt, ap) : -1;
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *o)
		return false;
	*o += (size_t)n;
	return true;
}

/* Whether the cuff's time goes after parameter p's column: after the last pressure. */
static bool
s_time_after(vt_param_mask columns, int p)
{
	vt_param_mask later = ~((VT_PARAM_BIT(p) << 1) - 1);
	return (columns & VT_CSV_NIBP_PARAMS & VT_PARAM_BIT(p)) &&
	       !(columns & VT_CSV_NIBP_PARAMS & later);
}

int
vt_csv_format_header(char *buf, size_t len, vt_param_mask columns, bool flags)
{
	size_t o = 0;
	bool ok = s_put(buf, len, &o, "t");
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		if (columns & VT_PARAM_BIT(p))
			ok = ok && s_put(buf, len, &o, ",%s", vt_param_info((enum vt_param)p)->name);
		if (s_time_after(columns, p))
			ok = ok && s_put(buf, len, &o, "," VT_CSV_NIBP_TIME);
	}
	if (flags)
		ok = ok && s_put(buf, len, &o, "," VT_CSV_FLAGS);
	return ok ? (int)o : -1;
}

/* The shortest of %.15g and %.17g that reads back as v. */
static bool
s_number(char *buf, size_t len, size_t *o, double v)
{
	char s[40];
	snprintf(s, sizeof(s), "%.15g", v);
	if (strtod(s, NULL) != v)
		snprintf(s, sizeof(s), "%.17g", v);
	return s_put(buf, len, o, "%s", s);
}

/* Milliseconds as seconds, as short as they read back: 90, 1.5, -0.25. */
static bool
s_seconds(char *buf, size_t len, size_t *o, int64_t ms)
{
	/* The magnitude as unsigned: INT64_MIN has none as a signed number (found by fuzzing). */
	uint64_t a = ms < 0 ? -(uint64_t)ms : (uint64_t)ms;
	bool ok = s_put(buf, len, o, "%s%llu", ms < 0 ? "-" : "", (unsigned long long)(a / 1000));
	if (ok && a % 1000 != 0) {
		char frac[8];
		snprintf(frac, sizeof(frac), "%03d", (int)(a % 1000));
		for (size_t n = 3; frac[n - 1] == '0'; n--)
			frac[n - 1] = '\0';
		ok = s_put(buf, len, o, ".%s", frac);
	}
	return ok;
}

/* The cuff's field: when the first timed pressure of r in `columns` was measured, or nothing. */
static bool
s_cuff_time(char *buf, size_t len, size_t *o, vt_param_mask columns, int64_t t_ms,
            const struct vt_reading *r)
{
	vt_param_mask timed = columns & r->reported & r->valid & r->timed & VT_CSV_NIBP_PARAMS;
	for (int p = 0; p < VT_PARAM_COUNT; p++) {
		if (!(timed & VT_PARAM_BIT(p)))
			continue;
		int64_t at;
		if (__builtin_sub_overflow(t_ms, r->age_ms[p], &at))
			return false; /* not a time: said as a row that cannot be written */
		return s_seconds(buf, len, o, at);
	}
	return true;
}

int
vt_csv_format_row(char *buf, size_t len, vt_param_mask columns, bool flags, int64_t t_ms,
                  const struct vt_reading *r)
{
	size_t o = 0;
	bool ok = s_seconds(buf, len, &o, t_ms);
	for (int p = 0; p < VT_PARAM_COUNT && ok; p++) {
		if (columns & VT_PARAM_BIT(p)) {
			ok = s_put(buf, len, &o, ",");
			if (ok && (r->reported & r->valid & VT_PARAM_BIT(p)))
				ok = s_number(buf, len, &o, r->value[p]);
		}
		if (ok && s_time_after(columns, p))
			ok = s_put(buf, len, &o, ",") && s_cuff_time(buf, len, &o, columns, t_ms, r);
	}
	if (flags && ok) {
		ok = s_put(buf, len, &o, ",");
		for (int i = 0; i < VT_FLAG_COUNT && ok; i++)
			if (r->flags & (1u << i))
				ok = s_put(buf, len, &o, "%s%s", buf[o - 1] == ',' ? "" : " ",
				           vt_flag_name(1u << i));
	}
	return ok ? (int)o : -1;
}
