/*
 * The station's text for what lies beyond a bed's numbers (see
 * vitals/console/views.h): sparklines of the half-hour trend, the last
 * blood pressure and its age, back at baseline, and the alarm review's
 * lines. Any front end draws these; none computes them itself.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vitals/console/client.h"
#include "vitals/console/views.h"

/* The eight heights of a sparkline, lowest first. */
static const char *const s_blocks[8] = {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
                                        "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
                                        "\xe2\x96\x87", "\xe2\x96\x88"};

/* The scale a parameter is drawn on: fixed, so that heights compare across beds. */
static void
s_scale(enum vt_param p, double *lo, double *hi)
{
	switch (p) {
	case VT_SPO2: *lo = 80; *hi = 100; break;
	case VT_PR: case VT_HR: *lo = 40; *hi = 160; break;
	case VT_RR: *lo = 0; *hi = 40; break;
	case VT_ETCO2: *lo = 0; *hi = 60; break;
	case VT_NIBP_SYS: case VT_NIBP_DIA: case VT_NIBP_MAP: *lo = 40; *hi = 200; break;
	default:
		*lo = vt_param_info(p)->min;
		*hi = vt_param_info(p)->max;
		break;
	}
}

const char *
vt_console_sparkline(const struct vt_trend *t, enum vt_param p, int64_t now, int64_t window_ms,
                     size_t width, bool ascii, char *out, size_t len)
{
	if (len == 0)
		return out;
	out[0] = '\0';
	if (width == 0 || window_ms <= 0)
		return out;
	/* The worst of each column's time: the lowest SpO2, the highest else. */
	bool low_is_bad = p == VT_SPO2;
	double col[256];
	if (width > 256)
		width = 256;
	for (size_t c = 0; c < width; c++)
		col[c] = NAN;
	int64_t start = now - window_ms;
	for (size_t i = 0; t != NULL && i < vt_trend_count(t); i++) {
		const struct vt_trend_point *pt = vt_trend_at(t, i);
		if (!(pt->has & VT_PARAM_BIT(p)) || pt->t < start || pt->t >= now)
			continue;
		size_t c = (size_t)((pt->t - start) * (int64_t)width / window_ms);
		double v = low_is_bad ? pt->lo[p] : pt->hi[p];
		if (isnan(col[c]) || (low_is_bad ? v < col[c] : v > col[c]))
			col[c] = v;
	}
	double lo, hi;
	s_scale(p, &lo, &hi);
	size_t used = 0;
	for (size_t c = 0; c < width && used + 4 <= len; c++) {
		if (isnan(col[c])) {
			out[used++] = ' ';
			continue;
		}
		double f = (col[c] - lo) / (hi - lo);
		int k = f <= 0 ? 0 : f >= 1 ? 7 : (int)(f * 8);
		if (k > 7)
			k = 7;
		if (ascii) {
			out[used++] = "_.-:=+*#"[k];
			continue;
		}
		memcpy(out + used, s_blocks[k], 3);
		used += 3;
	}
	out[used] = '\0';
	return out;
}

/* Parameter `p` of the bed, or NULL when the bed has none. */
static const struct vt_console_value *
s_param(const struct vt_console_bed *b, enum vt_param p)
{
	for (size_t i = 0; i < b->n_values; i++)
		if (strcmp(b->values[i].name, vt_param_info(p)->name) == 0)
			return &b->values[i];
	return NULL;
}

const char *
vt_console_format_ago(int64_t ms, char *out, size_t len)
{
	long long s = ms < 0 ? 0 : (long long)(ms / 1000);
	if (s < 60)
		snprintf(out, len, "%lld s ago", s);
	else if (s < 3600)
		snprintf(out, len, "%lld min ago", s / 60);
	else
		snprintf(out, len, "%lld h %lld min ago", s / 3600, s / 60 % 60);
	return out;
}

bool
vt_console_spot(const struct vt_console_bed *b, int64_t now, struct vt_console_spot *out)
{
	static const enum vt_param parts[3] = {VT_NIBP_SYS, VT_NIBP_DIA, VT_NIBP_MAP};
	const struct vt_console_value *v[3];
	bool current = false, last = false;
	for (int i = 0; i < 3; i++) {
		v[i] = s_param(b, parts[i]);
		current = current || (v[i] && v[i]->valid);
		last = last || (v[i] && v[i]->last_measured > 0);
	}
	memset(out, 0, sizeof(*out));
	if (!current && !last)
		return false;
	/* Current: the parts the daemon gives now. Else the last measurement's parts. */
	double x[3];
	for (int i = 0; i < 3; i++) {
		x[i] = NAN;
		if (v[i] && current && v[i]->valid)
			x[i] = v[i]->value;
		else if (v[i] && !current && v[i]->last_measured > 0)
			x[i] = v[i]->last;
		if (out->measured == 0 && !isnan(x[i]))
			out->measured = current ? v[i]->measured : v[i]->last_measured;
	}
	char part[2][16], mean[24] = "";
	for (int i = 0; i < 2; i++) {
		if (isnan(x[i]))
			snprintf(part[i], sizeof(part[i]), "-");
		else
			snprintf(part[i], sizeof(part[i]), "%.0f", x[i]);
	}
	if (!isnan(x[2]))
		snprintf(mean, sizeof(mean), " (%.0f)", x[2]);
	snprintf(out->value, sizeof(out->value), "%s/%s%s", part[0], part[1], mean);
	out->current = current;
	if (out->measured > 0 && now > 0)
		vt_console_format_ago(now - out->measured, out->age, sizeof(out->age));
	return true;
}

const char *
vt_console_spot_text(const struct vt_console_bed *b, int64_t now, char *out, size_t len)
{
	struct vt_console_spot spot;
	out[0] = '\0';
	if (!vt_console_spot(b, now, &spot))
		return out;
	if (spot.current)
		snprintf(out, len, "NIBP %s%s%s", spot.value, spot.age[0] ? " " : "", spot.age);
	else
		snprintf(out, len, "NIBP --- (last %s%s%s)", spot.value, spot.age[0] ? " " : "",
		         spot.age);
	return out;
}

const char *
vt_console_baseline_text(const struct vt_console_bed *b, char *out, size_t len)
{
	char clock[16];
	if (b->back_at_baseline <= 0)
		out[0] = '\0';
	else
		snprintf(out, len, "BACK AT BASELINE since %s",
		         vt_client_clock(b->back_at_baseline, clock, sizeof(clock)));
	return out;
}

/* A value with its parameter's unit: "84 %", "131 bpm". */
static void
s_with_unit(const struct vt_history_entry *e, double v, char *out, size_t len)
{
	int p = vt_param_by_name(e->parameter);
	snprintf(out, len, "%.4g%s%s", v, p >= 0 ? " " : "", p >= 0 ? vt_param_info(p)->unit : "");
}

void
vt_console_review_entry(const struct vt_history_entry *e, int64_t now,
                        struct vt_console_review *out)
{
	memset(out, 0, sizeof(*out));
	vt_client_clock(e->onset, out->when, sizeof(out->when));
	snprintf(out->priority, sizeof(out->priority), "%s",
	         e->priority == VT_CONSOLE_HIGH ? "HIGH" : e->priority == VT_CONSOLE_MEDIUM ? "MEDIUM"
	                                                                                : "LOW");
	bool active = e->end == VT_HISTORY_ACTIVE;
	int64_t until = active ? now : e->ended;
	vt_console_format_elapsed(until > 0 ? until - e->onset : -1, out->duration,
	                          sizeof(out->duration) - 1);
	if (active)
		strcat(out->duration, "+");
	char after[24];
	if (e->acknowledged)
		snprintf(out->ack, sizeof(out->ack), "ACK %.60s%s%s", e->by[0] ? e->by : "(unnamed)",
		         e->acked_at > 0 ? " after " : "",
		         e->acked_at > 0 ? vt_console_format_elapsed(e->acked_at - e->onset, after,
		                                                     sizeof(after))
		                         : "");
	else
		snprintf(out->ack, sizeof(out->ack), "NOT ACKNOWLEDGED");
	char clock[16];
	if (e->end == VT_HISTORY_CLEARED)
		snprintf(out->end, sizeof(out->end), "cleared %s",
		         vt_client_clock(e->ended, clock, sizeof(clock)));
	else
		snprintf(out->end, sizeof(out->end), "%s", vt_history_end_name(e->end));
	char worst[40] = "";
	if (e->has_worst)
		s_with_unit(e, e->worst, worst, sizeof(worst));
	snprintf(out->text, sizeof(out->text), "%.200s%s%s", e->text, worst[0] ? "; worst " : "",
	         worst);
}
