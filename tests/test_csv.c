/*
 * The numerics CSV reader: columns by name, empty fields as no value, and
 * errors that name the file, line and column.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vitals/wire/csv.h"

static char *
s_write_temp(const char *text)
{
	char *path = strdup("/tmp/vt-csv-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

Test(csv, columns_by_name_and_empty_is_no_value)
{
	struct vt_csv_layout l;
	char err[160];
	int col;
	const char *hdr = "rr,spo2,extra,t,pr";
	cr_assert_eq(vt_csv_parse_header(&l, hdr, strlen(hdr), err, sizeof(err), &col), 0);
	cr_expect_eq(l.t_column, 3);
	cr_expect_eq(l.columns, VT_PARAM_BIT(VT_RR) | VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_PR));
	double t;
	struct vt_reading r;
	const char *row = "14,,7,2.5,0";
	cr_assert_eq(vt_csv_parse_row(&l, row, strlen(row), &t, &r, err, sizeof(err), &col), 0);
	cr_expect_eq(t, 2.5);
	cr_expect_eq(r.reported, l.columns);
	cr_expect_eq(r.valid, VT_PARAM_BIT(VT_RR) | VT_PARAM_BIT(VT_PR), "spo2 empty = no value");
	cr_expect_eq(r.value[VT_RR], 14);
	cr_expect_eq(r.value[VT_PR], 0, "a written zero is a value");
	cr_expect_not(r.has_status);
}

Test(csv, bad_rows_say_where)
{
	struct vt_csv_layout l;
	char err[160];
	int col = 0;
	const char *hdr = "t,spo2,pr";
	cr_assert_eq(vt_csv_parse_header(&l, hdr, strlen(hdr), err, sizeof(err), &col), 0);
	double t;
	struct vt_reading r;
	const struct {
		const char *row;
		int column;
		const char *msg;
	} bad[] = {
	    {"1,9x,80", 3, "spo2: expected a number or an empty field, got \"9x\""},
	    {",97,80", 1, "t: expected seconds (a number), got \"\""},
	    {"one,97,80", 1, "t: expected seconds (a number), got \"one\""},
	    {"1,97,80,5", 9, "more fields than the header's 3 columns"},
	    {"1,inf,80", 3, "spo2: expected a number or an empty field, got \"inf\""},
	    {"1,0x10,80", 3, "spo2: expected a number or an empty field, got \"0x10\""},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(vt_csv_parse_row(&l, bad[i].row, strlen(bad[i].row), &t, &r, err,
		                              sizeof(err), &col),
		             -1, "%s", bad[i].row);
		cr_expect_str_eq(err, bad[i].msg, "%s", bad[i].row);
		cr_expect_eq(col, bad[i].column, "%s: column %d", bad[i].row, col);
	}
}

Test(csv, header_without_t_is_refused)
{
	struct vt_csv_layout l;
	char err[160];
	int col;
	const char *hdr = "time,spo2";
	cr_expect_eq(vt_csv_parse_header(&l, hdr, strlen(hdr), err, sizeof(err), &col), -1);
	cr_expect_str_eq(err, "no \"t\" column in the header (expected e.g. t,spo2,pr,hr,pi,rr)");
}

Test(csv, file_rows_and_time_going_backwards)
{
	char *path = s_write_temp("t,spo2,pr\r\n0,97,80\r\n\r\n1.5,,81\n1,96,80\n");
	struct vt_diag d = {0};
	struct vt_csv_file *f = vt_csv_file_open(path, &d);
	cr_assert_not_null(f);
	int64_t t;
	struct vt_reading r;
	cr_assert_eq(vt_csv_file_next(f, &t, &r, &d), 1);
	cr_expect_eq(t, 0);
	cr_expect_eq(r.value[VT_SPO2], 97);
	cr_assert_eq(vt_csv_file_next(f, &t, &r, &d), 1, "blank line skipped");
	cr_expect_eq(t, 1500);
	cr_expect_not(r.valid & VT_PARAM_BIT(VT_SPO2));
	cr_expect_eq(vt_csv_file_next(f, &t, &r, &d), -1);
	cr_assert_eq(d.count, 1);
	cr_expect_eq(d.entries[0].line, 5);
	cr_expect_str_eq(d.entries[0].message, "time goes backwards: t=1 after t=1.5");
	vt_csv_file_close(&f);
	vt_diag_clear(&d);
	unlink(path);
	free(path);
}

Test(csv, missing_file_is_a_clear_error)
{
	struct vt_diag d = {0};
	cr_expect_null(vt_csv_file_open("/nonexistent/rec.csv", &d));
	cr_assert_eq(d.count, 1);
	cr_expect_str_eq(d.entries[0].message, "cannot read: No such file or directory");
	vt_diag_clear(&d);
}

Test(csv, numbers_fill_the_whole_field)
{
	/* Plain decimals take a fast path; it must read what strtod reads. */
	struct vt_csv_layout l;
	char err[160];
	int col;
	cr_assert_eq(vt_csv_parse_header(&l, "t,spo2", 6, err, sizeof(err), &col), 0);
	static const struct {
		const char *row;
		double t, v;
	} good[] = {
	    {"0.1,97.25", 0.1, 97.25},
	    {"-1,.5", -1, 0.5},
	    {"5.,123456789012345", 5, 123456789012345.0},
	    {"1e2,9999999999999999", 100, 9999999999999999.0},
	    {"+3, 0.30000000000000004 ", 3, 0.30000000000000004},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		double t;
		struct vt_reading r;
		cr_assert_eq(vt_csv_parse_row(&l, good[i].row, strlen(good[i].row), &t, &r, err,
		                              sizeof(err), &col), 0, "%s: %s", good[i].row, err);
		cr_expect_eq(t, good[i].t, "%s", good[i].row);
		cr_expect_eq(r.value[VT_SPO2], good[i].v, "%s", good[i].row);
	}
	/* An embedded NUL ends the number early for strtod: not a number (found by fuzzing). */
	static const char nul_row[] = "1,8.\0\0";
	double t;
	struct vt_reading r;
	cr_expect_eq(vt_csv_parse_row(&l, nul_row, sizeof(nul_row) - 1, &t, &r, err, sizeof(err),
	                              &col), -1);
	cr_expect_eq(vt_csv_parse_row(&l, "1,0x10", 6, &t, &r, err, sizeof(err), &col), -1);
	cr_expect_eq(vt_csv_parse_row(&l, "1,-", 3, &t, &r, err, sizeof(err), &col), -1);
	cr_expect_eq(vt_csv_parse_row(&l, "1,1.2.3", 7, &t, &r, err, sizeof(err), &col), -1);
}

/*
 * The multiparameter recordings hold a blood pressure only in the rows
 * where a cuff measurement completed: there an empty field is no
 * measurement in that row (the parameter is not reported at all), while an
 * empty EtCO2 stays a value the capnograph did not have.
 */
Test(csv, an_empty_blood_pressure_is_no_measurement_in_that_row)
{
	struct vt_csv_layout l;
	char err[160];
	int col;
	const char *hdr = "t,spo2,pr,hr,rr,etco2,nibp_sys,nibp_dia,nibp_map,temp";
	cr_assert_eq(vt_csv_parse_header(&l, hdr, strlen(hdr), err, sizeof(err), &col), 0);
	double t;
	struct vt_reading r;
	const char *quiet = "60,97,80,81,14,,,,,";
	cr_assert_eq(vt_csv_parse_row(&l, quiet, strlen(quiet), &t, &r, err, sizeof(err), &col), 0);
	vt_param_mask bp = VT_PARAM_BIT(VT_NIBP_SYS) | VT_PARAM_BIT(VT_NIBP_DIA) |
	                   VT_PARAM_BIT(VT_NIBP_MAP);
	cr_expect_eq(r.reported & bp, 0, "no cuff measurement in this row");
	cr_expect(r.reported & VT_PARAM_BIT(VT_ETCO2), "EtCO2 empty: reported, no value");
	cr_expect(r.reported & VT_PARAM_BIT(VT_TEMP));
	cr_expect_eq(r.valid & VT_PARAM_BIT(VT_ETCO2), 0);
	const char *cuff = "120,97,80,81,14,33.5,124,78,93,";
	cr_assert_eq(vt_csv_parse_row(&l, cuff, strlen(cuff), &t, &r, err, sizeof(err), &col), 0);
	cr_expect_eq(r.valid & bp, bp);
	cr_expect_eq(r.value[VT_NIBP_MAP], 93);
	cr_expect_eq(r.value[VT_ETCO2], 33.5);
}

Test(csv, flags_column_carries_device_conditions)
{
	struct vt_csv_layout l;
	char err[160];
	int col;
	const char *hdr = "t,spo2,flags";
	cr_assert_eq(vt_csv_parse_header(&l, hdr, strlen(hdr), err, sizeof(err), &col), 0);
	cr_expect_eq(l.flags_column, 2);
	cr_expect_eq(l.columns, VT_PARAM_BIT(VT_SPO2), "flags is no parameter");
	double t;
	struct vt_reading r;
	const char *row = "3,, sensor-off  artifact ";
	cr_assert_eq(vt_csv_parse_row(&l, row, strlen(row), &t, &r, err, sizeof(err), &col), 0, "%s",
	             err);
	cr_expect(r.has_status);
	cr_expect_eq(r.flags, VT_FLAG_SENSOR_OFF | VT_FLAG_ARTIFACT);
	cr_expect_not(r.valid & VT_PARAM_BIT(VT_SPO2));
	/* An empty field: the device reported its status, and it was fine. */
	cr_assert_eq(vt_csv_parse_row(&l, "4,97,", 5, &t, &r, err, sizeof(err), &col), 0);
	cr_expect(r.has_status);
	cr_expect_eq(r.flags, 0);
	const char *bad = "5,97,artifact sensor_off";
	cr_expect_eq(vt_csv_parse_row(&l, bad, strlen(bad), &t, &r, err, sizeof(err), &col), -1);
	cr_expect_eq(col, 15);
	cr_expect(strstr(err, "flags: unknown device condition \"sensor_off\"") == err, "%s", err);
	const char *twice = "t,flags,spo2,flags";
	cr_expect_eq(vt_csv_parse_header(&l, twice, strlen(twice), err, sizeof(err), &col), -1);
	cr_expect_str_eq(err, "column \"flags\" appears twice");
	cr_expect_eq(col, 14);
}

Test(csv, what_the_writer_writes_reads_back)
{
	vt_param_mask cols = VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_PI) | VT_PARAM_BIT(VT_NIBP_SYS);
	char line[256];
	cr_assert_gt(vt_csv_format_header(line, sizeof(line), cols, true), 0);
	cr_expect_str_eq(line, "t,spo2,pi,nibp_sys,nibp_time,flags");
	struct vt_csv_layout l;
	char err[160];
	int col;
	cr_assert_eq(vt_csv_parse_header(&l, line, strlen(line), err, sizeof(err), &col), 0);
	struct vt_reading w;
	memset(&w, 0, sizeof(w));
	vt_reading_set(&w, VT_SPO2, 97);
	vt_reading_set(&w, VT_PI, 0.1 + 0.2); /* not the shortest decimal: 17 digits */
	vt_reading_set_missing(&w, VT_NIBP_SYS);
	w.flags = VT_FLAG_LOW_PERFUSION | VT_FLAG_PULSE_SEARCH;
	static const int64_t times[] = {0, 1500, -1000, 86399999, -250};
	static const char *const shown[] = {"0,", "1.5,", "-1,", "86399.999,", "-0.25,"};
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		int n = vt_csv_format_row(line, sizeof(line), cols, true, times[i], &w);
		cr_assert_gt(n, 0);
		cr_expect(strncmp(line, shown[i], strlen(shown[i])) == 0, "%s", line);
		double t;
		struct vt_reading r;
		cr_assert_eq(vt_csv_parse_row(&l, line, (size_t)n, &t, &r, err, sizeof(err), &col), 0,
		             "%s: %s", line, err);
		cr_expect_eq(llround(t * 1000), times[i], "%s", line);
		cr_expect_eq(r.valid, VT_PARAM_BIT(VT_SPO2) | VT_PARAM_BIT(VT_PI), "%s", line);
		cr_expect_eq(r.value[VT_SPO2], 97);
		cr_expect_eq(r.value[VT_PI], 0.1 + 0.2, "%s", line);
		cr_expect_eq(r.flags, w.flags, "%s", line);
	}
	cr_expect_str_eq(line, "-0.25,97,0.30000000000000004,,,low-perfusion pulse-search");
	/* Every time a reading can have, to the ends of int64 (found by fuzzing). */
	cr_assert_gt(vt_csv_format_row(line, sizeof(line), cols, false, INT64_MIN, &w), 0);
	cr_expect(strncmp(line, "-9223372036854775.808,", 22) == 0, "%s", line);
	cr_assert_gt(vt_csv_format_row(line, sizeof(line), cols, false, INT64_MAX, &w), 0);
	cr_expect(strncmp(line, "9223372036854775.807,", 21) == 0, "%s", line);
	/* Too small a buffer is said, never written past. */
	cr_expect_eq(vt_csv_format_row(line, 10, cols, true, 0, &w), -1);
	cr_expect_eq(vt_csv_format_header(line, 5, cols, false), -1);
}

/*
 * nibp_time: when the cuff measured the pressures of a row, on the clock
 * of `t`. The pressures of a row that has it are timed (their age, their
 * stamp), so that a measurement equal to the last is still new when its
 * time is; those of a row without it, or of a file without the column,
 * are not.
 */
Test(csv, nibp_time_times_the_pressures_of_its_row)
{
	struct vt_csv_layout l;
	char err[160];
	int col;
	const char *hdr = "t,hr,nibp_sys,nibp_dia,nibp_map,nibp_time,temp";
	cr_assert_eq(vt_csv_parse_header(&l, hdr, strlen(hdr), err, sizeof(err), &col), 0);
	cr_expect_eq(l.nibp_time_column, 5);
	cr_expect_eq(l.param[5], -1, "nibp_time is no parameter");
	double t;
	struct vt_reading r;
	const vt_param_mask bp = VT_CSV_NIBP_PARAMS;
	const char *row = "240.5,70,113,70,84,180.25,36.6";
	cr_assert_eq(vt_csv_parse_row(&l, row, strlen(row), &t, &r, err, sizeof(err), &col), 0,
	             "%s", err);
	cr_expect_eq(r.valid & bp, bp);
	cr_expect_eq(r.timed, bp, "the pressures are timed, nothing else");
	for (int p = VT_NIBP_SYS; p <= VT_NIBP_MAP; p++) {
		cr_expect_eq(r.age_ms[p], 60250, "%d", p);
		cr_expect_eq(r.stamp_ms[p], 180250, "%d", p);
	}
	/* Only the pressures the row has: a missing mean is not timed. */
	const char *no_map = "300,70,113,70,,300,36.6";
	cr_assert_eq(vt_csv_parse_row(&l, no_map, strlen(no_map), &t, &r, err, sizeof(err), &col), 0);
	cr_expect_eq(r.timed, VT_PARAM_BIT(VT_NIBP_SYS) | VT_PARAM_BIT(VT_NIBP_DIA));
	cr_expect_eq(r.age_ms[VT_NIBP_SYS], 0);
	/* An empty nibp_time: untimed pressures; a time without pressures: nothing timed. */
	const char *untimed = "360,70,113,70,84,,36.6";
	cr_assert_eq(vt_csv_parse_row(&l, untimed, strlen(untimed), &t, &r, err, sizeof(err), &col), 0);
	cr_expect_eq(r.valid & bp, bp);
	cr_expect_eq(r.timed, 0);
	const char *none = "420,70,,,,400,36.6";
	cr_assert_eq(vt_csv_parse_row(&l, none, strlen(none), &t, &r, err, sizeof(err), &col), 0);
	cr_expect_eq(r.timed, 0);
	cr_expect_eq(r.reported & bp, 0, "no measurement in this row");
	/* A file without the column: nothing is timed. */
	const char *old = "t,hr,nibp_sys,nibp_dia,nibp_map,temp";
	cr_assert_eq(vt_csv_parse_header(&l, old, strlen(old), err, sizeof(err), &col), 0);
	cr_expect_eq(l.nibp_time_column, -1);
	const char *old_row = "240,70,113,70,84,36.6";
	cr_assert_eq(vt_csv_parse_row(&l, old_row, strlen(old_row), &t, &r, err, sizeof(err), &col), 0);
	cr_expect_eq(r.valid & bp, bp);
	cr_expect_eq(r.timed, 0);
}

Test(csv, a_bad_nibp_time_says_where)
{
	struct vt_csv_layout l;
	char err[160];
	int col;
	const char *hdr = "t,nibp_sys,nibp_dia,nibp_time";
	cr_assert_eq(vt_csv_parse_header(&l, hdr, strlen(hdr), err, sizeof(err), &col), 0);
	const struct {
		const char *row;
		int column;
		const char *msg;
	} bad[] = {
	    {"60,120,80,soon", 11,
	     "nibp_time: expected the seconds (on the clock of t) when the cuff measured, or an "
	     "empty field, got \"soon\""},
	    {"60,120,80,61", 11, "nibp_time: the measurement at 61 s is after the row's t=60 s"},
	    {"60,120,80,1e13", 11, "nibp_time: 1e13 seconds is out of range"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		double t;
		struct vt_reading r;
		cr_expect_eq(vt_csv_parse_row(&l, bad[i].row, strlen(bad[i].row), &t, &r, err,
		                              sizeof(err), &col),
		             -1, "%s", bad[i].row);
		cr_expect_str_eq(err, bad[i].msg);
		cr_expect_eq(col, bad[i].column, "%s: column %d", bad[i].row, col);
	}
	/* Within the millisecond of t is not after it. */
	double t;
	struct vt_reading r;
	const char *same = "60,120,80,60.0004";
	cr_expect_eq(vt_csv_parse_row(&l, same, strlen(same), &t, &r, err, sizeof(err), &col), 0,
	             "%s", err);
	const char *twice = "t,nibp_time,nibp_sys,nibp_time";
	cr_expect_eq(vt_csv_parse_header(&l, twice, strlen(twice), err, sizeof(err), &col), -1);
	cr_expect_str_eq(err, "column \"nibp_time\" appears twice");
	cr_expect_eq(col, 22);
}

/* The writer gives each timed cuff measurement its time, and it reads back timed. */
Test(csv, the_writer_writes_the_cuff_time_and_it_reads_back)
{
	vt_param_mask cols = VT_PARAM_BIT(VT_HR) | VT_CSV_NIBP_PARAMS | VT_PARAM_BIT(VT_TEMP);
	char line[256];
	cr_assert_gt(vt_csv_format_header(line, sizeof(line), cols, false), 0);
	cr_expect_str_eq(line, "t,hr,nibp_sys,nibp_dia,nibp_map,nibp_time,temp");
	/* Only the mean: the time follows it all the same. */
	cr_assert_gt(vt_csv_format_header(line, sizeof(line), VT_PARAM_BIT(VT_NIBP_MAP), true), 0);
	cr_expect_str_eq(line, "t,nibp_map,nibp_time,flags");
	struct vt_csv_layout l;
	char err[160];
	int col;
	cr_assert_gt(vt_csv_format_header(line, sizeof(line), cols, false), 0);
	cr_assert_eq(vt_csv_parse_header(&l, line, strlen(line), err, sizeof(err), &col), 0);
	struct vt_reading w;
	memset(&w, 0, sizeof(w));
	vt_reading_set(&w, VT_HR, 72);
	vt_reading_set(&w, VT_NIBP_SYS, 120);
	vt_reading_set(&w, VT_NIBP_DIA, 70);
	vt_reading_set(&w, VT_NIBP_MAP, 87);
	for (int p = VT_NIBP_SYS; p <= VT_NIBP_MAP; p++)
		vt_reading_set_age(&w, (enum vt_param)p, 2500, 177500);
	int n = vt_csv_format_row(line, sizeof(line), cols, false, 180000, &w);
	cr_assert_gt(n, 0);
	cr_expect_str_eq(line, "180,72,120,70,87,177.5,");
	double t;
	struct vt_reading r;
	cr_assert_eq(vt_csv_parse_row(&l, line, (size_t)n, &t, &r, err, sizeof(err), &col), 0, "%s",
	             err);
	cr_expect_eq(r.timed, VT_CSV_NIBP_PARAMS);
	cr_expect_eq(r.age_ms[VT_NIBP_DIA], 2500);
	cr_expect_eq(r.stamp_ms[VT_NIBP_DIA], 177500);
	/* Untimed pressures leave it empty, and read back untimed. */
	w.timed = 0;
	n = vt_csv_format_row(line, sizeof(line), cols, false, 180000, &w);
	cr_assert_gt(n, 0);
	cr_expect_str_eq(line, "180,72,120,70,87,,");
	cr_assert_eq(vt_csv_parse_row(&l, line, (size_t)n, &t, &r, err, sizeof(err), &col), 0);
	cr_expect_eq(r.timed, 0);
	/* A measurement time beyond int64 milliseconds is no row. */
	vt_reading_set_age(&w, VT_NIBP_SYS, INT64_MAX, 0);
	cr_expect_eq(vt_csv_format_row(line, sizeof(line), cols, false, -2, &w), -1);
}

/*
 * A file without nibp_time (vt_csv_time_sparse): a pressure after an empty
 * field is timed at its row, one right after another stays untimed, and a
 * file with the column is left as its nibp_time says.
 */
Test(csv, a_pressure_after_an_empty_field_is_timed_at_its_row)
{
	struct vt_csv_layout l;
	char err[160];
	int col;
	const char *hdr = "t,hr,nibp_sys,nibp_dia";
	cr_assert_eq(vt_csv_parse_header(&l, hdr, strlen(hdr), err, sizeof(err), &col), 0);
	static const char *const rows[] = {"60,70,120,80", "120,70,120,80", "180,70,,", "240,70,120,80"};
	static const bool timed[] = {true, false, false, true};
	vt_param_mask had = 0;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		double t;
		struct vt_reading r;
		cr_assert_eq(vt_csv_parse_row(&l, rows[i], strlen(rows[i]), &t, &r, err, sizeof(err),
		                              &col), 0, "%s", err);
		vt_csv_time_sparse(&l, &had, (int64_t)t * 1000, &r);
		cr_expect_eq((r.timed & VT_PARAM_BIT(VT_NIBP_SYS)) != 0, timed[i], "row %zu", i);
		cr_expect_eq((r.timed & VT_PARAM_BIT(VT_NIBP_DIA)) != 0, timed[i], "row %zu", i);
		cr_expect_eq(r.timed & VT_PARAM_BIT(VT_HR), 0, "a stream is never timed");
		if (timed[i]) {
			cr_expect_eq(r.stamp_ms[VT_NIBP_SYS], (int64_t)t * 1000);
			cr_expect_eq(r.age_ms[VT_NIBP_SYS], 0);
		}
	}
	const char *with = "t,nibp_sys,nibp_time";
	cr_assert_eq(vt_csv_parse_header(&l, with, strlen(with), err, sizeof(err), &col), 0);
	double t;
	struct vt_reading r;
	cr_assert_eq(vt_csv_parse_row(&l, "60,120,", 7, &t, &r, err, sizeof(err), &col), 0, "%s", err);
	had = 0;
	vt_csv_time_sparse(&l, &had, 60000, &r);
	cr_expect_eq(r.timed, 0, "its nibp_time is empty: untimed, as the column says");
}
