/*
 * The infusion records vitals-report writes (PDF, PNG pages, CSV), offered
 * on the page beside the alarm history. vitals-web only lists and serves
 * the files of one configured directory (--reports DIR), read-only: no
 * subdirectories, no links, no names but plain ones, nothing but those
 * three kinds. Where the reports come from is vitals-report's business;
 * this is the hook the page reaches them by (docs/web.md).
 */
#ifndef VITALS_WEB_REPORTS_H
#define VITALS_WEB_REPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Files listed at most, and the largest served. */
#define VT_REPORTS_LIST_MAX 500
#define VT_REPORTS_FILE_MAX (64LL * 1024 * 1024)

/* A plain file name of ours: [A-Za-z0-9._-], not starting with '.', ending .pdf/.png/.csv. */
bool vt_reports_name_ok(const char *name);
/* Its Content-Type, from the name (which must be ok). */
const char *vt_reports_type(const char *name);

/* [{"name":..,"size":..,"mtime":ms}, ...], newest first; an empty array if none. */
json_t *vt_reports_list(const char *dir);

/* An fd open on dir/name, a regular file of at most VT_REPORTS_FILE_MAX (its size in *size), or -1. */
int vt_reports_open(const char *dir, const char *name, uint64_t *size);

#endif
