/*
 * The state file on disk (statefile.h): written whole or not at all,
 * read only when it is a regular file of a sane size, set aside when it
 * cannot be trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vitals/io/statefile.h"

/* Flush the directory holding `path`, so that a rename in it survives a power cut. */
static void
s_sync_dir(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

int
vt_statefile_write(const char *path, const char *text, char *err, size_t errlen)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	size_t len = strlen(text), done = 0;
	int e = 0;
	while (done < len && e == 0) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			e = n < 0 ? errno : ENOSPC;
		else
			done += (size_t)n;
	}
	if (e == 0 && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e == 0 && rename(tmp, path) != 0)
		e = errno;
	if (e != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		unlink(tmp);
		return -1;
	}
	s_sync_dir(path);
	return 0;
}

int
vt_statefile_read(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	*text = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 1;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file (a directory? a FIFO?)", path);
		close(fd);
		return 2;
	}
	if (st.st_size > VT_STATEFILE_MAX) {
		snprintf(err, errlen, "%s: too large for a state file", path);
		close(fd);
		return -1;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = 0;
	int e = buf ? 0 : ENOMEM;
	while (e == 0 && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			e = errno;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (e != 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int
vt_statefile_set_aside(const char *path, int64_t now, char *aside, size_t len, char *err,
                       size_t errlen)
{
	time_t secs = (time_t)(now / 1000);
	struct tm tm;
	char stamp[32] = "unknown";
	if (gmtime_r(&secs, &tm) != NULL)
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(aside, len, "%s.bad-%s", path, stamp);
	/* Only ever a file: never a directory that happens to be at the path. */
	struct stat st;
	if (lstat(path, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
		snprintf(err, errlen, "%s is not a file; left where it is", path);
		return -1;
	}
	if (rename(path, aside) != 0) {
		snprintf(err, errlen, "cannot move %s aside to %s: %s", path, aside, strerror(errno));
		return -1;
	}
	s_sync_dir(path);
	return 0;
}
