/*
 * The infusion record as pages: the first page (the header a chart needs
 * and the summary), the trend page, the vitals table at the chosen
 * interval, and the alarm log, each continued on as many pages as it
 * takes, every page footed with the bed, the session and its number. The
 * pages are planned once, so every page knows how many there are, and
 * each is then drawn onto any cairo surface in points (PDF, PNG).
 */
#ifndef VITALS_REPORT_DOC_H
#define VITALS_REPORT_DOC_H

#include <stddef.h>
#include <stdint.h>

#include <cairo.h>

#include "vitals/config/config.h"
#include "vitals/report/page.h"
#include "vitals/report/record.h"

/* Vitals table interval when none is given: what a nurse charts by hand. */
#define VT_REPORT_INTERVAL_MS (5 * 60 * 1000)

enum vt_report_page { VT_PAGE_FIRST, VT_PAGE_TRENDS, VT_PAGE_TABLE, VT_PAGE_ALARMS };

struct vt_report_options {
	enum vt_paper paper;
	int64_t interval_ms;          /* the vitals table's interval */
	const struct vt_config *cfg;  /* the configuration the limits are drawn from; NULL: none */
	const char *generator;        /* "vitals-report 0.1.0", in every footer */
	const char *notes[8];         /* lines for the first page (what the reader must know) */
	size_t n_notes;
};

struct vt_report_doc;

/* Plan the pages of `r` (both must outlive the doc). NULL: no memory. */
struct vt_report_doc *vt_report_doc_new(const struct vt_record *r,
                                        const struct vt_report_options *o);
void vt_report_doc_free(struct vt_report_doc **d);

size_t vt_report_doc_pages(const struct vt_report_doc *d);
enum vt_report_page vt_report_doc_kind(const struct vt_report_doc *d, size_t page);
/* The paper of every page, in points. */
void vt_report_doc_size(const struct vt_report_doc *d, double *w, double *h);
/* "chair-1-20261121T100000Z": the bed and the UTC start of the session. */
const char *vt_report_doc_session(const struct vt_report_doc *d);
/* The vitals table's rows. */
const struct vt_record_row *vt_report_doc_rows(const struct vt_report_doc *d, size_t *n);

/* Draw page `page` (from 0) on `cr`, whose user space is the page in points. */
void vt_report_doc_draw(const struct vt_report_doc *d, size_t page, cairo_t *cr);

/*
 * The trend page's plot (vitals/report/trends.c): every parameter on one
 * time axis in the box x, y, w, h.
 */
void vt_report_trends(cairo_t *cr, const struct vt_record *r, const struct vt_config *cfg,
                      double x, double y, double w, double h);

#endif
