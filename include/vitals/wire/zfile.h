/*
 * Reading a recording that may be gzip-compressed (docs/recording.md,
 * compression): one stdio stream for a plain file or its .gz form, so the
 * readers stay line-oriented and need not know which they read.
 */
#ifndef VITALS_WIRE_ZFILE_H
#define VITALS_WIRE_ZFILE_H

#include <stdio.h>

/* `path` opened for reading, decompressed if it is gzip (plain files read
 * as they are); NULL with errno set. Close with fclose. */
FILE *vt_zfile_open(const char *path);

#endif
