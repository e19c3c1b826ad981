/*
 * The page's own files (web/static/), built into the program by
 * scripts/embed-assets.py: HTML, JavaScript and CSS written for this
 * project, no framework and nothing fetched at build time.
 */
#ifndef VITALS_WEB_ASSETS_H
#define VITALS_WEB_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

struct vt_web_asset {
	const char *name;            /* "station.js" */
	const char *type;            /* Content-Type */
	const unsigned char *data;
	size_t len;
	const char *etag;            /* quoted, from the content */
	bool versioned;              /* referred to with ?v=HASH: cacheable for a year */
};

extern const struct vt_web_asset vt_web_assets[];
extern const size_t vt_web_asset_count;

#endif
