/*
 * Compression and retention of recordings (include/vitals/tools/archive.h).
 * Closed files only: each file is opened and locked with flock before it
 * is touched, and the recorder holds that lock on the file it writes, so a
 * file in use is never compressed or deleted, whatever its age or size.
 * Compression writes NAME.vsr.gz.tmp, syncs it, renames it over and only
 * then removes NAME.vsr, keeping the original's times: a crash leaves
 * either file whole (a stale .tmp is removed on the next run).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "vitals/tools/archive.h"

/* A .tmp older than this is what a crashed run left behind. */
#define S_STALE_TMP_MS (3600 * 1000)

struct s_file {
	char *path;
	int64_t mtime;   /* ms */
	uint64_t size;
	bool open;       /* locked by the recorder */
};

static bool
s_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Whether the recorder holds `path` (or it cannot be checked: then hands off). */
static bool
s_in_use(const char *path, int *fd_out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return true;
	}
	*fd_out = fd; /* locked: the caller closes it, which unlocks */
	return false;
}

/* gzip `f` into f.gz; 0, or -1 with a line on `log`. `in` is its locked fd. */
static int
s_compress(struct s_file *f, int in, FILE *log)
{
	char *tmp = NULL, *gz = NULL;
	if (asprintf(&tmp, "%s.gz.tmp", f->path) < 0 || asprintf(&gz, "%s.gz", f->path) < 0) {
		free(tmp);
		return -1;
	}
	int rc = -1, out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	gzFile z = out >= 0 ? gzdopen(dup(out), "wb6") : NULL;
	char buf[65536];
	ssize_t n;
	if (z == NULL)
		goto out;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (gzwrite(z, buf, (unsigned)n) != (int)n)
			break;
	if (gzclose_w(z) != Z_OK || n != 0 || fsync(out) != 0)
		goto out;
	struct stat st;
	if (fstat(in, &st) == 0) {
		const struct timespec times[2] = {st.st_atim, st.st_mtim};
		futimens(out, times); /* its age is the recording's, not the archive run's */
	}
	if (rename(tmp, gz) != 0 || unlink(f->path) != 0)
		goto out;
	if (fstat(out, &st) == 0)
		f->size = (uint64_t)st.st_size;
	free(f->path);
	f->path = gz;
	gz = NULL;
	rc = 0;
out:
	if (rc != 0) {
		fprintf(log, "vitals-archive: cannot compress %s: %s\n", f->path, strerror(errno));
		unlink(tmp);
	}
	if (out >= 0)
		close(out);
	free(tmp);
	free(gz);
	return rc;
}

/* Every recording under dir/BED/, into *v. -1 if dir cannot be read. */
static int
s_list(const char *dir, int64_t now, struct s_file **v, size_t *n, FILE *log)
{
	DIR *top = opendir(dir);
	if (top == NULL) {
		fprintf(log, "vitals-archive: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	size_t cap = 0;
	struct dirent *bed;
	while ((bed = readdir(top)) != NULL) {
		char *sub;
		if (bed->d_name[0] == '.' || asprintf(&sub, "%s/%s", dir, bed->d_name) < 0)
			continue;
		DIR *d = opendir(sub);
		struct dirent *e;
		while (d != NULL && (e = readdir(d)) != NULL) {
			char *path;
			struct stat st;
			if (asprintf(&path, "%s/%s", sub, e->d_name) < 0)
				continue;
			if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
				free(path);
				continue;
			}
			int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
			if (s_ends(path, ".gz.tmp") && now - mtime > S_STALE_TMP_MS) {
				unlink(path); /* left by a run that crashed */
				free(path);
				continue;
			}
			if (!s_ends(path, ".vsr") && !s_ends(path, ".vsr.gz")) {
				free(path);
				continue;
			}
			if (*n == cap) {
				cap = cap ? 2 * cap : 64;
				struct s_file *nv = realloc(*v, cap * sizeof(**v));
				if (nv == NULL) {
					free(path);
					break;
				}
				*v = nv;
			}
			(*v)[(*n)++] = (struct s_file){.path = path, .mtime = mtime, .size = (uint64_t)st.st_size};
		}
		if (d != NULL)
			closedir(d);
		free(sub);
	}
	closedir(top);
	return 0;
}

static int
s_oldest_first(const void *a, const void *b)
{
	const struct s_file *x = a, *y = b;
	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime ? 1 : strcmp(x->path, y->path);
}

/* Delete f if nobody holds it; whether it was. */
static bool
s_delete(struct s_file *f, const char *why, struct vt_archive_report *r, FILE *log)
{
	int fd = -1;
	if (s_in_use(f->path, &fd))
		return false;
	bool ok = unlink(f->path) == 0;
	close(fd);
	if (!ok) {
		fprintf(log, "vitals-archive: cannot delete %s: %s\n", f->path, strerror(errno));
		r->failed++;
		return false;
	}
	fprintf(log, "vitals-archive: deleted %s (%s)\n", f->path, why);
	r->deleted++;
	return true;
}

int
vt_archive_run(const char *dir, const struct vt_archive_policy *p, int64_t now,
               struct vt_archive_report *r, FILE *log)
{
	memset(r, 0, sizeof(*r));
	struct s_file *v = NULL;
	size_t n = 0;
	if (s_list(dir, now, &v, &n, log) != 0)
		return -1;
	qsort(v, n, sizeof(*v), s_oldest_first);
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		r->bytes_before += v[i].size;
		int fd = -1;
		v[i].open = s_in_use(v[i].path, &fd);
		if (v[i].open) {
			r->open++;
		} else {
			if (p->compress && s_ends(v[i].path, ".vsr")) {
				if (s_compress(&v[i], fd, log) == 0)
					r->compressed++;
				else
					r->failed++;
			}
			close(fd);
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool gone = false;
		if (!v[i].open && p->max_age_ms > 0 && now - v[i].mtime > p->max_age_ms)
			gone = s_delete(&v[i], "older than max_age_days", r, log);
		if (gone)
			v[i].size = 0;
		total += v[i].size;
	}
	/* Oldest first, while the whole is too big; the files in use always stay. */
	for (size_t i = 0; p->max_total > 0 && total > p->max_total && i < n; i++)
		if (v[i].size > 0 && !v[i].open && s_delete(&v[i], "over max_total_mb", r, log)) {
			total -= v[i].size;
			v[i].size = 0;
		}
	r->bytes_after = total;
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	return 0;
}
