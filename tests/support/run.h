/*
 * Running the project's programs from tests: paths from the environment
 * the Makefile sets (VT_BUILD, VT_ROOT), and a way to run a command and
 * capture its output and exit status.
 */
#ifndef TESTS_RUN_H
#define TESTS_RUN_H

#include <stddef.h>

struct run_result {
	int status;  /* exit status, or 128+signal */
	char *out;   /* stdout, NUL-terminated */
	size_t out_len;
	char *err;   /* stderr, NUL-terminated */
	size_t err_len;
};

/* "$VT_ROOT/rel" (or "./rel"), in a static buffer rotated among 8 callers. */
const char *run_root_path(const char *rel);
/* "$VT_BUILD/rel" (or "build/rel"). */
const char *run_build_path(const char *rel);

/* Run argv (NULL-terminated) from the repository root; capture everything. */
int run_capture(char *const argv[], struct run_result *r);
void run_result_free(struct run_result *r);

/* Read a whole file; NULL if it cannot be read. */
char *run_slurp(const char *path, size_t *len);

#endif
