/*
 * The infusion record's pages (vitals/report/doc.h): planned once (how
 * many rows of the vitals table and of the alarm log fit on a page, with
 * the alarm texts wrapped, never cut), then drawn page by page. The first
 * page is what a chart asks for at a glance: who, when, which phases,
 * weight and dose, which software and configuration, and the summary.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vitals/base/sample.h"
#include "vitals/io/recorder.h"
#include "vitals/report/doc.h"

#define S_BODY 8.5      /* body text, points */
#define S_LINE 12.0     /* a line of body text */
#define S_ROW 11.0      /* a row of the vitals table */
#define S_TOP 84.0      /* where a page's content begins, below its heading */
#define S_SECTION 34.0  /* a section's title and subtitle when it begins mid-page */
#define S_FOOT 24.0     /* room kept for the footer */
#define S_LOG_LINE 9.5  /* a line in the alarm log */
#define S_MAX_LINES 6   /* lines of an alarm's text; more are cut with an ellipsis */

/* Part of the vitals table or of the alarm log on a page, from y down. */
struct piece {
	enum vt_report_page section; /* VT_PAGE_TABLE or VT_PAGE_ALARMS */
	size_t first, count;
	double y;
};

/* One page: what it shows. The table and the log flow on from page to page. */
struct page {
	enum vt_report_page kind;    /* for a flowing page, its first piece's section */
	struct piece pieces[2];
	size_t n_pieces;
};

/* The alarm log's columns, left edge and width. */
enum { C_PRIO, C_ALARM, C_RAISED, C_ACK, C_SILENCED, C_CLEARED, C_DURATION, C_PEAK, C_COUNT };

struct vt_report_doc {
	const struct vt_record *r;
	struct vt_report_options o;
	double w, h;
	char session[200];
	struct vt_record_row *rows;
	size_t n_rows;
	double *alarm_h;           /* each alarm's height in the log */
	double col_x[C_COUNT], col_w[C_COUNT];
	struct page *pages;
	size_t n_pages;
};

/* ---- helpers -------------------------------------------------------------- */

static void
s_grey(cairo_t *cr, double v)
{
	vt_page_rgb(cr, v, v, v);
}

static const char *
s_unit(int p)
{
	return p >= 0 ? vt_param_info((enum vt_param)p)->unit : "";
}

/* ---- planning ------------------------------------------------------------- */

static void
s_log_columns(struct vt_report_doc *d)
{
	static const double fixed[C_COUNT] = {[C_PRIO] = 46, [C_RAISED] = 42, [C_ACK] = 70,
	                                      [C_SILENCED] = 56, [C_CLEARED] = 52, [C_DURATION] = 42,
	                                      [C_PEAK] = 40};
	double x = VT_PAGE_MARGIN, rest = d->w - 2 * VT_PAGE_MARGIN;
	for (int c = 0; c < C_COUNT; c++)
		rest -= fixed[c];
	for (int c = 0; c < C_COUNT; c++) {
		d->col_x[c] = x;
		d->col_w[c] = c == C_ALARM ? rest : fixed[c];
		x += d->col_w[c];
	}
}

/* The lines of an alarm's entry in the log column: its id, then its text wrapped. */
static size_t
s_alarm_lines(cairo_t *cr, const struct vt_report_doc *d, const struct vt_record_alarm *a,
              struct vt_page_span *spans)
{
	vt_page_font(cr, 7.5, false);
	size_t n = vt_page_wrap(cr, a->text, d->col_w[C_ALARM] - 6, spans, S_MAX_LINES);
	return 1 + (n < S_MAX_LINES ? n : S_MAX_LINES);
}

static struct page *
s_add_page(struct vt_report_doc *d, enum vt_report_page kind)
{
	struct page *np = realloc(d->pages, (d->n_pages + 1) * sizeof(*np));
	if (np == NULL)
		return NULL;
	d->pages = np;
	struct page *pg = &d->pages[d->n_pages++];
	memset(pg, 0, sizeof(*pg));
	pg->kind = kind;
	return pg;
}

/* Where the flowing sections stand while they are planned. */
struct flow {
	struct page *page; /* the page being filled, or NULL */
	double y;          /* how far down it is filled */
	double bottom;     /* where a page's content must end */
};

/*
 * Place `n` rows of `section` (heights from height(), or `row_h` each)
 * after what the flow holds, starting new pages as needed; a section that
 * begins mid-page first takes its title's room. false: no memory.
 */
static bool
s_flow(struct vt_report_doc *d, struct flow *f, enum vt_report_page section, size_t n,
       double row_h, const double *heights)
{
	size_t i = 0;
	bool begun = false;
	do {
		double head = 1.5 * S_ROW; /* its column headings */
		if (f->page != NULL && !begun && f->page->n_pieces > 0)
			head += S_SECTION;
		double first_h = n > 0 ? (heights ? heights[i] : row_h) : S_ROW;
		if (f->page == NULL || f->page->n_pieces == 2 || f->y + head + first_h > f->bottom) {
			if ((f->page = s_add_page(d, section)) == NULL)
				return false;
			f->y = S_TOP;
			head = 1.5 * S_ROW;
		}
		struct piece *pc = &f->page->pieces[f->page->n_pieces++];
		*pc = (struct piece){section, i, 0, f->y};
		f->y += head;
		while (i < n && f->y + (heights ? heights[i] : row_h) <= f->bottom) {
			f->y += heights ? heights[i] : row_h;
			pc->count++;
			i++;
		}
		if (n == 0)
			f->y += S_ROW; /* "none" */
		f->y += 16;
		begun = true;
	} while (i < n);
	return true;
}

static bool
s_plan(struct vt_report_doc *d)
{
	cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
	cairo_t *cr = cairo_create(scratch);
	const struct vt_record *r = d->r;
	bool ok = s_add_page(d, VT_PAGE_FIRST) && s_add_page(d, VT_PAGE_TRENDS);
	s_log_columns(d);
	d->alarm_h = calloc(r->n_alarms ? r->n_alarms : 1, sizeof(*d->alarm_h));
	ok = ok && d->alarm_h != NULL;
	struct vt_page_span spans[S_MAX_LINES];
	for (size_t i = 0; ok && i < r->n_alarms; i++)
		d->alarm_h[i] = (double)s_alarm_lines(cr, d, &r->alarms[i], spans) * S_LOG_LINE + 4;
	struct flow f = {.bottom = d->h - S_FOOT - VT_PAGE_MARGIN};
	ok = ok && s_flow(d, &f, VT_PAGE_TABLE, d->n_rows, S_ROW, NULL) &&
	     s_flow(d, &f, VT_PAGE_ALARMS, r->n_alarms, 0, d->alarm_h);
	cairo_destroy(cr);
	cairo_surface_destroy(scratch);
	return ok;
}

struct vt_report_doc *
vt_report_doc_new(const struct vt_record *r, const struct vt_report_options *o)
{
	struct vt_report_doc *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->r = r;
	d->o = *o;
	if (d->o.interval_ms <= 0)
		d->o.interval_ms = VT_REPORT_INTERVAL_MS;
	vt_page_paper(o->paper, &d->w, &d->h);
	char *name = vt_recorder_file_name(r->bed);
	time_t secs = (time_t)(r->from / 1000);
	struct tm tm;
	char stamp[32] = "";
	if (gmtime_r(&secs, &tm) != NULL)
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(d->session, sizeof(d->session), "%s-%s", name ? name : r->bed, stamp);
	free(name);
	d->n_rows = vt_record_table(r, d->o.interval_ms, &d->rows);
	if (!s_plan(d))
		vt_report_doc_free(&d);
	return d;
}

void
vt_report_doc_free(struct vt_report_doc **dp)
{
	struct vt_report_doc *d = *dp;
	if (d == NULL)
		return;
	free(d->rows);
	free(d->alarm_h);
	free(d->pages);
	free(d);
	*dp = NULL;
}

size_t
vt_report_doc_pages(const struct vt_report_doc *d)
{
	return d->n_pages;
}

enum vt_report_page
vt_report_doc_kind(const struct vt_report_doc *d, size_t page)
{
	return d->pages[page].kind;
}

void
vt_report_doc_size(const struct vt_report_doc *d, double *w, double *h)
{
	*w = d->w;
	*h = d->h;
}

const char *
vt_report_doc_session(const struct vt_report_doc *d)
{
	return d->session;
}

const struct vt_record_row *
vt_report_doc_rows(const struct vt_report_doc *d, size_t *n)
{
	*n = d->n_rows;
	return d->rows;
}

/* ---- every page ----------------------------------------------------------- */

static void
s_footer(const struct vt_report_doc *d, size_t page, cairo_t *cr)
{
	double y = d->h - VT_PAGE_MARGIN + 12;
	s_grey(cr, 0.6);
	cairo_set_line_width(cr, 0.5);
	cairo_move_to(cr, VT_PAGE_MARGIN, y - 10);
	cairo_line_to(cr, d->w - VT_PAGE_MARGIN, y - 10);
	cairo_stroke(cr);
	vt_page_font(cr, 7, false);
	s_grey(cr, 0.35);
	char left[400], right[64];
	snprintf(left, sizeof(left), "%s \xc2\xb7 session %s", d->r->bed, d->session);
	vt_page_text_fit(cr, VT_PAGE_MARGIN, y, d->w / 2, left);
	double gw = vt_page_width(cr, d->o.generator ? d->o.generator : "");
	vt_page_text(cr, (d->w - gw) / 2 + 40, y, d->o.generator ? d->o.generator : "");
	snprintf(right, sizeof(right), "page %zu of %zu", page + 1, d->n_pages);
	vt_page_text_right(cr, d->w - VT_PAGE_MARGIN, y, right);
}

/* A section's title and the line under it that says what it holds, from y down. */
static void
s_title(const struct vt_report_doc *d, cairo_t *cr, double y, const char *title, const char *sub)
{
	vt_page_font(cr, 13, true);
	s_grey(cr, 0);
	vt_page_text(cr, VT_PAGE_MARGIN, y + 12, title);
	if (sub != NULL) {
		vt_page_font(cr, 7.5, false);
		s_grey(cr, 0.3);
		vt_page_text_fit(cr, VT_PAGE_MARGIN, y + 25, d->w - 2 * VT_PAGE_MARGIN, sub);
	}
}

/* A page's heading: the section's title, and the bed and the time of the record. */
static void
s_heading(const struct vt_report_doc *d, cairo_t *cr, const char *title, const char *sub)
{
	s_title(d, cr, VT_PAGE_MARGIN, title, sub);
	vt_page_font(cr, 8, false);
	s_grey(cr, 0.3);
	char right[200];
	char a[32], b[32];
	snprintf(right, sizeof(right), "%s   %s \xe2\x80\x93 %s", d->r->bed,
	         vt_page_datetime(d->r->from, a, sizeof(a)), vt_page_clock(d->r->to, b, sizeof(b)));
	vt_page_text_right(cr, d->w - VT_PAGE_MARGIN, VT_PAGE_MARGIN + 12, right);
}

/* ---- the first page ------------------------------------------------------- */

/* "Key:" in grey and its value; returns the next line's baseline. */
static double
s_field(cairo_t *cr, double y, const char *key, const char *value)
{
	vt_page_font(cr, S_BODY, false);
	s_grey(cr, 0.35);
	vt_page_text(cr, VT_PAGE_MARGIN, y, key);
	s_grey(cr, 0);
	vt_page_text(cr, VT_PAGE_MARGIN + 118, y, value);
	return y + S_LINE;
}

/* A field whose value is a list, "a,  b,  c", on as many lines as the page
 * needs (a multiparameter monitor's baseline): an item is never cut. */
static double
s_field_list(const struct vt_report_doc *d, cairo_t *cr, double y, const char *key,
             char items[][64], size_t n)
{
	double width = d->w - 2 * VT_PAGE_MARGIN - 118;
	char line[VT_PARAM_COUNT * 68] = "", wider[sizeof(line) + 68];
	for (size_t i = 0; i < n; i++) {
		snprintf(wider, sizeof(wider), "%s%s%s,", line, line[0] ? ",  " : "", items[i]);
		vt_page_font(cr, S_BODY, false);
		if (line[0] && vt_page_width(cr, wider) > width) {
			snprintf(wider, sizeof(wider), "%s,", line);
			y = s_field(cr, y, key, wider);
			key = "";
			line[0] = '\0';
		}
		size_t len = strlen(line);
		snprintf(line + len, sizeof(line) - len, "%s%s", len ? ",  " : "", items[i]);
	}
	return s_field(cr, y, key, line);
}

static double
s_section(cairo_t *cr, double y, const char *title)
{
	vt_page_font(cr, 10.5, true);
	s_grey(cr, 0);
	vt_page_text(cr, VT_PAGE_MARGIN, y + 6, title);
	return y + 6 + S_LINE + 2;
}

/* "86 %" */
static const char *
s_value_unit(int p, double v, char *buf, size_t len)
{
	char num[32];
	vt_record_format((enum vt_param)p, v, num, sizeof(num));
	snprintf(buf, len, "%s %s", num, s_unit(p));
	return buf;
}

static double
s_phases(const struct vt_report_doc *d, cairo_t *cr, double y)
{
	const struct vt_record *r = d->r;
	if (r->n_phases == 0)
		return s_field(cr, y, "Phases", "none set at the station");
	static const double col[] = {0, 70, 170, 280, 340};
	static const char *const head[] = {"phase", "set at", "by", "weight", "rate"};
	double x0 = VT_PAGE_MARGIN + 118;
	vt_page_font(cr, S_BODY, false);
	s_grey(cr, 0.35);
	vt_page_text(cr, VT_PAGE_MARGIN, y, "Phases");
	vt_page_font(cr, 7.5, false);
	for (int c = 0; c < 5; c++)
		vt_page_text(cr, x0 + col[c], y, head[c]);
	y += S_LINE;
	for (size_t i = 0; i < r->n_phases; i++) {
		const struct vt_record_phase *ph = &r->phases[i];
		char when[40], w[32] = "", rate[40] = "";
		if (!isnan(ph->weight_kg))
			snprintf(w, sizeof(w), "%g kg", ph->weight_kg);
		if (!isnan(ph->dose_mg_per_kg_h))
			snprintf(rate, sizeof(rate), "%g mg/kg/h", ph->dose_mg_per_kg_h);
		vt_page_font(cr, S_BODY, ph->t >= r->from);
		vt_page_phase(cr, ph->phase, 1);
		cairo_rectangle(cr, x0 - 10, y - 6.5, 6, 6);
		cairo_fill(cr);
		s_grey(cr, ph->t >= r->from ? 0 : 0.45);
		vt_page_text(cr, x0 + col[0], y, vt_phase_name(ph->phase));
		vt_page_font(cr, S_BODY, false);
		vt_page_text(cr, x0 + col[1], y, vt_page_datetime(ph->t, when, sizeof(when)));
		vt_page_text_fit(cr, x0 + col[2], y, col[3] - col[2] - 6, ph->by);
		vt_page_text(cr, x0 + col[3], y, w);
		vt_page_text(cr, x0 + col[4], y, rate);
		y += S_LINE;
	}
	return y;
}

static void
s_first_page(const struct vt_report_doc *d, cairo_t *cr)
{
	const struct vt_record *r = d->r;
	char buf[512], a[48], b[48], c[48];
	double y = VT_PAGE_MARGIN + 16;
	vt_page_font(cr, 20, true);
	s_grey(cr, 0);
	vt_page_text(cr, VT_PAGE_MARGIN, y, "Infusion record");
	vt_page_text_right(cr, d->w - VT_PAGE_MARGIN, y, r->bed);
	y += 14;
	vt_page_font(cr, 7, false);
	s_grey(cr, 0.35);
	vt_page_text(cr, VT_PAGE_MARGIN, y, "From vitalsd's recording of the bed. vitalsd is decision "
	                                    "support, not a certified medical device:");
	vt_page_text(cr, VT_PAGE_MARGIN, y + 9, "the monitors' own records and alarms remain the "
	                                        "primary ones.");
	y += 17;

	y = s_section(cr, y, "Session");
	snprintf(buf, sizeof(buf), "%s", d->session);
	y = s_field(cr, y, "Session", buf);
	snprintf(buf, sizeof(buf), "%s   to %s   (%s)", vt_page_datetime(r->from, a, sizeof(a)),
	         vt_page_datetime(r->to, b, sizeof(b)), vt_page_duration(r->to - r->from, c, sizeof(c)));
	y = s_field(cr, y, "Start and end", buf);
	y = s_field(cr, y, "Times are", vt_page_zone(r->from, a, sizeof(a)));
	snprintf(buf, sizeof(buf), "%s on %s", r->protocol[0] ? r->protocol : "?", r->port);
	y = s_field(cr, y, "Monitor", buf);
	y = s_phases(d, cr, y);
	double weight = NAN, rate = NAN;
	for (size_t i = 0; i < r->n_phases; i++) {
		if (!isnan(r->phases[i].weight_kg))
			weight = r->phases[i].weight_kg;
		if (!isnan(r->phases[i].dose_mg_per_kg_h))
			rate = r->phases[i].dose_mg_per_kg_h;
	}
	double dose = vt_record_dose_at(r, r->to);
	if (!isnan(weight) || !isnan(rate) || !isnan(dose)) {
		size_t n = 0;
		buf[0] = '\0';
		if (!isnan(weight))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "weight %g kg   ", weight);
		if (!isnan(rate))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "rate %g mg/kg/h   ", rate);
		if (!isnan(dose))
			snprintf(buf + n, sizeof(buf) - n, "dose given %.1f mg (as the daemon counts it)",
			         dose);
		y = s_field(cr, y, "Weight and dose", buf);
	}
	snprintf(buf, sizeof(buf), "vitalsd %s%s", r->version[0] ? r->version : "(version not recorded)",
	         r->format < 2 ? ", a recording without station events (format 1)" : "");
	y = s_field(cr, y, "Recorded by", buf);
	y = s_field(cr, y, "Configuration",
	            r->config_path[0] ? r->config_path : "not recorded (a format-1 recording)");
	if (r->config_sha256[0]) {
		vt_page_font(cr, S_BODY, false);
		s_grey(cr, 0.35);
		vt_page_text(cr, VT_PAGE_MARGIN, y, "  its SHA-256");
		vt_page_mono(cr, 7.5);
		s_grey(cr, 0);
		vt_page_text(cr, VT_PAGE_MARGIN + 118, y, r->config_sha256);
		y += S_LINE;
	}
	if (r->config_changes > 0) {
		snprintf(buf, sizeof(buf), "reloaded %d time%s during the record; the SHA-256 above is the "
		         "last", r->config_changes, r->config_changes == 1 ? "" : "s");
		y = s_field(cr, y, "", buf);
	}

	struct vt_record_summary s;
	vt_record_summarise(r, &s);
	y = s_section(cr, y + 4, "Summary");
	if (s.has_spo2) {
		snprintf(buf, sizeof(buf), "%s at %s", s_value_unit(VT_SPO2, s.spo2_min, a, sizeof(a)),
		         vt_page_clock(s.spo2_min_t, b, sizeof(b)));
		y = s_field(cr, y, "Lowest SpO2", buf);
		y = s_field(cr, y, "SpO2 below 90 %", vt_page_duration(s.below90_ms, a, sizeof(a)));
	} else {
		y = s_field(cr, y, "SpO2", "not measured");
	}
	if (s.pulse_param >= 0) {
		snprintf(buf, sizeof(buf), "%s at %s (%s)",
		         s_value_unit(s.pulse_param, s.pulse_max, a, sizeof(a)),
		         vt_page_clock(s.pulse_max_t, b, sizeof(b)),
		         vt_param_info((enum vt_param)s.pulse_param)->label);
		y = s_field(cr, y, "Highest pulse", buf);
	}
	if (s.has_bp) {
		char dia[16];
		vt_record_format(VT_NIBP_DIA, s.dia_at_sys_max, dia, sizeof(dia));
		snprintf(buf, sizeof(buf), "%.0f/%s mmHg at %s", s.sys_max, dia,
		         vt_page_clock(s.bp_t, b, sizeof(b)));
		y = s_field(cr, y, "Highest blood pressure", buf);
	} else {
		y = s_field(cr, y, "Blood pressure", "not measured");
	}
	if (s.recovery_t == 0)
		snprintf(buf, sizeof(buf), "no recovery phase in the record");
	else if (s.back_ms < 0)
		snprintf(buf, sizeof(buf), "not reached by the end of the record (recovery from %s)",
		         vt_page_clock(s.recovery_t, a, sizeof(a)));
	else
		snprintf(buf, sizeof(buf), "%s after recovery began (at %s)",
		         vt_page_duration(s.back_ms, a, sizeof(a)),
		         vt_page_clock(r->back_to_baseline, b, sizeof(b)));
	y = s_field(cr, y, "Back to baseline", buf);
	char items[VT_PARAM_COUNT][64];
	size_t n = 0;
	for (int p = 0; p < VT_PARAM_COUNT; p++)
		if (!isnan(r->baseline[p]) && (r->present & VT_PARAM_BIT(p)))
			snprintf(items[n++], sizeof(items[0]), "%s %s", vt_param_info((enum vt_param)p)->label,
			         s_value_unit(p, r->baseline[p], a, sizeof(a)));
	if (n > 0)
		y = s_field_list(d, cr, y, "Baseline", items, n);
	else
		y = s_field(cr, y, "Baseline", "none (no baseline phase)");
	snprintf(buf, sizeof(buf), "%zu high, %zu medium, %zu low; %zu technical%s", s.alarms[VT_PRIO_HIGH],
	         s.alarms[VT_PRIO_MEDIUM], s.alarms[VT_PRIO_LOW], s.technical,
	         r->alarms_replayed ? " (recomputed by replay)" : "");
	y = s_field(cr, y, "Alarms", buf);

	if (d->o.n_notes > 0 || r->dropped > 0 || r->alarms_dropped > 0) {
		y = s_section(cr, y + 4, "Notes");
		vt_page_font(cr, S_BODY, false);
		s_grey(cr, 0);
		for (size_t i = 0; i < d->o.n_notes; i++) {
			struct vt_page_span sp[4];
			size_t lines = vt_page_wrap(cr, d->o.notes[i], d->w - 2 * VT_PAGE_MARGIN - 10, sp, 4);
			for (size_t l = 0; l < lines && l < 4; l++, y += S_LINE) {
				snprintf(buf, sizeof(buf), "%s%.*s", l ? "   " : "\xe2\x80\xa2 ", (int)sp[l].len,
				         d->o.notes[i] + sp[l].off);
				vt_page_text(cr, VT_PAGE_MARGIN, y, buf);
			}
		}
		if (r->dropped > 0) {
			snprintf(buf, sizeof(buf), "\xe2\x80\xa2 %zu samples beyond %d a parameter are left out",
			         r->dropped, VT_RECORD_MAX_SAMPLES);
			vt_page_text(cr, VT_PAGE_MARGIN, y, buf);
			y += S_LINE;
		}
		if (r->alarms_dropped > 0) {
			snprintf(buf, sizeof(buf), "\xe2\x80\xa2 %zu alarms beyond %d are left out",
			         r->alarms_dropped, VT_RECORD_MAX_ALARMS);
			vt_page_text(cr, VT_PAGE_MARGIN, y, buf);
		}
	}
}

/* ---- the vitals table ----------------------------------------------------- */

static void
s_table_piece(const struct vt_report_doc *d, const struct piece *pg, bool first, cairo_t *cr)
{
	char sub[200], every[32];
	snprintf(sub, sizeof(sub), "Every %s: the median of the interval's values; SpO2 min is its "
	         "lowest; blood pressure, each measurement once.",
	         vt_page_duration(d->o.interval_ms, every, sizeof(every)));
	double y = pg->y;
	if (first)
		s_heading(d, cr, "Vital signs", sub);
	else {
		s_title(d, cr, y, "Vital signs", sub);
		y += S_SECTION;
	}
	y += S_ROW; /* the headings' two lines end here */
	int params[VT_PARAM_COUNT];
	size_t np = vt_record_columns(d->r, params);
	double x_time = VT_PAGE_MARGIN, x_phase = x_time + 48, x_vals = x_phase + 58;
	size_t ncols = np + (d->r->present & VT_PARAM_BIT(VT_SPO2) ? 1 : 0);
	double cw = ncols ? (d->w - VT_PAGE_MARGIN - x_vals) / (double)ncols : 40;
	if (cw > 52)
		cw = 52;
	vt_page_font(cr, 7.5, true);
	s_grey(cr, 0);
	vt_page_text(cr, x_time, y, "Time");
	vt_page_text(cr, x_phase, y, "Phase");
	double x = x_vals;
	for (size_t i = 0; i < np; i++) {
		const struct vt_param_info *pi = vt_param_info((enum vt_param)params[i]);
		char head[48];
		snprintf(head, sizeof(head), "%s", pi->label);
		vt_page_text_right(cr, x + cw - 6, y - 8, head);
		vt_page_font(cr, 6.5, false);
		vt_page_text_right(cr, x + cw - 6, y, pi->unit);
		vt_page_font(cr, 7.5, true);
		x += cw;
		if (params[i] == VT_SPO2) {
			vt_page_text_right(cr, x + cw - 6, y - 8, "SpO2 min");
			vt_page_font(cr, 6.5, false);
			vt_page_text_right(cr, x + cw - 6, y, "%");
			vt_page_font(cr, 7.5, true);
			x += cw;
		}
	}
	cairo_set_line_width(cr, 0.6);
	s_grey(cr, 0.4);
	cairo_move_to(cr, VT_PAGE_MARGIN, y + 3);
	cairo_line_to(cr, x, y + 3);
	cairo_stroke(cr);
	y += S_ROW + 2;
	for (size_t i = pg->first; i < pg->first + pg->count; i++, y += S_ROW) {
		const struct vt_record_row *row = &d->rows[i];
		if ((i - pg->first) % 2 == 1) {
			s_grey(cr, 0.94);
			cairo_rectangle(cr, VT_PAGE_MARGIN, y - 8.5, x - VT_PAGE_MARGIN, S_ROW);
			cairo_fill(cr);
		}
		char v[32];
		vt_page_font(cr, 8, false);
		s_grey(cr, 0);
		vt_page_text(cr, x_time, y, vt_page_hhmm(row->t, v, sizeof(v)));
		if (row->phase >= 0) {
			vt_page_phase(cr, (enum vt_phase)row->phase, 1);
			cairo_rectangle(cr, x_phase - 1, y - 6, 4, 6);
			cairo_fill(cr);
			s_grey(cr, 0);
			vt_page_text(cr, x_phase + 6, y, vt_phase_name((enum vt_phase)row->phase));
		}
		x = x_vals;
		for (size_t k = 0; k < np; k++) {
			int p = params[k];
			vt_record_format((enum vt_param)p, row->median[p], v, sizeof(v));
			vt_page_text_right(cr, x + cw - 6, y, v);
			x += cw;
			if (p == VT_SPO2) {
				vt_record_format(VT_SPO2, row->spo2_min, v, sizeof(v));
				if (!isnan(row->spo2_min) && row->spo2_min < 90)
					vt_page_priority(cr, VT_PRIO_HIGH, 1);
				vt_page_text_right(cr, x + cw - 6, y, v);
				s_grey(cr, 0);
				x += cw;
			}
		}
	}
	if (d->n_rows == 0) {
		vt_page_font(cr, S_BODY, false);
		vt_page_text(cr, VT_PAGE_MARGIN, y, "No values in the record.");
	}
}

/* ---- the alarm log -------------------------------------------------------- */

/* A time and, below it, who. */
static void
s_when_who(cairo_t *cr, double x, double y, int64_t t, const char *who, const char *none)
{
	char buf[32];
	vt_page_font(cr, 7.5, false);
	s_grey(cr, t ? 0 : 0.45);
	vt_page_text(cr, x, y, t ? vt_page_clock(t, buf, sizeof(buf)) : none);
	if (t && who && *who) {
		vt_page_font(cr, 6.5, false);
		s_grey(cr, 0.3);
		vt_page_text_fit(cr, x, y + S_LOG_LINE, 60, who);
	}
}

static void
s_alarm_piece(const struct vt_report_doc *d, const struct piece *pg, bool first, cairo_t *cr)
{
	const struct vt_record *r = d->r;
	char sub[200];
	snprintf(sub, sizeof(sub), "%zu alarm%s: every alarm active in the record, in the order raised%s.",
	         r->n_alarms, r->n_alarms == 1 ? "" : "s",
	         r->alarms_replayed ? "; recomputed by replaying the recording (it has no station events)"
	                            : ", as the station was told of them");
	double y = pg->y;
	if (first)
		s_heading(d, cr, "Alarm log", sub);
	else {
		s_title(d, cr, y, "Alarm log", sub);
		y += S_SECTION;
	}
	y += S_ROW * 0.8;
	static const char *const head[C_COUNT] = {"Priority", "Alarm",    "Raised",   "Acknowledged",
	                                          "Silenced", "Cleared",  "Duration", "Peak"};
	vt_page_font(cr, 7.5, true);
	s_grey(cr, 0);
	for (int c = 0; c < C_COUNT; c++)
		vt_page_text(cr, d->col_x[c] + 2, y, head[c]);
	cairo_set_line_width(cr, 0.6);
	s_grey(cr, 0.4);
	cairo_move_to(cr, VT_PAGE_MARGIN, y + 3);
	cairo_line_to(cr, d->w - VT_PAGE_MARGIN, y + 3);
	cairo_stroke(cr);
	y += S_ROW * 0.7 + 7;
	struct vt_page_span spans[S_MAX_LINES];
	for (size_t i = pg->first; i < pg->first + pg->count; i++) {
		const struct vt_record_alarm *a = &r->alarms[i];
		char buf[64];
		vt_page_priority(cr, a->priority, 1);
		cairo_rectangle(cr, d->col_x[C_PRIO], y - 7, 3, d->alarm_h[i] - 4);
		cairo_fill(cr);
		vt_page_font(cr, 7.5, true);
		vt_page_text(cr, d->col_x[C_PRIO] + 6, y, vt_priority_name(a->priority));
		if (a->technical) {
			vt_page_font(cr, 6.5, false);
			s_grey(cr, 0.3);
			vt_page_text(cr, d->col_x[C_PRIO] + 6, y + S_LOG_LINE, "technical");
		}
		vt_page_mono(cr, 7);
		s_grey(cr, 0);
		vt_page_text_fit(cr, d->col_x[C_ALARM] + 2, y, d->col_w[C_ALARM] - 6, a->id);
		size_t lines = s_alarm_lines(cr, d, a, spans) - 1;
		vt_page_font(cr, 7.5, false);
		s_grey(cr, 0.15);
		for (size_t l = 0; l < lines; l++) {
			char text[200];
			bool cut = l + 1 == S_MAX_LINES && lines == S_MAX_LINES;
			snprintf(text, sizeof(text), "%.*s%s", (int)spans[l].len, a->text + spans[l].off,
			         cut ? "\xe2\x80\xa6" : "");
			vt_page_text(cr, d->col_x[C_ALARM] + 2, y + S_LOG_LINE * (double)(l + 1), text);
		}
		s_when_who(cr, d->col_x[C_RAISED] + 2, y, a->raised, NULL, "");
		char by[80];
		snprintf(by, sizeof(by), "by %s", a->acked_by);
		s_when_who(cr, d->col_x[C_ACK] + 2, y, a->acked, a->acked_by[0] ? by : NULL, "not acked");
		snprintf(by, sizeof(by), "by %s", a->silenced_by);
		s_when_who(cr, d->col_x[C_SILENCED] + 2, y, a->silenced, a->silenced_by[0] ? by : NULL,
		           "-");
		s_when_who(cr, d->col_x[C_CLEARED] + 2, y, a->cleared, NULL, "active at end");
		vt_page_font(cr, 7.5, false);
		s_grey(cr, 0);
		int64_t end = a->cleared ? a->cleared : r->to;
		vt_page_duration(end - a->raised, buf, sizeof(buf));
		if (!a->cleared)
			strcat(buf, "+");
		vt_page_text(cr, d->col_x[C_DURATION] + 2, y, buf);
		if (a->has_peak)
			vt_page_text(cr, d->col_x[C_PEAK] + 2, y, s_value_unit(a->param, a->peak, buf, sizeof(buf)));
		y += d->alarm_h[i];
		s_grey(cr, 0.85);
		cairo_set_line_width(cr, 0.4);
		cairo_move_to(cr, VT_PAGE_MARGIN, y - 8.5);
		cairo_line_to(cr, d->w - VT_PAGE_MARGIN, y - 8.5);
		cairo_stroke(cr);
	}
	if (r->n_alarms == 0) {
		vt_page_font(cr, S_BODY, false);
		s_grey(cr, 0);
		vt_page_text(cr, VT_PAGE_MARGIN, y, "No alarms in the record.");
	}
}

/* ---- drawing -------------------------------------------------------------- */

void
vt_report_doc_draw(const struct vt_report_doc *d, size_t page, cairo_t *cr)
{
	if (page >= d->n_pages)
		return;
	const struct page *pg = &d->pages[page];
	cairo_save(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	switch (pg->kind) {
	case VT_PAGE_FIRST:
		s_first_page(d, cr);
		break;
	case VT_PAGE_TRENDS:
		s_heading(d, cr, "Trends", "Every value on one time axis (a line breaks where the monitor "
		          "gave none); phases shaded; limits and baseline; the alarms below.");
		vt_report_trends(cr, d->r, d->o.cfg, VT_PAGE_MARGIN, S_TOP - 20,
		                 d->w - 2 * VT_PAGE_MARGIN, d->h - (S_TOP - 20) - VT_PAGE_MARGIN - S_FOOT);
		break;
	case VT_PAGE_TABLE:
	case VT_PAGE_ALARMS:
		for (size_t i = 0; i < pg->n_pieces; i++) {
			if (pg->pieces[i].section == VT_PAGE_TABLE)
				s_table_piece(d, &pg->pieces[i], i == 0, cr);
			else
				s_alarm_piece(d, &pg->pieces[i], i == 0, cr);
		}
		break;
	}
	s_footer(d, page, cr);
	cairo_restore(cr);
}
