/*
 * What every page of the infusion record shares: the paper, the fonts
 * (DejaVu, from Debian's fonts-dejavu-core, found by cairo through
 * fontconfig), text set on a baseline, cut or wrapped to a width, the
 * colours of priorities and phases, and times as the chart writes them
 * (local time, or UTC with --utc). Drawing only: no files.
 */
#ifndef VITALS_REPORT_PAGE_H
#define VITALS_REPORT_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairo.h>

#include "vitals/base/vocab.h"

enum vt_paper { VT_PAPER_A4, VT_PAPER_LETTER };

/* The paper's size in points (1/72 inch), portrait. */
void vt_page_paper(enum vt_paper paper, double *w, double *h);
/* "a4" or "letter" (any case); -1 for anything else. */
int vt_page_paper_by_name(const char *name);

/* The margin around every page, in points. */
#define VT_PAGE_MARGIN 36.0

/*
 * Whether fontconfig finds the families the pages are set in; when it does
 * not, `family` (room for len) names what it would use instead.
 */
bool vt_page_fonts_found(char *family, size_t len);
/* Let go of cairo's and fontconfig's caches (at exit, so leak checkers see none). */
void vt_page_fonts_release(void);

/* The font for text that follows: the sans family at `size` points, bold or not. */
void vt_page_font(cairo_t *cr, double size, bool bold);
/* The monospaced family (checksums, ids). */
void vt_page_mono(cairo_t *cr, double size);

/* Text with its baseline at (x, y); returns the x after it. */
double vt_page_text(cairo_t *cr, double x, double y, const char *s);
/* Text ending at x_right. */
void vt_page_text_right(cairo_t *cr, double x_right, double y, const char *s);
/* Its width in the current font. */
double vt_page_width(cairo_t *cr, const char *s);
/* Text cut to max_w with an ellipsis if it is wider. */
void vt_page_text_fit(cairo_t *cr, double x, double y, double max_w, const char *s);

/* A piece of a wrapped text: s[off..off+len). */
struct vt_page_span {
	size_t off, len;
};
/*
 * Break `s` into lines of at most `width` at spaces (a word wider than the
 * line is broken where it must be). Spans into out (at most max); the
 * number of lines the whole text needs.
 */
size_t vt_page_wrap(cairo_t *cr, const char *s, double width, struct vt_page_span *out,
                    size_t max);

/* Colours. */
void vt_page_rgb(cairo_t *cr, double r, double g, double b);
void vt_page_priority(cairo_t *cr, enum vt_priority p, double alpha);
void vt_page_phase(cairo_t *cr, enum vt_phase p, double alpha);

/* Times for the chart: local unless vt_page_set_utc(true). */
void vt_page_set_utc(bool utc);
const char *vt_page_clock(int64_t ms, char *buf, size_t len);    /* "10:02:17" */
const char *vt_page_hhmm(int64_t ms, char *buf, size_t len);     /* "10:02" */
const char *vt_page_datetime(int64_t ms, char *buf, size_t len); /* "2026-11-21 10:02:17" */
const char *vt_page_zone(int64_t ms, char *buf, size_t len);     /* "CET, UTC+01:00" */
/* A duration: "0:25", "1:05:00"; "-" when negative. */
const char *vt_page_duration(int64_t ms, char *buf, size_t len);

#endif
