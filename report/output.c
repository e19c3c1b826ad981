/*
 * Writing the infusion record (vitals/report/output.h): cairo's PDF
 * surface for the document, its image surface and PNG writer for the
 * pages, and plain stdio for the CSV. A file that cannot be written whole
 * is reported with cairo's (or the system's) reason.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cairo-pdf.h>

#include "vitals/base/timefmt.h"
#include "vitals/report/output.h"

/* 0 when cairo wrote `path`, or -1 with why it could not. */
static int
s_status(cairo_status_t st, const char *path, char *err, size_t errlen)
{
	if (st == CAIRO_STATUS_SUCCESS)
		return 0;
	snprintf(err, errlen, "%s: %s", path,
	         st == CAIRO_STATUS_WRITE_ERROR ? strerror(errno ? errno : EIO)
	                                        : cairo_status_to_string(st));
	return -1;
}

int
vt_report_pdf(const struct vt_report_doc *d, const char *path, const char *title, char *err,
              size_t errlen)
{
	double w, h;
	vt_report_doc_size(d, &w, &h);
	cairo_surface_t *s = cairo_pdf_surface_create(path, w, h);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "vitals-report");
	cairo_t *cr = cairo_create(s);
	for (size_t i = 0; i < vt_report_doc_pages(d); i++) {
		vt_report_doc_draw(d, i, cr);
		cairo_show_page(cr);
	}
	cairo_destroy(cr);
	cairo_surface_finish(s);
	cairo_status_t st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	return s_status(st, path, err, errlen);
}

int
vt_report_png_page(const struct vt_report_doc *d, size_t page, const char *path, double dpi,
                   char *err, size_t errlen)
{
	double w, h, scale = dpi / 72.0;
	vt_report_doc_size(d, &w, &h);
	cairo_surface_t *s =
	    cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)(w * scale + 0.5), (int)(h * scale + 0.5));
	cairo_t *cr = cairo_create(s);
	cairo_scale(cr, scale, scale);
	vt_report_doc_draw(d, page, cr);
	cairo_destroy(cr);
	cairo_status_t st = cairo_surface_write_to_png(s, path);
	cairo_surface_destroy(s);
	return s_status(st, path, err, errlen);
}

int
vt_report_png(const struct vt_report_doc *d, const char *prefix, double dpi, char *err,
              size_t errlen)
{
	size_t n = vt_report_doc_pages(d);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s-%zu.png", prefix, i + 1);
		if (vt_report_png_page(d, i, path, dpi, err, errlen) != 0)
			return -1;
	}
	return (int)n;
}

int
vt_report_csv(const struct vt_report_doc *d, const struct vt_record *r, FILE *out)
{
	size_t n;
	const struct vt_record_row *rows = vt_report_doc_rows(d, &n);
	int cols[VT_PARAM_COUNT];
	size_t nc = vt_record_columns(r, cols);
	fprintf(out, "time,local,phase");
	for (size_t c = 0; c < nc; c++) {
		int p = cols[c];
		fprintf(out, ",%s", vt_param_info((enum vt_param)p)->name);
		if (p == VT_SPO2)
			fprintf(out, ",spo2_min");
	}
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		char t[VT_TIME_BUFSZ], local[40], v[32];
		fprintf(out, "%s,%s,%s", vt_time_format(rows[i].t, t),
		        vt_page_datetime(rows[i].t, local, sizeof(local)),
		        rows[i].phase >= 0 ? vt_phase_name((enum vt_phase)rows[i].phase) : "");
		for (size_t c = 0; c < nc; c++) {
			int p = cols[c];
			/* An interval without a value is an empty field, never a zero. */
			bool has = rows[i].has & VT_PARAM_BIT(p);
			fprintf(out, ",%s", has ? vt_record_format((enum vt_param)p, rows[i].median[p], v,
			                                           sizeof(v))
			                        : "");
			if (p == VT_SPO2)
				fprintf(out, ",%s", has ? vt_record_format(VT_SPO2, rows[i].spo2_min, v,
				                                           sizeof(v))
				                        : "");
		}
		fputc('\n', out);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
