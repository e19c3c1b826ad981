/*
 * Reports on disk (see vitals/web/reports.h). The directory is opened
 * once per request and files are opened relative to it with O_NOFOLLOW,
 * so neither a name nor a link can lead outside it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vitals/web/reports.h"

static const char *
s_ext(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot != NULL ? dot : "";
}

bool
vt_reports_name_ok(const char *name)
{
	size_t len = strlen(name);
	const char *ext = s_ext(name);
	return len > 4 && len <= 200 && name[0] != '.' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	           len &&
	       (strcmp(ext, ".pdf") == 0 || strcmp(ext, ".png") == 0 || strcmp(ext, ".csv") == 0);
}

const char *
vt_reports_type(const char *name)
{
	const char *ext = s_ext(name);
	if (strcmp(ext, ".pdf") == 0)
		return "application/pdf";
	if (strcmp(ext, ".png") == 0)
		return "image/png";
	return "text/csv; charset=utf-8";
}

static int
s_newest_first(const void *a, const void *b)
{
	json_int_t ta = json_integer_value(json_object_get(*(json_t *const *)a, "mtime"));
	json_int_t tb = json_integer_value(json_object_get(*(json_t *const *)b, "mtime"));
	return ta > tb ? -1 : ta < tb ? 1 : 0;
}

json_t *
vt_reports_list(const char *dir)
{
	json_t *items[VT_REPORTS_LIST_MAX];
	size_t n = 0;
	int dfd = dir != NULL ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (d == NULL && dfd >= 0)
		close(dfd);
	struct dirent *e;
	while (d != NULL && n < VT_REPORTS_LIST_MAX && (e = readdir(d)) != NULL) {
		struct stat st;
		if (!vt_reports_name_ok(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		items[n++] = json_pack("{s:s,s:I,s:I}", "name", e->d_name, "size", (json_int_t)st.st_size,
		                       "mtime", (json_int_t)st.st_mtim.tv_sec * 1000 +
		                                    st.st_mtim.tv_nsec / 1000000);
	}
	if (d != NULL)
		closedir(d);
	qsort(items, n, sizeof(items[0]), s_newest_first);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, items[i]);
	return list;
}

int
vt_reports_open(const char *dir, const char *name, uint64_t *size)
{
	if (dir == NULL || !vt_reports_name_ok(name))
		return -1;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	close(dfd);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > VT_REPORTS_FILE_MAX)) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		*size = (uint64_t)st.st_size;
	return fd;
}
