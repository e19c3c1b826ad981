/*
 * What happens to recordings once the daemon has closed them
 * (docs/recording.md, "Compression and retention"): vitals-archive, run by
 * a systemd timer, compresses them with zlib (gzip format) and deletes the
 * oldest by age and by total size. A file the daemon still writes is
 * locked (flock) and never touched.
 */
#ifndef VITALS_TOOLS_ARCHIVE_H
#define VITALS_TOOLS_ARCHIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vt_archive_policy {
	bool compress;           /* gzip closed *.vsr files */
	int64_t max_age_ms;      /* delete closed files last written longer ago (0: keep) */
	uint64_t max_total;      /* delete the oldest closed files while all take more bytes (0: no limit) */
};

struct vt_archive_report {
	unsigned compressed;     /* files compressed */
	unsigned deleted;        /* files deleted */
	unsigned open;           /* files being written, left alone */
	unsigned failed;         /* files that could not be handled (logged) */
	uint64_t bytes_before;   /* every recording's size before */
	uint64_t bytes_after;    /* and after */
};

/*
 * Apply `p` to the recordings under `dir` (DIR/BED/NAME.vsr and NAME.vsr.gz) at
 * wall-clock `now`; each action and problem is one line on `log`. 0, or -1
 * if `dir` cannot be read.
 */
int vt_archive_run(const char *dir, const struct vt_archive_policy *p, int64_t now,
                   struct vt_archive_report *r, FILE *log);

#endif
