/*
 * Finding what to report: a bed's recordings (every .vsr file under
 * RECORD_DIR/BED/, and those vitals-archive compressed to .vsr.gz, or
 * files named by the user), what each one spans, and
 * the infusion sessions the station marked in them with `phase`
 * (docs/report.md). A session begins with the first phase set while none
 * is open (usually `baseline`) and ends when `ended` is set; one still
 * open ends where the recordings end.
 */
#ifndef VITALS_REPORT_FIND_H
#define VITALS_REPORT_FIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vitals/base/diag.h"
#include "vitals/base/vocab.h"

/* Files looked at under one bed's directory; more is an error that says so. */
#define VT_FIND_MAX_FILES 10000
/* Sessions listed; older ones beyond this are forgotten. */
#define VT_FIND_MAX_SESSIONS 1000

struct vt_find_file {
	char *path;
	char bed[128];      /* as its header says */
	int64_t start, end; /* its header's start and its last event */
	int format;
};

struct vt_find_session {
	int64_t from, to;   /* the first phase set, and `ended` (or the end of the recordings) */
	bool ended;         /* closed with `ended` */
	int64_t phase_t[VT_PHASE_COUNT]; /* when each phase was first entered; 0: never */
};

struct vt_find {
	struct vt_find_file *files; /* in time order */
	size_t n_files;
	struct vt_find_session *sessions; /* in time order */
	size_t n_sessions;
};

/*
 * Read `paths` (session recordings of one bed, in any order): their
 * headers, their spans and the phases set in them. 0, or -1 with every
 * problem in diag (a file that is not a recording, or of another bed).
 */
int vt_find_read(struct vt_find *f, char *const *paths, size_t n, struct vt_diag *diag);

/* The same for every recording of `bed` under `record_dir`; -2 when there is none. */
int vt_find_bed(struct vt_find *f, const char *record_dir, const char *bed, struct vt_diag *diag);

void vt_find_release(struct vt_find *f);

/* The files that hold part of [from, to], in order, into out (room for f->n_files); how many. */
size_t vt_find_overlapping(const struct vt_find *f, int64_t from, int64_t to,
                           const struct vt_find_file **out);

#endif
