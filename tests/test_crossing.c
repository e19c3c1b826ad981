/*
 * A bound crossed over and over is told once (io/crossing.h): the first
 * crossing of a burst is a log line, the rest are counted, and when the
 * burst has been quiet for VT_CROSSING_QUIET_MS one more line gives the
 * count. Every bound the daemon keeps says so through this; here it is on
 * its own, on a made-up clock, its log lines caught from stderr.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vitals/io/crossing.h"

static char path[64];
static int saved_stderr = -1;
static long done; /* bytes of the file already read */

/* The log lines written from here on go to a file (read by s_lines). */
static void
s_catch(void)
{
	snprintf(path, sizeof(path), "/tmp/vt-crossing-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	cr_assert_geq(saved_stderr, 0);
	cr_assert_geq(dup2(fd, STDERR_FILENO), 0);
	close(fd);
	done = 0;
}

static void
s_release(void)
{
	if (saved_stderr >= 0) {
		fflush(stderr);
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
	unlink(path);
}

TestSuite(crossing, .init = s_catch, .fini = s_release);

/* The lines logged since the last call, in `out` (cut to fit); how many. */
static int
s_lines(char *out, size_t len)
{
	fflush(stderr);
	FILE *fp = fopen(path, "r");
	cr_assert_not_null(fp);
	fseek(fp, done, SEEK_SET);
	int lines = 0, c;
	size_t n = 0;
	while ((c = fgetc(fp)) != EOF) {
		done++;
		lines += c == '\n';
		if (n + 1 < len)
			out[n++] = (char)c;
	}
	out[n] = '\0';
	fclose(fp);
	return lines;
}

Test(crossing, a_burst_is_one_line_then_one_with_its_count)
{
	struct vt_crossing x = {.name = "publish connections refused"};
	char text[4096];
	s_lines(text, sizeof(text));
	const int64_t t0 = 1000000;
	/* A thousand crossings over 5 s: one burst. */
	for (int i = 0; i < 1000; i++)
		vt_crossing_hit(&x, t0 + i * 5, "publish tcp://127.0.0.1:5556: more than %d connections",
		                256);
	cr_expect_eq(s_lines(text, sizeof(text)), 1, "a burst of 1000 logged:\n%s", text);
	cr_expect(strstr(text, "more than 256 connections (further ones are counted, not logged)"),
	          "%s", text);
	cr_expect_eq(x.total, 1000);
	int64_t last = t0 + 999 * 5;
	cr_expect_eq(vt_crossing_deadline(&x), last + VT_CROSSING_QUIET_MS);

	/* Not quiet long enough: nothing yet. */
	vt_crossing_quiet(&x, last + VT_CROSSING_QUIET_MS - 1);
	cr_expect_eq(s_lines(text, sizeof(text)), 0, "%s", text);
	/* Quiet: the count, once. */
	vt_crossing_quiet(&x, last + VT_CROSSING_QUIET_MS);
	vt_crossing_quiet(&x, last + 2 * VT_CROSSING_QUIET_MS);
	cr_expect_eq(s_lines(text, sizeof(text)), 1, "%s", text);
	cr_expect(strstr(text, "publish connections refused: 1000 in 5.0 s, 1000 since the start"),
	          "%s", text);
	cr_expect_eq(vt_crossing_deadline(&x), INT64_MAX, "nothing more to say");

	/* A new burst is told again, and counted on from the total. */
	int64_t t1 = last + 3 * VT_CROSSING_QUIET_MS;
	for (int i = 0; i < 3; i++)
		vt_crossing_hit(&x, t1, "again");
	vt_crossing_quiet(&x, t1 + VT_CROSSING_QUIET_MS);
	cr_expect_eq(s_lines(text, sizeof(text)), 2, "%s", text);
	cr_expect(strstr(text, "again (further ones are counted, not logged)"), "%s", text);
	cr_expect(strstr(text, "publish connections refused: 3 in 0.0 s, 1003 since the start"), "%s",
	          text);
}

/* Crossings that never stop for the quiet time stay one burst: one line, however long. */
Test(crossing, crossings_that_never_pause_stay_one_line)
{
	struct vt_crossing x = {.name = "reload requests refused"};
	char text[4096];
	s_lines(text, sizeof(text));
	int64_t t = 0;
	for (int i = 0; i < 100000; i++, t += VT_CROSSING_QUIET_MS / 10) {
		vt_crossing_hit(&x, t, "reload refused");
		vt_crossing_quiet(&x, t);
	}
	cr_expect_eq(s_lines(text, sizeof(text)), 1, "%s", text);
	cr_expect_eq(x.burst, 100000);
}
