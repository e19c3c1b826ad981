/*
 * The infusion record written out: a PDF of every page, a PNG of each
 * page, and the vitals table as CSV for spreadsheets. cairo writes the
 * PDF and the PNGs; nothing here encodes either format itself.
 */
#ifndef VITALS_REPORT_OUTPUT_H
#define VITALS_REPORT_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "vitals/report/doc.h"

/* PNG pages are drawn at this many dots per inch unless told otherwise. */
#define VT_REPORT_PNG_DPI 100

/* Every page into the PDF file `path` (titled `title`). 0, or -1 with err. */
int vt_report_pdf(const struct vt_report_doc *d, const char *path, const char *title, char *err,
                  size_t errlen);

/*
 * Every page as PREFIX-1.png, PREFIX-2.png, ... at `dpi`. The number of
 * pages written, or -1 with err.
 */
int vt_report_png(const struct vt_report_doc *d, const char *prefix, double dpi, char *err,
                  size_t errlen);

/* One page as a PNG file. 0, or -1 with err. */
int vt_report_png_page(const struct vt_report_doc *d, size_t page, const char *path, double dpi,
                       char *err, size_t errlen);

/*
 * The vitals table as CSV: time (RFC 3339, UTC), the chart's local time,
 * the phase, then each parameter's median (SpO2 followed by spo2_min),
 * written as the PDF shows them. 0, or -1 if `out` failed.
 */
int vt_report_csv(const struct vt_report_doc *d, const struct vt_record *r, FILE *out);

#endif
