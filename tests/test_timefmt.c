/* Times and durations: the round trips replay determinism depends on. */
#include <criterion/criterion.h>
#include <string.h>

#include "vitals/base/timefmt.h"

Test(timefmt, rfc3339_round_trip)
{
	char buf[VT_TIME_BUFSZ];
	cr_expect_str_eq(vt_time_format(0, buf), "1970-01-01T00:00:00.000Z");
	int64_t ms;
	cr_assert_eq(vt_time_parse("2026-11-21T10:14:03.120Z", &ms), 0);
	cr_expect_str_eq(vt_time_format(ms, buf), "2026-11-21T10:14:03.120Z");
	cr_assert_eq(vt_time_parse("2026-11-21T11:14:03+01:00", &ms), 0);
	cr_expect_str_eq(vt_time_format(ms, buf), "2026-11-21T10:14:03.000Z");
	cr_assert_eq(vt_time_parse("2024-02-29T00:00:00.5Z", &ms), 0);
	cr_expect_str_eq(vt_time_format(ms, buf), "2024-02-29T00:00:00.500Z");
	const char *bad[] = {"2026-13-01T00:00:00Z", "2026-11-21", "2026-11-21T10:14:03",
	                     "2026-11-21T10:14:03Zjunk", "2026-02-30T00:00:00Z", "", "x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(vt_time_parse(bad[i], &ms), -1, "%s", bad[i]);
}

Test(timefmt, durations)
{
	const struct {
		const char *text;
		int64_t ms;
	} good[] = {{"0s", 0}, {"15s", 15000}, {"250ms", 250}, {"2m", 120000},
	            {"1h", 3600000}, {"1.5s", 1500}, {"0.5m", 30000}};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t ms = -1;
		cr_expect_eq(vt_duration_parse(good[i].text, &ms, NULL), 0, "%s", good[i].text);
		cr_expect_eq(ms, good[i].ms, "%s", good[i].text);
	}
	const struct {
		const char *text;
		const char *why;
	} bad[] = {
	    {"15", "a duration needs a unit: ms, s, m or h (for example 15s)"},
	    {"15 s", "unknown duration unit: use ms, s, m or h"},
	    {"15d", "unknown duration unit: use ms, s, m or h"},
	    {"-1s", "expected a duration such as 15s, 250ms, 2m or 1h"},
	    {"s", "expected a duration such as 15s, 250ms, 2m or 1h"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms;
		const char *why = NULL;
		cr_expect_eq(vt_duration_parse(bad[i].text, &ms, &why), -1, "%s", bad[i].text);
		cr_expect_str_eq(why, bad[i].why, "%s", bad[i].text);
	}
	char buf[32];
	cr_expect_str_eq(vt_duration_format(15000, buf, sizeof(buf)), "15 s");
	cr_expect_str_eq(vt_duration_format(120000, buf, sizeof(buf)), "2 min");
}
