/*
 * The trend page's plot (vt_report_trends in vitals/report/doc.h): every
 * parameter the bed gave, each in its own panel on one shared time axis,
 * as a central station's full disclosure shows a session.
 *
 *  - The phases are bands across every panel, in the colours of the first
 *    page's phase list.
 *  - Continuous values are a line that breaks where the device had no
 *    value or the samples are further apart than the bed's stale_after
 *    (a gap is drawn as a gap, never bridged); a blood-pressure cuff's
 *    measurements are each a bar from diastolic to systolic with the mean
 *    as a dot, never a line through the minutes between them.
 *  - The patient's baseline is a dotted line from the end of the baseline
 *    phase; the configured limits of the bed's rules are dashed lines in
 *    their priority's colour (a baseline-relative limit from the baseline
 *    on), only over the phases a rule applies in.
 *  - Every alarm is a bar in the strip below, from raised (a triangle) to
 *    cleared, with a tick where it was acknowledged and who did; a
 *    physiological alarm is also marked on its parameter's panel.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vitals/report/doc.h"

#define S_LABEL_W 40.0  /* y labels left of the plots */
#define S_LEGEND_H 16.0
#define S_AXIS_H 14.0
#define S_PANEL_GAP 7.0
#define S_LANE_H 13.0
#define S_MAX_LANES 10
#define S_MAX_PANELS 8

struct panel {
	int params[3];
	size_t n;
	bool episodic;       /* blood pressure: measurements, not a line */
	double lo, hi, step; /* the y axis */
	double y, h;         /* where on the page */
};

/* The plot's time axis. */
struct axis {
	int64_t from, to;
	double x, w;
};

static double
s_tx(const struct axis *a, int64_t t)
{
	double span = a->to > a->from ? (double)(a->to - a->from) : 1;
	return a->x + (double)(t - a->from) * a->w / span;
}

static double
s_py(const struct panel *p, double v)
{
	return p->y + p->h - (v - p->lo) * p->h / (p->hi - p->lo);
}

static void
s_param_rgb(cairo_t *cr, int param)
{
	switch (param) {
	case VT_SPO2: vt_page_rgb(cr, 0.10, 0.30, 0.80); break;
	case VT_PR: vt_page_rgb(cr, 0.00, 0.50, 0.25); break;
	case VT_HR: vt_page_rgb(cr, 0.55, 0.10, 0.50); break;
	case VT_NIBP_SYS: case VT_NIBP_DIA: case VT_NIBP_MAP: vt_page_rgb(cr, 0.60, 0.10, 0.10); break;
	default: vt_page_rgb(cr, 0.20, 0.20, 0.20); break;
	}
}

/* The panels: SpO2, pulse (PR with HR), blood pressure, then one per other parameter. */
static size_t
s_panels(const struct vt_record *r, struct panel *out)
{
	size_t n = 0;
	vt_param_mask has = r->present;
	if (has & VT_PARAM_BIT(VT_SPO2))
		out[n++] = (struct panel){.params = {VT_SPO2}, .n = 1};
	if (has & (VT_PARAM_BIT(VT_PR) | VT_PARAM_BIT(VT_HR))) {
		struct panel p = {.n = 0};
		if (has & VT_PARAM_BIT(VT_PR))
			p.params[p.n++] = VT_PR;
		if (has & VT_PARAM_BIT(VT_HR))
			p.params[p.n++] = VT_HR;
		out[n++] = p;
	}
	if (has & (VT_PARAM_BIT(VT_NIBP_SYS) | VT_PARAM_BIT(VT_NIBP_DIA) | VT_PARAM_BIT(VT_NIBP_MAP)))
		out[n++] = (struct panel){.params = {VT_NIBP_SYS, VT_NIBP_DIA, VT_NIBP_MAP}, .n = 3,
		                          .episodic = true};
	for (int p = 0; p < VT_PARAM_COUNT && n < S_MAX_PANELS; p++) {
		if (!(has & VT_PARAM_BIT(p)) || p == VT_SPO2 || p == VT_PR || p == VT_HR ||
		    vt_record_episodic((enum vt_param)p))
			continue;
		out[n++] = (struct panel){.params = {p}, .n = 1};
	}
	return n;
}

/* ---- limits ---------------------------------------------------------------- */

/* A limit line of a rule: its value, where it starts, its priority. */
struct limit {
	double v;
	int64_t from;
	enum vt_priority prio;
	const struct vt_rule_config *rule;
};

/* The limits of the bed's rules on `param` (at most max). */
static size_t
s_limits(const struct vt_record *r, const struct vt_config *cfg, int param, struct limit *out,
         size_t max)
{
	size_t n = 0;
	int64_t fixed = vt_record_phase_start(r, VT_PHASE_INFUSION);
	for (size_t i = 0; cfg != NULL && i < cfg->n_rules && n < max; i++) {
		const struct vt_rule_config *rule = &cfg->rules[i];
		if ((int)rule->param != param || !vt_rule_applies_to(rule, r->bed))
			continue;
		if (rule->kind == VT_RULE_LIMIT) {
			out[n++] = (struct limit){rule->limit, r->from, rule->priority, rule};
			for (size_t k = 0; k < rule->n_tiers && n < max; k++)
				out[n++] = (struct limit){rule->tiers[k].limit, r->from, rule->tiers[k].priority,
				                          rule};
		} else if (rule->kind == VT_RULE_BASELINE && !isnan(r->baseline[param]) && fixed) {
			double b = r->baseline[param];
			double off = rule->delta_percent ? b * rule->delta / 100 : rule->delta;
			out[n++] = (struct limit){b + rule->direction * off, fixed, rule->priority, rule};
		}
	}
	return n;
}

/* Whether a rule applies in the phase in force at t. */
static bool
s_rule_in_force(const struct vt_record *r, const struct vt_rule_config *rule, int64_t t)
{
	if (rule->phases == 0)
		return true;
	int ph = vt_record_phase_at(r, t);
	return ph >= 0 && (rule->phases & VT_PHASE_BIT(ph));
}

/* ---- axes ------------------------------------------------------------------ */

/* A step of 1, 2 or 5 times a power of ten giving at most `most` intervals over span. */
static double
s_nice_step(double span, int most)
{
	double raw = span / most, mag = pow(10, floor(log10(raw)));
	double f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static void
s_y_range(const struct vt_record *r, const struct vt_config *cfg, struct panel *p)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t k = 0; k < p->n; k++) {
		const struct vt_record_series *s = &r->series[p->params[k]];
		for (size_t i = 0; i < s->n; i++)
			if (!isnan(s->p[i].v)) {
				lo = fmin(lo, s->p[i].v);
				hi = fmax(hi, s->p[i].v);
			}
		struct limit lim[16];
		size_t nl = s_limits(r, cfg, p->params[k], lim, 16);
		for (size_t i = 0; i < nl; i++) {
			lo = fmin(lo, lim[i].v);
			hi = fmax(hi, lim[i].v);
		}
		if (!isnan(r->baseline[p->params[k]])) {
			lo = fmin(lo, r->baseline[p->params[k]]);
			hi = fmax(hi, r->baseline[p->params[k]]);
		}
	}
	if (!isfinite(lo)) {
		lo = 0;
		hi = 1;
	}
	if (p->params[0] == VT_SPO2) {
		/* Saturation reads against its top: 100 % is always in view. */
		hi = 100;
		lo = fmin(lo - 2, 90);
	} else {
		double pad = fmax(1, (hi - lo) * 0.12);
		lo -= pad;
		hi += pad;
	}
	p->step = s_nice_step(hi - lo, 4);
	p->lo = floor(lo / p->step) * p->step;
	p->hi = ceil(hi / p->step) * p->step;
	if (p->hi <= p->lo)
		p->hi = p->lo + p->step;
	if (p->lo < 0 && lo >= 0)
		p->lo = 0;
}

/* The time step for 4 to 10 ticks. */
static int64_t
s_time_step(int64_t span)
{
	static const int64_t steps[] = {10000,    15000,    30000,    60000,    120000,   300000,
	                                600000,   900000,   1800000,  3600000,  7200000,  10800000,
	                                21600000, 43200000, 86400000};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 10)
			return steps[i];
	return 86400000;
}

/* The local clock's offset from UTC at t, in ms (0 when the record is in UTC). */
static int64_t
s_offset(int64_t t)
{
	char zone[64];
	vt_page_zone(t, zone, sizeof(zone));
	const char *s = strstr(zone, "UTC");
	int h = 0, m = 0;
	char sign = '+';
	if (s != NULL)
		sscanf(s, "UTC%c%d:%d", &sign, &h, &m);
	int64_t off = ((int64_t)h * 60 + m) * 60000;
	return sign == '-' ? -off : off;
}

static void
s_time_axis(cairo_t *cr, const struct axis *a, double top, double bottom)
{
	int64_t step = s_time_step(a->to - a->from);
	int64_t off = s_offset(a->from);
	int64_t t = ((a->from + off) / step) * step - off;
	if (t < a->from)
		t += step;
	vt_page_font(cr, 7, false);
	cairo_set_line_width(cr, 0.4);
	for (; t <= a->to; t += step) {
		double x = s_tx(a, t);
		vt_page_rgb(cr, 0.82, 0.82, 0.82);
		cairo_move_to(cr, x, top);
		cairo_line_to(cr, x, bottom);
		cairo_stroke(cr);
		char label[32];
		if (step < 60000)
			vt_page_clock(t, label, sizeof(label));
		else
			vt_page_hhmm(t, label, sizeof(label));
		vt_page_rgb(cr, 0.2, 0.2, 0.2);
		vt_page_text(cr, x - vt_page_width(cr, label) / 2, bottom + 9, label);
	}
}

/* ---- the parts --------------------------------------------------------------- */

static void
s_phase_bands(cairo_t *cr, const struct vt_record *r, const struct axis *a, double top,
              double bottom)
{
	for (size_t i = 0; i < r->n_phases; i++) {
		int64_t t0 = r->phases[i].t < a->from ? a->from : r->phases[i].t;
		int64_t t1 = i + 1 < r->n_phases ? r->phases[i + 1].t : a->to;
		if (t1 > a->to)
			t1 = a->to;
		if (t1 <= t0)
			continue;
		vt_page_phase(cr, r->phases[i].phase, 0.22);
		cairo_rectangle(cr, s_tx(a, t0), top, s_tx(a, t1) - s_tx(a, t0), bottom - top);
		cairo_fill(cr);
		vt_page_phase(cr, r->phases[i].phase, 1);
		cairo_rectangle(cr, s_tx(a, t0), top - 3, s_tx(a, t1) - s_tx(a, t0), 3);
		cairo_fill(cr);
		vt_page_font(cr, 6.5, true);
		vt_page_rgb(cr, 0.25, 0.25, 0.25);
		double room = s_tx(a, t1) - s_tx(a, t0) - 4;
		if (room > 12)
			vt_page_text_fit(cr, s_tx(a, t0) + 2, top - 5, room, vt_phase_name(r->phases[i].phase));
	}
}

/* A continuous series as a line that breaks at no value and at gaps. */
static void
s_line(cairo_t *cr, const struct vt_record *r, const struct axis *a, const struct panel *p,
       int param, bool dashed)
{
	const struct vt_record_series *s = &r->series[param];
	s_param_rgb(cr, param);
	cairo_set_line_width(cr, 0.9);
	double dash[] = {3, 1.5};
	cairo_set_dash(cr, dashed ? dash : NULL, dashed ? 2 : 0, 0);
	const struct vt_record_point *prev = NULL;
	bool alone = false; /* prev began a piece and nothing joined it yet */
	for (size_t i = 0; i < s->n; i++) {
		const struct vt_record_point *pt = &s->p[i];
		if (isnan(pt->v)) {
			prev = NULL;
			continue;
		}
		double x = s_tx(a, pt->t), y = s_py(p, pt->v);
		if (prev != NULL && pt->t - prev->t <= r->gap_ms) {
			cairo_line_to(cr, x, y);
			alone = false;
		} else {
			if (alone && prev != NULL) /* a lone sample: a dot, not nothing */
				cairo_rectangle(cr, s_tx(a, prev->t) - 0.6, s_py(p, prev->v) - 0.6, 1.2, 1.2);
			cairo_move_to(cr, x, y);
			alone = true;
		}
		prev = pt;
	}
	cairo_stroke(cr);
	cairo_set_dash(cr, NULL, 0, 0);
}

/* A cuff's measurements: a bar from diastolic to systolic, the mean as a dot. */
static void
s_measurements(cairo_t *cr, const struct vt_record *r, const struct axis *a,
               const struct panel *p)
{
	const struct vt_record_series *sys = &r->series[VT_NIBP_SYS], *dia = &r->series[VT_NIBP_DIA],
	                              *map = &r->series[VT_NIBP_MAP];
	s_param_rgb(cr, VT_NIBP_SYS);
	cairo_set_line_width(cr, 1.2);
	for (size_t i = 0; i < sys->n; i++) {
		if (isnan(sys->p[i].v))
			continue;
		double x = s_tx(a, sys->p[i].t), top = s_py(p, sys->p[i].v), low = top;
		for (size_t k = 0; k < dia->n; k++)
			if (dia->p[k].t == sys->p[i].t && !isnan(dia->p[k].v))
				low = s_py(p, dia->p[k].v);
		cairo_move_to(cr, x, top);
		cairo_line_to(cr, x, low);
		cairo_move_to(cr, x - 2.5, top);
		cairo_line_to(cr, x + 2.5, top);
		cairo_move_to(cr, x - 2.5, low);
		cairo_line_to(cr, x + 2.5, low);
		cairo_stroke(cr);
	}
	for (size_t i = 0; i < map->n; i++)
		if (!isnan(map->p[i].v)) {
			cairo_arc(cr, s_tx(a, map->p[i].t), s_py(p, map->p[i].v), 1.6, 0, 2 * M_PI);
			cairo_fill(cr);
		}
}

/* A small label over a pale box, so a line under it does not hide it. */
static void
s_label(cairo_t *cr, double x, double y, const char *text)
{
	double w = vt_page_width(cr, text);
	cairo_save(cr);
	cairo_set_source_rgba(cr, 1, 1, 1, 0.75);
	cairo_rectangle(cr, x - 1, y - 5.5, w + 2, 7);
	cairo_fill(cr);
	cairo_restore(cr);
	vt_page_text(cr, x, y, text);
}

/* The limit and baseline lines, or (labels) their labels, drawn over the data. */
static void
s_limits_and_baseline(cairo_t *cr, const struct vt_record *r, const struct vt_config *cfg,
                      const struct axis *a, const struct panel *p, bool labels)
{
	double dash[] = {4, 2.5}, dots[] = {1, 2};
	for (size_t k = 0; k < p->n && !p->episodic; k++) {
		int param = p->params[k];
		struct limit lim[16];
		size_t nl = s_limits(r, cfg, param, lim, 16);
		cairo_set_line_width(cr, 0.8);
		cairo_set_dash(cr, dash, 2, 0);
		double label_y[16], label_x[16]; /* where earlier labels went, to keep clear of them */
		for (size_t i = 0; i < nl; i++) {
			double y = s_py(p, lim[i].v);
			vt_page_priority(cr, lim[i].prio, 0.9);
			/* Only where the rule is in force: step along the phases. */
			int64_t step = (a->to - a->from) / 400 + 1;
			bool down = false;
			for (int64_t t = lim[i].from; t <= a->to; t += step) {
				bool on = s_rule_in_force(r, lim[i].rule, t);
				if (on && !down)
					cairo_move_to(cr, s_tx(a, t), y);
				else if (!on && down)
					cairo_line_to(cr, s_tx(a, t), y);
				down = on;
			}
			if (down)
				cairo_line_to(cr, s_tx(a, a->to), y);
			if (!labels) {
				cairo_stroke(cr);
				continue;
			}
			cairo_new_path(cr);
			vt_page_font(cr, 6, false);
			char label[96];
			snprintf(label, sizeof(label), "%s %c %g", lim[i].rule->name,
			         lim[i].rule->direction < 0 ? '<' : '>', round(lim[i].v * 10) / 10);
			/* Right-aligned at the panel's end, or left of a label it would cover. */
			double right = a->x + a->w - 2;
			for (size_t j = 0; j < i; j++)
				if (fabs(label_y[j] - y) < 7 && right > label_x[j] - 6)
					right = label_x[j] - 6;
			label_y[i] = y;
			label_x[i] = right - vt_page_width(cr, label);
			s_label(cr, label_x[i], y - 1.5, label);
		}
		if (!isnan(r->baseline[param])) {
			int64_t from = vt_record_phase_start(r, VT_PHASE_INFUSION);
			if (from == 0)
				from = a->from;
			double y = s_py(p, r->baseline[param]);
			cairo_set_dash(cr, dots, 2, 0);
			cairo_set_line_width(cr, 0.9);
			vt_page_rgb(cr, 0.3, 0.3, 0.3);
			if (!labels) {
				cairo_move_to(cr, s_tx(a, from), y);
				cairo_line_to(cr, a->x + a->w, y);
				cairo_stroke(cr);
			} else {
				vt_page_font(cr, 6, false);
				char label[64];
				snprintf(label, sizeof(label), "baseline %g", round(r->baseline[param] * 10) / 10);
				s_label(cr, s_tx(a, from) + 2, y + 7, label);
			}
		}
		cairo_set_dash(cr, NULL, 0, 0);
	}
	cairo_set_dash(cr, NULL, 0, 0);
}

static void
s_triangle(cairo_t *cr, double x, double y, double size)
{
	cairo_move_to(cr, x - size, y);
	cairo_line_to(cr, x + size, y);
	cairo_line_to(cr, x, y + size * 1.4);
	cairo_close_path(cr);
	cairo_fill(cr);
}

static void
s_panel(cairo_t *cr, const struct vt_record *r, const struct vt_config *cfg,
        const struct axis *a, const struct panel *p)
{
	/* The frame and the y axis. */
	cairo_set_line_width(cr, 0.5);
	vt_page_font(cr, 6.5, false);
	for (double v = p->lo; v <= p->hi + p->step / 2; v += p->step) {
		double y = s_py(p, v);
		vt_page_rgb(cr, 0.85, 0.85, 0.85);
		cairo_move_to(cr, a->x, y);
		cairo_line_to(cr, a->x + a->w, y);
		cairo_stroke(cr);
		char label[32];
		snprintf(label, sizeof(label), "%g", v);
		vt_page_rgb(cr, 0.25, 0.25, 0.25);
		vt_page_text_right(cr, a->x - 3, y + 2.2, label);
	}
	vt_page_rgb(cr, 0.45, 0.45, 0.45);
	cairo_rectangle(cr, a->x, p->y, a->w, p->h);
	cairo_stroke(cr);
	/* Its name, in the margin. */
	const struct vt_param_info *pi = vt_param_info((enum vt_param)p->params[0]);
	char name[64];
	if (p->episodic)
		snprintf(name, sizeof(name), "NIBP");
	else if (p->n == 2)
		snprintf(name, sizeof(name), "%s", "PR/HR");
	else
		snprintf(name, sizeof(name), "%s", pi->label);
	vt_page_font(cr, 7.5, true);
	vt_page_rgb(cr, 0, 0, 0);
	cairo_save(cr);
	cairo_move_to(cr, a->x - S_LABEL_W + 8, p->y + p->h / 2 + vt_page_width(cr, name) / 2);
	cairo_rotate(cr, -M_PI / 2);
	cairo_show_text(cr, name);
	vt_page_font(cr, 6, false);
	char unit[32];
	snprintf(unit, sizeof(unit), "  %s", pi->unit);
	cairo_show_text(cr, unit);
	cairo_restore(cr);

	cairo_save(cr);
	cairo_rectangle(cr, a->x, p->y, a->w, p->h);
	cairo_clip(cr);
	s_limits_and_baseline(cr, r, cfg, a, p, false);
	if (p->episodic)
		s_measurements(cr, r, a, p);
	else
		for (size_t k = 0; k < p->n; k++)
			s_line(cr, r, a, p, p->params[k], k > 0);
	s_limits_and_baseline(cr, r, cfg, a, p, true);
	/* Where its alarms were raised. */
	for (size_t i = 0; i < r->n_alarms; i++) {
		const struct vt_record_alarm *al = &r->alarms[i];
		bool mine = false;
		for (size_t k = 0; k < p->n; k++)
			mine = mine || (!al->technical && al->param == p->params[k]);
		if (mine && al->raised >= a->from) {
			vt_page_priority(cr, al->priority, 1);
			s_triangle(cr, s_tx(a, al->raised), p->y + 1, 3);
		}
	}
	cairo_restore(cr);
	if (p->n == 2) { /* which line is which */
		vt_page_font(cr, 6, false);
		double x = a->x + 4;
		for (size_t k = 0; k < 2; k++) {
			s_param_rgb(cr, p->params[k]);
			x = vt_page_text(cr, x, p->y + p->h - 3,
			                 vt_param_info((enum vt_param)p->params[k])->label) + 3;
			cairo_set_line_width(cr, 0.9);
			cairo_move_to(cr, x, p->y + p->h - 5);
			cairo_line_to(cr, x + 10, p->y + p->h - 5);
			cairo_stroke(cr);
			x += 16;
		}
	}
}

/* The alarm bars, each in the first lane free at its start; how many lanes. */
static size_t
s_lanes(cairo_t *cr, const struct vt_record *r, const struct axis *a, size_t *lane_of)
{
	double end[S_MAX_LANES];
	size_t lanes = 0;
	vt_page_font(cr, 6, false);
	for (size_t i = 0; i < r->n_alarms; i++) {
		const struct vt_record_alarm *al = &r->alarms[i];
		double x0 = s_tx(a, al->raised < a->from ? a->from : al->raised);
		double x1 = s_tx(a, al->cleared && al->cleared < a->to ? al->cleared : a->to);
		char label[160];
		snprintf(label, sizeof(label), "%s%s%s", al->rule, al->acked ? " \xe2\x9c\x93 " : "",
		         al->acked ? al->acked_by : "");
		double right = fmax(x1, x0 + 4 + vt_page_width(cr, label)) + 6;
		size_t k = 0;
		while (k < lanes && end[k] > x0)
			k++;
		if (k == S_MAX_LANES)
			k = S_MAX_LANES - 1; /* full: the last lane takes the rest, overlapping */
		if (k == lanes)
			lanes++;
		end[k] = right;
		lane_of[i] = k;
	}
	return lanes;
}

static void
s_alarm_strip(cairo_t *cr, const struct vt_record *r, const struct axis *a, double top,
              const size_t *lane_of, size_t lanes)
{
	vt_page_font(cr, 7.5, true);
	vt_page_rgb(cr, 0, 0, 0);
	vt_page_text(cr, a->x - S_LABEL_W, top + 9, "Alarms");
	vt_page_rgb(cr, 0.45, 0.45, 0.45);
	cairo_set_line_width(cr, 0.5);
	cairo_rectangle(cr, a->x, top, a->w, (double)lanes * S_LANE_H + 2);
	cairo_stroke(cr);
	for (size_t i = 0; i < r->n_alarms; i++) {
		const struct vt_record_alarm *al = &r->alarms[i];
		double y = top + 1 + (double)lane_of[i] * S_LANE_H;
		double x0 = s_tx(a, al->raised < a->from ? a->from : al->raised);
		double x1 = s_tx(a, al->cleared && al->cleared < a->to ? al->cleared : a->to);
		vt_page_priority(cr, al->priority, 0.35);
		cairo_rectangle(cr, x0, y + 7.5, fmax(x1 - x0, 1), 4);
		cairo_fill(cr);
		vt_page_priority(cr, al->priority, 1);
		cairo_set_line_width(cr, 0.6);
		cairo_rectangle(cr, x0, y + 7.5, fmax(x1 - x0, 1), 4);
		cairo_stroke(cr);
		if (al->raised >= a->from)
			s_triangle(cr, x0, y + 7.5, 2.5);
		if (al->cleared && al->cleared <= a->to) { /* its end */
			cairo_move_to(cr, x1, y + 6);
			cairo_line_to(cr, x1, y + 13);
			cairo_stroke(cr);
		}
		if (al->acked && al->acked >= a->from && al->acked <= a->to) {
			double xa = s_tx(a, al->acked);
			vt_page_rgb(cr, 0, 0, 0);
			cairo_set_line_width(cr, 1);
			cairo_move_to(cr, xa, y + 6.5);
			cairo_line_to(cr, xa, y + 12.5);
			cairo_stroke(cr);
		}
		vt_page_font(cr, 6, false);
		vt_page_rgb(cr, 0.1, 0.1, 0.1);
		char label[160];
		snprintf(label, sizeof(label), "%s%s%s", al->rule, al->acked ? " \xe2\x9c\x93 " : "",
		         al->acked ? al->acked_by : "");
		vt_page_text(cr, x0 + 4, y + 6, label);
	}
}

static void
s_legend(cairo_t *cr, const struct vt_record *r, double x, double y)
{
	vt_page_font(cr, 6.5, false);
	bool shown[VT_PHASE_COUNT] = {false};
	for (size_t i = 0; i < r->n_phases; i++) {
		enum vt_phase ph = r->phases[i].phase;
		if (shown[ph])
			continue;
		shown[ph] = true;
		vt_page_phase(cr, ph, 0.6);
		cairo_rectangle(cr, x, y - 5.5, 8, 6);
		cairo_fill(cr);
		vt_page_rgb(cr, 0.2, 0.2, 0.2);
		x = vt_page_text(cr, x + 10, y, vt_phase_name(ph)) + 8;
	}
	vt_page_priority(cr, VT_PRIO_HIGH, 1);
	s_triangle(cr, x + 3, y - 5, 2.5);
	vt_page_rgb(cr, 0.2, 0.2, 0.2);
	x = vt_page_text(cr, x + 8, y, "raised") + 8;
	x = vt_page_text(cr, x, y, "\xe2\x9c\x93 acknowledged by") + 8;
	double dash[] = {4, 2.5}, dots[] = {1, 2};
	cairo_set_line_width(cr, 0.8);
	cairo_set_dash(cr, dash, 2, 0);
	cairo_move_to(cr, x, y - 2.5);
	cairo_line_to(cr, x + 14, y - 2.5);
	cairo_stroke(cr);
	x = vt_page_text(cr, x + 17, y, "alarm limit") + 8;
	cairo_set_dash(cr, dots, 2, 0);
	cairo_move_to(cr, x, y - 2.5);
	cairo_line_to(cr, x + 14, y - 2.5);
	cairo_stroke(cr);
	cairo_set_dash(cr, NULL, 0, 0);
	vt_page_text(cr, x + 17, y, "baseline");
}

void
vt_report_trends(cairo_t *cr, const struct vt_record *r, const struct vt_config *cfg, double x,
                 double y, double w, double h)
{
	struct axis a = {.from = r->from, .to = r->to, .x = x + S_LABEL_W, .w = w - S_LABEL_W - 4};
	struct panel panels[S_MAX_PANELS];
	size_t np = s_panels(r, panels);
	size_t lane_of[VT_RECORD_MAX_ALARMS];
	size_t lanes = s_lanes(cr, r, &a, lane_of);
	double strip = lanes > 0 ? (double)lanes * S_LANE_H + 10 : 0;
	s_legend(cr, r, a.x, y + 8);
	double top = y + S_LEGEND_H + 6; /* room for the phase names above the first panel */
	double room = h - S_LEGEND_H - 6 - strip - S_AXIS_H;
	double ph = np ? (room - S_PANEL_GAP * (double)(np - 1)) / (double)np : room;
	double bottom = top + room;
	if (np == 0) {
		vt_page_font(cr, 8.5, false);
		vt_page_rgb(cr, 0, 0, 0);
		vt_page_text(cr, a.x, top + 20, "No values in the record.");
	}
	s_phase_bands(cr, r, &a, top, bottom);
	s_time_axis(cr, &a, top, bottom + strip);
	for (size_t i = 0; i < np; i++) {
		panels[i].y = top + (double)i * (ph + S_PANEL_GAP);
		panels[i].h = ph;
		s_y_range(r, cfg, &panels[i]);
		s_panel(cr, r, cfg, &a, &panels[i]);
	}
	if (lanes > 0)
		s_alarm_strip(cr, r, &a, bottom + 6, lane_of, lanes);
}
