/*
 * A bed's recordings and the infusion sessions marked in them
 * (vitals/report/find.h). Each file is read once to its end: its span is
 * its header's start to its last event, and its recorded `phase` commands
 * mark the sessions. A damaged line is reported and reading goes on, as
 * the replay would refuse the file anyway.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/io/recorder.h"
#include "vitals/report/find.h"
#include "vitals/wire/session.h"

/* One phase set, from any file. */
struct mark {
	int64_t t;
	enum vt_phase phase;
};

static int
s_cmp_file(const void *a, const void *b)
{
	const struct vt_find_file *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int
s_cmp_mark(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;
	return (x->t > y->t) - (x->t < y->t);
}

/* The phase a recorded control line sets, or -1. */
static int
s_phase_of(const uint8_t *json, size_t len)
{
	json_t *o = json_loadb((const char *)json, len, 0, NULL);
	const char *cmd = json_string_value(json_object_get(o, "cmd"));
	const char *phase = json_string_value(json_object_get(o, "phase"));
	int p = cmd && phase && strcmp(cmd, "phase") == 0 ? vt_phase_by_name(phase) : -1;
	json_decref(o);
	return p;
}

/* Read one file into f->files[f->n_files] and its phases into marks. 0 or -1. */
static int
s_read_file(struct vt_find *f, const char *path, struct mark **marks, size_t *n_marks,
            size_t *cap_marks, struct vt_diag *diag)
{
	struct vt_session_reader *sr = vt_session_open(path, diag);
	if (sr == NULL)
		return -1;
	struct vt_find_file *file = &f->files[f->n_files];
	memset(file, 0, sizeof(*file));
	file->path = strdup(path);
	snprintf(file->bed, sizeof(file->bed), "%s", vt_session_info(sr)->bed);
	file->format = vt_session_info(sr)->format;
	file->start = file->end = vt_session_start(sr);
	int64_t t;
	enum vt_rec_event ev;
	const uint8_t *data;
	size_t len;
	int rc;
	bool bad = file->path == NULL;
	while ((rc = vt_session_next(sr, &t, &ev, &data, &len, diag)) != 0) {
		if (rc < 0) {
			bad = true;
			continue;
		}
		file->end = t;
		int p = ev == VT_REC_CONTROL ? s_phase_of(data, len) : -1;
		if (p < 0)
			continue;
		if (*n_marks == *cap_marks) {
			size_t cap = *cap_marks ? *cap_marks * 2 : 64;
			struct mark *m = realloc(*marks, cap * sizeof(*m));
			if (m == NULL) {
				vt_diag_add(diag, path, 0, 0, NULL, "out of memory");
				bad = true;
				break;
			}
			*marks = m;
			*cap_marks = cap;
		}
		(*marks)[(*n_marks)++] = (struct mark){t, (enum vt_phase)p};
	}
	vt_session_close(&sr);
	if (bad) {
		free(file->path);
		return -1;
	}
	f->n_files++;
	return 0;
}

/* Sessions from the phases set, in time order; the recordings end at `end`. */
static void
s_sessions(struct vt_find *f, struct mark *marks, size_t n, int64_t end)
{
	if (n > 0)
		qsort(marks, n, sizeof(*marks), s_cmp_mark);
	struct vt_find_session *cur = NULL;
	for (size_t i = 0; i < n; i++) {
		if (cur == NULL) {
			if (f->n_sessions == VT_FIND_MAX_SESSIONS) {
				memmove(f->sessions, f->sessions + 1, (f->n_sessions - 1) * sizeof(*f->sessions));
				f->n_sessions--;
			}
			cur = &f->sessions[f->n_sessions++];
			memset(cur, 0, sizeof(*cur));
			cur->from = marks[i].t;
		}
		if (cur->phase_t[marks[i].phase] == 0)
			cur->phase_t[marks[i].phase] = marks[i].t;
		cur->to = marks[i].t;
		if (marks[i].phase == VT_PHASE_ENDED) {
			cur->ended = true;
			cur = NULL;
		}
	}
	if (cur != NULL)
		cur->to = end > cur->to ? end : cur->to;
}

int
vt_find_read(struct vt_find *f, char *const *paths, size_t n, struct vt_diag *diag)
{
	memset(f, 0, sizeof(*f));
	if (n > VT_FIND_MAX_FILES) {
		vt_diag_add(diag, paths[0], 0, 0, NULL, "%zu recordings; at most %d are read at once", n,
		            VT_FIND_MAX_FILES);
		return -1;
	}
	f->files = calloc(n ? n : 1, sizeof(*f->files));
	f->sessions = calloc(VT_FIND_MAX_SESSIONS, sizeof(*f->sessions));
	if (f->files == NULL || f->sessions == NULL) {
		vt_diag_add(diag, "-", 0, 0, NULL, "out of memory");
		return -1;
	}
	struct mark *marks = NULL;
	size_t n_marks = 0, cap_marks = 0;
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		if (s_read_file(f, paths[i], &marks, &n_marks, &cap_marks, diag) != 0)
			rc = -1;
	for (size_t i = 1; i < f->n_files; i++)
		if (strcmp(f->files[i].bed, f->files[0].bed) != 0) {
			vt_diag_add(diag, f->files[i].path, 0, 0, NULL,
			            "a recording of bed \"%s\", not of \"%s\" as %s: one report is of one bed",
			            f->files[i].bed, f->files[0].bed, f->files[0].path);
			rc = -1;
		}
	if (f->n_files > 0)
		qsort(f->files, f->n_files, sizeof(*f->files), s_cmp_file);
	int64_t end = 0;
	for (size_t i = 0; i < f->n_files; i++)
		end = f->files[i].end > end ? f->files[i].end : end;
	s_sessions(f, marks, n_marks, end);
	free(marks);
	return rc;
}

static int
s_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
vt_find_bed(struct vt_find *f, const char *record_dir, const char *bed, struct vt_diag *diag)
{
	memset(f, 0, sizeof(*f));
	char *name = vt_recorder_file_name(bed);
	char dirpath[4096];
	snprintf(dirpath, sizeof(dirpath), "%s/%s", record_dir, name ? name : "");
	free(name);
	DIR *d = opendir(dirpath);
	if (d == NULL) {
		vt_diag_add(diag, dirpath, 0, 0, NULL, "cannot read the recordings of %s: %s", bed,
		            strerror(errno));
		return -2;
	}
	char **paths = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		/* A recording, or one vitals-archive compressed. */
		size_t l = strlen(e->d_name);
		if (!(l > 4 && strcmp(e->d_name + l - 4, ".vsr") == 0) &&
		    !(l > 7 && strcmp(e->d_name + l - 7, ".vsr.gz") == 0))
			continue;
		if (n == VT_FIND_MAX_FILES) {
			vt_diag_add(diag, dirpath, 0, 0, NULL, "more than %d recordings; name the files "
			            "to report on", VT_FIND_MAX_FILES);
			rc = -1;
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **np = realloc(paths, cap * sizeof(*np));
			if (np == NULL) {
				rc = -1;
				break;
			}
			paths = np;
		}
		if (asprintf(&paths[n], "%s/%s", dirpath, e->d_name) < 0) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == 0 && n == 0) {
		vt_diag_add(diag, dirpath, 0, 0, NULL, "no recordings of %s", bed);
		rc = -2;
	}
	if (rc == 0) {
		qsort(paths, n, sizeof(*paths), s_cmp_str);
		rc = vt_find_read(f, paths, n, diag);
	}
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return rc;
}

void
vt_find_release(struct vt_find *f)
{
	for (size_t i = 0; f->files != NULL && i < f->n_files; i++)
		free(f->files[i].path);
	free(f->files);
	free(f->sessions);
	memset(f, 0, sizeof(*f));
}

size_t
vt_find_overlapping(const struct vt_find *f, int64_t from, int64_t to,
                    const struct vt_find_file **out)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n_files; i++)
		if (f->files[i].start <= to && f->files[i].end >= from)
			out[n++] = &f->files[i];
	return n;
}
