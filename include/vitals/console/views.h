/*
 * What a station shows of a bed beyond its numbers, as text any front end
 * can draw (the terminal console, a web page): the half-hour trend of a
 * parameter as a sparkline, the last blood pressure with its age, whether
 * the patient is back at baseline, and one alarm of the history as the
 * alarm review lists it. Pure: the model and the time are arguments; the
 * text is UTF-8.
 */
#ifndef VITALS_CONSOLE_VIEWS_H
#define VITALS_CONSOLE_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/sample.h"
#include "vitals/console/history.h"
#include "vitals/console/model.h"
#include "vitals/console/trend.h"

/*
 * The last `window_ms` of `p` in `t` before `now` as `width` characters,
 * oldest left: one of ▁▂▃▄▅▆▇█ per column by where its value sits on the
 * parameter's fixed scale (SpO2 80-100 %, pulse 40-160 /min: the same
 * height means the same value on every bed), a space where there was no
 * value. A column shows the worst of its time: the lowest SpO2, the
 * highest of anything else, so a short dip is never smoothed away. Into
 * out (room for 3 bytes a column and the NUL); returns out. `t` may be
 * NULL (all spaces). With `ascii` (a terminal without UTF-8) the eight
 * heights are _.-:=+*# instead, one byte a column.
 */
const char *vt_console_sparkline(const struct vt_trend *t, enum vt_param p, int64_t now,
                                 int64_t window_ms, size_t width, bool ascii, char *out,
                                 size_t len);

/* Bytes a sparkline of `width` columns needs, with its NUL. */
#define VT_CONSOLE_SPARK_BYTES(width) (3 * (width) + 1)

/* How long ago something was, `ms` before now: "35 s ago", "4 min ago", "2 h 5 min ago". */
const char *vt_console_format_ago(int64_t ms, char *out, size_t len);

/*
 * A bed's blood pressure as a station shows it: a spot measurement, taken
 * every few minutes, so its age matters as much as its value. It is
 * current while the daemon gives it; once the daemon stops (it grew older
 * than the monitor's nibp_stale_after, or the port was lost) the last one
 * is shown as no longer current, still with its age.
 */
struct vt_console_spot {
	bool current;     /* false: the last measurement, no longer the bed's value */
	char value[64];   /* "128/84 (100)": systolic/diastolic (mean); "-" for a part without value;
	                     room for each part at its widest (15 + 1 + 15 + 23) */
	char age[40];     /* "4 min ago" at `now`; "" when its time is unknown */
	int64_t measured; /* daemon time of the measurement; 0 unknown */
};

/* The bed's blood pressure at daemon time `now` into out; false when it has none to show. */
bool vt_console_spot(const struct vt_console_bed *b, int64_t now, struct vt_console_spot *out);

/*
 * The same as one line: "NIBP 128/84 (100) 4 min ago", or once no longer
 * current "NIBP --- (last 128/84 (100) 24 min ago)"; "" when the bed has none.
 */
const char *vt_console_spot_text(const struct vt_console_bed *b, int64_t now, char *out,
                                 size_t len);

/* "BACK AT BASELINE since 10:20" (local clock), or "" when the bed is not. */
const char *vt_console_baseline_text(const struct vt_console_bed *b, char *out, size_t len);

/* One alarm of the history, as the review lists it. */
struct vt_console_review {
	char when[16];     /* when it was raised, "10:13:48" (local) */
	char priority[8];  /* "HIGH", "MEDIUM", "LOW" */
	char duration[24]; /* how long it was active: "1:23", or "1:23+" while it still is */
	char ack[96];      /* "ACK station-2 after 0:12", or "NOT ACKNOWLEDGED" */
	char end[64];      /* "cleared 10:15:11", "active", "ended unseen", "daemon restarted" */
	char text[256];    /* its text as raised, with the worst value when there is one */
};

/* Entry `e` at daemon time `now`. */
void vt_console_review_entry(const struct vt_history_entry *e, int64_t now,
                             struct vt_console_review *out);

#endif
