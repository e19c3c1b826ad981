/*
 * Times and durations in the forms users write and read. Internally every
 * time is int64 milliseconds since 1970-01-01T00:00:00Z, which keeps the
 * alarm engine's arithmetic exact and replay byte-for-byte reproducible.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vitals/base/timefmt.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
int64_t
vt_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse: y-m-d of a day number (H. Hinnant's civil_from_days). */
void
vt_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Write v as exactly n digits ending just before `end`. */
static void
s_put_digits(char *end, int n, int64_t v)
{
	while (n-- > 0) {
		*--end = (char)('0' + v % 10);
		v /= 10;
	}
}

char *
vt_time_format(int64_t ms, char buf[VT_TIME_BUFSZ])
{
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int milli = (int)(ms - secs * 1000);
	/* Every message carries a time: years 0-9999 are formatted by hand,
	 * which is several times faster than gmtime_r and snprintf and gives
	 * the same text; other years take the general path below. */
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t sod = secs - days * 86400, year;
	int month, day;
	vt_civil_from_days(days, &year, &month, &day);
	if (year >= 0 && year <= 9999) {
		memcpy(buf, "0000-00-00T00:00:00.000Z", 25);
		s_put_digits(buf + 4, 4, year);
		s_put_digits(buf + 7, 2, month);
		s_put_digits(buf + 10, 2, day);
		s_put_digits(buf + 13, 2, sod / 3600);
		s_put_digits(buf + 16, 2, sod / 60 % 60);
		s_put_digits(buf + 19, 2, sod % 60);
		s_put_digits(buf + 23, 3, milli);
		return buf;
	}
	time_t tt = (time_t)secs;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL) {
		snprintf(buf, VT_TIME_BUFSZ, "invalid-time");
		return buf;
	}
	snprintf(buf, VT_TIME_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
	return buf;
}

/* Read exactly n digits at *p into *out. */
static int
s_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
s_expect(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

int
vt_time_parse(const char *s, int64_t *ms)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = s;
	int y, mo, d, h, mi, se, frac = 0;
	if (s_digits(&p, 4, &y) || s_expect(&p, '-') || s_digits(&p, 2, &mo) ||
	    s_expect(&p, '-') || s_digits(&p, 2, &d))
		return -1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (s_digits(&p, 2, &h) || s_expect(&p, ':') || s_digits(&p, 2, &mi) ||
	    s_expect(&p, ':') || s_digits(&p, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
		return -1;
	if (*p == '.') {
		p++;
		int n = 0;
		while (isdigit((unsigned char)*p)) {
			if (n < 3)
				frac = frac * 10 + (*p - '0');
			n++;
			p++;
		}
		if (n == 0)
			return -1;
		for (; n < 3; n++)
			frac *= 10;
	}
	int offset_min = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (s_digits(&p, 2, &oh) || s_expect(&p, ':') || s_digits(&p, 2, &om) || oh > 23 ||
		    om > 59)
			return -1;
		offset_min = sign * (oh * 60 + om);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	int64_t days = vt_days_from_civil(y, mo, d);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - (int64_t)offset_min * 60;
	*ms = secs * 1000 + frac;
	return 0;
}

int
vt_duration_parse(const char *s, int64_t *ms, const char **why)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	const char *dummy;
	if (why == NULL)
		why = &dummy;
	if (s == NULL || !(isdigit((unsigned char)s[0]) || s[0] == '.')) {
		*why = "expected a duration such as 15s, 250ms, 2m or 1h";
		return -1;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(v) || v < 0) {
		*why = "expected a duration such as 15s, 250ms, 2m or 1h";
		return -1;
	}
	if (*end == '\0') {
		*why = "a duration needs a unit: ms, s, m or h (for example 15s)";
		return -1;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			double total = v * units[i].ms;
			if (total > 1e15) {
				*why = "duration too long";
				return -1;
			}
			*ms = (int64_t)llround(total);
			return 0;
		}
	}
	*why = "unknown duration unit: use ms, s, m or h";
	return -1;
}

char *
vt_duration_format(int64_t ms, char *buf, size_t len)
{
	if (ms % 3600000 == 0 && ms >= 3600000)
		snprintf(buf, len, "%lld h", (long long)(ms / 3600000));
	else if (ms % 60000 == 0 && ms >= 60000)
		snprintf(buf, len, "%lld min", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%lld s", (long long)(ms / 1000));
	else if (ms > 1000)
		snprintf(buf, len, "%.1f s", (double)ms / 1000.0);
	else
		snprintf(buf, len, "%lld ms", (long long)ms);
	return buf;
}
