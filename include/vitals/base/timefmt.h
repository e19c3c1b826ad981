/*
 * Time as vitalsd speaks it: int64 milliseconds since the Unix epoch (UTC)
 * inside, RFC 3339 with milliseconds outside, and durations with units in
 * the configuration. Pure functions; no clock is read here.
 */
#ifndef VITALS_TIMEFMT_H
#define VITALS_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Room for "YYYY-MM-DDTHH:MM:SS.mmmZ" with any int fields the compiler imagines. */
#define VT_TIME_BUFSZ 96

/* The proleptic Gregorian date of a day number (days since 1970-01-01). */
void vt_civil_from_days(int64_t days, int64_t *year, int *month, int *day);
/* The day number of a proleptic Gregorian date (month 1..12). */
int64_t vt_days_from_civil(int64_t year, int month, int day);

/* Format `ms` as "2026-11-21T10:14:03.120Z" into buf. Returns buf. */
char *vt_time_format(int64_t ms, char buf[VT_TIME_BUFSZ]);

/*
 * Parse RFC 3339 ("2026-11-21T10:14:03Z", fraction and offset optional
 * parts: ".120", "+02:00"). Returns 0 and sets *ms, or -1.
 */
int vt_time_parse(const char *s, int64_t *ms);

/*
 * Parse a duration: a non-negative number followed by ms, s, m or h
 * ("15s", "1.5m", "250ms"). Returns 0 and sets *ms, or -1 with a reason in
 * *why (a static string).
 */
int vt_duration_parse(const char *s, int64_t *ms, const char **why);

/* Format a duration compactly for humans ("15 s", "2 min", "250 ms"). */
char *vt_duration_format(int64_t ms, char *buf, size_t len);

#endif
