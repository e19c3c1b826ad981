/*
 * The file that keeps the state across restarts (wire/state.h holds what is
 * in it). A crash must never leave half of it: every write goes to a new
 * file beside it, is flushed to the disk (fsync), and is then renamed over
 * the old one, whose directory is flushed too; a reader sees the old file
 * or the new one, whole. A file that cannot be used (not what vitalsd
 * writes, damaged, from another version) is moved aside with its time in
 * its name, never deleted and never trusted.
 */
#ifndef VITALS_IO_STATEFILE_H
#define VITALS_IO_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

/* A state file is at most this big (the bound on what a start reads). */
#define VT_STATEFILE_MAX (64 << 20)

/* Replace the file at `path` with `text`, atomically and durably. 0, or -1 with err. */
int vt_statefile_write(const char *path, const char *text, char *err, size_t errlen);

/*
 * Read the file at `path` (a regular file of at most VT_STATEFILE_MAX
 * bytes) into *text (malloc'd, NUL-terminated). 0; 1 when there is none;
 * 2 when something else is there (a directory, a FIFO: never read, never
 * moved, never written over); -1 with err when it cannot be read.
 */
int vt_statefile_read(const char *path, char **text, size_t *len, char *err, size_t errlen);

/*
 * Move the file at `path` aside to PATH.bad-YYYYmmddTHHMMSSZ (the time is
 * `now`); its new name into `aside`. 0, or -1 with err.
 */
int vt_statefile_set_aside(const char *path, int64_t now, char *aside, size_t len, char *err,
                           size_t errlen);

#endif
