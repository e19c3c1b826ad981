/*
 * libFuzzer target for what a console reads off the network: the messages
 * of the publish socket and the reply to a snapshot request
 * (vitals/console_model.h), and the layout of the alarm texts they carry
 * (vitals/console_layout.h). A console is what a nurse watches, so a
 * message from a broken or hostile publisher must never crash it nor leave
 * it showing something inconsistent. The input is a script of lines: a
 * line starting with `S` is a snapshot reply, `T` advances the clock by its
 * first byte's worth of seconds, anything else is one published message.
 * The fuzzer stops on a crash, a sanitizer report, or a broken promise:
 *   - every string of every bed and alert is terminated inside its field;
 *   - the alerts are in urgency order (priority, unacknowledged first,
 *     oldest first, then id) and no id appears twice;
 *   - a bed found by name is that bed, and every alert's bed name is set;
 *   - the parameter columns are distinct known parameters;
 *   - what sounds is the top priority of the alerts neither acknowledged
 *     nor paused, and they are counted right;
 *   - every alert's text wraps at every width into rows no wider than the
 *     width that lose nothing but the spaces at the breaks, and the list
 *     scroll always keeps the selected alert in view;
 *   - every bed's trend holds at most a window of slices in time order,
 *     each low at most its high, and the alarm history stays bounded with
 *     every string terminated.
 */
#include "fuzz_check.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/sample.h"
#include "vitals/console/history.h"
#include "vitals/console/layout.h"
#include "vitals/console/model.h"
#include "vitals/console/trend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(field) fuzz_check(strnlen((field), sizeof(field)) < sizeof(field))

static int
s_urgency_cmp(const struct vt_console_alert *a, const struct vt_console_alert *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	if (a->acknowledged != b->acknowledged)
		return a->acknowledged ? 1 : -1;
	if (a->onset != b->onset)
		return a->onset < b->onset ? -1 : 1;
	return strcmp(a->id, b->id);
}

static void
s_check_wrap(const char *text)
{
	struct vt_console_span rows[VT_CONSOLE_WRAP_MAX];
	size_t len = strlen(text);
	for (size_t width = 1; width <= 80; width += width < 16 ? 1 : 7) {
		size_t n = vt_console_wrap(text, width, rows, VT_CONSOLE_WRAP_MAX);
		fuzz_check(n >= 1);
		size_t shown = n < VT_CONSOLE_WRAP_MAX ? n : VT_CONSOLE_WRAP_MAX;
		size_t end = 0;
		for (size_t i = 0; i < shown; i++) {
			fuzz_check(rows[i].len <= width);
			fuzz_check(rows[i].off >= end && rows[i].off + rows[i].len <= len);
			/* Only spaces are skipped between rows. */
			for (size_t k = end; k < rows[i].off; k++)
				fuzz_check(text[k] == ' ');
			end = rows[i].off + rows[i].len;
		}
		if (n <= VT_CONSOLE_WRAP_MAX)
			for (size_t k = end; k < len; k++)
				fuzz_check(text[k] == ' ');
	}
}

static void
s_check_model(const struct vt_console *m, int64_t now)
{
	size_t nb = vt_console_bed_count(m), na = vt_console_alert_count(m);
	for (size_t i = 0; i < nb; i++) {
		const struct vt_console_bed *b = vt_console_bed_at(m, i);
		TERMINATED(b->name);
		TERMINATED(b->port);
		TERMINATED(b->flags);
		TERMINATED(b->phase);
		fuzz_check(b->n_values <= VT_PARAM_COUNT);
		for (size_t v = 0; v < b->n_values; v++)
			TERMINATED(b->values[v].name);
		fuzz_check(vt_console_bed_named(m, b->name) == b);
		const struct vt_trend *t = vt_console_trend(m, b->name);
		for (size_t k = 0; t != NULL && k < vt_trend_count(t); k++) {
			const struct vt_trend_point *p = vt_trend_at(t, k);
			fuzz_check(k == 0 || p->t > vt_trend_at(t, k - 1)->t);
			for (int q = 0; q < VT_PARAM_COUNT; q++)
				fuzz_check(!(p->has & VT_PARAM_BIT(q)) || p->lo[q] <= p->hi[q]);
		}
		fuzz_check(t == NULL || vt_trend_count(t) <= VT_TREND_POINTS);
	}
	const struct vt_history *h = vt_console_history(m);
	fuzz_check(vt_history_count(h) <= VT_HISTORY_MAX);
	for (size_t i = 0; i < vt_history_count(h); i++) {
		const struct vt_history_entry *e = vt_history_at(h, i);
		TERMINATED(e->id);
		TERMINATED(e->text);
		TERMINATED(e->end_text);
		TERMINATED(e->by);
		fuzz_check(e->version <= vt_history_version(h));
	}
	int heights[64];
	for (size_t i = 0; i < na; i++) {
		const struct vt_console_alert *a = vt_console_alert_at(m, i);
		TERMINATED(a->id);
		TERMINATED(a->bed);
		TERMINATED(a->rule);
		TERMINATED(a->parameter);
		TERMINATED(a->by);
		TERMINATED(a->text);
		fuzz_check(a->priority >= VT_CONSOLE_LOW && a->priority <= VT_CONSOLE_HIGH);
		fuzz_check(vt_console_alert_by_id(m, a->id) == a);
		if (i > 0)
			fuzz_check(s_urgency_cmp(vt_console_alert_at(m, i - 1), a) < 0);
		s_check_wrap(a->text);
		if (i < 64) {
			struct vt_console_span rows[VT_CONSOLE_WRAP_MAX];
			size_t n = vt_console_wrap(a->text, 20, rows, VT_CONSOLE_WRAP_MAX);
			heights[i] = (int)(n < VT_CONSOLE_WRAP_MAX ? n : VT_CONSOLE_WRAP_MAX) + 1;
		}
	}
	size_t nh = na < 64 ? na : 64;
	for (size_t sel = 0; sel < nh; sel++) {
		size_t first = vt_console_scroll_first(heights, nh, sel, 8);
		int used = 0;
		for (size_t i = first; i <= sel && first <= sel; i++)
			used += heights[i];
		fuzz_check(first <= sel && (used <= 8 || first == sel));
	}
	size_t n_loud = 0, want_loud = 0;
	int want_level = -1;
	for (size_t i = 0; i < na; i++) {
		const struct vt_console_alert *a = vt_console_alert_at(m, i);
		if (!a->acknowledged && a->silenced_until <= now) {
			want_loud++;
			if ((int)a->priority > want_level)
				want_level = (int)a->priority;
		}
	}
	fuzz_check(vt_console_sounding(m, now, &n_loud) == want_level && n_loud == want_loud);
	const char *names[VT_PARAM_COUNT];
	size_t nc = vt_console_param_columns(m, names);
	fuzz_check(nc <= VT_PARAM_COUNT);
	for (size_t i = 0; i < nc; i++) {
		fuzz_check(vt_param_by_name(names[i]) >= 0);
		for (size_t k = 0; k < i; k++)
			fuzz_check(strcmp(names[i], names[k]) != 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t now = 1000;
	struct vt_console *m = vt_console_new(now);
	fuzz_check(m != NULL);
	size_t pos = 0;
	while (pos < size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
		const char *line = (const char *)data + pos;
		if (len > 0 && line[0] == 'T') {
			now += 1000 * (len > 1 ? (uint8_t)line[1] : 1);
			vt_console_tick(m, now);
		} else if (len > 0 && line[0] == 'S') {
			char err[128];
			vt_console_wants_snapshot(m, now);
			vt_console_snapshot_sent(m, now);
			if (vt_console_snapshot(m, line + 1, len - 1, now, err, sizeof(err)) != 0)
				fuzz_check(strnlen(err, sizeof(err)) < sizeof(err) && err[0] != '\0');
		} else {
			vt_console_message(m, line, len, now);
		}
		s_check_model(m, vt_console_daemon_time(m, now));
		int64_t deadline = vt_console_next_deadline(m);
		fuzz_check(deadline > 0);
		pos += len + 1;
	}
	vt_console_free(&m);
	fuzz_check(m == NULL);
	return 0;
}
