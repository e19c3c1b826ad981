/*
 * Plain or gzip, one stream (include/vitals/wire/zfile.h). zlib's gzread
 * passes a file that is not gzip through unchanged, and glibc's
 * fopencookie wraps it in a FILE, so getline and fgets work on both.
 */
#include <errno.h>
#include <stdio.h>
#include <zlib.h>

#include "vitals/wire/zfile.h"

static ssize_t
s_read(void *cookie, char *buf, size_t len)
{
	if (len > 1u << 30)
		len = 1u << 30;
	int n = gzread((gzFile)cookie, buf, (unsigned)len);
	if (n < 0) {
		errno = EIO; /* a corrupt or truncated gzip stream */
		return -1;
	}
	return n;
}

static int
s_close(void *cookie)
{
	return gzclose_r((gzFile)cookie) == Z_OK ? 0 : EOF;
}

FILE *
vt_zfile_open(const char *path)
{
	gzFile gz = gzopen(path, "rb");
	if (gz == NULL) {
		if (errno == 0)
			errno = ENOMEM;
		return NULL;
	}
	gzbuffer(gz, 64 * 1024);
	FILE *fp = fopencookie(gz, "r", (cookie_io_functions_t){.read = s_read, .close = s_close});
	if (fp == NULL)
		gzclose_r(gz);
	return fp;
}
